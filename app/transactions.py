"""The transaction a request works in.

A request that may change something (any method but GET, HEAD and OPTIONS) says so to the data
layer before its first query, so that on SQLite its transaction takes the write lock when it
begins (``app.database``). The data layer never looks at the request itself.
"""

from __future__ import annotations

from flask import Flask, request

from app import database

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def register(app: Flask) -> None:
    """Register first: the other before-request hooks may already query (the user, the locale)."""

    @app.before_request
    def announce_writes() -> None:
        database.expect_writes(request.method not in SAFE_METHODS)

    @app.teardown_request
    def forget_writes(_error: BaseException | None = None) -> None:
        database.expect_writes(False)

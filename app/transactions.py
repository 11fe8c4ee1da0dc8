"""The transaction a request works in.

A request that may change something (any method but GET, HEAD and OPTIONS, or a page marked
``records_views`` read by someone logged in) says so to the data layer before its first query,
so that on SQLite its transaction takes the write lock when it begins (``app.database``). The
data layer never looks at the request itself.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, current_app, request, session

from app import database

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def records_views(view: Callable) -> Callable:
    """Mark a page that writes when it is read by a logged-in user (the access log of private
    contact details): such a GET takes the write lock as a POST does, since a transaction that
    reads and then writes cannot wait for the lock."""
    view.records_views = True  # type: ignore[attr-defined]
    return view


def may_write() -> bool:
    if request.method not in SAFE_METHODS:
        return True
    view = current_app.view_functions.get(request.endpoint or "")
    if not getattr(view, "records_views", False):
        return False
    # Without a login nothing is recorded; the user is not loaded yet (that would be the first
    # query), so a login is told the way the page cache tells it: by its cookies.
    remember_cookie = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    return "_user_id" in session or remember_cookie in request.cookies


def register(app: Flask) -> None:
    """Register first: the other before-request hooks may already query (the user, the locale)."""

    @app.before_request
    def announce_writes() -> None:
        database.expect_writes(may_write())

    @app.teardown_request
    def forget_writes(_error: BaseException | None = None) -> None:
        database.expect_writes(False)

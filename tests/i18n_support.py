"""Translations in the test suite: compiled catalogs, and helpers for the i18n tests.

Loaded as a plugin by ``tests/conftest.py``. Flask-Babel reads the compiled ``.mo`` files, which are
not committed; they are compiled once per session when missing or older than their ``.po``, so a
fresh checkout (or a just-edited catalog) is tested as it will be served.
"""

from __future__ import annotations

import os

from app import translations


def pytest_sessionstart(session) -> None:
    # With pytest-xdist the controller compiles before its workers start; workers only read.
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return
    translations.compile_catalogs(only_stale=True)

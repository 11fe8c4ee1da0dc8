"""Database engine settings that SQLAlchemy does not apply by itself."""

from __future__ import annotations

from contextvars import ContextVar

import sqlalchemy as sa
from flask import Flask

from app.extensions import db
from app.search_engine.folding import fold

# Whether the work under way may write. The request layer says so for each request
# (app.transactions); anything else (a CLI command, a test) reads unless it says otherwise.
_may_write: ContextVar[bool] = ContextVar("tadamun_may_write", default=False)


def expect_writes(may_write: bool = True) -> None:
    """Tell the data layer whether the transactions that follow may write (see configure_engine)."""
    _may_write.set(may_write)


def configure_engine(app: Flask) -> None:
    """Turn on SQLite's foreign keys, WAL journal and busy timeout on every connection."""
    busy_timeout_ms = int(app.config.get("SQLITE_BUSY_TIMEOUT_MS", 5000))

    with app.app_context():
        engine = db.engine
        if engine.dialect.name != "sqlite":
            return

        @sa.event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            # pysqlite opens transactions lazily on its own; let SQLAlchemy emit BEGIN instead,
            # so that the listener below chooses how each transaction begins.
            dbapi_connection.isolation_level = None
            # The triggers of migration 0002_search fold text with this function (0006 replaces them
            # with triggers that copy the text folded in Python, app.search_engine.engine).
            dbapi_connection.create_function("fold_arabic", 1, fold, deterministic=True)
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute(f"PRAGMA busy_timeout = {busy_timeout_ms:d}")
            if engine.url.database not in (None, "", ":memory:"):
                cursor.execute("PRAGMA journal_mode = WAL")
                cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.close()

        @sa.event.listens_for(engine, "begin")
        def _sqlite_begin(connection):
            # Work that may write takes the write lock when its transaction starts. A deferred
            # transaction that reads and then writes cannot wait for the lock (SQLite answers
            # "busy" at once to avoid a deadlock), which would lose writes under load.
            if _may_write.get():
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                connection.exec_driver_sql("BEGIN")


def is_database_busy(error: BaseException) -> bool:
    """True for SQLite's "database is locked" (and PostgreSQL lock timeouts): retryable, not a bug."""
    if not isinstance(error, sa.exc.OperationalError):
        return False
    text = str(error.orig).lower() if error.orig is not None else str(error).lower()
    return "database is locked" in text or "lock timeout" in text or "database is busy" in text

"""Database engine settings that SQLAlchemy does not apply by itself."""

from __future__ import annotations

import contextlib
import time

import sqlalchemy as sa
from flask import Flask

from app import db_session
from app.db_session import expect_writes, may_write, read_outside_transactions, writing
from app.extensions import db
from app.search_engine.folding import fold

# Where the work under way says what it does (app.db_session); the request layer and the
# commands reach these here.
__all__ = ["expect_writes", "read_outside_transactions", "writing"]


def listen_once(target, identifier: str, function) -> None:
    """Listen to ``identifier`` on ``target`` unless ``function`` already does: hooks on the
    session class are shared by every application a process builds (the tests build many)."""
    if not sa.event.contains(target, identifier, function):
        sa.event.listen(target, identifier, function)


def remove_session(_error: BaseException | None = None) -> None:
    """End the request's session even when its connection was ended by the server.

    Flask-SQLAlchemy's own teardown closes the session, which rolls back; on a connection the
    database ended (a restart) that rollback fails, and the exception would replace the page
    already made (a 503, or even a 200) with a bare 500. Registered after Flask-SQLAlchemy's
    teardown, this one runs first and leaves it nothing to do.
    """
    try:
        db.session.remove()
    except sa.exc.SQLAlchemyError:
        with contextlib.suppress(sa.exc.SQLAlchemyError):
            db.session().invalidate()  # drop the dead connection instead of returning it to the pool
        db.session.registry.clear()


# Where a pooled connection's record keeps when it was last given back to the pool.
_IDLE_SINCE = "tadamun_idle_since"


def ping_after_idle(engine: sa.Engine, idle_seconds: float) -> None:
    """Check a pooled connection before use when it sat idle at least ``idle_seconds``.

    SQLAlchemy's ``pool_pre_ping`` checks it on every checkout: one more round trip to
    PostgreSQL on every request, about 5 % of a logged-in page under load. A database restart
    ends every connection and usually takes longer than a second: a connection it ended has sat
    idle since, is pinged, found dead and replaced (with the pool's other connections, ended by
    the same restart) before a request uses it. A connection ended while in use, or by a restart
    quicker than ``idle_seconds`` between two requests, fails that one request, answered 503
    with Retry-After (app/errors.py); SQLAlchemy then renews the pool, so each worker fails at
    most one request per restart.
    """

    @sa.event.listens_for(engine, "checkin")
    def _note_idle(_dbapi_connection, record):
        record.info[_IDLE_SINCE] = time.monotonic()

    @sa.event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, _proxy):
        idle_since = record.info.pop(_IDLE_SINCE, None)
        if idle_since is None or time.monotonic() - idle_since < idle_seconds:
            return  # a new connection, or one back from a request moments ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            if engine.dialect.is_disconnect(error, dbapi_connection, None):
                # The pool connects again (and drops its other connections, older than now).
                raise sa.exc.InvalidatePoolError() from error
            raise


def configure_engine(app: Flask) -> None:
    """Ping pooled connections that sat idle (see ping_after_idle); read outside transactions
    where a request only reads (app.db_session); turn on SQLite's foreign keys, WAL journal and
    busy timeout on every connection."""
    app.teardown_appcontext(remove_session)
    busy_timeout_ms = int(app.config.get("SQLITE_BUSY_TIMEOUT_MS", 5000))

    with app.app_context():
        engine = db.engine
        ping_after_idle(engine, float(app.config.get("DATABASE_PING_AFTER_IDLE_SECONDS", 1.0)))
        db_session.watch(engine)  # before the listener below: it reads what this one notes
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
            if db_session.began_reading(connection):
                return  # a request that only reads: no transaction (app.db_session)
            # Work that may write takes the write lock when its transaction starts. A deferred
            # transaction that reads and then writes cannot wait for the lock (SQLite answers
            # "busy" at once to avoid a deadlock), which would lose writes under load.
            if may_write():
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                connection.exec_driver_sql("BEGIN")


def is_database_busy(error: BaseException) -> bool:
    """True for SQLite's "database is locked" (and PostgreSQL lock timeouts): retryable, not a bug."""
    if not isinstance(error, sa.exc.OperationalError):
        return False
    text = str(error.orig).lower() if error.orig is not None else str(error).lower()
    return "database is locked" in text or "lock timeout" in text or "database is busy" in text


def is_database_unavailable(error: BaseException) -> bool:
    """True when the database cannot be reached, is restarting, or dropped the connection.

    Retryable from the visitor's side: the pool checks connections that sat idle before use
    (``ping_after_idle``), so requests succeed again once the server is back.
    """
    if isinstance(error, sa.exc.TimeoutError):  # no free connection in the pool in time
        return True
    if not isinstance(error, sa.exc.DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a pinned requirement
        return False
    return isinstance(error.orig, psycopg.OperationalError | psycopg.InterfaceError)

"""The database session every request, command and job works in, and how its work begins.

Two things decide it, both said before the first query by the one who knows:

- whether the work under way may write (``expect_writes``): on SQLite such a transaction takes
  the write lock when it begins (``app.database``);
- whether it is a request that only reads (``read_outside_transactions``, said by the request
  layer, ``app.transactions``): such a request reads outside any transaction, on the same
  pooled connections in autocommit mode. A transaction buys a read nothing here. PostgreSQL's
  READ COMMITTED, our level, gives each statement its own snapshot inside a transaction as
  outside, and a request that writes nothing has nothing to commit or roll back. What it
  saves is the BEGIN and the ROLLBACK: on PostgreSQL two of the five round trips of a member's
  campaign page, on SQLite two statements through SQLAlchemy.

A read-only request cannot write by accident: a statement that writes on its connections is
refused (``WriteInReadOnlyRequest``, a bug: the request should have said it writes), where a
transaction would have rolled it back in silence. The little it must write (the login record's
last use, the end of a login) it writes inside ``writing()``, in a transaction of its own.
"""

from __future__ import annotations

import contextlib
import re
import weakref
from collections.abc import Iterator
from contextvars import ContextVar

import sqlalchemy as sa
from flask_sqlalchemy.session import Session as FlaskSQLAlchemySession

# Whether the work under way may write. The request layer says so for each request
# (app.transactions); anything else (a CLI command, a test) reads unless it says otherwise.
_may_write: ContextVar[bool] = ContextVar("tadamun_may_write", default=False)
# Whether the work under way is a request that only reads (said by app.transactions alone).
_read_only_request: ContextVar[bool] = ContextVar("tadamun_read_only_request", default=False)


def expect_writes(may_write: bool = True) -> None:
    """Tell the data layer whether the transactions that follow may write (see app.database)."""
    _may_write.set(may_write)


def may_write() -> bool:
    return _may_write.get()


def read_outside_transactions(read_only_request: bool) -> None:
    """Said by the request layer before a request's first query: whether it only reads."""
    _read_only_request.set(read_only_request)


def reads_outside_transactions() -> bool:
    """Whether the session's next transaction reads in autocommit mode."""
    return _read_only_request.get() and not _may_write.get()


@contextlib.contextmanager
def writing() -> Iterator[None]:
    """A write inside a request that otherwise only reads: the session's transactions begun in
    this block may write (and on SQLite take the write lock). The block commits or rolls back
    what it wrote itself."""
    token = _may_write.set(True)
    try:
        yield
    finally:
        _may_write.reset(token)


class WriteInReadOnlyRequest(RuntimeError):
    """A statement that writes, sent by a request that said it only reads."""


# What reads (or only steers the connection); anything else is taken for a write. Shared with the
# page cache, which must know what a statement may have changed.
READ_ONLY_PREFIXES = ("SELECT", "PRAGMA", "BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK", "SHOW", "SET ")
_MODIFYING = re.compile(r"\b(?:INSERT|UPDATE|DELETE|MERGE)\b", re.IGNORECASE)


def is_select_with_ctes(statement: str, context) -> bool:
    """A SELECT that opens with ``WITH`` (the bounded search's materialized candidate sets on
    PostgreSQL): compiled from a select, and no data-modifying common table expression."""
    compiled_statement = getattr(getattr(context, "compiled", None), "statement", None)
    return (
        statement.lstrip()[:4].upper() == "WITH"
        and isinstance(compiled_statement, sa.Select | sa.CompoundSelect)
        and not _MODIFYING.search(statement)
    )


def is_read(statement: str, context) -> bool:
    """Whether ``statement`` only reads (a doubt counts as a write)."""
    return statement.lstrip()[:9].upper().startswith(READ_ONLY_PREFIXES) or is_select_with_ctes(
        statement, context
    )


# In a pooled connection's info: whether the work it was last begun for only reads.
_READING = "tadamun_reading_outside_transactions"


def _note_how_work_begins(connection: sa.Connection) -> None:
    connection.info[_READING] = reads_outside_transactions()


def began_reading(connection: sa.Connection) -> bool:
    """Whether ``connection``'s work was begun by a request that only reads (no transaction)."""
    return bool(connection.info.get(_READING))


def _refuse_writes(conn, _cursor, statement, _parameters, context, _executemany) -> None:
    if conn.info.get(_READING) and not is_read(statement, context):
        raise WriteInReadOnlyRequest(
            "a request that said it only reads sent a statement that writes; "
            "mark the view (app.transactions.records_views) or write inside app.db_session.writing()"
        )


def watch(engine: sa.Engine) -> None:
    """Note on each connection whether its work only reads, and refuse its writes if so. Both
    hooks fire for the engine's autocommit face too (it shares the engine's events)."""
    sa.event.listen(engine, "begin", _note_how_work_begins)
    sa.event.listen(engine, "before_cursor_execute", _refuse_writes)


# PostgreSQL's driver sends BEGIN itself before a connection's first statement: a read-only
# request reads through the engine's autocommit face (the same pool, each connection put in
# autocommit mode while checked out: two attributes, no round trip). On SQLite the BEGIN is ours
# (app.database), and is left out for such work; its driver's connections stay as they are.
_autocommit_engines: weakref.WeakKeyDictionary[sa.Engine, sa.Engine] = weakref.WeakKeyDictionary()


def autocommit_engine(engine: sa.Engine) -> sa.Engine:
    if engine.dialect.name == "sqlite":
        return engine
    found = _autocommit_engines.get(engine)
    if found is None:
        found = _autocommit_engines[engine] = engine.execution_options(isolation_level="AUTOCOMMIT")
    return found


class Session(FlaskSQLAlchemySession):
    """Flask-SQLAlchemy's session, reading outside transactions in a request that only reads."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        engine = super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)
        if bind is None and reads_outside_transactions():
            return autocommit_engine(engine)
        return engine

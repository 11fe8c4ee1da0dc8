"""The transaction a request works in, and the one place it ends.

A request that may change something (any method but GET, HEAD and OPTIONS, or a page marked
``records_views`` read by someone logged in) says so to the data layer before its first query,
so that on SQLite its transaction takes the write lock when it begins (``app.database``). Any
other request only reads, and says that too: it reads outside transactions, and a statement
that writes is refused (``app.db_session``). The data layer never looks at the request itself.

Views never commit or roll back. When the view has answered, ``end_transaction`` (the first
after-request hook to run) commits a request that may write if the answer is a success (2xx)
or a redirect (3xx), and rolls it back otherwise: a form shown again with its errors (4xx)
writes nothing. Two markers say what the status cannot:

- ``commit_even_if_refused()``: the refusal is itself recorded (failed-login counters and
  lockouts, a spent second-factor code, the access log of a page shown with a 400) and must
  be kept although the answer is a 4xx;
- ``refused()``: the answer refuses what was asked although its status does not say so (a
  redirect carrying an error message, a form shown again with a 200): nothing is kept.

An exception the view does not catch rolls back: ``NotAllowed`` and ``DomainError`` become a
403 and a 409 page through the one error renderer (``app.errors``), anything else a 500 (503
when the database is busy or gone), and the teardown rolls back whatever escaped the renderer.
A commit that fails answers instead of the view: 409 when the data conflicts (a unique or
foreign key broken by a concurrent request), 503 when the database is busy or unreachable.

The commit happens before the answer is sent, so mail queued in the request (outbox rows in the
same transaction) leaves only after it (``app.worker``), and ``after_commit`` callbacks (removing
a replaced logo's file) run only once the change is kept.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable

import sqlalchemy as sa
from flask import Flask, Response, current_app, g, request, session

from app import database
from app.extensions import db

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_KEEP = "_transaction_commit_even_if_refused"
_REFUSED = "_transaction_refused"
_AFTER_COMMIT = "_transaction_after_commit"

log = logging.getLogger(__name__)


def records_views(view: Callable) -> Callable:
    """Mark a page that writes when it is read by a logged-in user (the access log of private
    contact details): such a GET takes the write lock as a POST does, since a transaction that
    reads and then writes cannot wait for the lock."""
    view.records_views = True  # type: ignore[attr-defined]
    return view


def records_views_unless(already_recorded: Callable[[], bool]) -> Callable[[Callable], Callable]:
    """``records_views``, except when ``already_recorded()`` (asked before any query) says this
    reader's view needs no write in the request (a repeat the access log counts after the
    answer)."""

    def mark(view: Callable) -> Callable:
        view.records_views = already_recorded  # type: ignore[attr-defined]
        return view

    return mark


_MAY_WRITE = "tadamun.may_write"  # in the request's environ: g may outlive a request (tests)


def login_cookies_present() -> bool:
    """Whether this request may carry a login, told without loading the user (no query): a
    user in the session, or a remember-me cookie. A doubt counts as a login."""
    remember_cookie = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    return "_user_id" in session or remember_cookie in request.cookies


def may_write() -> bool:
    """Whether this request may write: decided once, before its first query."""
    decided = request.environ.get(_MAY_WRITE)
    if decided is None:
        decided = request.environ[_MAY_WRITE] = _decide_may_write()
    return decided


def _decide_may_write() -> bool:
    if request.method not in SAFE_METHODS:
        return True
    view = current_app.view_functions.get(request.endpoint or "")
    marker = getattr(view, "records_views", False)
    if not marker:
        return False
    # Without a login nothing is recorded; the user is not loaded yet (that would be the first
    # query), so a login is told by its cookies.
    if not login_cookies_present():
        return False
    return not (callable(marker) and marker())


def commit_even_if_refused() -> None:
    """Keep what this request wrote although its answer is a refusal (4xx).

    For the bookkeeping of a refusal that must outlive it: the failure counters and lockout an
    attempt with a wrong password or code updates, a second-factor code spent before the change
    it confirmed was refused, the access-log record of a page that shows private details again
    with its form's errors."""
    setattr(g, _KEEP, True)


def refused() -> None:
    """Keep nothing this request wrote although its answer is no 4xx: a refusal answered with a
    redirect and a flashed message, or a form shown again with its errors and a 200."""
    setattr(g, _REFUSED, True)


def after_commit(callback: Callable[[], None]) -> None:
    """Call ``callback`` once the request's changes are committed (never if they are not):
    for work outside the database that must follow the change, not precede it."""
    g.setdefault(_AFTER_COMMIT, []).append(callback)


def keeps(status: int) -> bool:
    """Whether a request that may write commits, given its answer's status."""
    if g.get(_REFUSED):
        return False
    return status < 400 or bool(g.get(_KEEP))


def _rollback() -> None:
    # On a connection the database has ended there is nothing left to roll back.
    with contextlib.suppress(sa.exc.SQLAlchemyError):
        db.session.rollback()


def end_transaction(response: Response) -> Response:
    """Commit or roll back the request's transaction (see the module's docstring)."""
    if not may_write():
        return response  # nothing to keep: the session ends with the request
    if not keeps(response.status_code):
        _rollback()
        return response
    try:
        db.session.commit()
    except sa.exc.SQLAlchemyError as error:
        _rollback()
        from app import errors

        if isinstance(error, sa.exc.IntegrityError):
            log.warning("the commit of %s %s conflicted: %s", request.method, request.endpoint, error.orig)
            return current_app.make_response(errors.render_error(409))
        return errors.answer_for_unexpected(error)
    for callback in g.pop(_AFTER_COMMIT, []):
        try:
            callback()
        except Exception:
            log.exception("after the commit of %s %s", request.method, request.endpoint)
    return response


def register(app: Flask) -> None:
    """Register first: the other before-request hooks may already query (the user, the locale)."""

    @app.before_request
    def announce_writes() -> None:
        writes = may_write()
        database.expect_writes(writes)
        # A request that writes nothing reads outside transactions (app.db_session).
        database.read_outside_transactions(not writes)

    @app.teardown_request
    def forget_writes(error: BaseException | None = None) -> None:
        if error is not None:
            _rollback()
        database.expect_writes(False)
        database.read_outside_transactions(False)


def register_commit(app: Flask) -> None:
    """Register last: after-request hooks run in the reverse order, so the commit comes first and
    the others (headers, cache, log) see the answer it may replace."""
    app.after_request(end_transaction)

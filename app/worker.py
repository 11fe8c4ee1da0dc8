"""Delivering the outbox: right after the commit, through RQ, and by the sweep.

A committed outbox row (``app.models.outbox``) reaches its recipient through ``deliver()``,
called from one of three places:

1. After the commit. Session hooks note the outbox rows each flush inserted and, once the
   transaction has committed, hand their ids on. With ``JOBS_BACKEND=rq`` (Redis configured)
   each becomes an RQ job "deliver outbox row N" for ``flask worker``; with ``inline`` (no
   Redis: ``make run``, the tests, one small server) they are delivered in this process, in a
   fresh application context with its own session: at once outside a request, and once the
   whole answer has been sent inside one, so that no visitor waits for a mail server and an
   answer's timing never depends on what was queued. A rollback forgets them.
2. ``flask worker``: an RQ worker that runs those jobs (``run_outbox_row``).
3. The sweep (``flask outbox sweep``, every minute from a systemd timer): delivers rows whose
   hand-over was lost (process killed between commit and send, Redis unreachable), makes the
   retries whose back-off has passed, and settles rows whose worker died mid-delivery.

Never twice. A worker first claims a row with a conditional UPDATE (pending -> sending, with a
fresh lease token; committed) that only one claimant can win, on SQLite and PostgreSQL alike;
the sweep takes the oldest due row with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so that two
sweeps never wait for nor take each other's rows. Only then is the mail server spoken to, and the row
is marked sent afterwards, provided this worker still holds the lease.

The crash windows, and what happens in each:
- killed after the commit, before the claim: the row is pending; the sweep delivers it.
- the database lost after the claim, before the mail server is spoken to: nothing left, so the
  row is given back (pending, the attempt not counted; tried again for up to
  ``OUTBOX_RELEASE_PATIENCE_SECONDS`` while the database is away) and the sweep sends it.
- killed after the claim, during the SMTP conversation, or after it but before the "sent"
  mark: the row stays ``sending`` until its lease ends. Nobody knows whether the server took
  the message, so the sweep does NOT send it again: it marks it failed as interrupted, and
  ``flask outbox failed`` shows it to the operator, who resends it (``flask outbox retry``)
  if the recipient did not get it. Mail is delivered AT MOST ONCE by the machine.
- a job whose lease ends is run again (at least once). A job's database changes commit in
  the same transaction as its "done" mark, so a job that only writes rows takes effect once.
- the mail server refuses for now (refused connection, timeout, 4xx): pending again after an
  exponential back-off, up to ``OUTBOX_MAX_ATTEMPTS`` attempts; then failed.
- the mail server refuses for good (5xx): failed at once.
"""

from __future__ import annotations

import secrets
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Flask, current_app, has_app_context, has_request_context, request
from werkzeug.wsgi import ClosingIterator

from app import metrics
from app.database import is_database_busy, is_database_unavailable
from app.extensions import db
from app.models.base import utcnow
from app.models.outbox import OutboxKind, OutboxMessage, OutboxStatus

# Outcomes of one delivery.
SENT = "sent"
DISCARDED = "discarded"  # marked discard: went the whole way, never handed to the mail server
RETRY = "retry"
FAILED = "failed"
SKIPPED = "skipped"  # another worker has it, or it is done, or not due yet
LOST = "lost"  # the lease ran out and the row was taken from this worker

INTERRUPTED = "Interrupted while sending: it may or may not have been delivered. Retry by hand if not."
RESTORED = "Restored from a backup: it may have been sent before. Retry by hand if not."

_NEW_ROWS = "tadamun_outbox_new_rows"  # key in Session.info
# Keys in the request's WSGI environ: rows waiting for the answer, and whether the WSGI layer
# (DeliverAfterAnswer) will deliver them once the whole answer has been sent.
_AFTER_ANSWER = "tadamun.outbox_after_answer"
_ANSWER_CARRIES = "tadamun.outbox_answer_carries"


def register(app: Flask) -> None:
    """Check the settings and hand committed outbox rows to the worker after each commit."""
    backend = app.config["JOBS_BACKEND"]
    if backend not in ("inline", "rq"):
        raise RuntimeError(f"JOBS_BACKEND must be 'inline' or 'rq', not {backend!r}")
    if backend == "rq" and not app.config.get("REDIS_URL"):
        raise RuntimeError("JOBS_BACKEND=rq needs REDIS_URL")
    _listen_once()
    app.teardown_request(_end_of_request)
    app.wsgi_app = DeliverAfterAnswer(app, app.wsgi_app)
    metrics.set_queue_stats(app, queue_stats)


def _listen_once() -> None:
    # The hooks belong to the session class that every application shares.
    from app import database

    database.listen_once(db.session, "after_flush", _note_new_rows)
    database.listen_once(db.session, "after_commit", _hand_over)
    database.listen_once(db.session, "after_transaction_end", _forget)


def _note_new_rows(session, _flush_context) -> None:
    ids = [row.id for row in session.new if isinstance(row, OutboxMessage)]
    if ids:
        session.info.setdefault(_NEW_ROWS, []).extend(ids)


def _hand_over(session) -> None:
    ids = session.info.pop(_NEW_ROWS, None)
    if ids and has_app_context():
        dispatch(ids)


def _forget(session, transaction) -> None:
    # The outermost transaction ended without a commit (rollback, close): its rows are gone.
    if transaction.parent is None:
        session.info.pop(_NEW_ROWS, None)


def _end_of_request(error: BaseException | None) -> None:
    # A request that never used the database (the empty route, a page from the cache) has no
    # session: none is made just to look into it.
    session = db.session() if db.session.registry.has() else None
    if (
        error is None
        and session is not None
        and (session.info.get(_NEW_ROWS) or any(isinstance(row, OutboxMessage) for row in session.new))
    ):
        current_app.logger.error(
            "outbox: the request queued mail or jobs but never committed; nothing is sent"
        )
    waiting = request.environ.get(_AFTER_ANSWER)
    if not waiting:
        return
    # The request is over: its transaction (on SQLite, perhaps the write lock) must not outlive
    # it while the mail leaves. The application context usually ends here too and takes the
    # session with it; not when one context spans several requests (tests).
    db.session.rollback()
    if not request.environ.get(_ANSWER_CARRIES):
        # No WSGI layer will carry them (a request context pushed by hand, as in a test or a
        # shell): delivered now.
        request.environ.pop(_AFTER_ANSWER, None)
        _deliver_now(current_app._get_current_object(), waiting)


def _nothing() -> None:
    pass


class DeliverAfterAnswer:
    """WSGI layer: rows committed during a request are delivered once the server has sent the
    whole answer (when it closes the answer's iterable), so a slow mail server shows in no
    answer's timing. It works on the WSGI environ, not on a response object, so that no
    after-request hook that swaps the response can lose the hand-over."""

    def __init__(self, app: Flask, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        environ[_ANSWER_CARRIES] = True
        answer = self.wsgi_app(environ, start_response)
        if not environ.get(_AFTER_ANSWER):
            return answer  # nothing to deliver: the answer goes out untouched (file wrappers too)

        def then_deliver():
            yield from answer
            # The server asks for more only once it has written the last part. Not left to
            # close() alone: werkzeug's development server calls that only after draining the
            # connection, which a browser keeping it alive holds open for a long while.
            self._deliver(environ)

        return ClosingIterator(
            then_deliver(), [getattr(answer, "close", _nothing), lambda: self._deliver(environ)]
        )

    def _deliver(self, environ) -> None:
        held = environ.pop(_AFTER_ANSWER, None)
        if held:
            _deliver_now(self.app, held)


class ChoresAfterAnswer:
    """WSGI layer: bookkeeping that may wait (the access log's repeat views) runs once the whole
    answer has been sent, and only when one of them is due; ``chores`` are (due, run) pairs,
    ``due()`` cheap enough for every request and needing no application context."""

    def __init__(self, wsgi_app, chores: list[tuple[Callable[[], bool], Callable[[], None]]]):
        self.wsgi_app = wsgi_app
        self.chores = chores

    def __call__(self, environ, start_response):
        answer = self.wsgi_app(environ, start_response)
        due = [run for is_due, run in self.chores if is_due()]
        if not due:
            return answer
        return ClosingIterator(answer, [getattr(answer, "close", _nothing), *due])


# The access log's repeat views (services/access_log): written after the answer ---------------


def flush_repeat_views(app: Flask) -> int:
    """Write the repeat views of private contact details this worker has counted, in a
    transaction of their own. Returns how many. On failure they are kept for the next flush."""
    from app import database
    from app.services import access_log

    tally = access_log.tally_of(app)
    rows = tally.take() if tally is not None else None
    if not rows:
        return 0
    with app.app_context():
        database.expect_writes(True)  # on SQLite, the write lock from the start
        try:
            access_log.add_repeat_views(rows)
            db.session.commit()
        except sa.exc.SQLAlchemyError as error:
            db.session.rollback()
            tally.give_back(rows)
            app.logger.warning("access log: %d repeat views kept for the next flush: %s", rows.total(), error)
            return 0
        finally:
            database.expect_writes(False)
            db.session.remove()
    return rows.total()


def register_repeat_views(app: Flask) -> None:
    """Flush the access log's repeat views once an answer is sent and they are due, and when
    the process ends (gunicorn's workers end through sys.exit, which runs atexit hooks)."""
    import atexit

    from app.services import access_log

    tally = access_log.register(app)
    if not tally.on:
        return
    app.wsgi_app = ChoresAfterAnswer(app.wsgi_app, [(tally.flush_due, lambda: flush_repeat_views(app))])
    atexit.register(flush_repeat_views, app)


# Handing rows over -------------------------------------------------------------------------------


def dispatch(ids: Iterable[int]) -> None:
    """Ask for the delivery of committed rows: an RQ job each, or delivered in this process
    (inside a request, once the answer has been sent).

    Never raises: the commit has happened, and the sweep delivers whatever is not handed over.
    """
    app = current_app._get_current_object()
    ids = list(ids)
    if app.config["JOBS_BACKEND"] == "rq":
        _enqueue(app, ids)
    elif has_request_context():
        _deliver_after_the_answer(app, ids)
    else:
        _deliver_now(app, ids)


def _deliver_after_the_answer(app: Flask, ids: list[int]) -> None:
    # Delivered by DeliverAfterAnswer once the answer is sent, or at the end of the request
    # when no WSGI layer carries it (_end_of_request).
    request.environ.setdefault(_AFTER_ANSWER, []).extend(ids)


def _deliver_now(app: Flask, ids: list[int]) -> None:
    # A fresh application context has its own session and connection: delivering neither
    # disturbs the session that has just committed nor depends on its state.
    with app.app_context():
        for row_id in ids:
            try:
                deliver(row_id)
            except Exception:
                db.session.rollback()
                app.logger.exception("outbox: row %s not delivered now; the sweep will try again", row_id)


def _enqueue(app: Flask, ids: list[int]) -> None:
    import redis

    try:
        queue = job_queue(app)
        for row_id in ids:
            queue.enqueue(
                run_outbox_row,
                row_id,
                description=f"deliver outbox row {row_id}",
                job_timeout=app.config["OUTBOX_LEASE_SECONDS"],
                result_ttl=0,
                failure_ttl=7 * 24 * 3600,
            )
    except redis.exceptions.RedisError as error:
        app.logger.warning(
            "outbox: Redis unreachable (%s); %d row(s) left to the sweep", type(error).__name__, len(ids)
        )


def job_queue(app: Flask):
    """The RQ queue of this site (created once per application)."""
    from redis import Redis
    from rq import Queue

    queue = app.extensions.get("tadamun_job_queue")
    if queue is None:
        # Short timeouts: a request must not hang on an unreachable Redis.
        connection = Redis.from_url(app.config["REDIS_URL"], socket_connect_timeout=2, socket_timeout=5)
        queue = Queue(app.config["JOBS_QUEUE"], connection=connection)
        app.extensions["tadamun_job_queue"] = queue
    return queue


def run_outbox_row(row_id: int) -> str:
    """The RQ job: deliver one outbox row, in its own application context.

    Run by ``flask worker``, which gives it the application. (A bare ``rq worker`` has none:
    the job then fails, and the sweep delivers the row.)
    """
    if not has_app_context():
        raise RuntimeError("outbox rows are delivered by `flask worker`, not by a bare `rq worker`")
    with current_app._get_current_object().app_context():
        return deliver(row_id)


# Delivering one row ------------------------------------------------------------------------------


def deliver(row_id: int, *, now: datetime | None = None) -> str:
    """Claim the row and deliver it; returns what happened (SENT, RETRY, FAILED, SKIPPED, LOST)."""
    now = now or utcnow()
    token = secrets.token_hex(16)
    claimed = db.session.execute(
        sa.update(OutboxMessage)
        .where(
            OutboxMessage.id == row_id,
            OutboxMessage.status == OutboxStatus.PENDING,
            # A first attempt goes at once; a retry waits for its back-off.
            sa.or_(OutboxMessage.attempts == 0, OutboxMessage.next_attempt_at <= now),
        )
        .values(**_claim_values(token, now))
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if claimed != 1:
        return SKIPPED
    return _perform(row_id, token, now)


def _claim_values(token: str, now: datetime) -> dict:
    return {
        "status": OutboxStatus.SENDING,
        "lease_token": token,
        "lease_until": now + timedelta(seconds=current_app.config["OUTBOX_LEASE_SECONDS"]),
        "attempts": OutboxMessage.attempts + 1,
    }


def _perform(row_id: int, token: str, now: datetime) -> str:
    from app.services import mail
    from app.services.outbox import JOBS

    # Until the mail server is spoken to, nothing has left: a database that goes away here
    # (PostgreSQL restarting, SQLite locked too long) gives the row back rather than leaving it
    # "sending" for its lease to end as "interrupted", a mail held that was never sent.
    try:
        row = db.session.get(OutboxMessage, row_id, populate_existing=True)
        if row is None:  # purged meanwhile
            db.session.rollback()
            return SKIPPED
        # Read now: after the commit below, touching the row would open a new transaction.
        attempts, kind, job_name = row.attempts, row.kind, row.job_name
        if kind == OutboxKind.MAIL and row.discard:
            return _done(row_id, token, now, erase_body=True, status=OutboxStatus.DISCARDED)
        if kind == OutboxKind.MAIL:
            try:
                message = mail.message_from_outbox(row)
            except Exception as error:
                if _database_away(error):
                    raise
                db.session.rollback()  # a fault of ours: counted, retried, failed in the end
                return _failed(row_id, token, attempts, now, _describe(error))
        else:
            handler = JOBS.get(job_name or "")
            arguments = dict(row.payload or {})
        db.session.commit()  # no transaction stays open while the mail server is spoken to
    except Exception as error:
        if not _database_away(error):
            raise
        db.session.rollback()
        return _release_unsent(row_id, token, now, error)

    if kind == OutboxKind.MAIL:
        try:
            mail.transmit(message)
        except mail.PermanentMailError as error:
            outcome = _failed(row_id, token, attempts, now, str(error), permanent=True)
            if error.recipient_refused:
                _mark_bounced(message.recipients[0], str(error))
            return outcome
        except Exception as error:
            return _failed(row_id, token, attempts, now, _describe(error))
        return _done(row_id, token, now, erase_body=True)

    if handler is None:
        return _failed(row_id, token, attempts, now, f"No job is registered as {job_name!r}", permanent=True)
    # The job's transaction starts with a write to its own row: on SQLite it then holds the
    # write lock from the start (a transaction that reads first cannot wait for it).
    if not _still_ours(row_id, token):
        return LOST
    try:
        handler(**arguments)
        db.session.flush()
    except Exception as error:
        db.session.rollback()
        return _failed(row_id, token, attempts, now, _describe(error))
    return _done(row_id, token, now)  # in the job's own transaction


def _database_away(error: BaseException) -> bool:
    """The database cannot be reached now (restarting, connection dropped, locked too long), as
    the error pages tell it: not a statement that is wrong."""
    return is_database_unavailable(error) or is_database_busy(error)


def _release_unsent(row_id: int, token: str, now: datetime, error: BaseException) -> str:
    """Give back a claimed row that never reached the mail server: pending, due now, the attempt
    not counted (the mail server was never tried).

    The database has just failed, so the release is tried again with growing waits for up to
    ``OUTBOX_RELEASE_PATIENCE_SECONDS`` (a restart takes seconds). If it is still away then,
    the error is raised and the claim is left to its lease: held as interrupted, as for a worker
    that died, which the operator sees in ``flask outbox failed``.
    """
    patience = current_app.config["OUTBOX_RELEASE_PATIENCE_SECONDS"]
    # The class only: an OperationalError's text quotes the statement and its parameters.
    reason = f"{type(error).__name__}: the database went away before the message was sent"
    waited, wait = 0.0, 0.5
    while True:
        try:
            released = db.session.execute(
                sa.update(OutboxMessage)
                .where(OutboxMessage.id == row_id, OutboxMessage.lease_token == token)
                .values(
                    status=OutboxStatus.PENDING,
                    lease_token=None,
                    lease_until=None,
                    next_attempt_at=now,
                    attempts=OutboxMessage.attempts - 1,
                    last_error=reason,
                )
                .execution_options(synchronize_session=False)
            ).rowcount
            db.session.commit()
            break
        except Exception as failure:
            db.session.rollback()
            if not _database_away(failure):
                raise
            if waited >= patience:
                current_app.logger.error(
                    "outbox: row %s claimed but not sent; the database stayed away, so its lease "
                    "will end it as interrupted",
                    row_id,
                )
                raise
            time.sleep(wait)
            waited += wait
            wait *= 2
    if released != 1:
        return LOST
    current_app.logger.warning(
        "outbox: row %s put back unsent (%s); the next sweep delivers it", row_id, type(error).__name__
    )
    return RETRY


def _mark_bounced(address: str, error: str) -> None:
    """The server refused the address for good: no more digests or notifications go to it."""
    from app.services import notifications

    if notifications.mark_bounced(address, error):
        current_app.logger.warning("outbox: an address was refused for good and marked as bounced")
    db.session.commit()


def _still_ours(row_id: int, token: str) -> bool:
    touched = db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == row_id, OutboxMessage.lease_token == token)
        .values(lease_until=OutboxMessage.lease_until)
        .execution_options(synchronize_session=False)
    ).rowcount
    if touched != 1:
        db.session.rollback()
    return touched == 1


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:500]


def _done(
    row_id: int,
    token: str,
    now: datetime,
    *,
    erase_body: bool = False,
    status: OutboxStatus = OutboxStatus.SENT,
) -> str:
    values = {
        "status": status,
        "finished_at": now,
        "lease_token": None,
        "lease_until": None,
        "last_error": None,
    }
    if erase_body:
        values["body"] = None  # it carried signed links; the recipient has them now
        values["headers"] = None  # so may they (an unsubscribe link)
    # Still ours? (A mail the sweep marked interrupted still carries our token: it was sent.)
    marked = db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == row_id, OutboxMessage.lease_token == token)
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if marked != 1:
        db.session.rollback()  # a job's changes go with it: whoever holds the row now redoes it
        current_app.logger.warning("outbox: row %s was taken from this worker (lease ran out)", row_id)
        return LOST
    db.session.commit()
    if status == OutboxStatus.DISCARDED:
        current_app.logger.info("outbox: row %s discarded unsent", row_id)
        return DISCARDED
    current_app.logger.info("outbox: row %s delivered", row_id)
    return SENT


def _failed(
    row_id: int, token: str, attempts: int, now: datetime, error: str, *, permanent: bool = False
) -> str:
    config = current_app.config
    give_up = permanent or attempts >= config["OUTBOX_MAX_ATTEMPTS"]
    values: dict = {"lease_token": None, "lease_until": None, "last_error": error[:500]}
    if give_up:
        values.update(status=OutboxStatus.FAILED, finished_at=now)
    else:
        values.update(status=OutboxStatus.PENDING, next_attempt_at=now + retry_delay(attempts))
    recorded = db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == row_id, OutboxMessage.lease_token == token)
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if recorded != 1:
        return LOST
    # The error's class only: a server's answer can quote the recipient's address.
    kind = error.split(":", 1)[0]
    if give_up:
        current_app.logger.error("outbox: row %s failed after %d attempt(s): %s", row_id, attempts, kind)
        return FAILED
    current_app.logger.warning(
        "outbox: row %s attempt %d failed (%s); next in %d s",
        row_id,
        attempts,
        kind,
        retry_delay(attempts).total_seconds(),
    )
    return RETRY


def retry_delay(attempts: int) -> timedelta:
    """Exponential back-off after the ``attempts``-th failed attempt, capped."""
    config = current_app.config
    seconds = config["OUTBOX_RETRY_BASE_SECONDS"] * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, config["OUTBOX_RETRY_MAX_SECONDS"]))


# The sweep ---------------------------------------------------------------------------------------


@dataclass
class SweepReport:
    interrupted: int = 0  # mail whose worker died mid-delivery: now failed, for the operator
    jobs_requeued: int = 0  # jobs whose worker died: pending again
    outcomes: Counter = field(default_factory=Counter)

    def __str__(self) -> str:
        delivered = ", ".join(f"{n} {what}" for what, n in sorted(self.outcomes.items())) or "nothing due"
        return f"{delivered}; {self.interrupted} interrupted mail, {self.jobs_requeued} job(s) requeued"


def sweep(*, now: datetime | None = None) -> SweepReport:
    """Settle rows whose lease ran out, then deliver every due pending row (in this process).

    Works without Redis, so mail whose RQ job was lost, or that waits for a retry, leaves.
    ``now`` decides what is due (tests pass a later time); leases and back-offs count from
    the moment each row is taken.
    """
    cutoff = now or utcnow()
    report = SweepReport()
    report.interrupted, report.jobs_requeued = _settle_expired_leases(cutoff)
    while True:
        # One row at a time: a sweep killed mid-way leaves at most the row in hand interrupted,
        # never a batch it had claimed but not started.
        token, moment = secrets.token_hex(16), max(cutoff, utcnow())
        row_id = _claim_next_due(token, cutoff, moment)
        if row_id is None:
            return report
        try:
            report.outcomes[_perform(row_id, token, moment)] += 1
        except Exception:
            db.session.rollback()
            current_app.logger.exception("outbox: row %s could not be delivered by the sweep", row_id)
            report.outcomes["error"] += 1


def _claim_next_due(token: str, cutoff: datetime, moment: datetime) -> int | None:
    is_due = sa.and_(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= cutoff)
    oldest_due = (
        sa.select(OutboxMessage.id)
        .where(is_due)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(1)
        # PostgreSQL: a row another sweep is claiming is skipped, not waited for (SQLite has one
        # writer at a time and ignores the clause).
        .with_for_update(skip_locked=True)
    )
    for _ in range(3):  # another sweep may take the row seen; a few tries, then the next sweep
        # A sweep with nothing to do writes nothing (every write would also renew the page cache).
        anything_due = db.session.scalar(sa.select(OutboxMessage.id).where(is_due).limit(1)) is not None
        db.session.commit()  # SQLite: a transaction that reads and then writes cannot wait for the lock
        if not anything_due:
            return None
        db.session.execute(
            sa.update(OutboxMessage)
            # "id = (subquery)", run once; "id IN (subquery)" would be re-run for each row on
            # PostgreSQL and, skipping the rows this statement just locked, claim them all.
            # The status is checked again on the row itself, under its lock.
            .where(
                OutboxMessage.id == oldest_due.scalar_subquery(),
                OutboxMessage.status == OutboxStatus.PENDING,
            )
            .values(**_claim_values(token, moment))
            .execution_options(synchronize_session=False)
        )
        row_id = db.session.scalar(sa.select(OutboxMessage.id).where(OutboxMessage.lease_token == token))
        db.session.commit()
        if row_id is not None:
            return row_id
    return None


def _settle_expired_leases(now: datetime) -> tuple[int, int]:
    expired = sa.and_(OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.lease_until < now)
    anything_expired = db.session.scalar(sa.select(OutboxMessage.id).where(expired).limit(1)) is not None
    db.session.commit()
    if not anything_expired:
        return 0, 0
    max_attempts = current_app.config["OUTBOX_MAX_ATTEMPTS"]
    # Mail: maybe sent, maybe not; at most once, so the operator decides. The lease token
    # stays, so a worker that was only slow can still mark it sent.
    interrupted = db.session.execute(
        sa.update(OutboxMessage)
        .where(expired, OutboxMessage.kind == OutboxKind.MAIL)
        .values(status=OutboxStatus.FAILED, finished_at=now, last_error=INTERRUPTED)
        .execution_options(synchronize_session=False)
    ).rowcount
    requeued = db.session.execute(
        sa.update(OutboxMessage)
        .where(expired, OutboxMessage.kind == OutboxKind.JOB, OutboxMessage.attempts < max_attempts)
        .values(status=OutboxStatus.PENDING, lease_token=None, lease_until=None, next_attempt_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.execute(
        sa.update(OutboxMessage)
        .where(expired, OutboxMessage.kind == OutboxKind.JOB)
        .values(
            status=OutboxStatus.FAILED,
            lease_token=None,
            lease_until=None,
            finished_at=now,
            last_error="Interrupted too many times",
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if interrupted:
        current_app.logger.error(
            "outbox: %d mail(s) interrupted mid-delivery: see `flask outbox failed`", interrupted
        )
    return interrupted, requeued


# For the operator --------------------------------------------------------------------------------


def counts() -> dict[str, int]:
    rows = db.session.execute(
        sa.select(OutboxMessage.status, sa.func.count()).group_by(OutboxMessage.status)
    ).all()
    found = {str(status): n for status, n in rows}
    return {status.value: found.get(status.value, 0) for status in OutboxStatus}


def queue_stats() -> metrics.QueueStats:
    """For /metrics: rows waiting or being sent, and rows given up on (the operator's turn)."""
    waiting = (OutboxStatus.PENDING, OutboxStatus.SENDING)
    rows = db.session.execute(
        sa.select(OutboxMessage.status, sa.func.count())
        .where(OutboxMessage.status.in_([*waiting, OutboxStatus.FAILED]))  # the index, not every sent row
        .group_by(OutboxMessage.status)
    ).all()
    found = {OutboxStatus(status): n for status, n in rows}
    return metrics.QueueStats(
        depth=sum(found.get(status, 0) for status in waiting), failed=found.get(OutboxStatus.FAILED, 0)
    )


def failed_messages() -> list[OutboxMessage]:
    return list(
        db.session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.FAILED)
            .order_by(OutboxMessage.id)
        )
    )


def retry(ids: Iterable[int] | None = None) -> list[int]:
    """Put failed rows (these, or all) back to pending as new, commit, and hand them over."""
    condition = OutboxMessage.status == OutboxStatus.FAILED
    if ids is not None:
        condition = sa.and_(condition, OutboxMessage.id.in_(list(ids)))
    chosen = list(db.session.scalars(sa.select(OutboxMessage.id).where(condition).order_by(OutboxMessage.id)))
    db.session.commit()
    if not chosen:
        return []
    db.session.execute(
        sa.update(OutboxMessage)
        .where(condition, OutboxMessage.id.in_(chosen))
        .values(
            status=OutboxStatus.PENDING,
            attempts=0,
            next_attempt_at=utcnow(),
            lease_token=None,
            lease_until=None,
            finished_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    dispatch(chosen)
    return chosen


def purge_sent(older_than: timedelta, *, now: datetime | None = None) -> int:
    """Delete delivered (and discarded) rows finished more than ``older_than`` ago; returns how many."""
    cutoff = (now or utcnow()) - older_than
    deleted = db.session.execute(
        sa.delete(OutboxMessage)
        .where(
            OutboxMessage.status.in_([OutboxStatus.SENT, OutboxStatus.DISCARDED]),
            OutboxMessage.finished_at < cutoff,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return deleted


def hold_after_restore() -> int:
    """After a restore, mail the backup holds as not yet sent may have left since: hold it.

    At most once: it is marked failed for the operator rather than sent a second time.
    """
    inspector = sa.inspect(db.engine)
    if not inspector.has_table(OutboxMessage.__tablename__):
        return 0
    held = db.session.execute(
        sa.update(OutboxMessage)
        .where(
            OutboxMessage.kind == OutboxKind.MAIL,
            OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]),
            # A message to be discarded is never sent: the sweep settles it as usual.
            OutboxMessage.discard.is_(False),
        )
        .values(status=OutboxStatus.FAILED, finished_at=utcnow(), last_error=RESTORED)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return held


# `flask worker` ----------------------------------------------------------------------------------


# How long `flask worker` waits before starting RQ's loop again after it quit on an error.
RQ_RESTART_SECONDS = 5.0


def run(app: Flask, *, burst: bool = False, interval: float = 30.0) -> None:
    """With Redis: an RQ worker on this site's queue. Without: the sweep every ``interval`` s."""
    if app.config["JOBS_BACKEND"] == "rq":
        _run_rq(app, burst=burst)
        return

    stop = threading.Event()
    if not burst:
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
    while True:
        with app.app_context():
            report = sweep()
        if report.outcomes or report.interrupted or report.jobs_requeued:
            app.logger.info("outbox sweep: %s", report)
        if burst or stop.wait(interval):
            return


def _run_rq(app: Flask, *, burst: bool) -> None:
    """RQ's worker loop, started again when it quits on an error rather than on a stop request.

    RQ retries a lost Redis connection only while it waits for a job: one lost while a job runs
    (Redis restarted under load) ends its loop with "found an unhandled exception, quitting", and
    its teardown may raise the same error again. The mail would still leave (the sweep takes over
    after the lease), but the worker would be gone until systemd restarts it; here it waits and
    starts a new loop. A stop request (SIGTERM, SIGINT) and ``--burst`` end it as before."""
    from redis import Redis
    from redis.exceptions import ConnectionError as RedisConnectionError
    from rq import SimpleWorker

    # Jobs run in this process (no fork): the database pool is never shared with a child, and
    # each job has its own application context (run_outbox_row).
    connection = Redis.from_url(app.config["REDIS_URL"])
    queue_name = job_queue(app).name
    while True:
        worker = SimpleWorker([queue_name], connection=connection)
        try:
            worker.work(burst=burst, with_scheduler=False)
        except RedisConnectionError as error:
            app.logger.warning("job worker: Redis connection lost (%s)", error)
        # RQ notes a SIGTERM or SIGINT here (request_stop) whether a job was running or not.
        if burst or getattr(worker, "_shutdown_requested_date", None) is not None:
            return
        app.logger.warning(
            "job worker: RQ's loop ended on an error; starting again in %.0f s", RQ_RESTART_SECONDS
        )
        if _stopped_within(RQ_RESTART_SECONDS):
            return


def _stopped_within(seconds: float) -> bool:
    """Wait ``seconds``; True when SIGTERM or SIGINT came meanwhile (RQ's own handlers, left
    from its loop, would raise in the middle of the wait)."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    return stop.wait(seconds)

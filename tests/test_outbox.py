"""Mail and jobs leave the request: written with the change, delivered after the commit, once.

The mail server here is a stand-in for ``smtplib.SMTP`` that can be down, busy, refuse a
recipient, or accept; time is moved forward by handing the sweep a later "now".
"""

from __future__ import annotations

import smtplib
import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import current_app

from app import worker
from app.extensions import db
from app.models import OutboxMessage, OutboxStatus
from app.models.base import utcnow
from app.services import mail
from app.services import outbox as outbox_service
from tests.builders import make_user
from tests.conftest import app_context, empty_all_tables, run_command, scalar, scalars


class FakeMailServer:
    """What a mail server does with our connections, as ``smtplib.SMTP`` sees it."""

    def __init__(self) -> None:
        self.mode = "accept"  # down | busy | refuse | drop-after-accept | slow | crash
        self.connections = 0
        self.accepted: list[bytes] = []
        self._lock = threading.Lock()

    def smtp_class(self):
        server = self

        class FakeSMTP:
            def __init__(self, host, port, timeout=None):
                assert timeout, "a connection without a timeout could hold a worker forever"
                with server._lock:
                    server.connections += 1
                if server.mode == "down":
                    raise ConnectionRefusedError(111, "Connection refused")

            def starttls(self):
                pass

            def login(self, username, password):
                pass

            def sendmail(self, sender, recipients, data):
                if server.mode == "busy":
                    raise smtplib.SMTPDataError(451, b"4.3.0 try again later")
                if server.mode == "refuse":
                    raise smtplib.SMTPRecipientsRefused({r: (550, b"5.1.1 no such user") for r in recipients})
                if server.mode == "crash":
                    raise KeyboardInterrupt  # the worker dies mid-conversation (SIGKILL, power cut)
                if server.mode == "slow":
                    time.sleep(0.3)
                with server._lock:
                    server.accepted.append(data)
                return {}

            def quit(self):
                if server.mode == "drop-after-accept":
                    raise smtplib.SMTPServerDisconnected("connection lost after the message was accepted")

            def close(self):
                pass

        return FakeSMTP


@pytest.fixture
def mail_server(monkeypatch) -> FakeMailServer:
    server = FakeMailServer()
    monkeypatch.setattr(smtplib, "SMTP", server.smtp_class())
    return server


@pytest.fixture
def smtp_app(make_app, mail_server):
    """The site sending through SMTP (the fake server), four attempts per message; as with
    ``app_ctx``, one application context for the test, which calls services and makes no request."""
    application = make_app(MAIL_BACKEND="smtp", OUTBOX_MAX_ATTEMPTS=4)
    with application.app_context():
        yield application
    with app_context(application):
        empty_all_tables()


@pytest.fixture
def lost_hand_over(monkeypatch):
    """The process dies right after the commit, before it hands the new rows to a worker.

    Returns a function that puts the hand-over back (a process that works again).
    """
    real = worker._deliver_now
    monkeypatch.setattr(worker, "_deliver_now", lambda app, ids: None)
    return lambda: monkeypatch.setattr(worker, "_deliver_now", real)


def queue_mail(to: str = "amal@example.org", *, commit: bool = True) -> int:
    row = outbox_service.enqueue_mail(
        to, "Reset your Tadamun password", "https://tadamun.test/auth/reset/SECRET"
    )
    db.session.flush()
    row_id = row.id
    if commit:
        db.session.commit()
    return row_id


def row(row_id: int) -> OutboxMessage:
    """The row as it stands, read in a context of its own (the test's session may hold an older copy)."""
    with current_app.app_context():
        return db.session.get(OutboxMessage, row_id)


def after_grace() -> timedelta:
    return timedelta(seconds=61)


# The request's transaction decides ---------------------------------------------------------------


def test_mail_queued_in_a_transaction_that_rolls_back_is_never_sent(app, app_ctx, outbox):
    user = make_user(email="amal@example.org")
    db.session.commit()
    with app.test_request_context():
        mail.send_password_reset(user)
        db.session.flush()
        assert outbox == []  # nothing leaves before the commit
        db.session.rollback()

    assert outbox == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0
    assert worker.sweep(now=utcnow() + after_grace()).outcomes == {}
    assert outbox == []


def test_mail_queued_in_a_transaction_that_commits_is_sent_once(app, app_ctx, outbox):
    user = make_user(email="amal@example.org")
    with app.test_request_context():
        mail.send_password_reset(user)
        db.session.commit()

    [message] = outbox
    assert message.recipients == ["amal@example.org"]
    [sent] = db.session.scalars(sa.select(OutboxMessage)).all()
    assert (sent.status, sent.attempts) == (OutboxStatus.SENT, 1)
    assert sent.body is None  # the signed link does not stay in the database
    assert message.msgId == f"<{sent.key}@tadamun.test>"
    # Nothing sends it again: not a late worker, not the sweep.
    assert worker.deliver(sent.id) == worker.SKIPPED
    assert worker.sweep(now=utcnow() + timedelta(days=1)).outcomes == {}
    assert len(outbox) == 1


def test_a_request_sends_its_mail_after_its_commit_once_the_answer_has_gone(app, client, outbox):
    with app_context(app):
        make_user(email="amal@example.org")
        db.session.commit()

    response = client.post("/auth/reset", data={"email": "amal@example.org"}, buffered=False)

    assert response.status_code == 302
    # Committed, but the visitor does not wait for the mail server: nothing has left yet.
    assert outbox == []
    assert scalar(app, sa.select(OutboxMessage.status)) == OutboxStatus.PENDING
    response.close()  # the server has sent the whole answer
    [message] = outbox
    assert message.recipients == ["amal@example.org"]
    assert scalar(app, sa.select(OutboxMessage.status)) == OutboxStatus.SENT


def test_a_message_marked_discard_goes_the_whole_way_and_is_never_sent(app_ctx, outbox, monkeypatch):
    def queue_discarded() -> int:
        row = outbox_service.enqueue_mail("nobody@example.org", "Reset", "a link", discard=True)
        db.session.commit()  # handed over after the commit, like any other message
        return row.id

    first = queue_discarded()
    assert (row(first).status, row(first).body) == (OutboxStatus.DISCARDED, None)
    # The address someone typed is not kept: discarded rows are no list of tried addresses.
    assert row(first).recipient == outbox_service.DISCARDED_RECIPIENT

    # Its hand-over lost: the sweep settles it the same way.
    monkeypatch.setattr(worker, "_deliver_now", lambda app, ids: None)
    second = queue_discarded()
    assert row(second).status == OutboxStatus.PENDING
    assert worker.hold_after_restore() == 0  # nothing to hold: it is never sent anyway
    assert worker.sweep(now=utcnow() + after_grace()).outcomes == {worker.DISCARDED: 1}
    monkeypatch.undo()

    # Even put back by hand, it is not sent.
    db.session.execute(sa.update(OutboxMessage).values(status=OutboxStatus.FAILED))
    db.session.commit()
    assert worker.retry(None) == [first, second]
    assert outbox == []
    assert {row(first).status, row(second).status} == {OutboxStatus.DISCARDED}


def test_a_key_queues_a_message_only_once(app_ctx, outbox):
    def weekly_digest():
        return outbox_service.enqueue_mail(
            "amal@example.org", "Your week", "3 pledges.", key="digest-W05-amal"
        )

    first = weekly_digest()
    db.session.commit()
    second = weekly_digest()
    db.session.commit()

    assert first.id == second.id
    assert len(outbox) == 1


# Crashes -----------------------------------------------------------------------------------------


def test_a_crash_between_commit_and_send_loses_nothing(app_ctx, outbox, lost_hand_over):
    row_id = queue_mail()
    assert outbox == []
    assert row(row_id).status == OutboxStatus.PENDING

    # The sweep leaves fresh rows to the worker for a minute, then delivers what is left.
    assert worker.sweep().outcomes == {}
    report = worker.sweep(now=utcnow() + after_grace())

    assert report.outcomes == {worker.SENT: 1}
    assert len(outbox) == 1
    assert row(row_id).status == OutboxStatus.SENT
    assert worker.sweep(now=utcnow() + timedelta(hours=1)).outcomes == {}
    assert len(outbox) == 1


def test_mail_interrupted_mid_delivery_is_held_for_the_operator_never_sent_twice(
    smtp_app, mail_server, lost_hand_over
):
    row_id = queue_mail()
    mail_server.mode = "crash"
    with pytest.raises(KeyboardInterrupt):
        worker.deliver(row_id)
    db.session.rollback()
    assert row(row_id).status == OutboxStatus.SENDING
    mail_server.mode = "accept"

    # Within its lease the row is left alone; after it, it is held, not resent.
    assert worker.sweep(now=utcnow() + timedelta(seconds=60)).interrupted == 0
    report = worker.sweep(now=utcnow() + timedelta(seconds=smtp_app.config["OUTBOX_LEASE_SECONDS"] + 1))

    assert report.interrupted == 1
    held = row(row_id)
    assert held.status == OutboxStatus.FAILED
    assert held.last_error == worker.INTERRUPTED
    assert mail_server.accepted == []
    assert worker.sweep(now=utcnow() + timedelta(days=1)).outcomes == {}
    assert mail_server.accepted == []

    # The operator, having checked, sends it again.
    lost_hand_over()
    result = run_command(smtp_app, "outbox", "retry", str(row_id))
    assert result.exit_code == 0, result.output
    assert len(mail_server.accepted) == 1
    assert row(row_id).status == OutboxStatus.SENT


def test_a_sweep_killed_mid_way_holds_only_the_message_in_hand(smtp_app, mail_server, lost_hand_over):
    ids = [queue_mail(f"member{n}@example.org") for n in range(3)]
    mail_server.mode = "crash"
    first_sweep = utcnow() + after_grace()
    with pytest.raises(KeyboardInterrupt):
        worker.sweep(now=first_sweep)
    db.session.rollback()
    mail_server.mode = "accept"

    lease = timedelta(seconds=smtp_app.config["OUTBOX_LEASE_SECONDS"])
    report = worker.sweep(now=first_sweep + lease + timedelta(seconds=1))

    assert report.interrupted == 1
    assert report.outcomes == {worker.SENT: 2}
    assert sorted(row(row_id).status for row_id in ids) == sorted(
        [OutboxStatus.FAILED, OutboxStatus.SENT, OutboxStatus.SENT]
    )


def test_a_slow_worker_that_finishes_after_its_lease_still_records_the_mail_as_sent(
    smtp_app, mail_server, lost_hand_over
):
    row_id = queue_mail()
    token = "t" * 32
    # A worker claimed it long ago and is still talking to the server ...
    db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == row_id)
        .values(status=OutboxStatus.SENDING, lease_token=token, lease_until=utcnow(), attempts=1)
    )
    db.session.commit()
    worker.sweep(now=utcnow() + timedelta(seconds=1))
    assert row(row_id).status == OutboxStatus.FAILED
    # ... and now finishes: what happened is what the row says.
    assert worker._done(row_id, token, utcnow(), erase_body=True) == worker.SENT
    assert row(row_id).status == OutboxStatus.SENT


def database_gone() -> sa.exc.OperationalError:
    """What psycopg raises, through SQLAlchemy, when PostgreSQL has gone away mid-session."""
    import psycopg

    return sa.exc.OperationalError(
        "SELECT", {}, psycopg.OperationalError("server closed the connection unexpectedly")
    )


def test_the_database_lost_between_the_claim_and_the_send_puts_the_mail_back_unsent(
    smtp_app, mail_server, lost_hand_over, monkeypatch
):
    # PostgreSQL restarts just after a worker claimed a password-reset mail, before it spoke
    # to the mail server. Nothing was sent, so the mail must go out later, not be held as
    # "interrupted" for an operator who may never look.
    row_id = queue_mail()
    real = mail.message_from_outbox
    calls = iter([database_gone()])

    def message_from_outbox(row):
        error = next(calls, None)
        if error is not None:
            raise error
        return real(row)

    monkeypatch.setattr(mail, "message_from_outbox", message_from_outbox)
    assert worker.deliver(row_id) == worker.RETRY

    released = row(row_id)
    assert released.status == OutboxStatus.PENDING
    assert released.lease_token is None
    assert released.attempts == 0  # the mail server was never tried
    assert mail_server.connections == 0
    # The next sweep sends it, once.
    assert worker.sweep(now=utcnow() + after_grace()).outcomes == {worker.SENT: 1}
    assert len(mail_server.accepted) == 1
    assert row(row_id).status == OutboxStatus.SENT


def database_gone_at_commits(monkeypatch, failing) -> list[float]:
    """``db.session.commit`` fails as when the database is gone, at the commits whose number
    (from 1, the claim) ``failing`` accepts; ``time.sleep`` in the worker records its waits
    instead of waiting. Returns the waits."""
    waits: list[float] = []
    monkeypatch.setattr(worker.time, "sleep", waits.append)
    real_commit = db.session.commit
    commits = iter(range(1, 10_000))

    def commit():
        if failing(next(commits)):
            db.session.rollback()
            raise database_gone()
        real_commit()

    monkeypatch.setattr(db.session, "commit", commit)
    return waits


def test_a_claim_is_released_once_the_database_is_back_within_the_patience(
    smtp_app, mail_server, lost_hand_over, monkeypatch
):
    row_id = queue_mail()
    # 1: the claim; 2: the commit before the send; 3, 4: the first two tries to release.
    waits = database_gone_at_commits(monkeypatch, lambda number: number in (2, 3, 4))
    assert worker.deliver(row_id) == worker.RETRY

    assert len(waits) == 2 and sum(waits) <= smtp_app.config["OUTBOX_RELEASE_PATIENCE_SECONDS"]
    assert row(row_id).status == OutboxStatus.PENDING
    assert mail_server.connections == 0


def test_a_database_away_longer_than_the_patience_leaves_the_claim_to_its_lease(
    smtp_app, mail_server, lost_hand_over, monkeypatch
):
    row_id = queue_mail()
    waits = database_gone_at_commits(monkeypatch, lambda number: number > 1)  # gone after the claim
    with pytest.raises(sa.exc.OperationalError):
        worker.deliver(row_id)
    monkeypatch.undo()

    assert sum(waits) >= smtp_app.config["OUTBOX_RELEASE_PATIENCE_SECONDS"]
    assert mail_server.connections == 0
    # Still "sending": the lease decides, as for any worker that vanished (held for the operator).
    assert row(row_id).status == OutboxStatus.SENDING


def test_a_message_that_cannot_be_built_is_retried_then_failed_never_left_sending(
    smtp_app, mail_server, lost_hand_over, monkeypatch
):
    row_id = queue_mail()

    def broken(row):
        raise ValueError("a template that no longer renders")

    monkeypatch.setattr(mail, "message_from_outbox", broken)
    assert worker.deliver(row_id) == worker.RETRY
    failed_once = row(row_id)
    assert failed_once.status == OutboxStatus.PENDING
    assert failed_once.attempts == 1  # a fault of ours counts: it ends after OUTBOX_MAX_ATTEMPTS
    assert failed_once.last_error.startswith("ValueError")
    assert mail_server.connections == 0


# The mail server ---------------------------------------------------------------------------------


@pytest.mark.parametrize("trouble", ["down", "busy"])
def test_mail_server_trouble_is_retried_with_growing_waits_then_marked_failed(smtp_app, mail_server, trouble):
    mail_server.mode = trouble
    row_id = queue_mail()  # first attempt right after the commit
    waiting = row(row_id)
    assert (waiting.status, waiting.attempts) == (OutboxStatus.PENDING, 1)
    assert trouble in ("down", "busy") and waiting.last_error

    gaps = []
    while waiting.status == OutboxStatus.PENDING:
        due = waiting.next_attempt_at
        assert worker.sweep(now=due - timedelta(seconds=1)).outcomes == {}  # not before its time
        assert row(row_id).attempts == waiting.attempts
        worker.sweep(now=due)
        waiting, previous_due = row(row_id), due
        if waiting.status == OutboxStatus.PENDING:
            gaps.append((waiting.next_attempt_at - previous_due).total_seconds())

    assert gaps == [60, 120]  # 30 s after the first failure, then doubling
    assert (waiting.status, waiting.attempts) == (OutboxStatus.FAILED, 4)
    assert mail_server.accepted == []
    assert worker.sweep(now=utcnow() + timedelta(days=1)).outcomes == {}
    assert mail_server.connections == 4

    listing = run_command(smtp_app, "outbox", "failed")
    assert f"#{row_id}" in listing.output and "amal@example.org" in listing.output
    assert "1 failed message(s)." in listing.output

    # The server is back; the operator sends what failed.
    mail_server.mode = "accept"
    result = run_command(smtp_app, "outbox", "retry", "--all")
    assert result.exit_code == 0, result.output
    assert len(mail_server.accepted) == 1
    assert row(row_id).status == OutboxStatus.SENT


def test_a_recipient_refused_for_good_is_failed_at_once(smtp_app, mail_server):
    mail_server.mode = "refuse"
    row_id = queue_mail("nobody@example.org")
    failed = row(row_id)
    assert (failed.status, failed.attempts) == (OutboxStatus.FAILED, 1)
    assert "550" in failed.last_error


def test_a_recipient_refused_for_good_is_marked_bounced_and_a_busy_server_is_not(smtp_app, mail_server):
    from app.models import MailBounce
    from app.services import notifications

    mail_server.mode = "busy"
    queue_mail("busy@example.org")
    assert db.session.get(MailBounce, "busy@example.org") is None  # 451: tried again later
    mail_server.mode = "refuse"
    queue_mail("Nobody@example.org")
    with current_app.app_context():
        assert notifications.is_bounced("nobody@example.org")
        assert "550" in db.session.get(MailBounce, "nobody@example.org").reason


def test_a_connection_lost_after_the_server_accepted_does_not_resend(smtp_app, mail_server):
    mail_server.mode = "drop-after-accept"
    row_id = queue_mail()
    assert row(row_id).status == OutboxStatus.SENT
    assert len(mail_server.accepted) == 1


def test_a_real_refused_connection_is_retried(make_app):
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    application = make_app(
        MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=closed_port, MAIL_TIMEOUT=2
    )
    try:
        with app_context(application):
            row_id = queue_mail()
            waiting = row(row_id)
        assert (waiting.status, waiting.attempts) == (OutboxStatus.PENDING, 1)
        assert "ConnectionRefusedError" in waiting.last_error
    finally:
        with app_context(application):
            empty_all_tables()


# Two workers -------------------------------------------------------------------------------------


def run_in_threads(app, *calls):
    results, errors = [], []

    def run(call):
        with app.app_context():
            try:
                results.append(call())
            except Exception as error:  # reported below
                errors.append(error)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    return results


def test_two_workers_given_the_same_row_send_it_once(smtp_app, mail_server, lost_hand_over):
    row_id = queue_mail()
    mail_server.mode = "slow"

    outcomes = run_in_threads(smtp_app, lambda: worker.deliver(row_id), lambda: worker.deliver(row_id))

    assert sorted(outcomes) == [worker.SENT, worker.SKIPPED]
    assert len(mail_server.accepted) == 1


def test_two_sweeps_at_once_send_every_message_once(smtp_app, mail_server, lost_hand_over):
    ids = [queue_mail(f"member{n}@example.org") for n in range(12)]
    later = utcnow() + after_grace()

    run_in_threads(smtp_app, lambda: worker.sweep(now=later), lambda: worker.sweep(now=later))

    assert len(mail_server.accepted) == 12
    assert len({data for data in mail_server.accepted}) == 12
    assert {row(row_id).status for row_id in ids} == {OutboxStatus.SENT}


# Jobs --------------------------------------------------------------------------------------------

RUNS: list[dict] = []


@outbox_service.job("tests.record")
def record_job(**arguments):
    RUNS.append(arguments)
    if arguments.get("fail"):
        raise RuntimeError("the job failed")
    if arguments.get("email"):
        make_user(email=arguments["email"])  # a database change, committed with the "done" mark


@pytest.fixture
def runs():
    RUNS.clear()
    yield RUNS
    RUNS.clear()


def test_a_job_runs_once_after_the_commit_and_never_after_a_rollback(app_ctx, runs):
    outbox_service.enqueue_job("tests.record", n=1)
    db.session.rollback()
    outbox_service.enqueue_job("tests.record", n=2, email="made-by-a-job@example.org")
    assert runs == []
    db.session.commit()

    assert runs == [{"n": 2, "email": "made-by-a-job@example.org"}]
    from app.models import User

    assert db.session.scalar(sa.select(User.email).where(User.email == "made-by-a-job@example.org"))
    assert worker.sweep(now=utcnow() + timedelta(days=1)).outcomes == {}
    assert len(runs) == 1


def test_a_failing_job_is_retried_and_its_changes_undone(app_ctx, runs):
    job_row = outbox_service.enqueue_job("tests.record", fail=True)
    db.session.commit()
    waiting = row(job_row.id)
    assert (waiting.status, waiting.attempts) == (OutboxStatus.PENDING, 1)
    assert "the job failed" in waiting.last_error
    worker.sweep(now=waiting.next_attempt_at)
    assert len(runs) == 2


def test_an_unknown_job_is_refused_when_queued():
    with pytest.raises(KeyError):
        outbox_service.enqueue_job("no.such.job")


# Operator commands -------------------------------------------------------------------------------


def test_outbox_status_and_purge(app, app_ctx, outbox):
    old = queue_mail()
    discarded = outbox_service.enqueue_mail("nobody@example.org", "Reset", "a link", discard=True)
    db.session.commit()
    old_discarded = discarded.id
    db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id.in_([old, old_discarded]))
        .values(finished_at=utcnow() - timedelta(days=31))
    )
    db.session.commit()
    recent = queue_mail()

    assert "sent 2, failed 0, discarded 1" in run_command(app, "outbox", "status").output
    result = run_command(app, "outbox", "purge")

    assert "2 delivered or discarded message(s) older than 30 days deleted." in result.output
    assert scalars(app, sa.select(OutboxMessage.id)) == [recent]


def test_the_worker_without_redis_sweeps(app, app_ctx, outbox, lost_hand_over):
    queue_mail()
    db.session.execute(sa.update(OutboxMessage).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()

    result = run_command(app, "worker", "--burst")

    assert result.exit_code == 0, result.output
    assert len(outbox) == 1


def test_a_sweep_with_nothing_to_do_writes_nothing(app_ctx, count_queries, lost_hand_over):
    queue_mail()  # pending, but not due yet
    with count_queries() as counter:
        report = worker.sweep()
    assert report.outcomes == {}
    writes = [s for s in counter.statements if s.lstrip().upper().startswith(("UPDATE", "INSERT", "DELETE"))]
    assert writes == []

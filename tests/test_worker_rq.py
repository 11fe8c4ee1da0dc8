"""With Redis configured, mail leaves through RQ: the request enqueues, `flask worker` delivers.

The Redis test uses ``TEST_REDIS_URL`` (default: database 12 of 127.0.0.1:6379) and a queue of
its own; it is skipped when Redis cannot be reached, unless ``REQUIRE_REDIS=1``.
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app import worker
from app.extensions import db
from app.models import OutboxMessage, OutboxStatus
from app.models.base import utcnow
from app.services import outbox as outbox_service
from tests.conftest import empty_all_tables

TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/12")


def redis_or_skip() -> str:
    import redis

    try:
        redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=1).ping()
    except redis.exceptions.RedisError as error:
        if os.environ.get("REQUIRE_REDIS") == "1":
            pytest.fail(f"Redis is not reachable at {TEST_REDIS_URL} and REQUIRE_REDIS=1: {error}")
        pytest.skip(f"Redis is not reachable at {TEST_REDIS_URL}")
    return TEST_REDIS_URL


@pytest.fixture
def rq_app(app, make_app):
    """A site whose jobs go through Redis; its context is pushed over the test's ``app``."""
    url = redis_or_skip()
    application = make_app(JOBS_BACKEND="rq", REDIS_URL=url, JOBS_QUEUE=f"test-{uuid.uuid4().hex}")
    with application.app_context():
        yield application
        worker.job_queue(application).delete(delete_jobs=True)
        db.session.remove()
        empty_all_tables()


def queue_mail() -> int:
    row = outbox_service.enqueue_mail("amal@example.org", "Welcome", "Hello")
    db.session.commit()
    return row.id


@pytest.mark.redis
def test_committed_mail_is_an_rq_job_that_flask_worker_delivers_once(rq_app, outbox):
    row_id = queue_mail()

    queue = worker.job_queue(rq_app)
    assert queue.count == 1  # handed over, not sent by the request
    assert outbox == []
    assert db.session.get(OutboxMessage, row_id).status == OutboxStatus.PENDING

    result = rq_app.test_cli_runner().invoke(args=["worker", "--burst"])

    assert result.exit_code == 0, result.output
    assert [m.recipients for m in outbox] == [["amal@example.org"]]
    db.session.rollback()  # end this session's read, to see the worker's write
    assert db.session.get(OutboxMessage, row_id).status == OutboxStatus.SENT
    assert queue.count == 0
    # The same job delivered again (a duplicate in the queue, a sweep) sends nothing more.
    assert worker.run_outbox_row(row_id) == worker.SKIPPED
    assert worker.sweep(now=utcnow() + timedelta(hours=1)).outcomes == {}
    assert len(outbox) == 1


@pytest.mark.redis
def test_rolled_back_mail_never_reaches_the_queue(rq_app, outbox):
    outbox_service.enqueue_mail("amal@example.org", "Welcome", "Hello")
    db.session.flush()
    db.session.rollback()

    assert worker.job_queue(rq_app).count == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0


def test_with_redis_unreachable_the_request_succeeds_and_the_sweep_delivers(make_app, outbox, caplog):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    application = make_app(JOBS_BACKEND="rq", REDIS_URL=f"redis://127.0.0.1:{closed_port}/0")
    with application.app_context():
        try:
            row_id = queue_mail()  # the commit succeeds; the hand-over fails quietly

            assert "Redis unreachable" in caplog.text
            assert db.session.get(OutboxMessage, row_id).status == OutboxStatus.PENDING
            report = worker.sweep(now=utcnow() + timedelta(seconds=61))
            assert report.outcomes == {worker.SENT: 1}
            assert len(outbox) == 1
        finally:
            db.session.remove()
            empty_all_tables()


def test_rq_without_redis_url_refuses_to_start(make_app):
    with pytest.raises(RuntimeError, match="REDIS_URL"):
        make_app(JOBS_BACKEND="rq", REDIS_URL=None)


def test_flask_worker_starts_rqs_loop_again_when_it_quits_on_an_error_but_not_on_a_stop(
    make_app, monkeypatch
):
    """RQ's loop ends on a Redis connection lost while a job runs, and its teardown may raise it
    again (seen in `make prod-check`: Redis restarted under load, and the worker was gone): the
    worker starts a new loop; a stop request (SIGTERM) ends it."""
    import redis
    import rq

    application = make_app(JOBS_BACKEND="rq", REDIS_URL="redis://127.0.0.1:6379/12", JOBS_QUEUE="restarts")
    loops = []

    def work(self, burst=False, with_scheduler=False):
        loops.append(burst)
        if len(loops) == 1:
            return False  # RQ logged "found an unhandled exception, quitting" and broke its loop
        if len(loops) == 2:
            raise redis.exceptions.ConnectionError("Connection refused")  # from its teardown
        self._shutdown_requested_date = utcnow()  # SIGTERM: RQ's request_stop
        return True

    monkeypatch.setattr(rq.SimpleWorker, "work", work)
    monkeypatch.setattr(worker, "_stopped_within", lambda seconds: False)
    worker.run(application)
    assert loops == [False, False, False]

    # Stopped while it waits to start again: it ends there.
    loops.clear()
    monkeypatch.setattr(worker, "_stopped_within", lambda seconds: True)
    worker.run(application)
    assert loops == [False]

    # --burst: one loop, whatever ended it.
    loops.clear()
    worker.run(application, burst=True)
    assert loops == [True]

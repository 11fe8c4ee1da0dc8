"""/metrics: Prometheus figures for the operator, refused to everyone else, summed across workers."""

from __future__ import annotations

import os
import re
import runpy
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from app import metrics, worker
from app.extensions import db
from app.models import OrganizationStatus, OutboxStatus
from app.models.base import utcnow
from app.services import outbox
from tests.builders import make_organization
from tests.conftest import app_context

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "metrics-token-for-the-scraper-0123456789"


def scrape(client, **headers) -> str:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "text/plain"
    return response.get_data(as_text=True)


def sample(text: str, name: str, **labels) -> float:
    """The value of one sample, 0 when absent (a counter not yet incremented)."""
    wanted = ",".join(f'{key}="{value}"' for key, value in labels.items())
    pattern = rf"^{re.escape(name)}\{{{re.escape(wanted)}\}} (\S+)$" if labels else rf"^{name} (\S+)$"
    match = re.search(pattern, text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def test_requests_are_counted_by_route_method_and_status(client):
    before = scrape(client)
    client.get("/")
    client.get("/")
    client.get("/no-such-page")
    after = scrape(client)

    home = {"endpoint": "main.home", "method": "GET", "status": "200"}
    missing = {"endpoint": "unmatched", "method": "GET", "status": "404"}
    total = "tadamun_http_requests_total"
    assert sample(after, total, **home) - sample(before, total, **home) == 2
    assert sample(after, total, **missing) - sample(before, total, **missing) == 1
    latency = "tadamun_http_request_duration_seconds_count"
    assert (
        sample(after, latency, endpoint="main.home", status="200")
        - sample(before, latency, endpoint="main.home", status="200")
        == 2
    )


def test_paths_never_become_labels(client):
    client.get("/auth/reset/a-secret-token-in-the-path-12345")

    text = scrape(client)
    assert 'endpoint="auth.reset_password"' in text
    assert "a-secret-token" not in text


def test_pending_applications_are_counted_at_scrape_time(app, client):
    with app_context(app):
        make_organization("Waiting one", status=OrganizationStatus.PENDING)
        make_organization("Waiting two", status=OrganizationStatus.PENDING)
        make_organization("Member", status=OrganizationStatus.APPROVED)
        db.session.commit()

    assert sample(scrape(client), "tadamun_pending_applications") == 2


def test_the_outbox_reports_its_depth_and_failures(app, client, monkeypatch):
    # The worker never comes (its hand-over is lost): what was queued stays in the outbox.
    monkeypatch.setattr(worker, "_deliver_now", lambda app, ids: None)
    assert re.search(r"^tadamun_queue_depth 0\.0$", scrape(client), re.MULTILINE)  # empty: a real zero
    statuses = [
        OutboxStatus.PENDING,
        OutboxStatus.PENDING,
        OutboxStatus.SENDING,
        OutboxStatus.FAILED,
        OutboxStatus.SENT,
        OutboxStatus.DISCARDED,
    ]
    with app_context(app):
        for n, status in enumerate(statuses):
            row = outbox.enqueue_mail(f"member{n}@example.org", "Subject", "Body")
            row.status = status
            if status == OutboxStatus.SENDING:
                row.lease_token, row.lease_until = "lease", utcnow()
        db.session.commit()

    text = scrape(client)
    assert sample(text, "tadamun_queue_depth") == 3  # waiting or being sent
    assert sample(text, "tadamun_queue_failed") == 1  # given up on: the operator's turn


def test_another_job_queue_may_report_instead(app, client):
    metrics.set_queue_stats(app, lambda: metrics.QueueStats(depth=7, failed=2))

    text = scrape(client)
    assert sample(text, "tadamun_queue_depth") == 7
    assert sample(text, "tadamun_queue_failed") == 2


def test_a_scrape_while_the_database_is_down_still_answers(app, client, monkeypatch):
    def unreachable():
        raise sa.exc.OperationalError("SELECT", {}, Exception("connection refused"))

    metrics.set_queue_stats(app, unreachable)

    text = scrape(client)
    assert "tadamun_http_requests_total" in text
    assert "tadamun_queue_depth" not in text  # no made-up figure


def test_the_public_is_refused(client):
    client.environ_base["REMOTE_ADDR"] = "203.0.113.7"

    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 404


def test_a_scraper_with_the_token_is_answered_from_anywhere(make_app):
    application = make_app(METRICS_TOKEN=TOKEN)
    client = application.test_client()
    client.environ_base["REMOTE_ADDR"] = "203.0.113.7"

    assert client.get("/metrics", headers={"Authorization": "Bearer wrong-token"}).status_code == 404
    assert "tadamun_http_requests_total" in scrape(client, Authorization=f"Bearer {TOKEN}")


def test_configured_networks_are_answered(make_app):
    application = make_app(METRICS_ALLOW_FROM=["10.0.0.0/8"])
    client = application.test_client()

    client.environ_base["REMOTE_ADDR"] = "10.1.2.3"
    assert client.get("/metrics").status_code == 200
    client.environ_base["REMOTE_ADDR"] = "127.0.0.1"
    assert client.get("/metrics").status_code == 404


def test_a_wrong_allow_list_stops_the_start(make_app):
    with pytest.raises(RuntimeError, match="METRICS_ALLOW_FROM"):
        make_app(METRICS_ALLOW_FROM=["not-an-address"])


MULTIPROCESS_SCRIPT = textwrap.dedent(
    """
    import os, re, sys
    from app import create_app
    from app.extensions import db
    from tests.builders import create_schema

    app = create_app({"SQLALCHEMY_DATABASE_URI": sys.argv[1]})
    with app.app_context():
        create_schema()
        db.engine.dispose()
    children = []
    for _ in range(2):  # two workers, as gunicorn forks them after loading the app
        pid = os.fork()
        if pid == 0:
            client = app.test_client()
            for _ in range(3):
                client.get("/healthz")
            os._exit(0)
        children.append(pid)
    for pid in children:
        os.waitpid(pid, 0)
    text = app.test_client().get("/metrics").get_data(as_text=True)
    wanted = 'tadamun_http_requests_total{endpoint="main.healthz",method="GET",status="200"} '
    match = re.search("^" + re.escape(wanted) + r"(\\S+)$", text, re.MULTILINE)
    print(match.group(1) if match else "missing")
    """
)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork, as gunicorn does")
def test_counts_of_every_worker_are_summed_in_multiprocess_mode(tmp_path):
    directory = tmp_path / "prometheus"
    directory.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory), "PYTHONPATH": str(ROOT)}

    result = subprocess.run(  # noqa: S603 (this Python, a fixed script)
        [sys.executable, "-c", MULTIPROCESS_SCRIPT, f"sqlite:///{tmp_path / 'multi.db'}"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "6.0"  # 3 requests in each of two processes, seen by a third


def test_gunicorn_forgets_a_dead_workers_live_gauges(tmp_path, monkeypatch):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    (tmp_path / "stale.db").write_bytes(b"")
    live_gauge = tmp_path / "gauge_livesum_4242.db"
    counter = tmp_path / "counter_4242.db"
    live_gauge.write_bytes(b"")
    counter.write_bytes(b"")

    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))  # as gunicorn loads it at start
    assert not (tmp_path / "stale.db").exists()  # an earlier run's files are cleared at start
    live_gauge.write_bytes(b"")
    counter.write_bytes(b"")
    settings["child_exit"](server=None, worker=SimpleNamespace(pid=4242))

    assert not live_gauge.exists()
    assert counter.exists()  # what the worker counted still counts

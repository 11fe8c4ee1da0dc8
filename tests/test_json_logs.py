"""JSON logs for log collectors: who (by id), from where, which route, how it ended, how long.

Never personal data: no email, no path (links carry tokens), no query string.
"""

from __future__ import annotations

import io
import json

import pytest

from app import logs
from app.extensions import db
from config import DevelopmentConfig, ProductionConfig
from tests.builders import DEFAULT_PASSWORD, make_campaign, make_user
from tests.conftest import app_context, empty_all_tables


@pytest.fixture
def json_app(make_app):
    """An application writing JSON lines, one per request too, into a buffer."""
    application = make_app(LOG_FORMAT="json", LOG_REQUESTS=True)
    logs.configure_logging(application)
    buffer = io.StringIO()
    application.logger.handlers[0].setStream(buffer)
    application.log_buffer = buffer
    yield application
    with app_context(application):
        empty_all_tables()


def lines(application) -> list[dict]:
    return [json.loads(line) for line in application.log_buffer.getvalue().splitlines() if line.strip()]


def request_lines(application) -> list[dict]:
    return [line for line in lines(application) if line["logger"] == "app.request"]


def test_production_writes_json_lines_for_every_request_and_development_text():
    assert ProductionConfig.LOG_FORMAT == "json" and ProductionConfig.LOG_REQUESTS is True
    assert DevelopmentConfig.LOG_FORMAT == "text" and DevelopmentConfig.LOG_REQUESTS is False


def test_a_request_line_names_the_user_route_status_and_duration(json_app):
    with app_context(json_app):
        user = make_user(email="amal@example.org")
        make_campaign("Save the Tigris", slug="save-the-tigris")
        db.session.commit()
        user_id = user.id
    client = json_app.test_client()
    client.environ_base["REMOTE_ADDR"] = "203.0.113.7"
    client.post("/auth/login", data={"email": "amal@example.org", "password": DEFAULT_PASSWORD})

    response = client.get("/campaigns/save-the-tigris?lang=fr")

    line = request_lines(json_app)[-1]
    assert line["request_id"] == response.headers["X-Request-ID"]
    assert line["remote_addr"] == "203.0.113.7"
    assert line["user_id"] == user_id
    assert line["method"] == "GET"
    assert line["endpoint"] == "campaigns.detail"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    everything = json_app.log_buffer.getvalue()
    assert "amal@example.org" not in everything
    assert "save-the-tigris" not in everything and "lang=fr" not in everything


def test_a_visitor_has_no_user_id(json_app):
    json_app.test_client().get("/")

    line = request_lines(json_app)[-1]
    assert "user_id" not in line
    assert line["endpoint"] == "main.home" and line["status"] == 200


def test_a_token_in_the_path_never_reaches_the_logs(json_app):
    token = "tok3n-that-must-stay-secret-1234567890"
    response = json_app.test_client().get(f"/auth/reset/{token}")

    assert response.status_code == 400
    line = request_lines(json_app)[-1]
    assert line["endpoint"] == "auth.reset_password" and line["status"] == 400
    assert token not in json_app.log_buffer.getvalue()


def test_security_events_carry_the_same_context(json_app):
    with app_context(json_app):
        make_user(email="amal@example.org")
        db.session.commit()
    client = json_app.test_client()

    response = client.post("/auth/login", data={"email": "amal@example.org", "password": "wrong one"})

    events = [line for line in lines(json_app) if line["logger"] != "app.request"]
    assert events, "the failed login was not logged"
    for event in events:
        assert event["request_id"] == response.headers["X-Request-ID"]
        assert event["endpoint"] == "auth.login"
        assert "amal@example.org" not in event["message"]


def test_an_unhandled_error_is_one_json_object_with_its_traceback(json_app):
    @json_app.get("/_test/boom")
    def boom():
        raise RuntimeError("boom")

    response = json_app.test_client().get("/_test/boom")

    assert response.status_code == 500
    error = next(line for line in lines(json_app) if line["level"] == "ERROR")
    assert error["request_id"] == response.headers["X-Request-ID"]
    assert "Traceback" in error["exception"] and "RuntimeError: boom" in error["exception"]
    assert request_lines(json_app)[-1]["status"] == 500


def test_the_time_of_a_line_is_written_as_datetime_writes_it():
    # The text of each second is kept between lines; the milliseconds must still be right at
    # every boundary (a millisecond that rounds up into the next second included).
    import logging
    import random
    from datetime import UTC, datetime

    from app.logs import JsonFormatter

    formatter = JsonFormatter()
    moments = [1764672000.0, 1764672000.9995, 1764672000.9999996, 1764672001.0005, 1764672059.999]
    moments += [1764672000 + random.random() * 120 for _ in range(2000)]
    for created in sorted(moments):
        record = logging.LogRecord("app", logging.INFO, __file__, 0, "m", (), None)
        record.created = created
        expected = datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")
        assert json.loads(formatter.format(record))["time"] == expected, created

"""Logs help the team without hurting members: a request id on every line, no secrets.

The flows that handle secrets (registration with a hidden phone number, email
confirmation, login, lockout, password reset) run with logging fully on; then every
line any logger wrote is searched for the password, the tokens, the hidden contact
details and the account's email.
"""

from __future__ import annotations

import io
import logging
import re

import pytest

from app import security
from app.extensions import db
from tests.builders import make_user
from tests.conftest import app_context, empty_all_tables
from tests.membership_support import STRONG_PASSWORD, link_in, registration_data, token_from

NEW_PASSWORD = "a completely different passphrase 77"
WRONG_PASSWORD = "this is the wrong password"
HIDDEN_PHONE = "+964 770 111 2233"
MEMBERS_ONLY_ADDRESS = "7 Hidden Lane, Basra"
OWNER_EMAIL = "owner@amal.example.org"


@pytest.fixture
def logged_app(make_app):
    """An application logging as in production, into a buffer."""
    application = make_app()
    security.configure_logging(application)
    buffer = io.StringIO()
    application.logger.handlers[0].setStream(buffer)
    application.log_buffer = buffer
    yield application
    with app_context(application):
        empty_all_tables()


@pytest.fixture
def everything_logged(caplog):
    caplog.set_level(logging.DEBUG)
    return caplog


def test_secret_values_never_reach_the_logs(logged_app, everything_logged, outbox):
    client = logged_app.test_client()
    data = registration_data(
        contact_phone=HIDDEN_PHONE,
        contact_phone_visibility="hidden",
        address=MEMBERS_ONLY_ADDRESS,
        address_visibility="members",
    )

    assert client.post("/auth/register", data=data).status_code == 302
    confirm_link = link_in(outbox[-1], "/auth/confirm/")
    client.post(confirm_link)
    for _ in range(3):
        client.post("/auth/login", data={"email": OWNER_EMAIL, "password": WRONG_PASSWORD})
    client.post("/auth/login", data={"email": "nobody@example.org", "password": WRONG_PASSWORD})
    assert (
        client.post("/auth/login", data={"email": OWNER_EMAIL, "password": STRONG_PASSWORD}).status_code
        == 302
    )
    client.post("/auth/logout")
    client.post("/auth/reset", data={"email": OWNER_EMAIL}).close()  # the mail leaves after the answer
    reset_link = link_in(outbox[-1], "/auth/reset/")
    client.post(reset_link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    for _ in range(10):
        client.post("/auth/login", data={"email": OWNER_EMAIL, "password": WRONG_PASSWORD})

    secrets = {
        "password": STRONG_PASSWORD,
        "new password": NEW_PASSWORD,
        "wrong password": WRONG_PASSWORD,
        "confirmation token": token_from(confirm_link),
        "reset token": token_from(reset_link),
        "hidden phone": HIDDEN_PHONE,
        "members-only address": MEMBERS_ONLY_ADDRESS,
        "account email": OWNER_EMAIL,
        "unknown email": "nobody@example.org",
    }
    everything = "\n".join(
        [record.getMessage() + repr(record.args) for record in everything_logged.records]
        + [logged_app.log_buffer.getvalue()]
    )
    assert "login failed" in everything  # the flows did log: the check is not vacuous
    assert "locked" in everything
    for name, value in secrets.items():
        assert value not in everything, f"the {name} appears in the logs"


def test_every_log_line_carries_the_request_id(logged_app):
    with app_context(logged_app):
        make_user(email="amal@example.org")
        db.session.commit()
    client = logged_app.test_client()

    response = client.post("/auth/login", data={"email": "amal@example.org", "password": WRONG_PASSWORD})

    lines = [line for line in logged_app.log_buffer.getvalue().splitlines() if line.strip()]
    assert lines
    request_id = response.headers["X-Request-ID"]
    assert all(f"[{request_id}]" in line for line in lines), lines


def test_an_unhandled_error_is_logged_under_the_id_the_page_shows(logged_app):
    @logged_app.get("/_test/boom")
    def boom():
        raise RuntimeError("boom")

    response = logged_app.test_client().get("/_test/boom")

    assert response.status_code == 500
    request_id = response.headers["X-Request-ID"]
    assert request_id in response.get_data(as_text=True)
    log = logged_app.log_buffer.getvalue()
    assert re.search(rf"ERROR \[{request_id}\] app: unhandled error", log)
    assert "Traceback" in log  # the details are in the log, not on the page


def test_access_refusals_are_logged_without_the_path(logged_app):
    with app_context(logged_app):
        make_user(email="amal@example.org")
        db.session.commit()
    client = logged_app.test_client()
    client.post("/auth/login", data={"email": "amal@example.org", "password": "correct horse battery staple"})

    assert client.get("/moderation/").status_code == 403

    log = logged_app.log_buffer.getvalue()
    assert "answered 403 on GET moderation.queue" in log


def test_a_proxy_request_id_is_kept_when_it_looks_like_one(logged_app):
    response = logged_app.test_client().get("/", headers={"X-Request-ID": "abc123-def456-7890"})
    assert response.headers["X-Request-ID"] == "abc123-def456-7890"

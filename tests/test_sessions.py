"""Sessions end when they should: logout, new password, suspension, idleness, old age.

A session cookie is a bearer token: whoever holds a copy is logged in. These tests copy
cookies between two clients (an attacker's and the member's) and show the copy stops
working when the member's session is meant to end.
"""

from __future__ import annotations

import base64
import json
import zlib
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest
import sqlalchemy as sa
from flask_login.utils import encode_cookie

from app import security
from app.extensions import db
from app.models import LoginSession, Organization, OrganizationStatus
from tests.builders import DEFAULT_PASSWORD, make_moderator, make_user
from tests.conftest import app_context, log_in, scalar

NEW_PASSWORD = "an entirely new passphrase 2024"


@pytest.fixture
def member(app):
    with app_context(app):
        user = make_user(email="amal@example.org")
        db.session.commit()
        return user


@pytest.fixture
def moderator(app):
    with app_context(app):
        user = make_moderator("mod@example.org")
        db.session.commit()
        return user


def login(client, email, password=DEFAULT_PASSWORD, remember=False):
    extra = {"remember_me": "y"} if remember else {}
    response = log_in(client, email, password, **extra)
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def copy_cookies(source, target, names=("session", "remember_token")) -> None:
    for name in names:
        cookie = source.get_cookie(name)
        if cookie is not None:
            target.set_cookie(name, cookie.value)


def logged_in(client) -> bool:
    return client.get("/account/").status_code == 200


@pytest.fixture
def move_clock(monkeypatch):
    """``move_clock(seconds)``: the session clock reads that long after the test began (and
    stands still between moves)."""
    start = security.now_seconds()

    def _move(seconds: int) -> None:
        monkeypatch.setattr(security, "now_seconds", lambda: start + seconds)

    # Stopped from the start: a login that straddled a second would otherwise be stamped a second
    # after ``start`` and miss every time the test computes from it (seen under a parallel run).
    _move(0)
    return _move


# Ending every session ------------------------------------------------------------------------


def test_a_session_cookie_copied_before_logout_is_refused_after(member, make_app):
    application = make_app()
    members_browser, attackers_browser = application.test_client(), application.test_client()
    login(members_browser, member.email)
    copy_cookies(members_browser, attackers_browser)
    assert logged_in(attackers_browser)  # the copy works while the session lives

    members_browser.post("/auth/logout")

    assert not logged_in(members_browser)
    assert not logged_in(attackers_browser)


def test_a_remember_cookie_copied_before_logout_is_refused_after(member, make_app):
    application = make_app()
    members_browser, attackers_browser = application.test_client(), application.test_client()
    login(members_browser, member.email, remember=True)
    copy_cookies(members_browser, attackers_browser, names=("remember_token",))
    assert logged_in(attackers_browser)

    members_browser.post("/auth/logout")

    fresh = application.test_client()
    copy_cookies(attackers_browser, fresh, names=("remember_token",))
    assert not logged_in(fresh)


def test_changing_the_password_ends_every_other_session(member, make_app):
    application = make_app()
    laptop, phone = application.test_client(), application.test_client()
    login(laptop, member.email)
    login(phone, member.email)

    response = laptop.post(
        "/account/password",
        data={"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert not logged_in(phone)
    assert not logged_in(laptop)
    login(laptop, member.email, NEW_PASSWORD)
    assert logged_in(laptop)


def test_suspending_an_organization_ends_its_members_sessions(member, moderator, make_app):
    application = make_app()
    members_browser, moderators_browser = application.test_client(), application.test_client()
    login(members_browser, member.email, remember=True)
    login(moderators_browser, moderator.email)

    response = moderators_browser.post(
        f"/moderation/organizations/{member.organization_id}/suspend",
        data={"reason": "Under review after a complaint."},
    )

    assert response.status_code == 302
    status = scalar(
        application, sa.select(Organization.status).where(Organization.id == member.organization_id)
    )
    assert status == OrganizationStatus.SUSPENDED
    assert not logged_in(members_browser)


# Idle timeout and absolute lifetime ----------------------------------------------------------


def test_a_moderator_idle_for_more_than_30_minutes_is_logged_out(moderator, client, move_clock):
    login(client, moderator.email)
    assert client.get("/moderation/").status_code == 200

    move_clock(31 * 60)
    response = client.get("/moderation/")

    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]
    assert "without activity" in client.get("/auth/login").get_data(as_text=True)


def test_an_active_moderator_stays_logged_in(moderator, client, move_clock):
    login(client, moderator.email)
    for minutes in (20, 40, 60, 80):  # a request every 20 minutes
        move_clock(minutes * 60)
        assert client.get("/moderation/").status_code == 200


def test_members_have_no_idle_timeout(member, client, move_clock):
    login(client, member.email)
    move_clock(3 * 3600)
    assert logged_in(client)


@pytest.mark.parametrize("who", ["member", "moderator"])
def test_every_session_ends_after_12_hours_even_when_active(request, client, move_clock, who):
    user = request.getfixturevalue(who)
    login(client, user.email)
    for hours in range(12):
        for quarter in range(0, 60, 15):
            move_clock(hours * 3600 + quarter * 60)
            client.get("/")
    move_clock(11 * 3600 + 59 * 60)
    assert logged_in(client)

    move_clock(12 * 3600 + 60)
    assert not logged_in(client)


def test_a_session_without_a_login_time_is_refused(member, client):
    login(client, member.email)
    with client.session_transaction() as session:
        del session["login_at"]
    assert not logged_in(client)


# Remember-me -------------------------------------------------------------------------------


def test_moderators_get_no_remember_cookie(moderator, client):
    response = login(client, moderator.email, remember=True)
    cookies = response.headers.getlist("Set-Cookie")
    assert not any(c.startswith("remember_token=") and "Expires=Thu, 01 Jan 1970" not in c for c in cookies)


def test_a_remember_cookie_never_restores_a_moderator_session(moderator, make_app):
    application = make_app()
    login(application.test_client(), moderator.email)  # a live login record to point at
    record = scalar(application, sa.select(LoginSession).where(LoginSession.user_id == moderator.id))
    with application.test_request_context():
        # Signed with the site's key, freshly issued, for a live login: as genuine as a cookie can be.
        forged = encode_cookie(security.login_token(moderator, record.id, security.now_seconds()))
    browser = application.test_client()
    browser.set_cookie("remember_token", forged)

    assert browser.get("/moderation/").status_code == 302


def test_a_members_remember_cookie_lasts_at_most_12_hours(member, client):
    response = login(client, member.email, remember=True)
    (cookie,) = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token=")]
    expires = parsedate_to_datetime(cookie.split("Expires=")[1].split(";")[0])
    assert expires - datetime.now(UTC) <= timedelta(hours=12, minutes=1)


def test_a_remember_cookie_alone_starts_a_new_bounded_session(member, make_app, move_clock):
    application = make_app()
    first = application.test_client()
    login(first, member.email, remember=True)
    returning = application.test_client()
    copy_cookies(first, returning, names=("remember_token",))

    assert logged_in(returning)
    with returning.session_transaction() as session:
        assert isinstance(session["login_at"], int)


def test_a_remember_cookie_older_than_12_hours_no_longer_logs_in(member, make_app, move_clock):
    application = make_app()
    members_browser = application.test_client()
    login(members_browser, member.email, remember=True)
    copy = application.test_client()
    copy_cookies(members_browser, copy, names=("remember_token",))

    # The cookie's expiry date only asks the browser to drop it; a copy is sent back anyway.
    move_clock(12 * 3600 + 60)

    assert not logged_in(copy)


def test_a_session_restored_from_a_remember_cookie_ends_12_hours_after_the_login(
    member, make_app, move_clock
):
    application = make_app()
    members_browser = application.test_client()
    login(members_browser, member.email, remember=True)
    move_clock(11 * 3600)
    returning = application.test_client()
    copy_cookies(members_browser, returning, names=("remember_token",))
    assert logged_in(returning)  # a new session, from the cookie

    move_clock(12 * 3600 + 60)

    assert not logged_in(returning)


def test_a_remember_cookie_with_an_edited_issue_time_is_refused(member, make_app, move_clock):
    application = make_app()
    members_browser = application.test_client()
    login(members_browser, member.email, remember=True)
    value = members_browser.get_cookie("remember_token").value
    token, _, digest = value.rpartition("|")
    identity, _, issued_at = token.rpartition(":")
    move_clock(13 * 3600)
    edited = application.test_client()
    edited.set_cookie("remember_token", f"{identity}:{int(issued_at) + 13 * 3600}|{digest}")

    assert not logged_in(edited)


# Cookie attributes -------------------------------------------------------------------------


def test_session_and_remember_cookies_are_httponly_and_samesite_lax(member, client):
    response = login(client, member.email, remember=True)
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith(("session=", "remember_token=")):
            assert "HttpOnly" in header
            assert "SameSite=Lax" in header


def test_the_session_cookie_holds_no_personal_data(member, client):
    response = login(client, member.email)
    (cookie,) = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    payload = cookie.split("=", 1)[1].split(";")[0].split(".")
    compressed = payload[0] == ""
    data = payload[1] if compressed else payload[0]
    raw = base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
    content = json.loads(zlib.decompress(raw) if compressed else raw)
    assert member.email not in json.dumps(content)
    assert DEFAULT_PASSWORD not in json.dumps(content)


def test_the_session_cookie_is_signed_with_a_serializer_built_once_per_key(app, member):
    # Building it on every request cost a third of a visitor's empty session; a rotated key
    # must still take effect at once.
    interface = app.session_interface
    first = interface.get_signing_serializer(app)
    assert interface.get_signing_serializer(app) is first
    app.config["SECRET_KEY_FALLBACKS"] = ["an older key that still signs live cookies 123456"]
    try:
        rotated = interface.get_signing_serializer(app)
        assert rotated is not first
        assert rotated.loads(rotated.dumps({"a": 1})) == {"a": 1}
    finally:
        app.config["SECRET_KEY_FALLBACKS"] = []


def test_a_cookie_signed_with_the_previous_key_is_accepted_after_a_rotation(member, make_app):
    old = make_app()
    client = old.test_client()
    log_in(client, "amal@example.org")
    assert client.get("/account/").status_code == 200
    rotated = make_app(
        SECRET_KEY="a brand new secret key of at least 32 characters!", SECRET_KEY_FALLBACKS=[old.secret_key]
    )
    client.application = rotated
    assert client.get("/account/").status_code == 200
    # And a key nobody lists any more signs nothing: the member is asked to log in again.
    forgotten = make_app(SECRET_KEY="yet another secret key of at least 32 characters!!")
    client.application = forgotten
    assert client.get("/account/").status_code == 302

"""Logging in and out: same answer for unknown email and wrong password, safe `next`."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.services import accounts
from tests.builders import DEFAULT_PASSWORD, make_organization, make_user
from tests.conftest import app_context, empty_all_tables


def test_member_logs_in_and_lands_on_their_dashboard(app, client, auth):
    with app_context(app):
        make_user(email="amal@example.org")
        db.session.commit()
    response = auth.login("amal@example.org")
    assert response.status_code == 302
    assert response.headers["Location"] == "/account/"
    assert "amal@example.org" in client.get("/account/").get_data(as_text=True)


def test_login_email_is_case_insensitive(app, client, auth):
    with app_context(app):
        make_user(email="amal@example.org")
        db.session.commit()
    assert auth.login("  AMAL@Example.org ").status_code == 302


def test_wrong_password_and_unknown_email_get_the_same_answer(app, client, auth):
    with app_context(app):
        make_user(email="amal@example.org")
        db.session.commit()
    wrong = auth.login("amal@example.org", "not the right password at all")
    unknown = auth.login("nobody@example.org", "not the right password at all")
    assert wrong.status_code == unknown.status_code == 200
    assert "Email or password is not correct." in wrong.get_data(as_text=True)
    assert "Email or password is not correct." in unknown.get_data(as_text=True)
    assert client.get("/account/").status_code == 302  # still a visitor


@pytest.mark.parametrize("target", ["/campaigns/", "/account/?tab=1"])
def test_next_on_this_site_is_followed(app, client, auth, target):
    with app_context(app):
        make_user(email="amal@example.org")
        db.session.commit()
    response = auth.login("amal@example.org", next=target)
    assert response.headers["Location"] == target


@pytest.mark.parametrize(
    "target",
    ["//evil.com", "https://evil.com", "/\\evil.com", "https:evil.com", "javascript:alert(1)", "\x01/x"],
)
def test_next_pointing_elsewhere_is_ignored(app, client, auth, target):
    with app_context(app):
        make_user(email="amal@example.org")
        db.session.commit()
    response = auth.login("amal@example.org", next=target)
    assert response.headers["Location"] == "/account/"


def test_visitor_sent_to_login_comes_back_after_logging_in(app, client, auth):
    with app_context(app):
        make_user(email="amal@example.org")
        db.session.commit()
    response = client.get("/account/password")
    assert response.status_code == 302
    assert "/auth/login?next=" in response.headers["Location"]
    assert auth.login("amal@example.org", next="/account/password").headers["Location"] == "/account/password"


def test_remember_me_sets_a_remember_cookie(app, client, auth):
    with app_context(app):
        make_user(email="amal@example.org")
        db.session.commit()
    response = auth.login("amal@example.org", remember_me="y")
    cookies = response.headers.getlist("Set-Cookie")
    assert any(c.startswith("remember_token=") and "HttpOnly" in c for c in cookies)


def test_pending_applicant_can_log_in(app, client, auth):
    with app_context(app):
        make_user(make_organization(status="pending"), email="new@example.org")
        db.session.commit()
    assert auth.login("new@example.org").status_code == 302
    assert "Pending review" in client.get("/account/").get_data(as_text=True)


def test_logout_needs_post_and_ends_the_session(app, client, auth):
    with app_context(app):
        make_user(email="amal@example.org")
        db.session.commit()
    auth.login("amal@example.org")
    assert client.get("/auth/logout").status_code == 405
    assert client.get("/account/").status_code == 200
    auth.logout()
    assert client.get("/account/").status_code == 302


def test_locked_account_shows_the_lock_message(app, client, auth, monkeypatch):
    with app_context(app):
        make_user(email="amal@example.org")
        db.session.commit()

    def locked(email, password):
        raise accounts.AccountLocked("Too many attempts: this account is locked for a while.")

    monkeypatch.setattr(accounts, "authenticate", locked)
    response = auth.login("amal@example.org", DEFAULT_PASSWORD)
    assert "Too many attempts: this account is locked for a while." in response.get_data(as_text=True)
    assert client.get("/account/").status_code == 302


def test_login_form_is_protected_by_csrf(make_app):
    application = make_app(WTF_CSRF_ENABLED=True)
    with app_context(application):
        make_user(email="amal@example.org")
        db.session.commit()
    client = application.test_client()
    response = client.post("/auth/login", data={"email": "amal@example.org", "password": DEFAULT_PASSWORD})
    assert response.status_code == 400
    with app_context(application):
        empty_all_tables()

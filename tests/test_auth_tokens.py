"""Email confirmation and password reset by signed, expiring, single-use links."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.extensions import db
from app.services import tokens
from app.services.passwords import verify_password
from tests.builders import DEFAULT_PASSWORD, make_user
from tests.membership_support import STRONG_PASSWORD, link_in, registration_data, row_counts, token_from

NEW_PASSWORD = "a quiet garden by the tigris"


def register_and_get_confirmation_link(client, outbox) -> str:
    client.post("/auth/register", data=registration_data())
    return link_in(outbox[-1], "/auth/confirm/")


def test_confirmation_link_confirms_the_email_once(client, outbox):
    link = register_and_get_confirmation_link(client, outbox)
    assert client.get(link).status_code == 200  # a page with a button: GET changes nothing
    from app.models import User

    user = db.session.scalar(db.select(User))
    assert user.email_confirmed_at is None
    assert client.post(link).status_code == 302
    db.session.refresh(user)
    assert user.email_confirmed_at is not None

    reused = client.post(link)
    assert reused.status_code == 400
    assert "not valid or has already been used" in reused.get_data(as_text=True)


def test_tampered_confirmation_link_is_refused(client, outbox):
    link = register_and_get_confirmation_link(client, outbox)
    tampered = link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB")
    before = row_counts()
    assert client.post(tampered).status_code == 400
    assert row_counts() == before


def test_expired_confirmation_link_is_refused(app, client, outbox):
    link = register_and_get_confirmation_link(client, outbox)
    app.config["EMAIL_CONFIRM_MAX_AGE"] = timedelta(seconds=-1)
    response = client.post(link)
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)


def test_a_token_for_one_purpose_is_refused_for_another(client):
    user = make_user(email="amal@example.org", confirmed=False)
    db.session.commit()
    confirmation = tokens.make_token(tokens.EMAIL_CONFIRMATION, {"uid": user.id, "pw": "x"})
    assert client.get(f"/auth/reset/{confirmation}").status_code == 400


def request_reset(client, outbox, email="amal@example.org") -> str:
    client.post("/auth/reset", data={"email": email})
    return link_in(outbox[-1], "/auth/reset/")


def test_password_reset_sets_a_new_password_and_ends_every_session(client, auth, outbox, app):
    user = make_user(email="amal@example.org")
    db.session.commit()
    other_device = app.test_client()
    other_device.post("/auth/login", data={"email": "amal@example.org", "password": DEFAULT_PASSWORD})
    assert other_device.get("/account/").status_code == 200

    link = request_reset(client, outbox)
    assert client.get(link).status_code == 200
    response = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    db.session.refresh(user)
    assert verify_password(user.password_hash, NEW_PASSWORD)
    assert other_device.get("/account/").status_code == 302  # logged out everywhere
    assert auth.login("amal@example.org", NEW_PASSWORD).status_code == 302


def test_reset_link_works_only_once(client, outbox):
    make_user(email="amal@example.org")
    db.session.commit()
    link = request_reset(client, outbox)
    client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    again = client.post(link, data={"password": STRONG_PASSWORD, "confirm": STRONG_PASSWORD})
    assert again.status_code == 400
    assert "already been used" in again.get_data(as_text=True)


def test_expired_reset_link_is_refused(app, client, outbox):
    user = make_user(email="amal@example.org")
    db.session.commit()
    old_hash = user.password_hash
    link = request_reset(client, outbox)
    app.config["PASSWORD_RESET_MAX_AGE"] = timedelta(seconds=-1)
    response = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.password_hash == old_hash


def test_tampered_reset_link_is_refused(client, outbox):
    make_user(email="amal@example.org")
    db.session.commit()
    link = request_reset(client, outbox)
    token = token_from(link)
    payload, _, signature = token.rpartition(".")
    forged = f"{payload}.{signature[::-1]}"
    assert (
        client.post(
            f"/auth/reset/{forged}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
        ).status_code
        == 400
    )


def test_weak_new_password_is_refused(client, outbox):
    user = make_user(email="amal@example.org")
    db.session.commit()
    old_hash = user.password_hash
    link = request_reset(client, outbox)
    response = client.post(link, data={"password": "password1234", "confirm": "password1234"})
    assert response.status_code == 200
    assert "too common" in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.password_hash == old_hash


def test_reset_request_does_not_tell_whether_the_email_exists(client, outbox):
    make_user(email="amal@example.org")
    db.session.commit()
    known = client.post("/auth/reset", data={"email": "amal@example.org"}, follow_redirects=True)
    unknown = client.post("/auth/reset", data={"email": "nobody@example.org"}, follow_redirects=True)
    assert known.status_code == unknown.status_code == 200
    assert known.get_data(as_text=True) == unknown.get_data(as_text=True)
    assert [m.recipients for m in outbox] == [["amal@example.org"]]


def test_reset_link_uses_the_configured_site_not_the_request_host(client, outbox):
    make_user(email="amal@example.org")
    db.session.commit()
    client.post("/auth/reset", data={"email": "amal@example.org"}, headers={"Host": "evil.example"})
    [message] = outbox
    assert "http://tadamun.test/auth/reset/" in message.body
    assert "evil.example" not in message.body


@pytest.mark.parametrize("purpose", [tokens.EMAIL_CONFIRMATION, tokens.PASSWORD_RESET, tokens.INVITATION])
def test_garbage_tokens_never_cause_a_server_error(client, purpose):
    for garbage in ["x", "a.b.c", "%00", "é" * 50, "A" * 5000]:
        for path in (f"/auth/confirm/{garbage}", f"/auth/reset/{garbage}", f"/auth/invitation/{garbage}"):
            assert client.get(path).status_code in (200, 400, 404)
            assert client.post(path).status_code in (400, 404)

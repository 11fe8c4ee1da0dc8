"""Email confirmation and password reset by signed, expiring, single-use links."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from flask import template_rendered

from app.extensions import db, mail
from app.models import OutboxMessage, OutboxStatus, User
from app.services import tokens
from app.services.passwords import verify_password
from tests.builders import DEFAULT_PASSWORD, make_user
from tests.conftest import app_context, empty_all_tables, scalar
from tests.membership_support import STRONG_PASSWORD, link_in, registration_data, row_counts, token_from

NEW_PASSWORD = "a quiet garden by the tigris"


def register_and_get_confirmation_link(client, outbox) -> str:
    client.post("/auth/register", data=registration_data())
    return link_in(outbox[-1], "/auth/confirm/")


def new_user(app, email="amal@example.org", **fields) -> User:
    """A user, committed; a snapshot to name its id and password hash by."""
    with app_context(app):
        user = make_user(email=email, **fields)
        db.session.commit()
    return user


def password_hash_of(app, user) -> str:
    return scalar(app, sa.select(User.password_hash).where(User.id == user.id))


def test_confirmation_link_confirms_the_email_once(app, client, outbox):
    link = register_and_get_confirmation_link(client, outbox)
    assert client.get(link).status_code == 200  # a page with a button: GET changes nothing
    assert scalar(app, sa.select(User.email_confirmed_at)) is None
    assert client.post(link).status_code == 302
    assert scalar(app, sa.select(User.email_confirmed_at)) is not None

    reused = client.post(link)
    assert reused.status_code == 400
    assert "not valid or has already been used" in reused.get_data(as_text=True)


def test_tampered_confirmation_link_is_refused(app, client, outbox):
    link = register_and_get_confirmation_link(client, outbox)
    tampered = link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB")
    before = row_counts(app)
    assert client.post(tampered).status_code == 400
    assert row_counts(app) == before


def test_expired_confirmation_link_is_refused(app, client, outbox):
    link = register_and_get_confirmation_link(client, outbox)
    app.config["EMAIL_CONFIRM_MAX_AGE"] = timedelta(seconds=-1)
    response = client.post(link)
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)


def test_a_token_for_one_purpose_is_refused_for_another(app, client):
    with app_context(app):
        user = make_user(email="amal@example.org", confirmed=False)
        db.session.commit()
        confirmation = tokens.make_token(tokens.EMAIL_CONFIRMATION, {"uid": user.id, "pw": "x"})
    assert client.get(f"/auth/reset/{confirmation}").status_code == 400


def request_reset(client, outbox, email="amal@example.org") -> str:
    # The message leaves once the whole answer has been sent, that is when it is closed.
    client.post("/auth/reset", data={"email": email}).close()
    return link_in(outbox[-1], "/auth/reset/")


def test_password_reset_sets_a_new_password_and_ends_every_session(client, auth, outbox, app):
    user = new_user(app)
    other_device = app.test_client()
    other_device.post("/auth/login", data={"email": "amal@example.org", "password": DEFAULT_PASSWORD})
    assert other_device.get("/account/").status_code == 200

    link = request_reset(client, outbox)
    assert client.get(link).status_code == 200
    response = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    new_hash = password_hash_of(app, user)
    with app_context(app):  # the hasher's settings are the application's
        assert verify_password(new_hash, NEW_PASSWORD)
    assert other_device.get("/account/").status_code == 302  # logged out everywhere
    assert auth.login("amal@example.org", NEW_PASSWORD).status_code == 302


def test_reset_link_works_only_once(app, client, outbox):
    new_user(app)
    link = request_reset(client, outbox)
    client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    again = client.post(link, data={"password": STRONG_PASSWORD, "confirm": STRONG_PASSWORD})
    assert again.status_code == 400
    assert "already been used" in again.get_data(as_text=True)


def test_expired_reset_link_is_refused(app, client, outbox):
    user = new_user(app)
    old_hash = user.password_hash
    link = request_reset(client, outbox)
    app.config["PASSWORD_RESET_MAX_AGE"] = timedelta(seconds=-1)
    response = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)
    assert password_hash_of(app, user) == old_hash


def test_tampered_reset_link_is_refused(app, client, outbox):
    new_user(app)
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


def test_weak_new_password_is_refused(app, client, outbox):
    user = new_user(app)
    old_hash = user.password_hash
    link = request_reset(client, outbox)
    response = client.post(link, data={"password": "password1234", "confirm": "password1234"})
    assert response.status_code == 200
    assert "too common" in response.get_data(as_text=True)
    assert password_hash_of(app, user) == old_hash


def test_reset_request_does_not_tell_whether_the_email_exists(app, client, outbox):
    new_user(app)
    known = client.post("/auth/reset", data={"email": "amal@example.org"}, follow_redirects=True)
    unknown = client.post("/auth/reset", data={"email": "nobody@example.org"}, follow_redirects=True)
    assert known.status_code == unknown.status_code == 200
    assert known.get_data(as_text=True) == unknown.get_data(as_text=True)
    assert [m.recipients for m in outbox] == [["amal@example.org"]]


def test_reset_link_uses_the_configured_site_not_the_request_host(app, client, outbox):
    new_user(app)
    client.post("/auth/reset", data={"email": "amal@example.org"}, headers={"Host": "evil.example"}).close()
    [message] = outbox
    assert "http://tadamun.test/auth/reset/" in message.body
    assert "evil.example" not in message.body


@pytest.mark.parametrize("purpose", [tokens.EMAIL_CONFIRMATION, tokens.PASSWORD_RESET, tokens.INVITATION])
def test_garbage_tokens_never_cause_a_server_error(client, purpose):
    for garbage in ["x", "a.b.c", "%00", "é" * 50, "A" * 5000]:
        for path in (f"/auth/confirm/{garbage}", f"/auth/reset/{garbage}", f"/auth/invitation/{garbage}"):
            assert client.get(path).status_code in (200, 400, 404)
            assert client.post(path).status_code in (400, 404)


class RequestWork:
    """What a request does that takes time: SQL statements, Argon2 work, tokens, templates, mail."""

    def __init__(self, monkeypatch, engine):
        self.statements: list[str] = []
        self.argon2: list[str] = []
        self.tokens: list[str] = []
        self.templates: list[str] = []
        self.sent: list[list[str]] = []
        make_token, hash_, verify = tokens.make_token, PasswordHasher.hash, PasswordHasher.verify

        def recording_make_token(purpose, payload):
            self.tokens.append(purpose)
            return make_token(purpose, payload)

        def recording_hash(hasher, password, **kwargs):
            self.argon2.append(f"hash m={hasher.memory_cost} t={hasher.time_cost}")
            return hash_(hasher, password, **kwargs)

        def recording_verify(hasher, encoded, password):
            self.argon2.append(f"verify {encoded.split('$')[3]}")
            return verify(hasher, encoded, password)

        monkeypatch.setattr(tokens, "make_token", recording_make_token)
        monkeypatch.setattr(PasswordHasher, "hash", recording_hash)
        monkeypatch.setattr(PasswordHasher, "verify", recording_verify)
        sa.event.listen(engine, "before_cursor_execute", self._statement)

    def _statement(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append(statement)

    def rendered(self, sender, template, context, **extra):
        self.templates.append(template.name)

    def take(self) -> dict:
        """The work recorded since the last call, then start afresh."""
        work = {
            "statements": Counter(self.statements),
            "argon2": Counter(self.argon2),
            "tokens": Counter(self.tokens),
            "templates": Counter(self.templates),
            "sent": list(self.sent),
        }
        for recorded in (self.statements, self.argon2, self.tokens, self.templates, self.sent):
            recorded.clear()
        return work


@pytest.mark.slow
def test_reset_request_costs_the_same_work_for_known_and_unknown_emails(make_app, monkeypatch):
    """A reset request for an account and one for an unknown email do the same work.

    Timing is not measured (a loaded machine would make that flaky): the answers take the
    same time because they run the same queries (the same outbox row written for both), build
    the same token and message, and hash nothing; the message leaves only after the answer,
    and only for a real account: the other is discarded unsent.
    """
    application = make_app(PASSWORD_HASH_FAST=False)  # the production Argon2 cost
    with application.app_context():
        make_user(email="amal@example.org")
        db.session.commit()
        engine = db.engine
    # Each request in its own application context, as under gunicorn: nothing carries over.
    work = RequestWork(monkeypatch, engine)
    answers, during, after = {}, {}, {}
    try:
        with mail.record_messages() as outbox, template_rendered.connected_to(work.rendered, application):
            client = application.test_client()
            for label, email in [("unknown", "nobody@example.org"), ("known", "amal@example.org")]:
                work.take()
                # Not read to its end: what the server did before the answer was sent.
                answers[label] = client.post("/auth/reset", data={"email": email}, buffered=False)
                during[label] = work.take() | {"sent": [m.recipients for m in outbox]}
                answers[label].close()  # the server has sent the whole answer
                after[label] = [m.recipients for m in outbox]
                outbox.clear()
        with application.app_context():
            queued = db.session.execute(
                sa.select(OutboxMessage.recipient, OutboxMessage.status, OutboxMessage.body).order_by(
                    OutboxMessage.id
                )
            ).all()
    finally:
        sa.event.remove(engine, "before_cursor_execute", work._statement)
        with application.app_context():
            empty_all_tables()

    assert answers["known"].status_code == answers["unknown"].status_code == 302
    assert during["known"] == during["unknown"]
    assert during["known"]["argon2"] == Counter()  # no password work on either path
    assert during["known"]["tokens"] == Counter({tokens.PASSWORD_RESET: 1})
    assert during["known"]["templates"] == Counter({"email/reset_password.txt": 1})
    assert during["known"]["sent"] == []  # nothing is sent while the visitor waits
    # ... and the message is queued in the request's own transaction, on both paths.
    assert any(
        sql.lstrip().startswith("INSERT INTO outbox_messages") for sql in during["known"]["statements"]
    )
    assert after == {"known": [["amal@example.org"]], "unknown": []}
    # Both were written to the outbox; the unknown address's message was dropped, not sent,
    # and neither keeps its link in the database.
    assert queued == [
        ("discarded@invalid", OutboxStatus.DISCARDED, None),  # the typed address is not kept
        ("amal@example.org", OutboxStatus.SENT, None),
    ]

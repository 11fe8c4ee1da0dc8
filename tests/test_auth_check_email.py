"""After registering: "Check your email" shows the address and sends the link again on request,
without telling whether the address has an account; the confirmation says what happens next;
a failed login says so once."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import OutboxMessage, OutboxStatus, User
from app.models.base import utcnow
from tests.builders import make_user
from tests.conftest import app_context, empty_all_tables, scalar, scalars
from tests.membership_support import link_in, registration_data

EMAIL = "owner@amal.example.org"


def test_check_your_email_shows_the_address_and_offers_to_send_again(client, outbox):
    client.post("/auth/register", data=registration_data(email="Owner@Amal.example.org"))
    page = client.get("/auth/register/sent").get_data(as_text=True)
    assert EMAIL in page
    assert 'action="/auth/register/sent/again"' in page
    assert "Send the link again" in page


def test_sending_again_mails_a_new_working_link_to_a_waiting_account(app, client, outbox):
    client.post("/auth/register", data=registration_data())
    response = client.post("/auth/register/sent/again")
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/register/sent"
    assert [m.recipients for m in outbox] == [[EMAIL], [EMAIL]]
    link = link_in(outbox[-1], "/auth/confirm/")
    assert client.post(link).status_code == 302
    assert scalar(app, sa.select(User.email_confirmed_at)) is not None


def answer_after_registering(app, email_taken_by: str | None, confirmed: bool = False):
    """Register (as a visitor whose address may already have an account), ask for the link again."""
    if email_taken_by:
        with app_context(app):
            user = make_user(email=email_taken_by)
            user.email_confirmed_at = utcnow() if confirmed else None
            db.session.commit()
    client = app.test_client()
    client.post("/auth/register", data=registration_data(name="Another name"))
    answer = client.post("/auth/register/sent/again", follow_redirects=True)
    return answer.status_code, answer.get_data(as_text=True)


def test_sending_again_answers_the_same_whatever_the_address(app, outbox):
    new = answer_after_registering(app, None)
    with app_context(app):
        empty_all_tables()
    taken = answer_after_registering(app, EMAIL, confirmed=True)
    assert new[0] == taken[0] == 200
    message = "If this address is waiting for confirmation, a new link is on its way to it."
    assert message in new[1] and message in taken[1]
    assert EMAIL in new[1] and EMAIL in taken[1]


def test_a_confirmed_address_gets_no_new_link_and_nothing_is_sent(app, client, outbox):
    with app_context(app):
        user = make_user(email=EMAIL)
        db.session.commit()
    assert user.email_confirmed_at is not None
    client.post("/auth/register", data=registration_data(name="Another name"))
    outbox.clear()
    client.post("/auth/register/sent/again")
    assert outbox == []  # the stand-in message is queued like a real one, then discarded
    statuses = scalars(app, sa.select(OutboxMessage.status).order_by(OutboxMessage.id))
    assert statuses[-1] == OutboxStatus.DISCARDED


def test_sending_again_without_registering_sends_nothing(client, outbox):
    assert client.post("/auth/register/sent/again").status_code == 302
    assert outbox == []


def test_sending_again_is_rate_limited(make_app):
    application = make_app(RATELIMIT_ENABLED=True, AUTH_RATE_LIMIT="3 per minute")
    client = application.test_client()
    answers = [client.post("/auth/register/sent/again").status_code for _ in range(4)]
    assert answers == [302, 302, 302, 429]


def test_confirmation_page_says_what_happens_next(client, outbox):
    client.post("/auth/register", data=registration_data())
    response = client.post(link_in(outbox[-1], "/auth/confirm/"))
    assert response.headers["Location"] == "/auth/confirmed"
    page = client.get("/auth/confirmed").get_data(as_text=True)
    assert "Thank you: your email address is confirmed." in page
    assert "What happens next" in page
    assert "A moderator of the network reviews your organization" in page
    assert "We write to you at this address when it is approved" in page


def test_a_failed_login_says_so_once(app, client, auth):
    with app_context(app):
        make_user(email="amal@example.org")
        db.session.commit()
    page = auth.login("amal@example.org", "not the right password at all").get_data(as_text=True)
    assert page.count("Email or password is not correct.") == 1
    assert 'role="alert"' in page

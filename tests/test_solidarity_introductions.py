"""Introductions with double opt-in (issue #20)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import (
    AuditAction,
    AuditEntry,
    Introduction,
    IntroductionBlock,
    IntroductionReport,
    IntroductionStatus,
    Visibility,
)
from app.models.base import utcnow
from app.services import introductions
from tests import builders
from tests.conftest import app_context, count, log_in, scalar, scalars


@pytest.fixture
def orgs(app):
    with app_context(app):
        asking = builders.make_organization(
            "Lawyers Abroad", slug="lawyers-abroad", country="IT",
            contact_email="desk@lawyers.example", contact_phone="+39 06 000",
            contact_email_visibility=Visibility.HIDDEN, contact_phone_visibility=Visibility.HIDDEN,
        )  # fmt: skip
        asked = builders.make_organization(
            "Basra Water Watch", slug="basra-water-watch",
            contact_email="secret@basra.example", contact_phone="+964 780 111",
            contact_person="Layla", contact_email_visibility=Visibility.HIDDEN,
            contact_phone_visibility=Visibility.HIDDEN, contact_person_visibility=Visibility.HIDDEN,
        )  # fmt: skip
        requester = builders.make_user(asking, email="asker@example.org")
        recipient = builders.make_user(asked, email="answerer@example.org")
        recipient.locale = "ar"
        # Every account has the language it registered in: the requester reads English, so the
        # mail telling them of an acceptance is English whatever the answering side reads.
        requester.locale = "en"
        moderator = builders.make_moderator("mod@example.org")
        db.session.commit()
        return {"requester": requester.email, "recipient": recipient.email, "moderator": moderator.email}


def _client(app, email):
    client = app.test_client()
    log_in(client, email)
    return client


def _ask(app, email, message="We work on water rights cases.", fields=("contact_email",)):
    return _client(app, email).post(
        "/solidarity/introductions/ask/basra-water-watch", data={"message": message, "fields": list(fields)}
    )


def _text(response):
    return response.get_data(as_text=True)


def test_an_accepted_introduction_exchanges_only_the_chosen_details(app, orgs, outbox):
    assert _ask(app, orgs["requester"]).status_code == 302
    (intro,) = scalars(app, sa.select(Introduction))
    assert intro.status == IntroductionStatus.PENDING
    # The recipient is mailed in their language, with the message and no contact detail.
    (mail,) = [m for m in outbox if "answerer@example.org" in m.recipients]
    assert "We work on water rights cases." in mail.body
    assert "desk@lawyers.example" not in mail.body
    assert "Hello," not in mail.body and "The Tadamun team" not in mail.body  # in Arabic
    # Before acceptance, neither side sees the other's details.
    recipient = _client(app, orgs["recipient"])
    page = _text(recipient.get("/solidarity/introductions"))
    assert "We work on water rights cases." in page
    assert "desk@lawyers.example" not in page
    # The accept form offers the recipient's own filled-in details to choose from.
    assert 'value="contact_phone"' in page and 'value="contact_person"' in page
    assert 'value="facebook"' not in page  # not filled in
    assert "secret@basra.example" not in _text(
        _client(app, orgs["requester"]).get("/solidarity/introductions")
    )

    response = recipient.post(
        f"/solidarity/introductions/{intro.id}/accept", data={"fields": ["contact_phone", "contact_person"]}
    )
    assert response.status_code == 302
    asker_page = _text(_client(app, orgs["requester"]).get("/solidarity/introductions"))
    assert "+964 780 111" in asker_page and "Layla" in asker_page
    assert "secret@basra.example" not in asker_page  # not chosen
    answerer_page = _text(recipient.get("/solidarity/introductions"))
    assert "desk@lawyers.example" in answerer_page
    assert "+39 06 000" not in answerer_page  # the requester did not choose it
    accepted_mail = [m for m in outbox if "accepted your introduction" in m.subject]
    assert accepted_mail and "+964 780 111" not in accepted_mail[0].body
    actions = scalars(app, sa.select(AuditEntry.action).order_by(AuditEntry.id))
    assert actions == [AuditAction.INTRODUCTION_REQUESTED, AuditAction.INTRODUCTION_ACCEPTED]


def test_a_declined_introduction_says_not_now_and_shares_nothing(app, orgs, outbox):
    _ask(app, orgs["requester"])
    intro_id = scalar(app, sa.select(Introduction.id))
    assert (
        _client(app, orgs["recipient"]).post(f"/solidarity/introductions/{intro_id}/decline").status_code
        == 302
    )
    page = _text(_client(app, orgs["requester"]).get("/solidarity/introductions"))
    assert "Not now." in page
    assert "secret@basra.example" not in page and "+964 780 111" not in page
    assert not [m for m in outbox if "introduction" in m.subject]  # only the request's mail
    # Answered once: accepting afterwards changes nothing.
    _client(app, orgs["recipient"]).post(f"/solidarity/introductions/{intro_id}/accept", data={})
    assert scalar(app, sa.select(Introduction.status)) == IntroductionStatus.DECLINED


def test_a_blocked_requester_reads_not_now_and_the_recipient_gets_no_mail(app, orgs, outbox):
    _ask(app, orgs["requester"])
    intro_id = scalar(app, sa.select(Introduction.id))
    _client(app, orgs["recipient"]).post(f"/solidarity/introductions/{intro_id}/block")
    assert count(app, IntroductionBlock) == 1
    outbox.clear()
    assert _ask(app, orgs["requester"], "Please, again.").status_code == 302
    assert not [m for m in outbox if "answerer@example.org" in m.recipients]
    statuses = scalars(app, sa.select(Introduction.status))
    assert statuses == [IntroductionStatus.DECLINED, IntroductionStatus.DECLINED]
    assert "Please, again." not in _text(_client(app, orgs["recipient"]).get("/solidarity/introductions"))


def test_requests_are_rate_limited_per_organization(app, orgs):
    with app_context(app):
        for n in range(introductions.DAILY_REQUESTS):
            target = builders.make_organization(f"Target {n}")
            db.session.add(
                Introduction(
                    requester_id=scalar_org(app, "lawyers-abroad"),
                    recipient_id=target.id,
                    message="Hello",
                    status=IntroductionStatus.PENDING,
                )
            )
        db.session.commit()
    response = _ask(app, orgs["requester"])
    assert response.status_code == 400
    assert "Try again tomorrow" in _text(response)
    assert count(app, Introduction) == introductions.DAILY_REQUESTS


def scalar_org(app, slug):
    from app.models import Organization

    return db.session.scalar(sa.select(Organization.id).where(Organization.slug == slug))


def test_one_open_request_per_pair_and_none_to_oneself_or_a_dark_organization(app, orgs):
    assert _ask(app, orgs["requester"]).status_code == 302
    response = _ask(app, orgs["requester"])
    assert response.status_code == 400 and "already waiting" in _text(response)
    client = _client(app, orgs["recipient"])
    assert client.get("/solidarity/introductions/ask/basra-water-watch").status_code == 404
    with app_context(app):
        from app.models import Organization

        org = db.session.scalar(sa.select(Organization).where(Organization.slug == "basra-water-watch"))
        org.dark_at = utcnow()
        db.session.commit()
    assert (
        _client(app, orgs["requester"]).get("/solidarity/introductions/ask/basra-water-watch").status_code
        == 404
    )


def test_shared_details_disappear_when_the_other_side_goes_dark(app, orgs):
    _ask(app, orgs["requester"])
    intro_id = scalar(app, sa.select(Introduction.id))
    _client(app, orgs["recipient"]).post(
        f"/solidarity/introductions/{intro_id}/accept", data={"fields": ["contact_phone"]}
    )
    assert "+964 780 111" in _text(_client(app, orgs["requester"]).get("/solidarity/introductions"))
    with app_context(app):
        from app.models import Organization

        org = db.session.scalar(sa.select(Organization).where(Organization.slug == "basra-water-watch"))
        org.dark_at = utcnow()
        db.session.commit()
    assert "+964 780 111" not in _text(_client(app, orgs["requester"]).get("/solidarity/introductions"))


def test_only_the_recipient_answers(app, orgs):
    _ask(app, orgs["requester"])
    intro_id = scalar(app, sa.select(Introduction.id))
    with app_context(app):
        stranger = builders.make_user(
            builders.make_organization("Stranger"), email="stranger@example.org"
        ).email
        db.session.commit()
    for email in (orgs["requester"], stranger):
        client = _client(app, email)
        for action in ("accept", "decline", "block"):
            assert client.post(f"/solidarity/introductions/{intro_id}/{action}").status_code == 404
        assert (
            client.post(f"/solidarity/introductions/{intro_id}/report", data={"reason": "x"}).status_code
            == 404
        )
    assert scalar(app, sa.select(Introduction.status)) == IntroductionStatus.PENDING


def test_a_report_reaches_the_moderators_without_contact_details(app, orgs):
    _ask(app, orgs["requester"], "Send us money at once.", fields=("contact_email", "contact_phone"))
    intro_id = scalar(app, sa.select(Introduction.id))
    response = _client(app, orgs["recipient"]).post(
        f"/solidarity/introductions/{intro_id}/report", data={"reason": "A scam."}
    )
    assert response.status_code == 302
    assert count(app, IntroductionReport) == 1
    assert scalar(app, sa.select(Introduction.status)) == IntroductionStatus.DECLINED
    page = _text(_client(app, orgs["moderator"]).get("/solidarity/reports"))
    assert "Send us money at once." in page and "A scam." in page
    for detail in ("desk@lawyers.example", "+39 06 000", "secret@basra.example", "+964 780 111", "Layla"):
        assert detail not in page
    assert _client(app, orgs["requester"]).get("/solidarity/reports").status_code == 403
    assert AuditAction.INTRODUCTION_REPORTED in scalars(app, sa.select(AuditEntry.action))

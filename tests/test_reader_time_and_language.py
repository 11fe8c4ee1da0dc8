"""Dates in Iraq's time (or the zone a member chose), to the minute; mail in the reader's language.

A moment is stored in UTC; people read it in Baghdad's time (UTC+3) unless their account says
otherwise, and never with seconds. Each person's mail is written in the language they registered
in (or last chose), whoever sends it and in whatever language that person works.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Organization, OrganizationStatus, User
from app.models.outbox import OutboxMessage
from tests.builders import (
    DEFAULT_PASSWORD,
    make_campaign,
    make_moderator,
    make_organization,
    make_pledge,
    make_user,
)
from tests.conftest import app_context, csrf_token_from, empty_all_tables, log_in, scalar, scalars
from tests.membership_support import registration_data

SUBMITTED = datetime(2026, 11, 30, 18, 5, 42, tzinfo=UTC)  # 21:05 in Baghdad, 19:05 in Paris


def pending_application(**fields) -> Organization:
    organization = make_organization("Nahrain Women", status=OrganizationStatus.PENDING, **fields)
    organization.submitted_at = SUBMITTED
    return organization


def visible_text(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


def time_zone_of(app, user_id: int) -> str | None:
    return scalar(app, sa.select(User.time_zone).where(User.id == user_id))


def locale_of(app, user_id: int) -> str | None:
    return scalar(app, sa.select(User.locale).where(User.id == user_id))


# --- Dates -----------------------------------------------------------------------------------


def test_a_moment_shows_in_iraq_time_without_seconds(app, client, auth):
    with app_context(app):
        organization = pending_application()
        make_moderator(email="mod@example.org")
        db.session.commit()
    auth.login("mod@example.org")

    html = client.get(f"/moderation/organizations/{organization.id}").get_data(as_text=True)

    assert "Nov 30, 2026, 9:05\u202fPM" in html  # 18:05 UTC is 21:05 in Baghdad
    assert "9:05:42" not in html and "6:05" not in visible_text(html)
    assert " UTC" not in visible_text(html)
    # The machine-readable moment stays in UTC, to the second.
    assert 'datetime="2026-11-30T18:05:42+00:00"' in html


def test_the_queue_shows_the_moment_in_arabic_in_iraq_time(app, client, auth):
    with app_context(app):
        pending_application()
        make_moderator(email="mod@example.org")
        db.session.commit()
    auth.login("mod@example.org")

    html = client.get("/moderation/?lang=ar").get_data(as_text=True)

    assert "9:05 م" in html
    assert "9:05:42" not in html


def test_a_member_who_chose_another_zone_sees_dates_in_it(app, client, auth):
    with app_context(app):
        organization = pending_application()
        moderator = make_moderator(email="mod@example.org")
        moderator.time_zone = "Europe/Paris"
        db.session.commit()
    auth.login("mod@example.org")

    html = client.get(f"/moderation/organizations/{organization.id}").get_data(as_text=True)

    assert "Nov 30, 2026, 7:05\u202fPM" in html
    assert "9:05\u202fPM" not in html


def test_a_day_is_the_day_in_iraq(app, client):
    """23:30 UTC on 30 November is already 1 December in Baghdad."""
    with app_context(app):
        campaign = make_campaign("Save the Tigris", slug="save-the-tigris")
        make_pledge(
            make_organization("Nahrain Women"),
            campaign,
            created_at=datetime(2026, 11, 30, 23, 30, tzinfo=UTC),
        )
        db.session.commit()

    html = client.get("/campaigns/save-the-tigris").get_data(as_text=True)

    assert ">Dec 1, 2026</time>" in html
    assert 'datetime="2026-11-30T23:30:00+00:00"' in html


def test_a_member_chooses_a_time_zone_in_their_account(app, client, auth):
    with app_context(app):
        user = make_user(email="lina@example.org")
        db.session.commit()
    auth.login("lina@example.org")
    page = client.get("/account/").get_data(as_text=True)
    assert 'action="/account/time-zone"' in page
    assert '<option value="Europe/Paris">' in page  # a common zone, named for the reader
    assert '<option value="Pacific/Tahiti">Pacific/Tahiti</option>' in page  # and every other one

    response = client.post("/account/time-zone", data={"zone-time_zone": "Europe/Paris"})

    assert response.status_code == 302
    assert time_zone_of(app, user.id) == "Europe/Paris"
    assert '<option selected value="Europe/Paris">' in client.get("/account/").get_data(as_text=True)

    # Back to Iraq's time, the site's own: nothing kept.
    assert client.post("/account/time-zone", data={"zone-time_zone": ""}).status_code == 302
    assert time_zone_of(app, user.id) is None


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "../../etc/passwd", "Asia/Baghdad\n", "x" * 300])
def test_an_unknown_time_zone_is_refused_with_a_form_error(app, client, auth, zone):
    with app_context(app):
        user = make_user(email="lina@example.org")
        user.time_zone = "Asia/Amman"
        db.session.commit()
    auth.login("lina@example.org")

    response = client.post("/account/time-zone", data={"zone-time_zone": zone})

    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="zone-time_zone-error"' in html
    assert "This time zone is not known" in html
    assert time_zone_of(app, user.id) == "Asia/Amman"


def test_a_time_zone_form_without_a_choice_writes_nothing(app, client, auth):
    with app_context(app):
        user = make_user(email="lina@example.org")
        user.time_zone = "Asia/Amman"
        db.session.commit()
    auth.login("lina@example.org")

    assert client.post("/account/time-zone", data={}).status_code == 400
    assert time_zone_of(app, user.id) == "Asia/Amman"


# --- Mail in the reader's language -------------------------------------------------------------


def outbox_rows(app, recipient: str) -> list[OutboxMessage]:
    return scalars(
        app, sa.select(OutboxMessage).where(OutboxMessage.recipient == recipient).order_by(OutboxMessage.id)
    )


def test_registering_keeps_the_language_of_the_form(app, client):
    client.post("/auth/register?lang=ar", data=registration_data(email="owner@amal.example.org"))

    user = scalar(app, sa.select(User).where(User.email == "owner@amal.example.org"))
    assert user.locale == "ar"
    [confirmation] = outbox_rows(app, "owner@amal.example.org")
    assert confirmation.subject == "أكِّد عنوان بريدك الإلكتروني لدى «تضامن»"


def test_an_arabic_applicant_approved_by_a_moderator_working_in_english_gets_arabic_mail(
    app, client, auth, outbox
):
    applicant = app.test_client()
    applicant.post("/auth/register?lang=ar", data=registration_data(email="owner@amal.example.org"))
    with app_context(app):
        organization = db.session.scalar(sa.select(Organization))
        make_moderator(email="mod@example.org")
        db.session.commit()
    auth.login("mod@example.org")

    response = client.post(
        f"/moderation/organizations/{organization.id}/approve?lang=en",
        data={"reason": ""},
        headers={"Accept-Language": "en"},
    )

    assert response.status_code == 302
    # The queued row (its body is dropped once sent) and the message that left.
    assert outbox_rows(app, "owner@amal.example.org")[-1].subject == "تم قبول منظمتك في «تضامن»"
    approval = outbox[-1]
    assert approval.recipients == ["owner@amal.example.org"]
    assert approval.subject == "تم قبول منظمتك في «تضامن»"
    assert "Good news" not in approval.body
    assert "Al-Amal Association" in approval.body


def test_a_language_chosen_while_logged_in_is_kept_for_mail_by_the_next_post(app, client, auth):
    with app_context(app):
        user = make_user(email="lina@example.org")
        user.locale = "en"
        db.session.commit()
    auth.login("lina@example.org")

    client.get("/?lang=ckb")  # the switcher: a GET, it writes nothing
    assert locale_of(app, user.id) == "en"

    client.post("/account/time-zone", data={"zone-time_zone": "Europe/Berlin"})  # any POST

    assert locale_of(app, user.id) == "ckb"


def test_a_forged_post_keeps_no_language(make_app):
    """The language is kept only by a POST that passes the CSRF check: a cross-site form that
    lands after a switcher link keeps nothing."""
    application = make_app(WTF_CSRF_ENABLED=True)
    try:
        with app_context(application):
            user = make_user(email="lina@example.org")
            user.locale = "en"
            db.session.commit()
        client = application.test_client()
        token = csrf_token_from(client, "/auth/login")
        assert log_in(client, "lina@example.org", DEFAULT_PASSWORD, csrf_token=token).status_code == 302
        client.get("/?lang=fr")

        response = client.post("/account/time-zone", data={"zone-time_zone": "Europe/Paris"})

        assert response.status_code == 400
        assert locale_of(application, user.id) == "en"
    finally:
        with app_context(application):
            empty_all_tables()


def test_a_language_chosen_before_logging_in_is_kept_at_login(app, client):
    with app_context(app):
        user = make_user(email="lina@example.org")
        user.locale = "en"
        db.session.commit()

    client.get("/auth/login?lang=fr")
    log_in(client, "lina@example.org", DEFAULT_PASSWORD)

    assert locale_of(app, user.id) == "fr"


def test_logging_in_without_a_choice_keeps_the_registered_language(app, client):
    with app_context(app):
        user = make_user(email="lina@example.org")
        user.locale = "ar"
        db.session.commit()

    client.post(
        "/auth/login",
        data={"email": "lina@example.org", "password": DEFAULT_PASSWORD},
        headers={"Accept-Language": "fr"},
    )

    assert locale_of(app, user.id) == "ar"


def test_mail_dates_are_in_the_recipients_language_and_zone(app, app_ctx, outbox):
    from types import SimpleNamespace

    from app.services import mail

    user = make_user(email="lina@example.org")
    user.locale = "fr"
    user.time_zone = "Europe/Paris"
    login = SimpleNamespace(created_at=SUBMITTED, browser="Firefox", system="Linux", country=None)
    with app.test_request_context("/?lang=ar"):  # whoever sends it, in whatever language
        mail.send_new_device_notice(user, login)
        db.session.commit()

    [message] = outbox
    assert message.subject == "Nouvelle connexion à votre compte Tadamun"
    assert "30 nov. 2026, 19:05" in message.body
    assert "19:05:42" not in message.body


# --- The moderator sees the applicant's language -----------------------------------------------


def test_the_moderator_sees_the_applicants_language(app, client, auth):
    with app_context(app):
        organization = pending_application()
        owner = make_user(organization, email="owner@nahrain.example.org")
        owner.locale = "ar"
        make_moderator(email="mod@example.org")
        db.session.commit()
    auth.login("mod@example.org")

    for path in ("/moderation/", f"/moderation/organizations/{organization.id}"):
        html = client.get(path).get_data(as_text=True)
        assert re.search(r'<dt>Language</dt><dd lang="ar" dir="rtl">العربية</dd>', html), path

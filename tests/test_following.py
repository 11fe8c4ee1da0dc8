"""Following: members from their account, visitors by email with a double opt-in link, and the
one-click unsubscribe link (RFC 8058) of every mail to a follower."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask_babel import force_locale, gettext

from app.extensions import db
from app.models import Follow
from app.models.base import utcnow
from app.services import following, tokens
from tests.builders import make_campaign, make_organization, make_project, make_user
from tests.conftest import app_context, count, empty_all_tables, log_in, scalar
from tests.membership_support import link_in
from tests.pages import page


@pytest.fixture
def subjects(app):
    with app_context(app):
        campaign = make_campaign("Save the Tigris", slug="save-the-tigris")
        org = make_organization("River Keepers", slug="river-keepers")
        make_project(org, [campaign], "River School", slug="river-school")
        member = make_user(make_organization("Other Org"), email="member@example.org")
        db.session.commit()
        return {"campaign": campaign, "org": org, "member": member}


# --- Members -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "key", "url"),
    [
        ("campaign", "save-the-tigris", "/campaigns/save-the-tigris"),
        ("organization", "river-keepers", "/organizations/river-keepers"),
        ("project", "river-school", "/projects/river-school"),
    ],
)
def test_a_member_follows_and_unfollows_from_the_page_and_the_dashboard(
    app, subjects, client, kind, key, url
):
    log_in(client, "member@example.org")
    assert f'action="/follow/{kind}/{key}"' in page(client, url)
    assert client.post(f"/follow/{kind}/{key}").status_code == 302
    assert client.post(f"/follow/{kind}/{key}").status_code == 302  # twice: still one row
    assert count(app, Follow) == 1
    assert f'action="/unfollow/{kind}/{key}"' in page(client, url)
    dashboard = page(client, "/account/")
    assert "What you follow" in dashboard and f"/unfollow/{kind}/{key}" in dashboard
    assert client.post(f"/unfollow/{kind}/{key}", data={"back": "list"}).status_code == 302
    assert count(app, Follow) == 0


def test_only_what_is_in_public_view_can_be_followed(app, subjects, client):
    with app_context(app):
        make_organization("Dark Org", slug="dark-org", dark_at=utcnow())
        db.session.commit()
    log_in(client, "member@example.org")
    assert client.post("/follow/organization/dark-org").status_code == 404
    assert client.post("/follow/campaign/no-such-campaign").status_code == 404
    assert count(app, Follow) == 0


def test_a_followed_organization_that_goes_dark_leaves_the_dashboard_list(app, subjects, client):
    log_in(client, "member@example.org")
    client.post("/follow/organization/river-keepers")
    assert "River Keepers" in page(client, "/following/")
    with app_context(app):
        db.session.merge(subjects["org"]).dark_at = utcnow()
        db.session.commit()
    assert "River Keepers" not in page(client, "/following/")


# --- Visitors: double opt-in -------------------------------------------------------------------


def test_a_visitor_follows_by_email_only_after_confirming(app, subjects, client, outbox):
    assert "/follow/campaign/save-the-tigris/email" in page(client, "/campaigns/save-the-tigris")
    response = client.post(
        "/follow/campaign/save-the-tigris/email?lang=fr", data={"email": "Ana@Example.org"}
    )
    assert response.status_code == 200
    assert count(app, Follow) == 0  # nothing is written before the link is opened
    [message] = outbox
    assert message.recipients == ["ana@example.org"]
    # In the visitor's language (the new sentences reach the catalogs at merge; the greeting is there).
    with app.test_request_context(), force_locale("fr"):
        french_signature = gettext("The Tadamun team")
    assert french_signature != "The Tadamun team" and french_signature in message.body
    confirm = link_in(message, "/follow/confirm/")
    assert "Save the Tigris" in page(client, confirm)  # a GET (a mail scanner) writes nothing
    assert count(app, Follow) == 0
    assert client.post(confirm).status_code == 200
    assert client.post(confirm).status_code == 200  # the same link again: still one row
    row = scalar(app, sa.select(Follow))
    assert (row.email, row.locale, row.user_id, row.campaign_id) == (
        "ana@example.org", "fr", None, subjects["campaign"].id,
    )  # fmt: skip
    welcome = outbox[-1]
    assert welcome.recipients == ["ana@example.org"]
    assert welcome.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert welcome.extra_headers["List-Unsubscribe"].startswith("<http")
    assert "/unsubscribe/" in welcome.body


def test_the_form_answers_the_same_whether_the_address_follows_or_not(app, subjects, client, outbox):
    first = client.post("/follow/campaign/save-the-tigris/email", data={"email": "ana@example.org"})
    client.post(link_in(outbox[0], "/follow/confirm/"))
    again = client.post("/follow/campaign/save-the-tigris/email", data={"email": "ana@example.org"})
    other = client.post("/follow/campaign/save-the-tigris/email", data={"email": "new@example.org"})
    assert first.status_code == again.status_code == other.status_code == 200
    assert first.get_data(as_text=True) == again.get_data(as_text=True) == other.get_data(as_text=True)


def test_a_bad_address_or_a_forged_link_writes_nothing(app, subjects, client, outbox):
    assert (
        client.post("/follow/campaign/save-the-tigris/email", data={"email": "not an address"}).status_code
        == 400
    )
    assert client.post("/follow/confirm/forged-token").status_code == 400
    with app_context(app):
        other_purpose = tokens.make_token(
            tokens.EMAIL_CONFIRMATION, {"email": "x@example.org", "subject": "campaign:1", "locale": "en"}
        )
    assert client.post(f"/follow/confirm/{other_purpose}").status_code == 400
    assert count(app, Follow) == 0 and not outbox


def test_the_visitor_form_is_rate_limited(make_app):
    application = make_app(RATELIMIT_ENABLED=True, AUTH_RATE_LIMIT="3 per minute")
    try:
        with app_context(application):
            make_campaign("Save the Tigris", slug="save-the-tigris")
            db.session.commit()
        client = application.test_client()
        answers = [
            client.post(
                "/follow/campaign/save-the-tigris/email", data={"email": f"a{n}@example.org"}
            ).status_code
            for n in range(4)
        ]
        assert answers == [200, 200, 200, 429]
    finally:
        with app_context(application):
            empty_all_tables()


# --- Unsubscribing -----------------------------------------------------------------------------


def _visitor_follow(app, subjects) -> tuple[int, str]:
    with app_context(app):
        campaign = db.session.merge(subjects["campaign"])
        row = Follow(
            email="ana@example.org", locale="ar", follower_key="email:ana@example.org",
            subject_key=following.subject_key("campaign", campaign), campaign_id=campaign.id,
        )  # fmt: skip
        db.session.add(row)
        db.session.commit()
        return row.id, following.unsubscribe_token(row)


def test_one_click_unsubscribe_works_logged_out_without_csrf(app, subjects, client):
    _row_id, token = _visitor_follow(app, subjects)
    assert "Unsubscribe" in page(client, f"/unsubscribe/{token}")  # GET: a button, nothing changes
    assert count(app, Follow) == 1
    response = client.post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert count(app, Follow) == 0
    assert client.post(f"/unsubscribe/{token}").status_code == 200  # twice: nothing more


def test_an_old_unsubscribe_link_never_reaches_another_follower(app, subjects, client):
    row_id, token = _visitor_follow(app, subjects)
    client.post(f"/unsubscribe/{token}")
    with app_context(app):
        # Another follower gets the same id (SQLite may reuse it).
        campaign = db.session.merge(subjects["campaign"])
        db.session.add(
            Follow(
                id=row_id, email="other@example.org", follower_key="email:other@example.org",
                subject_key=following.subject_key("campaign", campaign), campaign_id=campaign.id,
            )
        )  # fmt: skip
        db.session.commit()
    client.post(f"/unsubscribe/{token}")
    assert count(app, Follow) == 1


def test_a_damaged_unsubscribe_link_is_refused(app, subjects, client):
    _row_id, token = _visitor_follow(app, subjects)
    assert client.post(f"/unsubscribe/{token[:-3]}xyz").status_code == 400
    assert count(app, Follow) == 1

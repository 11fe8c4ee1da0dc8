"""The moderator's queue: where a moderator lands, the header's count, the application cards."""

from __future__ import annotations

import re

import pytest

from app.extensions import db
from app.models import OrganizationStatus, User
from tests.builders import make_moderator, make_organization, make_user
from tests.conftest import app_context


@pytest.fixture
def moderator(app) -> int:
    """A moderator (not logged in); their id."""
    with app_context(app):
        user = make_moderator(email="mod@example.org")
        db.session.commit()
        return user.id


def test_a_moderator_lands_on_the_queue_after_logging_in(client, auth, moderator):
    response = auth.login("mod@example.org")
    assert response.status_code == 302
    assert response.headers["Location"] == "/moderation/"


def test_a_member_still_lands_on_the_dashboard(app, client, auth):
    with app_context(app):
        make_user(email="amal@example.org")
        db.session.commit()
    assert auth.login("amal@example.org").headers["Location"] == "/account/"


def header_of(page: str) -> str:
    return page[
        page.index('<nav class="site-nav"') : page.index("</nav>", page.index('<nav class="site-nav"'))
    ]


def test_the_header_shows_moderators_how_many_applications_wait(app, client, auth, moderator):
    with app_context(app):
        for n in range(3):
            make_organization(f"Waiting {n}", status=OrganizationStatus.PENDING)
        make_organization("Approved one")
        db.session.commit()
    auth.login("mod@example.org")
    header = header_of(client.get("/campaigns/").get_data(as_text=True))
    assert re.search(r'class="count-badge" aria-hidden="true">3<', header)
    assert "(3 applications wait)" in header


def test_no_badge_when_nothing_waits(client, auth, moderator):
    auth.login("mod@example.org")
    assert "count-badge" not in client.get("/campaigns/").get_data(as_text=True)


def test_members_see_no_count(app, client, auth):
    with app_context(app):
        make_organization("Waiting", status=OrganizationStatus.PENDING)
        make_user(email="amal@example.org")
        db.session.commit()
    auth.login("amal@example.org")
    assert "count-badge" not in client.get("/campaigns/").get_data(as_text=True)


def reject(client, organization_id, reason):
    return client.post(f"/moderation/organizations/{organization_id}/reject", data={"reason": reason})


def card_of(page: str, name: str) -> str:
    start = page.index(name)
    return page[start : page.index("</li>", page.index('class="decisions"', start))]


def test_each_application_is_a_card_whose_reject_reason_opens_only_when_chosen(app, client, auth, moderator):
    with app_context(app):
        make_organization("Waiting Group", status=OrganizationStatus.PENDING)
        db.session.commit()
    auth.login("mod@example.org")
    card = card_of(client.get("/moderation/").get_data(as_text=True), "Waiting Group")
    assert "Approve" in card
    details = card[card.index('<details class="confirm-action reject">') :]
    assert details.index("<summary") < details.index('name="reason"') < details.index("</details>")
    assert "Resubmitted" not in card


def test_a_resubmitted_application_is_marked_with_the_reason_and_what_changed(app, client, auth, moderator):
    from app.models import Organization
    from app.services import membership

    with app_context(app):
        organization = make_organization(
            "Green Marsh", status=OrganizationStatus.PENDING, city="Basra", website="https://old.example.org"
        )
        owner = make_user(organization, email="owner@marsh.example.org")
        db.session.commit()
        organization_id, owner_id = organization.id, owner.id
    auth.login("mod@example.org")
    assert reject(client, organization_id, "Tell us more about your work.").status_code == 302

    with app_context(app):
        with app.test_request_context():
            membership.resubmit_application(
                db.session.get(Organization, organization_id),
                db.session.get(User, owner_id),
                {"city": "Nasiriyah", "website": "https://new.example.org"},
            )
        db.session.commit()
    card = card_of(client.get("/moderation/").get_data(as_text=True), "Green Marsh")
    assert "Resubmitted" in card
    assert "Tell us more about your work." in card
    rows = re.findall(
        r'<th scope="row">([^<]+)</th>\s*<td><del[^>]*>([^<]*)</del></td>\s*<td><ins[^>]*>([^<]*)</ins>', card
    )
    assert ("City or governorate", "Basra", "Nasiriyah") in rows
    assert ("Website", "https://old.example.org", "https://new.example.org") in rows
    assert len(rows) == 2  # only what changed


def test_erasing_an_organization_clears_the_fields_kept_with_its_rejection(app, moderator, app_ctx):
    from app.models import AuditAction, AuditEntry
    from app.services import leaving
    from app.services import moderation as moderation_service

    organization = make_organization(
        "Private Group", status=OrganizationStatus.PENDING, contact_phone="+964 770 123 4567"
    )
    db.session.commit()
    with app.test_request_context():
        moderation_service.reject_organization(
            db.session.get(User, moderator), organization, "Not a civil society group."
        )
    db.session.commit()
    entry = db.session.scalar(
        db.select(AuditEntry).where(AuditEntry.action == AuditAction.ORGANIZATION_REJECTED)
    )
    assert entry.snapshot["contact_phone"] == "+964 770 123 4567"
    with app.test_request_context():
        leaving.erase_organization(organization, "asked to leave")
    db.session.commit()
    assert db.session.get(AuditEntry, entry.id).snapshot is None


def test_the_queue_names_the_place_in_the_readers_language(app, client, auth, moderator):
    """An application from Kirkuk reads «العراق · كركوك» on the Arabic queue, as the directory
    does, not a Latin city after a Latin comma."""
    with app_context(app):
        make_organization("Kirkuk Dialogue", status=OrganizationStatus.PENDING, city="Kirkuk")
        db.session.commit()
    auth.login("mod@example.org")
    html = client.get("/moderation/?lang=ar").get_data(as_text=True)
    assert "العراق · <bdi>كركوك</bdi>" in html
    html = client.get("/moderation/?lang=en").get_data(as_text=True)
    assert "Iraq · <bdi>Kirkuk</bdi>" in html

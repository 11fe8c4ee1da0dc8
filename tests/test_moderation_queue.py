"""The moderator's queue: where a moderator lands, the header's count, the application cards."""

from __future__ import annotations

import re

import pytest

from app.extensions import db
from app.models import OrganizationStatus
from tests.builders import make_moderator, make_organization, make_user


@pytest.fixture
def moderator(auth):
    user = make_moderator(email="mod@example.org")
    db.session.commit()
    return user


def test_a_moderator_lands_on_the_queue_after_logging_in(client, auth, moderator):
    response = auth.login("mod@example.org")
    assert response.status_code == 302
    assert response.headers["Location"] == "/moderation/"


def test_a_member_still_lands_on_the_dashboard(client, auth):
    make_user(email="amal@example.org")
    db.session.commit()
    assert auth.login("amal@example.org").headers["Location"] == "/account/"


def header_of(page: str) -> str:
    return page[
        page.index('<nav class="site-nav"') : page.index("</nav>", page.index('<nav class="site-nav"'))
    ]


def test_the_header_shows_moderators_how_many_applications_wait(client, auth, moderator):
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


def test_members_see_no_count(client, auth):
    make_organization("Waiting", status=OrganizationStatus.PENDING)
    make_user(email="amal@example.org")
    db.session.commit()
    auth.login("amal@example.org")
    assert "count-badge" not in client.get("/campaigns/").get_data(as_text=True)


def reject(client, organization, reason):
    return client.post(f"/moderation/organizations/{organization.id}/reject", data={"reason": reason})


def card_of(page: str, name: str) -> str:
    start = page.index(name)
    return page[start : page.index("</li>", page.index('class="decisions"', start))]


def test_each_application_is_a_card_whose_reject_reason_opens_only_when_chosen(client, auth, moderator):
    make_organization("Waiting Group", status=OrganizationStatus.PENDING)
    db.session.commit()
    auth.login("mod@example.org")
    card = card_of(client.get("/moderation/").get_data(as_text=True), "Waiting Group")
    assert "Approve" in card
    details = card[card.index('<details class="confirm-action reject">') :]
    assert details.index("<summary") < details.index('name="reason"') < details.index("</details>")
    assert "Resubmitted" not in card


def test_a_resubmitted_application_is_marked_with_the_reason_and_what_changed(client, auth, moderator):
    from app.services import membership

    organization = make_organization(
        "Green Marsh", status=OrganizationStatus.PENDING, city="Basra", website="https://old.example.org"
    )
    owner = make_user(organization, email="owner@marsh.example.org")
    db.session.commit()
    auth.login("mod@example.org")
    assert reject(client, organization, "Tell us more about your work.").status_code == 302

    with client.application.test_request_context():
        membership.resubmit_application(
            organization, owner, {"city": "Nasiriyah", "website": "https://new.example.org"}
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


def test_erasing_an_organization_clears_the_fields_kept_with_its_rejection(app, moderator):
    from app.models import AuditAction, AuditEntry
    from app.services import leaving
    from app.services import moderation as moderation_service

    organization = make_organization(
        "Private Group", status=OrganizationStatus.PENDING, contact_phone="+964 770 123 4567"
    )
    db.session.commit()
    with app.test_request_context():
        moderation_service.reject_organization(moderator, organization, "Not a civil society group.")
    db.session.commit()
    entry = db.session.scalar(
        db.select(AuditEntry).where(AuditEntry.action == AuditAction.ORGANIZATION_REJECTED)
    )
    assert entry.snapshot["contact_phone"] == "+964 770 123 4567"
    with app.test_request_context():
        leaving.erase_organization(organization, "asked to leave")
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(AuditEntry, entry.id).snapshot is None

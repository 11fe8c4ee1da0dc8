"""Moderators review applications, suspend and reinstate; every decision is recorded."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditAction, AuditEntry, OrganizationStatus
from app.models.base import utcnow
from app.services import counters
from tests.builders import (
    DEFAULT_PASSWORD,
    make_campaign,
    make_moderator,
    make_organization,
    make_pledge,
    make_project,
    make_user,
)
from tests.membership_support import row_counts


@pytest.fixture
def moderator(auth):
    user = make_moderator(email="mod@example.org")
    db.session.commit()
    auth.login("mod@example.org")
    return user


def decide(client, organization, decision, reason=""):
    return client.post(f"/moderation/organizations/{organization.id}/{decision}", data={"reason": reason})


def test_visitor_is_sent_to_log_in(client):
    for path in ("/moderation/", "/moderation/log", "/moderation/users", "/moderation/organizations"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/auth/login?next=")
    organization = make_organization(status=OrganizationStatus.PENDING)
    db.session.commit()
    assert decide(client, organization, "approve").status_code == 302
    db.session.refresh(organization)
    assert organization.status == OrganizationStatus.PENDING


def test_member_cannot_reach_moderation(client, auth):
    make_user(email="amal@example.org")
    pending = make_organization(status=OrganizationStatus.PENDING)
    db.session.commit()
    auth.login("amal@example.org")
    for path in (
        "/moderation/",
        "/moderation/log",
        "/moderation/users",
        f"/moderation/organizations/{pending.id}",
    ):
        assert client.get(path).status_code == 403
    before = row_counts()
    assert decide(client, pending, "approve").status_code == 403
    assert row_counts() == before
    db.session.refresh(pending)
    assert pending.status == OrganizationStatus.PENDING
    assert 'href="/moderation/"' not in client.get("/").get_data(as_text=True)


def test_queue_lists_pending_applications_oldest_first_with_hidden_contacts(client, moderator):
    newer = make_organization("Newer", status=OrganizationStatus.PENDING, submitted_at=utcnow())
    older = make_organization(
        "Older",
        status=OrganizationStatus.PENDING,
        submitted_at=utcnow() - timedelta(days=3),
        contact_phone="+964 111",
        contact_phone_visibility="hidden",
    )
    make_user(older, email="older@example.org", confirmed=False)
    make_organization("Approved already")
    db.session.commit()
    html = client.get("/moderation/").get_data(as_text=True)
    assert html.index("Older") < html.index("Newer")
    assert "Approved already" not in html
    assert "+964 111" in html
    assert "older@example.org" in html
    assert "email not confirmed" in html
    assert newer.name in html
    assert 'href="/moderation/"' in client.get("/").get_data(as_text=True)


def test_queue_runs_a_constant_number_of_queries(client, moderator, count_queries):
    def add(n):
        for _ in range(n):
            organization = make_organization(status=OrganizationStatus.PENDING)
            make_user(organization)
        db.session.commit()

    add(2)
    with count_queries() as few:
        client.get("/moderation/")
    add(10)
    with count_queries() as many:
        client.get("/moderation/")
    assert many.count == few.count


def test_approving_records_who_and_tells_the_applicant(client, moderator, outbox):
    organization = make_organization(status=OrganizationStatus.PENDING)
    make_user(organization, email="owner@example.org")
    db.session.commit()
    assert decide(client, organization, "approve").status_code == 302
    db.session.refresh(organization)
    assert organization.status == OrganizationStatus.APPROVED
    assert organization.approved_at is not None
    entry = db.session.scalar(sa.select(AuditEntry))
    assert (entry.action, entry.actor_id, entry.actor_email) == (
        AuditAction.ORGANIZATION_APPROVED,
        moderator.id,
        "mod@example.org",
    )
    assert [m.recipients for m in outbox] == [["owner@example.org"]]
    assert client.get(f"/organizations/{organization.slug}").status_code == 200


def test_rejecting_needs_a_reason(client, moderator, outbox):
    organization = make_organization(status=OrganizationStatus.PENDING)
    db.session.commit()
    before = row_counts()
    for reason in ("", "   "):
        response = decide(client, organization, "reject", reason)
        assert response.status_code == 400
    assert row_counts() == before
    db.session.refresh(organization)
    assert organization.status == OrganizationStatus.PENDING
    assert outbox == []


def test_rejection_reason_reaches_the_applicant(client, moderator, outbox, app):
    organization = make_organization(status=OrganizationStatus.PENDING)
    make_user(organization, email="owner@example.org")
    db.session.commit()
    assert decide(client, organization, "reject", "Please tell us where you work.").status_code == 302
    db.session.refresh(organization)
    assert organization.status == OrganizationStatus.REJECTED
    assert organization.status_reason == "Please tell us where you work."
    entry = db.session.scalar(sa.select(AuditEntry))
    assert entry.action == AuditAction.ORGANIZATION_REJECTED
    assert entry.reason == "Please tell us where you work."
    [message] = outbox
    assert "Please tell us where you work." in message.body
    applicant = app.test_client()
    applicant.post("/auth/login", data={"email": "owner@example.org", "password": DEFAULT_PASSWORD})
    assert "Please tell us where you work." in applicant.get("/account/").get_data(as_text=True)


def test_decisions_that_do_not_fit_the_status_are_refused(client, moderator):
    approved = make_organization()
    pending = make_organization(status=OrganizationStatus.PENDING)
    db.session.commit()
    before = row_counts()
    assert decide(client, approved, "approve").status_code == 400
    assert decide(client, approved, "reject", "no").status_code == 400
    assert decide(client, approved, "reinstate").status_code == 400
    assert decide(client, pending, "suspend", "why").status_code == 400
    assert row_counts() == before


def test_unknown_organization_or_decision_is_404(client, moderator):
    assert client.post("/moderation/organizations/999/approve").status_code == 404
    organization = make_organization(status=OrganizationStatus.PENDING)
    db.session.commit()
    assert client.post(f"/moderation/organizations/{organization.id}/delete").status_code == 404
    assert client.get(f"/moderation/organizations/{organization.id}/approve").status_code == 405


def test_suspension_hides_the_organization_uncounts_it_and_logs_its_users_out(client, moderator, app):
    organization = make_organization("Suspended Soon", country="IQ")
    member = make_user(organization, email="member@example.org")
    campaign = make_campaign()
    make_pledge(organization, campaign)
    make_project(organization, [campaign])
    db.session.commit()
    member_client = app.test_client()
    member_client.post("/auth/login", data={"email": member.email, "password": DEFAULT_PASSWORD})
    assert member_client.get("/account/").status_code == 200
    assert (campaign.supporter_count, campaign.iraqi_supporter_count, campaign.project_count) == (1, 1, 1)

    assert decide(client, organization, "suspend", "Complaint under review.").status_code == 302

    db.session.refresh(organization)
    db.session.refresh(campaign)
    assert organization.status == OrganizationStatus.SUSPENDED
    assert organization.status_reason == "Complaint under review."
    assert (campaign.supporter_count, campaign.iraqi_supporter_count, campaign.project_count) == (0, 0, 0)
    assert counters.computed_counts() == counters.stored_counts()
    assert client.get(f"/organizations/{organization.slug}").status_code == 404
    assert "Suspended Soon" not in client.get("/organizations/").get_data(as_text=True)
    assert member_client.get("/account/").status_code == 302  # logged out
    entry = db.session.scalar(sa.select(AuditEntry))
    assert (entry.action, entry.reason) == (AuditAction.ORGANIZATION_SUSPENDED, "Complaint under review.")


def test_suspension_needs_a_reason(client, moderator):
    organization = make_organization()
    db.session.commit()
    before = row_counts()
    assert decide(client, organization, "suspend", "").status_code == 400
    assert row_counts() == before
    db.session.refresh(organization)
    assert organization.status == OrganizationStatus.APPROVED


def test_reinstating_restores_pages_and_counts(client, moderator):
    organization = make_organization("Back Again")
    campaign = make_campaign()
    make_pledge(organization, campaign)
    db.session.commit()
    decide(client, organization, "suspend", "Checking.")
    assert decide(client, organization, "reinstate", "Checked.").status_code == 302
    db.session.refresh(organization)
    db.session.refresh(campaign)
    assert organization.status == OrganizationStatus.APPROVED
    assert organization.status_reason is None
    assert campaign.supporter_count == 1
    assert counters.computed_counts() == counters.stored_counts()
    assert client.get(f"/organizations/{organization.slug}").status_code == 200
    actions = list(db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions == [AuditAction.ORGANIZATION_SUSPENDED, AuditAction.ORGANIZATION_REINSTATED]


def test_suspended_member_cannot_act(client, auth, moderator, app):
    organization = make_organization()
    make_user(organization, email="member@example.org")
    db.session.commit()
    decide(client, organization, "suspend", "Checking.")
    member = app.test_client()
    member.post("/auth/login", data={"email": "member@example.org", "password": DEFAULT_PASSWORD})
    assert member.post("/account/invite", data={"email": "x@example.org"}).status_code == 403
    assert member.post("/account/profile", data={"name": "x"}).status_code == 403


def test_decisions_need_csrf(make_app):
    from tests.conftest import empty_all_tables

    application = make_app(WTF_CSRF_ENABLED=True)
    with application.app_context():
        make_moderator(email="mod@example.org")
        organization = make_organization(status=OrganizationStatus.PENDING)
        db.session.commit()
        client = application.test_client()
        from tests.conftest import csrf_token_from, log_in

        token = csrf_token_from(client, "/auth/login")
        log_in(client, "mod@example.org", DEFAULT_PASSWORD, csrf_token=token)
        assert client.post(f"/moderation/organizations/{organization.id}/approve").status_code == 400
        db.session.refresh(organization)
        assert organization.status == OrganizationStatus.PENDING
        token = csrf_token_from(client, "/moderation/")
        assert (
            client.post(
                f"/moderation/organizations/{organization.id}/approve", data={"csrf_token": token}
            ).status_code
            == 302
        )
        db.session.refresh(organization)
        assert organization.status == OrganizationStatus.APPROVED
        db.session.remove()
        empty_all_tables()


def test_moderator_finds_an_approved_organization_to_suspend(client, moderator):
    organization = make_organization(
        "Nour Foundation", contact_email="hidden@nour.example", contact_email_visibility="hidden"
    )
    make_organization("Other Group")
    db.session.commit()
    listing = client.get("/moderation/organizations?status=approved&q=nour").get_data(as_text=True)
    assert "Nour Foundation" in listing and "Other Group" not in listing
    assert client.get("/moderation/organizations?status=bogus").status_code == 404
    detail = client.get(f"/moderation/organizations/{organization.id}").get_data(as_text=True)
    assert "hidden@nour.example" in detail
    assert "Suspend" in detail


def test_refused_decision_shows_the_reason_field_error(client, moderator):
    organization = make_organization()
    db.session.commit()
    html = decide(client, organization, "suspend", "").get_data(as_text=True)
    assert 'class="error-summary"' in html

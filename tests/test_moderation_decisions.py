"""Moderators review applications, suspend and reinstate; every decision is recorded."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditAction, AuditEntry, Campaign, Organization, OrganizationStatus
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
from tests.conftest import app_context, csrf_token_from, log_in, scalar, scalars
from tests.membership_support import row_counts


@pytest.fixture
def moderator(app, auth) -> int:
    """A moderator, logged in with the client; their id."""
    with app_context(app):
        user = make_moderator(email="mod@example.org")
        db.session.commit()
        user_id = user.id
    auth.login("mod@example.org")
    return user_id


def decide(client, organization_id, decision, reason=""):
    return client.post(f"/moderation/organizations/{organization_id}/{decision}", data={"reason": reason})


def new_organization(app, *args, **fields) -> int:
    with app_context(app):
        organization = make_organization(*args, **fields)
        db.session.commit()
        return organization.id


def status_of(app, organization_id):
    return scalar(app, sa.select(Organization.status).where(Organization.id == organization_id))


def test_visitor_is_sent_to_log_in(app, client):
    for path in ("/moderation/", "/moderation/log", "/moderation/users", "/moderation/organizations"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/auth/login?next=")
    organization_id = new_organization(app, status=OrganizationStatus.PENDING)
    assert decide(client, organization_id, "approve").status_code == 302
    assert status_of(app, organization_id) == OrganizationStatus.PENDING


def test_member_cannot_reach_moderation(app, client, auth):
    with app_context(app):
        make_user(email="amal@example.org")
        pending_id = make_organization(status=OrganizationStatus.PENDING).id
        db.session.commit()
    auth.login("amal@example.org")
    for path in (
        "/moderation/",
        "/moderation/log",
        "/moderation/users",
        f"/moderation/organizations/{pending_id}",
    ):
        assert client.get(path).status_code == 403
    before = row_counts(app)
    assert decide(client, pending_id, "approve").status_code == 403
    assert row_counts(app) == before
    assert status_of(app, pending_id) == OrganizationStatus.PENDING
    assert 'href="/moderation/"' not in client.get("/").get_data(as_text=True)


def test_queue_lists_pending_applications_oldest_first_with_hidden_contacts(app, client, moderator):
    with app_context(app):
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
        newer_name = newer.name
    html = client.get("/moderation/").get_data(as_text=True)
    assert html.index("Older") < html.index("Newer")
    assert "Approved already" not in html
    assert "+964 111" in html
    assert "older@example.org" in html
    assert "email not confirmed" in html
    assert newer_name in html
    assert 'href="/moderation/"' in client.get("/").get_data(as_text=True)


def test_queue_runs_a_constant_number_of_queries(app, client, moderator, count_queries):
    def add(n):
        with app_context(app):
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


def test_approving_records_who_and_tells_the_applicant(app, client, moderator, outbox):
    with app_context(app):
        organization = make_organization(status=OrganizationStatus.PENDING)
        make_user(organization, email="owner@example.org")
        db.session.commit()
        organization_id, slug = organization.id, organization.slug
    assert decide(client, organization_id, "approve").status_code == 302
    with app_context(app):
        organization = db.session.get(Organization, organization_id)
        assert organization.status == OrganizationStatus.APPROVED
        assert organization.approved_at is not None
        entry = db.session.scalar(sa.select(AuditEntry))
        assert (entry.action, entry.actor_id, entry.actor_email) == (
            AuditAction.ORGANIZATION_APPROVED,
            moderator,
            "mod@example.org",
        )
    assert [m.recipients for m in outbox] == [["owner@example.org"]]
    assert client.get(f"/organizations/{slug}").status_code == 200


def test_rejecting_needs_a_reason(app, client, moderator, outbox):
    organization_id = new_organization(app, status=OrganizationStatus.PENDING)
    before = row_counts(app)
    for reason in ("", "   "):
        response = decide(client, organization_id, "reject", reason)
        assert response.status_code == 400
    assert row_counts(app) == before
    assert status_of(app, organization_id) == OrganizationStatus.PENDING
    assert outbox == []


def test_rejection_reason_reaches_the_applicant(client, moderator, outbox, app):
    with app_context(app):
        organization = make_organization(status=OrganizationStatus.PENDING)
        make_user(organization, email="owner@example.org")
        db.session.commit()
        organization_id = organization.id
    assert decide(client, organization_id, "reject", "Please tell us where you work.").status_code == 302
    with app_context(app):
        organization = db.session.get(Organization, organization_id)
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


def test_decisions_that_do_not_fit_the_status_are_refused(app, client, moderator):
    approved = new_organization(app)
    pending = new_organization(app, status=OrganizationStatus.PENDING)
    before = row_counts(app)
    assert decide(client, approved, "approve").status_code == 400
    assert decide(client, approved, "reject", "no").status_code == 400
    assert decide(client, approved, "reinstate").status_code == 400
    assert decide(client, pending, "suspend", "why").status_code == 400
    assert row_counts(app) == before


def test_unknown_organization_or_decision_is_404(app, client, moderator):
    assert client.post("/moderation/organizations/999/approve").status_code == 404
    organization_id = new_organization(app, status=OrganizationStatus.PENDING)
    assert client.post(f"/moderation/organizations/{organization_id}/delete").status_code == 404
    assert client.get(f"/moderation/organizations/{organization_id}/approve").status_code == 405


def campaign_counts(app, campaign_id) -> tuple[int, int, int]:
    with app_context(app):
        campaign = db.session.get(Campaign, campaign_id)
        return (campaign.supporter_count, campaign.iraqi_supporter_count, campaign.project_count)


def test_suspension_hides_the_organization_uncounts_it_and_logs_its_users_out(client, moderator, app):
    with app_context(app):
        organization = make_organization("Suspended Soon", country="IQ")
        member = make_user(organization, email="member@example.org")
        campaign = make_campaign()
        make_pledge(organization, campaign)
        make_project(organization, [campaign])
        db.session.commit()
        organization_id, slug, campaign_id = organization.id, organization.slug, campaign.id
        member_email = member.email
    member_client = app.test_client()
    member_client.post("/auth/login", data={"email": member_email, "password": DEFAULT_PASSWORD})
    assert member_client.get("/account/").status_code == 200
    assert campaign_counts(app, campaign_id) == (1, 1, 1)

    assert decide(client, organization_id, "suspend", "Complaint under review.").status_code == 302

    with app_context(app):
        organization = db.session.get(Organization, organization_id)
        assert organization.status == OrganizationStatus.SUSPENDED
        assert organization.status_reason == "Complaint under review."
        assert counters.computed_counts() == counters.stored_counts()
        entry = db.session.scalar(sa.select(AuditEntry))
        assert (entry.action, entry.reason) == (AuditAction.ORGANIZATION_SUSPENDED, "Complaint under review.")
    assert campaign_counts(app, campaign_id) == (0, 0, 0)
    assert client.get(f"/organizations/{slug}").status_code == 404
    assert "Suspended Soon" not in client.get("/organizations/").get_data(as_text=True)
    assert member_client.get("/account/").status_code == 302  # logged out


def test_suspension_needs_a_reason(app, client, moderator):
    organization_id = new_organization(app)
    before = row_counts(app)
    assert decide(client, organization_id, "suspend", "").status_code == 400
    assert row_counts(app) == before
    assert status_of(app, organization_id) == OrganizationStatus.APPROVED


def test_reinstating_restores_pages_and_counts(app, client, moderator):
    with app_context(app):
        organization = make_organization("Back Again")
        campaign = make_campaign()
        make_pledge(organization, campaign)
        db.session.commit()
        organization_id, slug, campaign_id = organization.id, organization.slug, campaign.id
    decide(client, organization_id, "suspend", "Checking.")
    assert decide(client, organization_id, "reinstate", "Checked.").status_code == 302
    with app_context(app):
        organization = db.session.get(Organization, organization_id)
        assert organization.status == OrganizationStatus.APPROVED
        assert organization.status_reason is None
        assert counters.computed_counts() == counters.stored_counts()
    assert campaign_counts(app, campaign_id)[0] == 1
    assert client.get(f"/organizations/{slug}").status_code == 200
    actions = scalars(app, sa.select(AuditEntry.action).order_by(AuditEntry.id))
    assert actions == [AuditAction.ORGANIZATION_SUSPENDED, AuditAction.ORGANIZATION_REINSTATED]


def test_suspended_member_cannot_act(client, auth, moderator, app):
    with app_context(app):
        organization = make_organization()
        make_user(organization, email="member@example.org")
        db.session.commit()
        organization_id = organization.id
    decide(client, organization_id, "suspend", "Checking.")
    member = app.test_client()
    member.post("/auth/login", data={"email": "member@example.org", "password": DEFAULT_PASSWORD})
    assert member.post("/account/invite", data={"email": "x@example.org"}).status_code == 403
    assert member.post("/account/profile", data={"name": "x"}).status_code == 403


def test_decisions_need_csrf(make_app):
    from tests.conftest import empty_all_tables

    application = make_app(WTF_CSRF_ENABLED=True)
    try:
        with app_context(application):
            make_moderator(email="mod@example.org")
            organization_id = make_organization(status=OrganizationStatus.PENDING).id
            db.session.commit()
        client = application.test_client()
        token = csrf_token_from(client, "/auth/login")
        log_in(client, "mod@example.org", DEFAULT_PASSWORD, csrf_token=token)
        assert client.post(f"/moderation/organizations/{organization_id}/approve").status_code == 400
        assert status_of(application, organization_id) == OrganizationStatus.PENDING
        token = csrf_token_from(client, "/moderation/")
        assert (
            client.post(
                f"/moderation/organizations/{organization_id}/approve", data={"csrf_token": token}
            ).status_code
            == 302
        )
        assert status_of(application, organization_id) == OrganizationStatus.APPROVED
    finally:
        with app_context(application):
            empty_all_tables()


def test_moderator_finds_an_approved_organization_to_suspend(app, client, moderator):
    with app_context(app):
        organization_id = make_organization(
            "Nour Foundation", contact_email="hidden@nour.example", contact_email_visibility="hidden"
        ).id
        make_organization("Other Group")
        db.session.commit()
    listing = client.get("/moderation/organizations?status=approved&q=nour").get_data(as_text=True)
    assert "Nour Foundation" in listing and "Other Group" not in listing
    assert client.get("/moderation/organizations?status=bogus").status_code == 404
    detail = client.get(f"/moderation/organizations/{organization_id}").get_data(as_text=True)
    assert "hidden@nour.example" in detail
    assert "Suspend" in detail


def test_refused_decision_shows_the_reason_field_error(app, client, moderator):
    organization_id = new_organization(app)
    html = decide(client, organization_id, "suspend", "").get_data(as_text=True)
    assert 'class="error-summary"' in html


def test_every_application_field_has_a_label_in_the_queues_changes():
    """What changed since a rejection is shown with the field's name as the form says it, never
    the column's name: every field kept at rejection has a label."""
    from app.moderation.routes import APPLICATION_FIELD_LABELS
    from app.services.membership import PROFILE_FIELDS

    assert set(PROFILE_FIELDS) <= set(APPLICATION_FIELD_LABELS)

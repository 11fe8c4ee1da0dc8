"""Every route, walked as every kind of person, against a table of expected answers.

The people: a visitor, a member of a pending organization, members of two approved
organizations A and B, a moderator and an admin. Each route in ``app.url_map`` must
have a row in ``EXPECTED``: a new route without one fails the test, so whoever adds
it decides (and a reviewer sees) who may reach it.

Statuses are written for a GET and for a POST with an empty body (CSRF is proven in
test_csrf.py). ``L`` means "sent to log in" (302 to the login page). Refusals must
write nothing; GET must never change anything.

Run with ``PRINT_ACCESS_MATRIX=1`` to print the observed table (to review, then paste).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import (
    CampaignCoordinator,
    GatheringCampaign,
    Introduction,
    JointStatement,
    LoginSession,
    Offer,
    OfferCategory,
    OfferDirection,
    OfferVisibility,
    Organization,
    OrganizationStatus,
    PledgeVisibility,
    Project,
    ProjectCosponsor,
    Registration,
    RegistrationState,
    Role,
    StatementText,
    Update,
    UpdateText,
    User,
    Visibility,
)
from tests import builders
from tests.builders import DEFAULT_PASSWORD
from tests.conftest import app_context, log_in, scalar
from tests.gathering_support import delegate_type, make_gathering

ACTORS = ("visitor", "pending", "member_a", "member_b", "moderator", "admin")
LOGIN = "L"

# endpoint -> {method: "visitor pending member_a member_b moderator admin"}
EXPECTED: dict[str, dict[str, str]] = {
    "account.access_log_page": {"GET": "L 200 200 200 403 403"},
    "account.add_passkey": {"GET": "405 405 405 405 405 405", "POST": "L 400 400 400 400 400"},
    "account.change_password": {"GET": "L 200 200 200 200 200", "POST": "L 400 400 400 400 400"},
    "account.come_back": {"GET": "405 405 405 405 405 405", "POST": "L 400 400 400 403 403"},
    "account.confirmation_options": {"GET": "405 405 405 405 405 405", "POST": "L 400 200 400 400 400"},
    "account.dashboard": {"GET": "L 200 200 200 200 200"},
    "account.delete_account": {"GET": "L 200 200 200 200 200", "POST": "L 400 400 400 400 400"},
    "account.delete_organization": {"GET": "L 200 200 200 403 403", "POST": "L 400 400 400 403 403"},
    "account.edit_profile": {"GET": "L 200 200 200 403 403", "POST": "L 302 302 302 403 403"},
    "account.export_data": {"GET": "L 200 200 200 403 403", "POST": "L 400 400 400 403 403"},
    "account.go_dark": {"GET": "L 200 200 200 403 403", "POST": "L 400 400 400 403 403"},
    "account.end_other_sessions": {"GET": "405 405 405 405 405 405", "POST": "L 302 302 302 302 302"},
    # The sample session is member A's: nobody else can tell it exists.
    "account.end_session": {"GET": "405 405 405 405 405 405", "POST": "L 404 302 404 404 404"},
    "account.invite": {"GET": "L 403 200 200 403 403", "POST": "L 403 400 400 403 403"},
    "account.logo": {"GET": "L 200 200 200 403 403", "POST": "L 400 400 400 403 403"},
    "account.organization_translation": {"GET": "L 200 200 200 403 403", "POST": "L 302 302 302 403 403"},
    "account.project_translation": {"GET": "L 404 200 404 403 403", "POST": "L 404 302 404 403 403"},
    "account.organization_two_factor": {"GET": "405 405 405 405 405 405", "POST": "L 400 400 400 403 403"},
    "account.passkey_registration_options": {
        "GET": "405 405 405 405 405 405",
        "POST": "L 200 200 200 200 200",
    },
    "account.remove_authenticator": {"GET": "405 405 405 405 405 405", "POST": "L 400 400 400 400 400"},
    "account.remove_logo": {"GET": "405 405 405 405 405 405", "POST": "L 302 302 302 403 403"},
    "account.remove_passkey": {"GET": "405 405 405 405 405 405", "POST": "L 404 400 404 404 404"},
    "account.renew_recovery_codes": {"GET": "405 405 405 405 405 405", "POST": "L 404 400 404 400 400"},
    "account.restore_organization": {"GET": "405 405 405 405 405 405", "POST": "L 400 400 400 403 403"},
    "account.security": {"GET": "L 200 200 200 200 200"},
    "account.sessions": {"GET": "L 200 200 200 200 200"},
    "account.set_language": {"GET": "405 405 405 405 405 405", "POST": "L 400 400 400 400 400"},
    "account.set_time_zone": {"GET": "405 405 405 405 405 405", "POST": "L 400 400 400 400 400"},
    "account.setup_authenticator": {"GET": "L 200 302 200 302 302", "POST": "L 400 302 400 302 302"},
    "auth.accept_invitation": {"GET": "400 400 400 400 400 400", "POST": "400 400 400 400 400 400"},
    "auth.confirm_email": {"GET": "200 200 200 200 200 200", "POST": "400 400 400 400 400 400"},
    "auth.email_confirmed": {"GET": "200 200 200 200 200 200"},
    "auth.login": {"GET": "200 302 302 302 302 302", "POST": "200 302 302 302 302 302"},
    "auth.logout": {"GET": "405 405 405 405 405 405", "POST": "L 302 302 302 302 302"},
    "auth.passkey_login": {"GET": "405 405 405 405 405 405", "POST": "400 302 302 302 302 302"},
    "auth.passkey_options": {"GET": "405 405 405 405 405 405", "POST": "200 400 400 400 400 400"},
    "auth.register": {"GET": "200 302 302 302 302 302", "POST": "400 302 302 302 302 302"},
    "auth.registered": {"GET": "200 200 200 200 200 200"},
    "auth.resend_confirmation": {"GET": "200 200 200 200 200 200", "POST": "L 302 302 302 302 302"},
    "auth.resend_registration_link": {"GET": "405 405 405 405 405 405", "POST": "302 302 302 302 302 302"},
    "auth.reset_password": {"GET": "400 400 400 400 400 400", "POST": "400 400 400 400 400 400"},
    "auth.reset_request": {"GET": "200 200 200 200 200 200", "POST": "200 200 200 200 200 200"},
    "auth.second_step": {"GET": "L 302 302 302 302 302", "POST": "L 302 302 302 302 302"},
    "auth.second_step_passkey_options": {"GET": "405 405 405 405 405 405", "POST": "400 400 400 400 400 400"},
    "campaigns.detail": {"GET": "200 200 200 200 200 200"},
    "campaigns.index": {"GET": "200 200 200 200 200 200"},
    "campaigns.pledge": {"GET": "L 200 200 200 403 403", "POST": "L 400 400 400 403 403"},
    "campaigns.pledge_form": {"GET": "L 200 200 200 403 403"},
    # Without confirm=yes the member with a pledge (A) is asked first.
    "campaigns.withdraw_pledge": {"GET": "405 405 405 405 405 405", "POST": "L 302 200 302 403 403"},
    # Gatherings are organized by moderators and by the coordinators of a linked campaign: the
    # world's gathering is linked to the campaign A coordinates (app/services/gatherings.py).
    "gatherings.add_session": {"GET": "405 405 405 405 405 405", "POST": "L 403 400 403 400 400"},
    "gatherings.attendance": {"GET": "405 405 405 405 405 405", "POST": "L 403 302 403 302 302"},
    "gatherings.cancel": {"GET": "405 405 405 405 405 405", "POST": "L 403 302 403 302 302"},
    # Only the registrant (member A's organization) and the organizers; nobody else learns it exists.
    "gatherings.cancel_registration": {"GET": "405 405 405 405 405 405", "POST": "L 404 302 404 302 302"},
    "gatherings.decide": {"GET": "405 405 405 405 405 405", "POST": "L 403 302 403 302 302"},
    "gatherings.detail": {"GET": "200 200 200 200 200 200"},
    # An empty form keeps every field as it was (WTForms reads an empty body as no input).
    "gatherings.edit": {"GET": "L 403 200 403 200 200", "POST": "L 403 302 403 302 302"},
    "gatherings.export": {"GET": "L 403 200 403 200 200"},
    "gatherings.feed_ics": {"GET": "200 200 200 200 200 200"},
    "gatherings.gathering_ics": {"GET": "200 200 200 200 200 200"},
    "gatherings.index": {"GET": "200 200 200 200 200 200"},
    "gatherings.manage": {"GET": "L 403 200 403 200 200"},
    "gatherings.manage_index": {"GET": "L 403 200 403 200 200"},
    "gatherings.message": {"GET": "L 403 200 403 200 200", "POST": "L 403 400 403 400 400"},
    "gatherings.new": {"GET": "L 403 200 403 200 200", "POST": "L 403 400 403 400 400"},
    # The world's gathering is upcoming: its outcome page does not exist yet.
    "gatherings.outcome": {"GET": "404 404 404 404 404 404"},
    "gatherings.past": {"GET": "200 200 200 200 200 200"},
    "gatherings.publish": {"GET": "405 405 405 405 405 405", "POST": "L 403 302 403 302 302"},
    "gatherings.register": {"GET": "405 405 405 405 405 405", "POST": "L 400 400 400 400 400"},
    "gatherings.registrants": {"GET": "L 403 200 403 200 200"},
    "gatherings.remove_session": {"GET": "405 405 405 405 405 405", "POST": "L 403 302 403 302 302"},
    "gatherings.session_ics": {"GET": "200 200 200 200 200 200"},
    "gatherings.set_type": {"GET": "405 405 405 405 405 405", "POST": "L 403 400 403 400 400"},
    "gatherings.translation": {"GET": "L 403 200 403 200 200", "POST": "L 403 302 403 302 302"},
    # Following (the sample subject: the project Clean River). Anyone logged in follows from
    # their account; visitors by email (the empty form: 400); the sample token is not valid.
    "following.confirm": {"GET": "400 400 400 400 400 400", "POST": "400 400 400 400 400 400"},
    "following.follow": {"GET": "405 405 405 405 405 405", "POST": "L 302 302 302 302 302"},
    "following.follow_by_email": {"GET": "200 200 200 200 200 200", "POST": "400 400 400 400 400 400"},
    "following.list_follows": {"GET": "L 200 200 200 200 200"},
    # Nobody follows the sample project: each is told so (a redirect with the message).
    "following.set_frequency": {"GET": "405 405 405 405 405 405", "POST": "L 302 302 302 302 302"},
    "following.unfollow": {"GET": "405 405 405 405 405 405", "POST": "L 302 302 302 302 302"},
    "following.unsubscribe": {"GET": "400 400 400 400 400 400", "POST": "400 400 400 400 400 400"},
    "main.healthz": {"GET": "200 200 200 200 200 200"},
    "main.home": {"GET": "200 200 200 200 200 200"},
    # The test client comes from 127.0.0.1, an allowed address (test_metrics.py proves refusals).
    "main.metrics": {"GET": "200 200 200 200 200 200"},
    # The test schema is built without migrations, so never "at head" (test_readiness.py).
    "main.readyz": {"GET": "503 503 503 503 503 503"},
    "moderation.campaign_translation": {"GET": "L 403 403 403 200 200", "POST": "L 403 403 403 302 302"},
    "moderation.campaigns": {"GET": "L 403 403 403 200 200"},
    "moderation.change_campaign_status": {"GET": "405 405 405 405 405 405", "POST": "L 403 403 403 302 302"},
    "moderation.change_role": {"GET": "405 405 405 405 405 405", "POST": "L 403 403 403 403 302"},
    "moderation.content": {"GET": "L 403 403 403 200 200"},
    "moderation.decide": {"GET": "405 405 405 405 405 405", "POST": "L 403 403 403 302 302"},
    "moderation.decide_name": {"GET": "405 405 405 405 405 405", "POST": "L 403 403 403 400 400"},
    "moderation.decide_translated_name": {
        "GET": "405 405 405 405 405 405",
        "POST": "L 403 403 403 400 400",
    },
    "moderation.edit_campaign": {"GET": "L 403 403 403 200 200", "POST": "L 403 403 403 302 302"},
    "moderation.decline_review": {"GET": "405 405 405 405 405 405", "POST": "L 403 403 403 302 302"},
    "moderation.hide_pledge_message": {"GET": "L 403 403 403 200 200", "POST": "L 403 403 403 400 400"},
    "moderation.hide_project": {"GET": "L 403 403 403 200 200", "POST": "L 403 403 403 400 400"},
    "moderation.log": {"GET": "L 403 403 403 200 200"},
    "moderation.new_campaign": {"GET": "L 403 403 403 200 200", "POST": "L 403 403 403 400 400"},
    "moderation.organization": {"GET": "L 403 403 403 200 200"},
    "moderation.organizations": {"GET": "L 403 403 403 200 200"},
    "moderation.queue": {"GET": "L 403 403 403 200 200"},
    "moderation.unhide_pledge_message": {"GET": "405 405 405 405 405 405", "POST": "L 403 403 403 302 302"},
    "moderation.unhide_project": {"GET": "405 405 405 405 405 405", "POST": "L 403 403 403 302 302"},
    "moderation.users": {"GET": "L 403 403 403 403 200"},
    "notifications.index": {"GET": "L 200 200 200 200 200"},
    "notifications.mark_read": {"GET": "405 405 405 405 405 405", "POST": "L 302 302 302 302 302"},
    "notifications.settings": {"GET": "L 200 200 200 200 200", "POST": "L 400 400 400 400 400"},
    "organizations.detail": {"GET": "200 200 200 200 200 200"},
    "organizations.index": {"GET": "200 200 200 200 200 200"},
    "organizations.logo": {"GET": "404 404 404 404 404 404"},
    "projects.delete": {"GET": "405 405 405 405 405 405", "POST": "L 404 302 404 403 403"},
    "projects.detail": {"GET": "200 200 200 200 200 200"},
    "projects.edit": {"GET": "L 404 200 404 403 403", "POST": "L 404 400 404 403 403"},
    "projects.request_review": {"GET": "405 405 405 405 405 405", "POST": "L 404 302 404 403 403"},
    "projects.index": {"GET": "200 200 200 200 200 200"},
    "projects.new": {"GET": "L 302 200 200 403 403", "POST": "L 302 400 400 403 403"},
    "search.results": {"GET": "200 200 200 200 200 200"},
    # Open data (issue #18): answered as a visitor to everyone, cookies never reach them
    # (app/open_doors.py). The API's item routes are walked with organization A's slug, which
    # names no campaign and no project (404 for all alike).
    "api.Root": {"GET": "200 200 200 200 200 200"},
    "api.Campaigns": {"GET": "200 200 200 200 200 200"},
    "api.CampaignItem": {"GET": "404 404 404 404 404 404"},
    "api-docs.openapi_json": {"GET": "200 200 200 200 200 200"},
    "api.Organizations": {"GET": "200 200 200 200 200 200"},
    "api.OrganizationItem": {"GET": "200 200 200 200 200 200"},
    "api.Pledges": {"GET": "200 200 200 200 200 200"},
    "api.Projects": {"GET": "200 200 200 200 200 200"},
    "api.ProjectItem": {"GET": "404 404 404 404 404 404"},
    "api.Updates": {"GET": "200 200 200 200 200 200"},
    "api.Gatherings": {"GET": "200 200 200 200 200 200"},
    "api.GatheringItem": {"GET": "404 404 404 404 404 404"},
    "feeds.project": {"GET": "404 404 404 404 404 404"},
    "feeds.campaign": {"GET": "404 404 404 404 404 404"},
    "feeds.network": {"GET": "200 200 200 200 200 200"},
    "feeds.organization": {"GET": "200 200 200 200 200 200"},
    "opendata.dictionary": {"GET": "200 200 200 200 200 200"},
    "opendata.campaign_card": {"GET": "200 200 200 200 200 200"},
    # The sample campaign's slug names no organization publishing a profile.
    "opendata.murmurations": {"GET": "404 404 404 404 404 404"},
    "opendata.campaign_projects": {"GET": "200 200 200 200 200 200"},
    "opendata.campaign_supporters": {"GET": "200 200 200 200 200 200"},
    "opendata.organizations": {"GET": "200 200 200 200 200 200"},
    "opendata.robots": {"GET": "200 200 200 200 200 200"},
    "opendata.sitemap": {"GET": "200 200 200 200 200 200"},
    "opendata.sitemap_part": {"GET": "200 200 200 200 200 200"},
    # Solidarity in practice (issue #20). Offers and needs: stated by members of approved
    # organizations (a pending one is sent to its dashboard), read by anyone as visibility allows.
    "solidarity.campaign_offers": {"GET": "200 200 200 200 200 200"},
    "solidarity.offers_page": {"GET": "L 302 200 200 403 403", "POST": "L 302 400 400 403 403"},
    # The sample statement is A's: B cannot tell it exists.
    "solidarity.remove_offer": {"GET": "405 405 405 405 405 405", "POST": "L 302 302 404 403 403"},
    "solidarity.shape": {"GET": "200 200 200 200 200 200"},
    # Introductions: B may ask A (the sample request is B's to A, so only A answers it); the
    # moderators read the abuse reports.
    "solidarity.ask_introduction": {"GET": "L 302 404 200 403 403", "POST": "L 302 404 400 403 403"},
    "solidarity.introductions": {"GET": "L 302 200 200 403 403"},
    "solidarity.accept_introduction": {"GET": "405 405 405 405 405 405", "POST": "L 302 302 404 403 403"},
    "solidarity.decline_introduction": {"GET": "405 405 405 405 405 405", "POST": "L 302 302 404 403 403"},
    "solidarity.block_requester": {"GET": "405 405 405 405 405 405", "POST": "L 302 302 404 403 403"},
    "solidarity.report_introduction": {"GET": "405 405 405 405 405 405", "POST": "L 302 400 404 403 403"},
    "solidarity.reports": {"GET": "L 403 403 403 200 200"},
    # Co-sponsorship: A invites to its project (Clean River); B, invited, answers.
    "solidarity.project_cosponsors": {"GET": "L 404 200 404 403 403", "POST": "L 404 400 404 403 403"},
    "solidarity.cosponsorships": {"GET": "L 302 200 200 403 403"},
    # A takes B's invitation back; nobody else can tell the project exists.
    "solidarity.remove_cosponsor": {"GET": "405 405 405 405 405 405", "POST": "L 404 302 404 403 403"},
    "solidarity.accept_cosponsorship": {"GET": "405 405 405 405 405 405", "POST": "L 302 404 302 403 403"},
    "solidarity.decline_cosponsorship": {"GET": "405 405 405 405 405 405", "POST": "L 302 404 302 403 403"},
    # B is invited, not a co-sponsor: it is told so (302 with the message); A has no invitation.
    "solidarity.withdraw_cosponsorship": {"GET": "405 405 405 405 405 405", "POST": "L 302 404 302 403 403"},
    # Joint statements: the campaign's coordinators publish (moderators, and A, which a moderator
    # named coordinator of the sample campaign: app/services/coordinators.py);
    # the sample statement is past its deadline (frozen), so its PDF and CSV are public and a
    # signature or withdrawal by an approved member is refused with a message (302).
    "solidarity.new_statement": {"GET": "L 403 200 403 200 200", "POST": "L 403 400 403 400 400"},
    "solidarity.campaign_statements": {"GET": "200 200 200 200 200 200"},
    "solidarity.statement": {"GET": "200 200 200 200 200 200"},
    "solidarity.sign_statement": {"GET": "405 405 405 405 405 405", "POST": "L 403 302 302 403 403"},
    "solidarity.withdraw_signature": {"GET": "405 405 405 405 405 405", "POST": "L 403 302 302 403 403"},
    # Revising: the coordinators only; the sample statement is frozen, so they are told so (409).
    "solidarity.revise_statement": {"GET": "L 403 409 403 409 409", "POST": "L 403 409 403 409 409"},
    "solidarity.statement_pdf": {"GET": "200 200 200 200 200 200"},
    "solidarity.statement_csv": {"GET": "200 200 200 200 200 200"},
    "solidarity.campaign_shape": {"GET": "200 200 200 200 200 200"},
    # Campaign life. Organization A coordinates the campaign and wrote its update: its members and
    # the moderators edit it; to anyone else the update's own pages do not exist (404).
    "updates.campaign_feed": {"GET": "200 200 200 200 200 200"},
    "updates.coordinators": {"GET": "L 403 403 403 200 200", "POST": "L 403 403 403 400 400"},
    "updates.delete": {"GET": "L 404 200 404 200 200", "POST": "L 404 400 404 400 400"},
    "updates.edit": {"GET": "L 404 200 404 200 200", "POST": "L 404 400 404 400 400"},
    "updates.history": {"GET": "L 404 200 404 200 200"},
    "updates.new_campaign_update": {"GET": "L 403 200 403 200 200", "POST": "L 403 400 403 400 400"},
    # The project (Clean River) is A's: only its members post its updates.
    "updates.new_project_update": {"GET": "L 403 200 403 403 403", "POST": "L 403 400 403 403 403"},
    # Only moderators show a deleted update again; A is told so (a redirect with the message).
    "updates.restore": {"GET": "405 405 405 405 405 405", "POST": "L 404 302 404 302 302"},
    # The sample organization (pending) does not coordinate: the moderator is told so.
    "updates.remove_coordinator": {"GET": "405 405 405 405 405 405", "POST": "L 403 403 403 302 302"},
}

# Routes left out of the walk, and why.
NOT_WALKED = {"static": "files from static/, no data"}

# POST-only routes whose URL a GET route also matches (so GET answers that route instead of 405).
GET_FALLS_THROUGH = {
    "campaigns.pledge": "GET of the same URL is campaigns.pledge_form, the form page",
    "auth.resend_confirmation": "GET /auth/confirm/resend is auth.confirm_email with token 'resend': "
    "a page with a button, no change",
}

# A value for each URL argument (by endpoint first, then by name).
ANY_CHOICE = {
    "decision": "approve",
    "action": "archive",
    "change": "promote",
    "format": "csv",
    "kind": "project",
}


@dataclass
class World:
    users: dict[str, User | None]  # as built (snapshots): read what a request changed in a block
    values: dict[str, object]


@pytest.fixture
def world(app) -> World:
    with app_context(app):
        return build_world()


def build_world() -> World:
    campaign = builders.make_campaign("Save the Tigris", slug="save-the-tigris")
    # A members-only detail: members of B and moderators who open A's profile are recorded.
    org_a = builders.make_organization(
        "Organization A", slug="organization-a", contact_phone="+964 700 000 0000",
        contact_phone_visibility=Visibility.MEMBERS,
    )  # fmt: skip
    org_b = builders.make_organization("Organization B", slug="organization-b")
    pending_org = builders.make_organization(
        "Pending Org", slug="pending-org", status=OrganizationStatus.PENDING
    )
    users = {
        "visitor": None,
        "pending": builders.make_user(pending_org, email="pending@example.org"),
        "member_a": builders.make_user(org_a, email="a@example.org"),
        "member_b": builders.make_user(org_b, email="b@example.org"),
        "moderator": builders.make_moderator("mod@example.org"),
        "admin": builders.make_moderator("admin@example.org", admin=True),
    }
    # Member A logs in with an authenticator app and also holds a passkey.
    builders.enable_totp(users["member_a"])
    passkey = builders.make_passkey(users["member_a"])
    pledge = builders.make_pledge(org_a, campaign, visibility=PledgeVisibility.PUBLIC, message="Together.")
    project = builders.make_project(org_a, [campaign], "Clean River", slug="clean-river")
    offer_of_a = Offer(
        organization_id=org_a.id, direction=OfferDirection.OFFER, category=OfferCategory.LEGAL,
        text="Legal help.", visibility=OfferVisibility.PUBLIC,
    )  # fmt: skip
    db.session.add(offer_of_a)
    introduction = Introduction(requester_id=org_b.id, recipient_id=org_a.id, message="Hello A.")
    db.session.add(introduction)
    db.session.add(ProjectCosponsor(project_id=project.id, organization_id=org_b.id))
    statement = JointStatement(
        campaign_id=campaign.id, deadline=datetime(2020, 1, 1, tzinfo=UTC), allow_counted=True
    )
    db.session.add(statement)
    db.session.flush()
    db.session.add(
        StatementText(statement_id=statement.id, version=1, locale="en", title="Water", body="Flow.")
    )

    gathering = make_gathering("Iraqi Social Forum", slug="iraqi-social-forum", capacity=5)
    # Linked to the campaign A coordinates: A's member organizes it (app/services/gatherings.py).
    db.session.add(GatheringCampaign(gathering_id=gathering.id, campaign_id=campaign.id))
    registration = Registration(
        gathering_id=gathering.id,
        registration_type_id=delegate_type(gathering).id,
        organization_id=org_a.id,
        user_id=users["member_a"].id,
        state=RegistrationState.CONFIRMED,
        visibility=PledgeVisibility.PUBLIC,
    )
    db.session.add(registration)
    db.session.flush()
    login_of_a = LoginSession(user_id=users["member_a"].id, browser="Firefox", system="Android")
    db.session.add(login_of_a)
    # Organization A coordinates the campaign and posted an update on it.
    db.session.add(CampaignCoordinator(campaign_id=campaign.id, organization_id=org_a.id))
    update = Update(
        campaign_id=campaign.id, organization_id=org_a.id, author_id=users["member_a"].id, locale="en",
        texts=[UpdateText(locale="en", title="News from the river", body="The water is back.")],
    )  # fmt: skip
    db.session.add(update)
    db.session.commit()
    values = {
        "slug:campaigns": campaign.slug,
        "slug:moderation": campaign.slug,
        "slug:organizations": org_a.slug,
        "slug:api": org_a.slug,  # each API item route is walked with this slug
        "slug:feeds": org_a.slug,
        "slug:opendata": campaign.slug,
        "slug:updates": campaign.slug,
        "update_id": update.id,
        "key": project.slug,
        "token": "not-a-valid-token",
        "locale": "ar",
        "organization_id": pending_org.id,
        "organization_id:solidarity": org_b.id,  # invited to co-sponsor A's project
        "campaign_id": campaign.id,
        "pledge_id": pledge.id,
        "project_id": project.id,
        "user_id": users["member_b"].id,
        "passkey_id": passkey.id,
        "session_id": login_of_a.id,
        "slug:solidarity": campaign.slug,
        "offer_id": offer_of_a.id,
        "introduction_id": introduction.id,
        "org": org_a.slug,
        "statement_id": statement.id,
        "slug:gatherings": gathering.slug,
        "gathering_session_id": gathering.sessions[0].id,
        "registration_id": registration.id,
        "number": 1,  # the first sitemap of a split sitemap (served whatever the size)
    }
    return World(users=users, values=values)


def walked_rules(app):
    return sorted(
        (rule for rule in app.url_map.iter_rules() if rule.endpoint not in NOT_WALKED),
        key=lambda rule: (rule.rule, rule.endpoint),
    )


def url_for_rule(app, rule, world: World) -> str:
    values = {}
    blueprint = rule.endpoint.partition(".")[0]
    for argument in rule.arguments:
        if argument in ANY_CHOICE:
            values[argument] = ANY_CHOICE[argument]
        elif f"{argument}:{blueprint}" in world.values:
            values[argument] = world.values[f"{argument}:{blueprint}"]
        elif argument in world.values:
            values[argument] = world.values[argument]
        else:
            raise AssertionError(
                f"add a sample value for <{argument}> of {rule.endpoint} to the world fixture"
            )
    adapter = app.url_map.bind("localhost")
    return adapter.build(rule.endpoint, values, method=next(iter(rule.methods - {"HEAD", "OPTIONS"})))


def methods_of(rule) -> list[str]:
    """GET always (a POST-only route must answer 405), POST when the route takes it."""
    return ["GET", "POST"] if "POST" in rule.methods else ["GET"]


def client_for(app, actor: str, world: World):
    client = app.test_client()
    user = world.users[actor]
    if user is not None:
        response = log_in(client, user.email, DEFAULT_PASSWORD)
        assert response.status_code == 302, f"{actor} could not log in"
    return client


def observed(response) -> str:
    if response.status_code == 302 and "/auth/login" in response.headers.get("Location", ""):
        return LOGIN
    return str(response.status_code)


def expected(endpoint: str, method: str, actor: str) -> str:
    return EXPECTED[endpoint][method].split()[ACTORS.index(actor)]


def is_refusal(status: str) -> bool:
    return status in (LOGIN, "401", "403", "404", "405")


def snapshot(app) -> dict[str, list[tuple]]:
    """Every row of every table, except login bookkeeping and the access log (showing private
    contact details to an outsider is recorded there, on GET too: that is its purpose)."""
    with app.app_context():
        return _rows()


def _rows() -> dict[str, list[tuple]]:
    skip = {
        "last_login_at", "failed_login_count", "failed_login_window_start", "failed_login_hour_count",
        "failed_login_hour_start", "last_seen_at",
    }  # fmt: skip
    rows = {}
    with db.engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            if table.name == "contact_detail_views":
                continue
            columns = [c for c in table.columns if c.name not in skip]
            rows[table.name] = sorted(map(tuple, connection.execute(sa.select(*columns))), key=repr)
    return rows


# The table covers every route -----------------------------------------------------------------


def test_every_route_has_a_row_in_the_table(app):
    missing, stale = [], set(EXPECTED)
    for rule in walked_rules(app):
        stale.discard(rule.endpoint)
        for method in methods_of(rule):
            if method not in EXPECTED.get(rule.endpoint, {}):
                missing.append(f"{rule.endpoint} {method} ({rule.rule})")
    assert not missing, "add these routes to EXPECTED in tests/test_access_matrix.py:\n" + "\n".join(missing)
    assert not stale, f"EXPECTED names routes that no longer exist: {sorted(stale)}"
    for endpoint, methods in EXPECTED.items():
        for method, row in methods.items():
            assert len(row.split()) == len(ACTORS), f"{endpoint} {method}: one status per actor"


def test_no_route_changes_state_over_get(app):
    offenders = [
        f"{rule.endpoint} ({rule.rule}) accepts {sorted(rule.methods & {'PUT', 'PATCH', 'DELETE'})}"
        for rule in walked_rules(app)
        if rule.methods & {"PUT", "PATCH", "DELETE"}
    ]
    assert not offenders, "state changes are POST forms with CSRF:\n" + "\n".join(offenders)
    for rule in walked_rules(app):
        if "POST" in rule.methods and "GET" not in rule.methods and rule.endpoint not in GET_FALLS_THROUGH:
            assert set(EXPECTED[rule.endpoint]["GET"].split()) == {"405"}, rule.endpoint


# The walk -------------------------------------------------------------------------------------


@pytest.mark.parametrize("actor", ACTORS)
def test_get_answers_match_the_table_and_change_nothing(app, world, actor):
    client = client_for(app, actor, world)
    before = snapshot(app)
    mismatches, table = [], {}
    for rule in walked_rules(app):
        if rule.endpoint not in EXPECTED:
            continue  # reported by test_every_route_has_a_row_in_the_table
        url = url_for_rule(app, rule, world)
        status = observed(client.get(url))
        table[rule.endpoint] = status
        if status != expected(rule.endpoint, "GET", actor):
            mismatches.append(
                f"GET {url} as {actor}: {status}, expected {expected(rule.endpoint, 'GET', actor)}"
            )
    if os.environ.get("PRINT_ACCESS_MATRIX"):
        print(f"\nGET as {actor}: {table}")
    assert not mismatches, "\n".join(mismatches)
    assert snapshot(app) == before, "a GET changed the database"


@pytest.mark.parametrize("actor", ACTORS)
def test_refused_posts_are_refused_and_write_nothing(app, world, actor):
    client = client_for(app, actor, world)
    before = snapshot(app)
    mismatches, table = [], {}
    for rule in walked_rules(app):
        if "POST" not in rule.methods or "POST" not in EXPECTED.get(rule.endpoint, {}):
            continue
        wanted = expected(rule.endpoint, "POST", actor)
        if not is_refusal(wanted) and not os.environ.get("PRINT_ACCESS_MATRIX"):
            continue
        url = url_for_rule(app, rule, world)
        status = observed(client.post(url, data={}))
        table[rule.endpoint] = status
        if status != wanted:
            mismatches.append(f"POST {url} as {actor}: {status}, expected {wanted}")
        if os.environ.get("PRINT_ACCESS_MATRIX"):
            client = client_for(app, actor, world)  # a POST may have logged this actor out
    if os.environ.get("PRINT_ACCESS_MATRIX"):
        print(f"\nPOST as {actor}: {table}")
        return
    assert not mismatches, "\n".join(mismatches)
    assert snapshot(app) == before, "a refused POST changed the database"


def allowed_posts():
    cases = []
    for endpoint, methods in sorted(EXPECTED.items()):
        if "POST" in methods:
            for actor in ACTORS:
                if not is_refusal(expected(endpoint, "POST", actor)):
                    cases.append(pytest.param(endpoint, actor, id=f"{endpoint}-{actor}"))
    return cases


@pytest.mark.parametrize(("endpoint", "actor"), allowed_posts())
def test_permitted_posts_answer_as_the_table_says(app, world, endpoint, actor):
    (rule,) = [r for r in walked_rules(app) if r.endpoint == endpoint and "POST" in r.methods]
    client = client_for(app, actor, world)
    url = url_for_rule(app, rule, world)
    assert observed(client.post(url, data={})) == expected(endpoint, "POST", actor)


# Forged fields are ignored ----------------------------------------------------------------------

FORGED = {"status": "approved", "role": "admin", "organization_id": "", "is_owner": "y", "id": "1"}


def test_forged_fields_on_the_profile_form_are_ignored(app, world):
    client = client_for(app, "pending", world)
    pending = world.users["pending"]
    org_b = world.users["member_b"].organization
    form = {
        "name": "Pending Org renamed",
        "kind": "ngo",
        "country": "IQ",
        "city": "Mosul",
        "description": "We changed our description.",
        "contact_email_visibility": "public",
        "contact_phone_visibility": "hidden",
        "address_visibility": "hidden",
        "contact_person_visibility": "hidden",
        **FORGED,
        "organization_id": str(org_b.id),
    }
    response = client.post("/account/profile", data=form)
    assert response.status_code in (200, 302, 400)
    with app_context(app):
        pending = db.session.get(User, pending.id)
        assert pending.role == Role.MEMBER
        assert pending.organization.status == OrganizationStatus.PENDING
        assert pending.organization.slug == "pending-org"
        assert db.session.get(Organization, org_b.id).name == "Organization B"


def test_forged_fields_on_the_pledge_form_are_ignored(app, world):
    client = client_for(app, "member_b", world)
    member_b = world.users["member_b"]
    org_a_id = world.users["member_a"].organization_id
    form = {"kinds": ["endorsement"], "message": "From B.", "visibility": "public", **FORGED}
    form["organization_id"] = str(org_a_id)

    response = client.post("/campaigns/save-the-tigris/pledge", data=form)

    assert response.status_code == 302
    from app.models import Pledge

    with app_context(app):
        messages = {p.organization_id: p.message for p in db.session.scalars(sa.select(Pledge))}
        assert messages[member_b.organization_id] == "From B."
        assert messages[org_a_id] == "Together."
        assert db.session.get(User, member_b.id).role == Role.MEMBER


def test_forged_fields_on_the_project_form_are_ignored(app, world):
    client = client_for(app, "member_b", world)
    member_b = world.users["member_b"]
    org_a_id = world.users["member_a"].organization_id
    form = {
        "title": "B's own project",
        "summary": "Made by B.",
        "description": "Made by B.",
        "status": "planned",
        "place": "Erbil",
        "campaigns": [str(world.values["campaign_id"])],
        # "status" is a real field of projects (planned, running, finished): not forged here.
        **{name: value for name, value in FORGED.items() if name != "status"},
        "organization_id": str(org_a_id),
        "hidden_at": "",
    }

    response = client.post("/projects/new", data=form)

    assert response.status_code == 302
    project = scalar(app, sa.select(Project).where(Project.title == "B's own project"))
    assert project.organization_id == member_b.organization_id
    assert project.hidden_at is None

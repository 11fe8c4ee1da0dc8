"""Journeys: a project co-sponsored; a joint statement signed named and counted only (issue #20)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from app.extensions import db
from app.models import Campaign, CampaignStatus
from tests import builders
from tests.browser.helpers import log_in, open_site
from tests.browser.live import MODERATOR_EMAIL

pytestmark = pytest.mark.browser

OWNER = "reeds@tadamun.test"
PARTNER = "lawyers@tadamun.test"


def _world(app) -> str:
    with app.app_context():
        campaign = db.session.scalars(
            sa.select(Campaign).where(Campaign.status == CampaignStatus.ACTIVE).order_by(Campaign.id)
        ).first()
        owner = builders.make_organization("Reed Beds Keepers", slug="reed-beds-keepers")
        builders.make_project(owner, [campaign], "Reed Beds of Chibayish", slug="reed-beds-of-chibayish")
        partner = builders.make_organization("Lawyers Abroad Collective", slug="lawyers-abroad", country="IT")
        builders.make_user(owner, email=OWNER)
        builders.make_user(partner, email=PARTNER)
        slug = campaign.slug
        db.session.commit()
        db.session.remove()
        return slug


def test_a_project_is_co_sponsored(new_page, live_server, t_for):
    t = t_for("en")
    _world(live_server.app)
    owner = open_site(new_page, "desktop")
    log_in(owner, t, OWNER)
    owner.goto("/account/")
    owner.get_by_role("link", name="Edit", exact=True).click()
    owner.get_by_role("link", name="Co-sponsors: invite or remove").click()
    owner.get_by_label("The organization's address in the directory").fill("lawyers-abroad")
    owner.get_by_role("button", name="Invite to co-sponsor").click()
    expect(owner.get_by_text("The invitation is sent.")).to_be_visible()

    partner = open_site(new_page, "desktop")
    log_in(partner, t, PARTNER)
    partner.get_by_role("link", name="Co-sponsorships").click()
    partner.get_by_role("button", name="Accept").click()
    expect(
        partner.get_by_text("Your organization co-sponsors this project: its members may post updates on it.")
    ).to_be_visible()

    visitor = open_site(new_page, "desktop")
    visitor.goto("/projects/reed-beds-of-chibayish")
    expect(visitor.get_by_role("link", name="Lawyers Abroad Collective")).to_be_visible()
    visitor.goto("/organizations/lawyers-abroad")
    expect(visitor.get_by_role("link", name="Reed Beds of Chibayish")).to_be_visible()


def test_a_statement_is_signed_named_and_counted_only(new_page, live_server, t_for):
    t = t_for("en")
    campaign = _world(live_server.app)
    moderator = open_site(new_page, "desktop")
    log_in(moderator, t, MODERATOR_EMAIL)
    moderator.goto(f"/solidarity/campaigns/{campaign}/statements/new")
    moderator.get_by_label("Title in English").fill("Let the Tigris flow")
    moderator.get_by_label("Text in English").fill("We, the undersigned, call for the Tigris to flow.")
    moderator.get_by_label("Deadline for signatures (UTC)").fill("2099-01-01T12:00")
    moderator.get_by_label("Organizations may sign without being named").check()
    moderator.get_by_role("button", name="Publish").click()
    expect(moderator.get_by_role("heading", level=1, name="Let the Tigris flow")).to_be_visible()
    statement_url = moderator.url

    named = open_site(new_page, "desktop")
    log_in(named, t, OWNER)
    named.goto(statement_url)
    named.get_by_label("Named among the signatories").check()
    named.get_by_role("button", name="Sign", exact=True).click()
    expect(named.get_by_text("Your organization has signed, named.")).to_be_visible()

    counted = open_site(new_page, "desktop")
    log_in(counted, t, PARTNER)
    counted.goto(statement_url)
    counted.get_by_label("Counted only, never named").check()
    counted.get_by_role("button", name="Sign", exact=True).click()
    expect(counted.get_by_text("Your organization has signed, counted only.")).to_be_visible()

    visitor = open_site(new_page, "desktop")
    visitor.goto(statement_url)
    signatories = visitor.locator("section", has=visitor.get_by_role("heading", name="Signatories"))
    expect(signatories.get_by_role("link", name="Reed Beds Keepers")).to_be_visible()
    expect(visitor.get_by_text("Lawyers Abroad Collective")).to_have_count(0)
    expect(
        signatories.get_by_text("And 1 more organizations that signed without being named.")
    ).to_be_visible()

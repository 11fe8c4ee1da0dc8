"""Journey: partner suggestions and introductions with double opt-in (issue #20).

An international member finds an Iraqi partner among its suggestions, asks to be introduced and
shares its email; the Iraqi organization accepts and shares its phone only; each then reads the
other's chosen detail. A second request is declined: the requester reads only "not now"."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from app.extensions import db
from app.models import (
    Campaign,
    CampaignStatus,
    Offer,
    OfferCategory,
    OfferDirection,
    OfferVisibility,
    Visibility,
)
from tests import builders
from tests.browser.helpers import log_in, open_site

pytestmark = pytest.mark.browser

ASKER = "lawyers@tadamun.test"
ANSWERER = "basra@tadamun.test"
OTHER = "media@tadamun.test"


def _network(app) -> None:
    with app.app_context():
        campaign = db.session.scalars(
            sa.select(Campaign).where(Campaign.status == CampaignStatus.ACTIVE).order_by(Campaign.id)
        ).first()
        lawyers = builders.make_organization(
            "Lawyers Abroad Collective", slug="lawyers-abroad", country="IT",
            contact_email="desk@lawyers.example", contact_email_visibility=Visibility.HIDDEN,
        )  # fmt: skip
        basra = builders.make_organization(
            "Basra Water Watch Group", slug="basra-water-watch", city="Basra",
            contact_phone="+964 780 111 2222", contact_phone_visibility=Visibility.HIDDEN,
            contact_email="hidden@basra.example", contact_email_visibility=Visibility.HIDDEN,
        )  # fmt: skip
        media = builders.make_organization("Media Friends Abroad", slug="media-friends", country="FR")
        for organization in (lawyers, basra, media):
            builders.make_pledge(organization, campaign)
        db.session.add_all(
            [
                Offer(organization_id=lawyers.id, direction=OfferDirection.OFFER,
                      category=OfferCategory.LEGAL, text="Strategic litigation",
                      visibility=OfferVisibility.PUBLIC),
                Offer(organization_id=basra.id, direction=OfferDirection.NEED, category=OfferCategory.LEGAL,
                      text="Help with court cases", visibility=OfferVisibility.MEMBERS),
            ]
        )  # fmt: skip
        builders.make_user(lawyers, email=ASKER)
        builders.make_user(basra, email=ANSWERER)
        builders.make_user(media, email=OTHER)
        db.session.commit()
        db.session.remove()


def test_an_introduction_accepted_and_one_declined(new_page, live_server, t_for):
    t = t_for("en")
    _network(live_server.app)

    asker = open_site(new_page, "desktop")
    log_in(asker, t, ASKER)
    partners = asker.locator("section", has=asker.get_by_role("heading", name="Partners you could work with"))
    # The demo network has partners of its own: look at the suggestion of the Basra group.
    basra = partners.get_by_role("listitem").filter(
        has=asker.get_by_role("link", name="Basra Water Watch Group")
    )
    expect(basra.get_by_text("they need Legal expertise that you offer")).to_be_visible()
    basra.get_by_role("link", name="Basra Water Watch Group").click()
    asker.get_by_role("link", name="Ask to be introduced").click()
    asker.get_by_label("Message").fill("We take water rights cases to court, pro bono.")
    asker.get_by_label("Email").check()
    asker.get_by_role("button", name="Ask for an introduction").click()
    expect(asker.get_by_text("Waiting for an answer.")).to_be_visible()
    expect(asker.get_by_text("+964 780 111 2222")).to_have_count(0)

    answerer = open_site(new_page, "desktop")
    log_in(answerer, t, ANSWERER)
    answerer.goto("/solidarity/introductions")
    request = answerer.locator("li.introduction-item", has_text="Lawyers Abroad Collective")
    expect(request.get_by_text("We take water rights cases to court, pro bono.")).to_be_visible()
    expect(answerer.get_by_text("desk@lawyers.example")).to_have_count(0)
    request.get_by_label("Phone").check()
    request.get_by_role("button", name="Accept").click()
    expect(answerer.get_by_text("desk@lawyers.example")).to_be_visible()

    asker.reload()
    expect(asker.get_by_text("+964 780 111 2222")).to_be_visible()
    expect(asker.get_by_text("hidden@basra.example")).to_have_count(0)

    # A second organization asks; Basra declines; the requester reads "not now" and nothing more.
    other = open_site(new_page, "desktop")
    log_in(other, t, OTHER)
    other.goto("/organizations/basra-water-watch")
    other.get_by_role("link", name="Ask to be introduced").click()
    other.get_by_label("Message").fill("We film rivers.")
    other.get_by_role("button", name="Ask for an introduction").click()
    answerer.reload()
    answerer.locator("li.introduction-item", has_text="Media Friends Abroad").get_by_role(
        "button", name="Decline", exact=True
    ).click()
    other.reload()
    expect(other.get_by_text("Not now.")).to_be_visible()
    expect(other.get_by_text("+964 780 111 2222")).to_have_count(0)

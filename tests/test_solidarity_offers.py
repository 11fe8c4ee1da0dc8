"""Offers and needs (issue #20): stated by members, read through the visibility rule."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import (
    Offer,
    OfferCategory,
    OfferDirection,
    OfferVisibility,
    OrganizationStatus,
    PledgeVisibility,
)
from app.models.base import utcnow
from app.services import DomainError, NotAllowed, offers
from tests import builders
from tests.conftest import app_context, count, log_in, scalars


def _offer(org, category=OfferCategory.LEGAL, *, direction=OfferDirection.OFFER, campaign=None,
           visibility=OfferVisibility.PUBLIC, text=""):  # fmt: skip
    offer = Offer(
        organization_id=org.id,
        campaign_id=campaign.id if campaign else None,
        direction=direction,
        category=category,
        text=text or f"{org.name} {direction} {category}",
        visibility=visibility,
    )
    db.session.add(offer)
    db.session.flush()
    return offer


@pytest.fixture
def network(app):
    with app_context(app):
        campaign = builders.make_campaign("Save the Tigris", slug="save-the-tigris")
        org = builders.make_organization("Tigris Lawyers", slug="tigris-lawyers")
        builders.make_pledge(org, campaign, visibility=PledgeVisibility.PUBLIC)
        quiet = builders.make_organization("Quiet Friends", slug="quiet-friends", country="IT")
        builders.make_pledge(quiet, campaign, visibility=PledgeVisibility.MEMBERS)
        hidden = builders.make_organization("Counted Friends", slug="counted-friends", country="FR")
        builders.make_pledge(hidden, campaign, visibility=PledgeVisibility.COUNTED)
        _offer(org, OfferCategory.LEGAL, text="Public profile offer")
        _offer(org, OfferCategory.FUNDING, direction=OfferDirection.NEED, visibility=OfferVisibility.MEMBERS,
               text="Members profile need")  # fmt: skip
        _offer(org, OfferCategory.MEDIA, campaign=campaign, text="Public campaign offer")
        _offer(quiet, OfferCategory.TRAINING, campaign=campaign, text="Public offer on a members pledge")
        _offer(quiet, OfferCategory.HOSTING, text="Quiet profile offer")
        _offer(hidden, OfferCategory.EQUIPMENT, campaign=campaign, text="Public offer on a counted pledge")
        member = builders.make_user(builders.make_organization("Reader Org"), email="reader@example.org")
        pending = builders.make_user(
            builders.make_organization("Pending Org", status=OrganizationStatus.PENDING),
            email="pending@example.org",
        )
        db.session.commit()
        return {"member": member.email, "pending": pending.email}


def _page(app, path, email=None):
    client = app.test_client()
    if email:
        log_in(client, email)
    response = client.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_visitor_reads_public_statements_only_and_never_one_that_names_a_discreet_pledge(app, network):
    profile = _page(app, "/organizations/tigris-lawyers")
    assert "Public profile offer" in profile
    assert "Public campaign offer" in profile
    assert "Members profile need" not in profile
    campaign = _page(app, "/campaigns/save-the-tigris")
    assert "Public campaign offer" in campaign
    assert "Public offer on a members pledge" not in campaign
    assert "Public offer on a counted pledge" not in campaign
    assert "Public offer on a members pledge" not in _page(app, "/organizations/quiet-friends")
    listing = _page(app, "/solidarity/campaigns/save-the-tigris/offers")
    assert "Public campaign offer" in listing
    assert "Public offer on a members pledge" not in listing
    assert "Counted Friends" not in listing


def test_an_approved_member_reads_members_statements_but_never_a_counted_pledges(app, network):
    profile = _page(app, "/organizations/tigris-lawyers", network["member"])
    assert "Members profile need" in profile
    campaign = _page(app, "/campaigns/save-the-tigris", network["member"])
    assert "Public offer on a members pledge" in campaign
    assert "Public offer on a counted pledge" not in campaign
    listing = _page(app, "/solidarity/campaigns/save-the-tigris/offers", network["member"])
    assert "Public offer on a counted pledge" not in listing
    assert "Counted Friends" not in listing


def test_a_member_of_a_pending_organization_reads_what_a_visitor_reads(app, network):
    profile = _page(app, "/organizations/tigris-lawyers", network["pending"])
    assert "Public profile offer" in profile
    assert "Members profile need" not in profile
    assert "Public offer on a members pledge" not in _page(
        app, "/campaigns/save-the-tigris", network["pending"]
    )


@pytest.mark.parametrize("change", ["dark", "delisted", "suspended", "deleting"])
def test_statements_of_an_organization_out_of_public_view_are_shown_nowhere(app, network, change):
    with app_context(app):
        from app.models import Organization

        org = db.session.scalar(sa.select(Organization).where(Organization.slug == "tigris-lawyers"))
        if change == "dark":
            org.dark_at = utcnow()
        elif change == "delisted":
            org.delisted_at = utcnow()
        elif change == "suspended":
            org.status = OrganizationStatus.SUSPENDED
        else:
            org.deletion_requested_at = utcnow()
        db.session.commit()
    for email in (None, network["member"]):
        campaign = _page(app, "/campaigns/save-the-tigris", email)
        assert "Public campaign offer" not in campaign
        listing = _page(app, "/solidarity/campaigns/save-the-tigris/offers", email)
        assert "Public campaign offer" not in listing
        assert "Tigris Lawyers" not in listing


def test_a_member_states_an_offer_for_a_campaign_it_supports_and_removes_it(app):
    with app_context(app):
        campaign = builders.make_campaign("Save the Tigris", slug="save-the-tigris")
        org = builders.make_organization("Tigris Lawyers", slug="tigris-lawyers")
        builders.make_pledge(org, campaign)
        user = builders.make_user(org, email="lawyer@example.org")
        db.session.commit()
        campaign_id = campaign.id
    client = app.test_client()
    log_in(client, user.email)
    assert client.get("/solidarity/offers").status_code == 200
    response = client.post(
        "/solidarity/offers",
        data={
            "direction": "offer",
            "category": "legal",
            "text": "Court cases on water rights",
            "campaign": str(campaign_id),
            "visibility": "public",
        },
    )
    assert response.status_code == 302
    # Saving the same kind again in the same place replaces it.
    client.post(
        "/solidarity/offers",
        data={
            "direction": "offer",
            "category": "legal",
            "text": "Strategic litigation",
            "campaign": str(campaign_id),
            "visibility": "members",
        },
    )
    (offer,) = scalars(app, sa.select(Offer))
    assert (offer.text, offer.visibility, offer.campaign_id) == (
        "Strategic litigation",
        "members",
        campaign_id,
    )
    assert client.post(f"/solidarity/offers/{offer.id}/remove").status_code == 302
    assert count(app, Offer) == 0


def test_bad_input_writes_nothing(app):
    with app_context(app):
        other = builders.make_campaign("Not supported", slug="not-supported")
        user = builders.make_user(builders.make_organization("Tigris Lawyers"), email="lawyer@example.org")
        db.session.commit()
        other_id = other.id
    client = app.test_client()
    log_in(client, user.email)
    for data in (
        {"direction": "offer", "category": "legal", "campaign": str(other_id), "visibility": "public"},
        {"direction": "offer", "category": "bribes", "campaign": "", "visibility": "public"},
        {"direction": "sell", "category": "legal", "campaign": "", "visibility": "public"},
        {"direction": "offer", "category": "legal", "campaign": "", "visibility": "everyone"},
        {
            "direction": "offer",
            "category": "legal",
            "campaign": "",
            "visibility": "public",
            "text": "x" * 301,
        },
    ):
        assert client.post("/solidarity/offers", data=data).status_code == 400, data
    assert count(app, Offer) == 0


def test_another_organizations_statement_cannot_be_removed(app):
    with app_context(app):
        owner = builders.make_organization("Owner")
        offer = _offer(owner)
        user = builders.make_user(builders.make_organization("Other"), email="other@example.org")
        db.session.commit()
        offer_id = offer.id
    client = app.test_client()
    log_in(client, user.email)
    assert client.post(f"/solidarity/offers/{offer_id}/remove").status_code == 404
    assert count(app, Offer) == 1


def test_only_members_of_an_approved_organization_state_offers(app_ctx):
    pending = builders.make_organization("Pending", status=OrganizationStatus.PENDING)
    user = builders.make_user(pending)
    stranger = builders.make_user(builders.make_organization("Stranger"))
    with pytest.raises(NotAllowed):
        offers.save_statement(
            pending, user, direction="offer", category="legal", text="", visibility="public"
        )
    approved = builders.make_organization("Approved")
    with pytest.raises(NotAllowed):
        offers.save_statement(
            approved, stranger, direction="offer", category="legal", text="", visibility="public"
        )
    member = builders.make_user(approved)
    with pytest.raises(DomainError):
        offers.save_statement(approved, member, direction="offer", category="legal", text="", visibility="x")

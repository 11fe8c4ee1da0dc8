"""Partner suggestions on the member dashboard (issue #20): ranked, explained, and never built on
what the member may not see."""

from __future__ import annotations

import pytest

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
from tests import builders
from tests.conftest import app_context, log_in


def _state(org, category, direction=OfferDirection.OFFER, visibility=OfferVisibility.PUBLIC, campaign=None):
    db.session.add(
        Offer(
            organization_id=org.id,
            campaign_id=campaign.id if campaign else None,
            direction=direction,
            category=category,
            text="",
            visibility=visibility,
        )
    )
    db.session.flush()


@pytest.fixture
def world(app):
    with app_context(app):
        tigris = builders.make_campaign("Save the Tigris", slug="save-the-tigris")
        marsh = builders.make_campaign("Marshes Alive", slug="marshes-alive")
        iraqi = builders.make_organization("Basra Water Watch", slug="basra-water-watch", country="IQ")
        builders.make_pledge(iraqi, tigris)
        builders.make_pledge(iraqi, marsh, visibility=PledgeVisibility.COUNTED)
        _state(iraqi, OfferCategory.LEGAL, OfferDirection.NEED, OfferVisibility.MEMBERS)
        _state(iraqi, OfferCategory.RESEARCH, OfferDirection.OFFER)
        user = builders.make_user(iraqi, email="basra@example.org")

        lawyers = builders.make_organization("Lawyers Abroad", slug="lawyers-abroad", country="IT")
        builders.make_pledge(lawyers, tigris)
        builders.make_pledge(lawyers, marsh)
        _state(lawyers, OfferCategory.LEGAL)
        _state(lawyers, OfferCategory.RESEARCH, OfferDirection.NEED, OfferVisibility.MEMBERS)

        media = builders.make_organization("Media Friends", slug="media-friends", country="FR")
        builders.make_pledge(media, tigris, visibility=PledgeVisibility.MEMBERS)
        _state(media, OfferCategory.LEGAL, visibility=OfferVisibility.MEMBERS)

        # Never suggested, each for one reason.
        counted = builders.make_organization("Counted Lawyers", slug="counted-lawyers", country="DE")
        builders.make_pledge(counted, tigris, visibility=PledgeVisibility.COUNTED)
        _state(counted, OfferCategory.LEGAL)
        dark = builders.make_organization("Dark Lawyers", slug="dark-lawyers", country="DE", dark_at=utcnow())
        builders.make_pledge(dark, tigris)
        _state(dark, OfferCategory.LEGAL)
        suspended = builders.make_organization(
            "Suspended Lawyers", slug="suspended-lawyers", country="DE", status=OrganizationStatus.SUSPENDED
        )
        builders.make_pledge(suspended, tigris)
        _state(suspended, OfferCategory.LEGAL)
        elsewhere = builders.make_organization("Elsewhere Lawyers", slug="elsewhere-lawyers", country="DE")
        builders.make_pledge(elsewhere, builders.make_campaign("Another campaign"))
        _state(elsewhere, OfferCategory.LEGAL)
        iraqi_lawyers = builders.make_organization("Baghdad Lawyers", slug="baghdad-lawyers", country="IQ")
        builders.make_pledge(iraqi_lawyers, tigris)
        _state(iraqi_lawyers, OfferCategory.LEGAL)
        withdrawn = builders.make_organization("Withdrawn Lawyers", slug="withdrawn-lawyers", country="DE")
        builders.make_pledge(withdrawn, tigris, withdrawn=True)
        _state(withdrawn, OfferCategory.LEGAL)
        unrelated = builders.make_organization("Equipment Abroad", slug="equipment-abroad", country="DE")
        builders.make_pledge(unrelated, tigris)
        _state(unrelated, OfferCategory.EQUIPMENT)
        # A campaign statement on a counted pledge must not make a match either.
        hidden_campaign_offer = builders.make_organization("Hidden Offer", slug="hidden-offer", country="DE")
        builders.make_pledge(hidden_campaign_offer, tigris)
        builders.make_pledge(hidden_campaign_offer, marsh, visibility=PledgeVisibility.COUNTED)
        _state(hidden_campaign_offer, OfferCategory.LEGAL, campaign=marsh)
        db.session.commit()
        return user.email


def _dashboard(app, email):
    client = app.test_client()
    log_in(client, email)
    response = client.get("/account/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_suggestions_are_ranked_and_explained_in_words(app, world):
    page = _dashboard(app, world)
    section = page.split('id="partners-heading"', 1)[1]
    assert section.index("Lawyers Abroad") < section.index("Media Friends")
    # The member's own pledges count whatever their visibility; the other side's only where named.
    assert (
        "both support <bdi>Save the Tigris</bdi> and <bdi>Marshes Alive</bdi>; they offer Legal expertise "
        "that you need; they need Research that you offer." in section
    )
    # Members-only statements and pledges of others are read by an approved member.
    assert "both support <bdi>Save the Tigris</bdi>; they offer Legal expertise that you need." in section
    for never in ("Counted Lawyers", "Dark Lawyers", "Suspended Lawyers", "Elsewhere Lawyers",
                  "Baghdad Lawyers", "Withdrawn Lawyers", "Equipment Abroad", "Hidden Offer"):  # fmt: skip
        assert never not in section, never


def test_an_international_member_is_offered_iraqi_partners(app, world):
    with app_context(app):
        import sqlalchemy as sa

        from app.models import Organization

        lawyers = db.session.scalar(sa.select(Organization).where(Organization.slug == "lawyers-abroad"))
        email = builders.make_user(lawyers, email="lawyers@example.org").email
        db.session.commit()
    section = _dashboard(app, email).split('id="partners-heading"', 1)[1]
    assert "Basra Water Watch" in section
    assert "they offer Research that you need" in section
    assert "they need Legal expertise that you offer" in section
    assert "Media Friends" not in section


def test_members_of_unapproved_organizations_get_no_suggestions(app, world):
    with app_context(app):
        pending = builders.make_organization("Pending", status=OrganizationStatus.PENDING, country="DE")
        email = builders.make_user(pending, email="pending@example.org").email
        db.session.commit()
    assert 'id="partners-heading"' not in _dashboard(app, email)


def test_the_dashboard_costs_the_same_queries_however_many_partners(app, world, count_queries):
    client = app.test_client()
    log_in(client, world)
    client.get("/account/")
    with count_queries() as before:
        assert client.get("/account/").status_code == 200
    with app_context(app):
        import sqlalchemy as sa

        from app.models import Campaign

        tigris = db.session.scalar(sa.select(Campaign).where(Campaign.slug == "save-the-tigris"))
        for n in range(15):
            org = builders.make_organization(f"More Lawyers {n}", country="ES")
            builders.make_pledge(org, tigris)
            _state(org, OfferCategory.LEGAL)
            _state(org, OfferCategory.RESEARCH, OfferDirection.NEED)
        db.session.commit()
    with count_queries() as after:
        assert client.get("/account/").status_code == 200
    assert after.count == before.count

"""Partner suggestions on the member dashboard (issue #20).

For an Iraqi organization: international organizations on the same campaigns whose offers meet
its needs, or whose needs its offers meet; for an international one, the reverse. Ranked (each
matching kind of help weighs more than each shared campaign) and explained in words on the page
("both support Save the Tigris; they offer legal expertise you need").

Only what the viewer may see is used, through the same rules as every page: the other
organization is in public view (app/services/visibility.py), its statement is one the viewer may
read (app/services/offers.py ``visible_to``: its visibility, and for a campaign's statement a
pledge the viewer may see named), and the shared campaigns are those where its active pledge is
named to the viewer (``directory.named_visibilities``): a counted-only supporter is never
suggested because of that campaign. The suggestions are the organization's own page: only its
members see them, and only while it is approved.

Four queries, whatever the size of the network.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, joinedload

from app.extensions import db
from app.models import (
    IRAQ,
    Campaign,
    Offer,
    OfferCategory,
    OfferDirection,
    Organization,
    OrganizationStatus,
    Pledge,
)
from app.services.directory import named_visibilities
from app.services.offers import visible_to

SUGGESTIONS = 5
# Candidate statements read at most (the ranking runs over them in Python).
CANDIDATE_ROWS = 500
MATCH_WEIGHT = 3


@dataclass
class Suggestion:
    organization: Organization
    they_offer: list[OfferCategory] = field(default_factory=list)  # what you need
    they_need: list[OfferCategory] = field(default_factory=list)  # what you offer
    campaigns: list[Campaign] = field(default_factory=list)  # both support, as you may see

    @property
    def score(self) -> int:
        return MATCH_WEIGHT * (len(self.they_offer) + len(self.they_need)) + len(self.campaigns)


def partner_suggestions(
    organization: Organization | None, viewer: Any, limit: int = SUGGESTIONS
) -> list[Suggestion]:
    if organization is None or organization.status != OrganizationStatus.APPROVED:
        return []
    campaign_ids = list(
        db.session.scalars(
            sa.select(Pledge.campaign_id).where(
                Pledge.organization_id == organization.id, Pledge.withdrawn_at.is_(None)
            )
        )
    )
    if not campaign_ids:
        return []
    own = db.session.execute(
        sa.select(Offer.direction, Offer.category).where(Offer.organization_id == organization.id)
    ).all()
    needs = {category for direction, category in own if direction == OfferDirection.NEED}
    offers = {category for direction, category in own if direction == OfferDirection.OFFER}
    if not needs and not offers:
        return []

    other_side = Organization.country != IRAQ if organization.is_iraqi else Organization.country == IRAQ
    shared_campaign = (
        sa.select(Pledge.id)
        .where(
            Pledge.organization_id == Organization.id,
            Pledge.campaign_id.in_(campaign_ids),
            Pledge.withdrawn_at.is_(None),
            Pledge.visibility.in_(named_visibilities(viewer)),
        )
        .exists()
    )
    meets = sa.or_(
        sa.and_(Offer.direction == OfferDirection.OFFER, Offer.category.in_(needs)),
        sa.and_(Offer.direction == OfferDirection.NEED, Offer.category.in_(offers)),
    )
    rows = db.session.scalars(
        sa.select(Offer)
        .join(Organization, Organization.id == Offer.organization_id)
        .options(contains_eager(Offer.organization))
        .where(Organization.id != organization.id, other_side, meets, visible_to(viewer), shared_campaign)
        .order_by(Offer.organization_id, Offer.id)
        .limit(CANDIDATE_ROWS)
    ).unique()
    found: dict[int, Suggestion] = {}
    for offer in rows:
        suggestion = found.setdefault(offer.organization_id, Suggestion(offer.organization))
        wanted = suggestion.they_offer if offer.direction == OfferDirection.OFFER else suggestion.they_need
        if offer.category not in wanted:
            wanted.append(offer.category)
    if not found:
        return []
    pledges = db.session.scalars(
        sa.select(Pledge)
        .options(joinedload(Pledge.campaign))
        .where(
            Pledge.organization_id.in_(found),
            Pledge.campaign_id.in_(campaign_ids),
            Pledge.withdrawn_at.is_(None),
            Pledge.visibility.in_(named_visibilities(viewer)),
        )
        .order_by(Pledge.campaign_id)
    )
    for pledge in pledges:
        found[pledge.organization_id].campaigns.append(pledge.campaign)
    ranked = sorted(found.values(), key=lambda s: (-s.score, s.organization.name, s.organization.id))
    for suggestion in ranked:
        order = list(OfferCategory)
        suggestion.they_offer.sort(key=order.index)
        suggestion.they_need.sort(key=order.index)
    return ranked[:limit]

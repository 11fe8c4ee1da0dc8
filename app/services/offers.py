"""Offers and needs: what an organization gives the network and what it asks of it.

An organization states, on its profile or for one campaign it supports, that it offers (or
needs) a kind of help (app/models/solidarity.py: legal, technical or media expertise, research,
funding, volunteers, advocacy, hosting, training, equipment), with a short text and a
visibility (public, or members only).

Who may read a statement, decided here once for every door (profile, campaign page,
suggestions, the network's shape):

* its organization is in public view (app/services/visibility.py ``publicly_listed``);
* its visibility is one the viewer may read (:func:`offer_visibilities`: ``public`` for
  everyone, ``members`` too for approved members and moderators, as
  ``directory.viewer_sees_members_only`` says);
* a campaign's statement also says that the organization works on that campaign, so it is
  shown only where the viewer may see the organization named among the campaign's supporters
  (an active pledge whose visibility is in ``directory.named_visibilities(viewer)``): a public
  offer never reveals a members-only or counted-only pledge.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, joinedload

from app.extensions import db
from app.models import (
    Campaign,
    Offer,
    OfferCategory,
    OfferDirection,
    OfferVisibility,
    Organization,
    OrganizationStatus,
    Pledge,
    User,
)
from app.models.solidarity import OFFER_TEXT_MAX_LENGTH
from app.services import DomainError, NotAllowed
from app.services.directory import named_visibilities, viewer_sees_members_only
from app.services.visibility import publicly_listed

# The campaign page shows this many statements (newest first); the full list is paged.
CAMPAIGN_OFFERS = 12
# A profile lists its own statements and those of the campaigns it supports, bounded.
PROFILE_OFFERS = 60


def offer_visibilities(viewer: Any) -> tuple[OfferVisibility, ...]:
    """The statement visibilities the viewer may read."""
    if viewer_sees_members_only(viewer):
        return (OfferVisibility.PUBLIC, OfferVisibility.MEMBERS)
    return (OfferVisibility.PUBLIC,)


def visible_to(viewer: Any, offer: Any = Offer, organization: Any = Organization) -> sa.ColumnElement[bool]:
    """SQL: the statement ``offer`` (of ``organization``, joined by the caller) may be read by
    ``viewer``. The one rule every door applies (see the module's docstring)."""
    pledge = sa.orm.aliased(Pledge)
    named_pledge = (
        sa.select(pledge.id)
        .where(
            pledge.organization_id == offer.organization_id,
            pledge.campaign_id == offer.campaign_id,
            pledge.withdrawn_at.is_(None),
            pledge.visibility.in_(named_visibilities(viewer)),
        )
        .exists()
    )
    return sa.and_(
        publicly_listed(organization),
        offer.visibility.in_(offer_visibilities(viewer)),
        sa.or_(offer.campaign_id.is_(None), named_pledge),
    )


# --- Reading -------------------------------------------------------------------------------


@dataclass
class Statements:
    """An organization's (or a campaign's) statements, split for the page."""

    offers: list[Offer]
    needs: list[Offer]
    more: bool = False

    def __bool__(self) -> bool:
        return bool(self.offers or self.needs)


def _split(rows: list[Offer], limit: int) -> Statements:
    shown = rows[:limit]
    return Statements(
        offers=[o for o in shown if o.direction == OfferDirection.OFFER],
        needs=[o for o in shown if o.direction == OfferDirection.NEED],
        more=len(rows) > limit,
    )


def organization_statements(organization: Organization, viewer: Any) -> Statements:
    """What ``organization`` offers and needs, as ``viewer`` may read it (one query)."""
    stmt = (
        sa.select(Offer)
        .join(Organization, Organization.id == Offer.organization_id)
        .options(contains_eager(Offer.organization), joinedload(Offer.campaign))
        .where(Offer.organization_id == organization.id, visible_to(viewer))
        .order_by(
            Offer.campaign_id.is_not(None), Offer.campaign_id, Offer.direction, Offer.category, Offer.id
        )
        .limit(PROFILE_OFFERS + 1)
    )
    return _split(list(db.session.scalars(stmt).unique()), PROFILE_OFFERS)


def _campaign_stmt(campaign: Campaign, viewer: Any) -> sa.Select:
    return (
        sa.select(Offer)
        .join(Organization, Organization.id == Offer.organization_id)
        .options(contains_eager(Offer.organization))
        .where(Offer.campaign_id == campaign.id, visible_to(viewer))
        .order_by(Offer.created_at.desc(), Offer.id.desc())
    )


def campaign_statements(campaign: Campaign, viewer: Any) -> Statements:
    """The newest statements made for ``campaign`` that ``viewer`` may read (one query)."""
    rows = list(db.session.scalars(_campaign_stmt(campaign, viewer).limit(CAMPAIGN_OFFERS + 1)).unique())
    return _split(rows, CAMPAIGN_OFFERS)


def campaign_statements_page(campaign: Campaign, viewer: Any, page: int):
    """Every statement made for ``campaign`` that ``viewer`` may read, paged."""
    return db.paginate(
        _campaign_stmt(campaign, viewer),
        page=page,
        per_page=current_app.config["PAGE_SIZE"],
        error_out=True,
        max_per_page=100,
    )


def own_statements(organization: Organization) -> list[Offer]:
    """Everything the organization stated, for its members (one query)."""
    stmt = (
        sa.select(Offer)
        .options(joinedload(Offer.campaign))
        .where(Offer.organization_id == organization.id)
        .order_by(
            Offer.campaign_id.is_not(None), Offer.campaign_id, Offer.direction, Offer.category, Offer.id
        )
    )
    return list(db.session.scalars(stmt))


def pledged_campaigns(organization: Organization) -> list[Campaign]:
    """The campaigns the organization supports now: the ones it may state offers and needs for."""
    stmt = (
        sa.select(Campaign)
        .join(Pledge, Pledge.campaign_id == Campaign.id)
        .where(Pledge.organization_id == organization.id, Pledge.withdrawn_at.is_(None))
        .order_by(Campaign.position, Campaign.id)
    )
    return list(db.session.scalars(stmt))


# --- Writing -------------------------------------------------------------------------------


def _check_actor(organization: Organization, actor: User | None) -> None:
    if actor is None or actor.organization_id != organization.id:
        raise NotAllowed(_("Only members of the organization can change what it offers and needs."))
    if organization.status != OrganizationStatus.APPROVED:
        raise NotAllowed(_("Only approved organizations can state what they offer and need."))


def _choice(enum_class, value: str, message: str):
    try:
        return enum_class(value)
    except ValueError:
        raise DomainError(message) from None


def save_statement(
    organization: Organization,
    actor: User | None,
    *,
    direction: str,
    category: str,
    text: str,
    visibility: str,
    campaign_id: int | None = None,
) -> Offer:
    """State (or restate) that ``organization`` offers or needs one kind of help, on its profile
    (``campaign_id`` None) or for a campaign it supports. A statement of the same direction and
    kind in the same place is replaced."""
    _check_actor(organization, actor)
    direction_value = _choice(OfferDirection, direction, _("Choose whether you offer or need it."))
    category_value = _choice(OfferCategory, category, _("Unknown kind of help."))
    visibility_value = _choice(OfferVisibility, visibility, _("Choose who may see it."))
    text = (text or "").strip()
    if len(text) > OFFER_TEXT_MAX_LENGTH:
        raise DomainError(_("The text may be at most %(max)d characters long.", max=OFFER_TEXT_MAX_LENGTH))
    if campaign_id is not None and campaign_id not in {c.id for c in pledged_campaigns(organization)}:
        raise DomainError(_("Your organization can state offers and needs only for campaigns it supports."))
    existing = db.session.scalar(
        sa.select(Offer).where(
            Offer.organization_id == organization.id,
            Offer.campaign_id.is_(None) if campaign_id is None else Offer.campaign_id == campaign_id,
            Offer.direction == direction_value,
            Offer.category == category_value,
        )
    )
    if existing is not None:
        existing.text = text
        existing.visibility = visibility_value
        db.session.flush()
        return existing
    offer = Offer(
        organization_id=organization.id,
        campaign_id=campaign_id,
        direction=direction_value,
        category=category_value,
        text=text,
        visibility=visibility_value,
    )
    try:
        with db.session.begin_nested():
            db.session.add(offer)
    except IntegrityError:  # a second tab saved the same statement a moment ago
        raise DomainError(_("This statement was just saved in another window. Reload the page.")) from None
    return offer


def remove_statement(organization: Organization, actor: User | None, offer_id: int) -> bool:
    """Remove one of the organization's statements; False when it has none with that id."""
    _check_actor(organization, actor)
    offer = db.session.get(Offer, offer_id)
    if offer is None or offer.organization_id != organization.id:
        return False
    db.session.delete(offer)
    db.session.flush()
    return True

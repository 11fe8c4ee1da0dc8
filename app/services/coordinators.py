"""Who coordinates a campaign: decided here, once.

Moderators coordinate every campaign. A moderator may also name member organizations as
coordinators of one campaign; the approved members of such an organization, while it is in
public view (app/services/visibility.py), coordinate that campaign: they post its updates (and,
later, its gatherings). Every view and service asks :func:`may_coordinate`; naming and removing
a coordinator is recorded in the audit log.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from app.extensions import db
from app.models import AuditAction, Campaign, CampaignCoordinator, Organization, OrganizationStatus, User
from app.services import DomainError, audit
from app.services.checks import require_moderator
from app.services.visibility import is_publicly_listed, publicly_listed


def may_coordinate(user: Any, campaign: Campaign, *, among: list[Organization] | None = None) -> bool:
    """True when ``user`` may act as a coordinator of ``campaign``: a moderator, or an approved
    member of an organization in public view that a moderator named coordinator of it.

    ``among``: the campaign's :func:`public_coordinators` when the caller has them already (no
    query then)."""
    organization = _coordinating_organization(user)
    if isinstance(organization, bool):
        return organization
    if among is not None:
        return any(coordinator.id == organization.id for coordinator in among)
    return is_coordinator(organization.id, campaign.id)


def coordinating(user: Any) -> bool | int:
    """:func:`may_coordinate` for a caller that asks it in one select with other questions about
    the same reader: the answer when no query is needed (a visitor, a moderator, an organization
    out of public view), else the id of the organization to look up with
    :func:`coordinates_in_select`."""
    organization = _coordinating_organization(user)
    if isinstance(organization, bool):
        return organization
    return organization.id


def coordinates_in_select(campaign_id: Any) -> sa.Exists:
    """Whether the organization ``organization_id`` (a bound parameter) coordinates the campaign
    whose id column the same select reads: asked with the caller's other questions."""
    return sa.exists().where(
        CampaignCoordinator.campaign_id == campaign_id,
        CampaignCoordinator.organization_id == sa.bindparam("organization_id"),
    )


def _coordinating_organization(user: Any) -> bool | Organization:
    """The answer for every campaign when no query is needed (False for a visitor or an
    organization out of public view, True for a moderator), else the organization to look up."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.is_moderator:
        return True
    organization = user.organization
    if organization is None or not is_publicly_listed(organization):
        return False
    return organization


def is_coordinator(organization_id: int, campaign_id: int) -> bool:
    return (
        db.session.scalar(
            sa.select(CampaignCoordinator.organization_id).where(
                CampaignCoordinator.campaign_id == campaign_id,
                CampaignCoordinator.organization_id == organization_id,
            )
        )
        is not None
    )


def coordinates_any(user: Any, campaign_ids: Iterable[int] | None = None) -> bool:
    """True when ``user`` may coordinate at least one of ``campaign_ids`` (None: at least one
    campaign): a moderator always; a member through its organization, as in
    :func:`may_coordinate`. One query at most."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.is_moderator:
        return True
    organization = user.organization
    if organization is None or not is_publicly_listed(organization):
        return False
    stmt = sa.select(CampaignCoordinator.campaign_id).where(
        CampaignCoordinator.organization_id == organization.id
    )
    if campaign_ids is not None:
        wanted = list(campaign_ids)
        if not wanted:
            return False
        stmt = stmt.where(CampaignCoordinator.campaign_id.in_(wanted))
    return db.session.scalar(stmt.limit(1)) is not None


def coordinated_campaign_ids(user: Any) -> set[int]:
    """The ids of the campaigns ``user`` coordinates through its organization (a moderator:
    none listed, they coordinate all)."""
    return {campaign.id for campaign in coordinated_campaigns(user)}


def coordinators_of(campaign: Campaign) -> list[CampaignCoordinator]:
    """Every organization named coordinator of the campaign (for the moderators' page)."""
    return list(
        db.session.scalars(
            sa.select(CampaignCoordinator)
            .where(CampaignCoordinator.campaign_id == campaign.id)
            .order_by(CampaignCoordinator.created_at, CampaignCoordinator.organization_id)
        )
    )


def public_coordinators(campaign: Campaign) -> list[Organization]:
    """The coordinating organizations anyone may see named (those in public view), one query."""
    return list(
        db.session.scalars(
            sa.select(Organization)
            .join(CampaignCoordinator, CampaignCoordinator.organization_id == Organization.id)
            .where(CampaignCoordinator.campaign_id == campaign.id, publicly_listed(Organization))
            .order_by(Organization.name, Organization.id)
        )
    )


def coordinated_campaigns(user: Any) -> list[Campaign]:
    """The campaigns ``user`` coordinates through its organization (a moderator: none listed,
    they coordinate all)."""
    if user is None or not getattr(user, "is_authenticated", False) or user.organization is None:
        return []
    if not is_publicly_listed(user.organization):
        return []
    return list(
        db.session.scalars(
            sa.select(Campaign)
            .join(CampaignCoordinator, CampaignCoordinator.campaign_id == Campaign.id)
            .where(CampaignCoordinator.organization_id == user.organization_id)
            .order_by(Campaign.position, Campaign.id)
        )
    )


def candidate_organizations(campaign: Campaign) -> list[Organization]:
    """Approved organizations not yet coordinating the campaign, by name (the moderators' choice)."""
    named = sa.select(CampaignCoordinator.organization_id).where(
        CampaignCoordinator.campaign_id == campaign.id
    )
    return list(
        db.session.scalars(
            sa.select(Organization)
            .where(Organization.status == OrganizationStatus.APPROVED, Organization.id.not_in(named))
            .order_by(Organization.name, Organization.id)
        )
    )


def name_coordinator(campaign: Campaign, organization: Organization, actor: User) -> CampaignCoordinator:
    """A moderator names an approved organization coordinator of a campaign. Raises NotAllowed
    (not a moderator), DomainError (not approved, already a coordinator)."""
    require_moderator(actor, _("Only moderators name the coordinators of a campaign."))
    if organization.status != OrganizationStatus.APPROVED:
        raise DomainError(_("Only approved organizations can coordinate a campaign."))
    if is_coordinator(organization.id, campaign.id):
        raise DomainError(_("This organization already coordinates the campaign."))
    coordinator = CampaignCoordinator(
        campaign_id=campaign.id, organization_id=organization.id, named_by_id=actor.id
    )
    db.session.add(coordinator)
    db.session.flush()
    audit.record(
        actor, AuditAction.COORDINATOR_NAMED, target_type="campaign", target_id=campaign.id,
        organization_id=organization.id,
    )  # fmt: skip
    return coordinator


def remove_coordinator(campaign: Campaign, organization_id: int, actor: User) -> None:
    """A moderator removes an organization from a campaign's coordinators. Raises NotAllowed,
    DomainError (it does not coordinate the campaign)."""
    require_moderator(actor, _("Only moderators name the coordinators of a campaign."))
    coordinator = db.session.get(CampaignCoordinator, (campaign.id, organization_id))
    if coordinator is None:
        raise DomainError(_("This organization does not coordinate the campaign."))
    db.session.delete(coordinator)
    db.session.flush()
    audit.record(
        actor, AuditAction.COORDINATOR_REMOVED, target_type="campaign", target_id=campaign.id,
        organization_id=organization_id,
    )  # fmt: skip


def coordinators_page_data(campaign: Campaign) -> dict:
    """What the moderators' coordinators page shows, in two queries."""
    return {
        "coordinators": coordinators_of(campaign),
        "candidates": candidate_organizations(campaign),
    }


__all__ = [
    "coordinated_campaign_ids",
    "coordinated_campaigns",
    "coordinates_any",
    "coordinators_of",
    "coordinators_page_data",
    "is_coordinator",
    "may_coordinate",
    "name_coordinator",
    "public_coordinators",
    "remove_coordinator",
]

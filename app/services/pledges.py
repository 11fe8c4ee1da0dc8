"""Pledges: an approved organization stands behind a campaign, changes its pledge, withdraws it.

One active pledge per organization and campaign. The service checks first so the user gets
a clear message; the partial unique index holds the rule when two requests race (a double
click, two tabs): the loser's INSERT fails inside a SAVEPOINT and becomes the same message.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from app.extensions import db
from app.models import (
    Campaign,
    Organization,
    OrganizationStatus,
    Pledge,
    PledgeVisibility,
    Project,
    SupportKind,
    User,
)
from app.models.base import utcnow
from app.services import DomainError, NotAllowed, counters, notifications, projects
from app.services.directory import CampaignRef

MESSAGE_MAX_LENGTH = 1000


def _already_pledged_message() -> str:
    return _("Your organization already supports this campaign. You can change or withdraw its pledge.")


def check_can_pledge(organization: Organization) -> None:
    """Raises NotAllowed, with the reason in words, unless the organization is approved."""
    if organization.status == OrganizationStatus.APPROVED:
        return
    if organization.status == OrganizationStatus.PENDING:
        raise NotAllowed(
            _("Your organization is waiting for a moderator's approval; it can pledge once approved.")
        )
    if organization.status == OrganizationStatus.REJECTED:
        raise NotAllowed(_("Your organization's application was not approved, so it cannot pledge support."))
    raise NotAllowed(_("Your organization is suspended and cannot pledge support at the moment."))


def _check_actor(organization: Organization, actor: User) -> None:
    if actor is None or actor.organization_id != organization.id:
        raise NotAllowed(_("Only members of the organization can change its pledges."))


def _clean_kinds(kinds: Iterable[str]) -> str:
    chosen = []
    for kind in kinds:
        try:
            value = SupportKind(kind)
        except ValueError:
            raise DomainError(_("Unknown kind of support.")) from None
        if value not in chosen:
            chosen.append(value)
    if not chosen:
        raise DomainError(_("Choose at least one kind of support."))
    # Stored in the vocabulary's order, whatever order the form sent.
    return " ".join(k.value for k in SupportKind if k in chosen)


def _clean_message(message: str | None) -> str:
    message = (message or "").strip()
    if len(message) > MESSAGE_MAX_LENGTH:
        raise DomainError(_("The message may be at most %(max)d characters long.", max=MESSAGE_MAX_LENGTH))
    return message


def _clean_visibility(visibility: str) -> PledgeVisibility:
    try:
        return PledgeVisibility(visibility)
    except ValueError:
        raise DomainError(_("Choose who may see the pledge.")) from None


def active_pledge(organization: Organization | None, campaign: Campaign) -> Pledge | None:
    """The organization's active pledge to the campaign, if any (one query)."""
    if organization is None:
        return None
    return db.session.scalar(
        sa.select(Pledge).where(
            Pledge.organization_id == organization.id,
            Pledge.campaign_id == campaign.id,
            Pledge.withdrawn_at.is_(None),
        )
    )


def latest_pledge(organization: Organization | None, campaign: Campaign | CampaignRef) -> Pledge | None:
    """The organization's active pledge to the campaign, else its most recently withdrawn one
    (one query): the pledge panel keeps a withdrawn pledge's choices for pledging again."""
    if organization is None:
        return None
    return db.session.scalar(_LATEST_PLEDGE, {"organization_id": organization.id, "campaign_id": campaign.id})


# The active pledge first, else the most recently withdrawn.
_LATEST_FIRST = (Pledge.withdrawn_at.is_not(None), Pledge.withdrawn_at.desc(), Pledge.id.desc())

# Built once: the pledge panel of every campaign page a member reads asks it.
_LATEST_PLEDGE = (
    sa.select(Pledge)
    .where(
        Pledge.organization_id == sa.bindparam("organization_id"),
        Pledge.campaign_id == sa.bindparam("campaign_id"),
    )
    .order_by(*_LATEST_FIRST)
    .limit(1)
)


def latest_pledge_in_select(campaign_id: Any) -> sa.ScalarSelect:
    """The id of :func:`latest_pledge` for the organization ``pledging_organization_id`` (a
    bound parameter) and the campaign whose id column the same select reads, or NULL: asked
    with the reader's other questions on the campaign page, so that a member without a pledge
    there (most of their campaign pages) costs no query of its own."""
    return (
        sa.select(Pledge.id)
        .where(
            Pledge.organization_id == sa.bindparam("pledging_organization_id"),
            Pledge.campaign_id == campaign_id,
        )
        .order_by(*_LATEST_FIRST)
        .limit(1)
        .scalar_subquery()
    )


def pledge_by_id(pledge_id: int | None) -> Pledge | None:
    """The pledge :func:`latest_pledge_in_select` named (None for none)."""
    return db.session.get(Pledge, pledge_id) if pledge_id is not None else None


def pledge(
    organization: Organization,
    campaign: Campaign,
    kinds: Iterable[str],
    message: str = "",
    visibility: str = PledgeVisibility.PUBLIC,
    actor: User | None = None,
) -> Pledge:
    """Pledge the organization's support to the campaign.

    Raises NotAllowed when the actor is not a member of the organization or the organization
    is not approved; DomainError when the campaign is archived, the input is invalid, or the
    organization already has an active pledge to it (also when a concurrent request just
    created one).
    """
    _check_actor(organization, actor)
    check_can_pledge(organization)
    if not campaign.is_active:
        raise DomainError(_("This campaign is archived and takes no new pledges."))
    support_kinds = _clean_kinds(kinds)
    text = _clean_message(message)
    chosen_visibility = _clean_visibility(visibility)
    if active_pledge(organization, campaign) is not None:
        raise DomainError(_already_pledged_message())

    new = Pledge(
        organization_id=organization.id,
        campaign_id=campaign.id,
        support_kinds=support_kinds,
        message=text,
        visibility=chosen_visibility,
    )
    try:
        with db.session.begin_nested():
            db.session.add(new)
    except IntegrityError:
        # Another request created the active pledge between our check and our INSERT.
        raise DomainError(_already_pledged_message()) from None
    counters.pledge_made(new, organization)
    notifications.supporter_added(new)
    return new


def update_pledge(
    existing: Pledge,
    kinds: Iterable[str],
    message: str = "",
    visibility: str = PledgeVisibility.PUBLIC,
    actor: User | None = None,
) -> Pledge:
    """Change an active pledge's kinds, message and visibility.

    A message a moderator hid stays hidden until a moderator shows it again. A pledge that
    stops being public takes the public links of the organization's projects to the campaign
    with it (they become members-only).

    Raises NotAllowed (not the actor's organization, organization not approved) and
    DomainError (withdrawn pledge, archived campaign, invalid input).
    """
    organization = existing.organization
    _check_actor(organization, actor)
    check_can_pledge(organization)
    if not existing.is_active:
        raise DomainError(_("This pledge was withdrawn; pledge again instead."))
    if not existing.campaign.is_active:
        raise DomainError(_("This campaign is archived: its pledges can be withdrawn but not changed."))
    existing.support_kinds = _clean_kinds(kinds)
    existing.message = _clean_message(message)
    new_visibility = _clean_visibility(visibility)
    old_visibility = existing.visibility
    existing.visibility = new_visibility
    db.session.flush()
    counters.pledge_visibility_changed(existing, old_visibility, new_visibility)
    if old_visibility == PledgeVisibility.PUBLIC and new_visibility != PledgeVisibility.PUBLIC:
        # A public project link to the campaign would keep naming the organization there.
        projects.links_follow_hidden_pledge(organization, existing.campaign_id)
    return existing


def withdraw(existing: Pledge, actor: User | None = None) -> Pledge:
    """Withdraw an active pledge: it stops counting; pledging again later creates a new one.

    Allowed whatever the organization's status and even on archived campaigns.
    Raises NotAllowed for another organization's pledge, DomainError if already withdrawn.
    """
    organization = existing.organization
    _check_actor(organization, actor)
    if not existing.is_active:
        raise DomainError(_("This pledge has already been withdrawn."))
    existing.withdrawn_at = utcnow()
    counters.pledge_withdrawn(existing)
    return existing


# The dashboard shows at most this many of each list, newest first.
DASHBOARD_LIMIT = 50


@dataclass
class Solidarity:
    """What the member dashboard shows: the organization's newest active pledges and projects,
    and whether it has more of either than the dashboard shows."""

    pledges: list[Pledge]
    projects: list[Project]
    more_pledges: bool = False
    more_projects: bool = False
    limit: int = DASHBOARD_LIMIT


def dashboard_solidarity(organization: Organization, limit: int | None = None) -> Solidarity:
    """The ``limit`` (default ``DASHBOARD_LIMIT``) newest active pledges (with their campaigns)
    and projects (with their campaigns), in 3 queries whatever the organization's size."""
    limit = limit or DASHBOARD_LIMIT
    pledges = db.session.scalars(
        sa.select(Pledge)
        .options(joinedload(Pledge.campaign))
        .where(Pledge.organization_id == organization.id, Pledge.withdrawn_at.is_(None))
        .order_by(Pledge.created_at.desc(), Pledge.id.desc())
        .limit(limit + 1)  # one more, to know whether there are more
    ).all()
    projects = db.session.scalars(
        sa.select(Project)
        .options(selectinload(Project.campaign_links))
        .where(Project.organization_id == organization.id)
        .order_by(Project.created_at.desc(), Project.id.desc())
        .limit(limit + 1)
    ).all()
    return Solidarity(
        pledges=list(pledges[:limit]),
        projects=list(projects[:limit]),
        more_pledges=len(pledges) > limit,
        more_projects=len(projects) > limit,
        limit=limit,
    )

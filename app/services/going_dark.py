"""Going dark: an organization leaves public view in one step, and comes back in one.

Its owners take it out of public view (``go_dark``) when being seen puts its people at risk;
a moderator can do the same in an emergency (``delist``), with a reason in the log. Either
way the organization disappears at once from every public page, search, list and count that
could point at it, because every one of them asks app/services/visibility.py. Nothing is
deleted: pledges, projects and the profile wait, and come back with it.

Numbers (the rule in app/services/counters.py): leaving public view is a public event about
one organization (its name vanishes), so its *public* pledges and public project links leave
the totals at once (they were visibly attributed to it, and a name gone while the total
stayed would tell that it still supports); its members-only and counted-only pledges leave
at the next scheduled refresh, together with the day's other changes, so that no total
moves at the moment it goes dark. Coming back is the same in reverse.

Moderators are told by mail, with no need to approve. The mail names the organization by its
number only, with a link to its page in moderation: a moderator's mailbox does not list the
names of the organizations that needed to hide.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models import AuditAction, AuditEntry, Organization, OrganizationStatus, Role, User
from app.models.base import utcnow
from app.services import DomainError, NotAllowed, accounts, audit, counters, mail, notifications, tokens
from app.services.checks import clean_reason, require_moderator


def check_owner(organization: Organization, actor: User) -> None:
    """Raises NotAllowed unless ``actor`` is an owner of ``organization``."""
    if actor is None or actor.organization_id != organization.id or not actor.is_owner:
        raise NotAllowed(_("Only an owner of the organization can do this."))


def _record(actor: User, action: AuditAction, organization: Organization, reason: str = "") -> None:
    audit.record_about(actor, action, organization, reason)


def go_dark(organization: Organization, actor: User) -> Organization:
    """Take the organization out of public view at its owner's request.

    Raises NotAllowed (not an owner, or the organization is suspended), DomainError (dark already).
    """
    check_owner(organization, actor)
    if organization.status == OrganizationStatus.SUSPENDED:
        raise NotAllowed(_("A suspended organization does not appear on the site already."))
    if organization.dark_at is not None:
        raise DomainError(_("Your organization is already out of public view."))
    organization.dark_at = utcnow()
    counters.organization_changed(organization)
    _record(actor, AuditAction.ORGANIZATION_WENT_DARK, organization)
    return organization


def come_back(organization: Organization, actor: User, password: str) -> Organization:
    """Bring a dark organization back into public view, after checking the owner's password
    (coming back exposes the organization again: a stolen session alone must not do it).

    Raises NotAllowed (not an owner), DomainError (not dark), WrongPassword and AccountLocked
    (the failure is counted: the caller commits even then).
    """
    check_owner(organization, actor)
    if organization.dark_at is None:
        raise DomainError(_("Your organization is not out of public view."))
    accounts.check_current_password(actor, password, purpose="coming back into public view")
    organization.dark_at = None
    counters.organization_changed(organization)
    _record(actor, AuditAction.ORGANIZATION_CAME_BACK, organization)
    return organization


def _check_moderator(actor: User) -> None:
    require_moderator(actor, _("Only moderators can decide on organizations."))


def delist(actor: User, organization: Organization, reason: str) -> Organization:
    """A moderator's emergency delisting: out of public view at once, whatever its status,
    with a reason in the log (the organization's users read it too).

    Raises NotAllowed (not a moderator), DomainError (no reason, delisted already).
    """
    _check_moderator(actor)
    reason = clean_reason(reason)
    if organization.delisted_at is not None:
        raise DomainError(_("This organization is delisted already."))
    organization.delisted_at = utcnow()
    counters.organization_changed(organization)
    _record(actor, AuditAction.ORGANIZATION_DELISTED, organization, reason)
    notifications.organization_decided(organization, "delisted", reason)
    return organization


def relist(actor: User, organization: Organization, reason: str = "") -> Organization:
    """Lift a moderator's delisting (the organization stays hidden if its owners made it dark).

    Raises NotAllowed (not a moderator), DomainError (not delisted).
    """
    _check_moderator(actor)
    note = clean_reason(reason, required=False)
    if organization.delisted_at is None:
        raise DomainError(_("This organization is not delisted."))
    organization.delisted_at = None
    counters.organization_changed(organization)
    _record(actor, AuditAction.ORGANIZATION_RELISTED, organization, note)
    notifications.organization_decided(organization, "relisted", note)
    return organization


def delisting_reason(organization: Organization | None) -> str | None:
    """The reason of the moderator's latest delisting, for the organization's own pages."""
    if organization is None or organization.delisted_at is None:
        return None
    return db.session.scalar(
        sa.select(AuditEntry.reason)
        .where(
            AuditEntry.organization_id == organization.id,
            AuditEntry.action == AuditAction.ORGANIZATION_DELISTED,
        )
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
        .limit(1)
    )


# --- Telling people (after the commit) -----------------------------------------------------------


def moderators() -> list[User]:
    """Every moderator and admin."""
    return list(
        db.session.scalars(
            sa.select(User).where(User.role.in_((Role.MODERATOR, Role.ADMIN))).order_by(User.id)
        )
    )


# What moderators are told, by event: the subject line (no name in it).
MODERATOR_SUBJECTS = {
    "dark": _l("An organization has gone out of public view"),
    "back": _l("An organization is back in public view"),
    "deletion": _l("An organization asked to be deleted"),
    "deletion_cancelled": _l("An organization cancelled its deletion"),
}


def tell_moderators(organization: Organization, event: str, **context: Any) -> None:
    """Mail every moderator that ``event`` happened to the organization (nothing to approve).

    The message names the organization by its number and links to its moderation page."""
    link = tokens.external_url("moderation.organization", organization_id=organization.id)
    for moderator in moderators():
        mail.send_to_user(
            moderator,
            MODERATOR_SUBJECTS[event],
            "moderators_organization_event",
            event=event,
            organization_id=organization.id,
            link=link,
            **context,
        )


# What the organization's users are told, by event.
MEMBER_SUBJECTS = {
    "dark": _l("Your organization is out of public view on Tadamun"),
    "back": _l("Your organization is back in public view on Tadamun"),
}


def tell_members(organization: Organization, event: str, **context: Any) -> None:
    """Mail every user of the organization: a change they did not make themselves is then seen
    (a stolen session bringing the organization back into view, say)."""
    mail.send_decision(organization, f"organization_{event}", MEMBER_SUBJECTS[event], **context)

"""Moderators' decisions on organizations and admins' decisions on roles.

Each decision checks the actor's role and the target's current state, writes the
change and an audit entry (who, what, when, why) in the same transaction, and
flushes; the caller commits once and then sends any mail.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import (
    AuditAction,
    AuditEntry,
    Organization,
    OrganizationStatus,
    OrganizationTranslation,
    Role,
    User,
)
from app.models.base import utcnow
from app.names import name_skeleton
from app.services import DomainError, NotAllowed, accounts, audit, counters, notifications
from app.services.checks import clean_reason, require_moderator


def _check_moderator(actor: User) -> None:
    require_moderator(actor, _("Only moderators can decide on organizations."))


def _check_admin(actor: User) -> None:
    if not actor.is_admin:
        raise NotAllowed(_("Only admins can change roles."))


def _check_status(organization: Organization, expected: OrganizationStatus, message: str) -> None:
    if organization.status != expected:
        raise DomainError(message)


def _record(actor: User, action: AuditAction, organization: Organization, reason: str = "") -> None:
    audit.record_about(actor, action, organization, reason)


def approve_organization(actor: User, organization: Organization, note: str = "") -> Organization:
    """Approve a pending application: the organization appears; its public pledges and links
    count at once, its hidden pledges from the next counter refresh.

    Raises NotAllowed (not a moderator), DomainError (not pending).
    """
    _check_moderator(actor)
    _check_status(organization, OrganizationStatus.PENDING, _("Only a pending application can be approved."))
    organization.status = OrganizationStatus.APPROVED
    organization.status_reason = None
    organization.approved_at = utcnow()
    counters.organization_changed(organization)
    note = clean_reason(note, required=False)
    _record(actor, AuditAction.ORGANIZATION_APPROVED, organization, note)
    notifications.organization_decided(organization, "approved", note)
    return organization


def reject_organization(actor: User, organization: Organization, reason: str) -> Organization:
    """Reject a pending application with a reason the applicant sees.

    Raises NotAllowed (not a moderator), DomainError (no reason, not pending).
    """
    _check_moderator(actor)
    reason = clean_reason(reason)
    _check_status(organization, OrganizationStatus.PENDING, _("Only a pending application can be rejected."))
    organization.status = OrganizationStatus.REJECTED
    organization.status_reason = reason
    db.session.flush()
    entry = audit.record_about(actor, AuditAction.ORGANIZATION_REJECTED, organization, reason)
    entry.snapshot = application_snapshot(organization)
    notifications.organization_decided(organization, "rejected", reason)
    return organization


def application_snapshot(organization: Organization) -> dict:
    """The application's fields as plain JSON values (kept with a rejection, compared later)."""
    from app.services.membership import PROFILE_FIELDS

    snapshot = {}
    for name in PROFILE_FIELDS:
        value = getattr(organization, name, None)
        snapshot[name] = value.value if hasattr(value, "value") else value
    return snapshot


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: Any
    new: Any


@dataclass(frozen=True)
class Resubmission:
    """A pending application that was rejected before: the last reason, and what changed since."""

    reason: str
    rejected_at: datetime
    changes: list[FieldChange] = field(default_factory=list)


def resubmissions(organizations: list[Organization]) -> dict[int, Resubmission]:
    """For the queue: each of ``organizations`` rejected before, by id, with its last rejection's
    reason and the fields changed since (one query for the whole page)."""
    ids = [organization.id for organization in organizations]
    if not ids:
        return {}
    entries = db.session.scalars(
        sa.select(AuditEntry)
        .where(
            AuditEntry.organization_id.in_(ids),
            AuditEntry.action == AuditAction.ORGANIZATION_REJECTED,
        )
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    )
    latest: dict[int, AuditEntry] = {}
    for entry in entries:
        latest.setdefault(entry.organization_id, entry)
    found = {}
    for organization in organizations:
        entry = latest.get(organization.id)
        if entry is None:
            continue
        now = application_snapshot(organization)
        before = entry.snapshot or {}
        changes = [
            FieldChange(name, before[name], now.get(name))
            for name in before
            if name in now and before[name] != now[name]
        ]
        found[organization.id] = Resubmission(entry.reason, entry.created_at, changes)
    return found


def suspend_organization(actor: User, organization: Organization, reason: str) -> Organization:
    """Suspend an approved organization: it leaves every public page, and the counts through its
    public pledges and links, at once (its hidden pledges at the next counter refresh, so the
    numbers do not tell which campaigns it supports); every session of its users ends.

    Raises NotAllowed (not a moderator), DomainError (no reason, not approved).
    """
    _check_moderator(actor)
    reason = clean_reason(reason)
    _check_status(
        organization, OrganizationStatus.APPROVED, _("Only an approved organization can be suspended.")
    )
    organization.status = OrganizationStatus.SUSPENDED
    organization.status_reason = reason
    for user in organization.users:
        accounts.end_all_sessions(user)
    counters.organization_changed(organization)
    _record(actor, AuditAction.ORGANIZATION_SUSPENDED, organization, reason)
    notifications.organization_decided(organization, "suspended", reason)
    return organization


def reinstate_organization(actor: User, organization: Organization, reason: str = "") -> Organization:
    """Reinstate a suspended organization: it and its public pledges count again at once, its
    hidden pledges from the next counter refresh.

    Raises NotAllowed (not a moderator), DomainError (not suspended).
    """
    _check_moderator(actor)
    _check_status(
        organization, OrganizationStatus.SUSPENDED, _("Only a suspended organization can be reinstated.")
    )
    organization.status = OrganizationStatus.APPROVED
    organization.status_reason = None
    counters.organization_changed(organization)
    reason = clean_reason(reason, required=False)
    _record(actor, AuditAction.ORGANIZATION_REINSTATED, organization, reason)
    notifications.organization_decided(organization, "reinstated", reason)
    return organization


def _check_proposed_name(organization: Organization) -> str:
    if organization.proposed_name is None:
        raise DomainError(_("This organization has not asked for a new name."))
    return organization.proposed_name


def approve_name(actor: User, organization: Organization, note: str = "") -> Organization:
    """Give an organization the new name it asked for; it shows everywhere at once.

    Raises NotAllowed (not a moderator), DomainError (no new name asked for), NameTooClose
    (another organization took a look-alike name since).
    """
    from app.services import membership

    _check_moderator(actor)
    new_name = _check_proposed_name(organization)
    membership.check_name_available(new_name, organization)
    old_name = organization.name
    organization.name = new_name
    organization.proposed_name = None
    organization.proposed_name_at = None
    db.session.flush()
    reason = f"{old_name} → {new_name}"
    note = clean_reason(note, required=False)
    if note:
        reason += f"\n{note}"
    _record(actor, AuditAction.ORGANIZATION_RENAME_APPROVED, organization, reason)
    notifications.organization_decided(organization, "name_approved", note)
    return organization


def reject_name(actor: User, organization: Organization, reason: str) -> Organization:
    """Refuse the new name an organization asked for, with a reason its members read.

    Raises NotAllowed (not a moderator), DomainError (no reason, no new name asked for).
    """
    _check_moderator(actor)
    reason = clean_reason(reason)
    refused = _check_proposed_name(organization)
    organization.proposed_name = None
    organization.proposed_name_at = None
    db.session.flush()
    _record(actor, AuditAction.ORGANIZATION_RENAME_REJECTED, organization, reason)
    notifications.organization_decided(organization, "name_rejected", reason, refused_name=refused)
    return organization


def _proposed_translated_name(organization: Organization, locale: str) -> OrganizationTranslation:
    translation = db.session.get(OrganizationTranslation, (organization.id, locale))
    if translation is None or translation.proposed_name is None:
        raise DomainError(_("This organization has not asked for a new name in this language."))
    return translation


def approve_translated_name(
    actor: User, organization: Organization, locale: str, note: str = ""
) -> Organization:
    """Show the name an organization asked for in ``locale`` (a rename in that language).

    Raises NotAllowed (not a moderator), DomainError (no such request), NameTooClose (another
    organization took a look-alike name since).
    """
    from app.services import membership

    _check_moderator(actor)
    translation = _proposed_translated_name(organization, locale)
    new_name = translation.proposed_name
    if name_skeleton(new_name) != organization.name_skeleton:
        membership.check_name_available(new_name, organization)
    old_name = translation.name or organization.name
    translation.name = new_name
    translation.proposed_name = None
    translation.proposed_name_at = None
    db.session.flush()
    reason = f"[{locale}] {old_name} → {new_name}"
    note = clean_reason(note, required=False)
    if note:
        reason += f"\n{note}"
    _record(actor, AuditAction.ORGANIZATION_RENAME_APPROVED, organization, reason)
    notifications.organization_decided(
        organization, "name_approved", note, name=new_name, approved_name=new_name
    )
    return organization


def reject_translated_name(actor: User, organization: Organization, locale: str, reason: str) -> str:
    """Refuse the name an organization asked for in ``locale``; returns the refused name.

    Raises NotAllowed (not a moderator), DomainError (no reason, no such request).
    """
    _check_moderator(actor)
    reason = clean_reason(reason)
    translation = _proposed_translated_name(organization, locale)
    refused = translation.proposed_name
    translation.proposed_name = None
    translation.proposed_name_at = None
    db.session.flush()
    _record(actor, AuditAction.ORGANIZATION_RENAME_REJECTED, organization, f"[{locale}] {refused}\n{reason}")
    notifications.organization_decided(
        organization, "name_rejected", reason, refused_name=refused, current_name=organization.name_in(locale)
    )
    return refused


def names_to_review_query() -> sa.Select:
    """Approved organizations' requests for a new name, in any language, oldest first (for the
    queue), with their names in other languages loaded."""
    translated = (
        sa.select(
            OrganizationTranslation.organization_id,
            sa.func.min(OrganizationTranslation.proposed_name_at).label("asked_at"),
        )
        .where(OrganizationTranslation.proposed_name.is_not(None))
        .group_by(OrganizationTranslation.organization_id)
        .subquery()
    )
    asked_at = sa.case(
        (Organization.proposed_name_at.is_(None), translated.c.asked_at),
        (translated.c.asked_at.is_(None), Organization.proposed_name_at),
        (translated.c.asked_at < Organization.proposed_name_at, translated.c.asked_at),
        else_=Organization.proposed_name_at,
    )
    return (
        sa.select(Organization)
        .outerjoin(translated, translated.c.organization_id == Organization.id)
        .where(sa.or_(Organization.proposed_name.is_not(None), translated.c.organization_id.is_not(None)))
        .options(selectinload(Organization.translations))
        .order_by(asked_at, Organization.id)
    )


def _record_role(actor: User, action: AuditAction, user: User, reason: str) -> None:
    audit.record(
        actor,
        action,
        target_type="user",
        target_id=user.id,
        organization_id=user.organization_id,
        reason=reason,
    )


def promote_user(actor: User, user: User, reason: str = "") -> User:
    """Make a member a moderator, or a moderator an admin.

    Raises NotAllowed (not an admin), DomainError (already an admin).
    """
    _check_admin(actor)
    if user.role == Role.ADMIN:
        raise DomainError(_("This user is already an admin."))
    old = user.role
    user.role = Role.MODERATOR if old == Role.MEMBER else Role.ADMIN
    accounts.end_all_sessions(user)  # a role change takes effect with a fresh login
    _record_role(actor, AuditAction.USER_PROMOTED, user, reason or f"{old} → {user.role}")
    return user


def demote_user(actor: User, user: User, reason: str = "") -> User:
    """Make an admin a moderator, or a moderator a member of their organization.

    Raises NotAllowed (not an admin, or demoting oneself), DomainError (a member already, or
    a moderator without an organization to return to).
    """
    _check_admin(actor)
    if user.id == actor.id:
        raise NotAllowed(_("You cannot demote yourself. Ask another admin."))
    if user.role == Role.MEMBER:
        raise DomainError(_("This user is not a moderator."))
    if user.role == Role.MODERATOR and user.organization_id is None:
        raise DomainError(_("This moderator belongs to no organization and cannot become a member."))
    old = user.role
    user.role = Role.MODERATOR if old == Role.ADMIN else Role.MEMBER
    accounts.end_all_sessions(user)
    _record_role(actor, AuditAction.USER_DEMOTED, user, reason or f"{old} → {user.role}")
    return user


def create_moderator(email: str, password: str, *, admin: bool = False) -> User:
    """A new moderator (or admin) account, for the command line.

    Raises DomainError when the email is taken, WeakPassword.
    """
    email = accounts.normalize_email(email)
    if "@" not in email or len(email) > 254:
        raise DomainError(_("Please give a valid email address."))
    if accounts.find_user_by_email(email) is not None:
        raise DomainError(_("An account with this email address already exists."))
    accounts.check_password_policy(password, email=email)
    from app.services.passwords import hash_password

    user = User(
        email=email,
        password_hash=hash_password(password),
        role=Role.ADMIN if admin else Role.MODERATOR,
        email_confirmed_at=utcnow(),
    )
    db.session.add(user)
    db.session.flush()
    return user


def pending_applications_query() -> sa.Select:
    """Pending applications, oldest first, with their users and translations loaded (for the queue)."""
    from sqlalchemy.orm import selectinload

    return (
        sa.select(Organization)
        .where(Organization.status == OrganizationStatus.PENDING)
        .options(selectinload(Organization.users), selectinload(Organization.translations))
        .order_by(Organization.submitted_at, Organization.id)
    )


def waiting_count() -> int:
    """How many applications wait for a moderator (one COUNT query, for the header's badge)."""
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Organization)
        .where(Organization.status == OrganizationStatus.PENDING)
    )


def _contains(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, its own % and _ taken literally."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def decision_log_query(
    *,
    organization: Organization | None = None,
    name: str = "",
    action: AuditAction | None = None,
    actor: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
) -> sa.Select:
    """The decision log, newest first, narrowed by any of: one organization, part of an
    organization's name, one action, part of the moderator's email, a time range
    ([since, until)). A filter that matches nothing gives an empty log."""
    from sqlalchemy.orm import selectinload

    stmt = sa.select(AuditEntry).options(selectinload(AuditEntry.organization))
    if organization is not None:
        stmt = stmt.where(AuditEntry.organization_id == organization.id)
    if name:
        named = sa.select(Organization.id).where(Organization.name.ilike(_contains(name), escape="\\"))
        stmt = stmt.where(AuditEntry.organization_id.in_(named))
    if action is not None:
        stmt = stmt.where(AuditEntry.action == action)
    if actor:
        stmt = stmt.where(AuditEntry.actor_email.ilike(_contains(actor.lower()), escape="\\"))
    if since is not None:
        stmt = stmt.where(AuditEntry.created_at >= since)
    if until is not None:
        stmt = stmt.where(AuditEntry.created_at < until)
    return stmt.order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())

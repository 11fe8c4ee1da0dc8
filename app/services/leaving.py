"""Leaving the network: deleting one's account, deleting an organization, and the erasure.

* A user deletes their own account after typing their password. The last owner of an
  organization names a colleague as the new owner first; the last person of an organization
  deletes the organization instead (an organization without people could never be managed,
  restored or exported again). The network's last admin cannot leave.
* An owner asks for the organization's deletion after typing their password. The
  organization leaves public view at once (app/services/visibility.py) and, for a grace
  period (``ORGANIZATION_DELETION_GRACE_DAYS``, 14 days), an owner can restore it and anyone
  in it can still export its data; every user of the organization is mailed, so a deletion
  by a stolen session does not go unseen. Then the scheduled ``flask purge``
  (app/services/retention.py) erases it with :func:`erase_organization`.
* The erasure removes the profile, contact details, translations, logo file, pledges,
  projects and the accounts of its people with their email addresses; its pledges leave the
  counts. The audit log keeps only what the network must answer for: the moderators'
  decisions about it, pseudonymized (``organization #123``; its names, slug, contact details,
  project titles and its people's email addresses are replaced wherever they appear in the
  recorded reasons), and one entry saying that it was erased and why. The organization's own
  acts (its renaming requests, re-applications, going dark...) are deleted from the log.

Every function flushes; the caller commits once (and deletes nothing on disk before that,
except in :func:`erase_organization`, see there).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from app.extensions import db
from app.models import (
    CONTACT_FIELDS,
    AuditAction,
    AuditEntry,
    LinkVisibility,
    Organization,
    OrganizationTranslation,
    Pledge,
    Project,
    ProjectCampaign,
    ProjectTranslation,
    Role,
    User,
)
from app.models.base import utcnow
from app.services import DomainError, NotAllowed, accounts, audit, counters, logos
from app.services.going_dark import check_owner

security_log = logging.getLogger("app.security")

# Who the log names for what no person did (the scheduled erasure).
SYSTEM_ACTOR = "system"

# The organization's own acts: the network need not keep them once it is gone.
OWN_ACTS = frozenset(
    {
        AuditAction.ORGANIZATION_RESUBMITTED,
        AuditAction.ORGANIZATION_RENAME_REQUESTED,
        AuditAction.ORGANIZATION_RENAME_WITHDRAWN,
        AuditAction.ORGANIZATION_WENT_DARK,
        AuditAction.ORGANIZATION_CAME_BACK,
        AuditAction.ORGANIZATION_DELETION_REQUESTED,
        AuditAction.ORGANIZATION_DELETION_CANCELLED,
        AuditAction.USER_DELETED,
    }
)
_RENAME_ACTIONS = (
    AuditAction.ORGANIZATION_RENAME_REQUESTED,
    AuditAction.ORGANIZATION_RENAME_WITHDRAWN,
    AuditAction.ORGANIZATION_RENAME_APPROVED,
)


def organization_pseudonym(organization_id: int) -> str:
    return f"organization #{organization_id}"


def user_pseudonym(user_id: int) -> str:
    return f"user #{user_id}"


# --- Deleting an organization, with a grace period ---------------------------------------------


def grace_period() -> timedelta:
    return timedelta(days=int(current_app.config["ORGANIZATION_DELETION_GRACE_DAYS"]))


def erasure_date(organization: Organization) -> datetime | None:
    """When the organization will be erased, if its deletion was asked for."""
    if organization.deletion_requested_at is None:
        return None
    return organization.deletion_requested_at + grace_period()


def request_deletion(organization: Organization, actor: User, password: str) -> datetime:
    """Ask for the organization's deletion: out of public view now, erased after the grace
    period. Returns the date of the erasure.

    Raises NotAllowed (not an owner), DomainError (asked for already), WrongPassword and
    AccountLocked (the failure is counted: the caller commits even then).
    """
    check_owner(organization, actor)
    if organization.deletion_requested_at is not None:
        raise DomainError(_("The deletion of your organization is asked for already."))
    accounts.check_current_password(actor, password, purpose="organization deletion")
    organization.deletion_requested_at = utcnow()
    counters.organization_changed(organization)
    audit.record_about(actor, AuditAction.ORGANIZATION_DELETION_REQUESTED, organization)
    security_log.warning("organization %s: deletion asked for by user %s", organization.id, actor.id)
    return erasure_date(organization)


def cancel_deletion(organization: Organization, actor: User, password: str) -> Organization:
    """Restore an organization during the grace period (it is listed again unless it is dark
    or delisted). Raises NotAllowed (not an owner), DomainError (no deletion asked for),
    WrongPassword and AccountLocked (counted: the caller commits even then)."""
    check_owner(organization, actor)
    if organization.deletion_requested_at is None:
        raise DomainError(_("Your organization is not waiting to be deleted."))
    accounts.check_current_password(actor, password, purpose="organization restoration")
    organization.deletion_requested_at = None
    counters.organization_changed(organization)
    audit.record_about(actor, AuditAction.ORGANIZATION_DELETION_CANCELLED, organization)
    security_log.warning("organization %s: deletion cancelled by user %s", organization.id, actor.id)
    return organization


# --- The erasure -----------------------------------------------------------------------------------


def _replace_all(text: str, secrets: Iterable[str], replacement: str) -> str:
    # Longest first, so that a name containing another is replaced whole.
    for secret in sorted({s for s in secrets if s and len(s.strip()) >= 3}, key=len, reverse=True):
        text = re.sub(re.escape(secret), replacement, text, flags=re.IGNORECASE)
    return text


def _names_in_rename_entries(organization_id: int) -> set[str]:
    """Former and asked-for names, as the rename entries recorded them ("old → new")."""
    names = set()
    reasons = db.session.scalars(
        sa.select(AuditEntry.reason).where(
            AuditEntry.organization_id == organization_id, AuditEntry.action.in_(_RENAME_ACTIONS)
        )
    )
    for reason in reasons:
        first_line = (reason or "").split("\n", 1)[0]
        # A name in another language is recorded as "[ar] old → new".
        first_line = re.sub(r"^\[[a-z]{2,3}\] ", "", first_line)
        names.update(part.strip() for part in first_line.split("→"))
    return names


def _pseudonymize_log(organization: Organization, user_ids: list[int], user_emails: list[str]) -> None:
    """Delete the organization's own acts from the log and pseudonymize what stays."""
    pseudonym = organization_pseudonym(organization.id)
    db.session.execute(
        sa.delete(AuditEntry)
        .where(AuditEntry.organization_id == organization.id, AuditEntry.action.in_(OWN_ACTS))
        .execution_options(synchronize_session=False)
    )
    projects = db.session.execute(
        sa.select(Project.title, Project.slug).where(Project.organization_id == organization.id)
    ).all()
    translated = db.session.execute(
        sa.select(OrganizationTranslation.name, OrganizationTranslation.proposed_name).where(
            OrganizationTranslation.organization_id == organization.id
        )
    ).all()
    project_titles = db.session.scalars(
        sa.select(ProjectTranslation.title)
        .join(Project, Project.id == ProjectTranslation.project_id)
        .where(Project.organization_id == organization.id)
    ).all()
    names = {
        organization.name,
        organization.proposed_name,
        organization.slug,
        *(name for row in translated for name in row),
        *project_titles,
        *_names_in_rename_entries(organization.id),
        *(title for title, _slug in projects),
        *(slug for _title, slug in projects),
    }
    contacts = {
        *(getattr(organization, field) for field in CONTACT_FIELDS),
        organization.website,
        *user_emails,
    }
    entries = db.session.scalars(
        sa.select(AuditEntry).where(
            sa.or_(
                AuditEntry.organization_id == organization.id,
                AuditEntry.actor_id.in_(user_ids) if user_ids else sa.false(),
            )
        )
    )
    for entry in entries:
        reason = _replace_all(entry.reason or "", contacts - {None}, "[erased]")
        entry.reason = _replace_all(reason, names - {None}, pseudonym)
        entry.snapshot = None  # the application's fields as they once were: contacts included
        if entry.actor_id in user_ids:
            entry.actor_email = user_pseudonym(entry.actor_id)
    db.session.flush()


def erase_organization(organization: Organization, why: str) -> None:
    """Erase the organization and its people (see the module's docstring); ``why`` goes to the
    log entry that says it was erased.

    Its logo file is deleted here, before the commit: if the commit then fails, the row keeps
    a name with no file behind it (the site shows initials) and the next run erases it.
    Moderators who belong to it keep their accounts, without an organization.
    """
    org_id = organization.id
    users = list(db.session.scalars(sa.select(User).where(User.organization_id == org_id)))
    staff = [user for user in users if user.role != Role.MEMBER]
    people = [user for user in users if user.role == Role.MEMBER]
    _pseudonymize_log(organization, [u.id for u in people], [u.email for u in users])

    campaign_ids = set(
        db.session.scalars(sa.select(Pledge.campaign_id).where(Pledge.organization_id == org_id))
    )
    project_ids = list(db.session.scalars(sa.select(Project.id).where(Project.organization_id == org_id)))
    if project_ids:
        campaign_ids |= set(
            db.session.scalars(
                sa.select(ProjectCampaign.campaign_id).where(
                    ProjectCampaign.project_id.in_(project_ids),
                    ProjectCampaign.visibility == LinkVisibility.PUBLIC,
                )
            )
        )
    logo = organization.logo_filename

    for user in staff:
        user.organization_id = None
        user.is_owner = False
    db.session.flush()
    # Core deletes, children first, so that SQLite and PostgreSQL do the same whatever their
    # cascades; the ORM objects of the erased rows are dropped from the session after.
    statements = [
        sa.delete(ProjectCampaign).where(ProjectCampaign.project_id.in_(project_ids))
        if project_ids
        else None,
        sa.delete(ProjectTranslation).where(ProjectTranslation.project_id.in_(project_ids))
        if project_ids
        else None,
        sa.delete(Project).where(Project.organization_id == org_id),
        sa.delete(Pledge).where(Pledge.organization_id == org_id),
        sa.delete(OrganizationTranslation).where(OrganizationTranslation.organization_id == org_id),
        sa.delete(User).where(User.organization_id == org_id),
        sa.delete(Organization).where(Organization.id == org_id),
    ]
    for statement in statements:
        if statement is not None:
            db.session.execute(statement.execution_options(synchronize_session=False))
    for obj in list(db.session.identity_map.values()):
        if (
            (isinstance(obj, Organization) and obj.id == org_id)
            or (isinstance(obj, User) and obj in people)
            or (isinstance(obj, (Pledge, Project, OrganizationTranslation)) and obj.organization_id == org_id)
            or (isinstance(obj, (ProjectCampaign, ProjectTranslation)) and obj.project_id in project_ids)
        ):
            db.session.expunge(obj)
    for entry in db.session.identity_map.values():
        if isinstance(entry, AuditEntry) and entry.organization_id == org_id:
            # The database set it to NULL (ON DELETE SET NULL); keep the session in step.
            db.session.expire(entry, ["organization_id", "organization", "actor_id", "actor"])

    db.session.add(
        AuditEntry(
            actor_id=None,
            actor_email=SYSTEM_ACTOR,
            action=AuditAction.ORGANIZATION_ERASED,
            target_type="organization",
            target_id=org_id,
            organization_id=None,
            reason=why,
        )
    )
    counters.recount(campaign_ids, ())
    logos.delete_file(logo)
    security_log.warning("organization %s erased (%s)", org_id, why)


# --- Deleting one's own account --------------------------------------------------------------------


class NewOwnerNeeded(DomainError):
    """The last owner must name a colleague as the new owner before leaving."""


class LastPerson(DomainError):
    """The organization's only person deletes the organization instead."""


def colleagues(user: User) -> list[User]:
    """The other people of the user's organization, by email."""
    if user.organization_id is None:
        return []
    return list(
        db.session.scalars(
            sa.select(User)
            .where(User.organization_id == user.organization_id, User.id != user.id)
            .order_by(User.email)
        )
    )


def must_name_owner(user: User) -> bool:
    """True when the user is the organization's last owner and others remain."""
    others = colleagues(user)
    return bool(user.is_owner and others and not any(other.is_owner for other in others))


def delete_account(user: User, password: str, new_owner_id: int | None = None) -> None:
    """Delete the user's own account, after checking the password.

    Decisions they made stay in the log under ``user #<id>`` instead of their email.

    Raises WrongPassword and AccountLocked (counted: the caller commits even then),
    NotAllowed (the network's last admin), LastPerson (delete the organization instead),
    NewOwnerNeeded (the last owner names a colleague), DomainError (that colleague is not one).
    """
    accounts.check_current_password(user, password, purpose="account deletion")
    if user.role == Role.ADMIN:
        admins = db.session.scalar(sa.select(sa.func.count()).where(User.role == Role.ADMIN))
        if admins <= 1:
            raise NotAllowed(_("You are the network's last admin: make another admin before you leave."))
    organization = user.organization
    others = colleagues(user)
    if organization is not None and not others:
        raise LastPerson(
            _(
                "You are the last person of %(name)s: delete the organization instead "
                "(you can download its data first).",
                name=organization.name,
            )
        )
    handing_over = must_name_owner(user)
    if handing_over:
        chosen = next((other for other in others if other.id == new_owner_id), None)
        if new_owner_id is None:
            raise NewOwnerNeeded(_("You are the last owner: choose who becomes an owner after you."))
        if chosen is None:
            raise DomainError(_("Choose a colleague of your organization."))
        chosen.is_owner = True
    user_id, organization_id = user.id, user.organization_id
    db.session.execute(
        sa.update(AuditEntry)
        .where(AuditEntry.actor_id == user_id)
        .values(actor_email=user_pseudonym(user_id))
        .execution_options(synchronize_session=False)
    )
    for entry in db.session.identity_map.values():
        if isinstance(entry, AuditEntry) and entry.actor_id == user_id:
            db.session.expire(entry)
    new_owner = f"; {user_pseudonym(new_owner_id)} is an owner now" if handing_over else ""
    db.session.add(
        AuditEntry(
            actor_id=None,
            actor_email=user_pseudonym(user_id),
            action=AuditAction.USER_DELETED,
            target_type="user",
            target_id=user_id,
            organization_id=organization_id,
            reason=f"{user_pseudonym(user_id)} deleted their account{new_owner}",
        )
    )
    db.session.delete(user)
    db.session.flush()
    security_log.warning("user %s deleted their account", user_id)

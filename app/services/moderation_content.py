"""Moderators hide a project or a pledge message that breaks the rules, and show it again.

The reason is required: the organization reads it on its dashboard. Every decision is
recorded in the audit log. A hidden project stops counting on its campaigns.
"""

from __future__ import annotations

from flask_babel import gettext as _

from app.extensions import db
from app.models import AuditAction, Pledge, Project, User
from app.models.base import utcnow
from app.services import DomainError, NotAllowed, audit, counters

REASON_MAX_LENGTH = 1000


def _check_moderator(actor: User) -> None:
    if actor is None or not actor.is_moderator:
        raise NotAllowed(_("Only moderators hide content."))


def _clean_reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give a reason: the organization will read it."))
    if len(reason) > REASON_MAX_LENGTH:
        raise DomainError(_("The reason may be at most %(max)d characters long.", max=REASON_MAX_LENGTH))
    return reason


def _linked_campaign_ids(project: Project) -> list[int]:
    return [c.id for c in project.campaigns]


def hide_project(project: Project, actor: User, reason: str) -> Project:
    """Hide a project from every public page. Raises NotAllowed, DomainError (no reason, already hidden)."""
    _check_moderator(actor)
    text = _clean_reason(reason)
    if project.hidden_at is not None:
        raise DomainError(_("This project is already hidden."))
    project.hidden_at = utcnow()
    project.hidden_reason = text
    db.session.flush()
    counters.project_links_changed(_linked_campaign_ids(project))
    audit.record(
        actor, AuditAction.PROJECT_HIDDEN, target_type="project", target_id=project.id,
        organization_id=project.organization_id, reason=text,
    )  # fmt: skip
    return project


def unhide_project(project: Project, actor: User, reason: str = "") -> Project:
    """Show a hidden project again. Raises NotAllowed, DomainError (not hidden)."""
    _check_moderator(actor)
    if project.hidden_at is None:
        raise DomainError(_("This project is not hidden."))
    project.hidden_at = None
    project.hidden_reason = None
    db.session.flush()
    counters.project_links_changed(_linked_campaign_ids(project))
    audit.record(
        actor, AuditAction.PROJECT_UNHIDDEN, target_type="project", target_id=project.id,
        organization_id=project.organization_id, reason=(reason or "").strip(),
    )  # fmt: skip
    return project


def hide_pledge_message(pledge: Pledge, actor: User, reason: str) -> Pledge:
    """Hide a pledge's message (the pledge itself still counts). Raises NotAllowed, DomainError."""
    _check_moderator(actor)
    text = _clean_reason(reason)
    if not pledge.message:
        raise DomainError(_("This pledge has no message to hide."))
    if pledge.message_hidden_at is not None:
        raise DomainError(_("This message is already hidden."))
    pledge.message_hidden_at = utcnow()
    pledge.message_hidden_reason = text
    db.session.flush()
    audit.record(
        actor, AuditAction.PLEDGE_MESSAGE_HIDDEN, target_type="pledge", target_id=pledge.id,
        organization_id=pledge.organization_id, reason=text,
    )  # fmt: skip
    return pledge


def unhide_pledge_message(pledge: Pledge, actor: User, reason: str = "") -> Pledge:
    """Show a hidden pledge message again. Raises NotAllowed, DomainError (not hidden)."""
    _check_moderator(actor)
    if pledge.message_hidden_at is None:
        raise DomainError(_("This message is not hidden."))
    pledge.message_hidden_at = None
    pledge.message_hidden_reason = None
    db.session.flush()
    audit.record(
        actor, AuditAction.PLEDGE_MESSAGE_UNHIDDEN, target_type="pledge", target_id=pledge.id,
        organization_id=pledge.organization_id, reason=(reason or "").strip(),
    )  # fmt: skip
    return pledge

"""Moderators hide a project or a pledge message that breaks the rules, and show it again.

The reason is required: the organization reads it on its dashboard. Every decision is
recorded in the audit log. A hidden project stops counting on its campaigns.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from app.extensions import db
from app.models import AuditAction, Pledge, Project, User
from app.models.base import utcnow
from app.services import DomainError, audit, counters
from app.services.checks import clean_reason, require_moderator


@dataclass(frozen=True)
class _Hideable:
    """How one kind of content is hidden: its columns, audit actions and messages."""

    target_type: str
    hidden_at: str
    hidden_reason: str
    hidden: AuditAction
    shown: AuditAction
    already_hidden: LazyString
    not_hidden: LazyString


_PROJECT = _Hideable(
    target_type="project",
    hidden_at="hidden_at",
    hidden_reason="hidden_reason",
    hidden=AuditAction.PROJECT_HIDDEN,
    shown=AuditAction.PROJECT_UNHIDDEN,
    already_hidden=_l("This project is already hidden."),
    not_hidden=_l("This project is not hidden."),
)
_PLEDGE_MESSAGE = _Hideable(
    target_type="pledge",
    hidden_at="message_hidden_at",
    hidden_reason="message_hidden_reason",
    hidden=AuditAction.PLEDGE_MESSAGE_HIDDEN,
    shown=AuditAction.PLEDGE_MESSAGE_UNHIDDEN,
    already_hidden=_l("This message is already hidden."),
    not_hidden=_l("This message is not hidden."),
)


def _set_hidden(item: Project | Pledge, actor: User, reason: str, kind: _Hideable, *, hide: bool) -> None:
    """Hide ``item`` (a reason is required) or show it again, and record the decision."""
    require_moderator(actor, _("Only moderators hide content."))
    text = clean_reason(reason, required=hide)
    is_hidden = getattr(item, kind.hidden_at) is not None
    if hide and is_hidden:
        raise DomainError(str(kind.already_hidden))
    if not hide and not is_hidden:
        raise DomainError(str(kind.not_hidden))
    setattr(item, kind.hidden_at, utcnow() if hide else None)
    setattr(item, kind.hidden_reason, text if hide else None)
    db.session.flush()
    audit.record(
        actor, kind.hidden if hide else kind.shown, target_type=kind.target_type, target_id=item.id,
        organization_id=item.organization_id, reason=text,
    )  # fmt: skip


def _linked_campaign_ids(project: Project) -> list[int]:
    return [c.id for c in project.campaigns]


def hide_project(project: Project, actor: User, reason: str) -> Project:
    """Hide a project from every public page. Raises NotAllowed, DomainError (no reason, already hidden)."""
    _set_hidden(project, actor, reason, _PROJECT, hide=True)
    counters.project_links_changed(_linked_campaign_ids(project))
    return project


def unhide_project(project: Project, actor: User, reason: str = "") -> Project:
    """Show a hidden project again. Raises NotAllowed, DomainError (not hidden)."""
    _set_hidden(project, actor, reason, _PROJECT, hide=False)
    counters.project_links_changed(_linked_campaign_ids(project))
    return project


def hide_pledge_message(pledge: Pledge, actor: User, reason: str) -> Pledge:
    """Hide a pledge's message (the pledge itself still counts). Raises NotAllowed, DomainError."""
    require_moderator(actor, _("Only moderators hide content."))
    if not pledge.message:
        raise DomainError(_("This pledge has no message to hide."))
    _set_hidden(pledge, actor, reason, _PLEDGE_MESSAGE, hide=True)
    return pledge


def unhide_pledge_message(pledge: Pledge, actor: User, reason: str = "") -> Pledge:
    """Show a hidden pledge message again. Raises NotAllowed, DomainError (not hidden)."""
    _set_hidden(pledge, actor, reason, _PLEDGE_MESSAGE, hide=False)
    return pledge

"""Moderators hide a project or a pledge message that breaks the rules, and show it again.

The reason is required: the organization reads it on its dashboard, and its members are told
(hidden, with the reason; shown again) through their notification choices
(app/services/notifications.py). Every decision is recorded in the audit log.
A hidden project stops counting on its campaigns. A member who corrected a hidden project can
ask a moderator to look again; the request waits in the queue until a moderator shows the
project again or keeps it hidden (with a reason, by mail).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import AuditAction, Pledge, Project, User
from app.models.base import utcnow
from app.services import DomainError, NotAllowed, audit, counters, notifications
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
    # The members' mail: its subject when hidden and when shown again.
    hidden_subject: LazyString
    shown_subject: LazyString


_PROJECT = _Hideable(
    target_type="project",
    hidden_at="hidden_at",
    hidden_reason="hidden_reason",
    hidden=AuditAction.PROJECT_HIDDEN,
    shown=AuditAction.PROJECT_UNHIDDEN,
    already_hidden=_l("This project is already hidden."),
    not_hidden=_l("This project is not hidden."),
    hidden_subject=_l("A moderator hid one of your projects on Tadamun"),
    shown_subject=_l("Your project is visible again on Tadamun"),
)
_PLEDGE_MESSAGE = _Hideable(
    target_type="pledge",
    hidden_at="message_hidden_at",
    hidden_reason="message_hidden_reason",
    hidden=AuditAction.PLEDGE_MESSAGE_HIDDEN,
    shown=AuditAction.PLEDGE_MESSAGE_UNHIDDEN,
    already_hidden=_l("This message is already hidden."),
    not_hidden=_l("This message is not hidden."),
    hidden_subject=_l("A moderator hid your pledge message on Tadamun"),
    shown_subject=_l("Your pledge message is visible again on Tadamun"),
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
    # Only what the organization's own members may read: its item's title, the reason.
    # Hidden or shown again, the members hear of it as they chose for the "hidden" kind.
    title = item.title if isinstance(item, Project) else item.campaign.title
    what, template, subject = (
        (kind.target_type, "content_hidden", kind.hidden_subject)
        if hide
        else (f"{kind.target_type}_shown", "content_shown", kind.shown_subject)
    )
    notifications.content_hidden(
        item.organization, what, item.id, title, text, template, subject, kind=kind.target_type, item=item
    )


def _linked_campaign_ids(project: Project) -> list[int]:
    return [c.id for c in project.campaigns]


def hide_project(project: Project, actor: User, reason: str) -> Project:
    """Hide a project from every public page. Raises NotAllowed, DomainError (no reason, already hidden)."""
    _set_hidden(project, actor, reason, _PROJECT, hide=True)
    counters.project_links_changed(_linked_campaign_ids(project))
    return project


def unhide_project(project: Project, actor: User, reason: str = "") -> Project:
    """Show a hidden project again (which answers a request for review). Raises NotAllowed,
    DomainError (not hidden)."""
    _set_hidden(project, actor, reason, _PROJECT, hide=False)
    project.review_requested_at = None
    project.review_request_note = None
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


REVIEW_NOTE_MAX_LENGTH = 1000


def request_review(project: Project, actor: User, note: str = "") -> Project:
    """A member asks a moderator to look again at its organization's hidden project (after
    correcting it); the request waits in the moderators' queue.

    Raises NotAllowed (not a member of the project's organization), DomainError (the project is
    not hidden, a request already waits, the note is too long).
    """
    if actor is None or actor.organization_id != project.organization_id:
        raise NotAllowed(_("Only members of the organization can ask for a review of its project."))
    if not project.is_hidden:
        raise DomainError(_("This project is not hidden."))
    if project.review_requested_at is not None:
        raise DomainError(_("A moderator has already been asked to look at this project again."))
    note = (note or "").strip()
    if len(note) > REVIEW_NOTE_MAX_LENGTH:
        raise DomainError(_("The note may be at most %(max)d characters long.", max=REVIEW_NOTE_MAX_LENGTH))
    project.review_requested_at = utcnow()
    project.review_request_note = note or None
    db.session.flush()
    audit.record(
        actor, AuditAction.REVIEW_REQUESTED, target_type="project", target_id=project.id,
        organization_id=project.organization_id, reason=note,
    )  # fmt: skip
    notifications.review_requested(project)
    return project


def decline_review(project: Project, actor: User, reason: str) -> Project:
    """Keep a project hidden after its organization asked for a review; the reason is mailed to
    its members. Raises NotAllowed (not a moderator), DomainError (no reason, no request)."""
    require_moderator(actor, _("Only moderators hide content."))
    text = clean_reason(reason)
    if project.review_requested_at is None:
        raise DomainError(_("Nobody asked for a review of this project."))
    project.review_requested_at = None
    project.review_request_note = None
    project.hidden_reason = text
    db.session.flush()
    audit.record(
        actor, AuditAction.REVIEW_DECLINED, target_type="project", target_id=project.id,
        organization_id=project.organization_id, reason=text,
    )  # fmt: skip
    notifications.content_hidden(
        project.organization, "review_declined", project.id, project.title, text, "review_declined",
        _l("Your project stays hidden on Tadamun"), item=project,
    )  # fmt: skip
    return project


def review_requests_query() -> sa.Select:
    """Hidden projects whose organization asked for a review, oldest request first (the queue)."""
    return (
        sa.select(Project)
        .where(Project.review_requested_at.is_not(None), Project.hidden_at.is_not(None))
        .options(joinedload(Project.organization))
        .order_by(Project.review_requested_at, Project.id)
    )

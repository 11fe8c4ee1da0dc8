"""Introductions with double opt-in (issue #20).

A member of an approved organization asks to be introduced to another organization in public
view, with a message, and chooses which of its own contact details it will share. A member of
the other organization accepts, choosing which of its details it shares, or declines. Rules:

* Contact details are exchanged only on acceptance, and only the fields each side chose
  (:func:`shared_contacts`); nothing else of either organization is revealed.
* Declining tells the requester "not now" and nothing more; a request to an organization that
  blocked the requester is recorded as declined at once, without mail, so a block reads the
  same as a decline.
* Rate limit: an organization asks at most :data:`DAILY_REQUESTS` introductions in 24 hours
  (counted in the database, whoever of its members asks), one open request per pair.
* A recipient can block a requester and report a request to the moderators, who read the
  request and the reason, never contact details.
* Mail goes through the outbox, in each reader's language; every step is in the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import (
    CONTACT_FIELDS,
    AuditAction,
    Introduction,
    IntroductionBlock,
    IntroductionReport,
    IntroductionStatus,
    Organization,
    OrganizationStatus,
    User,
)
from app.models.base import utcnow
from app.models.solidarity import INTRODUCTION_MESSAGE_MAX_LENGTH
from app.services import DomainError, NotAllowed, audit, mail, notifications, tokens
from app.services.visibility import is_publicly_listed

DAILY_REQUESTS = 5
REASON_MAX_LENGTH = 1000
LIST_LIMIT = 50


def _approved_member(actor: User | None) -> Organization:
    organization = actor.organization if actor is not None else None
    if organization is None or organization.status != OrganizationStatus.APPROVED:
        raise NotAllowed(_("Only members of approved organizations can ask for and answer introductions."))
    return organization


def _clean_fields(organization: Organization, fields: list[str] | None) -> str:
    """The chosen contact fields that the organization has filled in, in the usual order."""
    chosen = set(fields or ())
    unknown = chosen - set(CONTACT_FIELDS)
    if unknown:
        raise DomainError(_("Unknown contact detail."))
    return " ".join(field for field in CONTACT_FIELDS if field in chosen and getattr(organization, field))


def shareable_fields(organization: Organization) -> list[str]:
    """The contact fields the organization has filled in (what it may choose to share)."""
    return [field for field in CONTACT_FIELDS if getattr(organization, field)]


def ask(actor: User | None, recipient: Organization, message: str, fields: list[str] | None) -> Introduction:
    requester = _approved_member(actor)
    if recipient.id == requester.id or not is_publicly_listed(recipient):
        raise NotAllowed(_("This organization cannot be asked for an introduction."))
    message = (message or "").strip()
    if not message:
        raise DomainError(_("Write a few words to introduce your organization."))
    if len(message) > INTRODUCTION_MESSAGE_MAX_LENGTH:
        raise DomainError(
            _("The message may be at most %(max)d characters long.", max=INTRODUCTION_MESSAGE_MAX_LENGTH)
        )
    since = utcnow() - timedelta(days=1)
    recent = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Introduction)
        .where(Introduction.requester_id == requester.id, Introduction.created_at >= since)
    )
    if recent >= DAILY_REQUESTS:
        raise DomainError(
            _(
                "Your organization has asked for %(num)d introductions today. Try again tomorrow.",
                num=DAILY_REQUESTS,
            )
        )
    blocked = db.session.get(IntroductionBlock, (recipient.id, requester.id)) is not None
    introduction = Introduction(
        requester_id=requester.id,
        recipient_id=recipient.id,
        requested_by_id=actor.id,
        message=message,
        requester_fields=_clean_fields(requester, fields),
        status=IntroductionStatus.DECLINED if blocked else IntroductionStatus.PENDING,
        decided_at=utcnow() if blocked else None,
    )
    try:
        with db.session.begin_nested():
            db.session.add(introduction)
    except IntegrityError:
        raise DomainError(
            _("Your organization is already waiting for an answer from this organization.")
        ) from None
    audit.record(
        actor,
        AuditAction.INTRODUCTION_REQUESTED,
        target_type="introduction",
        target_id=introduction.id,
        organization_id=requester.id,
    )
    if not blocked:
        link = tokens.external_url("solidarity.introductions")
        for user in recipient.users:
            mail.send_to_user(
                user,
                _l("%(organization)s asks to be introduced to you on Tadamun", organization=requester.name),
                "introduction_requested",
                requester=requester,
                message=message,
                link=link,
            )
    return introduction


def _incoming(actor: User | None, introduction_id: int) -> tuple[Organization, Introduction]:
    organization = _approved_member(actor)
    introduction = db.session.get(Introduction, introduction_id)
    if introduction is None or introduction.recipient_id != organization.id:
        raise LookupError(introduction_id)
    return organization, introduction


def received(actor: User | None, introduction_id: int) -> bool:
    """Whether the actor's (approved) organization received this request."""
    try:
        _incoming(actor, introduction_id)
    except (LookupError, NotAllowed):
        return False
    return True


def _check_pending(introduction: Introduction) -> None:
    if introduction.status != IntroductionStatus.PENDING:
        raise DomainError(_("This request has already been answered."))


def accept(actor: User | None, introduction_id: int, fields: list[str] | None) -> Introduction:
    """Raises LookupError when the actor's organization received no such request."""
    organization, introduction = _incoming(actor, introduction_id)
    _check_pending(introduction)
    introduction.recipient_fields = _clean_fields(organization, fields)
    introduction.status = IntroductionStatus.ACCEPTED
    introduction.decided_at = utcnow()
    db.session.flush()
    audit.record(
        actor,
        AuditAction.INTRODUCTION_ACCEPTED,
        target_type="introduction",
        target_id=introduction.id,
        organization_id=organization.id,
    )
    requester = db.session.get(Organization, introduction.requester_id)
    link = tokens.external_url("solidarity.introductions")
    for user in requester.users:
        mail.send_to_user(
            user,
            _l("%(organization)s accepted your introduction on Tadamun", organization=organization.name),
            "introduction_accepted",
            organization=organization,
            link=link,
        )
    return introduction


def decline(actor: User | None, introduction_id: int, *, block: bool = False) -> Introduction:
    """Decline (the requester reads "not now"); with ``block``, no more requests from it."""
    organization, introduction = _incoming(actor, introduction_id)
    if introduction.status == IntroductionStatus.PENDING:
        introduction.status = IntroductionStatus.DECLINED
        introduction.decided_at = utcnow()
        audit.record(
            actor,
            AuditAction.INTRODUCTION_DECLINED,
            target_type="introduction",
            target_id=introduction.id,
            organization_id=organization.id,
        )
    elif not block:
        raise DomainError(_("This request has already been answered."))
    if block and db.session.get(IntroductionBlock, (organization.id, introduction.requester_id)) is None:
        db.session.add(IntroductionBlock(blocker_id=organization.id, blocked_id=introduction.requester_id))
        audit.record(
            actor,
            AuditAction.INTRODUCTION_BLOCKED,
            target_type="organization",
            target_id=introduction.requester_id,
            organization_id=organization.id,
        )
    db.session.flush()
    return introduction


def report(actor: User | None, introduction_id: int, reason: str) -> IntroductionReport:
    """Tell the moderators a request was abusive (it is declined too)."""
    _organization, introduction = _incoming(actor, introduction_id)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say in a few words what is wrong with this request."))
    if len(reason) > REASON_MAX_LENGTH:
        raise DomainError(_("The reason may be at most %(max)d characters long.", max=REASON_MAX_LENGTH))
    if introduction.status == IntroductionStatus.PENDING:
        introduction.status = IntroductionStatus.DECLINED
        introduction.decided_at = utcnow()
    entry = IntroductionReport(introduction_id=introduction.id, reported_by_id=actor.id, reason=reason)
    db.session.add(entry)
    db.session.flush()
    audit.record(
        actor,
        AuditAction.INTRODUCTION_REPORTED,
        target_type="introduction",
        target_id=introduction.id,
        organization_id=introduction.requester_id,
        reason=reason,
    )
    notifications.introduction_reported(entry.id)
    return entry


# --- Reading -------------------------------------------------------------------------------


@dataclass
class IntroductionView:
    """One introduction as a member of one side reads it: the other organization, the message
    (incoming only), the status in words, and the other side's shared details (accepted only)."""

    introduction: Introduction
    other: Organization
    incoming: bool
    contacts: dict[str, str]

    @property
    def status(self) -> IntroductionStatus:
        return self.introduction.status


def shared_contacts(introduction: Introduction, reader: Organization) -> dict[str, str]:
    """The contact details ``reader``'s side receives: the other side's chosen fields, only once
    accepted; nothing otherwise."""
    if introduction.status != IntroductionStatus.ACCEPTED:
        return {}
    if reader.id == introduction.requester_id:
        other, fields = introduction.recipient, introduction.recipient_field_list
    else:
        other, fields = introduction.requester, introduction.requester_field_list
    if not is_publicly_listed(other):  # gone dark, suspended, delisted or leaving: nothing more
        return {}
    return {field: getattr(other, field) for field in fields if getattr(other, field)}


def member_introductions(organization: Organization) -> tuple[list[IntroductionView], list[IntroductionView]]:
    """(incoming, outgoing) of the organization, newest first, each list bounded (two queries);
    incoming leaves out the organizations it blocked."""
    options = (joinedload(Introduction.requester), joinedload(Introduction.recipient))
    incoming = db.session.scalars(
        sa.select(Introduction)
        .options(*options)
        .where(
            Introduction.recipient_id == organization.id,
            # Nothing more from an organization it blocked (the request that led to it included).
            ~sa.select(IntroductionBlock.blocked_id)
            .where(
                IntroductionBlock.blocker_id == organization.id,
                IntroductionBlock.blocked_id == Introduction.requester_id,
            )
            .exists(),
        )
        .order_by(Introduction.created_at.desc(), Introduction.id.desc())
        .limit(LIST_LIMIT)
    ).all()
    outgoing = db.session.scalars(
        sa.select(Introduction)
        .options(*options)
        .where(Introduction.requester_id == organization.id)
        .order_by(Introduction.created_at.desc(), Introduction.id.desc())
        .limit(LIST_LIMIT)
    ).all()
    return (
        [IntroductionView(i, i.requester, True, shared_contacts(i, organization)) for i in incoming],
        [IntroductionView(i, i.recipient, False, shared_contacts(i, organization)) for i in outgoing],
    )


def reports_page(page: int):
    """The abuse reports for moderators, newest first: the request and the reason, never contact
    details (the template is given organizations' names and the message only)."""
    stmt = (
        sa.select(IntroductionReport)
        .options(
            joinedload(IntroductionReport.introduction).joinedload(Introduction.requester),
            joinedload(IntroductionReport.introduction).joinedload(Introduction.recipient),
        )
        .order_by(IntroductionReport.created_at.desc(), IntroductionReport.id.desc())
    )
    return db.paginate(
        stmt, page=page, per_page=current_app.config["PAGE_SIZE"], error_out=True, max_per_page=100
    )

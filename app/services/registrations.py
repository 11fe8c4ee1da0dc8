"""Registering to a gathering: places, the waiting list, approval, attendance, reminders.

Places are counted per registration type: confirmed and attended registrations hold one each.
Every change that takes or frees a place first locks the type's row (``SELECT ... FOR UPDATE``
on PostgreSQL; on SQLite the request's transaction already holds the write lock, taken when it
began with ``BEGIN IMMEDIATE``), so two registrations for the last place are decided one after
the other: one gets it, the other waits. When a place frees (a cancellation, a declined or
cancelled holder), the oldest waiting registration of the type is promoted in the same
transaction and its registrant mailed through the outbox.

A registrant's needs (dietary, interpretation, visa letter) are read only by
:func:`registrants_for_organizer` and :func:`export_csv`, which ask
``gatherings.may_organize``, and by the registrant's own organization in its data export
(the ``gathering_registrations`` section: its own registrations and its people's, nothing of
anyone else's). Public pages name registered organizations through
:func:`named_registrants` only: organizations in public view, under the pledge rule.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from app import dates
from app.extensions import db
from app.models import (
    Gathering,
    GatheringStatus,
    Organization,
    PledgeVisibility,
    Registration,
    RegistrationKind,
    RegistrationState,
    RegistrationType,
    User,
)
from app.models.base import utcnow
from app.models.gathering import HOLDS_PLACE
from app.services import DomainError, NotAllowed, export, mail, tokens
from app.services.directory import named_visibilities
from app.services.gatherings import may_organize, require_organizer
from app.services.text import check_one_line
from app.services.visibility import publicly_listed

NEEDS_MAX_LENGTH = 500
INTERPRETATION_MAX_LENGTH = 200
MESSAGE_MAX_LENGTH = 5000
SUBJECT_MAX_LENGTH = 150
CAPACITY_MAX = 100_000
ACTIVE_STATES = (
    RegistrationState.PENDING,
    RegistrationState.CONFIRMED,
    RegistrationState.WAITING,
    RegistrationState.ATTENDED,
)


# --- Registration types -------------------------------------------------------------------


def set_registration_type(
    actor: User,
    gathering: Gathering,
    kind: RegistrationKind,
    *,
    capacity: int,
    deadline: datetime | None = None,
    requires_approval: bool = False,
) -> RegistrationType:
    """Open (or change) one way to register; raising the capacity promotes waiting registrants."""
    require_organizer(actor, gathering)
    if not 0 <= capacity <= CAPACITY_MAX:
        raise DomainError(_("The capacity must be between 0 and %(max)d.", max=CAPACITY_MAX))
    kind = RegistrationKind(kind)
    registration_type = db.session.scalar(
        sa.select(RegistrationType).where(
            RegistrationType.gathering_id == gathering.id, RegistrationType.kind == kind
        )
    )
    if registration_type is None:
        registration_type = RegistrationType(gathering_id=gathering.id, kind=kind, capacity=capacity)
        db.session.add(registration_type)
        db.session.flush()
    else:
        _lock(registration_type)
    registration_type.capacity = capacity
    registration_type.deadline = dates_to_utc(deadline, gathering)
    registration_type.requires_approval = requires_approval
    db.session.flush()
    _promote_waiting(registration_type)
    return registration_type


def dates_to_utc(moment: datetime | None, gathering: Gathering) -> datetime | None:
    from app.services.gatherings import to_utc

    return None if moment is None else to_utc(moment, gathering.time_zone)


def _lock(registration_type: RegistrationType) -> RegistrationType:
    """Take the type's row lock (PostgreSQL) for the rest of the transaction, and read it afresh.
    On SQLite the write lock is the transaction's own (BEGIN IMMEDIATE in a writing request)."""
    stmt = (
        sa.select(RegistrationType)
        .where(RegistrationType.id == registration_type.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return db.session.scalars(stmt).one()


def places_taken(type_ids: list[int]) -> dict[int, int]:
    """Places held per registration type (one query)."""
    if not type_ids:
        return {}
    stmt = (
        sa.select(Registration.registration_type_id, sa.func.count())
        .where(Registration.registration_type_id.in_(type_ids), Registration.state.in_(HOLDS_PLACE))
        .group_by(Registration.registration_type_id)
    )
    taken = dict.fromkeys(type_ids, 0)
    taken.update({type_id: n for type_id, n in db.session.execute(stmt)})
    return taken


def _taken(registration_type: RegistrationType) -> int:
    return places_taken([registration_type.id])[registration_type.id]


# --- Registering --------------------------------------------------------------------------


@dataclass
class Needs:
    """What the organizer needs to know; never shown to anyone else."""

    dietary: str = ""
    interpretation: str = ""
    visa_letter: bool = False


def _clean_needs(needs: Needs) -> Needs:
    dietary = (needs.dietary or "").strip()
    interpretation = (needs.interpretation or "").strip()
    check_one_line(interpretation)
    if len(dietary) > NEEDS_MAX_LENGTH or len(interpretation) > INTERPRETATION_MAX_LENGTH:
        raise DomainError(_("What you need is too long to note."))
    return Needs(dietary=dietary, interpretation=interpretation, visa_letter=bool(needs.visa_letter))


def registration_open(gathering: Gathering, registration_type: RegistrationType, now: datetime) -> bool:
    return (
        gathering.status == GatheringStatus.PUBLISHED
        and gathering.starts_at > now
        and (registration_type.deadline is None or registration_type.deadline > now)
    )


def register(
    actor: User,
    gathering: Gathering,
    registration_type_id: int,
    *,
    as_organization: bool,
    visibility: PledgeVisibility = PledgeVisibility.COUNTED,
    needs: Needs | None = None,
) -> Registration:
    """Register ``actor``'s organization (``as_organization``) or ``actor`` alone.

    The registration is pending when the type needs the organizer's approval, else confirmed
    while a place is free and waiting otherwise. Raises NotAllowed for an organization that is
    not approved, DomainError when registration is closed or already made."""
    now = utcnow()
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise NotAllowed(_("Log in to register."))
    registration_type = next((t for t in gathering.registration_types if t.id == registration_type_id), None)
    if registration_type is None:
        raise DomainError(_("Choose one of the gathering's ways to take part."))
    if not registration_open(gathering, registration_type, now):
        raise DomainError(_("Registration for this gathering is closed."))
    organization_id = None
    if as_organization:
        if not actor.is_approved_member:
            raise NotAllowed(_("Only members of an approved organization may register it."))
        organization_id = actor.organization_id
    needs = _clean_needs(needs or Needs())
    registration_type = _lock(registration_type)
    existing = db.session.scalar(
        sa.select(Registration.id).where(
            Registration.gathering_id == gathering.id,
            Registration.state != RegistrationState.CANCELLED,
            Registration.organization_id == organization_id
            if organization_id is not None
            else sa.and_(Registration.organization_id.is_(None), Registration.user_id == actor.id),
        )
    )
    if existing is not None:
        raise DomainError(_("This registration is already made."))
    if registration_type.requires_approval:
        state = RegistrationState.PENDING
    elif _taken(registration_type) < registration_type.capacity:
        state = RegistrationState.CONFIRMED
    else:
        state = RegistrationState.WAITING
    registration = Registration(
        gathering_id=gathering.id,
        registration_type_id=registration_type.id,
        organization_id=organization_id,
        user_id=actor.id,
        state=state,
        visibility=PledgeVisibility(visibility) if organization_id is not None else PledgeVisibility.COUNTED,
        dietary_needs=needs.dietary,
        interpretation_needs=needs.interpretation,
        needs_visa_letter=needs.visa_letter,
    )
    try:
        with db.session.begin_nested():
            db.session.add(registration)
    except IntegrityError:
        raise DomainError(_("This registration is already made.")) from None
    _tell(registration, gathering, "registered")
    return registration


def may_cancel(actor: Any, registration: Registration) -> bool:
    """The registrant (the person, or a member of the registered organization) or an organizer."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return False
    if registration.organization_id is not None:
        own = actor.organization_id == registration.organization_id
    else:
        own = actor.id == registration.user_id
    return own or may_organize(actor, registration.gathering)


def cancel(actor: User, registration: Registration) -> None:
    """Cancel a registration; a place it held goes to the oldest waiting registrant."""
    if not may_cancel(actor, registration):
        raise NotAllowed(_("This registration is not yours."))
    if registration.state in (RegistrationState.CANCELLED, RegistrationState.ATTENDED):
        raise DomainError(_("This registration can no longer be cancelled."))
    registration_type = _lock(registration.registration_type)
    registration.state = RegistrationState.CANCELLED
    registration.cancelled_at = utcnow()
    db.session.flush()
    _promote_waiting(registration_type)


def decide(actor: User, registration: Registration, approve: bool) -> None:
    """The organizer approves a pending registration (confirmed if a place is free, else
    waiting) or declines it."""
    require_organizer(actor, registration.gathering)
    if registration.state != RegistrationState.PENDING:
        raise DomainError(_("This registration does not wait for a decision."))
    registration_type = _lock(registration.registration_type)
    if not approve:
        registration.state = RegistrationState.CANCELLED
        registration.cancelled_at = utcnow()
        _tell(registration, registration.gathering, "declined")
        db.session.flush()
        return
    if _taken(registration_type) < registration_type.capacity:
        registration.state = RegistrationState.CONFIRMED
    else:
        registration.state = RegistrationState.WAITING
    db.session.flush()
    _tell(registration, registration.gathering, "registered")


def mark_attendance(actor: User, registration: Registration, attended: bool) -> None:
    require_organizer(actor, registration.gathering)
    if attended and registration.state != RegistrationState.CONFIRMED:
        raise DomainError(_("Only a confirmed registrant can be marked as present."))
    if not attended and registration.state != RegistrationState.ATTENDED:
        raise DomainError(_("This registrant is not marked as present."))
    registration.state = RegistrationState.ATTENDED if attended else RegistrationState.CONFIRMED
    db.session.flush()


def _promote_waiting(registration_type: RegistrationType) -> list[Registration]:
    """Give free places to the oldest waiting registrations of the type (its lock is held)."""
    free = registration_type.capacity - _taken(registration_type)
    if free <= 0:
        return []
    stmt = (
        sa.select(Registration)
        .where(
            Registration.registration_type_id == registration_type.id,
            Registration.state == RegistrationState.WAITING,
        )
        .order_by(Registration.created_at, Registration.id)
        .limit(free)
    )
    promoted = list(db.session.scalars(stmt))
    for registration in promoted:
        registration.state = RegistrationState.CONFIRMED
        _tell(registration, registration.gathering, "promoted")
    db.session.flush()
    return promoted


# --- Reading ------------------------------------------------------------------------------


def own_registrations(actor: Any, gathering: Gathering) -> list[Registration]:
    """The viewer's active registrations: their organization's and their own as a person."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return []
    mine = sa.and_(Registration.organization_id.is_(None), Registration.user_id == actor.id)
    if actor.organization_id is not None:
        mine = sa.or_(mine, Registration.organization_id == actor.organization_id)
    stmt = (
        sa.select(Registration)
        .where(Registration.gathering_id == gathering.id, Registration.state.in_(ACTIVE_STATES), mine)
        .order_by(Registration.id)
    )
    return list(db.session.scalars(stmt))


def named_registrants(gathering: Gathering, viewer: Any) -> list[Organization]:
    """Registered organizations the viewer may see named: holding a place, in public view, with
    a visibility the pledge rule lets the viewer see. People registering alone are never named."""
    stmt = (
        sa.select(Organization)
        .join(Registration, Registration.organization_id == Organization.id)
        .where(
            Registration.gathering_id == gathering.id,
            Registration.state.in_(HOLDS_PLACE),
            Registration.visibility.in_(named_visibilities(viewer)),
            publicly_listed(),
        )
        .order_by(Organization.name, Organization.id)
    )
    return list(db.session.scalars(stmt))


def registrants_for_organizer(actor: User, gathering: Gathering) -> list[Registration]:
    """Every registration with its needs: the organizer's list."""
    require_organizer(actor, gathering)
    stmt = (
        sa.select(Registration)
        .where(Registration.gathering_id == gathering.id)
        .options(
            joinedload(Registration.organization),
            joinedload(Registration.user),
            joinedload(Registration.registration_type),
        )
        .order_by(Registration.created_at, Registration.id)
    )
    return list(db.session.scalars(stmt))


def get_registration(gathering: Gathering, registration_id: int) -> Registration | None:
    return db.session.scalar(
        sa.select(Registration)
        .where(Registration.id == registration_id, Registration.gathering_id == gathering.id)
        .options(joinedload(Registration.registration_type), joinedload(Registration.gathering))
    )


CSV_COLUMNS = (
    "registration_id",
    "registered_at",
    "type",
    "state",
    "organization",
    "person",
    "email",
    "visibility",
    "dietary_needs",
    "interpretation_needs",
    "visa_letter",
)


def _cell(value: Any) -> str:
    """A CSV cell a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def export_csv(actor: User, gathering: Gathering) -> str:
    """The registrants with their needs, for the organizer only (UTF-8 CSV)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for r in registrants_for_organizer(actor, gathering):
        writer.writerow(
            [
                _cell(v)
                for v in (
                    r.id,
                    r.created_at.isoformat(timespec="minutes"),
                    r.registration_type.kind.value,
                    r.state.value,
                    r.organization.name if r.organization else "",
                    "" if r.organization else (r.user.email if r.user else ""),
                    r.user.email if r.user else "",
                    r.visibility.value if r.organization else "",
                    r.dietary_needs,
                    r.interpretation_needs,
                    "yes" if r.needs_visa_letter else "no",
                )
            ]
        )
    return buffer.getvalue()


# --- The registrant's own data export ------------------------------------------------------


@export.section(
    "gathering_registrations",
    _l("registrations to gatherings, the organization's and its people's, with the needs stated"),
)
def _export_rows(organization: Organization) -> list[dict[str, Any]]:
    """The organization's registrations and those its people made for themselves, with the
    needs they stated. Nothing of other registrants; the member who registered is named only
    while they are one of the organization's people."""
    people = sa.select(User.id).where(User.organization_id == organization.id)
    stmt = (
        sa.select(Registration)
        .where(
            sa.or_(
                Registration.organization_id == organization.id,
                sa.and_(Registration.organization_id.is_(None), Registration.user_id.in_(people)),
            )
        )
        .options(
            joinedload(Registration.gathering),
            joinedload(Registration.registration_type),
            joinedload(Registration.user),
        )
        .order_by(Registration.created_at, Registration.id)
    )
    rows = []
    for r in db.session.scalars(stmt):
        own_user = r.user is not None and r.user.organization_id == organization.id
        rows.append(
            {
                "id": r.id,
                "gathering": r.gathering.slug,
                "gathering_title": r.gathering.title,
                "gathering_starts_at": r.gathering.starts_at,
                "type": r.registration_type.kind,
                "state": r.state,
                "registered_as": "organization" if r.organization_id else "person",
                "registered_by": r.user.email if own_user else "",
                "visibility": r.visibility if r.organization_id else "",
                "dietary_needs": r.dietary_needs,
                "interpretation_needs": r.interpretation_needs,
                "needs_visa_letter": r.needs_visa_letter,
                "created_at": r.created_at,
                "updated_at": r.updated_at,
                "cancelled_at": r.cancelled_at,
            }
        )
    return rows


# --- Mail ---------------------------------------------------------------------------------

SUBJECTS = {
    "registered": _l("Your registration for %(title)s"),
    "declined": _l("Your registration for %(title)s was not accepted"),
    "promoted": _l("A place is yours at %(title)s"),
    "cancelled": _l("%(title)s is cancelled"),
    "reminder_week": _l("%(title)s is in a week"),
    "reminder_day": _l("%(title)s is tomorrow"),
}


def _recipients(registration: Registration) -> list[User]:
    """Who reads a registration's mail: the member who made it, or, when that account is gone,
    the organization's users."""
    if registration.user is not None:
        return [registration.user]
    if registration.organization is not None:
        return list(registration.organization.users)
    return []


def _tell(registration: Registration, gathering: Gathering, event: str, key: str | None = None) -> None:
    from app.services.gatherings import localized_gathering

    link = tokens.external_url("gatherings.detail", slug=gathering.slug)
    for user in _recipients(registration):
        locale = user.locale or "en"
        shown = localized_gathering(gathering, locale)
        # The gathering's own time, in the reader's language.
        with force_locale(locale), dates.force_timezone(gathering.time_zone):
            starts = dates.format_datetime(gathering.starts_at, "long")
            when = f"{starts} ({dates.zone_name(gathering.time_zone)})"
        mail.send(
            user.email,
            _subject(event, user, shown.title),
            "gathering_reminder" if event.startswith("reminder") else f"gathering_{event}",
            locale=user.locale,
            time_zone=user.time_zone,
            gathering=shown,
            registration=registration,
            state=registration.state.value,
            when=when,
            link=link,
            event=event,
        )


def _subject(event: str, user: User, title: str) -> str:
    with force_locale(user.locale or "en"):
        return str(SUBJECTS[event]) % {"title": mail.header_text(title)}


def tell_cancelled(gathering: Gathering) -> None:
    """Mail every active registrant of a gathering that is cancelled."""
    stmt = sa.select(Registration).where(
        Registration.gathering_id == gathering.id, Registration.state.in_(ACTIVE_STATES)
    )
    for registration in db.session.scalars(stmt):
        _tell(registration, gathering, "cancelled")


def message_registrants(
    actor: User, gathering: Gathering, subject: str, body: str, *, waiting_too: bool = False
) -> int:
    """The organizer writes to every registrant holding a place (and, if asked, those waiting or
    pending); each mail's frame is in its reader's language. Returns how many mails were queued."""
    require_organizer(actor, gathering)
    subject, body = (subject or "").strip(), (body or "").strip()
    check_one_line(subject)
    if not subject or not body:
        raise DomainError(_("Write a subject and a message."))
    if len(subject) > SUBJECT_MAX_LENGTH or len(body) > MESSAGE_MAX_LENGTH:
        raise DomainError(_("The subject or the message is too long."))
    states = list(HOLDS_PLACE)
    if waiting_too:
        states += [RegistrationState.WAITING, RegistrationState.PENDING]
    stmt = (
        sa.select(Registration)
        .where(Registration.gathering_id == gathering.id, Registration.state.in_(states))
        .options(
            joinedload(Registration.user),
            joinedload(Registration.organization).selectinload(Organization.users),
        )
    )
    from app.services.gatherings import localized_gathering

    sent = 0
    seen: set[str] = set()
    for registration in db.session.scalars(stmt).unique():
        for user in _recipients(registration):
            if user.email in seen:
                continue
            seen.add(user.email)
            shown = localized_gathering(gathering, user.locale or "en")
            mail.send_to_user(
                user,
                subject,
                "gathering_message",
                gathering=shown,
                body=body,
                link=tokens.external_url("gatherings.detail", slug=gathering.slug),
            )
            sent += 1
    return sent


# --- Reminders ----------------------------------------------------------------------------

WEEK = timedelta(days=7)
DAY = timedelta(days=1)


def send_reminders(now: datetime | None = None) -> int:
    """Mail the registrants holding a place of a published gathering that starts within a week
    (once) and within a day (once). Run by ``flask gatherings reminders`` from the scheduler;
    running it again sends nothing more: each reminder is marked on its registration, and the
    outbox key is unique per registration and kind."""
    now = now or utcnow()
    sent = 0
    for column, window, event in (
        (Registration.day_reminder_at, DAY, "reminder_day"),
        (Registration.week_reminder_at, WEEK, "reminder_week"),
    ):
        stmt = (
            sa.select(Registration)
            .join(Registration.gathering)
            .where(
                Gathering.status == GatheringStatus.PUBLISHED,
                Gathering.starts_at > now,
                Gathering.starts_at <= now + window,
                Registration.state.in_(HOLDS_PLACE),
                column.is_(None),
            )
            .options(selectinload(Registration.user), selectinload(Registration.gathering))
            .with_for_update(of=Registration)
        )
        for registration in db.session.scalars(stmt):
            _tell(registration, registration.gathering, event)
            if event == "reminder_day":
                registration.day_reminder_at = now
                # A week's reminder after the day's would come too late: it is not sent.
                registration.week_reminder_at = registration.week_reminder_at or now
            else:
                registration.week_reminder_at = now
            sent += 1
        db.session.flush()
    return sent

"""Gatherings: publishing them, reading them in the reader's language, and who may organize.

Who organizes a gathering is decided once, by :func:`may_organize`: moderators, and the
coordinators (app/services/coordinators.py) of a campaign the gathering is linked to. Every
organizer tool (edit, publish, programme, registrants and their needs, messages, export,
attendance) asks it. A coordinator who is not a moderator links a gathering only to campaigns
they coordinate, and to at least one of them (:func:`_campaigns_for`).

Public reading follows the network's visibility rule (app/services/visibility.py): organizing
and supporting organizations, and organizations named as registrants, appear only while they are
publicly listed; registrants are named under the pledge rule (``directory.named_visibilities``);
a person registering alone is never named. Drafts are seen by organizers only.

Registration itself (places, waiting list, approval, reminders) is in
app/services/registrations.py.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytz
import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.orm import aliased, joinedload, selectinload

from app.extensions import db
from app.models import (
    AuditAction,
    Campaign,
    Gathering,
    GatheringCampaign,
    GatheringOrganization,
    GatheringProject,
    GatheringRole,
    GatheringSession,
    GatheringSessionTranslation,
    GatheringStatus,
    GatheringTranslation,
    Organization,
    Project,
    User,
)
from app.models.base import utcnow
from app.numbers import parse_number
from app.services import DomainError, NotAllowed, audit, coordinators
from app.services.text import check_one_line
from app.services.visibility import is_publicly_listed, publicly_listed

SOURCE_LOCALE = "en"
TITLE_MAX_LENGTH = 200
TEXT_MAX_LENGTH = 20_000
CITY_MAX_LENGTH = 120
VENUE_MAX_LENGTH = 200
URL_MAX_LENGTH = 300
SESSION_TITLE_MAX_LENGTH = 200
ROOM_MAX_LENGTH = 120
SPEAKERS_MAX_LENGTH = 500
TRANSLATED_FIELDS = ("title", "description", "logistics", "visa_notice", "outcome")
SESSION_TRANSLATED_FIELDS = ("title", "speakers")


# --- Who organizes ----------------------------------------------------------------------


def may_organize(user: Any, gathering: Gathering | None = None) -> bool:
    """Whether ``user`` may create, edit and publish ``gathering`` (None: a new one) and see its
    registrants with their needs. The one decision: moderators always; a member who may
    coordinate a campaign the gathering is linked to (a new gathering: who coordinates at least
    one campaign)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.is_moderator:
        return True
    if gathering is None:
        return coordinators.coordinates_any(user)
    return coordinators.coordinates_any(user, [link.campaign_id for link in gathering.campaign_links])


def require_organizer(user: Any, gathering: Gathering | None = None) -> None:
    if not may_organize(user, gathering):
        raise NotAllowed(_("Only the organizers of a gathering may do this."))


# --- Writing ----------------------------------------------------------------------------


@dataclass
class GatheringFields:
    """What an organizer types about a gathering (its main text, in English)."""

    title: str
    starts_at: datetime  # local time in ``time_zone`` (naive) or aware
    ends_at: datetime
    time_zone: str = "Asia/Baghdad"
    description: str = ""
    logistics: str = ""
    visa_notice: str = ""
    outcome: str = ""
    city: str = ""
    country: str | None = None
    venue: str = ""
    online_url: str | None = None
    campaign_ids: Sequence[int] = field(default_factory=list)
    organizer_ids: Sequence[int] = field(default_factory=list)
    supporter_ids: Sequence[int] = field(default_factory=list)
    project_ids: Sequence[int] = field(default_factory=list)


def to_utc(moment: datetime, zone_name: str) -> datetime:
    """A moment typed in the gathering's zone, in UTC (aware moments are only converted)."""
    if moment.tzinfo is not None:
        return moment.astimezone(UTC)
    zone = pytz.timezone(zone_name)
    return zone.localize(moment).astimezone(UTC)


def in_zone(moment: datetime, zone_name: str) -> datetime:
    """A stored moment as a naive local time of ``zone_name`` (to fill a form)."""
    return moment.astimezone(pytz.timezone(zone_name)).replace(tzinfo=None)


def _slugify(title: str) -> str:
    text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60]
    return slug or "gathering"


# Addresses of the area's own pages, never a gathering's slug.
RESERVED_SLUGS = frozenset({"new", "manage", "past", "calendar"})


def _unique_slug(title: str) -> str:
    base = _slugify(title)
    if base in RESERVED_SLUGS:
        base = f"{base}-gathering"
    taken = set(
        db.session.scalars(
            sa.select(Gathering.slug).where(sa.or_(Gathering.slug == base, Gathering.slug.like(f"{base}-%")))
        )
    )
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def _check_fields(fields: GatheringFields) -> None:
    title = (fields.title or "").strip()
    if not title:
        raise DomainError(_("Give the gathering a title."))
    if len(title) > TITLE_MAX_LENGTH:
        raise DomainError(_("The title may be at most %(max)d characters long.", max=TITLE_MAX_LENGTH))
    check_one_line(title)
    for value in (fields.city, fields.venue):
        check_one_line(value or "")
    if fields.time_zone not in pytz.all_timezones_set:
        raise DomainError(_("Choose a known time zone."))
    if fields.ends_at < fields.starts_at:
        raise DomainError(_("A gathering cannot end before it starts."))
    if fields.online_url and not fields.online_url.startswith("https://"):
        raise DomainError(_("The online link must begin with https://."))
    for text in (fields.description, fields.logistics, fields.visa_notice, fields.outcome):
        if len(text or "") > TEXT_MAX_LENGTH:
            raise DomainError(_("A text may be at most %(max)d characters long.", max=TEXT_MAX_LENGTH))
    if not (fields.city or "").strip() and not fields.online_url:
        raise DomainError(_("Give a city, or a link for an online gathering."))


def _apply(gathering: Gathering, fields: GatheringFields) -> None:
    gathering.title = fields.title.strip()
    gathering.description = (fields.description or "").strip()
    gathering.logistics = (fields.logistics or "").strip()
    gathering.visa_notice = (fields.visa_notice or "").strip()
    gathering.outcome = (fields.outcome or "").strip()
    gathering.time_zone = fields.time_zone
    gathering.starts_at = to_utc(fields.starts_at, fields.time_zone)
    gathering.ends_at = to_utc(fields.ends_at, fields.time_zone)
    gathering.city = (fields.city or "").strip()
    gathering.country = fields.country or None
    gathering.venue = (fields.venue or "").strip()
    gathering.online_url = (fields.online_url or "").strip() or None
    _set_links(gathering, fields)


def _set_links(gathering: Gathering, fields: GatheringFields) -> None:
    campaign_ids = set(fields.campaign_ids)
    known = set(db.session.scalars(sa.select(Campaign.id).where(Campaign.id.in_(campaign_ids))))
    gathering.campaign_links = [GatheringCampaign(campaign_id=cid) for cid in sorted(known)]
    roles = {oid: GatheringRole.SUPPORTER for oid in fields.supporter_ids}
    roles.update({oid: GatheringRole.ORGANIZER for oid in fields.organizer_ids})
    known = set(db.session.scalars(sa.select(Organization.id).where(Organization.id.in_(roles))))
    gathering.organizations = [
        GatheringOrganization(organization_id=oid, role=roles[oid]) for oid in sorted(known)
    ]
    project_ids = set(fields.project_ids)
    known = set(db.session.scalars(sa.select(Project.id).where(Project.id.in_(project_ids))))
    gathering.project_links = [GatheringProject(project_id=pid) for pid in sorted(known)]


def _campaigns_for(actor: User, gathering: Gathering | None, fields: GatheringFields) -> GatheringFields:
    """The campaign links a coordinator who is not a moderator may set: only campaigns they
    coordinate, at least one of them; links a moderator made to other campaigns stay as they
    are. Raises DomainError otherwise."""
    if actor.is_moderator:
        return fields
    mine = coordinators.coordinated_campaign_ids(actor)
    kept = set()
    if gathering is not None:
        kept = {link.campaign_id for link in gathering.campaign_links} - mine
    wanted = set(fields.campaign_ids)
    if wanted - mine - kept:
        raise DomainError(_("You may link a gathering only to campaigns you coordinate."))
    if not wanted & mine:
        raise DomainError(_("Link the gathering to at least one campaign you coordinate."))
    return replace(fields, campaign_ids=sorted(wanted | kept))


def create_gathering(actor: User, fields: GatheringFields) -> Gathering:
    """A new gathering, as a draft only its organizers see."""
    require_organizer(actor)
    _check_fields(fields)
    fields = _campaigns_for(actor, None, fields)
    gathering = Gathering(slug=_unique_slug(fields.title), status=GatheringStatus.DRAFT)
    db.session.add(gathering)
    _apply(gathering, fields)
    db.session.flush()
    return gathering


def update_gathering(actor: User, gathering: Gathering, fields: GatheringFields) -> Gathering:
    require_organizer(actor, gathering)
    _check_fields(fields)
    fields = _campaigns_for(actor, gathering, fields)
    _apply(gathering, fields)
    db.session.flush()
    return gathering


def publish(actor: User, gathering: Gathering) -> None:
    require_organizer(actor, gathering)
    if gathering.status == GatheringStatus.PUBLISHED:
        return
    if gathering.status == GatheringStatus.CANCELLED:
        raise DomainError(_("A cancelled gathering cannot be published again."))
    gathering.status = GatheringStatus.PUBLISHED
    gathering.published_at = utcnow()
    audit.record(actor, AuditAction.GATHERING_PUBLISHED, target_type="gathering", target_id=gathering.id)
    db.session.flush()


def cancel(actor: User, gathering: Gathering, reason: str = "") -> None:
    """Cancel a gathering: it stays on its page, marked cancelled; its registrants are told
    (app/services/registrations.py)."""
    from app.services import registrations

    require_organizer(actor, gathering)
    if gathering.status == GatheringStatus.CANCELLED:
        return
    was_published = gathering.status == GatheringStatus.PUBLISHED
    gathering.status = GatheringStatus.CANCELLED
    gathering.cancelled_at = utcnow()
    audit.record(
        actor, AuditAction.GATHERING_CANCELLED, target_type="gathering", target_id=gathering.id, reason=reason
    )
    if was_published:
        registrations.tell_cancelled(gathering)
    db.session.flush()


def save_translation(
    actor: User,
    gathering: Gathering,
    locale: str,
    texts: dict[str, str],
    session_texts: dict[int, dict[str, str]] | None = None,
) -> None:
    """The gathering's texts in ``locale`` (any language but English), and those of its
    programme's sessions (``session_texts``: title and speakers by session id); empty fields fall
    back to the main text; all empty removes the translation. Raises DomainError (nothing
    written) on a text too long, on two lines, or for a session of another gathering."""
    require_organizer(actor, gathering)
    if locale not in translation_locales():
        raise DomainError(_("Choose one of the site's languages."))
    values = {name: (texts.get(name) or "").strip() for name in TRANSLATED_FIELDS}
    if len(values["title"]) > TITLE_MAX_LENGTH:
        raise DomainError(_("The title may be at most %(max)d characters long.", max=TITLE_MAX_LENGTH))
    check_one_line(values["title"])
    if any(len(v) > TEXT_MAX_LENGTH for v in values.values()):
        raise DomainError(_("A text may be at most %(max)d characters long.", max=TEXT_MAX_LENGTH))
    sessions = _checked_session_texts(gathering, session_texts or {})
    _save_translation(
        db.session.get(GatheringTranslation, (gathering.id, locale)),
        values,
        lambda: GatheringTranslation(gathering_id=gathering.id, locale=locale),
    )
    rows = _session_translation_rows([s.id for s, _v in sessions], locale)
    for session, session_values in sessions:
        _save_translation(
            rows.get(session.id),
            session_values,
            lambda session=session: GatheringSessionTranslation(session_id=session.id, locale=locale),
        )
    db.session.flush()


def _checked_session_texts(
    gathering: Gathering, session_texts: dict[int, dict[str, str]]
) -> list[tuple[GatheringSession, dict[str, str]]]:
    by_id = {s.id: s for s in gathering.sessions}
    checked = []
    for session_id, texts in session_texts.items():
        session = by_id.get(session_id)
        if session is None:
            raise DomainError(_("This session is not in the gathering's programme."))
        values = {name: (texts.get(name) or "").strip() for name in SESSION_TRANSLATED_FIELDS}
        _check_session_texts(values["title"], values["speakers"])
        checked.append((session, values))
    return checked


def _check_session_texts(title: str, speakers: str, room: str = "") -> None:
    if len(title) > SESSION_TITLE_MAX_LENGTH:
        raise DomainError(
            _("Give the session a title of at most %(max)d characters.", max=SESSION_TITLE_MAX_LENGTH)
        )
    for value in (title, room, speakers):
        check_one_line(value or "")
    if len(room or "") > ROOM_MAX_LENGTH or len(speakers or "") > SPEAKERS_MAX_LENGTH:
        raise DomainError(_("The room or the speakers are too long."))


def _save_translation(row: Any, values: dict[str, str], new_row: Callable[[], Any]) -> None:
    """Write ``values`` into a translation row (a gathering's or a session's): the row goes when
    every value is empty, and ``new_row()`` makes one when there was none."""
    if not any(values.values()):
        if row is not None:
            db.session.delete(row)
        return
    if row is None:
        row = new_row()
        db.session.add(row)
    for name, value in values.items():
        setattr(row, name, value)


def _session_translation_rows(
    session_ids: Sequence[int], locale: str
) -> dict[int, GatheringSessionTranslation]:
    """The sessions' translations into ``locale``, in one query (none for English)."""
    if locale == SOURCE_LOCALE or not session_ids:
        return {}
    stmt = sa.select(GatheringSessionTranslation).where(
        GatheringSessionTranslation.session_id.in_(session_ids), GatheringSessionTranslation.locale == locale
    )
    return {row.session_id: row for row in db.session.scalars(stmt)}


def translation_locales() -> list[str]:
    return [loc for loc in current_app.config["LANGUAGES"] if loc != SOURCE_LOCALE]


def add_session(
    actor: User,
    gathering: Gathering,
    *,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    room: str = "",
    speakers: str = "",
    language: str = "en",
    interpretation: Iterable[str] = (),
    translations: dict[str, dict[str, str]] | None = None,
) -> GatheringSession:
    """One item of the programme; times are typed in the gathering's zone; ``translations``:
    its title and speakers in other languages, by locale (empty ones fall back to the main
    text). Raises DomainError, nothing written, on bad input."""
    require_organizer(actor, gathering)
    title = (title or "").strip()
    if not title:
        raise DomainError(
            _("Give the session a title of at most %(max)d characters.", max=SESSION_TITLE_MAX_LENGTH)
        )
    _check_session_texts(title, speakers, room)
    translated = {}
    for locale, texts in (translations or {}).items():
        if locale not in translation_locales():
            raise DomainError(_("Choose one of the site's languages."))
        values = {name: (texts.get(name) or "").strip() for name in SESSION_TRANSLATED_FIELDS}
        _check_session_texts(values["title"], values["speakers"])
        if any(values.values()):
            translated[locale] = values
    languages = current_app.config["LANGUAGES"]
    interpreted = [loc for loc in interpretation if loc != language]
    if language not in languages or any(loc not in languages for loc in interpreted):
        raise DomainError(_("Choose languages among the site's languages."))
    starts, ends = to_utc(starts_at, gathering.time_zone), to_utc(ends_at, gathering.time_zone)
    if ends < starts:
        raise DomainError(_("A session cannot end before it starts."))
    session = GatheringSession(
        gathering=gathering,
        title=title,
        starts_at=starts,
        ends_at=ends,
        room=(room or "").strip(),
        speakers=(speakers or "").strip(),
        language=language,
        interpretation=" ".join(sorted(set(interpreted))),
        translations=[
            GatheringSessionTranslation(locale=loc, **values) for loc, values in translated.items()
        ],
    )
    db.session.add(session)
    db.session.flush()
    return session


def remove_session(actor: User, session: GatheringSession) -> None:
    require_organizer(actor, session.gathering)
    db.session.delete(session)
    db.session.flush()


# --- Reading ----------------------------------------------------------------------------


def _public_statuses() -> tuple[GatheringStatus, ...]:
    return (GatheringStatus.PUBLISHED, GatheringStatus.CANCELLED)


def _upcoming(now: datetime) -> sa.ColumnElement[bool]:
    """Public and not ended: the upcoming list (cancelled ones included, marked)."""
    return sa.and_(Gathering.status.in_(_public_statuses()), Gathering.ends_at >= now)


def _past(now: datetime) -> sa.ColumnElement[bool]:
    """Published and ended: the past list, and the gatherings with an outcome page."""
    return sa.and_(Gathering.status == GatheringStatus.PUBLISHED, Gathering.ends_at < now)


def has_outcome_page(gathering: Gathering, now: datetime | None = None) -> bool:
    """Whether the gathering's outcome page is public (the rule of :func:`_past`)."""
    return gathering.status == GatheringStatus.PUBLISHED and gathering.ends_at < (now or utcnow())


def _shown(now: datetime) -> sa.ColumnElement[bool]:
    """Every gathering anyone may see: all but drafts, as :func:`get_gathering` decides for a
    visitor (a cancelled one stays on its page, marked)."""
    return Gathering.status.in_(_public_statuses())


class InvalidGatheringCursor(ValueError):
    """An ``after`` cursor that no page of :func:`open_gatherings` could have made (the API
    answers 400)."""


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_LAST_MICROSECOND = (datetime.max.replace(tzinfo=UTC) - _EPOCH) // timedelta(microseconds=1)


def gathering_cursor(gathering: Gathering) -> str:
    """A public position in :func:`open_gatherings`' order: the start (microseconds since
    1970, UTC) and the slug."""
    micros = (gathering.starts_at - _EPOCH) // timedelta(microseconds=1)
    return f"{micros}~{gathering.slug}"


def _parse_gathering_cursor(cursor: str) -> tuple[datetime, str]:
    micros, _sep, slug = cursor.partition("~")
    instant = parse_number(micros, maximum=_LAST_MICROSECOND)
    if instant is None or not slug or "~" in slug:
        raise InvalidGatheringCursor(cursor)
    return _EPOCH + timedelta(microseconds=instant), slug


def open_gatherings(
    *,
    campaign: Campaign | None = None,
    when: str | None = None,
    country: str | None = None,
    after: str | None = None,
    limit: int = 20,
    now: datetime | None = None,
) -> tuple[list[Gathering], bool]:
    """The gatherings anyone may see (:func:`_shown`), by start time, one page after the
    cursor ``after`` (a :func:`gathering_cursor`), with what their open-data records show;
    ``when`` is ``"upcoming"`` (soonest first) or ``"past"`` (most recent first); without it,
    all by start time. Ties go by slug. Returns the page and whether more follow. Raises
    InvalidGatheringCursor."""
    now = now or utcnow()
    condition = {"upcoming": _upcoming(now), "past": _past(now)}.get(when or "", _shown(now))
    newest_first = when == "past"
    if newest_first:
        order = (Gathering.starts_at.desc(), Gathering.slug.desc())
    else:
        order = (Gathering.starts_at.asc(), Gathering.slug.asc())
    stmt = (
        sa.select(Gathering)
        .where(condition)
        .options(
            selectinload(Gathering.translations),
            selectinload(Gathering.organizations).joinedload(GatheringOrganization.organization),
            selectinload(Gathering.campaign_links).joinedload(GatheringCampaign.campaign),
        )
        .order_by(*order)
        .limit(limit + 1)
    )
    if campaign is not None:
        stmt = stmt.where(
            sa.exists().where(
                GatheringCampaign.gathering_id == Gathering.id, GatheringCampaign.campaign_id == campaign.id
            )
        )
    if country is not None:
        stmt = stmt.where(Gathering.country == country)
    if after is not None:
        moment, slug = _parse_gathering_cursor(after)
        start, same_start = Gathering.starts_at, Gathering.starts_at == moment
        if newest_first:
            stmt = stmt.where(sa.or_(start < moment, sa.and_(same_start, Gathering.slug < slug)))
        else:
            stmt = stmt.where(sa.or_(start > moment, sa.and_(same_start, Gathering.slug > slug)))
    rows = list(db.session.scalars(stmt))
    return rows[:limit], len(rows) > limit


def open_gathering(slug: str) -> Gathering | None:
    """One gathering as a visitor sees it (no draft), with its page's data and translations."""
    gathering = get_gathering(slug, None)
    if gathering is None:
        return None
    gathering.translations  # noqa: B018 - one more query, for the record's languages
    return gathering


def public_gathering_paths(batch: int = 200, now: datetime | None = None):
    """``(slug, has_outcome_page)`` of every gathering anyone may see, by slug, read in batches
    (the sitemap)."""
    now = now or utcnow()
    after = ""
    while True:
        rows = db.session.execute(
            sa.select(Gathering.slug, Gathering.status, Gathering.ends_at)
            .where(_shown(now), Gathering.slug > after)
            .order_by(Gathering.slug)
            .limit(batch)
        ).all()
        for slug, status, ends_at in rows:
            yield slug, status == GatheringStatus.PUBLISHED and ends_at < now
        if len(rows) < batch:
            return
        after = rows[-1][0]


def newest_published(limit: int) -> list[Gathering]:
    """The gatherings most recently published (still public), newest first: the network feed."""
    stmt = (
        sa.select(Gathering)
        .where(Gathering.status == GatheringStatus.PUBLISHED, Gathering.published_at.is_not(None))
        .order_by(Gathering.published_at.desc(), Gathering.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def _page(stmt: sa.Select, page: int) -> Pagination:
    return db.paginate(
        stmt, page=page, per_page=current_app.config["PAGE_SIZE"], error_out=True, max_per_page=100
    )


def upcoming_page(page: int = 1, now: datetime | None = None) -> Pagination:
    """Published (and cancelled) gatherings that have not ended, soonest first."""
    now = now or utcnow()
    stmt = sa.select(Gathering).where(_upcoming(now)).order_by(Gathering.starts_at, Gathering.id)
    return _page(stmt, page)


def past_page(page: int = 1, now: datetime | None = None) -> Pagination:
    """Gatherings that have ended, newest first."""
    now = now or utcnow()
    stmt = sa.select(Gathering).where(_past(now)).order_by(Gathering.starts_at.desc(), Gathering.id.desc())
    return _page(stmt, page)


def all_page(actor: User, page: int = 1) -> Pagination:
    """The gatherings ``actor`` may organize, drafts included, newest first: the organizers'
    list (a moderator: every gathering; a coordinator: those linked to a campaign they
    coordinate, as :func:`may_organize` decides)."""
    require_organizer(actor)
    stmt = sa.select(Gathering).order_by(Gathering.starts_at.desc(), Gathering.id.desc())
    if not actor.is_moderator:
        mine = coordinators.coordinated_campaign_ids(actor)
        stmt = stmt.where(
            sa.exists().where(
                GatheringCampaign.gathering_id == Gathering.id, GatheringCampaign.campaign_id.in_(mine)
            )
        )
    return _page(stmt, page)


def upcoming(limit: int, now: datetime | None = None) -> list[Gathering]:
    """The next published gatherings (the calendar feed, the home page)."""
    now = now or utcnow()
    stmt = (
        sa.select(Gathering)
        .where(Gathering.status == GatheringStatus.PUBLISHED, Gathering.ends_at >= now)
        .order_by(Gathering.starts_at, Gathering.id)
        .limit(limit)
        .options(selectinload(Gathering.sessions))
    )
    return list(db.session.scalars(stmt))


HOME_PAGE_SIZE = 3


def home_page(
    locale: str, limit: int = HOME_PAGE_SIZE, now: datetime | None = None
) -> list[LocalizedGathering]:
    """The next published gatherings that have not ended, soonest first, with their texts in
    ``locale`` (falling back to English): one query, whatever the language (the home page)."""
    now = now or utcnow()
    translation = aliased(GatheringTranslation)
    stmt = (
        sa.select(Gathering, translation)
        .outerjoin(
            translation, sa.and_(translation.gathering_id == Gathering.id, translation.locale == locale)
        )
        .where(Gathering.status == GatheringStatus.PUBLISHED, Gathering.ends_at >= now)
        .order_by(Gathering.starts_at, Gathering.id)
        .limit(limit)
    )
    return [_localized(gathering, row, locale) for gathering, row in db.session.execute(stmt)]


def get_gathering(slug: str, viewer: Any = None) -> Gathering | None:
    """A gathering with everything its page shows; drafts only for its organizers."""
    stmt = (
        sa.select(Gathering)
        .where(Gathering.slug == slug)
        .options(
            selectinload(Gathering.sessions),
            selectinload(Gathering.registration_types),
            selectinload(Gathering.organizations).joinedload(GatheringOrganization.organization),
            selectinload(Gathering.campaign_links).joinedload(GatheringCampaign.campaign),
            selectinload(Gathering.project_links)
            .joinedload(GatheringProject.project)
            .joinedload(Project.organization),
        )
    )
    gathering = db.session.scalar(stmt)
    if gathering is None:
        return None
    if gathering.status == GatheringStatus.DRAFT and not may_organize(viewer, gathering):
        return None
    return gathering


def get_session(gathering: Gathering, session_id: int) -> GatheringSession | None:
    return next((s for s in gathering.sessions if s.id == session_id), None)


def shown_organizations(gathering: Gathering, role: GatheringRole) -> list[Organization]:
    """The organizing (or supporting) organizations in public view, by name."""
    organizations = [
        link.organization
        for link in gathering.organizations
        if link.role == role and is_publicly_listed(link.organization)
    ]
    return sorted(organizations, key=lambda o: (o.name.casefold(), o.id))


def shown_projects(gathering: Gathering) -> list[Project]:
    """Projects that came out of the gathering, as the public may see them (not hidden, of an
    organization in public view)."""
    return [
        link.project
        for link in gathering.project_links
        if link.project.hidden_at is None and is_publicly_listed(link.project.organization)
    ]


def linked_campaigns(gathering: Gathering) -> list[Campaign]:
    return sorted((link.campaign for link in gathering.campaign_links), key=lambda c: (c.position, c.id))


def organization_choices() -> list[Organization]:
    """Organizations an organizer may name as organizing or supporting: those in public view."""
    return list(
        db.session.scalars(sa.select(Organization).where(publicly_listed()).order_by(Organization.name))
    )


def project_choices() -> list[Project]:
    stmt = (
        sa.select(Project)
        .join(Project.organization)
        .where(Project.hidden_at.is_(None), publicly_listed())
        .options(joinedload(Project.organization))
        .order_by(Project.title)
    )
    return list(db.session.scalars(stmt))


# --- In the reader's language -----------------------------------------------------------


@dataclass(frozen=True)
class LocalizedGathering:
    """A gathering's texts in one language, each falling back to the main (English) text;
    ``langs`` says which language each shown text is in."""

    gathering: Gathering
    title: str
    description: str
    logistics: str
    visa_notice: str
    outcome: str
    langs: dict[str, str]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.gathering, name)


def localized_gatherings(gatherings: Sequence[Gathering], locale: str) -> list[LocalizedGathering]:
    """The gatherings in ``locale``: one query for all their translations (none in English)."""
    rows: dict[int, GatheringTranslation] = {}
    ids = [g.id for g in gatherings]
    if locale != SOURCE_LOCALE and ids:
        stmt = sa.select(GatheringTranslation).where(
            GatheringTranslation.gathering_id.in_(ids), GatheringTranslation.locale == locale
        )
        rows = {row.gathering_id: row for row in db.session.scalars(stmt)}
    return [_localized(gathering, rows.get(gathering.id), locale) for gathering in gatherings]


def _localized(gathering: Gathering, row: GatheringTranslation | None, locale: str) -> LocalizedGathering:
    texts, langs = {}, {}
    for name in TRANSLATED_FIELDS:
        value = getattr(row, name, "") if row is not None else ""
        texts[name] = value or getattr(gathering, name)
        langs[name] = locale if value else SOURCE_LOCALE
    return LocalizedGathering(gathering=gathering, langs=langs, **texts)


def localized_gathering(gathering: Gathering, locale: str) -> LocalizedGathering:
    return localized_gatherings([gathering], locale)[0]


def translation_of(gathering: Gathering, locale: str) -> GatheringTranslation | None:
    return db.session.get(GatheringTranslation, (gathering.id, locale))


def session_translations_of(gathering: Gathering, locale: str) -> dict[int, GatheringSessionTranslation]:
    """The programme's translations into ``locale`` by session id (the organizer's form)."""
    return _session_translation_rows([s.id for s in gathering.sessions], locale)


@dataclass(frozen=True)
class LocalizedSession:
    """A programme session's title and speakers in one language, each falling back to the main
    (English) text; ``langs`` says which language each shown text is in."""

    session: GatheringSession
    title: str
    speakers: str
    langs: dict[str, str]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.session, name)


def localized_sessions(sessions: Sequence[GatheringSession], locale: str) -> list[LocalizedSession]:
    """The sessions in ``locale``: one query for all their translations (none in English)."""
    rows = _session_translation_rows([s.id for s in sessions], locale)
    shown = []
    for session in sessions:
        row = rows.get(session.id)
        texts, langs = {}, {}
        for name in SESSION_TRANSLATED_FIELDS:
            value = getattr(row, name, "") if row is not None else ""
            texts[name] = value or getattr(session, name)
            langs[name] = locale if value else SOURCE_LOCALE
        shown.append(LocalizedSession(session=session, langs=langs, **texts))
    return shown


def localized_session(session: GatheringSession, locale: str) -> LocalizedSession:
    return localized_sessions([session], locale)[0]

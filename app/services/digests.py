"""Digests: one mail per follower and period with what happened on what they follow.

``send_due(period)`` (``flask --app wsgi digests send --period daily|weekly``, run by the
systemd timers of deploy/systemd/) builds, for each follower whose follows ask for that period,
one mail in the follower's language, grouped by what they follow (a campaign, an organization,
a project), and queues it through the outbox (which sends after the commit and retries on
failure).

What a digest shows is decided when it is built, by the same rules as the pages
(app/services/visibility.py, app/services/directory.py): a visitor's address reads what a
visitor reads; a member of an approved organization (or a moderator) also the members-only
supporters and links; counted-only pledges are never named; nothing from an organization out of
public view (pending, rejected, suspended, dark, delisted, being deleted) appears, nor a hidden
project or a deleted update.

Each member's digest also carries their notifications waiting for that period (a moderator's
applications, a member's decisions, ... chosen "daily" or "weekly"; in the daily digest also
the "at once" ones the hourly allowance held back), each described again for its reader
(app/services/notifications.py), and marked as mailed. For a member, what of a followed subject
a digest carries follows their choice per kind (updates, supporters, projects;
``notifications.follow_period``). No digest goes to a bounced address.

Never twice: a ``DigestDelivery`` row per follower, period kind and period (its unique
constraint), written in the same transaction as the queued mail (whose outbox key is the same),
so running the command again for the same period sends nothing more. Each digest covers what
happened since the follower's previous digest of that kind (at most one period back). One mail
per follower and period is also the rate limit per recipient.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import (
    Campaign,
    DigestDelivery,
    Follow,
    Organization,
    Pledge,
    Project,
    ProjectCampaign,
    Update,
    User,
)
from app.models.base import utcnow
from app.services import following, mail, notifications, tokens, translations
from app.services.directory import link_visibilities, named_visibilities
from app.services.updates import _shown_updates
from app.services.visibility import publicly_listed

PERIODS = {"daily": timedelta(days=1), "weekly": timedelta(days=7)}
ITEMS_PER_SECTION = 20
SUBJECT = {
    "daily": _l("Your daily Tadamun digest"),
    "weekly": _l("Your weekly Tadamun digest"),
}


def period_key(period: str, now: datetime) -> str:
    """The period a run belongs to: the UTC day, or the ISO week."""
    if period == "daily":
        return now.strftime("%Y-%m-%d")
    year, week, _day = now.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass
class Section:
    """What happened on one followed subject, in the reader's language."""

    kind: str
    title: str
    url: str
    unsubscribe: str
    updates: list[tuple[str, str]] = field(default_factory=list)  # (title, url)
    supporters: list[str] = field(default_factory=list)
    projects: list[tuple[str, str]] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.updates or self.supporters or self.projects)


@dataclass(frozen=True)
class Reader:
    follower_key: str
    viewer: User | None  # None: a visitor's address (reads what a visitor reads)
    email: str
    locale: str
    time_zone: str | None


def _reader(row: Follow) -> Reader | None:
    if row.user_id is not None:
        user = db.session.get(User, row.user_id)
        if user is None or user.email_confirmed_at is None:
            return None
        return Reader(row.follower_key, user, user.email, user.locale or "en", user.time_zone)
    if not row.email:
        return None
    return Reader(row.follower_key, None, row.email, row.locale or "en", None)


def _update_lines(
    stmt: sa.Select, locale: str, since: datetime, until: datetime, url_of
) -> list[tuple[str, str]]:
    rows = db.session.scalars(
        stmt.where(Update.created_at >= since, Update.created_at < until).limit(ITEMS_PER_SECTION)
    ).unique()
    lines = []
    for update in rows:
        text = update.text_in(locale)
        if text is not None:
            lines.append((text.title, url_of(update)))
    return lines


def _supporter_names(
    stmt: sa.Select, viewer: Any, locale: str, since: datetime, until: datetime
) -> list[str]:
    """Organizations the reader may see named, who pledged in the window (never counted-only)."""
    pledges = db.session.scalars(
        stmt.join(Pledge.organization)
        .where(
            Pledge.withdrawn_at.is_(None),
            Pledge.visibility.in_(named_visibilities(viewer)),
            publicly_listed(Organization),
            Pledge.created_at >= since,
            Pledge.created_at < until,
        )
        .options(joinedload(Pledge.organization))
        .order_by(Pledge.created_at, Pledge.id)
        .limit(ITEMS_PER_SECTION)
    )
    return [pledge.organization.name_in(locale) for pledge in pledges]


def _visible_projects() -> sa.Select:
    return (
        sa.select(Project)
        .join(Project.organization)
        .where(Project.hidden_at.is_(None), publicly_listed(Organization))
    )


def _project_url(project: Project) -> str:
    return tokens.external_url("projects.detail", key=project.slug)


def _campaign_section(row: Follow, reader: Reader, since: datetime, until: datetime) -> Section | None:
    campaign = db.session.get(Campaign, row.campaign_id)
    if campaign is None:
        return None
    page = tokens.external_url("campaigns.detail", slug=campaign.slug)
    section = Section(
        "campaign", translations.localized_campaign(campaign, reader.locale).title, page,
        following.unsubscribe_url(row),
    )  # fmt: skip
    section.updates = _update_lines(
        _shown_updates().where(Update.campaign_id == campaign.id), reader.locale, since, until,
        lambda u: f"{page}#update-{u.id}",
    )  # fmt: skip
    section.supporters = _supporter_names(
        sa.select(Pledge).where(Pledge.campaign_id == campaign.id), reader.viewer, reader.locale, since, until
    )
    links = db.session.scalars(
        _visible_projects()
        .join(ProjectCampaign, ProjectCampaign.project_id == Project.id)
        .where(
            ProjectCampaign.campaign_id == campaign.id,
            ProjectCampaign.visibility.in_(link_visibilities(reader.viewer)),
            ProjectCampaign.created_at >= since,
            ProjectCampaign.created_at < until,
        )
        .order_by(ProjectCampaign.created_at, Project.id)
        .limit(ITEMS_PER_SECTION)
    )
    section.projects = [(project.title, _project_url(project)) for project in links]
    return section


def _organization_section(row: Follow, reader: Reader, since: datetime, until: datetime) -> Section | None:
    organization = db.session.scalar(
        sa.select(Organization).where(Organization.id == row.organization_id, publicly_listed(Organization))
    )
    if organization is None:
        return None  # out of public view: nothing of it, not even its name
    page = tokens.external_url("organizations.detail", slug=organization.slug)
    section = Section(
        "organization", organization.name_in(reader.locale), page, following.unsubscribe_url(row)
    )
    section.updates = _update_lines(
        _shown_updates().where(Update.organization_id == organization.id), reader.locale, since, until,
        lambda u: (
            tokens.external_url("campaigns.detail", slug=u.campaign.slug) + f"#update-{u.id}"
            if u.campaign is not None else _project_url(u.project) + "#updates"
        ),
    )  # fmt: skip
    projects = db.session.scalars(
        _visible_projects()
        .where(
            Project.organization_id == organization.id,
            Project.created_at >= since,
            Project.created_at < until,
        )
        .order_by(Project.created_at, Project.id)
        .limit(ITEMS_PER_SECTION)
    )
    section.projects = [(project.title, _project_url(project)) for project in projects]
    return section


def _project_section(row: Follow, reader: Reader, since: datetime, until: datetime) -> Section | None:
    project = db.session.scalar(_visible_projects().where(Project.id == row.project_id))
    if project is None:
        return None
    page = _project_url(project)
    section = Section("project", project.title, page, following.unsubscribe_url(row))
    section.updates = _update_lines(
        _shown_updates().where(Update.project_id == project.id, Update.campaign_id.is_(None)),
        reader.locale, since, until, lambda u: f"{page}#updates",
    )  # fmt: skip
    return section


SECTION_BUILDERS: dict[str, Callable[[Follow, Reader, datetime, datetime], Section | None]] = {
    "campaign": _campaign_section,
    "organization": _organization_section,
    "project": _project_section,
}


def _period_of(row: Follow, reader: Reader, kind: str) -> str:
    """When the reader of ``row`` hears of ``kind`` ("update", "supporter", "project") on it."""
    if reader.viewer is None:
        return row.frequency
    return notifications.follow_period(reader.viewer, kind, row.frequency)


def build(
    rows: list[Follow], reader: Reader, since: datetime, until: datetime, period: str | None = None
) -> list[Section]:
    """The non-empty sections of one reader's digest (what they may see, decided now); with
    ``period``, only the kinds of news the reader hears of in that period."""
    sections = []
    with force_locale(reader.locale):
        for row in rows:
            section = SECTION_BUILDERS[row.kind](row, reader, since, until)
            if section is None:
                continue
            if period is not None:
                for kind, name in (
                    ("update", "updates"),
                    ("supporter", "supporters"),
                    ("project", "projects"),
                ):
                    if _period_of(row, reader, kind) != period:
                        setattr(section, name, [])
            if not section.is_empty:
                sections.append(section)
    return sections


def _wants(row: Follow, reader: Reader, period: str) -> bool:
    return any(_period_of(row, reader, kind) == period for kind in notifications.FOLLOWER_KINDS)


@dataclass
class Run:
    readers: int = 0
    sent: int = 0
    already_sent: int = 0
    bounced: int = 0


def _reader_of(follower_key: str, follows: list[Follow], users: dict[int, User]) -> Reader | None:
    if follower_key.startswith("user:"):
        user = users.get(int(follower_key.partition(":")[2]))
        if user is None or user.email_confirmed_at is None:
            return None
        return Reader(follower_key, user, user.email, user.locale or "en", user.time_zone)
    return _reader(follows[0]) if follows else None


def _events(pending: list, reader: Reader, now: datetime) -> list:
    """The reader's waiting notifications as they may read them now; all marked as mailed."""
    shown = []
    with force_locale(reader.locale):
        for row in pending:
            item = notifications.describe(row, reader.viewer, reader.locale)
            if item is not None:
                shown.append(item)
            row.mailed_at = now
    return shown


def _window_start(follower_key: str, period: str, now: datetime) -> datetime:
    previous = db.session.scalar(
        sa.select(sa.func.max(DigestDelivery.window_end)).where(
            DigestDelivery.follower_key == follower_key, DigestDelivery.period == period
        )
    )
    earliest = now - PERIODS[period]
    return max(previous, earliest) if previous is not None else earliest


def send_due(period: str, now: datetime | None = None) -> Run:
    """Queue the digests of ``period`` ("daily" or "weekly") not yet sent for the current period.
    The caller commits (the mails leave after the commit)."""
    if period not in PERIODS:
        raise ValueError(period)
    now = now or utcnow()
    key = period_key(period, now)
    run = Run()
    # A visitor's follows of this period; every member's follows but those set to "never" (their
    # choice per kind may ask for this period).
    rows = list(
        db.session.scalars(
            sa.select(Follow)
            .where(
                sa.or_(
                    Follow.frequency == period,
                    sa.and_(Follow.user_id.is_not(None), Follow.frequency != "never"),
                )
            )
            .order_by(Follow.follower_key, Follow.id)
        )
    )
    by_follower: dict[str, list[Follow]] = {}
    for row in rows:
        by_follower.setdefault(row.follower_key, []).append(row)
    for user_id in notifications.users_with_pending(period):
        by_follower.setdefault(f"user:{user_id}", [])
    users = {
        user.id: user
        for user in db.session.scalars(
            sa.select(User).where(
                User.id.in_([int(k.partition(":")[2]) for k in by_follower if k.startswith("user:")])
            )
        )
    }
    done = set(
        db.session.scalars(
            sa.select(DigestDelivery.follower_key).where(
                DigestDelivery.period == period, DigestDelivery.period_key == key
            )
        )
    )
    bounced = notifications.bounced_among(
        [u.email for u in users.values()] + [r.email for r in rows if r.email]
    )
    for follower_key, all_follows in sorted(by_follower.items()):
        if follower_key in done:
            run.readers += 1
            run.already_sent += 1
            continue
        reader = _reader_of(follower_key, all_follows, users)
        if reader is None:
            continue
        follows = [row for row in all_follows if _wants(row, reader, period)]
        pending = notifications.pending_for_digest(reader.viewer, period) if reader.viewer is not None else []
        if not follows and not pending:
            continue
        run.readers += 1
        if reader.email.lower() in bounced:
            run.bounced += 1
            continue
        since = _window_start(follower_key, period, now)
        sections = build(follows, reader, since, now, period)
        events = _events(pending, reader, now)
        db.session.add(
            DigestDelivery(
                follower_key=follower_key, period=period, period_key=key, window_start=since,
                window_end=now, item_count=len(events) + sum(
                    len(s.updates) + len(s.supporters) + len(s.projects) for s in sections
                ),
            )
        )  # fmt: skip
        if not sections and not events:
            continue
        unsubscribe_all = following.unsubscribe_all_url(follower_key)
        mail.send(
            reader.email,
            _subject(period, reader.locale),
            "digest",
            locale=reader.locale,
            time_zone=reader.time_zone,
            key=f"digest:{period}:{key}:{tokens.fingerprint(follower_key)}",
            headers=following.unsubscribe_headers_for(unsubscribe_all),
            sections=sections,
            events=events,
            period=period,
            unsubscribe_all=unsubscribe_all,
        )
        run.sent += 1
    db.session.flush()
    return run


def _subject(period: str, locale: str) -> str:
    with force_locale(locale):
        return str(SUBJECT[period])

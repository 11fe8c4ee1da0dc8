"""Who looked at an organization's private contact details: recorded where they are shown.

Each time a member of another organization, or a moderator, is shown an organization's
members-only or hidden contact details, the count of that viewer, that organization and that day
(UTC) goes up by one. The **first** view of a day is written in the request, before the page is
shown (an upsert; if it cannot be written, the page is not shown). Later views of the same day by
the same viewer only add to a count that already says who looked and when: this worker counts them
in memory (``ViewTally``) and adds them in one statement once the answer has been sent, at most
``ACCESS_LOG_FLUSH_SECONDS`` later (10 s; 0 writes every view in its request), and when the worker
stops. So a member reading a profile again takes no write lock: on SQLite every such request
queued behind the others' commits. A worker killed outright loses at most those seconds of repeat
counts, never the record that someone looked.

Most profiles show nobody anything private (their details are public, or hidden from all), and
a view of them is never recorded. The worker remembers those too (``note_nothing_private``),
under the page cache's generation token read before the organization was loaded. Any public
write replaces that token, so a detail made private is seen at the next view, which is written
in its request. In the moment between such a commit and the token's replacement, a reader may
still be told no write is needed: that request cannot record the view, so it shows the public
details only (``record_views(..., writable=False)``). Likewise an organization's own members,
whose views are never recorded, read its profile again that day without the write lock; one who
has left it meanwhile is told the same and shown the public details, and their next view is
written in its request.

The two doors are the profile page (``directory.visible_contacts`` decides what a viewer sees
and calls ``record_views``) and the moderators' pages that show an application in
full (``record_review``). The organization reads its log on /account/access-log; nothing of
it is public. Rows are purged after 180 days (``purge_old_access_records``).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app, has_app_context
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.orm import joinedload

from app import database
from app.extensions import db
from app.models import CONTACT_FIELDS, ContactDetailView, Organization, Visibility
from app.models.base import utcnow

RETENTION = timedelta(days=180)
# A worker remembers at most this many (viewer, organization) pairs seen today; past it, it
# forgets them all and the next view of each is written in its request again.
MAX_SETTLED = 50_000
_SETTLING = "tadamun_access_log_settling"  # key in Session.info: pairs written, not yet committed
_TALLY = "tadamun.access_log_tally"  # key in app.extensions

# (organization id, viewer id, viewer's organization id, viewer is a moderator, day)
_Row = tuple[int, int, int | None, bool, date]


def private_fields(organization: Organization, shown: Iterable[str] = CONTACT_FIELDS) -> list[str]:
    """The fields among ``shown`` that hold a value the public does not see."""
    return [
        field
        for field in shown
        if getattr(organization, field) and getattr(organization, f"{field}_visibility") != Visibility.PUBLIC
    ]


def _is_outsider(viewer: Any, organization: Organization) -> bool:
    """A member of another organization, or a moderator: not the organization's own members."""
    if not getattr(viewer, "is_authenticated", False):
        return False
    return viewer.organization_id is None or viewer.organization_id != organization.id


class ViewTally:
    """This worker's memory of the access log: which (viewer, organization slug) pairs have
    today's row committed, and the repeat views counted since the last flush."""

    def __init__(self, flush_seconds: float) -> None:
        self.flush_seconds = flush_seconds
        self.settled: dict[tuple[int, str], date] = {}
        # Organizations (by slug) whose profile showed nobody anything private, and the generation
        # token that was current before they were read: valid while the token is.
        self.nothing_private: dict[str, str] = {}
        # (viewer, organization slug) pairs of the organization's own members, never recorded:
        # kept apart from ``settled``, which also decides what counts as a repeat.
        self.own: dict[tuple[int, str], date] = {}
        self.pending: Counter[_Row] = Counter()
        self.oldest: float | None = None  # time.monotonic() of the oldest pending view
        self.lock = threading.Lock()

    @property
    def on(self) -> bool:
        return self.flush_seconds > 0

    def is_settled(self, viewer_id: int, slug: str, day: date) -> bool:
        return self.settled.get((viewer_id, slug)) == day

    def is_own(self, viewer_id: int, slug: str, day: date) -> bool:
        return self.own.get((viewer_id, slug)) == day

    def note_own(self, viewer_id: int, slug: str, day: date) -> None:
        with self.lock:
            if len(self.own) > MAX_SETTLED:
                self.own.clear()
            self.own[viewer_id, slug] = day

    def forget_own(self, viewer_id: int, slugs: Iterable[str]) -> None:
        with self.lock:
            for slug in slugs:
                self.own.pop((viewer_id, slug), None)

    def has_nothing_private(self, slug: str, token: str) -> bool:
        return bool(token) and self.nothing_private.get(slug) == token

    def note_nothing_private(self, slug: str, token: str) -> None:
        with self.lock:
            if len(self.nothing_private) > MAX_SETTLED:
                self.nothing_private.clear()
            self.nothing_private[slug] = token

    def settle(self, pairs: Iterable[tuple[int, str]], day: date) -> None:
        with self.lock:
            if len(self.settled) > MAX_SETTLED:
                self.settled.clear()
            for pair in pairs:
                self.settled[pair] = day

    def count(self, row: _Row) -> None:
        with self.lock:
            self.pending[row] += 1
            if self.oldest is None:
                self.oldest = time.monotonic()

    def flush_due(self) -> bool:
        """Cheap enough for every request: whether repeat views have waited their time."""
        oldest = self.oldest
        return oldest is not None and time.monotonic() - oldest >= self.flush_seconds

    def take(self) -> Counter[_Row]:
        with self.lock:
            taken, self.pending, self.oldest = self.pending, Counter(), None
            return taken

    def give_back(self, rows: Counter[_Row]) -> None:
        with self.lock:
            self.pending.update(rows)
            if self.oldest is None:
                self.oldest = time.monotonic()


def register(app: Flask) -> ViewTally:
    """Give the application its tally, and commit the settling of pairs with their rows."""
    tally = ViewTally(float(app.config.get("ACCESS_LOG_FLUSH_SECONDS", 0)))
    app.extensions[_TALLY] = tally
    database.listen_once(db.session, "after_commit", _settle_committed)
    database.listen_once(db.session, "after_transaction_end", _forget_uncommitted)
    return tally


def _tally() -> ViewTally | None:
    tally = current_app.extensions.get(_TALLY)
    return tally if tally is not None and tally.on else None


def needs_no_write(viewer_id: int | None, slug: str, token: str) -> bool:
    """True when this worker knows that a view of the profile at ``slug`` by ``viewer_id`` needs
    no write in its request: the organization's profile showed nobody anything private under the
    generation token ``token`` (read before any query of the request; "" when there is none), or
    today's row of the pair is committed (the repeat is tallied), or the viewer is one of the
    organization's own members (never recorded)."""
    tally = _tally()
    if tally is None or viewer_id is None:
        return False
    if tally.has_nothing_private(slug, token):
        return True
    today = utcnow().date()
    return tally.is_settled(viewer_id, slug, today) or tally.is_own(viewer_id, slug, today)


def note_nothing_private(organization: Organization, token: str) -> None:
    """Remember that the profile of ``organization``, read after ``token`` was, shows no reader
    anything private (it may hold hidden details, which the profile shows nobody): views of it
    need no write while the token stays current."""
    tally = _tally()
    if tally is None or not token:
        return
    if not private_fields(organization, organization.visible_contacts(viewer_is_member=True)):
        tally.note_nothing_private(organization.slug, token)


def record_views(
    viewer: Any, organizations: Iterable[Organization], *, now: datetime | None = None, writable: bool = True
) -> bool:
    """Count one view of their private contact details by ``viewer`` for each organization, today.

    The caller has decided that the viewer is shown non-public details of each. The viewer's own
    organization is left out. The first view of the day is one INSERT ... ON CONFLICT DO UPDATE
    for all of them, in the caller's transaction; repeats of a committed one are tallied.

    ``writable``: whether the caller's transaction will be committed. When it will not and a
    first view would need its row written, nothing is counted and False is returned: the caller
    must not show the details. True otherwise."""
    organizations = list(organizations)
    targets = {org.id: org for org in organizations if _is_outsider(viewer, org)}
    day = (now or utcnow()).date()
    tally = _tally()
    if tally is not None and getattr(viewer, "is_authenticated", False):
        # Its own members' views are never recorded: their next ones today need no write lock. A
        # member who leaves it meanwhile is an outsider, whose view such a request cannot record
        # (``writable=False`` below): they are shown the public details only.
        for organization in organizations:
            if organization.id not in targets:
                tally.note_own(viewer.id, organization.slug, day)
    if not targets:
        return True
    repeats: list[_Row] = []
    rows: list[_Row] = []
    for organization_id in sorted(targets):
        row = (organization_id, viewer.id, viewer.organization_id, bool(viewer.is_moderator), day)
        if tally is not None and tally.is_settled(viewer.id, targets[organization_id].slug, day):
            repeats.append(row)
        else:
            rows.append(row)
    if rows and not writable:
        if tally is not None:  # so the next view takes the write lock and is recorded
            tally.forget_own(viewer.id, [targets[row[0]].slug for row in rows])
        return False
    if tally is not None:  # repeats are only found with a tally
        for row in repeats:
            tally.count(row)
    if not rows:
        return True
    _upsert(Counter(dict.fromkeys(rows, 1)))
    if tally is not None:
        settling = db.session.info.setdefault(_SETTLING, [])
        settling.extend((viewer.id, targets[row[0]].slug, day) for row in rows)
    return True


def _upsert(rows: Counter[_Row]) -> None:
    """Add each row's views to its (organization, viewer, day) count, creating it if new."""
    table = ContactDetailView.__table__
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(table).values(
        [
            {
                "organization_id": organization_id,
                "viewer_id": viewer_id,
                "viewer_organization_id": viewer_organization_id,
                "viewer_is_moderator": is_moderator,
                "day": day,
                "views": views,
            }
            for (organization_id, viewer_id, viewer_organization_id, is_moderator, day), views in sorted(
                rows.items()
            )
        ]
    )
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.organization_id, table.c.viewer_id, table.c.day],
        set_={"views": table.c.views + statement.excluded.views},
    )
    db.session.execute(statement)


def tally_of(app: Flask) -> ViewTally | None:
    """The application's tally, when repeat views are counted (not in tests by default)."""
    tally = app.extensions.get(_TALLY)
    return tally if tally is not None and tally.on else None


def add_repeat_views(rows: Counter[_Row]) -> None:
    """Write the repeat views a tally counted (the caller's transaction; app.worker commits it)."""
    _upsert(rows)


def _settle_committed(session) -> None:
    written = session.info.pop(_SETTLING, None)
    if not written or not has_app_context():
        return
    tally = _tally()
    if tally is None:
        return
    by_day: dict[date, list[tuple[int, str]]] = {}
    for viewer_id, slug, day in written:
        by_day.setdefault(day, []).append((viewer_id, slug))
    for day, pairs in by_day.items():
        tally.settle(pairs, day)


def _forget_uncommitted(session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_SETTLING, None)


def record_review(
    moderator: Any, organizations: Iterable[Organization], *, now: datetime | None = None
) -> None:
    """Moderators' pages show an application whole, hidden details included: record a view for
    each organization that has any non-public contact detail."""
    record_views(moderator, [org for org in organizations if private_fields(org)], now=now)


def access_log_page(organization: Organization, page: int = 1, per_page: int | None = None) -> Pagination:
    """The organization's access log, newest day first (two queries)."""
    statement = (
        sa.select(ContactDetailView)
        .where(ContactDetailView.organization_id == organization.id)
        .options(joinedload(ContactDetailView.viewer_organization))
        .order_by(ContactDetailView.day.desc(), ContactDetailView.id.desc())
    )
    # error_out: a page number below 1 or past the last page is a 404, never a 500.
    per_page = per_page or current_app.config["PAGE_SIZE"]
    return db.paginate(statement, page=page, per_page=per_page, error_out=True, max_per_page=100)


def purge_old_access_records(now: datetime) -> int:
    """Delete the access-log rows of days more than 180 days before ``now``. Returns how many."""
    result = db.session.execute(
        sa.delete(ContactDetailView)
        .where(ContactDetailView.day < (now - RETENTION).date())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount

"""Calendars (RFC 5545, written with the icalendar library): a gathering, one session, and the
feed of upcoming gatherings.

Only what the public page shows goes in: title and description in the reader's language, times,
the place or the online link, the page's address. Never a registrant, never a need.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from urllib.parse import urlsplit

from flask import current_app
from icalendar import Calendar, Event

from app.models import Gathering, GatheringStatus
from app.models.base import utcnow
from app.services import tokens
from app.services.gatherings import LocalizedGathering, LocalizedSession

PRODID = "-//Tadamun//Gatherings//EN"


def _domain() -> str:
    return urlsplit(current_app.config["SITE_URL"]).hostname or "tadamun.invalid"


def _calendar(name: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    return calendar


def _location(gathering: Gathering) -> str:
    parts = [p for p in (gathering.venue, gathering.city) if p]
    if gathering.online_url:
        parts.append(gathering.online_url)
    return ", ".join(parts)


def _event(uid: str, title: str, starts_at: datetime, ends_at: datetime, stamp: datetime) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("dtstart", starts_at)
    event.add("dtend", ends_at)
    event.add("summary", title)
    return event


def gathering_event(shown: LocalizedGathering, stamp: datetime | None = None) -> Event:
    gathering = shown.gathering
    url = tokens.external_url("gatherings.detail", slug=gathering.slug)
    event = _event(
        f"gathering-{gathering.id}@{_domain()}",
        shown.title,
        gathering.starts_at,
        gathering.ends_at,
        stamp or utcnow(),
    )
    if shown.description:
        event.add("description", f"{shown.description}\n\n{url}")
    else:
        event.add("description", url)
    event.add("url", url)
    location = _location(gathering)
    if location:
        event.add("location", location)
    event.add("status", "CANCELLED" if gathering.status == GatheringStatus.CANCELLED else "CONFIRMED")
    event.add("last-modified", gathering.updated_at)
    return event


def gathering_calendar(shown: LocalizedGathering) -> bytes:
    calendar = _calendar(shown.title)
    calendar.add_component(gathering_event(shown))
    return calendar.to_ical()


def session_calendar(shown: LocalizedGathering, session: LocalizedSession) -> bytes:
    """One session, its title and speakers in the reader's language (``session``)."""
    gathering = shown.gathering
    url = tokens.external_url("gatherings.detail", slug=gathering.slug) + f"#session-{session.id}"
    calendar = _calendar(session.title)
    event = _event(
        f"gathering-{gathering.id}-session-{session.id}@{_domain()}",
        session.title,
        session.starts_at,
        session.ends_at,
        utcnow(),
    )
    lines = [shown.title]
    if session.speakers:
        lines.append(session.speakers)
    lines.append(url)
    event.add("description", "\n".join(lines))
    event.add("url", url)
    location = ", ".join(p for p in (session.room, _location(gathering)) if p)
    if location:
        event.add("location", location)
    calendar.add_component(event)
    return calendar.to_ical()


def feed_calendar(shown: Iterable[LocalizedGathering], name: str) -> bytes:
    calendar = _calendar(name)
    stamp = utcnow()
    for item in shown:
        calendar.add_component(gathering_event(item, stamp))
    return calendar.to_ical()

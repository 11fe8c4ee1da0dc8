"""Dates and times as people read them: in the reader's time zone and locale, never with seconds.

A pure helper that every layer may use (pages through ``app/templating.py``, mail and exports
in the domain). The reader's time zone is Flask-Babel's (``BABEL_DEFAULT_TIMEZONE``, Iraq's, or
the zone a logged-in member chose, ``app.i18n.select_timezone``); ``force_timezone`` sets another
one for a while, as mail does for its recipient. Machine formats (ISO in JSON, Atom and
``<time datetime>``) stay in UTC and do not come here.
"""

from __future__ import annotations

import functools
import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, time, tzinfo

import pytz
from babel import Locale
from babel import dates as babel_dates
from flask_babel import get_locale, get_timezone

__all__ = [
    "COMMON_ZONES",
    "all_zones",
    "force_timezone",
    "format_date",
    "format_datetime",
    "reader_zone",
    "zone_exists",
    "zone_name",
]

# The zones a member of the network most likely lives in, offered first (after Iraq's, the default).
COMMON_ZONES = (
    "Asia/Amman",
    "Asia/Beirut",
    "Asia/Damascus",
    "Asia/Riyadh",
    "Asia/Kuwait",
    "Asia/Dubai",
    "Asia/Tehran",
    "Europe/Istanbul",
    "Africa/Cairo",
    "Africa/Tunis",
    "Europe/London",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Amsterdam",
    "Europe/Stockholm",
    "Europe/Oslo",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "America/Toronto",
    "Australia/Sydney",
    "UTC",
)

# Dates in Arabic read with the month names used in Iraq (تشرين الثاني, not نوفمبر). Only dates
# take the regional locale; the interface's words stay in the ``ar`` catalog.
_DATE_LOCALES = {"ar": Locale("ar", "IQ")}

_forced_zone: ContextVar[tzinfo | None] = ContextVar("forced_zone", default=None)


@functools.cache
def _known_zones() -> frozenset[str]:
    # Both libraries must know a zone: Flask-Babel reads it with pytz, the list comes from zoneinfo.
    return frozenset(zoneinfo.available_timezones() & set(pytz.all_timezones))


def zone_exists(name: str | None) -> bool:
    """Whether ``name`` is a time zone a member may choose (an IANA name such as ``Asia/Baghdad``)."""
    return bool(name) and name in _known_zones()


@functools.cache
def all_zones() -> tuple[str, ...]:
    """Every zone offered in the full list: the current names (no old aliases), sorted."""
    return tuple(sorted(_known_zones() & set(pytz.common_timezones)))


def zone_name(name: str) -> str:
    """A zone's name in the reader's language, as Babel knows it ("Iraq Time" / "توقيت العراق")."""
    if "/" not in name or name.startswith("Etc/"):
        return name  # UTC and fixed offsets are in no region
    try:
        return f"{babel_dates.get_timezone_location(name, locale=_date_locale())} · {name}"
    except (LookupError, ValueError):
        return name


@contextmanager
def force_timezone(name: str | None) -> Iterator[None]:
    """Format dates in the zone ``name`` (a known zone) for a while, e.g. a mail for its recipient;
    ``None`` or an unknown name: the site's default zone."""
    from flask import current_app

    zone = name if zone_exists(name) else current_app.config["BABEL_DEFAULT_TIMEZONE"]
    token = _forced_zone.set(pytz.timezone(zone))
    try:
        yield
    finally:
        _forced_zone.reset(token)


def reader_zone() -> tzinfo:
    """The zone dates are shown in now: a forced one, else Flask-Babel's for this request."""
    return _forced_zone.get() or get_timezone() or UTC


def start_of_day(day: date) -> datetime:
    """The moment a day begins in the reader's zone, in UTC: a date a person types (a filter's
    "from" and "to") means the day as the pages show it, not a UTC day."""
    zone = reader_zone()
    midnight = datetime.combine(day, time.min)
    # pytz zones need localize(); attaching them with tzinfo= would use the zone's first offset
    local = zone.localize(midnight) if hasattr(zone, "localize") else midnight.replace(tzinfo=zone)
    return local.astimezone(UTC)


def _date_locale() -> Locale | None:
    locale = get_locale()
    if locale is not None and not locale.territory:
        return _DATE_LOCALES.get(locale.language, locale)
    return locale


def _local(value: datetime) -> datetime:
    if value.tzinfo is None:  # naive datetimes are UTC throughout the app
        value = value.replace(tzinfo=UTC)
    return value.astimezone(reader_zone())


def format_date(value: date | datetime, format: str = "medium") -> str:
    """A date (or the day of a datetime, in the reader's time zone) in the reader's locale."""
    if isinstance(value, datetime):
        value = _local(value).date()
    return babel_dates.format_date(value, format, locale=_date_locale())


def format_datetime(value: datetime, format: str = "medium") -> str:
    """A moment in the reader's time zone and locale, to the minute.

    ``format`` names the date's length (``short``, ``medium``, ``long``, ``full``): the time is
    always the locale's short one (hours and minutes, no seconds, no zone). Any other value is a
    Babel pattern."""
    local = _local(value)
    locale = _date_locale()
    if format not in ("short", "medium", "long", "full"):
        return babel_dates.format_datetime(local, format, tzinfo=local.tzinfo, locale=locale)
    time = babel_dates.format_time(local, "short", tzinfo=local.tzinfo, locale=locale)
    day = babel_dates.format_date(local.date(), format, locale=locale)
    pattern = babel_dates.get_datetime_format(format, locale=locale)
    return pattern.replace("'", "").replace("{0}", time).replace("{1}", day)

"""Where a member is logged in: one record per login, listed on /account/sessions, ended there.

Each login (accounts.complete_login) writes a LoginSession that the session and remember-me
cookies point at; the user loader refuses a cookie whose record has ended. What a record keeps
of the browser is coarse on purpose (docs/security.md, "Sessions the member controls"):

- the browser and system *families* ("Firefox", "Android"), parsed here from the User-Agent;
- the country, only when a local GeoIP database file is configured (``GEOIP_DATABASE``, read
  with ``maxminddb``); never a lookup on another site; otherwise unknown;
- the address cut to its network (IPv4 /24, IPv6 /48), never the address itself;
- a hash of the browser's device cookie and the user's id, to tell a new browser from one seen
  before (a login from a new one is mailed to the user).

Records are purged 180 days after their last use (``purge_old_login_records``).
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import secrets
import string
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.models import LoginSession, User
from app.services import DomainError

RETENTION = timedelta(days=180)
# The last use is written at most this often per session: a write per request would cost every
# page a statement (and on SQLite a lock).
TOUCH_INTERVAL = timedelta(minutes=5)

_DEVICE_TOKEN_LENGTH = 43  # secrets.token_urlsafe(32)
_URLSAFE = frozenset(string.ascii_letters + string.digits + "-_")

log = logging.getLogger("app.security")


class SessionNotFound(DomainError):
    """No active login of this user has this id."""


# --- What a record says about the browser ------------------------------------------------------

# Most User-Agents name several browsers (Chrome's says "Safari", Edge's says "Chrome"): the
# first family whose marker appears wins, so the order matters.
_BROWSERS = (
    ("Edge", ("Edg/", "EdgA/", "EdgiOS/", "Edge/")),
    ("Opera", ("OPR/", "OPiOS/", "Opera")),
    ("Samsung Internet", ("SamsungBrowser/",)),
    ("Yandex Browser", ("YaBrowser/",)),
    ("UC Browser", ("UCBrowser/",)),
    ("Firefox", ("Firefox/", "FxiOS/")),
    ("Chrome", ("Chrome/", "CriOS/", "Chromium/")),
    ("Safari", ("Safari/",)),
)
_SYSTEMS = (
    ("Android", ("Android",)),  # before Linux: Android's User-Agent says "Linux" too
    ("iOS", ("iPhone", "iPad", "iPod")),  # before macOS: iOS's says "like Mac OS X"
    ("ChromeOS", ("CrOS",)),
    ("Windows", ("Windows",)),
    ("macOS", ("Macintosh", "Mac OS X")),
    ("Linux", ("Linux", "X11")),
)
MAX_USER_AGENT = 512


def _family(user_agent: str, families: tuple[tuple[str, tuple[str, ...]], ...]) -> str:
    for name, markers in families:
        if any(marker in user_agent for marker in markers):
            return name
    return ""


def browser_family(user_agent: str) -> tuple[str, str]:
    """``(browser, system)`` families of a User-Agent, ``""`` for what is not recognized.

    Coarse on purpose: no versions, no device model, so that the record tells the member which
    browser it was without fingerprinting it."""
    user_agent = (user_agent or "")[:MAX_USER_AGENT]
    return _family(user_agent, _BROWSERS), _family(user_agent, _SYSTEMS)


def network_of(address: str | None) -> str | None:
    """The address cut to its network: ``203.0.113.0/24`` (IPv4), ``2001:db8:1::/48`` (IPv6)."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return None
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def _geoip_reader():
    """The configured GeoIP database, opened once per application; None when there is none."""
    path = current_app.config.get("GEOIP_DATABASE")
    if not path:
        return None
    cached = current_app.extensions.get("geoip")
    if cached is not None and cached[0] == path:
        return cached[1]
    reader = None
    try:
        import maxminddb

        reader = maxminddb.open_database(path)
    except (OSError, ValueError, ImportError) as error:
        # Logged once per application: the site works without places.
        log.warning("GEOIP_DATABASE %s cannot be read (%s): places are unknown", path, type(error).__name__)
    current_app.extensions["geoip"] = (path, reader)
    return reader


def country_of(address: str | None) -> str | None:
    """The ISO country code of an address from the local GeoIP database, or None (no database,
    no entry, a private address). Never asks another site."""
    reader = _geoip_reader()
    if reader is None or not address:
        return None
    try:
        ip = ipaddress.ip_address(address.strip())
        if ip.version == 6 and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped  # ::ffff:a.b.c.d, as a dual-stack server may report it
        found = reader.get(ip)
    except (ValueError, TypeError):  # not an address, or IPv6 in an IPv4-only database
        return None
    if not isinstance(found, dict):
        return None
    for key in ("country", "registered_country"):
        entry = found.get(key)
        code = entry.get("iso_code") if isinstance(entry, dict) else None
        if isinstance(code, str) and len(code) == 2 and code.isascii() and code.isalpha():
            return code.upper()
    return None


@dataclass(frozen=True)
class Client:
    """What a login record keeps of the browser and where it came from."""

    browser: str
    system: str
    country: str | None
    network: str | None

    @classmethod
    def of(cls, user_agent: str | None, address: str | None) -> Client:
        """What to keep of a browser that sent ``user_agent`` from ``address`` (the visitor's
        address: behind PROXY_HOPS proxies, the one ProxyFix found)."""
        browser, system = browser_family(user_agent or "")
        return cls(browser=browser, system=system, country=country_of(address), network=network_of(address))


# --- The device token ----------------------------------------------------------------------------
# The web layer keeps it in a long-lived cookie (app.security); here only what it is worth.


def device_token(value: str | None) -> str:
    """``value`` when it is a device token this site made, else a new one (a forged or damaged
    cookie counts as a new browser)."""
    if value and len(value) == _DEVICE_TOKEN_LENGTH and set(value) <= _URLSAFE:
        return value
    return secrets.token_urlsafe(32)


def device_hash(user: User, token: str) -> str:
    # Salted with the user's id: two accounts logging in from one browser get different hashes,
    # so the table cannot tell that they share a browser.
    return hashlib.sha256(f"{user.id}:{token}".encode()).hexdigest()


# --- Records -------------------------------------------------------------------------------------


def start_session(
    user: User, client: Client, device: str, *, remember: bool, method: str, now: datetime
) -> tuple[LoginSession, bool]:
    """Record a login. Returns the record and whether this browser was new for this account
    (no earlier login record of the user carries its device hash)."""
    hashed = device_hash(user, device)
    known = db.session.scalar(
        sa.select(sa.exists().where(LoginSession.user_id == user.id, LoginSession.device_hash == hashed))
    )
    record = LoginSession(
        user_id=user.id,
        created_at=now,
        last_seen_at=now,
        remember=remember,
        method=method[:20],
        browser=client.browser[:40],
        system=client.system[:40],
        country=client.country,
        network=client.network,
        device_hash=hashed,
    )
    db.session.add(record)
    db.session.flush()
    return record, not known


def _open_login(user_id: int, session_id: int) -> sa.ColumnElement[bool]:
    return sa.and_(
        LoginSession.id == session_id, LoginSession.user_id == user_id, LoginSession.ended_at.is_(None)
    )


def touch(user_id: int, session_id: int, now: datetime) -> None:
    """Move a live record's last use to ``now`` (one UPDATE; nothing when it has ended)."""
    db.session.execute(
        sa.update(LoginSession)
        .where(_open_login(user_id, session_id))
        .values(last_seen_at=now)
        .execution_options(synchronize_session=False)
    )


def _lifetime() -> timedelta:
    return current_app.config["PERMANENT_SESSION_LIFETIME"]


def _live(user: User, now: datetime) -> sa.ColumnElement[bool]:
    """Records whose cookies the loader still accepts: not ended, younger than the session
    lifetime and, for moderators, used within their idle limit (the last use is written every
    few minutes, so that much later)."""
    condition = sa.and_(
        LoginSession.user_id == user.id,
        LoginSession.ended_at.is_(None),
        LoginSession.created_at > now - _lifetime(),
    )
    if user.is_moderator:
        idle = current_app.config["MODERATOR_IDLE_TIMEOUT"] + TOUCH_INTERVAL
        condition = sa.and_(condition, LoginSession.last_seen_at > now - idle)
    return condition


def active_sessions(user: User, now: datetime) -> list[LoginSession]:
    """The user's live logins, the most recently used first."""
    return list(
        db.session.scalars(
            sa.select(LoginSession)
            .where(_live(user, now))
            .order_by(LoginSession.last_seen_at.desc(), LoginSession.id.desc())
        )
    )


def end_session(user: User, session_id: int, now: datetime) -> None:
    """End one of the user's live logins: its cookies are refused from their next request.

    Raises SessionNotFound when the user has no live login with this id (someone else's
    included, so that ids of other users' sessions cannot be probed)."""
    result = db.session.execute(
        sa.update(LoginSession)
        .where(_live(user, now), LoginSession.id == session_id)
        .values(ended_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise SessionNotFound("no such session")
    log.info("session %s of user %s ended by the user", session_id, user.id)


def end_by_id(user_id: int, session_id: int, now: datetime) -> None:
    """End one login whatever its state (the session lifetime or idle limit ended it)."""
    db.session.execute(
        sa.update(LoginSession)
        .where(_open_login(user_id, session_id))
        .values(ended_at=now)
        .execution_options(synchronize_session=False)
    )


def end_other_sessions(user: User, keep_session_id: int | None, now: datetime) -> int:
    """End every live login of the user but ``keep_session_id`` (this browser's). Returns how many."""
    result = db.session.execute(
        sa.update(LoginSession)
        .where(_live(user, now), LoginSession.id != (keep_session_id or 0))
        .values(ended_at=now)
        .execution_options(synchronize_session=False)
    )
    log.info("user %s ended %s other sessions", user.id, result.rowcount)
    return result.rowcount


def end_all_sessions(user: User, now: datetime) -> None:
    """Mark every login of the user ended (logout, a new password, suspension, a role change)."""
    db.session.execute(
        sa.update(LoginSession)
        .where(LoginSession.user_id == user.id, LoginSession.ended_at.is_(None))
        .values(ended_at=now)
        .execution_options(synchronize_session=False)
    )


def purge_old_login_records(now: datetime) -> int:
    """Delete the login records last used more than 180 days before ``now``. Returns how many.

    Such a record cannot be live (a login lasts 12 hours at most); its device hash goes with
    it, so a browser unused for 180 days counts as new again."""
    result = db.session.execute(
        sa.delete(LoginSession)
        .where(LoginSession.last_seen_at < now - RETENTION)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount

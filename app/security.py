"""Per-request safety: a request id for the logs, and security headers on every response."""

from __future__ import annotations

import itertools
import logging
import os
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import Flask, abort, after_this_request, current_app, flash, g, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user, user_loaded_from_cookie, user_logged_in

from app import database, i18n
from app.database import is_database_busy
from app.extensions import csrf, db
from app.logs import configure_logging
from app.models import LoginSession, User
from app.numbers import MAX_DATABASE_ID, parse_id, parse_number
from app.services import accounts, login_sessions
from app.transactions import login_cookies_present

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


# Session lifetime ------------------------------------------------------------------------------
# Flask's session is a signed cookie, so limits are enforced on the server from times stored in
# it: ``login_at`` (absolute lifetime, PERMANENT_SESSION_LIFETIME = 12 hours, for everyone) and
# ``seen_at`` (idle timeout, MODERATOR_IDLE_TIMEOUT = 30 minutes, for moderators and admins).
# The remember-me cookie holds what Flask-Login keeps in the session, signed with the site's key;
# that value carries the login time (``login_token``), so the loader refuses a remember cookie,
# or a session restored from one, 12 hours after the login however often the browser resends it.
# The cookie cannot carry the time of the last request, so moderators never get one (and one is
# never accepted for them). Logout, a password change and suspension end every session and
# remember cookie at once through the user's session_version (accounts.end_all_sessions).
# The value also carries the id of the login's record (LoginSession): the member ends one login,
# or all others, from /account/sessions, and the loader refuses a cookie whose record has ended.


# Built once: the headers every answer carries unless the view set its own.
SECURITY_HEADERS = tuple(
    (name.lower(), name, value)
    for name, value in (
        ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
        ("X-Frame-Options", "DENY"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
    )
)
HSTS = "max-age=31536000; includeSubDomains"

# Request ids: a random prefix per process (drawn again in each forked worker) and a counter,
# unique across workers and restarts without a system call per request.
_request_ids: tuple[int, str, itertools.count] | None = None


def new_request_id() -> str:
    global _request_ids
    pid = os.getpid()
    if _request_ids is None or _request_ids[0] != pid:
        _request_ids = (pid, secrets.token_hex(5), itertools.count(1))
    return f"{_request_ids[1]}{next(_request_ids[2]):06x}"


def now_seconds() -> int:
    """The clock for session limits; tests move it."""
    return int(time.time())


def session_now() -> datetime:
    """``now_seconds()`` as a datetime, for the login records."""
    return datetime.fromtimestamp(now_seconds(), UTC)


def login_token(user: User, session_id: int, issued_at: int) -> str:
    """What Flask-Login keeps in the session and signs into the remember cookie:
    ``"<id>:<session_version>:<login record id>:<login time>"``."""
    return f"{user.get_id()}:{session_id}:{issued_at}"


# Year 9999: beyond it datetime cannot hold the time.
MAX_LOGIN_TIME = 253_402_300_799


@dataclass(frozen=True)
class LoginToken:
    user_id: int
    version: int
    session_id: int
    issued_at: int


def parse_login_token(token: object) -> LoginToken | None:
    """The parts of a login token, or None for anything else (an older format, a forged value)."""
    parts = token.split(":") if isinstance(token, str) else []
    if len(parts) != 4:
        return None
    user_id, session_id = parse_id(parts[0]), parse_id(parts[2])
    version = parse_number(parts[1], maximum=MAX_DATABASE_ID)
    issued_at = parse_number(parts[3], maximum=MAX_LOGIN_TIME)
    if user_id is None or session_id is None or version is None or issued_at is None:
        return None
    return LoginToken(user_id, version, session_id, issued_at)


def _issued_at(token: str) -> int | None:
    """The login time in a login token, or None when it is not one."""
    parsed = parse_login_token(token)
    return parsed.issued_at if parsed else None


def load_user(token: str) -> User | None:
    """Flask-Login's loader, for the session and the remember cookie alike: the user, or None
    when the token is outdated (session version), its login record has ended, or it is older
    than the session lifetime."""
    parsed = parse_login_token(token)
    lifetime = current_app.config["PERMANENT_SESSION_LIFETIME"].total_seconds()
    if parsed is None or now_seconds() - parsed.issued_at > lifetime:
        return None
    return accounts.load_user_for_session(parsed.user_id, parsed.version, parsed.session_id)


def bind_login_session(user: User, session_id: int, issued_at: int) -> None:
    """Point this browser's session (and the remember cookie built from it) at its login record.
    Called by log_in right after login_user()."""
    session["_user_id"] = login_token(user, session_id, issued_at)
    session["login_at"] = session["seen_at"] = session["touched_at"] = issued_at


# A long-lived, random token that tells a browser this account used before from a new one (a
# login from a new one is mailed to the user); the login records keep only a hash of it.
DEVICE_COOKIE = "tadamun_device"
DEVICE_COOKIE_MAX_AGE = timedelta(days=365)


def keep_device_cookie(token: str) -> None:
    """Set (or renew) the device cookie on this request's response."""
    secure = bool(current_app.config.get("SESSION_COOKIE_SECURE"))

    @after_this_request
    def set_cookie(response):
        response.set_cookie(
            DEVICE_COOKIE,
            token,
            max_age=int(DEVICE_COOKIE_MAX_AGE.total_seconds()),
            httponly=True,
            samesite="Lax",
            secure=secure,
        )
        return response


def log_in(user: User, *, remember: bool = False, method: str = "password") -> LoginSession:
    """Log this browser in as ``user`` once something proved who they are (``method``): every
    login view ends here.

    The domain records the login (accounts.complete_login: the record, the last login, the
    new-device mail); this logs the browser in, points its session and remember cookie at the
    record, and keeps its device cookie and a language chosen in this browser. Moderators get no
    remember-me cookie. Flushes; the caller commits."""
    issued_at = now_seconds()
    i18n.keep_chosen_language(user)  # the language chosen before logging in, for their mail too
    device = login_sessions.device_token(request.cookies.get(DEVICE_COOKIE))
    record = accounts.complete_login(
        user,
        client=login_sessions.Client.of(request.headers.get("User-Agent"), request.remote_addr),
        device=device,
        remember=remember,
        method=method,
        now=datetime.fromtimestamp(issued_at, UTC),
    )
    login_user(user, remember=record.remember)
    bind_login_session(user, record.id, issued_at)
    keep_device_cookie(device)
    return record


def current_login_session_id() -> int | None:
    """The id of this browser's login record, if it is logged in."""
    parsed = parse_login_token(session.get("_user_id"))
    return parsed.session_id if parsed else None


def session_user_id() -> int | None:
    """The user id the signed session names, read without loading the user (who may yet be
    refused: an ended login, an old session version)."""
    parsed = parse_login_token(session.get("_user_id"))
    return parsed.user_id if parsed else None


def touch_login_session() -> None:
    """Write the login record's last use, at most every TOUCH_INTERVAL per session.

    The time of the last write is kept in the (signed) session, so the decision needs no
    query, and the write comes first in the request, in its own short transaction: on SQLite
    a read transaction that then writes cannot wait for the lock. When the database is busy the
    write is skipped and tried again at the next request."""
    parsed = parse_login_token(session.get("_user_id"))
    if parsed is None:
        return
    now = now_seconds()
    touched_at = session.get("touched_at")
    interval = login_sessions.TOUCH_INTERVAL.total_seconds()
    if isinstance(touched_at, int) and 0 <= now - touched_at < interval:
        return
    try:
        with database.writing():  # in a request that otherwise only reads
            login_sessions.touch(parsed.user_id, parsed.session_id, session_now())
            db.session.commit()
    except sa.exc.OperationalError as error:
        db.session.rollback()
        if not is_database_busy(error):
            raise
        logging.getLogger("app.security").warning(
            "last use of session %s not written: busy", parsed.session_id
        )
        return
    session["touched_at"] = now


# Whether the session's user has the moderators' idle limit, kept in the (signed) session at the
# login so that a request need not load the user to enforce it. A role change ends every session
# of the user (accounts.end_all_sessions), so the flag cannot outlive the role it records.
IDLE_LIMITED = "idle_limited"
# The idle clock (``seen_at``) is moved at most this often: a session written on every request
# would send a new cookie with each answer. The idle limit is thus up to this much laxer.
SEEN_AT_STEP = 60


def _start_session_clock(sender, user, **_extra) -> None:
    now = now_seconds()
    session["login_at"] = session["seen_at"] = now
    session[IDLE_LIMITED] = user.is_moderator
    if user.is_moderator:
        # No remember-me cookie for moderators: it could outlive the idle limit.
        session.pop("_remember", None)
        session.pop("_remember_seconds", None)


def _session_from_remember_cookie(sender, user, **_extra) -> None:
    # A member coming back with a remember cookie gets a session that ends when the login it
    # remembers would have; a moderator gets no login time, so enforce_session_limits logs them out.
    if not user.is_moderator:
        session["login_at"] = _issued_at(session["_user_id"])
        session["seen_at"] = now_seconds()
        session[IDLE_LIMITED] = False
    session.pop("touched_at", None)  # a new session: its next request writes the last use


def _end_session(message: str, why: str) -> None:
    parsed = parse_login_token(session.get("_user_id"))
    logging.getLogger("app.security").info(
        "session of user %s ended: %s", parsed.user_id if parsed else current_user.get_id(), why
    )
    if parsed is not None:
        # The login is over for good: /account/sessions stops listing it, and every copy of its
        # cookies is refused (a copy could otherwise carry a later idle clock).
        try:
            with database.writing():  # in a request that otherwise only reads
                login_sessions.end_by_id(parsed.user_id, parsed.session_id, session_now())
                db.session.commit()
        except sa.exc.OperationalError as error:
            db.session.rollback()
            if not is_database_busy(error):
                raise
    logout_user()
    for key in ("login_at", "seen_at", "touched_at", IDLE_LIMITED):
        session.pop(key, None)
    flash(message, "info")


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, its signing serializer built once per key.

    Flask builds the serializer on every request, those without a cookie too: about 10 µs,
    most of what opening an empty session costs (itsdangerous tries the JSON serializer on
    each). The key and its fallbacks are compared on every call, so a new ``SECRET_KEY`` or
    ``SECRET_KEY_FALLBACKS`` takes effect at once.
    """

    _built: tuple[tuple, object] | None = None

    def get_signing_serializer(self, app: Flask):
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        built = self._built
        if built is None or built[0] != keys:
            built = (keys, super().get_signing_serializer(app))
            self._built = built  # one assignment: a thread sees the old pair or the new one
        return built[1]


def has_login() -> bool:
    """Whether this request may be a logged-in user's, told without loading the user: a login in
    the session, a remember-me cookie, or a user already loaded. What is shown only to visitors
    (the page cache, ETags) is refused when this is true, so a doubt counts as a login."""
    user = g.get("_login_user")
    if user is not None and user.is_authenticated:
        return True
    return login_cookies_present()


def enforce_session_limits() -> None:
    """End a session older than the lifetime, or a moderator's idle one, before any page runs.

    Decided from the times and the flag the signed session carries, without loading the user: a
    page that needs no user (the empty route, a static file) costs no query. A session that holds
    no login but a remember-me cookie loads the user here (the cookie is turned into a session
    then), and so does an older session without the flag."""
    if "_user_id" not in session and (not login_cookies_present() or not current_user.is_authenticated):
        # No login (a visitor's request costs nothing more), or a remember-me cookie that the
        # loader could not turn into a session.
        return
    idle_limited = session.get(IDLE_LIMITED)
    if not isinstance(idle_limited, bool):
        if not current_user.is_authenticated:
            return
        idle_limited = current_user.is_moderator
        session[IDLE_LIMITED] = idle_limited
    config = current_app.config
    now = now_seconds()
    login_at = session.get("login_at")
    if not isinstance(login_at, int) or now - login_at > config["PERMANENT_SESSION_LIFETIME"].total_seconds():
        _end_session(_("Your session has ended. Please log in again."), "older than the lifetime")
        return
    if idle_limited:
        seen_at = session.get("seen_at")
        idle = config["MODERATOR_IDLE_TIMEOUT"].total_seconds()
        if not isinstance(seen_at, int) or now - seen_at > idle:
            _end_session(
                _("You were logged out after a period without activity. Please log in again."), "idle"
            )
            return
        if not 0 <= now - seen_at < SEEN_AT_STEP:
            session["seen_at"] = now


def check_csrf() -> None:
    """Flask-WTF's CSRF check, on the methods it protects (``WTF_CSRF_METHODS``: every method
    that may change something), with the views' and blueprints' exemptions applied.

    Flask-WTF's own hook does the same, but looks up the exemptions before the method, on every
    page view; ``WTF_CSRF_CHECK_DEFAULT = False`` (config.py) turns it off in favour of this one.
    """
    config = current_app.config
    if config["WTF_CSRF_ENABLED"] and request.method in config["WTF_CSRF_METHODS"]:
        csrf.protect(apply_exemptions=True)


def refuse_nul_characters() -> None:
    """NUL is never part of real text, and PostgreSQL refuses it in strings (which would be a
    500 deep inside a query): a request carrying one in its path, query or form is a 400."""
    values = [request.path]
    if request.query_string:  # most page views have none: nothing to parse
        values += [value for _key, value in request.args.items(multi=True)]
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        values += [value for _key, value in request.form.items(multi=True)]
    if any("\x00" in value for value in values):
        abort(400)


# No list on the site has this many pages; a larger ?page= would overflow the SQL OFFSET (a 64-bit
# integer) inside the database driver, a 500 on every paginated page. Found by tests/test_fuzz.py.
MAX_PAGE = 100_000


def refuse_absurd_page_numbers() -> None:
    if not request.query_string:
        return
    value = request.args.get("page", "").strip()
    try:
        number = int(value)
    except ValueError:
        return  # not a number: the views fall back to the first page
    if number > MAX_PAGE:
        abort(404)


def register(app: Flask) -> None:
    if not app.testing:
        configure_logging(app)
    app.session_interface = SessionInterface()

    user_logged_in.connect(_start_session_clock)
    user_loaded_from_cookie.connect(_session_from_remember_cookie)

    @app.before_request
    def assign_request_id() -> None:
        # Accept a proxy's id only if it looks like one, so log lines cannot be forged.
        incoming = request.headers.get("X-Request-ID", "")
        if 8 <= len(incoming) <= 64 and incoming.replace("-", "").isalnum():
            g.request_id = incoming
        else:
            g.request_id = new_request_id()

    app.before_request(refuse_nul_characters)
    app.before_request(refuse_absurd_page_numbers)
    app.before_request(touch_login_session)  # before the user is loaded: a write first
    app.before_request(enforce_session_limits)

    @app.after_request
    def set_security_headers(response):
        headers = response.headers
        present = {name.lower() for name, _value in headers.items()}
        for lower, name, value in SECURITY_HEADERS:
            if lower not in present:  # a view may have set its own
                headers.add(name, value)
        headers["X-Request-ID"] = getattr(g, "request_id", "-")
        if request.is_secure and "strict-transport-security" not in present:
            headers.add("Strict-Transport-Security", HSTS)
        if has_login() and request.endpoint != "static":
            # Pages for a logged-in user may hold members-only details: never keep them in a cache.
            # Static files are the same for everyone: they keep their lifetime (a year when
            # fingerprinted), so a member's browser does not fetch the CSS again on every page.
            headers["Cache-Control"] = "no-store"
            headers["Vary"] = "Cookie"
        return response

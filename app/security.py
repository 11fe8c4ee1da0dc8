"""Per-request safety: a request id for the logs, and security headers on every response."""

from __future__ import annotations

import logging
import secrets
import time

from flask import Flask, abort, current_app, flash, g, request, session
from flask_babel import gettext as _
from flask_login import current_user, logout_user, user_loaded_from_cookie, user_logged_in

from app.logs import configure_logging
from app.models import User
from app.services.accounts import load_user_from_session

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


def now_seconds() -> int:
    """The clock for session limits; tests move it."""
    return int(time.time())


def login_token(user: User, issued_at: int) -> str:
    """What Flask-Login keeps in the session and signs into the remember cookie:
    ``"<id>:<session_version>:<login time>"``."""
    return f"{user.get_id()}:{issued_at}"


def _issued_at(token: str) -> int | None:
    """The login time in a login token, or None when it has none (an older format)."""
    identity, _, issued_at = token.rpartition(":")
    if ":" not in identity or not (issued_at.isascii() and issued_at.isdigit()):
        return None
    return int(issued_at)


def load_user(token: str) -> User | None:
    """Flask-Login's loader, for the session and the remember cookie alike: the user, or None
    when the token is outdated (session version) or older than the session lifetime."""
    issued_at = _issued_at(token)
    lifetime = current_app.config["PERMANENT_SESSION_LIFETIME"].total_seconds()
    if issued_at is None or now_seconds() - issued_at > lifetime:
        return None
    return load_user_from_session(token.rpartition(":")[0])


def _start_session_clock(sender, user, **_extra) -> None:
    now = now_seconds()
    session["login_at"] = session["seen_at"] = now
    # Replaces the plain id login_user() stored, before the remember cookie is built from it.
    session["_user_id"] = login_token(user, now)
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


def _end_session(message: str, why: str) -> None:
    logging.getLogger("app.security").info("session of user %s ended: %s", current_user.id, why)
    logout_user()
    for key in ("login_at", "seen_at"):
        session.pop(key, None)
    flash(message, "info")


def enforce_session_limits() -> None:
    if not current_user.is_authenticated:
        return
    config = current_app.config
    now = now_seconds()
    login_at = session.get("login_at")
    if not isinstance(login_at, int) or now - login_at > config["PERMANENT_SESSION_LIFETIME"].total_seconds():
        _end_session(_("Your session has ended. Please log in again."), "older than the lifetime")
        return
    if current_user.is_moderator:
        seen_at = session.get("seen_at")
        idle = config["MODERATOR_IDLE_TIMEOUT"].total_seconds()
        if not isinstance(seen_at, int) or now - seen_at > idle:
            _end_session(
                _("You were logged out after a period without activity. Please log in again."), "idle"
            )
            return
        session["seen_at"] = now


def refuse_nul_characters() -> None:
    """NUL is never part of real text, and PostgreSQL refuses it in strings (which would be a
    500 deep inside a query): a request carrying one in its path, query or form is a 400."""
    values = [request.path]
    values += [value for _key, value in request.args.items(multi=True)]
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        values += [value for _key, value in request.form.items(multi=True)]
    if any("\x00" in value for value in values):
        abort(400)


# No list on the site has this many pages; a larger ?page= would overflow the SQL OFFSET (a 64-bit
# integer) inside the database driver, a 500 on every paginated page. Found by tests/test_fuzz.py.
MAX_PAGE = 100_000


def refuse_absurd_page_numbers() -> None:
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

    user_logged_in.connect(_start_session_clock)
    user_loaded_from_cookie.connect(_session_from_remember_cookie)

    @app.before_request
    def assign_request_id() -> None:
        # Accept a proxy's id only if it looks like one, so log lines cannot be forged.
        incoming = request.headers.get("X-Request-ID", "")
        if 8 <= len(incoming) <= 64 and incoming.replace("-", "").isalnum():
            g.request_id = incoming
        else:
            g.request_id = secrets.token_hex(8)

    app.before_request(refuse_nul_characters)
    app.before_request(refuse_absurd_page_numbers)
    app.before_request(enforce_session_limits)

    @app.after_request
    def set_security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        headers["X-Request-ID"] = getattr(g, "request_id", "-")
        if request.is_secure:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if current_user.is_authenticated:
            # Pages for a logged-in user may hold members-only details: never keep them in a cache.
            headers["Cache-Control"] = "no-store"
            headers["Vary"] = "Cookie"
        return response

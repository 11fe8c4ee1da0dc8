"""Accounts: looking users up, logging in, and ending sessions."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager

from app import dates
from app.extensions import db
from app.models import LoginSession, User
from app.models.base import utcnow
from app.services import DomainError, login_sessions, passwords
from app.services.passwords import dummy_verify, hash_password, rehashed_if_stale, verify_password


class AccountLocked(DomainError):
    """Too many failed logins: the account refuses even the right password for a while.

    ``just_locked`` is true when the failure being counted is the one that locked it."""

    just_locked = False


def normalize_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == normalize_email(email)))


# Security events, under the application's logger (so lines carry the request id). They name
# users by id only: never an email, password, token or contact detail.
security_log = logging.getLogger("app.security")

# Failed-login throttling, per account and held in the database so that it holds across
# workers and restarts. IP-based rate limits (app.auth) slow down spraying many accounts.
LOCK_AFTER_FAILURES = 10
FAILURE_WINDOW = timedelta(minutes=15)
LOCK_DURATION = timedelta(minutes=15)
MAX_FAILURES_PER_HOUR = 100
HOUR = timedelta(hours=1)


def clock() -> datetime:
    """Now; tests replace it (or pass ``now=``) to move time."""
    return utcnow()


def authenticate(email: str, password: str, *, now: datetime | None = None) -> User | None:
    """The user with this email and password, or None.

    Unknown emails still cost one password verification, so that the answer's
    timing does not tell whether an email is registered. Each failure is counted on
    the account: the caller must commit even when the login fails.

    Raises AccountLocked when the account is locked after repeated failures (10 in
    15 minutes locks it for 15 minutes; at most 100 failures an hour), even for the
    right password.
    """
    now = now or clock()
    user = find_user_by_email(email)
    if user is None:
        dummy_verify(password)
        # Never the email itself: an address typed by mistake may be someone's private one.
        security_log.info("login failed: no such account")
        return None
    locked_until = _locked_until(user, now)
    if locked_until is not None:
        dummy_verify(password)  # the same cost as a real check
        security_log.warning("login refused: user %s is locked until %s", user.id, locked_until.isoformat())
        raise _locked(locked_until, now)
    if not verify_password(user.password_hash, password):
        _record_failure(user, now)
        security_log.info("login failed: wrong password for user %s", user.id)
        locked_until = _locked_until(user, now)
        if locked_until is not None:
            security_log.warning("user %s locked until %s", user.id, locked_until.isoformat())
            raise _locked(locked_until, now)
        return None
    _upgrade_hash(user, password)
    if user.has_two_factor:
        # The password alone is half a login: failures of the second step keep counting until
        # it succeeds (complete_login), so that the right password cannot reset that count.
        security_log.info("login: password accepted for user %s, second factor pending", user.id)
    else:
        _clear_failures(user)
        security_log.info("login: password accepted for user %s", user.id)
    return user


def check_not_locked(user: User, *, now: datetime | None = None) -> None:
    """Raise AccountLocked while the account is locked (the second step of a login asks too)."""
    now = now or clock()
    locked_until = _locked_until(user, now)
    if locked_until is not None:
        security_log.warning("refused: user %s is locked until %s", user.id, locked_until.isoformat())
        raise _locked(locked_until, now)


def count_failure(user: User, *, now: datetime | None = None) -> None:
    """Count a failed check of a second factor like a wrong password; raise AccountLocked when
    this failure locks the account. The caller must commit either way."""
    now = now or clock()
    _record_failure(user, now)
    try:
        check_not_locked(user, now=now)
    except AccountLocked as error:
        error.just_locked = True
        raise


def _locked_until(user: User, now: datetime) -> datetime | None:
    candidates = []
    if user.locked_until is not None and user.locked_until > now:
        candidates.append(user.locked_until)
    if (
        user.failed_login_hour_start is not None
        and now - user.failed_login_hour_start < HOUR
        and user.failed_login_hour_count >= MAX_FAILURES_PER_HOUR
    ):
        candidates.append(user.failed_login_hour_start + HOUR)
    return max(candidates) if candidates else None


def _record_failure(user: User, now: datetime) -> None:
    if user.failed_login_window_start is None or now - user.failed_login_window_start >= FAILURE_WINDOW:
        user.failed_login_window_start = now
        user.failed_login_count = 0
    user.failed_login_count += 1
    if user.failed_login_hour_start is None or now - user.failed_login_hour_start >= HOUR:
        user.failed_login_hour_start = now
        user.failed_login_hour_count = 0
    user.failed_login_hour_count += 1
    if user.failed_login_count >= LOCK_AFTER_FAILURES:
        user.locked_until = now + LOCK_DURATION
        user.failed_login_count = 0
        user.failed_login_window_start = None
    db.session.flush()


def _clear_failures(user: User, *, hourly: bool = False) -> None:
    """A successful login ends the short-term count; a new password also the hourly cap."""
    user.failed_login_count = 0
    user.failed_login_window_start = None
    user.locked_until = None
    if hourly:
        user.failed_login_hour_count = 0
        user.failed_login_hour_start = None
    db.session.flush()


def _locked(until: datetime, now: datetime) -> AccountLocked:
    from flask_babel import ngettext

    minutes = max(1, -(-int((until - now).total_seconds()) // 60))
    return AccountLocked(
        ngettext(
            "Too many failed attempts: this account is locked for %(num)d more minute. "
            "Try again later, or reset your password.",
            "Too many failed attempts: this account is locked for %(num)d more minutes. "
            "Try again later, or reset your password.",
            minutes,
        )
    )


# Built once: the statement of every logged-in request (building a select costs more than
# running this one on an index). Outer join: moderators belong to no organization.
_USER_FOR_SESSION = (
    sa.select(User)
    .join(LoginSession, LoginSession.user_id == User.id)
    .outerjoin(User.organization)
    .options(contains_eager(User.organization))
    .where(
        User.id == sa.bindparam("user_id"),
        LoginSession.id == sa.bindparam("session_id"),
        LoginSession.ended_at.is_(None),
    )
)


def load_user_for_session(user_id: int, version: int, session_id: int) -> User | None:
    """Flask-Login's loader (through app.security.load_user): the user, when the session version
    is current and the login record ``session_id`` is theirs and has not ended; else None.

    One query by primary keys, whatever the page: the login record, the user and their
    organization (which decides what members-only content they see) together."""
    user = db.session.scalar(_USER_FOR_SESSION, {"user_id": user_id, "session_id": session_id})
    if user is None or user.session_version != version:
        return None
    return user


def end_all_sessions(user: User) -> None:
    """Invalidate every session and remember-me cookie the user holds, on every device."""
    user.session_version += 1
    login_sessions.end_all_sessions(user, clock())
    db.session.flush()


def complete_login(
    user: User,
    *,
    client: login_sessions.Client,
    device: str,
    remember: bool = False,
    method: str = "password",
    now: datetime | None = None,
) -> LoginSession:
    """The end of every successful login, whatever proved who the user is: what the site records
    of it. ``method`` names what proved it (``password``, ``totp``, ``recovery_code``,
    ``passkey``, ``passwordless``, ``invitation``).

    Ends the count of failed attempts, records the login (the LoginSession the cookies will
    point at, listed on /account/sessions), stamps the user's last login, and mails the user
    when this account has logged in before but never from this browser (``device``: the token
    of its device cookie). Moderators get no remember-me login. Returns the record; the web
    layer (app.security.log_in) then logs the browser in with it. Flushes; the caller commits
    (the mail leaves after the answer).
    """
    from app.services import mail

    db.session.flush()  # a user made in this request (an accepted invitation) needs its id
    now = now or clock()
    remember = bool(remember) and not user.is_moderator
    logged_in_before = user.last_login_at is not None
    record, new_device = login_sessions.start_session(
        user, client, device, remember=remember, method=method, now=now
    )
    # A successful login ends the count of failed attempts (whatever proved it: the password
    # with its second factor, or a passkey on its own).
    _clear_failures(user)
    user.last_login_at = now
    db.session.flush()
    if new_device and logged_in_before:
        # The very first login has nothing to compare with (the account was just made through a
        # mailed link); every later one from a browser this account never used is worth a word.
        mail.send_new_device_notice(user, record)
    security_log.info("session %s started for user %s (%s)", record.id, user.id, method)
    return record


# The password policy lives in app.services.passwords; views and services reach it here too.
MIN_PASSWORD_LENGTH = passwords.MIN_PASSWORD_LENGTH
WeakPassword = passwords.WeakPassword
check_password_policy = passwords.check_password_policy


def set_password(user: User, password: str) -> None:
    """Give the user a new password (after checking the policy) and end all their sessions.

    Raises WeakPassword.
    """
    organization_name = user.organization.name if user.organization is not None else None
    check_password_policy(password, email=user.email, organization_name=organization_name)
    user.password_hash = hash_password(password)
    # Guesses against the old password no longer matter: lift the lock, and the hourly cap.
    _clear_failures(user, hourly=True)
    end_all_sessions(user)


class WrongPassword(DomainError):
    """The current password given to confirm a change is not the account's."""


def change_password(
    user: User, current_password: str, new_password: str, *, now: datetime | None = None
) -> None:
    """Change a logged-in user's password after checking the current one.

    The check counts like a login: a wrong current password is a failure on the account (the
    caller must commit even when this raises WrongPassword or AccountLocked), so that a stolen
    session cannot guess the password without limit.

    Raises AccountLocked (even for the right password while locked), WrongPassword, WeakPassword.
    """
    check_current_password(user, current_password, now=now, purpose="password change")
    set_password(user, new_password)


def check_current_password(
    user: User, password: str, *, now: datetime | None = None, purpose: str = "confirmation"
) -> None:
    """Check the password a logged-in user types to confirm a sensitive act (a new password,
    coming back into public view, an export, leaving).

    The check counts like a login: a wrong password is a failure on the account (the caller
    must commit even when this raises), so that a stolen session cannot guess the password
    without limit. Raises AccountLocked (even for the right password while locked), WrongPassword.
    """
    from flask_babel import gettext as _

    now = now or clock()
    locked_until = _locked_until(user, now)
    if locked_until is not None:
        dummy_verify(password or "")  # the same cost as a real check
        security_log.warning("%s refused: user %s is locked", purpose, user.id)
        raise _locked(locked_until, now)
    if not verify_password(user.password_hash, password or ""):
        _record_failure(user, now)
        security_log.info("%s: wrong current password for user %s", purpose, user.id)
        locked_until = _locked_until(user, now)
        if locked_until is not None:
            security_log.warning("user %s locked until %s", user.id, locked_until.isoformat())
            raise _locked(locked_until, now)
        raise WrongPassword(_("Your current password is not correct."))
    _upgrade_hash(user, password)


def _upgrade_hash(user: User, password: str) -> None:
    """Rehash a password just verified if its hash has older parameters than today's. Only the
    hash changes: sessions and remembered logins stay (a reset link sent before stops working,
    as after any change of the stored hash)."""
    new_hash = rehashed_if_stale(user.password_hash, password)
    if new_hash is not None:
        user.password_hash = new_hash
        security_log.info("password hash of user %s upgraded to the current parameters", user.id)


def set_preferred_locale(user: User, locale: str) -> None:
    """Keep the language a user reads the site and their mail in. Raises DomainError for a
    language the site does not offer."""
    from flask import current_app
    from flask_babel import gettext as _

    if locale not in current_app.config["LANGUAGES"]:
        raise DomainError(_("This language is not available."))
    user.locale = locale


def set_time_zone(user: User, zone: str | None) -> None:
    """Keep the time zone a user reads dates in (pages and mail); empty for the site's own
    (Iraq's). Raises DomainError for a name that is not a known time zone."""
    from flask_babel import gettext as _

    if zone and not dates.zone_exists(zone):
        raise DomainError(_("This time zone is not known. Choose one from the list."))
    user.time_zone = zone or None

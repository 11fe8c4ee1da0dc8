"""Accounts: looking users up, logging in, and ending sessions."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models import User
from app.models.base import utcnow
from app.services import DomainError, passwords
from app.services.passwords import dummy_verify, hash_password, verify_password


class AccountLocked(DomainError):
    """Too many failed logins: the account refuses even the right password for a while."""


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
    _clear_failures(user)
    security_log.info("login: user %s", user.id)
    return user


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


def load_user_from_session(session_id: str) -> User | None:
    """Flask-Login's loader: ``"<id>:<session_version>"``; an outdated version is refused."""
    user_id, _, version = session_id.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or user.session_version != int(version):
        return None
    return user


def end_all_sessions(user: User) -> None:
    """Invalidate every session and remember-me cookie the user holds, on every device."""
    user.session_version += 1
    db.session.flush()


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


def set_preferred_locale(user: User, locale: str) -> None:
    """Keep the language a user reads the site and their mail in. Raises DomainError for a
    language the site does not offer."""
    from flask import current_app
    from flask_babel import gettext as _

    if locale not in current_app.config["LANGUAGES"]:
        raise DomainError(_("This language is not available."))
    user.locale = locale

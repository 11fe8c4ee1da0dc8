"""Signed, expiring, single-use links sent by email.

Each purpose has its own salt, so a token made for one purpose is refused for
another. Single use: each token carries a fingerprint of the state that its use
changes (the password hash, the confirmation, the absence of an account), so the
same link stops working once it has done its job.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app.services import DomainError

EMAIL_CONFIRMATION = "email-confirmation"
PASSWORD_RESET = "password-reset"  # noqa: S105  # nosec B105
INVITATION = "invitation"
# A visitor's address following a campaign, organization or project (the double opt-in), and
# the one-click unsubscribe link of every mail to a follower (no expiry: it must always work).
FOLLOW_CONFIRMATION = "follow-confirmation"
UNSUBSCRIBE = "unsubscribe"

_MAX_AGE_SETTING: dict[str, str | None] = {
    EMAIL_CONFIRMATION: "EMAIL_CONFIRM_MAX_AGE",
    PASSWORD_RESET: "PASSWORD_RESET_MAX_AGE",
    INVITATION: "INVITATION_MAX_AGE",
    FOLLOW_CONFIRMATION: "EMAIL_CONFIRM_MAX_AGE",
    UNSUBSCRIBE: None,
}


class InvalidToken(DomainError):
    """The link is damaged, was made for something else, or has already been used."""


class ExpiredToken(InvalidToken):
    """The link was genuine but is too old."""


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"tadamun.{purpose}")


def make_token(purpose: str, payload: dict[str, Any]) -> str:
    return _serializer(purpose).dumps(payload)


def read_token(purpose: str, token: str) -> dict[str, Any]:
    """The payload of a genuine, unexpired token.

    Raises ExpiredToken when too old, InvalidToken when tampered with or made for another purpose.
    """
    setting = _MAX_AGE_SETTING[purpose]
    max_age: timedelta | None = current_app.config[setting] if setting else None
    try:
        payload = _serializer(purpose).loads(token, max_age=max_age.total_seconds() if max_age else None)
    except SignatureExpired:
        raise ExpiredToken(_expired_message()) from None
    except (BadSignature, UnicodeDecodeError, ValueError):
        raise InvalidToken(_invalid_message()) from None
    if not isinstance(payload, dict):
        raise InvalidToken(_invalid_message())
    return payload


def fingerprint(value: str | None) -> str:
    """A short digest of a piece of state, so tokens never carry the state itself."""
    return hashlib.sha256((value or "").encode()).hexdigest()[:16]


def _expired_message() -> str:
    from flask_babel import gettext as _

    return _("This link has expired. Please ask for a new one.")


def _invalid_message() -> str:
    from flask_babel import gettext as _

    return _("This link is not valid or has already been used.")


def invalid_token() -> InvalidToken:
    return InvalidToken(_invalid_message())


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute link for an email, built from SITE_URL and never from the request's Host."""
    # Bound to a fixed name: the Host header a request came with plays no part.
    path = current_app.url_map.bind("site.invalid").build(endpoint, values)
    return current_app.config["SITE_URL"].rstrip("/") + path

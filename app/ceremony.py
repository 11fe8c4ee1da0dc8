"""What a login or a passkey ceremony keeps between two requests, in the signed session.

- The half-logged-in state: the password was right, the second factor is pending. It names
  the user but does not log them in (Flask-Login's ``current_user`` stays anonymous, so no
  page that needs a login opens); only the second-step routes read it; it ends after
  ``PENDING_LOGIN_SECONDS``, with the user's session version (a password change, a logout
  elsewhere), and as soon as it is used.
- WebAuthn challenges: one at a time per session, for one purpose, used once, for at most
  ``CHALLENGE_SECONDS``.
- The authenticator-app secret being set up, sealed with the site's key until it is confirmed
  (the session cookie is signed, not encrypted).

A shared web module: the auth area (logging in) and the account area (adding and removing
factors) both keep state here.
"""

from __future__ import annotations

import base64

from flask import session

from app import security
from app.extensions import db
from app.models import User
from app.services import two_factor

PENDING_LOGIN = "two_factor_login"
PENDING_LOGIN_SECONDS = 300
CHALLENGE = "webauthn_challenge"
CHALLENGE_SECONDS = 300
TOTP_SETUP = "totp_setup"
TOTP_SETUP_SECONDS = 900

# Purposes of a challenge.
SECOND_STEP = "second_step"
PASSWORDLESS = "passwordless"
REGISTER = "register"
CONFIRM = "confirm"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# The half-logged-in state ------------------------------------------------------------------------


def begin_pending_login(user: User, remember: bool, next_url: str) -> None:
    session.pop(CHALLENGE, None)
    session[PENDING_LOGIN] = {
        "uid": user.id,
        "ver": user.session_version,
        "at": security.now_seconds(),
        "remember": bool(remember),
        "next": next_url,
    }


def pending_login() -> tuple[User, dict] | None:
    """The user whose password was right and whose second factor is pending, with the state;
    None (and the state forgotten) when there is none, it expired or the user changed."""
    state = session.get(PENDING_LOGIN)
    if not isinstance(state, dict):
        return None
    at, uid = state.get("at"), state.get("uid")
    if (
        not isinstance(at, int)
        or not isinstance(uid, int)
        or security.now_seconds() - at > PENDING_LOGIN_SECONDS
    ):
        end_pending_login()
        return None
    user = db.session.get(User, uid)
    if user is None or user.session_version != state.get("ver") or not user.has_two_factor:
        end_pending_login()
        return None
    return user, state


def end_pending_login() -> None:
    session.pop(PENDING_LOGIN, None)
    session.pop(CHALLENGE, None)


# WebAuthn challenges -----------------------------------------------------------------------------


def keep_challenge(purpose: str, challenge: bytes, *, user_handle: bytes | None = None) -> None:
    state = {"purpose": purpose, "challenge": _b64(challenge), "at": security.now_seconds()}
    if user_handle is not None:
        state["handle"] = _b64(user_handle)
    session[CHALLENGE] = state


def take_challenge(purpose: str) -> tuple[bytes, bytes | None] | None:
    """The challenge kept for ``purpose`` (and the user handle of a registration), forgotten
    at once: a challenge is answered once. None when there is none, or it is too old."""
    state = session.pop(CHALLENGE, None)
    if not isinstance(state, dict) or state.get("purpose") != purpose:
        return None
    at = state.get("at")
    if not isinstance(at, int) or security.now_seconds() - at > CHALLENGE_SECONDS:
        return None
    try:
        challenge = _unb64(state["challenge"])
        handle = _unb64(state["handle"]) if "handle" in state else None
    except (KeyError, ValueError, TypeError):
        return None
    return challenge, handle


# The authenticator-app secret being set up ---------------------------------------------------------


def totp_secret_being_set_up(new_secret) -> str:
    """The secret shown on the setup page: the same one on every visit for a while (the person
    may have scanned it already), a new one after ``TOTP_SETUP_SECONDS``."""
    state = session.get(TOTP_SETUP)
    at = state.get("at") if isinstance(state, dict) else None
    if isinstance(at, int) and security.now_seconds() - at <= TOTP_SETUP_SECONDS:
        secret = two_factor.unseal(state.get("secret"))
        if secret:
            return secret
    secret = new_secret()
    session[TOTP_SETUP] = {"secret": two_factor.seal(secret), "at": security.now_seconds()}
    return secret


def end_totp_setup() -> None:
    session.pop(TOTP_SETUP, None)

"""Access rules as decorators: who may reach a view, checked on the server."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, abort, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.extensions import limiter, login_manager
from app.services import two_factor


def _require(
    check: Callable[[Any], bool], *, second_factor: bool | Callable[[Any], bool] = False
) -> Callable:
    """``second_factor``: True, or who among the users passing ``check`` needs one."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                # A visitor is sent to log in and comes back afterwards.
                return login_manager.unauthorized()
            if not check(current_user):
                abort(403)
            needs_second_factor = second_factor(current_user) if callable(second_factor) else second_factor
            if needs_second_factor and not current_user.has_two_factor:
                # Moderation is reached only with two-factor login set up.
                flash(
                    _(
                        "Moderators and administrators log in with a second factor. Set up an "
                        "authenticator app or a passkey to reach moderation."
                    ),
                    "info",
                )
                return redirect(url_for("account.security"))
            return view(*args, **kwargs)

        return wrapped

    return decorator


moderator_required = _require(lambda user: user.is_moderator, second_factor=True)
moderator_required.__doc__ = (
    "Moderators and admins with two-factor login only; members get 403, visitors are sent to log in,"
    " moderators without a second factor to set one up."
)

admin_required = _require(lambda user: user.is_admin, second_factor=True)
admin_required.__doc__ = (
    "Admins with two-factor login only; everyone else logged in gets 403, visitors are sent to log in."
)

logged_in_required = _require(lambda user: True, second_factor=lambda user: user.is_moderator)
logged_in_required.__doc__ = (
    "Any logged-in user (the view decides the rest); visitors are sent to log in, moderators"
    " without a second factor to set one up, as behind moderator_required."
)

member_required = _require(lambda user: user.organization_id is not None)
member_required.__doc__ = "Users who belong to an organization (whatever its status)."


# Two-factor login required and missing -----------------------------------------------------------
# A moderator, or a member of an organization that requires it, who logs in without a second
# factor is held on the setup pages until they have one. The login sets a flag in the session
# (hold_until_second_factor), so that no other request pays a query for the rule.

SETUP_REQUIRED = "two_factor_setup_required"
# Pages a held user may open.
OPEN_DURING_SETUP = frozenset(
    {
        "static",
        "auth.logout",
        "account.security",
        "account.setup_authenticator",
        "account.passkey_registration_options",
        "account.add_passkey",
    }
)


def hold_until_second_factor() -> None:
    """Called by the login when two-factor login is required of the user and missing."""
    session[SETUP_REQUIRED] = True


def _hold_until_set_up():
    if not session.get(SETUP_REQUIRED):
        return None
    if not current_user.is_authenticated or not two_factor.setup_needed(current_user):
        session.pop(SETUP_REQUIRED, None)
        return None
    if request.endpoint in OPEN_DURING_SETUP:
        return None
    # No message here: the setup page says why.
    return redirect(url_for("account.security"))


def register(app: Flask) -> None:
    app.before_request(_hold_until_set_up)


def _sensitive_limit() -> str:
    return current_app.config["AUTH_RATE_LIMIT"]


def rate_limited(view: Callable) -> Callable:
    """Limit the form submissions (POST) attackers would repeat: guessing, spamming, probing."""
    return limiter.limit(_sensitive_limit, methods=["POST"])(view)


def _upload_limit() -> str:
    return current_app.config["LOGO_UPLOAD_RATE_LIMIT"]


def _uploader() -> str:
    return f"user:{current_user.get_id()}"


def _is_visitor() -> bool:
    return not current_user.is_authenticated


def upload_rate_limited(view: Callable) -> Callable:
    """Limit uploads (decoding an image costs CPU and memory) per user and per client address,
    so neither a second address nor a second account lifts the limit. Refused uploads count."""
    per_address = limiter.limit(_upload_limit, methods=["POST"])
    per_user = limiter.limit(_upload_limit, key_func=_uploader, methods=["POST"], exempt_when=_is_visitor)
    return per_user(per_address(view))

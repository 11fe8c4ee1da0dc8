"""Access rules as decorators: who may reach a view, checked on the server."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, current_app, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.extensions import limiter, login_manager


def _require(check: Callable[[Any], bool], *, second_factor: bool = False) -> Callable:
    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                # A visitor is sent to log in and comes back afterwards.
                return login_manager.unauthorized()
            if not check(current_user):
                abort(403)
            if second_factor and not current_user.has_two_factor:
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

member_required = _require(lambda user: user.organization_id is not None)
member_required.__doc__ = "Users who belong to an organization (whatever its status)."


def _sensitive_limit() -> str:
    return current_app.config["AUTH_RATE_LIMIT"]


def rate_limited(view: Callable) -> Callable:
    """Limit the form submissions (POST) attackers would repeat: guessing, spamming, probing."""
    return limiter.limit(_sensitive_limit, methods=["POST"])(view)

"""Access rules as decorators: who may reach a view, checked on the server."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, current_app
from flask_login import current_user

from app.extensions import limiter, login_manager


def _require(check: Callable[[Any], bool]) -> Callable:
    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                # A visitor is sent to log in and comes back afterwards.
                return login_manager.unauthorized()
            if not check(current_user):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


moderator_required = _require(lambda user: user.is_moderator)
moderator_required.__doc__ = "Moderators and admins only; members get 403, visitors are sent to log in."

admin_required = _require(lambda user: user.is_admin)
admin_required.__doc__ = "Admins only; everyone else logged in gets 403, visitors are sent to log in."

member_required = _require(lambda user: user.organization_id is not None)
member_required.__doc__ = "Users who belong to an organization (whatever its status)."


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

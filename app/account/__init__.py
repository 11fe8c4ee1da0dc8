"""A member's dashboard and their organization's profile."""

from flask import Blueprint

bp = Blueprint("account", __name__)

# The route modules add their views to ``bp`` as they are imported, so they come after it.
from app.account import (  # noqa: E402, F401
    logo_routes,
    routes,
    safety_routes,
    security_routes,
    session_routes,
    translation_routes,
)

__all__ = ["bp"]

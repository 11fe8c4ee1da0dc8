"""A member's dashboard and their organization's profile."""

from flask import Blueprint

bp = Blueprint("account", __name__)

# The route modules add their views to ``bp`` as they are imported, so they come after it.
from app.account import logo_routes, routes, safety_routes, translation_routes  # noqa: E402, F401

__all__ = ["bp"]

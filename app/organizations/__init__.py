"""The member directory and organization profiles."""

from flask import Blueprint

bp = Blueprint("organizations", __name__)

# The route modules add their views to ``bp`` as they are imported, so they come after it.
from app.organizations import logo_routes, routes  # noqa: E402, F401

__all__ = ["bp"]

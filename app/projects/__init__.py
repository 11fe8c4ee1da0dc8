"""Projects of member organizations."""

from flask import Blueprint

bp = Blueprint("projects", __name__)

# The route modules add their views to ``bp`` as they are imported, so they come after it.
from app.projects import manage_routes, routes  # noqa: E402, F401

__all__ = ["bp"]

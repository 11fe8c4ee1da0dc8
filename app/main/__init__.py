"""Home page, health and readiness checks, metrics."""

from flask import Blueprint

bp = Blueprint("main", __name__)

# The route modules add their views to ``bp`` as they are imported, so they come after it.
from app.main import ops_routes, routes  # noqa: E402, F401

__all__ = ["bp"]

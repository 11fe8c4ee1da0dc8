"""Gatherings: the network's conferences, forums and sessions, with registration."""

from flask import Blueprint

bp = Blueprint("gatherings", __name__)

# The route modules add their views to ``bp`` as they are imported, so they come after it.
from app.gatherings import manage_routes, routes  # noqa: E402, F401

__all__ = ["bp"]

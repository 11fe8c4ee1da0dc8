"""Solidarity in practice (issue #20): offers and needs, partner suggestions, the network's shape."""

from flask import Blueprint

bp = Blueprint("solidarity", __name__)

# The route modules add their views to ``bp`` as they are imported, so they come after it.
from app.solidarity import cosponsor_routes, introduction_routes, routes, shape_routes, statement_routes  # noqa: E402, F401

__all__ = ["bp"]

"""Campaign pages: the list, each campaign, its supporters and projects."""

from flask import Blueprint

bp = Blueprint("campaigns", __name__)

# The route modules add their views to ``bp`` as they are imported, so they come after it.
from app.campaigns import pledge_routes, routes  # noqa: E402, F401

__all__ = ["bp"]

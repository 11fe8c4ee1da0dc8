"""Campaign life: campaign and project updates, their Atom feed, and the moderators' page
naming a campaign's coordinators."""

from flask import Blueprint

bp = Blueprint("updates", __name__)

# The route modules add their views to ``bp`` as they are imported, so they come after it.
from app.updates import coordinator_routes, routes  # noqa: E402, F401

__all__ = ["bp"]

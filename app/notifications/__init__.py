"""In-site notifications: the updates on what a member follows, and their unread count."""

from flask import Blueprint

bp = Blueprint("notifications", __name__)

# The route modules add their views to ``bp`` as they are imported, so they come after it.
from app.notifications import routes  # noqa: E402, F401

__all__ = ["bp"]

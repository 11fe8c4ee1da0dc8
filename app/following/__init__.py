"""Following: members follow from their account; visitors by email with a double opt-in link;
anyone unsubscribes with the one-click link of a mail."""

from flask import Blueprint

bp = Blueprint("following", __name__)

# The route modules add their views to ``bp`` as they are imported, so they come after it.
from app.following import routes  # noqa: E402, F401

__all__ = ["bp"]

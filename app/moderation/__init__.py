"""Moderators' work: the application queue, decisions and the audit log."""

from flask import Blueprint

bp = Blueprint("moderation", __name__)

# The route modules add their views to ``bp`` as they are imported, so they come after it.
from app.moderation import curation_routes, routes, translation_routes  # noqa: E402, F401

__all__ = ["bp"]

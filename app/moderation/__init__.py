"""Moderators' work: the application queue, decisions and the audit log."""

from app.moderation import (
    curation_routes,  # noqa: F401  (campaign curation, hiding content)
    translation_routes,  # noqa: F401  (routes on the same blueprint)
)
from app.moderation.routes import bp

__all__ = ["bp"]

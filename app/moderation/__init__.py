"""Moderators' work: the application queue, decisions and the audit log."""

from app.moderation.routes import bp

__all__ = ["bp"]

"""The member directory and organization profiles."""

from app.organizations.routes import bp

__all__ = ["bp"]

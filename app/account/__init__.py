"""A member's dashboard and their organization's profile."""

from app.account.routes import bp

__all__ = ["bp"]

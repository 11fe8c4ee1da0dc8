"""The member directory and organization profiles."""

from app.organizations import logo_routes  # noqa: F401  (routes on the same blueprint)
from app.organizations.routes import bp

__all__ = ["bp"]

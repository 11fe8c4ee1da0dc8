"""Logging in and out, registration, email confirmation and password reset."""

from app.auth import two_factor_routes  # noqa: F401  (routes on the same blueprint)
from app.auth.routes import bp

__all__ = ["bp"]

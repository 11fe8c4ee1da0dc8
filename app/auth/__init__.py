"""Logging in and out, registration, email confirmation and password reset."""

from app.auth.routes import bp

__all__ = ["bp"]

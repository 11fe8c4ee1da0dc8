"""Logging in and out, registration, email confirmation and password reset."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

# The route modules add their views to ``bp`` as they are imported, so they come after it.
from app.auth import routes  # noqa: E402, F401

__all__ = ["bp"]

"""Home page and health check."""

from flask import Blueprint

bp = Blueprint("main", __name__)

# The route modules add their views to ``bp`` as they are imported, so they come after it.
from app.main import routes  # noqa: E402, F401

__all__ = ["bp"]

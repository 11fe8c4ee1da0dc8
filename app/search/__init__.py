"""Search: one box on every page, ranked full-text results (SQLite FTS5 or PostgreSQL)."""

from flask import Blueprint

bp = Blueprint("search", __name__)

# The route modules add their views to ``bp`` as they are imported, so they come after it.
from app.search import routes  # noqa: E402, F401

__all__ = ["bp"]

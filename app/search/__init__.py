"""The search page: one box on every page, ranked results (the engine is ``app.search_engine``)."""

from flask import Blueprint

bp = Blueprint("search", __name__)

# The route modules add their views to ``bp`` as they are imported, so they come after it.
from app.search import routes  # noqa: E402, F401

__all__ = ["bp"]

"""Search: one box on every page, ranked full-text results (SQLite FTS5 or PostgreSQL)."""

from app.search.routes import bp

__all__ = ["bp"]

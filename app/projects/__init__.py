"""Projects of member organizations."""

from app.projects.routes import bp

__all__ = ["bp"]

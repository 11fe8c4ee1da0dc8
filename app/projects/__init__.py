"""Projects of member organizations."""

from app.projects import manage_routes  # noqa: F401  (project management on the same blueprint)
from app.projects.routes import bp

__all__ = ["bp"]

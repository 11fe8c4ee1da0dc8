"""Home page, health and readiness checks, metrics."""

from app.main import ops_routes  # noqa: F401  (routes on the same blueprint)
from app.main.routes import bp

__all__ = ["bp"]

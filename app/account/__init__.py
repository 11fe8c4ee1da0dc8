"""A member's dashboard and their organization's profile."""

from app.account import (
    logo_routes,  # noqa: F401  (routes on the same blueprint)
    security_routes,  # noqa: F401  (routes on the same blueprint)
    translation_routes,  # noqa: F401  (routes on the same blueprint)
)
from app.account.routes import bp

__all__ = ["bp"]

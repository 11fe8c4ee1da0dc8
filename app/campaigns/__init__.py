"""Campaign pages: the list, each campaign, its supporters and projects."""

from app.campaigns import pledge_routes  # noqa: F401  (pledge routes on the same blueprint)
from app.campaigns.routes import bp

__all__ = ["bp"]

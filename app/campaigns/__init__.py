"""Campaign pages: the list, each campaign, its supporters and projects."""

from app.campaigns.routes import bp

__all__ = ["bp"]

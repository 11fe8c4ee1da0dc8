"""Atom feeds of what is new in the network, as a visitor sees it: the whole network, one
campaign, one organization (new members, new public pledges, new projects)."""

from flask import Blueprint

bp = Blueprint("feeds", __name__)

from app.feeds import routes  # noqa: E402,F401

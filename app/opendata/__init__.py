"""Open data downloads: CSV (with a second row of HXL hashtags) and JSON exports of the public
directory and of each campaign's public supporters and projects, their data dictionary, the
sitemap and robots.txt."""

from flask import Blueprint

bp = Blueprint("opendata", __name__)

from app.opendata import routes  # noqa: E402,F401

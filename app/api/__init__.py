"""The public read API at /api/v1 (flask-smorest): campaigns, organizations, public pledges and
projects as a visitor sees them, with an OpenAPI 3.1 document generated from this code.

Every request is answered as a visitor (app/open_doors.py removes the cookies), read-only
(GET, HEAD, OPTIONS), with ETags, CORS for any origin without credentials, a per-address rate
limit and RFC 9457 problem details for every error (app/errors.py).
"""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api, Blueprint
from webargs.flaskparser import FlaskParser


class _Parser(FlaskParser):
    # Bad input (a filter value, a cursor, a limit) is a 400, as everywhere on the site.
    DEFAULT_VALIDATION_STATUS = 400


class ApiBlueprint(Blueprint):
    ARGUMENTS_PARSER = _Parser()


class OpenApi(Api):
    """flask-smorest's Api without its error handler: app/errors.py answers every error of the
    application, and answers those under /api/ with problem details."""

    DEFAULT_ERROR_RESPONSE_NAME = None

    def _register_error_handlers(self):
        return None


bp = ApiBlueprint(
    "api",
    __name__,
    url_prefix="/api/v1",
    description="Read-only open data of the network, as any visitor sees it.",
)

api = OpenApi()


def init_app(app: Flask) -> None:
    from app.api import routes

    api.init_app(
        app,
        spec_kwargs={
            "info": {
                "description": (
                    "Campaigns, organizations, public pledges and projects of the Tadamun network. "
                    "Read-only, answered as a visitor: only what the public pages show."
                ),
                "license": {"name": "CC BY 4.0", "url": "https://creativecommons.org/licenses/by/4.0/"},
            },
            "servers": [{"url": "/"}],
        },
    )
    api.register_blueprint(bp)

    @app.after_request
    def _api_headers(response):
        # Every answer under /api/v1, the OpenAPI document and the errors included.
        from flask import request

        if request.path == "/api/v1" or request.path.startswith("/api/v1/"):
            return routes.open_read_only(response)
        return response

"""One error renderer for every status: an HTML page, or JSON for clients that ask for it.

Error pages never show a traceback, SQL or a file path; the details go to the log
under the request id that the page shows, so a user can quote it.
"""

from __future__ import annotations

import contextlib

import sqlalchemy as sa
from flask import Flask, Response, current_app, g, jsonify, render_template, request
from flask.globals import request_ctx
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from app.database import is_database_busy, is_database_unavailable
from app.extensions import db, login_manager
from app.services import DomainError, NotAllowed

RETRY_AFTER_SECONDS = 2

# Short, translated titles and explanations; the template adds what to do next.
MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. Please check what you sent.")),
    401: (_l("Please log in"), _l("You need to log in to see this page.")),
    403: (_l("Not allowed"), _l("Your account is not allowed to do this.")),
    404: (_l("Page not found"), _l("There is no page at this address. It may have moved or been removed.")),
    405: (_l("Method not allowed"), _l("This address does not accept that kind of request.")),
    409: (
        _l("Not done"),
        _l("This could not be done: it conflicts with the site's data as it is now. Reload and try again."),
    ),
    413: (_l("Too large"), _l("What you sent is too large.")),
    422: (_l("Could not process"), _l("What you sent could not be processed.")),
    429: (_l("Too many requests"), _l("Too many attempts. Please wait a little and try again.")),
    500: (_l("Something went wrong"), _l("An unexpected error happened on our side. It has been logged.")),
    503: (_l("Busy, please retry"), _l("The site is busy right now. Please try again in a moment.")),
}


def wants_json() -> bool:
    if request.path in ("/healthz", "/readyz"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    accepted = request.accept_mimetypes
    return best == "application/json" and accepted[best] > accepted["text/html"]


def _can_build_urls() -> bool:
    return request_ctx.url_adapter is not None


# Answers under these paths are RFC 9457 problem details (application/problem+json).
PROBLEM_PREFIXES = ("/api/",)


def wants_problem() -> bool:
    return request.path.startswith(PROBLEM_PREFIXES)


def problem(status: int, title: str, detail: str, errors: dict | None = None) -> Response:
    body: dict = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.path,
    }
    request_id = getattr(g, "request_id", None)
    if request_id:
        body["request_id"] = request_id
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def render_error(status: int, description: str | None = None, errors: dict | None = None):
    title, default_text = MESSAGES.get(status, (_l("Error"), _l("The request could not be completed.")))
    text = description or default_text
    if status == 413 and description is None:
        # The only uploads are logos: say how large one may be, as configured.
        megabytes = current_app.config["MAX_LOGO_BYTES"] / (1024 * 1024)
        text = _(
            "What you sent is too large. Logos may be at most %(size)s MB.", size=format_decimal(megabytes)
        )
    request_id = getattr(g, "request_id", None)
    if not _can_build_urls():
        # A request for a host not in TRUSTED_HOSTS has no URL adapter, so the page
        # template (which links to the site) cannot render: answer in plain text.
        return Response(f"{status} {title}\n{text}\n", status=status, mimetype="text/plain"), status
    if wants_problem():
        return problem(status, str(title), str(text), errors), status
    if wants_json():
        body = {"error": {"status": status, "title": str(title), "message": str(text)}}
        if request_id:
            body["error"]["request_id"] = request_id
        return jsonify(body), status
    return (
        render_template("errors/error.html", status=status, title=title, text=text, request_id=request_id),
        status,
    )


def unavailable_service(error: BaseException) -> str | None:
    """What is out of reach when ``error`` means "try again shortly" rather than a bug."""
    if is_database_busy(error):
        return "database busy"
    if is_database_unavailable(error):
        return "database unavailable"
    import redis
    from limits.errors import StorageError

    if isinstance(error, redis.ConnectionError | redis.TimeoutError | StorageError):
        # Redis holds the rate-limit counts: a limited form (login) is refused rather than let
        # through uncounted.
        return "redis unavailable"
    return None


def register(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def handle_http_exception(error: HTTPException):
        if isinstance(error, InternalServerError):
            return handle_unexpected(error.original_exception or error)
        if error.code in (401, 403, 429):
            # Access-control failures are security events. The endpoint, not the path: a path
            # may hold a token (confirmation and reset links).
            # A limited client is named by address, so that a flood can be blocked upstream.
            client = f" from {request.remote_addr}" if error.code == 429 else ""
            app.logger.info("answered %s on %s %s%s", error.code, request.method, request.endpoint, client)
        # Werkzeug's own descriptions are English-only and sometimes technical; ours are translated.
        data = getattr(error, "data", None)
        messages = data.get("messages") if isinstance(data, dict) else None
        description = (
            error.description if wants_problem() and error.description != type(error).description else None
        )
        response, status = render_error(error.code or 500, description, messages)
        if isinstance(error, ServiceUnavailable) or error.code == 503:
            response = app.make_response((response, status))
            response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
            return response
        if error.code == 429 and getattr(error, "retry_after", None):
            response = app.make_response((response, status))
            response.headers["Retry-After"] = str(error.retry_after)
            return response
        if error.code == 405 and hasattr(error, "valid_methods") and error.valid_methods:
            response = app.make_response((response, status))
            response.headers["Allow"] = ", ".join(error.valid_methods)
            return response
        return response, status

    @app.errorhandler(NotAllowed)
    def handle_not_allowed(error: NotAllowed):
        # A refusal no view turned into a form error: the service's words, on the 403 page.
        app.logger.info("answered 403 on %s %s: not allowed", request.method, request.endpoint)
        return render_error(403, str(error) or None)

    @app.errorhandler(DomainError)
    def handle_domain_error(error: DomainError):
        return render_error(409, str(error) or None)

    @app.errorhandler(Exception)
    def handle_unexpected(error: BaseException):
        return answer_for_unexpected(error)


def answer_for_unexpected(error: BaseException) -> Response:
    """The answer to an exception nothing else handled (a 503 when the database or Redis is out
    of reach, else a 500), also for a commit that failed after the view answered."""
    # When the connection died with the database (a restart) the rollback fails too: there
    # is nothing left to roll back, and failing here would turn the 503 below into a bare 500.
    with contextlib.suppress(sa.exc.SQLAlchemyError):
        db.session.rollback()
    if isinstance(error, sa.exc.SQLAlchemyError):
        # The error page must not query the database again (to load the user for the
        # navigation): it would wait for the same lock, or fail the same way, and the
        # visitor would get a bare 500 instead of this page.
        g._login_user = login_manager.anonymous_user()
    unavailable = unavailable_service(error)
    if unavailable is not None:
        current_app.logger.warning("%s, answered 503", unavailable)
        response = current_app.make_response(render_error(503))
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    current_app.logger.exception("unhandled error", exc_info=error)
    return current_app.make_response(render_error(500))

"""Per-request safety: a request id for the logs, and security headers on every response."""

from __future__ import annotations

import logging
import secrets

from flask import Flask, g, request
from flask_login import current_user

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


class RequestIdFilter(logging.Filter):
    """Adds the current request's id to every log record (``-`` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        from flask import has_request_context

        record.request_id = getattr(g, "request_id", "-") if has_request_context() else "-"
        return True


def configure_logging(app: Flask) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s")
    )
    handler.addFilter(RequestIdFilter())
    app.logger.handlers[:] = [handler]
    app.logger.setLevel(logging.INFO)


def register(app: Flask) -> None:
    if not app.testing:
        configure_logging(app)

    @app.before_request
    def assign_request_id() -> None:
        # Accept a proxy's id only if it looks like one, so log lines cannot be forged.
        incoming = request.headers.get("X-Request-ID", "")
        if 8 <= len(incoming) <= 64 and incoming.replace("-", "").isalnum():
            g.request_id = incoming
        else:
            g.request_id = secrets.token_hex(8)

    @app.after_request
    def set_security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        headers["X-Request-ID"] = getattr(g, "request_id", "-")
        if request.is_secure:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if current_user.is_authenticated:
            # Pages for a logged-in user may hold members-only details: never keep them in a cache.
            headers["Cache-Control"] = "no-store"
            headers["Vary"] = "Cookie"
        return response

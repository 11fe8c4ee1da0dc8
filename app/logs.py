"""Log lines for people (``LOG_FORMAT=text``) and for log collectors (``LOG_FORMAT=json``).

Every line carries the request id; JSON lines also carry the client address (as corrected by
ProxyFix behind a proxy), the user id, the method and the route's endpoint. With
``LOG_REQUESTS`` on (production's default) each request adds one line with its status and
duration.

No personal data: users are named by id, routes by endpoint, never by path (confirmation and
reset links carry tokens in the path) and never with the query string.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import Flask, Response, current_app, g, has_request_context, request

TEXT_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"
CONTEXT_FIELDS = ("request_id", "remote_addr", "user_id", "method", "endpoint")
REQUEST_FIELDS = ("status", "duration_ms")


def current_user_id() -> int | None:
    """The logged-in user's id, without loading anything from the database.

    The user object is expired once the request has committed; reading ``user.id`` would query
    again (or fail while the database is down), so the id comes from the identity map's key.
    """
    user = g.get("_login_user")
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    try:
        identity = sa.inspect(user).identity
    except sa.exc.NoInspectionAvailable:
        return None
    return identity[0] if identity else None


def _request_fields() -> dict:
    """The request's id, client address, user id, method and endpoint (in a request context)."""
    current = request._get_current_object()  # one context lookup, not five
    return {
        "request_id": getattr(g, "request_id", "-"),
        "remote_addr": current.remote_addr,
        "user_id": current_user_id(),
        "method": current.method,
        "endpoint": current.endpoint,
    }


class RequestContextFilter(logging.Filter):
    """Adds the request's id, client address, user id, method and endpoint to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        fields = record.__dict__
        if "request_id" in fields:  # a request's own line brings them (log_request)
            return True
        if has_request_context():
            fields.update(_request_fields())
        else:
            record.request_id = "-"
            record.remote_addr = record.user_id = record.method = record.endpoint = None
        return True


# Made once: ``json.dumps`` with options builds a new encoder for every line.
_JSON = json.JSONEncoder(ensure_ascii=False, default=str)


class JsonFormatter(logging.Formatter):
    """One JSON object per line."""

    _second: tuple[int, str] = (-1, "")

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self._time(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = record.__dict__
        for name in CONTEXT_FIELDS + REQUEST_FIELDS:
            value = fields.get(name)
            if value is not None:
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return _JSON.encode(entry)

    def _time(self, created: float) -> str:
        """ISO 8601 in UTC to the millisecond, as ``datetime.isoformat`` writes it; the text of
        the second is made once per second (a line per request asked for it again and again)."""
        second = int(created)
        micro = round((created - second) * 1_000_000)  # rounded as datetime.fromtimestamp does
        if micro == 1_000_000:
            second, micro = second + 1, 0
        known = self._second
        if known[0] != second:
            known = (second, datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S"))
            self._second = known
        return f"{known[1]}.{micro // 1000:03d}+00:00"


def configure_logging(app: Flask) -> None:
    # No format here prints the thread, the process id or the multiprocessing name: do not look
    # them up for every record (the logging HOWTO's "Optimization"; a line per request adds up).
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    handler = logging.StreamHandler()
    if app.config.get("LOG_FORMAT", "text") == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    handler.addFilter(RequestContextFilter())
    app.logger.handlers[:] = [handler]
    app.logger.setLevel(logging.INFO)


def start_timer() -> None:
    g.request_started = time.perf_counter()


def request_duration() -> float | None:
    started = g.get("request_started")
    return None if started is None else time.perf_counter() - started


REQUEST_LOG = logging.getLogger("app.request")


def log_request(response: Response) -> Response:
    if current_app.config.get("LOG_REQUESTS") and REQUEST_LOG.isEnabledFor(logging.INFO):
        fields = _request_fields()  # given to the record: the filter has nothing left to look up
        _write_request_line(
            fields["method"], fields["endpoint"], response.status_code, request_duration(), fields
        )
    return response


def log_answer_outside_flask(
    app: Flask, *, method: str, endpoint: str, status: int, seconds: float, request_id: str, remote_addr: str
) -> None:
    """The request's line for an answer given before Flask made a request context (the page
    cache's replay of a whole answer, app/page_cache.py): the same line, the same fields."""
    if app.config.get("LOG_REQUESTS") and REQUEST_LOG.isEnabledFor(logging.INFO):
        context = {
            "request_id": request_id,
            "remote_addr": remote_addr,
            "user_id": None,
            "method": method,
            "endpoint": endpoint,
        }
        _write_request_line(method, endpoint, status, seconds, context)


def _write_request_line(
    method: str, endpoint: str | None, status: int, duration: float | None, context: dict | None = None
) -> None:
    # The record is made here rather than by ``REQUEST_LOG.info``, which would walk the stack to
    # name this function and line on each request: no format here prints them.
    record = REQUEST_LOG.makeRecord(
        REQUEST_LOG.name,
        logging.INFO,
        __file__,
        0,
        "%s %s %s",
        (method, endpoint, status),
        None,
        func="log_request",
        extra={
            "status": status,
            "duration_ms": None if duration is None else round(duration * 1000, 1),
            **(context or {}),
        },
    )
    REQUEST_LOG.handle(record)


def register(app: Flask) -> None:
    """Register before the other request hooks: the timer starts first and the request's line is
    written last (Flask runs after-request hooks in reverse order)."""
    app.before_request(start_timer)
    app.after_request(log_request)

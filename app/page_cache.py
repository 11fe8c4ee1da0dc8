"""Server-side cache of the public pages anonymous visitors see, emptied by every write.

Most visitors are anonymous and see the same page for the same address; rendering it
again for each of them is most of what a page costs (the queries are few and indexed).
So a rendered page is kept, in each worker's memory, under a *generation* token shared by
all workers; every committed transaction that wrote anything replaces the token, and
pages stored under another token are never served again. A new pledge therefore shows up
on the very next request, in every worker.

The token lives in Redis when ``REDIS_URL`` is set (several hosts), else in a file of the
instance folder (one host, any number of workers). It is unique per write (not a
counter), so two writers racing cannot hand out a token a stale page was stored under,
and it is replaced *after* the commit: a reader that took the token before the write
stores its page under the old token.

Only GET pages of an allow-list of public endpoints, only for requests without a session
or remember-me cookie (so nothing a logged-in member sees can leak into it), and only
responses that set no cookie and did not touch the session.
"""

from __future__ import annotations

import logging
import os
import threading
import uuid
import weakref
from collections import OrderedDict
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, Response, current_app, g, request, session
from sqlalchemy.orm import Session

CACHED_ENDPOINTS = frozenset(
    {
        "main.home",
        "campaigns.index",
        "campaigns.detail",
        "organizations.index",
        "organizations.detail",
        "projects.index",
        "projects.detail",
        "search.results",
    }
)
MAX_ENTRIES = 2_000
MAX_BODY_BYTES = 256 * 1024
READ_ONLY_PREFIXES = ("SELECT", "PRAGMA", "BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK", "SHOW", "SET ")


class Generation:
    """The shared token; ``bump()`` replaces it.

    While Redis is out of reach there is no token (nothing is cached or served from the cache),
    and a write cannot replace it. So after any failure the token is replaced as soon as Redis
    answers again: pages stored before the outage are never served after it.
    """

    def __init__(self, redis_url: str | None, path: Path):
        self._redis = None
        self._unsure = False
        if redis_url:
            import redis

            self._redis = redis.Redis.from_url(redis_url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._path = path
        if not self.current():
            try:
                self.bump()
            except Exception:  # Redis unreachable at start: try again at the next request
                self._unsure = True

    def current(self) -> str:
        try:
            if self._redis is not None:
                if self._unsure:
                    self.bump()
                value = self._redis.get("tadamun:page-generation")
                if not value:  # a Redis restarted without its data
                    self.bump()
                    value = self._redis.get("tadamun:page-generation")
                return value.decode() if value else ""
            return self._path.read_text()
        except (OSError, UnicodeDecodeError):
            return ""
        except Exception:  # redis unreachable: no token, no caching (never a stale page)
            self._unsure = True
            return ""

    def bump(self) -> None:
        token = uuid.uuid4().hex
        if self._redis is not None:
            try:
                self._redis.set("tadamun:page-generation", token)
            except Exception:
                self._unsure = True
                raise
            self._unsure = False
            return
        temporary = self._path.with_name(f".{self._path.name}.{os.getpid()}.{token}")
        temporary.write_text(token)
        os.replace(temporary, self._path)  # atomic: readers see the old token or the new one


class PageCache:
    def __init__(self, generation: Generation):
        self.generation = generation
        self._pages: OrderedDict[str, tuple[str, bytes, str]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str, token: str) -> tuple[bytes, str] | None:
        with self._lock:
            entry = self._pages.get(key)
            if entry is None or entry[0] != token or not token:
                return None
            self._pages.move_to_end(key)
            return entry[1], entry[2]

    def put(self, key: str, token: str, body: bytes, content_type: str) -> None:
        if not token or len(body) > MAX_BODY_BYTES:
            return
        with self._lock:
            self._pages[key] = (token, body, content_type)
            self._pages.move_to_end(key)
            while len(self._pages) > MAX_ENTRIES:
                self._pages.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()


# --- knowing when something was written ---------------------------------------------------------

_writes = threading.local()


def _note_write(conn, cursor, statement, parameters, context, executemany) -> None:
    if not statement.lstrip()[:9].upper().startswith(READ_ONLY_PREFIXES):
        _writes.pending = True


def _after_commit(_session) -> None:
    if getattr(_writes, "pending", False):
        _writes.pending = False
        for generation in list(_generations):
            try:
                generation.bump()
            except Exception as error:
                # The write is committed; failing the request now would only confuse the user.
                # Redis out of reach is an outage the operator sees elsewhere (/readyz); the token
                # is replaced when it returns. Anything else is a bug: with its traceback.
                import redis

                logger = logging.getLogger(__name__)
                if isinstance(error, redis.ConnectionError | redis.TimeoutError):
                    logger.warning("page cache: could not replace the generation token (Redis unreachable)")
                else:
                    logger.exception("page cache: could not replace the generation token")


def _after_rollback(_session) -> None:
    _writes.pending = False


# Every application's token (a process may hold several apps, as the tests do).
_generations: weakref.WeakSet[Generation] = weakref.WeakSet()
_session_events_installed = False


# --- request hooks -------------------------------------------------------------------------------


def _cache() -> PageCache:
    return current_app.extensions["page_cache"]


def _key() -> str | None:
    if request.method not in ("GET", "HEAD") or request.endpoint not in CACHED_ENDPOINTS:
        return None
    cookies = request.cookies
    if (
        current_app.config["SESSION_COOKIE_NAME"] in cookies
        or current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in cookies
    ):
        return None
    from app.i18n import select_locale

    return f"{select_locale()} {request.full_path}"


def serve_from_cache() -> Response | None:
    key = _key()
    if key is None:
        return None
    cache = _cache()
    token = cache.generation.current()
    hit = cache.get(key, token)
    if hit is None:
        # Taken before the page reads anything: a write committed meanwhile changes the token.
        g.page_cache = (key, token)
        return None
    body, content_type = hit
    g.page_cache_hit = True
    return Response(body, content_type=content_type)


def store_in_cache(response: Response) -> Response:
    pending = g.pop("page_cache", None)
    if (
        pending is not None
        and request.method == "GET"
        and response.status_code == 200
        and response.mimetype == "text/html"
        and not response.direct_passthrough
        and not response.is_streamed
        and "Set-Cookie" not in response.headers
        and not session.modified
    ):
        key, token = pending
        _cache().put(key, token, response.get_data(), response.content_type)
    if g.pop("page_cache_hit", False):
        response.headers["X-Page-Cache"] = "hit"
    return response


def register(app: Flask) -> None:
    """Turn the cache on unless ``PAGE_CACHE`` is False (off in tests, and with
    ``TADAMUN_PAGE_CACHE=0`` in the environment).

    Call it before the other request hooks, and :func:`register_lookup` after them: pages are
    stored after every other after-request hook ran (so a cookie they set is seen), and looked
    up after the other before-request hooks (request id, locale) ran."""
    global _session_events_installed
    app.config.setdefault("PAGE_CACHE", not app.testing and os.environ.get("TADAMUN_PAGE_CACHE") != "0")
    if not app.config["PAGE_CACHE"]:
        return
    path = app.config.get("PAGE_CACHE_GENERATION_FILE") or Path(app.instance_path) / "page-cache-generation"
    generation = Generation(app.config.get("REDIS_URL"), Path(path))
    app.extensions["page_cache"] = PageCache(generation)
    _generations.add(generation)
    from app.extensions import db

    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", _note_write)
    if not _session_events_installed:
        sa.event.listen(Session, "after_commit", _after_commit)
        sa.event.listen(Session, "after_rollback", _after_rollback)
        _session_events_installed = True
    app.after_request(store_in_cache)


def register_lookup(app: Flask) -> None:
    if app.config.get("PAGE_CACHE"):
        app.before_request(serve_from_cache)

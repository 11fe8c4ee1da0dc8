"""Server-side cache of the public pages anonymous visitors see, emptied by public writes.

Most visitors are anonymous and see the same page for the same address; rendering it
again for each of them is most of what a page costs (the queries are few and indexed).
So a rendered page is kept, in each worker's memory, under a *generation* token shared by
all workers; every committed transaction that wrote to a table public pages read
(``PUBLIC_TABLES``) replaces the token, and pages stored under another token are never
served again. A new pledge therefore shows up on the very next request, in every worker,
while logins, lockout counters, sessions and audit entries leave the cache warm.

The token lives in Redis when ``REDIS_URL`` is set (several hosts), else in a file of the
instance folder (one host, any number of workers). It is unique per write (not a
counter), so two writers racing cannot hand out a token a stale page was stored under,
and it is replaced *after* the commit: a reader that took the token before the write
stores its page under the old token.

Only GET pages of an allow-list of public endpoints, only for requests without a session
or remember-me cookie (so nothing a logged-in member sees can leak into it), and only
responses that set no cookie and did not touch the session.

Only pages built for the site's own address: a request whose script root differs from
``SITE_URL``'s path, or whose host is not ``SITE_URL``'s host or an exact name of
``TRUSTED_HOSTS``, bypasses the cache, so a forged ``SCRIPT_NAME`` or ``Host`` can never
plant a page whose links point elsewhere. The host is part of the key.

A hit answered by Flask to a request without cookies, conditions or credentials is kept whole
(status, headers, body) and replayed to the same request before Flask (``ReplayAnswers``, at
the end of this module) while the token and the page last.

Two safety nets bound how long a page can outlive what it shows: every entry expires
after ``PAGE_CACHE_TTL`` seconds, and when the token cannot be replaced after a public
write (the token store is down), the worker drops its pages and serves everything
uncached until a renewal succeeds (retried every ``RENEWAL_RETRY_SECONDS``), which also
retires the pages the other workers still hold.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import uuid
import weakref
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from time import monotonic, perf_counter
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Flask, Response, current_app, g, request, session
from sqlalchemy.orm import Session

from app.db_session import is_read

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
# The replayed answers' bodies (most are the stored pages' own compressed bodies, shared).
MAX_ANSWER_BYTES = 64 * 1024 * 1024
DEFAULT_TTL_SECONDS = 60
# How often a worker whose token renewal failed tries again (each try may wait for the
# token store's timeout, so not on every request).
RENEWAL_RETRY_SECONDS = 5.0

# The tables public pages read. A committed write to one of them empties the cache. A new
# table goes in this list if any page in CACHED_ENDPOINTS shows anything from it (even only
# through a join or a count), else in PRIVATE_TABLES; tests/test_page_cache.py fails until it
# is in one of the two. A table in neither list, and a write whose table cannot be told
# (raw SQL), count as public: a needless emptying costs a render, a missed one a stale page.
PUBLIC_TABLES = frozenset(
    {
        "campaigns",
        "campaign_translations",
        "organizations",
        "organization_translations",
        "pledges",
        "projects",
        "project_campaigns",
        "project_translations",
        # What organizations offer and need (their profiles and campaign pages show it).
        "solidarity_offers",
        # Accepted co-sponsors show on project pages and on their own profiles.
        "solidarity_cosponsors",
        # Joint statements, their texts and their (named) signatories are public pages.
        "solidarity_statements",
        "solidarity_statement_texts",
        "solidarity_signatures",
        # Gatherings: their pages, programmes, registration counts and named registrants.
        "gatherings",
        "gathering_translations",
        "gathering_sessions",
        "gathering_session_translations",
        "gathering_organizations",
        "gathering_campaigns",
        "gathering_projects",
        "registration_types",
        "registrations",
        # Campaign life: coordinators are named on the campaign page, updates shown there, on the
        # project page and the home page.
        "campaign_coordinators",
        "updates",
        "update_texts",
        # SQLite's search index (kept by triggers on the tables above; rebuilt by a command).
        "campaigns_fts",
        "organizations_fts",
        "projects_fts",
    }
)
# Tables no cached page reads: accounts (logins, lockout counters, session versions,
# language choices, second factors: passkeys and recovery codes), the moderators' audit log, the
# outbox of mail and jobs, login records (their last use is written while members browse) and the
# access log of private contact details (written when they are shown).
PRIVATE_TABLES = frozenset(
    {
        "users",
        "audit_entries",
        "webauthn_credentials",
        "recovery_codes",
        "outbox_messages",
        "login_sessions",
        "contact_detail_views",
        # Introductions between organizations, blocks and abuse reports (no public page reads them).
        "solidarity_introductions",
        "solidarity_blocks",
        "solidarity_reports",
        # The former words of edited updates, shown only to those who may edit them.
        "update_revisions",
        # Who follows what: shown only to the follower.
        "follows",
        "digest_deliveries",
        # Notifications of one reader, and addresses the mail server refused.
        "notifications",
        "mail_bounces",
    }
)

_WRITTEN_TABLE = re.compile(
    r"\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|REPLACE\s+INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM)\s+"
    r"(?:\w+\.)?[\"`\[]?(\w+)",
    re.IGNORECASE,
)


class Generation:
    """The shared token; ``bump()`` replaces it (and raises when the token store fails).

    While Redis is out of reach there is no token (nothing is cached or served from the cache),
    and a write cannot replace it. So after any failure the token is replaced as soon as Redis
    answers again: pages stored before the outage are never served after it.
    """

    def __init__(self, redis_url: str | None, path: Path):
        self._redis = None
        self._unsure = False
        self._file_token: tuple[tuple[int, ...], str] | None = None
        if redis_url:
            import redis

            self._redis = redis.Redis.from_url(redis_url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._path = path
        if not self.current():
            try:
                self.bump()
            except Exception as error:
                # The site starts without a token store; nothing is cached until one answers
                # (current() tries again at the next request).
                _log_token_failure("page cache: could not create the generation token", error)

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
            return self._read_file()
        except (OSError, UnicodeDecodeError):
            return ""
        except Exception:  # redis unreachable: no token, no caching (never a stale page)
            self._unsure = True
            return ""

    def _read_file(self) -> str:
        # Read again only when the file was replaced: bump() writes a new file and renames it
        # over the old one, so its inode (and times) change. A stat is one cheap system call; a
        # read was an open, a read and a close on every request.
        status = os.stat(self._path)
        identity = (status.st_ino, status.st_dev, status.st_mtime_ns, status.st_ctime_ns, status.st_size)
        known = self._file_token
        if known is not None and known[0] == identity:
            return known[1]
        token = self._path.read_text()
        self._file_token = (identity, token)
        return token

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


def _log_token_failure(message: str, error: Exception) -> None:
    """Redis out of reach is an outage the operator sees elsewhere (/readyz): a warning, once per
    failed attempt. Anything else is a bug: with its traceback."""
    import redis

    logger = logging.getLogger(__name__)
    if isinstance(error, redis.ConnectionError | redis.TimeoutError):
        logger.warning("%s (Redis unreachable)", message)
    else:
        logger.exception(message)


def _normal_host(host: str, scheme: str) -> str:
    host = host.lower()
    default_port = {"http": ":80", "https": ":443"}.get(scheme)
    if default_port and host.endswith(default_port):
        host = host[: -len(default_port)]
    return host


def _host_name(host: str) -> str:
    """``example.org:8000`` -> ``example.org``; ``[::1]:8000`` -> ``[::1]``."""
    colon = host.rfind(":")
    return host[:colon] if colon > host.rfind("]") else host


def _entry_size(entry: tuple) -> int:
    return len(entry[2]) + sum(len(made) for made in entry[4].values())


class PageCache:
    def __init__(
        self,
        generation: Generation,
        *,
        site_url: str,
        trusted_hosts: list[str] | None = None,
        ttl: float = DEFAULT_TTL_SECONDS,
        max_bytes: int | None = None,
    ):
        self.generation = generation
        self.ttl = ttl
        # A bound on the bodies' total size (the oldest used go first), on top of MAX_ENTRIES.
        self.max_bytes = max_bytes
        self._bytes = 0
        site = urlsplit(site_url)
        # The address every cached page is built for: SITE_URL's host (with its port) and path...
        self.site_host = _normal_host(site.netloc, site.scheme)
        self.script_root = site.path.rstrip("/")
        # ...or any port of a name TRUSTED_HOSTS lists exactly (not a ".domain" pattern).
        self.trusted_names = frozenset(
            name.lower() for name in trusted_hosts or () if name and not name.startswith(".")
        )
        # key -> (token, expiry, body, content type, variants made from the body)
        self._pages: OrderedDict[str, tuple[str, float, bytes, str, dict[str, bytes]]] = OrderedDict()
        # Whole answers to replay before Flask (ReplayAnswers): the request's deciding parts ->
        # (token, expiry, status, headers, where X-Request-ID goes, body, endpoint).
        self._answers: OrderedDict[tuple, tuple] = OrderedDict()
        self._answer_bytes = 0
        self._lock = threading.Lock()
        self._renewal_failed = False
        self._last_renewal_attempt = 0.0

    def __len__(self) -> int:
        return len(self._pages)

    def is_canonical(self, host: str, scheme: str, script_root: str) -> bool:
        if script_root != self.script_root:
            return False
        host = _normal_host(host, scheme)
        return host == self.site_host or _host_name(host) in self.trusted_names

    @property
    def usable(self) -> bool:
        return not self._renewal_failed

    def get(self, key: str, token: str) -> tuple[bytes, str, float] | None:
        """The page's body, its content type and when it stops being served (``monotonic()``)."""
        with self._lock:
            entry = self._pages.get(key)
            if entry is None or entry[0] != token or not token or self._renewal_failed:
                return None
            if monotonic() >= entry[1]:
                del self._pages[key]
                self._bytes -= _entry_size(entry)
                return None
            self._pages.move_to_end(key)
            return entry[2], entry[3], entry[1]

    def remember_answer(self, request_key: tuple, token: str, expiry: float, answer: tuple) -> None:
        """Keep the whole answer Flask gave to a cache hit, to be replayed to the same request
        under the same token until the page itself expires."""
        if not token:
            return
        size = len(answer[3])
        with self._lock:
            if self._renewal_failed:
                return
            previous = self._answers.pop(request_key, None)
            if previous is not None:
                self._answer_bytes -= len(previous[5])
            self._answers[request_key] = (token, expiry, *answer)
            self._answer_bytes += size
            while len(self._answers) > MAX_ENTRIES or self._answer_bytes > MAX_ANSWER_BYTES:
                self._answer_bytes -= len(self._answers.popitem(last=False)[1][5])

    def answer(self, request_key: tuple, token: str) -> tuple | None:
        """(status, headers, where X-Request-ID goes, body, endpoint), or None."""
        with self._lock:
            found = self._answers.get(request_key)
            if found is None or found[0] != token or not token or self._renewal_failed:
                return None
            if monotonic() >= found[1]:
                del self._answers[request_key]
                self._answer_bytes -= len(found[5])
                return None
            self._answers.move_to_end(request_key)
            return found[2:]

    def variant(self, key: str, token: str, name: str, make: Callable[[bytes], bytes]) -> bytes | None:
        """A form of the page stored under ``key`` made from its body (its ETag, its compressed
        bodies), made on first use and kept with the page; None when the page is gone."""
        with self._lock:
            entry = self._pages.get(key)
            if entry is None or entry[0] != token:
                return None
            made = entry[4].get(name)
        if made is None:
            made = make(entry[2])
            with self._lock:
                if self._pages.get(key) is entry and name not in entry[4]:
                    entry[4][name] = made
                    self._bytes += len(made)
        return made

    def put(self, key: str, token: str, body: bytes, content_type: str) -> None:
        if not token or len(body) > MAX_BODY_BYTES:
            return
        with self._lock:
            if self._renewal_failed:
                return  # rendered before the failure: it may show what the failed renewal should retire
            previous = self._pages.get(key)
            if previous is not None:
                self._bytes -= _entry_size(previous)
            self._pages[key] = (token, monotonic() + self.ttl, body, content_type, {})
            self._bytes += len(body)
            self._pages.move_to_end(key)
            while len(self._pages) > MAX_ENTRIES or (
                self.max_bytes is not None and self._bytes > self.max_bytes and len(self._pages) > 1
            ):
                self._bytes -= _entry_size(self._pages.popitem(last=False)[1])

    def clear(self) -> None:
        with self._lock:
            self._drop_everything()

    def _drop_everything(self) -> None:
        self._pages.clear()
        self._bytes = 0
        self._answers.clear()
        self._answer_bytes = 0

    def renew(self) -> bool:
        """Replace the shared token after a committed public write. When the token store fails,
        drop every page and refuse to cache until a renewal succeeds: this worker's pages, and
        the other workers' (still under the old token), may show what the write changed."""
        self._last_renewal_attempt = monotonic()
        try:
            self.generation.bump()
        except Exception as error:
            with self._lock:
                self._renewal_failed = True
                self._drop_everything()
            # The write is committed; failing the request now would only confuse the user.
            _log_token_failure(
                "page cache: could not replace the generation token; serving uncached until it works", error
            )
            return False
        with self._lock:
            self._renewal_failed = False
        return True

    def retry_renewal_if_due(self) -> None:
        if self._renewal_failed and monotonic() - self._last_renewal_attempt >= RENEWAL_RETRY_SECONDS:
            self.renew()


# --- knowing when something public was written --------------------------------------------------

_writes = threading.local()


def written_table(statement: str, context) -> str | None:
    """The table an INSERT, UPDATE or DELETE writes, or None when it cannot be told."""
    compiled_statement = getattr(getattr(context, "compiled", None), "statement", None)
    table = getattr(compiled_statement, "table", None)
    name = getattr(table, "name", None)
    if isinstance(name, str):
        return name
    match = _WRITTEN_TABLE.match(statement)
    return match.group(1).lower() if match else None


def _note_write(conn, cursor, statement, parameters, context, executemany) -> None:
    if is_read(statement, context):
        return
    if written_table(statement, context) not in PRIVATE_TABLES:
        _writes.pending = True


def _after_commit(_session) -> None:
    if getattr(_writes, "pending", False):
        _writes.pending = False
        for cache in list(_caches):
            cache.renew()


def _after_rollback(_session) -> None:
    _writes.pending = False


# Every application's cache (a process may hold several apps, as the tests do).
_caches: weakref.WeakSet[PageCache] = weakref.WeakSet()
_session_events_installed = False


# --- request hooks -------------------------------------------------------------------------------


def _cache() -> PageCache:
    return current_app.extensions["page_cache"]


def _key(cache: PageCache) -> str | None:
    if request.method not in ("GET", "HEAD") or request.endpoint not in CACHED_ENDPOINTS:
        return None
    cookies = request.cookies
    if (
        current_app.config["SESSION_COOKIE_NAME"] in cookies
        or current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in cookies
    ):
        return None
    # Links in a page are built from the request's script root (and could one day use its
    # host): a page built for any other address than the site's own is never stored nor served.
    if not cache.is_canonical(request.host, request.scheme, request.script_root):
        return None
    from app.i18n import current_locale

    host = _normal_host(request.host, request.scheme)
    # Flask-Babel's choice, kept for the request: the page is rendered in it too.
    return f"{current_locale()} {request.scheme}://{host}{request.full_path}"


def serve_from_cache() -> Response | None:
    cache = _cache()
    cache.retry_renewal_if_due()
    if not cache.usable:
        return None
    key = _key(cache)
    if key is None:
        return None
    token = cache.generation.current()
    hit = cache.get(key, token)
    if hit is None:
        # Taken before the page reads anything: a write committed meanwhile changes the token.
        g.page_cache = (key, token)
        return None
    body, content_type, expiry = hit
    g.page_cache_hit = True
    request.environ[REPLAYABLE] = (token, expiry, request.endpoint)
    return _cached_response(cache, key, token, body, content_type)


def _cached_response(cache: PageCache, key: str, token: str, body: bytes, content_type: str) -> Response:
    """The stored page, with its ETag and, for a client that accepts it, the compressed body
    Flask-Compress would send (same algorithm, same level): both made once per stored page, not
    on every hit (compressing a page took about as long as the rest of a hit)."""
    from werkzeug.http import generate_etag

    response = Response(content_type=content_type)
    etag = (cache.variant(key, token, "etag", lambda data: generate_etag(data).encode()) or b"").decode()
    algorithm = None
    if len(body) >= current_app.config["COMPRESS_MIN_SIZE"]:
        algorithm = compression_for(request.headers.get("Accept-Encoding", ""))
    data = cache.variant(key, token, algorithm, _compressor(algorithm)) if algorithm else None
    if data is None or not etag:
        response.set_data(body)
        if etag:
            response.set_etag(etag)
        return response
    response.set_data(data)
    response.headers["Content-Encoding"] = algorithm
    response.vary.add("Accept-Encoding")
    response.set_etag(f"{etag}:{algorithm}")  # the tag Flask-Compress gives a compressed body
    return response


def compression_for(accept_encoding: str) -> str | None:
    """The algorithm Flask-Compress would choose for this Accept-Encoding header."""
    from flask_compress.flask_compress import _choose_algorithm

    from app.extensions import compress

    return _choose_algorithm(compress.enabled_algorithms, accept_encoding)


def _compressor(algorithm: str) -> Callable[[bytes], bytes]:
    from flask_compress.flask_compress import _compress_data

    app = current_app._get_current_object()
    return lambda data: _compress_data(app, data, algorithm)


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
    cache = PageCache(
        generation,
        site_url=app.config["SITE_URL"],
        trusted_hosts=app.config.get("TRUSTED_HOSTS"),
        ttl=float(app.config.get("PAGE_CACHE_TTL", DEFAULT_TTL_SECONDS)),
    )
    app.extensions["page_cache"] = cache
    _caches.add(cache)
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


# --- replaying whole answers before Flask -------------------------------------------------------

# Set in the environ by a hit Flask served: (token, the page's expiry, the endpoint).
REPLAYABLE = "tadamun.page_cache.replayable"
# A request carrying any of these goes through Flask: a cookie (a session, a language), a
# conditional or ranged request (304, 206), a request id to echo, credentials.
_THROUGH_FLASK = frozenset(
    {
        "HTTP_COOKIE",
        "HTTP_IF_NONE_MATCH",
        "HTTP_IF_MODIFIED_SINCE",
        "HTTP_IF_MATCH",
        "HTTP_IF_UNMODIFIED_SINCE",
        "HTTP_RANGE",
        "HTTP_IF_RANGE",
        "HTTP_X_REQUEST_ID",
        "HTTP_AUTHORIZATION",
    }
)


def _replay_key(environ: dict) -> tuple | None:
    """What decides a cached page's whole answer, read from the environ as it came: the address
    (scheme, host, script root, path, query) and the headers a hit varies on (the language asked
    for, the compression accepted). None for a request that must go through Flask."""
    if environ.get("REQUEST_METHOD") != "GET" or "HTTP_HOST" not in environ:
        return None
    if not _THROUGH_FLASK.isdisjoint(environ):
        return None
    return (
        environ.get("wsgi.url_scheme"),
        environ["HTTP_HOST"],
        environ.get("SCRIPT_NAME", ""),
        environ.get("PATH_INFO", ""),
        environ.get("QUERY_STRING", ""),
        environ.get("HTTP_ACCEPT_LANGUAGE"),
        environ.get("HTTP_ACCEPT_ENCODING"),
    )


class ReplayAnswers:
    """WSGI middleware: answer a request Flask answered from the page cache before, exactly as
    Flask did, without building Flask's request context.

    A cache hit still cost about as much as Flask's request hooks (a request context, the
    locale, the session, a dozen after-request hooks setting the same headers). The answer to a
    hit is a function of the request's address, its Accept-Language and Accept-Encoding, and
    the generation token: so when Flask serves a hit to a request without cookies, conditions
    or credentials, its whole answer (status, headers, body) is kept under those parts, and the
    next such request under the same token gets it again, with a fresh X-Request-ID, its log
    line and its metrics. Anything that would make the answer differ (a cookie, If-None-Match,
    a Set-Cookie in the answer, a new token, the page's expiry, a failed renewal) sends the
    request through Flask, which decides as before; nothing is kept that Flask did not send.

    It wraps Flask's own WSGI callable, inside ProxyFix, so the scheme and client address are
    the corrected ones.
    """

    def __init__(self, app: Flask, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        cache = self.app.extensions.get("page_cache")
        key = _replay_key(environ) if cache is not None else None
        if key is None:
            return self.wsgi_app(environ, start_response)
        started = perf_counter()
        cache.retry_renewal_if_due()
        token = cache.generation.current() if cache.usable else ""
        answer = cache.answer(key, token) if token else None
        if answer is None:
            return self._learn(cache, key, environ, start_response)
        status, headers, id_at, body, endpoint = answer
        from app.logs import log_answer_outside_flask
        from app.metrics import record_request
        from app.security import new_request_id

        request_id = new_request_id()
        headers = list(headers)
        headers.insert(id_at, ("X-Request-ID", request_id))
        start_response(status, headers)
        seconds = perf_counter() - started
        record_request(endpoint, "GET", 200, seconds)
        log_answer_outside_flask(
            self.app,
            method="GET",
            endpoint=endpoint,
            status=200,
            seconds=seconds,
            request_id=request_id,
            remote_addr=environ.get("REMOTE_ADDR", ""),
        )
        return [body]

    def _learn(self, cache: PageCache, key: tuple, environ, start_response):
        sent: list = []

        def keep_status_and_headers(status, headers, exc_info=None):
            sent[:] = [status, headers]
            return start_response(status, headers, exc_info)

        answer = self.wsgi_app(environ, keep_status_and_headers)
        replayable = environ.get(REPLAYABLE)
        if replayable is None or not sent or not sent[0].startswith("200 "):
            return answer
        status, headers = sent
        names = [name.lower() for name, _value in headers]
        if "set-cookie" in names or names.count("x-request-id") != 1:
            return answer
        try:
            body = b"".join(answer)
        finally:
            close = getattr(answer, "close", None)
            if close is not None:
                close()
        id_at = names.index("x-request-id")
        kept = tuple(header for index, header in enumerate(headers) if index != id_at)
        token, expiry, endpoint = replayable
        cache.remember_answer(key, token, expiry, (status, kept, id_at, body, endpoint))
        return [body]


def register_replay(app: Flask) -> None:
    """Wrap Flask's own WSGI callable (before ProxyFix and the other middleware wrap it)."""
    app.wsgi_app = ReplayAnswers(app, app.wsgi_app)

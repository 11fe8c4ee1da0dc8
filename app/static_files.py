"""Fingerprinted static URLs, so browsers and nginx may keep static files for a year.

Templates name static files with ``static_url("css/tadamun.css")``, which adds a hash of the
file's content: ``/static/css/tadamun.css?v=3f2a9c0d1e7b``. A changed file gets a new URL, so a
response to a URL carrying the *current* hash can be cached for a year as ``immutable``. A URL
without it, or with an old one, keeps Flask's default (the browser revalidates), so a visitor
never keeps an old stylesheet under a new page.

The hash is computed once per file and process, and again only when the file's size or
modification time changes (a developer editing CSS sees it at once).
"""

from __future__ import annotations

import hashlib
import os
import threading

from flask import Flask, Response, current_app, request, url_for
from werkzeug.security import safe_join

YEAR_SECONDS = 365 * 24 * 3600
DIGEST_LENGTH = 12

_digests: dict[str, tuple[int, int, str]] = {}
_lock = threading.Lock()


def fingerprint(filename: str) -> str | None:
    """The content hash of a file under the static folder, or None when there is no such file."""
    folder = current_app.static_folder
    path = safe_join(folder, filename) if folder else None
    if path is None:
        return None
    try:
        status = os.stat(path)
    except OSError:
        return None
    cached = _digests.get(path)
    if cached is not None and cached[:2] == (status.st_mtime_ns, status.st_size):
        return cached[2]
    hasher = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(65536), b""):
            hasher.update(block)
    digest = hasher.hexdigest()[:DIGEST_LENGTH]
    with _lock:
        _digests[path] = (status.st_mtime_ns, status.st_size, digest)
    return digest


def static_url(filename: str) -> str:
    """The URL of a static file with its content hash (plain when the file is missing)."""
    digest = fingerprint(filename)
    if digest is None:
        return url_for("static", filename=filename)
    return url_for("static", filename=filename, v=digest)


def cache_fingerprinted(response: Response) -> Response:
    """A year-long, immutable lifetime for a static file asked for with its current hash."""
    if request.endpoint != "static" or response.status_code not in (200, 304):
        return response
    wanted = request.args.get("v")
    filename = (request.view_args or {}).get("filename")
    if wanted and filename and wanted == fingerprint(filename):
        response.cache_control.no_cache = None
        response.cache_control.public = True
        response.cache_control.max_age = YEAR_SECONDS
        response.cache_control.immutable = True
    return response


def register(app: Flask) -> None:
    app.jinja_env.globals["static_url"] = static_url
    app.after_request(cache_fingerprinted)

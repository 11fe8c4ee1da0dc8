"""URLs that are safe to follow: redirect targets that stay on the site, member-given links."""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

from flask import Flask, request, url_for
from werkzeug.routing import IntegerConverter

# The largest id our columns hold: ids are sa.Integer, a 32-bit integer on PostgreSQL (a larger
# number there is an "out of range" error, and on SQLite beyond 2**63 an OverflowError).
MAX_DATABASE_ID = 2**31 - 1


class DatabaseIdConverter(IntegerConverter):
    """``<int:...>`` that refuses numbers no database id can be: /users/99999999999999999999
    is a 404, not an overflow error (a 500) inside the database driver."""

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):
        super().__init__(map, fixed_digits, min, MAX_DATABASE_ID if max is None else max, signed)


def register_converters(app: Flask) -> None:
    """Before any route is added: every ``<int:...>`` in the app is bounded."""
    app.url_map.converters["int"] = DatabaseIdConverter


def is_safe_redirect_target(target: str | None) -> bool:
    """True only for a path on this site, like Django's ``url_has_allowed_host_and_scheme``.

    Refuses absolute URLs, scheme-relative ``//evil``, ``/\\evil`` (browsers read the
    backslash as a slash), ``https:evil``, ``javascript:``, and control characters.
    """
    if not target:
        return False
    target = target.strip()
    if not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target:
        return False
    if any(unicodedata.category(ch).startswith("C") for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def safe_next_url(default_endpoint: str = "main.home") -> str:
    """The ``next`` parameter if it stays on this site, else the default page."""
    target = request.values.get("next")
    return target if is_safe_redirect_target(target) else url_for(default_endpoint)


def website_url(url: str | None) -> str | None:
    """A member-given website, only if it is an http(s) address (no javascript: links)."""
    if not url:
        return None
    url = url.strip()
    if url.lower().startswith(("http://", "https://")) and len(url) > len("https://"):
        return url
    return None

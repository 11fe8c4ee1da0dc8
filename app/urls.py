"""URLs that are safe to follow: redirect targets that stay on the site, member-given links,
and the id converter of every route."""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

from flask import Flask, request, url_for
from werkzeug.routing import BaseConverter, ValidationError

from app.numbers import MAX_DATABASE_ID, parse_id

__all__ = ["MAX_DATABASE_ID", "DatabaseIdConverter", "is_safe_redirect_target", "register_converters"]


class DatabaseIdConverter(BaseConverter):
    """``<int:...>`` for database ids, read by ``app.numbers.parse_id``: /users/99999999999999999999
    is a 404, not an overflow error (a 500) inside the database driver, and so is /users/٣
    (Werkzeug's own ``\\d+`` matches any script's digits)."""

    regex = r"[0-9]+"
    weight = 50  # as Werkzeug's int: tried before a plain string part

    def to_python(self, value: str) -> int:
        number = parse_id(value)
        if number is None:
            raise ValidationError()
        return number

    def to_url(self, value: int) -> str:
        return str(int(value))


def register_converters(app: Flask) -> None:
    """Before any route is added: every ``<int:...>`` in the app is a bounded database id."""
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

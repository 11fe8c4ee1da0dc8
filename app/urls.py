"""Redirect targets that cannot lead off the site."""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

from flask import request, url_for


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

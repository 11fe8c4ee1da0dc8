"""The open-data doors answer every request as a visitor, whoever sends it.

The public API (``/api/v1``), the Atom feeds (``/feeds``), the exports (``/open-data``), the
sitemap and robots.txt are read by programs and cached by proxies: they must never depend on
who is logged in. Rather than trusting each view to ignore the session, the Cookie header is
removed before Flask sees such a request, so no session, remember-me cookie or login record
is ever read there (the view cannot even know who is asking), and, the session being empty,
no cookie is set in the answer. tests/test_api.py proves a member's cookie changes nothing.
"""

from __future__ import annotations

import re

OPEN_PREFIXES = ("/api/v1/", "/feeds/", "/open-data/")
OPEN_PATHS = frozenset({"/api/v1", "/sitemap.xml", "/robots.txt"})
# Sitemaps of a split sitemap (/sitemap-1.xml, ...), and every Atom feed wherever it lives (a
# campaign's updates at /campaigns/<slug>/updates.atom): public and cached like the others.
_OPEN_PATTERN = re.compile(r"^/sitemap-[0-9]+\.xml$|^/[^?#]*\.atom$")


def is_open_path(path: str) -> bool:
    return path in OPEN_PATHS or path.startswith(OPEN_PREFIXES) or bool(_OPEN_PATTERN.match(path))


class CookielessOpenDoors:
    """WSGI middleware: drop the Cookie header of requests to the open-data doors."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        if is_open_path(environ.get("PATH_INFO", "")):
            environ.pop("HTTP_COOKIE", None)
        return self.wsgi_app(environ, start_response)

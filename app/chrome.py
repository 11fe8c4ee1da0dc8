"""The frame of every page — head, header and footer — rendered once and reused.

A page's frame was about half of what a logged-in member's page cost once its body came from a
shared fragment (app/fragments.py): some twenty translated strings, twenty links built, the
language switcher and the alternate links for the four languages, for every request. Yet it
depends on few things, all of them in the key it is kept under:

- the page's language, and the address asked for (method, host, script root, endpoint, path
  and query: the links to this page in other languages, the search box's words, which area of
  the navigation is current), and ``SITE_URL``;
- the kind of reader (a visitor, someone logged in, a moderator) and, for them, the numbers the
  header shows (unread notifications, applications waiting). Numbers, not the person: two
  members with three unread notifications share one header.

The one thing in it that belongs to a reader, the logout form's CSRF token, is left as a slot
(a random marker) and filled in for each request. Nothing else a reader owns may enter a part
(``tests/test_chrome.py``). Parts are kept per worker in a bounded LRU (``MAX_ENTRIES``); they
never go stale, since everything they show is in their key. With ``CHROME_CACHE`` off (the
development server, whose templates may change while it runs) every part is rendered each time.

The same store keeps a reader's own part that many requests show alike (``shared_part``: a
member's pledge panel), under a key the view gives with everything the part shows of the reader.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict

from flask import Flask, current_app, request
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape

from app.dates import reader_zone

PARTS = ("head", "links", "header", "search_box", "header_end", "footer")
MAX_ENTRIES = 4000
_EXTENSION = "tadamun.chrome"

# Random per process, like the fragments' slot: nothing typed can contain it.
CSRF_SLOT = Markup(f"chrome-csrf-slot-{secrets.token_hex(8)}")  # noqa: S704  # nosec B704 (hex digits)


class PartCache:
    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._parts: OrderedDict[tuple, str] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._parts)

    def get(self, key: tuple) -> str | None:
        with self._lock:
            html = self._parts.get(key)
            if html is not None:
                self._parts.move_to_end(key)
            return html

    def put(self, key: tuple, html: str) -> None:
        with self._lock:
            self._parts[key] = html
            self._parts.move_to_end(key)
            while len(self._parts) > self.max_entries:
                self._parts.popitem(last=False)


def _reader(context: Context) -> tuple[str, int, int]:
    """The kind of reader and the numbers their header shows."""
    user = context.get("current_user")
    if not getattr(user, "is_authenticated", False):
        return ("visitor", 0, 0)
    if user.is_moderator:
        return ("moderator", user.unread_notifications or 0, context.get("moderation_waiting") or 0)
    return ("user", user.unread_notifications or 0, 0)


def _key(context: Context, part: str) -> tuple:
    return (
        part,
        str(context.get("current_locale")),
        *_reader(context),
        request.method,
        request.host,
        request.script_root,
        request.endpoint,
        request.full_path,
        current_app.config["SITE_URL"],
    )


@pass_context
def chrome(context: Context, part: str) -> Markup:
    """The part ``part`` of the page's frame (one of PARTS), from the cache or rendered."""
    if part not in PARTS:
        raise ValueError(f"no part {part!r} in the page's frame")
    cache: PartCache | None = current_app.extensions.get(_EXTENSION)
    key = _key(context, part) if cache is not None else None
    return _stored_or_rendered(context, f"_chrome/{part}.html", cache, key)


@pass_context
def shared_part(context: Context, template_name: str, key: tuple | None) -> Markup:
    """``template_name`` rendered with the page's context, kept among the shared parts under
    ``key`` (everything the part shows of the reader, given by the view) beside the page's
    language, time zone and address; rendered every time when ``key`` is None.

    For a reader's own part that many requests show the same way (a member's pledge panel): its
    CSRF token is a slot (``csrf_slot``, defined only here) filled in per request, as in the frame.
    """
    cache: PartCache | None = current_app.extensions.get(_EXTENSION)
    full_key = None
    if cache is not None and key is not None:
        full_key = (
            template_name,
            str(context.get("current_locale")),
            str(reader_zone()),
            request.host,
            request.script_root,
            current_app.config["SITE_URL"],
            *key,
        )
    return _stored_or_rendered(context, template_name, cache, full_key)


def _stored_or_rendered(
    context: Context, template_name: str, cache: PartCache | None, key: tuple | None
) -> Markup:
    """The part stored under ``key``, else ``template_name`` rendered with the CSRF slot (and
    stored when there is a key); the reader's token filled in either way."""
    html = cache.get(key) if cache is not None and key is not None else None
    if html is None:
        template = context.environment.get_template(template_name)
        html = template.render({**context.get_all(), "csrf_slot": CSRF_SLOT})
        if cache is not None and key is not None:
            cache.put(key, html)
    if CSRF_SLOT in html:
        html = html.replace(CSRF_SLOT, str(escape(context["csrf_token"]())))
    return Markup(html)  # noqa: S704  # nosec B704 (Jinja rendered it; the token is escaped)


def register(app: Flask) -> None:
    app.jinja_env.globals["chrome"] = chrome
    app.jinja_env.globals["shared_part"] = shared_part
    enabled = app.config.get("CHROME_CACHE")
    if enabled is None:
        enabled = not (app.debug or app.config.get("TEMPLATES_AUTO_RELOAD"))
    if enabled:
        app.extensions[_EXTENSION] = PartCache()

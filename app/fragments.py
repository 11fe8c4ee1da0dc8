"""Fragment caching: the public parts of a page rendered once and reused, for everyone logged in.

The page cache (``app.page_cache``) serves whole pages to visitors without a session. A logged-in
member's page cannot be cached whole: its header names them, its forms carry their CSRF token, its
pledge panel shows their organization's pledge, its flash messages are theirs. But most of what a
page costs is its public body (the campaign's text, its supporters and projects, the directory's
rows, search results), which is the same for every reader of one *audience*. So a view hands the
public body to :func:`cached`, and only what belongs to the reader is rendered per request.

A fragment is kept in the worker's memory under a key made of:

- the **audience** (:func:`audience`): ``visitor`` (no login, or a member whose organization is
  not approved: they see what the public sees), ``member`` (``directory.viewer_sees_members_only``:
  approved members see members-only pledges and links) or ``moderator`` (members' view plus the
  moderators' hide links);
- the page's **language** and the reader's **time zone** (dates are shown in it);
- the site's address (host and script root; only the site's own, as for the page cache), the
  **route** and its arguments, and the whole query string;
- the fragment's name;

and stored with the page cache's **generation token**: every committed write to a public table
(``page_cache.PUBLIC_TABLES``) replaces the token, and a fragment stored under another token is
never served again. Fragments also expire after ``PAGE_CACHE_TTL`` seconds, and nothing is cached
while the page cache is off (``TADAMUN_PAGE_CACHE=0``, tests) or its token store fails.

What a fragment may hold: what any reader of its audience would see on that address. Never a
CSRF token, a flashed message, the reader's name, organization or pledge, a form bound to them:
their templates (``FRAGMENT_TEMPLATES``) are checked for such things by
``tests/test_fragments.py``, which also renders pages as one member then another, and as a
visitor after a member, and looks for what must not cross.

A fragment may leave *slots* where the per-request parts go: the template writes
``{{ fragment_slot }}`` there, and :func:`cached` returns the pieces between the slots, which the
page template writes around the reader's own parts.

The same token keeps a figure read from public tables alone (:func:`per_generation`): the
moderators' count of waiting applications is counted once per generation in each worker.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, g, request
from flask_login import current_user
from markupsafe import Markup

from app.page_cache import MAX_BODY_BYTES, PageCache, _normal_host
from app.services.directory import viewer_sees_members_only

VISITOR, MEMBER, MODERATOR = "visitor", "member", "moderator"
# What the fragments of one worker may hold in all (the oldest used go first): a body is a few
# to a few tens of kilobytes, so thousands of pages and audiences fit.
DEFAULT_MAX_BYTES = 32 * 1024 * 1024
_PER_GENERATION = "tadamun.per_generation"  # key in app.extensions: per_generation's values
T = TypeVar("T")

# The templates rendered as shared fragments (checked by tests/test_fragments.py).
FRAGMENT_TEMPLATES = (
    "main/_home_body.html",
    "campaigns/_index_body.html",
    "campaigns/_detail_body.html",
    "organizations/_index_body.html",
    "organizations/_detail_body.html",
    "projects/_index_body.html",
    "projects/_detail_body.html",
    "search/_results_body.html",
    "search/_kind_body.html",
)

# Where a fragment leaves room for the reader's own parts. Random per process: no text a user
# typed can contain it (it would be escaped anyway), so a fragment splits only where its
# template put a slot.
SLOT = Markup(f"<!--fragment-slot-{secrets.token_hex(8)}-->")  # noqa: S704  # nosec B704 (hex digits)


def audience(user=None) -> str:
    """Who a fragment is rendered for, as far as what it may show goes (see the module)."""
    user = current_user if user is None else user
    if not getattr(user, "is_authenticated", False):
        return VISITOR
    if user.is_moderator:
        return MODERATOR
    return MEMBER if viewer_sees_members_only(user) else VISITOR


def _store() -> PageCache | None:
    """The fragment store, when the page cache is on and its token store answers."""
    page_cache = current_app.extensions.get("page_cache")
    fragments = current_app.extensions.get("fragment_cache")
    if page_cache is None or fragments is None or not page_cache.usable:
        return None
    return fragments


def _key(store: PageCache, name: str) -> str | None:
    if request.method not in ("GET", "HEAD"):
        return None
    # Links in a fragment are built from the request's host and script root: only the site's own.
    if not store.is_canonical(request.host, request.scheme, request.script_root):
        return None
    from app.i18n import current_locale, select_timezone

    host = _normal_host(request.host, request.scheme)
    return "\x1f".join(
        (
            name,
            audience(),
            current_locale(),
            select_timezone() or "-",
            f"{request.scheme}://{host}{request.script_root}",
            request.endpoint or "",
            request.full_path,
        )
    )


def generation() -> str:
    """This request's generation token, read once ("" when the store is off or its token store
    does not answer). A view asks for it before its first query to tie what it reads to it."""
    store = _store()
    return _token(store) if store is not None else ""


def per_generation(name: str, compute: Callable[[], T]) -> T:
    """``compute()``, kept by this worker while the generation token stays the same: for a figure
    read from public tables only, which every write to them replaces the token of. Without a
    token (the page cache off, its token store not answering) it is computed each time. The
    token is read before ``compute()`` runs, so a value is never kept under a newer token than
    the data it was read from."""
    token = generation()
    if not token:
        return compute()
    kept: dict[str, tuple[str, Any]] = current_app.extensions.setdefault(_PER_GENERATION, {})
    held = kept.get(name)
    if held is not None and held[0] == token:
        return held[1]
    value = compute()
    kept[name] = (token, value)
    return value


def _token(store: PageCache) -> str:
    """The generation token, read once per request (a file or Redis read)."""
    token = g.get("_fragment_token")
    if token is None:
        token = g._fragment_token = store.generation.current()
    return token


def cached(name: str, render: Callable[[], str], *, slots: int = 0) -> tuple[Markup, ...]:
    """The fragment ``name`` of this page for this reader's audience: from the cache, or
    ``render()`` (which loads what the fragment shows and renders its template) stored for the
    next reader. Returns the ``slots + 1`` pieces between its slots.

    An exception in ``render()`` (a 404, a 400) passes through and stores nothing."""
    store = _store()
    key = _key(store, name) if store is not None else None
    if key is not None:
        token = _token(store)
        hit = store.get(key, token)
        if hit is not None:
            return _pieces(hit[0].decode(), slots)
    html = str(render())
    pieces = _pieces(html, slots)
    if key is not None and len(html) <= MAX_BODY_BYTES:
        store.put(key, token, html.encode(), "text/html")
    return pieces


def _pieces(html: str, slots: int) -> tuple[Markup, ...]:
    pieces = html.split(SLOT)
    if len(pieces) != slots + 1:
        raise ValueError(f"a fragment with {len(pieces) - 1} slots where {slots} were expected")
    return tuple(Markup(piece) for piece in pieces)  # noqa: S704  # nosec B704 (Jinja rendered it)


def register(app: Flask) -> None:
    """Call after ``page_cache.register``: fragments use its generation token, and are on when it is."""
    app.jinja_env.globals["fragment_slot"] = SLOT
    page_cache = app.extensions.get("page_cache")
    if page_cache is None:
        return
    app.extensions["fragment_cache"] = PageCache(
        page_cache.generation,
        site_url=app.config["SITE_URL"],
        trusted_hosts=app.config.get("TRUSTED_HOSTS"),
        ttl=page_cache.ttl,
        max_bytes=int(app.config.get("FRAGMENT_CACHE_MAX_BYTES", DEFAULT_MAX_BYTES)),
    )

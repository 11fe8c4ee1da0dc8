"""HTTP caching of public pages for anonymous visitors.

An anonymous GET of an HTML page gets an ``ETag`` (a hash of the body) and
``Cache-Control: no-cache``: a browser or proxy may keep the page but must ask again,
and when nothing changed the answer is a body-less ``304 Not Modified`` — on a poor
connection that is the difference between a page and a spinner.

Never for logged-in users: their pages may hold members-only details and are sent with
``no-store`` by :mod:`app.security`. Never when the response sets a cookie (a CSRF token
in a fresh session, a remembered language): such a page belongs to one visitor.

Flask-Compress runs after this hook and appends ``:gzip`` (or ``:br``) to the tag of the
compressed body, so a revalidation may come back with either form; both match.
"""

from __future__ import annotations

from flask import Flask, Response, request, session

from app.security import has_login

CACHEABLE_METHODS = frozenset({"GET", "HEAD"})
STATIC_TEXT = frozenset({"text/css", "text/javascript", "application/javascript", "image/svg+xml"})


def is_anonymous_page(response: Response) -> bool:
    return (
        request.method in CACHEABLE_METHODS
        and response.status_code == 200
        and response.mimetype == "text/html"
        and not response.is_streamed
        and not response.direct_passthrough
        and "Set-Cookie" not in response.headers
        # The session cookie is written after this hook: a page that changed the session
        # (a new CSRF token, a flashed message read) is about to set one.
        and not session.modified
        and not has_login()
    )


def _matching_tag(etag: str) -> str | None:
    """The tag the client sent that names this body (plain or with a compression suffix)."""
    for tag in request.if_none_match.as_set(include_weak=True):
        if tag == etag or tag.startswith(etag + ":"):
            return tag
    return None


def add_validators(response: Response) -> Response:
    if not is_anonymous_page(response):
        return response
    response.cache_control.no_cache = True
    response.vary.update(("Cookie", "Accept-Language"))
    response.add_etag()
    etag, _weak = response.get_etag()
    matched = _matching_tag(etag)
    if matched is not None:
        # Answer with the tag the client holds, so it keeps the copy it has.
        response.set_etag(matched)
        response.make_conditional(request)
    return response


def buffer_static_text(response: Response) -> Response:
    """Read small static text files (CSS, JS, SVG) into memory so they are compressed.

    Flask sends static files as streams, and the configuration turns off Flask-Compress's
    streaming path (it leaks file descriptors); a buffered body takes the ordinary path and
    the file is closed when the response is.
    """
    if request.endpoint == "static" and response.mimetype in STATIC_TEXT and response.status_code == 200:
        response.direct_passthrough = False
        stream = response.response
        response.set_data(b"".join(response.iter_encoded()))
        close = getattr(stream, "close", None)
        if close is not None:
            close()
    return response


def register(app: Flask) -> None:
    """Register before the other request hooks: Flask runs after-request hooks in reverse
    order, so this one sees the cookies the others set (only Flask-Compress runs later)."""
    app.after_request(add_validators)
    app.after_request(buffer_static_text)

"""Text that members write: safe Markdown, and slugs for URLs (unique per table)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection

import nh3
import sqlalchemy as sa
from markdown_it import MarkdownIt
from markupsafe import Markup

from app.extensions import db

# Raw HTML in Markdown is switched off at the parser, and what it produces still goes
# through nh3 (Ammonia): no script, no event handler, no javascript: or data: link survives.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).disable("image")

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "a", "ul", "ol", "li", "blockquote", "code", "pre",
    "h3", "h4", "h5", "h6", "hr",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "nofollow ugc noopener"


def sanitize_html(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel=LINK_REL,
        strip_comments=True,
    )


def render_markdown(source: str | None) -> Markup:
    """Member-written Markdown as sanitized HTML, safe to put in a page."""
    if not source:
        return Markup("")
    # Headings inside a description must not outrank the page's own h1/h2.
    html = _markdown.render(source)
    html = re.sub(r"<(/?)h[12]>", r"<\1h3>", html)
    # Safe: nh3 has just removed every tag, attribute and URL scheme outside the allow-lists.
    return Markup(sanitize_html(html))  # noqa: S704  # nosec B704


def slugify(text: str, max_length: int = 80) -> str:
    """A URL slug: ASCII letters and digits where the text has them, else a short fallback.

    Arabic or Kurdish names keep their letters (they are valid in URLs once encoded),
    lower-cased Latin letters lose their accents.
    """
    normalized = unicodedata.normalize("NFKD", text)
    kept = []
    for ch in normalized:
        if unicodedata.combining(ch):
            continue
        if ch.isalnum():
            kept.append(ch.lower())
        else:
            kept.append("-")
    slug = re.sub(r"-{2,}", "-", "".join(kept)).strip("-")
    return slug[:max_length].strip("-") or "item"


def unique_slug(model: type, base: str, *, reserved: Collection[str] = ()) -> str:
    """``base``, or ``base-2``, ``base-3``...: the first that no row of ``model`` uses as its
    ``slug``, that is not ``reserved`` (a fixed address it would shadow) and that is not all
    digits (pages that take a slug or an id would read it as an id)."""
    taken = set(
        db.session.scalars(
            sa.select(model.slug).where(sa.or_(model.slug == base, model.slug.like(f"{base}-%")))
        )
    )
    if base not in taken and base not in reserved and not base.isdigit():
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"

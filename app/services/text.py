"""Text that members write: safe Markdown, and slugs for URLs."""

from __future__ import annotations

import re
import unicodedata

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

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


# Arabic-Indic (U+0660..U+0669) and Persian (U+06F0..U+06F9) digits, as people in Iraq type them.
_EASTERN_DIGITS = str.maketrans(
    "".join(map(chr, range(0x0660, 0x066A))) + "".join(map(chr, range(0x06F0, 0x06FA))), "0123456789" * 2
)


def ascii_digits(text: str) -> str:
    """``text`` with Arabic-Indic and Persian digits written as ASCII digits (nothing else changes):
    for numbers people type (a year, a page number), before they are parsed as ASCII."""
    return text.translate(_EASTERN_DIGITS)


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

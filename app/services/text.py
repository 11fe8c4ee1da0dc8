"""Text that members write: safe Markdown, slugs for URLs (unique per table), one-line fields.
Look-alike names are compared in ``app.names``."""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Collection

import nh3
import sqlalchemy as sa
from flask_babel import gettext as _
from markdown_it import MarkdownIt
from markupsafe import Markup

from app.extensions import db
from app.services import DomainError

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
    # Each block takes the direction of its own text (an English paragraph in an Arabic
    # description keeps its full stop on the right side; a quote's border follows its text).
    # Added after sanitizing: the attribute is constant, nothing the member wrote reaches it.
    html = _BLOCK_TAG.sub(r'<\1 dir="auto">', sanitize_html(html))
    # Safe: nh3 has just removed every tag, attribute and URL scheme outside the allow-lists.
    return Markup(html)  # noqa: S704  # nosec B704


_BLOCK_TAG = re.compile(r"<(p|li|blockquote|h[3-6]|td|th|dd|dt)>")


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


def unique_slug(model: type, base: str, *, reserved: Collection[str] = ()) -> str:
    """``base`` when no row of ``model`` uses it as its ``slug``, it is not ``reserved`` (a fixed
    address it would shadow) and it is not all digits (pages that take a slug or an id would
    read it as an id); else ``base`` with a short random suffix.

    A counter (``-2``, ``-3``) would tell how many rows share the base, hidden ones included;
    a random suffix tells nothing about the others.
    """

    def is_taken(slug: str) -> bool:
        return db.session.scalar(sa.select(model.slug).where(model.slug == slug).limit(1)) is not None

    if base not in reserved and not base.isdigit() and not is_taken(base):
        return base
    for _attempt in range(20):
        suffix = "".join(secrets.choice(_SLUG_SUFFIX_ALPHABET) for _position in range(6))
        candidate = f"{base}-{suffix}"
        if not is_taken(candidate):
            return candidate
    raise RuntimeError("no free slug after 20 random suffixes")  # 31^6 choices: never in practice


_SLUG_SUFFIX_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


# One-line text -----------------------------------------------------------------------------------
# Names, cities, titles and contact details are shown inside other text, in mail headers and in
# lists. Characters that cannot be seen there are refused: control characters (line breaks,
# tabs, NUL...), zero-width characters and the bidirectional controls that reorder what a reader
# sees (an override can make "Amal" display as "lamA"). One exception: the zero-width
# non-joiner (U+200C) is part of Persian and Kurdish spelling, so it is allowed between two
# letters, and ignored when names are compared.

ZWNJ = "\u200c"
_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_LINE_BREAKS = frozenset("\n\r\x0b\x0c\x85\u2028\u2029")
# Letters and marks that draw nothing (Hangul fillers, braille blank, combining grapheme joiner,
# Khmer inherent vowels): a classic way to make an "empty" or look-alike name.
_INVISIBLE = frozenset("\u115f\u1160\u3164\uffa0\u2800\u034f\u17b4\u17b5")


def one_line_problem(value: str | None) -> str | None:
    """Why ``value`` is not acceptable as one line of text (a message for the user), or None."""
    if not value:
        return None
    for index, ch in enumerate(value):
        if ch == ZWNJ:
            before = value[index - 1] if index else ""
            after = value[index + 1] if index + 1 < len(value) else ""
            if not (before.isalpha() and after.isalpha()):
                return _("A zero-width non-joiner (U+200C) is allowed only between two letters.")
            continue
        if ch in _LINE_BREAKS:
            return _("A line break is not allowed here: please keep it on one line.")
        category = unicodedata.category(ch)
        if ch in _BIDI_CONTROLS or ch in _INVISIBLE or category in ("Cc", "Cf", "Cs", "Zl", "Zp"):
            described = f"U+{ord(ch):04X} {unicodedata.name(ch, '')}".strip()
            if ch in _BIDI_CONTROLS:
                return _("Text direction controls are not allowed here (%(character)s).", character=described)
            return _(
                "Invisible or control characters are not allowed here (%(character)s).",
                character=described,
            )
    return None


def check_one_line(value: str | None) -> None:
    """Raises DomainError when ``value`` holds a character one line of text must not hold."""
    problem = one_line_problem(value)
    if problem:
        raise DomainError(problem)

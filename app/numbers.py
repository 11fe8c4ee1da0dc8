"""Numbers read from addresses: ids in paths, ids and cursors in query strings.

One parser for all of them, because Python's own is generous: ``int()`` and ``str.isdigit()``
take superscripts, Arabic-Indic and full-width digits, signs, spaces and underscores, and know
no upper bound, while the database refuses an id beyond its column (a 500 on PostgreSQL) and
``datetime`` an instant beyond year 9999. A number here is ASCII digits only, within the range
of where it goes; anything else is "no number", which the caller answers with a 404 (a path)
or a 400 (a query string).
"""

from __future__ import annotations

# Ids are sa.Integer columns: 32-bit on PostgreSQL.
MAX_DATABASE_ID = 2**31 - 1


def parse_number(text: str | None, *, maximum: int, minimum: int = 0) -> int | None:
    """The number ``text`` spells in ASCII digits, if it lies in ``minimum..maximum``; else None."""
    if not text or len(text) > len(str(maximum)) or not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if minimum <= number <= maximum else None


def parse_id(text: str | None) -> int | None:
    """A database id (1 to MAX_DATABASE_ID) spelled in ASCII digits, else None."""
    return parse_number(text, minimum=1, maximum=MAX_DATABASE_ID)


def looks_like_id(text: str) -> bool:
    """ASCII digits only: meant as an id, whether or not it is one (out of range)."""
    return text.isascii() and text.isdigit()

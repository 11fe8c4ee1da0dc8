"""Text folding for search: the same word matches however it is written.

Arabic readers expect ``الرافدين`` to find ``الرّافدين`` (with a shadda) and
``أحمد`` to find ``احمد``: diacritics and tatweel are dropped, the alef/hamza
forms, taa marbuta and alef maqsura are folded. Latin text is lower-cased and
loses its accents, so ``societe`` finds ``Société``.

The same folding runs in three places and must agree: on the stored text
(SQLite calls :func:`fold` from its triggers; PostgreSQL runs the SQL function
in :data:`POSTGRES_FOLD_FUNCTION`), and on the query (:func:`fold`). Both do
the same steps, in the same order, with the same tables below.
"""

from __future__ import annotations

import re
import unicodedata

# 1. Letter forms folded to one letter: alef with hamza above/below, alef madda, alef wasla;
#    waw and yeh with hamza; taa marbuta; alef maqsura.
ARABIC_FROM = "أإآٱؤئةى"
ARABIC_TO = "ااااويهي"
# 2. NFKD decomposition (é -> e + U+0301; presentation forms -> letters), then
# 3. marks removed: Latin combining marks, Arabic tashkeel (U+064B..U+065F), superscript
#    alef (U+0670) and tatweel (U+0640).
MARKS_CLASS = r"[\u0300-\u036F\u1AB0-\u1AFF\u1DC0-\u1DFF\u20D0-\u20FF\uFE20-\uFE2F\u064B-\u065F\u0670\u0640]"
# 4. lower case, then 5. the Latin letters whose accent is not a combining mark.
LATIN_FROM = "øłıđħ"
LATIN_TO = "olidh"

_ARABIC_TABLE = str.maketrans(ARABIC_FROM, ARABIC_TO)
_LATIN_TABLE = str.maketrans(LATIN_FROM, LATIN_TO)
_MARKS = re.compile(MARKS_CLASS)
_TERM = re.compile(r"\w+")
MAX_QUERY_TERMS = 8


def fold(text: str | None) -> str:
    """Fold ``text`` for indexing and matching (lower case, no marks, one form per letter)."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKD", text.translate(_ARABIC_TABLE))
    return _MARKS.sub("", text).lower().translate(_LATIN_TABLE)


def query_terms(query: str | None) -> list[str]:
    """The folded words of a user's query, at most MAX_QUERY_TERMS; punctuation is dropped."""
    return _TERM.findall(fold(query))[:MAX_QUERY_TERMS]


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# PostgreSQL twin of fold(): IMMUTABLE so that a generated column may use it.
POSTGRES_FOLD_FUNCTION = f"""CREATE OR REPLACE FUNCTION tadamun_fold(input text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
AS $$
  SELECT translate(
    lower(regexp_replace(
      normalize(translate(input, {_sql_string(ARABIC_FROM)}, {_sql_string(ARABIC_TO)}), NFKD),
      {_sql_string(MARKS_CLASS)}, '', 'g')),
    {_sql_string(LATIN_FROM)}, {_sql_string(LATIN_TO)})
$$
"""

"""Text folding for search: the same word matches however it is written.

Arabic readers expect ``الرافدين`` to find ``الرّافدين`` (with a shadda) and
``أحمد`` to find ``احمد``: diacritics and tatweel are dropped, the alef/hamza
forms, taa marbuta and alef maqsura are folded. Kurdish (Sorani) is typed on
Kurdish and on Arabic keyboards alike, so its letters fold onto the Arabic ones
(keheh, farsi yeh, ae, oe, yeh and reh and lam with a small v): ``کرێکاران``
finds ``كريكاران``, ``دیجلە`` finds ``ديجله``, ``هۆرەکان`` finds ``هورهكان``,
``ڕزگار`` finds ``رزگار`` and ``خەڵک`` finds ``خهلك``; the zero-width
non-joiner some typists put after a final heh is dropped. Arabic-Indic and
Persian digits become ASCII digits. Latin text is lower-cased and loses its
accents, so ``societe`` finds ``Société``.

Then a light stemmer removes the Arabic article and the clitics before it
(``ال``, ``وال``, ``بال``, ``كال``, ``فال``, ``لل``...), so that ``نساء`` finds
``النساء`` and ``النجف`` finds ``بالنجف``. Only prefixes, and only when enough of
the word is left: suffixes are not touched, because the same script carries
Kurdish, whose endings an Arabic stemmer would mangle.

All of it runs in Python, once: on the stored text when a row is written
(:func:`index_text`, kept in the rows' ``search_title``/``search_body`` by
:mod:`app.search_engine.engine`) and on the query (:func:`query_terms`). The databases
only split the folded text on spaces, so SQLite and PostgreSQL see the same words.
The index keeps each word as folded *and* as stemmed: a word being typed
(``الن``, before the stemmer can tell an article) still finds ``النساء`` by prefix.
"""

from __future__ import annotations

import re
import unicodedata

# 1. NFKD decomposition (é -> e + U+0301, alef with hamza -> alef + hamza mark, presentation
#    forms -> letters),
# 2. marks removed: Latin combining marks, Arabic tashkeel and hamza marks (U+064B..U+065F),
#    superscript alef (U+0670), tatweel (U+0640), and the invisible joiners and direction
#    marks (ZWNJ, ZWJ, LRM, RLM, ALM) that split a word in two for the tokenizer,
MARKS_CLASS = (
    r"[\u0300-\u036F\u1AB0-\u1AFF\u1DC0-\u1DFF\u20D0-\u20FF\uFE20-\uFE2F"
    r"\u064B-\u065F\u0670\u0640\u200C-\u200F\u061C]"
)
# 3. one letter per letter: the alef forms left after NFKD (alef wasla), taa marbuta, alef
#    maqsura; the Kurdish and Persian letters typed for the Arabic ones (keheh, farsi yeh,
#    ae, heh doachashmee, heh goal, oe, u, yeh with small v, reh with small v, lam with small
#    v, veh); Arabic-Indic (U+0660..U+0669) and Persian (U+06F0..U+06F9) digits.
EASTERN_DIGITS = "".join(map(chr, range(0x0660, 0x066A))) + "".join(map(chr, range(0x06F0, 0x06FA)))
LETTERS_FROM = "ٱةىکیەھہۆۇێڕڵڤ" + EASTERN_DIGITS
LETTERS_TO = "اهيكيهههوويرلف" + "0123456789" * 2
# 4. lower case, then 5. the Latin letters whose accent is not a combining mark.
LATIN_FROM = "øłıđħ"
LATIN_TO = "olidh"
# 6. Arabic prefixes: the article, alone or after a conjunction or preposition, and ل + ال
#    written لل. A bare article needs two letters after it (الحق -> حق), a longer prefix three
#    (والده stays: it is "his father", not و + ال + ده).
ARTICLE = re.compile(r"^ال(?=\w\w)|^(?:[وف][بك]?|[بك])ال(?=\w\w\w)|^[وف]?لل(?=\w\w)")

_LETTERS = str.maketrans(LETTERS_FROM, LETTERS_TO)
_LATIN = str.maketrans(LATIN_FROM, LATIN_TO)
_MARKS = re.compile(MARKS_CLASS)
# Words: letters and digits; the underscore separates words, as in the databases' tokenizers.
_WORD = re.compile(r"[^\W_]+")
MAX_QUERY_TERMS = 8


def fold(text: str | None) -> str:
    """Fold ``text`` for matching (lower case, no marks, one form per letter, ASCII digits)."""
    if not text:
        return ""
    text = _MARKS.sub("", unicodedata.normalize("NFKD", text))
    return text.translate(_LETTERS).lower().translate(_LATIN)


def stem(word: str) -> str:
    """``word`` (folded) without its Arabic article and the clitics before it."""
    return ARTICLE.sub("", word, count=1)


def words(text: str | None) -> list[str]:
    """The folded words of ``text``."""
    return _WORD.findall(fold(text))


def index_text(text: str | None) -> str:
    """What the index stores for ``text``: each folded word, followed by its stem if it differs."""
    out = []
    for word in words(text):
        out.append(word)
        stemmed = stem(word)
        if stemmed != word:
            out.append(stemmed)
    return " ".join(out)


def query_terms(query: str | None) -> list[str]:
    """The words of a user's query as the index holds them (folded, stemmed), at most
    MAX_QUERY_TERMS; punctuation is dropped."""
    return [stem(word) for word in words(query)][:MAX_QUERY_TERMS]

# ruff: noqa: RUF001, RUF002  (Arabic-script letters are the point of this module)
"""Sort keys: names in the order a reader of each interface language expects.

Why a stored key and not the database's collation: SQLite only knows byte order, and
PostgreSQL's collations depend on the server's locales (ICU may be missing, "ar" may not be
installed), so the same list would come out in two orders. PyICU is not available either.
So each organization stores one key per interface language (``organizations.sort_key_<lang>``,
indexed, kept current before every flush), computed here in Python from the name the reader of
that language is shown, and lists order by ``(key, id)``: the order is the same on both
databases, and keyset pagination stays a plain comparison on indexed columns.

The key is a string of hexadecimal digits (six per letter), because hexadecimal digits compare
the same in every collation a database might apply to the column.

What the key does (following CLDR's Arabic and Kurdish collations where they exist):

- case, accents and other marks do not count ("Éco" sorts with "eco"); in Arabic script the
  tashkeel, the tatweel and the hamza forms of alef do not either (أ إ آ ٱ sort as ا, as in
  Unicode's collation), and, as in CLDR's Arabic tailoring, ة sorts with ت and ى with ي;
- in Arabic and Kurdish pages Arabic-script names come first (CLDR's "reorder Arab"), in the
  Arabic alphabetical order (ا ب ت ث ج ...), with the Persian letters Iraqi names use (پ چ ژ ڤ
  گ) after their Arabic neighbours; Kurdish pages follow the Sorani alphabet (ئ ا ب پ ت ج چ ...
  ه ە و ۆ ی ێ), with Arabic ك/ي typed for Kurdish ک/ی counted as the same letter;
- in English and French pages Latin names come first, then the others;
- a leading Arabic article ("ال") is not counted, as library filing rules and alphabetical
  dictionaries do for the first word: «الأمل» files under «أمل», among the names that start
  with alef, not among the hundreds of names that begin with the article;
- spaces count as the lowest letter (word by word: "Al Amal" before "Alamal"), punctuation and
  symbols do not; digits come before letters.
"""

from __future__ import annotations

import re
import unicodedata

# The interface languages that have a stored key (the columns ``sort_key_<lang>``).
SORT_LOCALES = ("ar", "ckb", "en", "fr")
SORT_KEY_LENGTH = 300
_LETTERS_KEPT = SORT_KEY_LENGTH // 6

ARABIC_ALPHABET = "ءابپتثجچحخدذرزژسشصضطظعغفڤقكگلمنهوي"
SORANI_ALPHABET = "ءئابپتجچحخدرڕزژسشعغفڤقکگلڵمنهەوۆیێ"

# Letters that count as another one (beyond the marks NFKD takes off alef with hamza).
_ARABIC_VARIANTS = {"ٱ": "ا", "ة": "ت", "ى": "ي", "ی": "ي", "ک": "ك", "ؤ": "و", "ئ": "ي", "ە": "ه", "ھ": "ه"}
_SORANI_VARIANTS = {"ك": "ک", "ي": "ی", "ى": "ی", "ة": "ە", "ھ": "ه", "ٱ": "ا", "ؤ": "و"}

_ARTICLE = re.compile(r"^ال(?=\w\w)")
_SPACE = 1
_DIGITS = 0x10  # then 0-9
_FIRST_SCRIPT = 0x100
_SECOND_SCRIPT = 0x1000
_OTHERS = 0x10000


def _is_arabic_script(ch: str) -> bool:
    return "\u0600" <= ch <= "\u06ff" or "\u0750" <= ch <= "\u077f"


def _clean(name: str, variants: dict[str, str], protected: str = "") -> str:
    """Lower case, without marks, tatweel, punctuation; Arabic letter variants folded."""
    text = unicodedata.normalize("NFKC", name or "").casefold()
    text = "".join(variants.get(ch, ch) for ch in text)
    # Sorani's ئ is a letter of its own, not ی with a hamza: kept whole.
    decomposed = "".join(ch if ch in protected else unicodedata.normalize("NFKD", ch) for ch in text)
    kept = []
    for ch in decomposed:
        category = unicodedata.category(ch)
        if category.startswith("M") or ch == "ـ":
            continue
        if category.startswith("Z") or ch.isspace():
            if kept and kept[-1] != " ":
                kept.append(" ")
            continue
        if category[0] in "LN":
            kept.append(ch)
    return "".join(kept).strip()


def _weight(ch: str, alphabet: str, arabic_first: bool) -> int:
    if ch == " ":
        return _SPACE
    if ch.isdigit():
        return _DIGITS + unicodedata.digit(ch, 0)
    arabic = _is_arabic_script(ch)
    if arabic and ch in alphabet:
        base = _FIRST_SCRIPT if arabic_first else _SECOND_SCRIPT
        return base + alphabet.index(ch)
    if "a" <= ch <= "z":
        base = _SECOND_SCRIPT if arabic_first else _FIRST_SCRIPT
        return base + ord(ch) - ord("a")
    if arabic:  # an Arabic-script letter outside the alphabet: after it, by code point
        return (_FIRST_SCRIPT if arabic_first else _SECOND_SCRIPT) + 0x80 + ord(ch) - 0x0600
    return _OTHERS + ord(ch)


def sort_key(name: str, locale: str) -> str:
    """The key that orders ``name`` among others for a reader of ``locale`` (hex digits)."""
    if locale == "ckb":
        alphabet, variants, arabic_first = SORANI_ALPHABET, _SORANI_VARIANTS, True
    elif locale == "ar":
        alphabet, variants, arabic_first = ARABIC_ALPHABET, _ARABIC_VARIANTS, True
    else:
        alphabet, variants, arabic_first = ARABIC_ALPHABET, _ARABIC_VARIANTS, False
    text = _ARTICLE.sub("", _clean(name, variants, "ئ" if locale == "ckb" else ""))
    return "".join(f"{_weight(ch, alphabet, arabic_first):06x}" for ch in text[:_LETTERS_KEPT])

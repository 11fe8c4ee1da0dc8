"""Look-alike organization names: the skeleton that names a reader would take for one
another share.

Plain functions of a string, with no database, request or service behind them, so that the
model keeps ``organizations.name_skeleton`` in step with the name and the services compare
names with the same rule.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

# Two names are "too close" when their skeletons are equal. The skeleton follows Unicode's
# UTS #39 (confusables.txt, as shipped by the confusable_homoglyphs package) on top of NFKC and
# case folding, and folds what readers of Arabic script take for the same letter. It is stored in
# ``organizations.name_skeleton`` (indexed) so that the check is one query.

SKELETON_MAX_LENGTH = 200
# Letters that readers take for one another beyond confusables.txt: yeh / alef maksura / Farsi
# yeh, kaf / keheh, taa marbuta / heh, Kurdish letters that differ from Arabic ones by a small v,
# extended (Persian) digits.
_ARABIC_FOLDS = str.maketrans(
    {
        "ى": "ي", "ی": "ي", "ې": "ي", "ێ": "ي", "ۍ": "ي",
        "ک": "ك", "ڪ": "ك",
        "ة": "ه", "ۃ": "ه", "ە": "ه", "ھ": "ه", "ہ": "ه",  # noqa: RUF001  (the point of it)
        "ڕ": "ر", "ڵ": "ل", "ۆ": "و",
        "ـ": "",  # tatweel only stretches a word
        **{chr(0x06F0 + d): chr(0x0660 + d) for d in range(10)},
    }
)  # fmt: skip


@lru_cache(maxsize=1)
def _confusable_prototypes() -> dict[str, str]:
    """Each confusable character -> one representative of the characters it is confused with.

    The package lists each pair of confusables.txt both ways; its groups (joined here) are the
    classes of UTS #39. A class whose prototype is a sequence ("rn" for "m") maps to it.
    """
    from confusable_homoglyphs.confusables import confusables_data

    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    for source, homoglyphs in confusables_data.items():
        # The data wraps right-to-left characters in LEFT-TO-RIGHT MARKs for display.
        source = source.replace("\u200e", "")
        for homoglyph in homoglyphs:
            union(source, homoglyph["c"].replace("\u200e", ""))
    # A capital I and a small L look the same in most sans-serif fonts, and case is folded: the
    # small i joins them.
    union("i", "l")

    classes: dict[str, list[str]] = {}
    for member in list(parent):
        classes.setdefault(find(member), []).append(member)

    def preference(member: str) -> tuple:
        # A sequence (the prototype of its class) first, then a letter, ASCII, lower case.
        return (len(member) == 1, not member.isalpha(), not member.isascii(), not member.islower(), member)

    table = {}
    for members in classes.values():
        representative = min(members, key=preference)
        for member in members:
            if len(member) == 1 and member != representative:
                table[member] = representative
    return table


def _fold(text: str, *, drop_separators: bool) -> str:
    """NFKD without marks, Arabic folds; separators, punctuation and symbols dropped when asked."""
    text = unicodedata.normalize("NFKD", text.translate(_ARABIC_FOLDS))
    kept = []
    for ch in text:
        category = unicodedata.category(ch)
        if category in ("Mn", "Me", "Cf", "Cc"):
            continue
        if drop_separators and category[0] not in "LN":
            continue
        kept.append(ch)
    return "".join(kept)


def name_skeleton(name: str) -> str:
    """The form of ``name`` that look-alike names share (at most SKELETON_MAX_LENGTH characters).

    Case, accents and marks, Arabic tashkeel and tatweel, spaces, punctuation and symbols,
    compatibility forms (full-width, mathematical letters) and zero-width characters do not
    count; confusable characters (Latin "o", Cyrillic "o", Arabic heh...) become one.
    """
    table = _confusable_prototypes()
    text = _fold(unicodedata.normalize("NFKC", name or ""), drop_separators=True)
    # Confusables first in the original case (a Cyrillic capital looks like a Latin capital, not
    # its lower case), then case-folded, until nothing changes.
    for _round in range(4):
        mapped = "".join(table.get(ch, ch) for ch in text)
        folded = _fold(unicodedata.normalize("NFKC", mapped.casefold()), drop_separators=False)
        if folded == text:
            break
        text = folded
    return text[:SKELETON_MAX_LENGTH]

"""Iraq's governorates and main cities, named in the site's four languages.

An organization's city (and a project's place) stays free text, typed in any language and any
spelling. It is matched against this list, folded as search folds it, so that the reader sees
the name in their own language (``Basra`` reads «البصرة» in Arabic, «بەسرە» in Kurdish,
``Bassora`` in French) and so that search finds a place by any of its names: the search engine
widens a query word that names a place to all of that place's names. A city that is not on the
list is shown as it was typed.

Names: the usual English and French spellings, Arabic as written in Iraq, and Sorani Kurdish as
the Kurdistan Region writes it. Aliases are other spellings people type (``Basrah``, ``Arbil``,
``Hawler``, ``Slemani``...).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from app.search_engine.folding import stem, words

LANGUAGES = ("en", "ar", "ckb", "fr")


@dataclass(frozen=True)
class Place:
    key: str
    en: str
    ar: str
    ckb: str
    fr: str
    aliases: tuple[str, ...] = ()

    def name(self, locale: str | None) -> str:
        """The place's name in ``locale`` (English for a language the list does not have)."""
        language = str(locale or "en").replace("-", "_").split("_")[0]
        return getattr(self, language) if language in LANGUAGES else self.en

    @property
    def all_names(self) -> tuple[str, ...]:
        return (self.en, self.ar, self.ckb, self.fr, *self.aliases)


# The 18 governorates (the name of a governorate is also that of its capital where they share
# it), then the main cities of governorates named otherwise, and towns the network works in.
PLACES: tuple[Place, ...] = (
    Place("baghdad", "Baghdad", "بغداد", "بەغدا", "Bagdad"),
    Place("basra", "Basra", "البصرة", "بەسرە", "Bassora", ("Basrah", "Al-Basrah", "Bassorah", "Basora")),
    Place("nineveh", "Nineveh", "نينوى", "نەینەوا", "Ninive", ("Ninawa", "Ninewa", "Neinawa")),
    Place("erbil", "Erbil", "أربيل", "هەولێر", "Erbil", ("Arbil", "Irbil", "Hawler", "Hewler", "Hewlêr")),
    Place(
        "sulaymaniyah", "Sulaymaniyah", "السليمانية", "سلێمانی", "Souleimaniye",
        ("Sulaimaniyah", "Sulaymaniya", "Sulaimaniya", "Suleimaniyah", "Sulaimani", "Slemani", "Silêmanî"),
    ),
    Place("duhok", "Duhok", "دهوك", "دهۆک", "Dohouk", ("Dohuk", "Dahuk", "Dihok", "Dahok")),
    Place("kirkuk", "Kirkuk", "كركوك", "کەرکووک", "Kirkouk", ("Karkuk", "کەرکوک")),
    Place("diyala", "Diyala", "ديالى", "دیالە", "Diyala", ("Diyalah",)),
    Place("anbar", "Anbar", "الأنبار", "ئەنبار", "Al-Anbar", ("Al Anbar",)),
    Place("babil", "Babil", "بابل", "بابل", "Babylone", ("Babylon", "Babel")),
    Place("karbala", "Karbala", "كربلاء", "کەربەلا", "Kerbala", ("Karbalaa",)),
    Place("najaf", "Najaf", "النجف", "نەجەف", "Nadjaf", ("Al-Najaf", "An-Najaf", "Nejef")),
    Place("wasit", "Wasit", "واسط", "واست", "Wassit", ("Wassit",)),
    Place("maysan", "Maysan", "ميسان", "مەیسان", "Maysan", ("Misan", "Missan", "Meysan")),
    Place("dhi-qar", "Dhi Qar", "ذي قار", "زیقار", "Dhi Qar", ("Thi Qar", "Dhiqar", "Thiqar", "ذيقار")),
    Place("muthanna", "Muthanna", "المثنى", "موسەننا", "Muthanna", ("Al-Muthanna", "Al Muthanna")),
    Place(
        "qadisiyyah", "Al-Qadisiyyah", "القادسية", "قادسیە", "Qadisiya",
        ("Qadisiyyah", "Qadisiyah", "Al-Qadisiyah", "Qadisiyya"),
    ),
    Place(
        "salah-al-din", "Salah al-Din", "صلاح الدين", "سەلاحەددین", "Salah ad-Din",
        ("Salahuddin", "Salah ad-Din", "Saladin", "Salaheddine"),
    ),
    Place("mosul", "Mosul", "الموصل", "مووسڵ", "Mossoul", ("Mousul", "Al-Mawsil", "Mawsil")),
    Place("ramadi", "Ramadi", "الرمادي", "ڕومادی", "Ramadi", ("Al-Ramadi", "Ar-Ramadi")),
    Place("fallujah", "Fallujah", "الفلوجة", "فەللووجە", "Falloujah", ("Falluja", "Faluja")),
    Place("baqubah", "Baqubah", "بعقوبة", "بەعقووبە", "Baqouba", ("Baquba", "Baqouba", "Ba'qubah")),
    Place("hillah", "Hillah", "الحلة", "حیللە", "Hilla", ("Hilla", "Al-Hillah")),
    Place("kut", "Kut", "الكوت", "کووت", "Kout", ("Al-Kut",)),
    Place("amarah", "Amarah", "العمارة", "عەمارە", "Amara", ("Amara", "Al-Amarah")),
    Place("nasiriyah", "Nasiriyah", "الناصرية", "ناسریە", "Nassiriya", ("Nasiriya", "Nassiriyah")),
    Place("samawah", "Samawah", "السماوة", "سەماوە", "Samawa", ("Samawa", "As-Samawah")),
    Place("diwaniyah", "Diwaniyah", "الديوانية", "دیوانیە", "Diwaniya", ("Diwaniya", "Al-Diwaniyah")),
    Place("tikrit", "Tikrit", "تكريت", "تکریت", "Tikrit"),
    Place("samarra", "Samarra", "سامراء", "سامەڕا", "Samarra"),
    Place("kufa", "Kufa", "الكوفة", "کووفە", "Koufa", ("Al-Kufa",)),
    Place("halabja", "Halabja", "حلبجة", "هەڵەبجە", "Halabja"),
    Place("zakho", "Zakho", "زاخو", "زاخۆ", "Zakho"),
    Place("sinjar", "Sinjar", "سنجار", "شنگال", "Sinjar", ("Shingal", "Şengal", "Shengal")),
    Place("tal-afar", "Tal Afar", "تلعفر", "تەلەعفەر", "Tal Afar", ("Tel Afar", "Talafar", "Tall Afar")),
    Place("khanaqin", "Khanaqin", "خانقين", "خانەقین", "Khanaqin"),
    Place("qurna", "Qurna", "القرنة", "قورنە", "Qurna", ("Al-Qurnah", "Qurnah")),
    Place("chibayish", "Chibayish", "الجبايش", "چەبایش", "Chibayish", ("Al-Chibayish", "Chabaish")),
)  # fmt: skip

# Words around a typed city that do not change which place it is.
GENERIC_WORDS = frozenset(
    stem(word)
    for word in words(
        "governorate province city district region town "
        "محافظة مدينة قضاء ناحية "
        "پارێزگای پارێزگا شاری شار "
        "gouvernorat ville région "
        "al el ad an ar as"  # the Arabic article in Latin spellings: Al-Basrah, An-Najaf
    )
)


def _match_key(text: str | None) -> tuple[str, ...]:
    return tuple(word for word in (stem(w) for w in words(text)) if word not in GENERIC_WORDS)


def _search_words(name: str) -> tuple[str, ...]:
    return tuple(stem(w) for w in words(name))


@cache
def _places_by_key() -> dict[tuple[str, ...], Place]:
    found: dict[tuple[str, ...], Place] = {}
    for place in PLACES:
        for name in place.all_names:
            key = _match_key(name)
            if found.setdefault(key, place) is not place:  # pragma: no cover - a mistake in the list
                raise ValueError(f"{name!r} names both {found[key].key} and {place.key}")
    return found


@cache
def _places_by_search_words() -> dict[tuple[str, ...], Place]:
    return {_search_words(name): place for place in PLACES for name in place.all_names}


def find_place(text: str | None) -> Place | None:
    """The place ``text`` names (in any of the four languages, any listed spelling), or None."""
    key = _match_key(text)
    return _places_by_key().get(key) if key else None


def place_name(text: str | None, locale: str | None) -> str:
    """``text`` (a typed city or place) as the reader of ``locale`` names it; as typed if unknown."""
    place = find_place(text)
    return place.name(locale) if place is not None else (text or "")


def place_at(terms: list[str], start: int) -> tuple[int, Place] | None:
    """The place named by the query words ``terms[start:]`` (folded, stemmed) at their start,
    longest name first, as ``(number of words, place)``; None when they name none."""
    table = _places_by_search_words()
    longest = max(len(name) for name in table)
    for length in range(min(longest, len(terms) - start), 0, -1):
        place = table.get(tuple(terms[start : start + length]))
        if place is not None:
            return length, place
    return None


def search_names(place: Place) -> list[tuple[str, ...]]:
    """Every name of ``place`` as query words (folded, stemmed), without repeats; a name that
    holds all the words of a shorter one (``al basrah``, ``basrah``) adds nothing to a search."""
    names = list(dict.fromkeys(_search_words(name) for name in place.all_names))
    return [name for name in names if not any(set(other) < set(name) for other in names)]

"""One-line text refuses invisible and control characters; names compare by their look."""

# ruff: noqa: RUF001  (look-alike characters are what these tests are about)

from __future__ import annotations

import pytest

from app.names import name_skeleton
from app.services import DomainError
from app.services.text import check_one_line, one_line_problem

# A Sorani word written with a zero-width non-joiner between two letters, as Kurdish keyboards do.
KURDISH_WITH_ZWNJ = "کۆمە\u200cڵە"


@pytest.mark.parametrize(
    "text",
    [
        "Al-Amal Association",
        "جمعية الأمل للتنمية",
        KURDISH_WITH_ZWNJ,
        "Un ponte per…",
        "Société d'entraide",
        "Water 4 Life 🌊",
        "+964 770 000 0000",
    ],
)
def test_ordinary_one_line_text_is_accepted(text):
    assert one_line_problem(text) is None
    check_one_line(text)


@pytest.mark.parametrize(
    "character",
    [
        "\r", "\n", "\t", "\x00", "\x1b", "\x7f", "\x85", "\u2028", "\u2029",  # control, line breaks
        "\u200b", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u180e",  # zero-width and invisible
        "\u202a", "\u202b", "\u202c", "\u202d", "\u202e",  # bidi embeddings and overrides
        "\u2066", "\u2067", "\u2068", "\u2069",  # bidi isolates
        "\u200e", "\u200f", "\u061c",  # direction marks
        "\u3164", "\u2800",  # letters that draw nothing (Hangul filler, braille blank)
    ],
)  # fmt: skip
def test_control_invisible_and_bidi_characters_are_refused(character):
    text = f"Al-Amal{character}Association"
    assert one_line_problem(text)
    with pytest.raises(DomainError):
        check_one_line(text)


@pytest.mark.parametrize("text", ["\u200cAmal", "Amal\u200c", "Al \u200cAmal", "کۆمە\u200c\u200cڵە"])
def test_a_zero_width_non_joiner_is_allowed_only_between_two_letters(text):
    assert one_line_problem(text)


def test_the_message_names_the_character():
    assert "U+202E" in one_line_problem("abc\u202edef")
    assert "line break" in one_line_problem("abc\ndef")


@pytest.mark.parametrize(
    ("existing", "lookalike"),
    [
        ("Un ponte per", "UN PONTE PER"),
        ("Un ponte per", "Un pоnte per"),  # Cyrillic o
        ("Un ponte per", "Un  ponte-per."),
        ("Un ponte per", "Ｕｎ ｐｏｎｔｅ ｐｅｒ"),  # full width
        ("Un ponte per", "𝐔𝐧 𝐩𝐨𝐧𝐭𝐞 𝐩𝐞𝐫"),  # mathematical bold
        ("Un ponte per", "Ún pónte pér"),
        ("ICSSI", "lCSSl"),  # capital I and small L look alike
        ("ICSSI", "icssi"),
        ("ICSSI", "1CSS1"),
        ("Modern Women", "rnodern Wornen"),
        ("Tigris Friends", "Tigris Friends 🌊"),
        ("جمعية الأمل", "جمعيه الامل"),  # taa marbuta, hamza
        ("جمعية الأمل", "جَمعيّة الأَمل"),  # tashkeel
        ("جمعية الأمل", "جمعـــية الأمل"),  # tatweel
        ("جمعية الأمل", "جمعیة الأمل"),  # Farsi yeh
        ("شباب كركوك", "شباب کرکوک"),  # keheh
        ("رابطة ٢٠٢٠", "رابطة ۲۰۲۰"),  # Arabic-Indic and Persian digits
        (KURDISH_WITH_ZWNJ, "کۆمەڵە"),  # the non-joiner does not count
        ("ڕێکخراوی ڕووناکی", "ریکخراوی رووناکی"),  # Kurdish letters with a small v
    ],
)
def test_lookalike_names_share_a_skeleton(existing, lookalike):
    assert name_skeleton(existing) == name_skeleton(lookalike)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Al-Amal", "Al-Amel"),
        ("Basra Women", "Basra Youth"),
        ("ICSSI", "ICSSA"),
        ("جمعية الأمل", "جمعية النور"),
        ("بيت الثقافة", "تيت الثقافة"),  # dots tell Arabic letters apart
        ("Tigris Friends", "Tigris Friends 2"),
    ],
)
def test_different_names_have_different_skeletons(one, other):
    assert name_skeleton(one) != name_skeleton(other)


def test_a_skeleton_fits_its_column_however_long_the_name():
    assert len(name_skeleton("\ufdfa" * 200)) <= 200

"""The message catalogs: extract, update and compile them (``python -m app.translations``).

The locale folders next to this file (``ar/``, ``ckb/``, ``fr/``) hold the ``.po`` catalogs under
version control; ``messages.pot`` is the template extracted from ``app/`` and ``templates/``. The
compiled ``.mo`` files are built, never committed: by ``make install`` and, in the test suite, once
per session when missing or older than their ``.po``.

The same commands with pybabel, for reference::

    pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_ngettext:1,2 \
        --no-location --sort-output --ignore-dirs '.* __pycache__' --project Tadamun \
        -o app/translations/messages.pot .
    pybabel update -i app/translations/messages.pot -d app/translations -l ar   # and ckb, fr
    pybabel compile -d app/translations
"""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.frontend import CommandLineInterface

TRANSLATIONS_DIR = Path(__file__).resolve().parent
PROJECT_DIR = TRANSLATIONS_DIR.parent.parent
POT_FILE = TRANSLATIONS_DIR / "messages.pot"
MAPPING_FILE = PROJECT_DIR / "babel.cfg"
# Every interface language but English, the language the strings are written in.
CATALOG_LOCALES = ("ar", "ckb", "fr")
# Besides pybabel's defaults (_, gettext, ngettext, pgettext, ...): the lazy forms used in forms.
EXTRA_KEYWORDS = ("_l", "lazy_gettext", "lazy_ngettext:1,2", "lazy_pgettext:1c,2")


def _pybabel(*args: str) -> None:
    CommandLineInterface().run(["pybabel", "--quiet", *args])


def _without_creation_date(text: str) -> str:
    return re.sub(r'^"POT-Creation-Date: .*"\n', "", text, flags=re.M)


def extract(output: Path = POT_FILE) -> Path:
    """Write the template of every translatable string to ``output``.

    No source locations and a sorted output keep the diffs of the committed catalogs small; an
    existing template whose strings did not change is left as it is (not even its date changes).
    """
    previous = output.read_text(encoding="utf-8") if output.exists() else None
    keywords = [arg for keyword in EXTRA_KEYWORDS for arg in ("-k", keyword)]
    _pybabel(
        "extract",
        "-F",
        str(MAPPING_FILE),
        *keywords,
        "--no-location",
        "--sort-output",
        # pybabel skips folders starting with "_" by default, which would lose templates/_macros/.
        "--ignore-dirs",
        ".* __pycache__",
        "--project",
        "Tadamun",
        "--copyright-holder",
        "Iraqi Social Forum",
        "-o",
        str(output),
        # babel.cfg's patterns are relative to the project folder; hidden folders (.venv) are skipped.
        str(PROJECT_DIR),
    )
    if previous is not None and _without_creation_date(previous) == _without_creation_date(
        output.read_text(encoding="utf-8")
    ):
        output.write_text(previous, encoding="utf-8")
    return output


def po_file(locale: str) -> Path:
    return TRANSLATIONS_DIR / locale / "LC_MESSAGES" / "messages.po"


def update() -> None:
    """Merge the template into each catalog (new strings appear untranslated)."""
    for locale in CATALOG_LOCALES:
        if po_file(locale).exists():
            _pybabel(
                "update",
                "-i",
                str(POT_FILE),
                "-d",
                str(TRANSLATIONS_DIR),
                "-l",
                locale,
                "--ignore-pot-creation-date",
                "--no-fuzzy-matching",
            )
        else:
            _pybabel("init", "-i", str(POT_FILE), "-d", str(TRANSLATIONS_DIR), "-l", locale)


def stale_catalogs() -> list[str]:
    """The locales whose ``.mo`` is missing or older than their ``.po``."""
    stale = []
    for locale in CATALOG_LOCALES:
        po = po_file(locale)
        mo = po.with_suffix(".mo")
        if po.exists() and (not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime):
            stale.append(locale)
    return stale


def compile_catalogs(*, only_stale: bool = False) -> list[str]:
    """Compile the ``.po`` catalogs into the ``.mo`` files Flask-Babel reads; returns the locales."""
    locales = stale_catalogs() if only_stale else [loc for loc in CATALOG_LOCALES if po_file(loc).exists()]
    for locale in locales:
        _pybabel("compile", "-d", str(TRANSLATIONS_DIR), "-l", locale)
    return locales

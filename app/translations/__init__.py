"""The message catalogs: extract, update and compile them (``python -m app.translations``).

The locale folders next to this file (``ar/``, ``ckb/``, ``fr/``) hold the ``.po`` catalogs under
version control; ``messages.pot`` is the template extracted from ``app/`` and ``templates/``. The
compiled ``.mo`` files are built, never committed: by ``make install``, in the test suite once per
session, and by the application itself when it starts (``ensure_catalogs``) if one is missing or
older than its ``.po``; when it cannot write one, it refuses to start rather than serve a language
untranslated.

The same commands with pybabel, for reference::

    pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_ngettext:1,2 \
        --no-location --sort-output --ignore-dirs '.* __pycache__' --project Tadamun \
        -o app/translations/messages.pot .
    pybabel update -i app/translations/messages.pot -d app/translations -l ar   # and ckb, fr
    pybabel compile -d app/translations
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable
from io import BytesIO
from pathlib import Path

from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

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


def po_file(locale: str, directory: Path = TRANSLATIONS_DIR) -> Path:
    return directory / locale / "LC_MESSAGES" / "messages.po"


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


class CatalogError(RuntimeError):
    """A language the site offers has no usable compiled catalog, and none can be made."""


def stale_catalogs(directory: Path = TRANSLATIONS_DIR, locales: Iterable[str] = CATALOG_LOCALES) -> list[str]:
    """The locales whose ``.mo`` is missing or older than their ``.po``."""
    stale = []
    for locale in locales:
        po = po_file(locale, directory)
        mo = po.with_suffix(".mo")
        if po.exists() and (not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime):
            stale.append(locale)
    return stale


def compile_catalogs(*, only_stale: bool = False, directory: Path = TRANSLATIONS_DIR) -> list[str]:
    """Compile the ``.po`` catalogs into the ``.mo`` files Flask-Babel reads; returns the locales."""
    if only_stale:
        locales = stale_catalogs(directory)
    else:
        locales = [locale for locale in CATALOG_LOCALES if po_file(locale, directory).exists()]
    for locale in locales:
        po = po_file(locale, directory)
        _write_atomically(po.with_suffix(".mo"), _compiled(po, locale))
    return locales


def ensure_catalogs(directories: Iterable[Path], locales: Iterable[str]) -> list[str]:
    """Make sure every locale has a compiled catalog no older than its ``.po``; returns those compiled.

    Called when the application starts, so that a site installed without ``make install`` (pip, a
    container) still speaks every language it offers. Raises CatalogError, naming the catalog and
    what to do, when a locale has no catalog at all or a missing or stale one cannot be written.
    """
    directories = [Path(directory) for directory in directories]
    compiled = []
    for locale in locales:
        found = [po_file(locale, d) for d in directories if po_file(locale, d).exists()]
        if not found:
            if any(po_file(locale, d).with_suffix(".mo").exists() for d in directories):
                continue  # shipped compiled, without its source
            raise CatalogError(
                f"The site offers the language {locale!r} but has no catalog for it: neither "
                f"{locale}/LC_MESSAGES/messages.po nor messages.mo in {', '.join(map(str, directories))}."
            )
        for po in found:
            if _is_current(po, locale):
                continue
            try:
                _write_atomically(po.with_suffix(".mo"), _compiled(po, locale))
            except OSError as error:
                raise CatalogError(
                    f"The {locale!r} catalog {po.with_suffix('.mo')} is missing or older than "
                    f"{po.name}, and it cannot be written ({error.strerror or error}). Compile the "
                    "catalogs where the code is installed (`python -m app.translations compile`; "
                    "`make install` does it) or let the application write to that folder."
                ) from error
            compiled.append(locale)
    return compiled


def _is_current(po: Path, locale: str) -> bool:
    """True when the ``.mo`` is as new as the ``.po``, or holds exactly what compiling it gives
    (files copied into an image may get any dates)."""
    mo = po.with_suffix(".mo")
    if not mo.exists():
        return False
    if mo.stat().st_mtime >= po.stat().st_mtime:
        return True
    return mo.read_bytes() == _compiled(po, locale)


def _compiled(po: Path, locale: str) -> bytes:
    """What ``pybabel compile`` writes for this catalog (fuzzy entries left out)."""
    with po.open("rb") as source:
        catalog = read_po(source, locale=locale)
    buffer = BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def _write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` in one step: another worker starting at the same moment reads either the
    old catalog or the new one, never half of one."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as output:
            output.write(data)
        os.chmod(temporary, 0o644)  # mkstemp makes it private; the catalog is not secret
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise

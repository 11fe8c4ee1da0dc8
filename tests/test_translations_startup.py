"""The site never serves a language whose catalog is missing, however it was installed.

The compiled ``.mo`` catalogs are not committed: ``make install`` builds them, but a site started any
other way (``pip install -r requirements.txt``, a container) used to answer every Arabic page in English
with ``dir="rtl"``. Now the application compiles a missing or stale catalog when it starts, or refuses
to start, saying what to do, when it cannot write one.

Each test works on a copy of the catalogs in a temporary folder, never on ``app/translations/``.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import tempfile

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from app import translations
from app.extensions import babel

MESSAGES = os.path.join("LC_MESSAGES", "messages")


def _forget_loaded_catalogs() -> None:
    # Flask-Babel's domain (made on first use) keeps every catalog it loaded, whatever the app.
    domain = babel.__dict__.get("domain_instance")
    if domain is not None:
        domain.cache.clear()


@pytest.fixture(autouse=True)
def forget_loaded_catalogs():
    """Catalogs stay loaded for the life of the process: start and end with none, so that no
    other test sees these folders' catalogs (or the reverse)."""
    _forget_loaded_catalogs()
    yield
    _forget_loaded_catalogs()


@pytest.fixture
def catalogs(tmp_path):
    """A copy of the translations as a fresh checkout has them: ``.po`` files, no ``.mo``."""
    folder = tmp_path / "translations"
    for locale in translations.CATALOG_LOCALES:
        (folder / locale / "LC_MESSAGES").mkdir(parents=True)
        shutil.copy(translations.po_file(locale), folder / locale / f"{MESSAGES}.po")
    return folder


def translated(locale: str, message: str) -> str:
    with translations.po_file(locale).open("rb") as po:
        return read_po(po, locale=locale)[message].string


def login_page(application, lang: str) -> str:
    return application.test_client().get(f"/auth/login?lang={lang}").get_data(as_text=True)


def test_a_site_started_without_compiled_catalogs_serves_arabic_in_arabic(make_app, catalogs):
    application = make_app(BABEL_TRANSLATION_DIRECTORIES=str(catalogs))

    html = login_page(application, "ar")
    assert re.search(r'<html lang="ar" dir="rtl">', html)
    assert translated("ar", "Log in") in html
    assert ">Log in<" not in html
    assert translated("fr", "Log in") in login_page(application, "fr")
    for locale in translations.CATALOG_LOCALES:
        assert (catalogs / locale / f"{MESSAGES}.mo").is_file()


def test_a_catalog_older_than_its_translations_is_compiled_again(make_app, catalogs):
    stale = catalogs / "ar" / f"{MESSAGES}.mo"
    with (catalogs / "ar" / f"{MESSAGES}.po").open("rb") as po:
        catalog = read_po(po, locale="ar")
    catalog.delete("Log in")  # compiled before "Log in" was translated
    with stale.open("wb") as mo:
        write_mo(mo, catalog)
    os.utime(stale, (0, 0))

    html = login_page(make_app(BABEL_TRANSLATION_DIRECTORIES=str(catalogs)), "ar")

    assert translated("ar", "Log in") in html


def test_an_up_to_date_catalog_is_left_alone(make_app, catalogs):
    make_app(BABEL_TRANSLATION_DIRECTORIES=str(catalogs))
    compiled = catalogs / "ar" / f"{MESSAGES}.mo"
    before = compiled.stat().st_mtime_ns

    make_app(BABEL_TRANSLATION_DIRECTORIES=str(catalogs))

    assert compiled.stat().st_mtime_ns == before


def test_a_site_that_cannot_write_its_catalogs_refuses_to_start_and_says_why(make_app, catalogs, monkeypatch):
    def read_only_file_system(*args, **kwargs):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    # As on a read-only container image (chmod would not stop a test run as root).
    monkeypatch.setattr(tempfile, "mkstemp", read_only_file_system)

    with pytest.raises(translations.CatalogError) as refused:
        make_app(BABEL_TRANSLATION_DIRECTORIES=str(catalogs))

    message = str(refused.value)
    assert "ar" in message and "Read-only file system" in message
    assert "python -m app.translations compile" in message
    assert not (catalogs / "ar" / f"{MESSAGES}.mo").exists()


def test_a_language_without_any_catalog_refuses_to_start(make_app, catalogs):
    shutil.rmtree(catalogs / "ckb")

    with pytest.raises(translations.CatalogError, match="ckb"):
        make_app(BABEL_TRANSLATION_DIRECTORIES=str(catalogs))

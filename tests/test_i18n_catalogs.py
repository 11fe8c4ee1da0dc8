"""Every user-facing string is translatable, and translated in Arabic, Kurdish and French.

Three checks:

* the catalogs are complete: the strings extracted from the code right now (not the committed
  ``messages.pot``, which may be stale) all have a non-fuzzy translation with the same placeholders
  in ``ar``, ``ckb`` and ``fr``. While translations are being written, ``TADAMUN_ALLOW_INCOMPLETE_CATALOGS=1``
  skips this check (and only this one);
* no template holds an untranslated literal: text outside ``{{ }}``/``{% %}`` with letters in it, or a
  visible attribute (alt, title, placeholder, aria-label, a button's value) written out in English;
* no Python code hands the user a plain string: ``flash("...")``, ``StringField("Label")``,
  ``message="..."``, ``DomainError("...")``, form choices with plain labels.
"""

from __future__ import annotations

import ast
import gettext
import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from app import translations

PROJECT_DIR = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = PROJECT_DIR / "templates"
APP_DIR = PROJECT_DIR / "app"

# Text a template may show as it is, in every language. Keep it short; prefer wrapping in _().
ALLOWED_LITERALS: frozenset[str] = frozenset()

LETTER = re.compile(r"[^\W\d_]")
VISIBLE_ATTRIBUTES = ("alt", "title", "placeholder", "aria-label", "aria-description", "label")


# --- Catalog completeness --------------------------------------------------------------------


def _message_key(message) -> str:
    msgid = message.id if isinstance(message.id, str) else message.id[0]
    return f"{message.context}\x04{msgid}" if message.context else msgid


def catalog_problems(pot_path: Path, locale: str) -> list[str]:
    """What is missing, untranslated, fuzzy or broken in ``locale`` for the strings of ``pot_path``."""
    with pot_path.open("rb") as handle:
        template = read_po(handle)
    po_path = translations.po_file(locale)
    if not po_path.exists():
        return [f"no catalog at {po_path.relative_to(PROJECT_DIR)} (run `make translations-update`)"]
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=locale)

    problems = []
    for message in template:
        if not message.id:
            continue  # the header
        key = _message_key(message)
        translated = catalog.get(message.id, context=message.context)
        strings = (
            [translated.string]
            if translated and isinstance(translated.string, str)
            else list(translated.string)
            if translated
            else []
        )
        if translated is None:
            problems.append(f"missing: {key!r}")
        elif translated.fuzzy:
            problems.append(f"fuzzy: {key!r}")
        elif not strings or not all(s.strip() for s in strings):
            problems.append(f"untranslated: {key!r}")
        else:
            # Placeholders must match (%(name)s), or the page crashes or loses a value.
            translated.flags.update(message.flags)
            problems.extend(f"{error}: {key!r}" for error in translated.check(catalog))
    return problems


@pytest.fixture(scope="module")
def extracted_pot(tmp_path_factory) -> Path:
    """The strings in the code as it is now, extracted with the project's own settings."""
    return translations.extract(tmp_path_factory.mktemp("i18n") / "messages.pot")


def test_extraction_finds_the_strings_of_code_and_templates(extracted_pot):
    with extracted_pot.open("rb") as handle:
        ids = {message.id for message in read_po(handle)}

    assert "Skip to content" in ids  # base.html
    assert "Email or password is not correct." in ids  # Python, gettext
    assert "Keep me logged in on this device" in ids  # a form label, lazy_gettext
    # Folders starting with "_" too: pybabel skips them unless told otherwise.
    assert "Please correct the following" in ids  # templates/_macros/forms.html
    assert "Page %(page)s of %(pages)s" in ids  # templates/_macros/ui.html


@pytest.mark.i18n_catalogs
@pytest.mark.parametrize("locale", translations.CATALOG_LOCALES)
def test_the_catalog_translates_every_string(extracted_pot, locale):
    if os.environ.get("TADAMUN_ALLOW_INCOMPLETE_CATALOGS") == "1":
        pytest.skip("TADAMUN_ALLOW_INCOMPLETE_CATALOGS=1: translations are being written")
    problems = catalog_problems(extracted_pot, locale)

    assert not problems, (
        f"The {locale} catalog is incomplete ({len(problems)} problems). Run `make translations-update`, "
        f"translate app/translations/{locale}/LC_MESSAGES/messages.po, then `make translations-compile`:\n"
        + "\n".join(problems)
    )


# --- Untranslated literals in templates -----------------------------------------------------


def _mask_jinja(source: str) -> str:
    """The template with its Jinja parts removed, keeping only what is written out as it is."""
    source = re.sub(r"\{#.*?#\}", " ", source, flags=re.S)
    # {% trans %} blocks are translatable text.
    source = re.sub(r"\{%-?\s*trans\b.*?\{%-?\s*endtrans\s*-?%\}", " ", source, flags=re.S)
    source = re.sub(r"\{%.*?%\}", " ", source, flags=re.S)
    return re.sub(r"\{\{.*?\}\}", "", source, flags=re.S)


class _LiteralFinder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.literals: list[str] = []
        self._skipping: str | None = None

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skipping = tag
        attributes = dict(attrs)
        for name in VISIBLE_ATTRIBUTES:
            self._check(attributes.get(name), f"{name}=")
        if tag == "input" and attributes.get("type") in ("submit", "button", "reset"):
            self._check(attributes.get("value"), "value=")
        if tag == "meta" and attributes.get("name") == "description":
            self._check(attributes.get("content"), "content=")

    def handle_endtag(self, tag):
        if tag == self._skipping:
            self._skipping = None

    def handle_data(self, data):
        if self._skipping is None:
            self._check(data, "")

    def _check(self, text: str | None, where: str) -> None:
        text = " ".join((text or "").split())
        if text and LETTER.search(text) and text not in ALLOWED_LITERALS:
            self.literals.append(f"{where}{text!r}")


def template_literals(path: Path) -> list[str]:
    masked = _mask_jinja(path.read_text(encoding="utf-8"))
    if path.suffix == ".txt":
        finder_literals = [line.strip() for line in masked.splitlines() if LETTER.search(line)]
        return [repr(line) for line in finder_literals if line not in ALLOWED_LITERALS]
    finder = _LiteralFinder()
    finder.feed(masked)
    finder.close()
    return finder.literals


def test_the_literal_finder_sees_text_and_attributes_but_not_jinja(tmp_path):
    page = tmp_path / "page.html"
    page.write_text(
        '<h1>{{ _("Campaigns") }}</h1><p>{{ n }} · {{ m }}</p>{# a comment #}'
        '<img alt="Logo"><input type="submit" value="Send"><p>Hello {{ name }}</p>'
        '<a title="{{ _("Home") }}" class="x y">{% if a %}{{ b }}{% endif %}</a>'
        "<style>a { color: red }</style><script src=x></script>{% trans %}Text{% endtrans %}",
        encoding="utf-8",
    )

    assert template_literals(page) == ["alt='Logo'", "value='Send'", "'Hello'"]


def all_templates() -> list[Path]:
    return sorted(p for p in TEMPLATES_DIR.rglob("*") if p.suffix in (".html", ".txt"))


def test_no_template_holds_an_untranslated_literal():
    found = {
        str(path.relative_to(PROJECT_DIR)): literals
        for path in all_templates()
        if (literals := template_literals(path))
    }

    assert not found, 'Wrap these in {{ _("...") }}:\n' + "\n".join(
        f"{path}: {', '.join(literals)}" for path, literals in found.items()
    )


# --- Plain strings handed to the user from Python -------------------------------------------

USER_FACING_EXCEPTIONS = {"DomainError", "NotAllowed", "ValidationError", "StopValidation"}


def _call_name(node: ast.Call) -> str:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _is_plain_text(node: ast.AST | None) -> bool:
    """A string literal (or f-string) with letters: text that never went through gettext."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return bool(LETTER.search(node.value))
    return isinstance(node, ast.JoinedStr)


def python_literals(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []

    shown = path.relative_to(PROJECT_DIR) if path.is_relative_to(PROJECT_DIR) else path.name

    def report(node: ast.AST, what: str) -> None:
        found.append(f"{shown}:{node.lineno}: {what}")

    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _call_name(node)
        first = node.args[0] if node.args else None
        if name == "flash" and _is_plain_text(first):
            report(node, "flash() with a plain string")
        if name.endswith("Field") and (
            _is_plain_text(first) or any(k.arg == "label" and _is_plain_text(k.value) for k in node.keywords)
        ):
            report(node, f"{name} label is a plain string")
        if name in USER_FACING_EXCEPTIONS and _is_plain_text(first):
            report(node, f"{name}() with a plain string")
        for keyword in node.keywords:
            if keyword.arg in ("message", "placeholder") and _is_plain_text(keyword.value):
                report(node, f"{keyword.arg}= is a plain string")
            if keyword.arg == "choices" and isinstance(keyword.value, ast.List | ast.Tuple):
                for choice in keyword.value.elts:
                    label = None
                    if isinstance(choice, ast.Tuple) and len(choice.elts) == 2:
                        label = choice.elts[1]
                    elif isinstance(choice, ast.Call) and len(choice.args) >= 2:
                        label = choice.args[1]
                    if _is_plain_text(label):
                        report(node, f"choice label {label.value!r} is a plain string")
    return found


def test_the_python_scan_finds_plain_strings(tmp_path):
    module = tmp_path / "example.py"
    module.write_text(
        "flash('Saved.')\nflash(_('Saved.'))\nname = StringField('Name')\n"
        "ok = StringField(_l('Name'), validators=[Length(max=3, message='Too long')])\n"
        "raise DomainError(f'No {x}')\n"
        "choice = RadioField(_l('Who'), choices=[('a', 'All'), ('b', _l('B'))])\n",
        encoding="utf-8",
    )
    found = [line.split(": ", 1)[1] for line in python_literals(module)]

    assert sorted(found) == sorted(
        [
            "flash() with a plain string",
            "StringField label is a plain string",
            "message= is a plain string",
            "DomainError() with a plain string",
            "choice label 'All' is a plain string",
        ]
    )


def test_no_python_code_hands_the_user_an_untranslated_string():
    found = [
        literal
        for path in sorted(APP_DIR.rglob("*.py"))
        if "translations" not in path.relative_to(APP_DIR).parts
        for literal in python_literals(path)
    ]

    assert not found, "Wrap these in _() or _l():\n" + "\n".join(found)


# Arabic has six plural forms, and the catalog's own Plural-Forms formula (Babel's, from CLDR)
# puts 11 to 99 in the sixth (the accusative: "11 مكانًا") and 100 to 102 in the fifth ("101 مكان"): two
# entries had them the other way round, so "11 places left" read as "11 place left".
def test_arabic_plurals_follow_the_catalogs_own_formula():
    with open(translations.TRANSLATIONS_DIR / "ar" / "LC_MESSAGES" / "messages.po", "rb") as source:
        catalog = read_po(source, locale="ar")
    form_of = gettext.c2py(catalog.plural_expr)
    wrong = []
    for message in catalog:
        forms = message.string
        if not (message.pluralizable and forms and all(forms)) or "ًا" not in "".join(forms):
            continue
        if "ًا" not in forms[form_of(11)]:
            wrong.append((message.id[0], 11, forms[form_of(11)]))
        if forms[form_of(101)].count("ًا") > forms[form_of(1)].count("ًا"):
            wrong.append((message.id[0], 101, forms[form_of(101)]))
    assert not wrong, wrong

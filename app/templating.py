"""What every template can use: the locale and direction, labels, and formatting filters.

The one place that registers template globals and filters (never a blueprint). Each one only
formats what it is given; none runs a query or reads the session: a template gets the data it
shows from its view.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlencode

from babel import Locale
from babel import lists as babel_lists
from flask import Flask, request, url_for
from flask_babel import format_decimal, format_number, get_locale
from markupsafe import Markup, escape

from app import labels
from app.dates import format_date, format_datetime
from app.i18n import current_locale, text_direction
from app.services.places import place_name
from app.services.text import render_markdown

LANGUAGE_NAMES = {"en": "English", "ar": "العربية", "ckb": "کوردی", "fr": "Français"}


def url_for_page(page: int) -> str:
    """The current page's URL with another page number, keeping every other parameter."""
    args = request.args.to_dict(flat=False)
    args["page"] = [str(page)]
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def url_with_lang(lang: str) -> str:
    """The current page in another language (the switcher keeps the page and its other parameters).

    Built from the request path rather than the endpoint, so it also works on error pages.
    """
    args = request.args.to_dict(flat=False)
    args["lang"] = [lang]
    return f"{quote(request.script_root + request.path)}?{urlencode(args, doseq=True)}"


# Where the site departs from Babel's data: CLDR joins Arabic lists with a bare و glued to the
# next item («أ وب وج») and has no Kurdish patterns at all (a Latin comma). Lists here join
# names people typed, often in Latin script or starting with a digit, where a glued و reads
# badly: so the Arabic comma and a free-standing conjunction, «أ، ب و ج».
_LIST_WORDS = {
    "ar": {"standard": "و", "or": "أو"},
    "ckb": {"standard": "و", "or": "یان"},
}


def format_list(items, style: str = "standard") -> Markup:
    """Items joined the page's locale's way: «أ، ب و ج», "a, b, and c", "a, b et c".

    ``style`` as Babel's: "standard" (and), "or", "unit"..., or "place": the parts of an
    address, from the most precise («القاعة، أربيل، العراق», "Hall, Oslo, Norway"). Markup
    items (links, ``<bdi>``) stay markup, plain text is escaped: the result is markup.
    """
    items = [escape(item) for item in items]
    # The pattern is built on placeholders, then each piece is escaped on its own (separators)
    # or already is (items): nothing is ever marked safe without being escaped.
    pattern = _join([f"\x00{index}\x00" for index in range(len(items))], style)
    result = escape("")
    for position, piece in enumerate(re.split("\x00(\\d+)\x00", pattern)):
        result += items[int(piece)] if position % 2 else escape(piece)
    return result


def _join(items: list[str], style: str) -> str:
    if not items:
        return ""
    locale = get_locale() or Locale("en")
    if style == "place":
        return ("، " if locale.language in _LIST_WORDS else ", ").join(items)
    word = _LIST_WORDS.get(locale.language, {}).get(style)
    if word is not None:
        if len(items) == 1:
            return items[0]
        return f"{'، '.join(items[:-1])} {word} {items[-1]}"
    try:
        return babel_lists.format_list(items, style=style, locale=locale)
    except ValueError:  # a style the locale's data lacks
        return babel_lists.format_list(items, locale=locale)


def shown_name(organization) -> str:
    """An organization's name in the page's language (the one it gave, else its main name)."""
    return organization.name_in(current_locale())


def compile_all(app: Flask) -> int:
    """Compile every template once; returns how many.

    Jinja compiles a template the first time a page needs it, in each process: under gunicorn
    that is in every worker, on the first visits of each page after every start, while the
    other requests queue behind it (about 20 ms a template). Called in gunicorn's master before
    it forks (``gunicorn.conf.py``), the compiled templates are shared by every worker instead.
    """
    environment = app.jinja_env
    names = environment.list_templates()
    for name in names:
        environment.get_template(name)
    return len(names)


def register(app: Flask) -> None:
    # Every enum's label comes from app.labels (one label per value, everywhere).
    app.jinja_env.globals["status_labels"] = labels.STATUS.table
    app.jinja_env.globals["role_label"] = labels.ROLE
    app.jinja_env.globals["action_label"] = labels.AUDIT_ACTION
    app.jinja_env.globals["pledge_visibility_label"] = labels.PLEDGE_VISIBILITY
    app.jinja_env.globals["support_kind_labels"] = labels.SUPPORT_KIND.table
    app.jinja_env.filters["kind_label"] = labels.ORGANIZATION_KIND
    # Offers and needs (app/solidarity): {{ offer.category|offer_category }}.
    app.jinja_env.filters["offer_category"] = labels.OFFER_CATEGORY
    app.jinja_env.filters["country_name"] = labels.country_name
    app.jinja_env.globals["login_browser_label"] = labels.login_browser
    app.jinja_env.globals["login_place_label"] = labels.login_place
    app.jinja_env.filters["markdown"] = render_markdown
    # Lists joined with the locale's separators: {{ names|format_list }}.
    app.jinja_env.filters["format_list"] = format_list
    # An organization's name in the reader's language: {{ org|shown_name }}.
    app.jinja_env.filters["shown_name"] = shown_name
    # A typed city or place in the reader's language when it is on the list of places.
    app.jinja_env.filters["place_name"] = lambda text: place_name(text, current_locale())
    app.jinja_env.globals["url_for_page"] = url_for_page
    app.jinja_env.globals["url_with_lang"] = url_with_lang
    # Numbers and dates in the page's locale, also as filters: {{ n|numberformat }},
    # {{ d|dateformat("long") }}, {{ dt|datetimeformat }} (the date ones replace Flask-Babel's).
    # locale_direction("ckb") -> "rtl": for text written in a known language other than the page's.
    app.jinja_env.globals["locale_direction"] = text_direction
    app.jinja_env.globals.update(
        format_number=format_number,
        format_decimal=format_decimal,
        format_date=format_date,
        format_datetime=format_datetime,
    )
    app.jinja_env.filters.update(dateformat=format_date, datetimeformat=format_datetime)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.context_processor
    def inject_locale():
        locale = current_locale()
        return {
            "current_locale": locale,
            "text_direction": text_direction(locale),
            "language_names": LANGUAGE_NAMES,
            "languages": app.config["LANGUAGES"],
        }

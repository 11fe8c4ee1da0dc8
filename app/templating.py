"""What every template can use: the locale and direction, labels, and formatting filters.

The one place that registers template globals and filters (never a blueprint). Each one only
formats what it is given; none runs a query or reads the session: a template gets the data it
shows from its view.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from flask import Flask, request, url_for
from flask_babel import format_decimal, format_number

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


def register(app: Flask) -> None:
    # Every enum's label comes from app.labels (one label per value, everywhere).
    app.jinja_env.globals["status_labels"] = labels.STATUS.table
    app.jinja_env.globals["role_label"] = labels.ROLE
    app.jinja_env.globals["action_label"] = labels.AUDIT_ACTION
    app.jinja_env.globals["pledge_visibility_label"] = labels.PLEDGE_VISIBILITY
    app.jinja_env.globals["support_kind_labels"] = labels.SUPPORT_KIND.table
    app.jinja_env.filters["kind_label"] = labels.ORGANIZATION_KIND
    app.jinja_env.filters["country_name"] = labels.country_name
    app.jinja_env.globals["login_browser_label"] = labels.login_browser
    app.jinja_env.globals["login_place_label"] = labels.login_place
    app.jinja_env.filters["markdown"] = render_markdown
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

"""What every template can use: the locale and direction, and a few filters."""

from __future__ import annotations

from datetime import date, datetime
from urllib.parse import quote, urlencode

from babel import Locale
from babel import dates as babel_dates
from flask import Flask, request, url_for
from flask_babel import (
    format_decimal,
    format_number,
    get_locale,
    get_timezone,
    lazy_gettext,
    to_user_timezone,
)

from app.i18n import text_direction
from app.services.text import render_markdown
from app.services.translations import localized

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


# Dates in Arabic read with the month names used in Iraq (تشرين الثاني, not نوفمبر). Only dates
# take the regional locale; the interface's words stay in the ``ar`` catalog.
_DATE_LOCALES = {"ar": Locale("ar", "IQ")}


def _date_locale() -> Locale | None:
    locale = get_locale()
    if locale is not None and not locale.territory:
        return _DATE_LOCALES.get(locale.language, locale)
    return locale


def format_date(value: date | datetime, format: str = "medium") -> str:
    """A date (or the day of a datetime, in the reader's time zone) in the page's locale."""
    if isinstance(value, datetime):
        value = to_user_timezone(value)
    return babel_dates.format_date(value, format, locale=_date_locale())


def format_datetime(value: datetime, format: str = "medium") -> str:
    """A moment in the reader's time zone and locale (naive datetimes are taken as UTC)."""
    return babel_dates.format_datetime(value, format, tzinfo=get_timezone(), locale=_date_locale())


# Status names shown in badges on every list row (status_badge in _macros/ui.html).
STATUS_LABELS = {
    "pending": lazy_gettext("Pending review"),
    "approved": lazy_gettext("Approved"),
    "rejected": lazy_gettext("Rejected"),
    "suspended": lazy_gettext("Suspended"),
    "active": lazy_gettext("Active"),
    "archived": lazy_gettext("Archived"),
    "planned": lazy_gettext("Planned"),
    "running": lazy_gettext("Running"),
    "finished": lazy_gettext("Finished"),
}
# Roles and moderation decisions as people read them (moderators' pages, the decision log).
ROLE_LABELS = {
    "member": lazy_gettext("Member"),
    "moderator": lazy_gettext("Moderator"),
    "admin": lazy_gettext("Administrator"),
}
ACTION_LABELS = {
    "organization.approved": lazy_gettext("Organization approved"),
    "organization.rejected": lazy_gettext("Organization rejected"),
    "organization.suspended": lazy_gettext("Organization suspended"),
    "organization.reinstated": lazy_gettext("Organization reinstated"),
    "organization.resubmitted": lazy_gettext("Application sent again"),
    "campaign.created": lazy_gettext("Campaign created"),
    "campaign.updated": lazy_gettext("Campaign changed"),
    "campaign.archived": lazy_gettext("Campaign archived"),
    "campaign.reactivated": lazy_gettext("Campaign reactivated"),
    "project.hidden": lazy_gettext("Project hidden"),
    "project.unhidden": lazy_gettext("Project shown again"),
    "pledge_message.hidden": lazy_gettext("Pledge message hidden"),
    "pledge_message.unhidden": lazy_gettext("Pledge message shown again"),
    "user.promoted": lazy_gettext("User promoted"),
    "user.demoted": lazy_gettext("User demoted"),
    "user.2fa_enabled": lazy_gettext("Second factor added"),
    "user.2fa_disabled": lazy_gettext("Second factor removed"),
    "user.recovery_code_used": lazy_gettext("Recovery code used to log in"),
    "organization.2fa_required": lazy_gettext("Two-factor login required of the members"),
    "organization.2fa_optional": lazy_gettext("Two-factor login left to each member"),
}
_labels_by_locale: dict[tuple[str, str], dict[str, str]] = {}


def _translated(name: str, labels: dict) -> dict[str, str]:
    """A label table in the page's language, translated once per language and process rather
    than once per row (lists show a badge or a label on every row)."""
    key = (name, str(get_locale()))
    table = _labels_by_locale.get(key)
    if table is None:
        table = _labels_by_locale[key] = {value: str(label) for value, label in labels.items()}
    return table


def status_labels() -> dict[str, str]:
    return _translated("status", STATUS_LABELS)


def role_label(role: str) -> str:
    return _translated("role", ROLE_LABELS).get(str(role), str(role))


def action_label(action: str) -> str:
    return _translated("action", ACTION_LABELS).get(str(action), str(action))


def register(app: Flask) -> None:
    app.jinja_env.globals["status_labels"] = status_labels
    app.jinja_env.globals["role_label"] = role_label
    app.jinja_env.globals["action_label"] = action_label
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.globals["url_for_page"] = url_for_page
    app.jinja_env.globals["url_with_lang"] = url_with_lang
    # Numbers and dates in the page's locale, also as filters: {{ n|numberformat }},
    # {{ d|dateformat("long") }}, {{ dt|datetimeformat }} (the date ones replace Flask-Babel's).
    # localized(campaign) / localized(org): text in the page's language, falling back (see services).
    app.jinja_env.globals["localized"] = localized
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
        locale = str(get_locale() or app.config["BABEL_DEFAULT_LOCALE"])
        return {
            "current_locale": locale,
            "text_direction": text_direction(locale),
            "language_names": LANGUAGE_NAMES,
            "languages": app.config["LANGUAGES"],
        }

"""Which language a page is shown in."""

from __future__ import annotations

from datetime import timedelta

import flask_babel
from flask import Flask, Response, current_app, has_request_context, request
from flask_babel import lazy_gettext
from flask_login import current_user

from app import dates
from app.open_doors import is_open_path
from app.services import accounts
from app.transactions import SAFE_METHODS, login_cookies_present

__all__ = [
    "current_locale",
    "keep_chosen_language",
    "lazy_gettext",
    "register",
    "select_locale",
    "select_timezone",
    "text_direction",
]

RTL_LANGUAGES = frozenset({"ar", "ckb"})
LANGUAGE_COOKIE = "lang"
LANGUAGE_COOKIE_MAX_AGE = timedelta(days=365)


def select_locale() -> str:
    """An explicit ?lang=, else the cookie, else the user's setting, else Accept-Language."""
    if not has_request_context():
        # Services called from the CLI or a test raise translated messages too.
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    languages = current_app.config["LANGUAGES"]
    for candidate in (request.args.get("lang"), request.cookies.get(LANGUAGE_COOKIE), _users_locale()):
        if candidate in languages:
            return candidate
    if "Accept-Language" not in request.headers:
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def _users_locale() -> str | None:
    """The logged-in user's language; a request with no login (no session user, no remember-me
    cookie) is told without asking Flask-Login for its anonymous user."""
    if not login_cookies_present():
        return None
    return getattr(current_user, "locale", None) if current_user and current_user.is_authenticated else None


def select_timezone() -> str | None:
    """The zone a logged-in member chose, else None: the site's (``BABEL_DEFAULT_TIMEZONE``)."""
    if not has_request_context() or not (current_user and current_user.is_authenticated):
        return None
    zone = getattr(current_user, "time_zone", None)
    return zone if dates.zone_exists(zone) else None


def current_locale() -> str:
    """The page's language, for the services that show content in it."""
    return str(flask_babel.get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


def text_direction(locale: str) -> str:
    return "rtl" if locale in RTL_LANGUAGES else "ltr"


def explicit_choice() -> str | None:
    """The language asked for with ``?lang=`` (a switcher link or a shared URL), if supported."""
    if not request.query_string:  # most requests: nothing to parse
        return None
    lang = request.args.get("lang")
    return lang if lang in current_app.config["LANGUAGES"] else None


def chosen_language() -> str | None:
    """The language this browser's person chose (``?lang=`` or the cookie the switcher left), if any."""
    lang = explicit_choice() or request.cookies.get(LANGUAGE_COOKIE)
    return lang if lang in current_app.config["LANGUAGES"] else None


def keep_chosen_language(user) -> None:
    """Keep in ``user``'s account the language they chose in this browser (the one they read and
    get mail in). Called only on requests that write anyway (a login, a POST): a GET writes
    nothing, however the language was chosen."""
    lang = chosen_language()
    if lang is not None and lang != user.locale:
        accounts.set_preferred_locale(user, lang)


def remember_in_cookie(response: Response, lang: str) -> None:
    response.set_cookie(
        LANGUAGE_COOKIE,
        lang,
        max_age=LANGUAGE_COOKIE_MAX_AGE,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
    )


def register(app: Flask) -> None:
    """Remember an explicit ``?lang=`` choice in a cookie. A GET changes nothing on the server:
    a member keeps a language for their account with a POST (``account.set_language``)."""

    @app.before_request
    def keep_members_choice() -> None:
        # A member who switched the language while logged in gets their mail in it too: their
        # next state-changing request (CSRF-checked, committed by its view) keeps it.
        if request.method not in SAFE_METHODS and current_user and current_user.is_authenticated:
            keep_chosen_language(current_user)

    @app.after_request
    def remember_choice_in_cookie(response: Response) -> Response:
        lang = explicit_choice()
        # The open-data doors set no cookie (app/open_doors.py): a feed, card or API answer in
        # ?lang=ar is cached by proxies and read by programs, not a reader's choice.
        if (
            lang is not None
            and request.cookies.get(LANGUAGE_COOKIE) != lang
            and not is_open_path(request.path)
        ):
            remember_in_cookie(response, lang)
        # The same URL is served in another language depending on these headers (one parse of
        # the header for both).
        vary = response.vary
        vary.update(("Accept-Language", "Cookie"))
        if response.mimetype == "text/html":
            response.headers.setdefault("Content-Language", str(flask_babel.get_locale()))
        return response

"""Which language a page is shown in."""

from __future__ import annotations

from datetime import timedelta

import flask_babel
from flask import Flask, Response, current_app, has_request_context, request
from flask_babel import lazy_gettext
from flask_login import current_user

__all__ = ["current_locale", "lazy_gettext", "register", "select_locale", "text_direction"]

RTL_LANGUAGES = frozenset({"ar", "ckb"})
LANGUAGE_COOKIE = "lang"
LANGUAGE_COOKIE_MAX_AGE = timedelta(days=365)


def select_locale() -> str:
    """An explicit ?lang=, else the cookie, else the user's setting, else Accept-Language."""
    if not has_request_context():
        # Services called from the CLI or a test raise translated messages too.
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    languages = current_app.config["LANGUAGES"]
    for candidate in (
        request.args.get("lang"),
        request.cookies.get(LANGUAGE_COOKIE),
        getattr(current_user, "locale", None) if current_user and current_user.is_authenticated else None,
    ):
        if candidate in languages:
            return candidate
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def current_locale() -> str:
    """The page's language, for the services that show content in it."""
    return str(flask_babel.get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


def text_direction(locale: str) -> str:
    return "rtl" if locale in RTL_LANGUAGES else "ltr"


def explicit_choice() -> str | None:
    """The language asked for with ``?lang=`` (a switcher link or a shared URL), if supported."""
    lang = request.args.get("lang")
    return lang if lang in current_app.config["LANGUAGES"] else None


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

    @app.after_request
    def remember_choice_in_cookie(response: Response) -> Response:
        lang = explicit_choice()
        if lang is not None and request.cookies.get(LANGUAGE_COOKIE) != lang:
            remember_in_cookie(response, lang)
        # The same URL is served in another language depending on these headers.
        response.vary.add("Accept-Language")
        response.vary.add("Cookie")
        if response.mimetype == "text/html":
            response.headers.setdefault("Content-Language", str(flask_babel.get_locale()))
        return response

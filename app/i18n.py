"""Which language a page is shown in."""

from __future__ import annotations

from flask import current_app, request
from flask_babel import lazy_gettext
from flask_login import current_user

__all__ = ["lazy_gettext", "select_locale", "text_direction"]

RTL_LANGUAGES = frozenset({"ar", "ckb"})
LANGUAGE_COOKIE = "lang"


def select_locale() -> str:
    """An explicit ?lang=, else the cookie, else the user's setting, else Accept-Language."""
    languages = current_app.config["LANGUAGES"]
    for candidate in (
        request.args.get("lang"),
        request.cookies.get(LANGUAGE_COOKIE),
        getattr(current_user, "locale", None) if current_user and current_user.is_authenticated else None,
    ):
        if candidate in languages:
            return candidate
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def text_direction(locale: str) -> str:
    return "rtl" if locale in RTL_LANGUAGES else "ltr"

"""Web addresses and social links as people type them, read into one stored form.

People copy ``facebook.com/our.page`` from the address bar, write ``@handle`` or a ``t.me``
link for Telegram, and type a WhatsApp number with spaces, dashes and Arabic-Indic digits.
Each function returns the stored form or raises :class:`InvalidContactDetail` with a message
for the person; the forms (field errors) and the membership services (the API, the CLI, tests)
use the same functions.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

from flask_babel import gettext as _

from app.services import DomainError
from app.services.text import ascii_digits

# "scheme:" at the start, unless the colon introduces a port ("example.org:8080").
_SCHEME = re.compile(r"^[a-z][a-z0-9+.\-]*:(?!\d)", re.IGNORECASE)
_HOST = re.compile(r"^[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?)+$", re.I)
FACEBOOK_HOSTS = ("facebook.com", "fb.com", "fb.me")
_TELEGRAM_HANDLE = re.compile(r"[A-Za-z][A-Za-z0-9_]{3,31}")
_TELEGRAM_LINK = re.compile(
    r"^(?:https?://)?(?:www\.)?(?:t\.me|telegram\.me|telegram\.dog)/@?([^/?#]+)/?$", re.I
)
_IRAQI_MOBILE = re.compile(r"07[0-9]{9}")
_PHONE_PUNCTUATION = re.compile(r"[\s\-.()\u00a0]")


class InvalidContactDetail(DomainError):
    """What was typed cannot be read as the detail asked for."""


def web_address(text: str) -> str:
    """An http(s) address; ``example.org/x`` becomes ``https://example.org/x``."""
    text = text.strip()
    if any(character.isspace() for character in text):
        raise InvalidContactDetail(_("Not a web address."))
    if not _SCHEME.match(text):
        text = "https://" + text.removeprefix("//")
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https"):
        raise InvalidContactDetail(
            _("A web address starts with https:// or http://, or with the site's name.")
        )
    host = (parts.hostname or "").rstrip(".")
    if not _HOST.match(host) or not host.rsplit(".", 1)[-1].isalpha():
        raise InvalidContactDetail(_("Not a web address."))
    return text


def facebook_page(text: str) -> str:
    """The address of a Facebook page, ``https://`` added when missing."""
    address = web_address(text)
    host = (urlsplit(address).hostname or "").lower().rstrip(".")
    on_facebook = any(host == known or host.endswith("." + known) for known in FACEBOOK_HOSTS)
    if not on_facebook or urlsplit(address).path.strip("/") == "":
        raise InvalidContactDetail(_("The address of a Facebook page, such as facebook.com/your.page."))
    return address


def telegram_handle(text: str) -> str:
    """``@handle`` from ``@handle``, ``handle`` or a ``t.me/handle`` link."""
    text = text.strip()
    link = _TELEGRAM_LINK.match(text)
    handle = link.group(1) if link else text.removeprefix("@")
    if not _TELEGRAM_HANDLE.fullmatch(handle):
        raise InvalidContactDetail(_("A Telegram username such as @our_group, or a t.me link."))
    return "@" + handle


def whatsapp_number(text: str) -> str:
    """A phone number in international form: ``+`` and ASCII digits, spaces and dashes dropped.

    Arabic-Indic and Persian digits are read as digits; ``00`` before the country code becomes
    ``+``; an Iraqi mobile number written the local way (``0770 123 4567``) gets ``+964``.
    """
    number = _PHONE_PUNCTUATION.sub("", ascii_digits(text.strip()))
    if number.startswith("00"):
        number = "+" + number[2:]
    elif _IRAQI_MOBILE.fullmatch(number):
        number = "+964" + number[1:]
    digits = number.removeprefix("+")
    if not number.startswith("+") or not (digits.isascii() and digits.isdigit() and 7 <= len(digits) <= 15):
        raise InvalidContactDetail(
            _("A phone number in digits, with its country code, such as +964 770 123 4567.")
        )
    return number


# org-id.guide identifiers: a list code (country and register, such as IQ-NGO or GB-CHC) and the
# number in that register.
_ORG_ID = re.compile(r"^[A-Z]{2}-[A-Z0-9]{2,10}-[A-Z0-9][A-Z0-9./_-]{0,60}$")


def org_identifier(text: str) -> str:
    """An org-id.guide identifier, upper case without spaces: ``iq-ngo-1234`` becomes ``IQ-NGO-1234``."""
    value = re.sub(r"\s+", "", text).upper()
    if not _ORG_ID.match(value):
        raise InvalidContactDetail(
            _("Write the identifier as on org-id.guide: the register's code, then the number (IQ-NGO-1234).")
        )
    return value


# The details read through a function before they are stored, by field name.
NORMALIZERS: dict[str, Callable[[str], str]] = {
    "website": web_address,
    "facebook": facebook_page,
    "telegram": telegram_handle,
    "whatsapp": whatsapp_number,
    "org_identifier": org_identifier,
}


def normalized(field: str, value: str | None) -> str | None:
    """``value`` in its stored form (None when empty). Raises InvalidContactDetail."""
    if value is None or not value.strip():
        return None
    normalizer = NORMALIZERS.get(field)
    return normalizer(value) if normalizer else value.strip()

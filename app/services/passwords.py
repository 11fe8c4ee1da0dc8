"""Passwords: hashing with Argon2id, and the policy every new password must meet."""

from __future__ import annotations

import gzip
import string
import unicodedata
from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app

from app.services import DomainError

# OWASP's Password Storage Cheat Sheet's Argon2id configuration: 19 MiB, 2 passes, 1 lane.
# argon2-cffi's default (RFC 9106 "low memory": 64 MiB, 3 passes, 4 lanes) took about 225 ms of
# CPU per check on these two cores, so a bot's five guesses a second took more than one core
# from every reader and 64 MiB of each worker's memory. This one takes about 35 ms. Hashes made
# with the old parameters are upgraded when their password is next typed (rehashed_if_stale).
PRODUCTION_PARAMETERS = {"time_cost": 2, "memory_cost": 19 * 1024, "parallelism": 1}
_production_hasher = PasswordHasher(**PRODUCTION_PARAMETERS)
# Tests hash hundreds of passwords: same algorithm, tiny cost.
_fast_hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def _hasher() -> PasswordHasher:
    return _fast_hasher if current_app.config.get("PASSWORD_HASH_FAST") else _production_hasher


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def rehashed_if_stale(password_hash: str, password: str) -> str | None:
    """A new hash of ``password`` (already verified against ``password_hash``) when that hash
    was made with other parameters than today's; None when it is current."""
    hasher = _hasher()
    try:
        stale = hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        stale = True
    return hasher.hash(password) if stale else None


# A hash of a random password, verified against when the email is unknown so that both
# paths of a login take about the same time.
def dummy_verify(password: str) -> None:
    verify_password(_dummy_hash(), password)


_DUMMY_HASHES: dict[bool, str] = {}


def _dummy_hash() -> str:
    fast = bool(current_app.config.get("PASSWORD_HASH_FAST"))
    if fast not in _DUMMY_HASHES:
        _DUMMY_HASHES[fast] = _hasher().hash("not-a-real-password-only-for-timing")
    return _DUMMY_HASHES[fast]


# Policy ----------------------------------------------------------------------------------------
# One rule for registration, reset, change of password, accepting an invitation and new
# moderators. Each refusal says why, in words a person can act on.

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
# The demo accounts' password is printed in the README and by `flask demo-data`
# (app.seeding.demo_data.DEMO_PASSWORD, checked by the tests).
DEMO_PASSWORDS = frozenset({"demo-password-2026"})
# A name or an email's local part shorter than this is not looked for inside a password: it
# would refuse unrelated words ("al" in "always").
MIN_CONTEXT_MATCH = 4
_COMMON_PASSWORDS_FILE = Path(__file__).resolve().parent.parent / "data" / "common-passwords-100k.txt.gz"
_AROUND_A_WORD = string.digits + string.punctuation + string.whitespace


class WeakPassword(DomainError):
    """The password does not meet the policy; the message says why."""


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The 100,000 most common leaked passwords (app/data/README.md), lower-cased, read once."""
    with gzip.open(_COMMON_PASSWORDS_FILE, "rt", encoding="utf-8") as lines:
        return frozenset(stripped.lower() for line in lines if (stripped := line.strip()))


def _fold(text: str) -> str:
    """Letters and digits only, case- and width-folded, without accents or Arabic vowel marks."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if char.isalnum())


def _repeats_a_short_pattern(compact: str) -> bool:
    """True when the password is one piece, shorter than the minimum length, said again and
    again (the last time maybe cut short), or uses fewer than four different characters."""
    if len(set(compact)) < 4:
        return True
    longest = min(MIN_PASSWORD_LENGTH - 1, len(compact) // 2)
    return any(compact[size:] == compact[:-size] for size in range(1, longest + 1))


def _is_leaked(lowered: str) -> bool:
    """On the list as it is, without its spaces, or once digits and symbols around a listed
    password are taken off ("sunshine2026!")."""
    leaked = common_passwords()
    compact = "".join(lowered.split())
    core = compact.strip(_AROUND_A_WORD)
    return lowered in leaked or compact in leaked or (len(core) >= MIN_CONTEXT_MATCH and core in leaked)


def _contains(password: str, text: str | None) -> bool:
    folded = _fold(text or "")
    return len(folded) >= MIN_CONTEXT_MATCH and folded in _fold(password)


def check_password_policy(
    password: str, *, email: str | None = None, organization_name: str | None = None
) -> None:
    """Raises WeakPassword, with the reason, unless the password is long enough, is not the
    demo password, is not one short pattern repeated, is not on the leaked-password list, and
    does not contain the email address (or its part before the @) or the organization's name."""
    from flask_babel import gettext as _

    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(_("Use at least %(n)d characters.", n=MIN_PASSWORD_LENGTH))
    if len(password) > MAX_PASSWORD_LENGTH:
        raise WeakPassword(_("Use at most %(n)d characters.", n=MAX_PASSWORD_LENGTH))
    lowered = password.lower()
    if lowered in DEMO_PASSWORDS:
        raise WeakPassword(_("This is the password of the public demo accounts. Choose your own."))
    if _repeats_a_short_pattern("".join(lowered.split())):
        raise WeakPassword(
            _("This password repeats a few characters or a short pattern. Choose a less predictable one.")
        )
    if _is_leaked(lowered):
        raise WeakPassword(
            _(
                "This password is too common: it is on lists of passwords leaked from other sites. "
                "Choose a less predictable one."
            )
        )
    if email and (_contains(password, email.partition("@")[0]) or _contains(password, email)):
        raise WeakPassword(_("Do not use your email address, or the part before the @, in your password."))
    if _contains(password, organization_name):
        raise WeakPassword(_("Do not use your organization's name in your password."))

"""Password hashing with Argon2id."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app

_production_hasher = PasswordHasher()  # argon2-cffi's RFC 9106 "low memory" defaults
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

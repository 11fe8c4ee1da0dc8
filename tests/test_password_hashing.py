"""Argon2id at OWASP's parameters: costly for someone cracking a stolen hash, cheap enough that
a bot's failed logins do not take the server's cores (docs/security.md, "Password hashing")."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from app.extensions import db
from app.models import User
from app.services import passwords
from app.services.accounts import authenticate, check_current_password
from tests.builders import make_user

PASSWORD = "a long enough passphrase 2026"
OWASP_PREFIX = "$argon2id$v=19$m=19456,t=2,p=1$"
# What every hash was made with before (argon2-cffi's default, RFC 9106 "low memory").
OLD_HASHER = PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4)


@pytest.fixture
def production_cost(app, monkeypatch):
    """The real hasher, not the suite's tiny-cost one."""
    monkeypatch.setitem(app.config, "PASSWORD_HASH_FAST", False)


def test_new_passwords_are_hashed_with_owasps_argon2id_parameters(app_ctx, production_cost):
    password_hash = passwords.hash_password(PASSWORD)

    assert password_hash.startswith(OWASP_PREFIX)
    assert passwords.verify_password(password_hash, PASSWORD)
    assert not passwords.verify_password(password_hash, PASSWORD + "!")


def test_a_hash_made_with_the_old_parameters_is_upgraded_at_the_next_login(app_ctx, production_cost):
    user = make_user(email="old-hash@example.org")
    user.password_hash = OLD_HASHER.hash(PASSWORD)
    db.session.commit()

    assert authenticate("old-hash@example.org", PASSWORD).id == user.id
    db.session.commit()

    upgraded = db.session.get(User, user.id).password_hash
    assert upgraded.startswith(OWASP_PREFIX)
    assert passwords.verify_password(upgraded, PASSWORD)


def test_a_wrong_password_leaves_an_old_hash_as_it_is(app_ctx, production_cost):
    user = make_user(email="old-hash@example.org")
    old_hash = user.password_hash = OLD_HASHER.hash(PASSWORD)
    db.session.commit()

    assert authenticate("old-hash@example.org", "not the password at all") is None
    db.session.commit()

    assert db.session.get(User, user.id).password_hash == old_hash


def test_confirming_an_act_with_the_password_upgrades_an_old_hash_too(app_ctx, production_cost):
    user = make_user(email="old-hash@example.org")
    user.password_hash = OLD_HASHER.hash(PASSWORD)
    db.session.commit()

    check_current_password(user, PASSWORD, purpose="export")
    db.session.commit()

    assert db.session.get(User, user.id).password_hash.startswith(OWASP_PREFIX)

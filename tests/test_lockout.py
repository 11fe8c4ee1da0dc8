"""Failed logins lock the account for a while, across workers, without telling emails apart."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from app.extensions import db
from app.models import User
from app.models.base import utcnow
from app.services import accounts
from app.services.accounts import AccountLocked, authenticate
from tests.builders import DEFAULT_PASSWORD, make_user
from tests.conftest import app_context, empty_all_tables

EMAIL = "amal@example.org"
WRONG = "not the right password"


@pytest.fixture
def user(app) -> User:
    """The account, as committed (a snapshot: read changes back with `fresh`)."""
    with app_context(app):
        account = make_user(email=EMAIL)
        db.session.commit()
        return account


@pytest.fixture
def account(app_ctx, user) -> User:
    """The account in the context a test of services holds."""
    return db.session.get(User, user.id)


@pytest.fixture
def frozen_clock(monkeypatch):
    """Time that only moves when the test moves it."""

    class Clock:
        now = utcnow()

        def advance(self, **delta):
            self.now += timedelta(**delta)

    clock = Clock()
    monkeypatch.setattr(accounts, "clock", lambda: clock.now)
    return clock


def fail(times: int, email: str = EMAIL) -> None:
    for _ in range(times):
        assert authenticate(email, WRONG) is None


def fresh(app, user: User) -> User:
    """The account as the database holds it now."""
    with app_context(app):
        return db.session.get(User, user.id)


# The service -----------------------------------------------------------------------------------


def test_nine_failures_do_not_lock_and_a_success_resets_the_count(account, frozen_clock):
    fail(9)
    assert authenticate(EMAIL, DEFAULT_PASSWORD) == account
    fail(9)  # a fresh count: still not locked
    assert authenticate(EMAIL, DEFAULT_PASSWORD) == account


def test_ten_failures_in_fifteen_minutes_lock_even_the_right_password(account, frozen_clock):
    fail(9)
    with pytest.raises(AccountLocked, match="15 more minutes"):
        authenticate(EMAIL, WRONG)

    frozen_clock.advance(minutes=5)
    with pytest.raises(AccountLocked, match="10 more minutes"):
        authenticate(EMAIL, DEFAULT_PASSWORD)

    frozen_clock.advance(minutes=10, seconds=1)
    assert authenticate(EMAIL, DEFAULT_PASSWORD) == account


def test_failures_spread_over_more_than_fifteen_minutes_do_not_lock(account, frozen_clock):
    fail(9)
    frozen_clock.advance(minutes=16)
    fail(9)
    assert authenticate(EMAIL, DEFAULT_PASSWORD) == account


def test_at_most_a_hundred_failures_an_hour(account, frozen_clock):
    # Ninety-nine failures already this hour (say, spread between short locks).
    account.failed_login_hour_count = 99
    account.failed_login_hour_start = frozen_clock.now - timedelta(minutes=30)
    db.session.commit()

    with pytest.raises(AccountLocked, match="30 more minutes"):
        authenticate(EMAIL, WRONG)
    with pytest.raises(AccountLocked):
        authenticate(EMAIL, DEFAULT_PASSWORD)

    frozen_clock.advance(minutes=30)
    assert authenticate(EMAIL, DEFAULT_PASSWORD) == account


def test_the_hourly_cap_holds_through_repeated_short_locks(account, frozen_clock, monkeypatch):
    monkeypatch.setattr(accounts, "LOCK_DURATION", timedelta(seconds=1))
    for _ in range(10):  # ten rounds of ten failures, each round locking for a second
        fail(9)
        with pytest.raises(AccountLocked):
            authenticate(EMAIL, WRONG)
        frozen_clock.advance(seconds=2)

    stored = db.session.scalar(sa.select(User.failed_login_hour_count).where(User.id == account.id))
    assert stored == 100
    with pytest.raises(AccountLocked):
        authenticate(EMAIL, DEFAULT_PASSWORD)


def test_a_new_password_lifts_the_lock(account, frozen_clock):
    fail(9)
    with pytest.raises(AccountLocked):
        authenticate(EMAIL, WRONG)

    accounts.set_password(account, "a brand new long passphrase 42")
    db.session.commit()

    assert authenticate(EMAIL, "a brand new long passphrase 42") == account


def test_unknown_emails_are_never_locked_and_nothing_is_written(app_ctx, frozen_clock):
    fail(20, email="nobody@example.org")
    assert db.session.query(User).count() == 0


# Through the login page ---------------------------------------------------------------------------


def login(client, password, email=EMAIL):
    return client.post("/auth/login", data={"email": email, "password": password})


def test_the_login_page_counts_failures_in_the_database(app, user, client, frozen_clock):
    login(client, WRONG)
    login(client, WRONG)
    assert fresh(app, user).failed_login_count == 2


def test_the_login_page_says_the_account_is_locked(app, user, client, frozen_clock):
    for _ in range(9):
        assert "not correct" in login(client, WRONG).get_data(as_text=True)

    tenth = login(client, WRONG)
    assert "locked" in tenth.get_data(as_text=True)

    right = login(client, DEFAULT_PASSWORD)
    assert right.status_code == 200
    assert "locked" in right.get_data(as_text=True)
    assert client.get("/account/").status_code == 302  # not logged in

    frozen_clock.advance(minutes=16)
    assert login(client, DEFAULT_PASSWORD).status_code == 302
    assert client.get("/account/").status_code == 200


# Through the change-password page ----------------------------------------------------------------

NEW_PASSWORD = "a brand new long passphrase 42"


def change_password(client, current):
    return client.post(
        "/account/password",
        data={"current_password": current, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )


def test_wrong_current_passwords_lock_the_account_like_failed_logins(app, user, client, frozen_clock):
    # A stolen session must not become a way to guess the password without limit.
    assert login(client, DEFAULT_PASSWORD).status_code == 302
    for _ in range(9):
        answer = change_password(client, WRONG)
        assert answer.status_code == 400
        assert "not correct" in answer.get_data(as_text=True)
    assert fresh(app, user).failed_login_count == 9

    tenth = change_password(client, WRONG)
    assert "locked" in tenth.get_data(as_text=True)

    right = change_password(client, DEFAULT_PASSWORD)
    assert right.status_code == 400
    assert "locked" in right.get_data(as_text=True)
    assert fresh(app, user).password_hash == user.password_hash  # unchanged
    other_browser = client.application.test_client()
    assert "locked" in login(other_browser, DEFAULT_PASSWORD).get_data(as_text=True)

    frozen_clock.advance(minutes=16)
    assert change_password(client, DEFAULT_PASSWORD).status_code == 302
    with app_context(app):
        assert authenticate(EMAIL, NEW_PASSWORD) == db.session.get(User, user.id)


def test_failed_logins_and_wrong_current_passwords_share_one_count(app, user, client, frozen_clock):
    assert login(client, DEFAULT_PASSWORD).status_code == 302
    with app_context(app):
        fail(5)  # someone else guessing at the login page
        db.session.commit()
    for _ in range(4):
        assert "not correct" in change_password(client, WRONG).get_data(as_text=True)

    assert "locked" in change_password(client, WRONG).get_data(as_text=True)


def test_the_lock_holds_across_workers(app, user, make_app, frozen_clock):
    # Two application instances, as two gunicorn workers: the count lives in the database.
    first, second = make_app().test_client(), make_app().test_client()
    for _ in range(5):
        login(first, WRONG)
        login(second, WRONG)

    assert "locked" in login(first, DEFAULT_PASSWORD).get_data(as_text=True)
    assert "locked" in login(second, DEFAULT_PASSWORD).get_data(as_text=True)


def test_unknown_email_and_wrong_password_answer_alike(app, user, client, frozen_clock):
    unknown = login(client, WRONG, email="nobody@example.org")
    wrong = login(client, WRONG)

    assert unknown.status_code == wrong.status_code == 200
    assert unknown.get_data(as_text=True) == wrong.get_data(as_text=True).replace(EMAIL, "nobody@example.org")


@pytest.mark.slow
def test_unknown_email_and_wrong_password_cost_the_same_work(make_app, monkeypatch):
    """Both paths verify exactly one Argon2 hash of the same cost, so their timing matches.

    Timing itself is not measured here (a loaded machine would make such a test flaky):
    what makes the two answers take the same time is that they do the same work.
    """
    verified_hashes: list[str] = []
    original_verify = PasswordHasher.verify

    def recording_verify(self, hash_, password):
        verified_hashes.append(hash_)
        return original_verify(self, hash_, password)

    monkeypatch.setattr(PasswordHasher, "verify", recording_verify)
    application = make_app(PASSWORD_HASH_FAST=False)  # the production cost
    with app_context(application):
        make_user(email=EMAIL)
        db.session.commit()
    client = application.test_client()

    unknown = login(client, WRONG, email="nobody@example.org")
    unknown_hashes, verified_hashes[:] = list(verified_hashes), []
    known = login(client, WRONG)
    known_hashes = list(verified_hashes)
    with app_context(application):
        empty_all_tables()  # this test builds its own app, so the `app` fixture does not clean up

    assert unknown.status_code == known.status_code
    assert "Email or password is not correct." in unknown.get_data(as_text=True)
    assert "Email or password is not correct." in known.get_data(as_text=True)
    assert len(unknown_hashes) == len(known_hashes) == 1
    assert argon2_cost(unknown_hashes[0]) == argon2_cost(known_hashes[0])


def argon2_cost(encoded_hash: str) -> str:
    """The algorithm, version and m/t/p parameters of an encoded Argon2 hash."""
    algorithm, version, parameters = encoded_hash.split("$")[1:4]
    return f"{algorithm}${version}${parameters}"

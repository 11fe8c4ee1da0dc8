"""The password policy: one rule for every form that sets a password, each refusal explained."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.extensions import mail as mail_extension
from app.models import User
from app.seeding import demo_data
from app.services import mail
from app.services.passwords import WeakPassword, check_password_policy, common_passwords
from tests.builders import DEFAULT_PASSWORD, make_organization, make_user
from tests.conftest import app_context, scalar
from tests.membership_support import STRONG_PASSWORD, link_in, registration_data, row_counts

ORGANIZATION = "Al-Amal Association"
EMAIL = "layla.hassan@example.org"


def refusal(password: str, **context) -> str:
    with pytest.raises(WeakPassword) as refused:
        check_password_policy(password, **context)
    return str(refused.value)


# The rules -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    [
        DEFAULT_PASSWORD,
        STRONG_PASSWORD,
        "a quiet garden by the tigris",
        "Basra dates, Mosul marble 1958",
        "صباح الخير يا بغداد الجميلة",
    ],
)
def test_passphrases_are_accepted(app_ctx, password):
    check_password_policy(password, email=EMAIL, organization_name=ORGANIZATION)


def test_the_demo_password_is_refused(app_ctx):
    message = refusal(demo_data.DEMO_PASSWORD)
    assert "demo accounts" in message
    assert refusal(demo_data.DEMO_PASSWORD.upper()) == message


@pytest.mark.parametrize(
    "password",
    [
        "aaaaaaaaaaaa",
        "abcabcabcabc",
        "abcabcabcabcab",  # the last repeat cut short
        "AbcAbc abcabc",
        "12341234123412341234",
        "Tigris!Tigris!Tigris!",
        "hello world hello world",  # one piece repeated, shorter than the minimum length
        "aaabbbcccaaa",  # three different characters
    ],
)
def test_passwords_made_of_one_repeated_short_pattern_are_refused(app_ctx, password):
    assert "repeats" in refusal(password)


@pytest.mark.parametrize(
    "password",
    [
        "al-amal association 2026",
        "AL AMAL ASSOCIATION forever",
        "my alamalassociation password",
    ],
)
def test_passwords_containing_the_organizations_name_are_refused(app_ctx, password):
    assert "organization's name" in refusal(password, organization_name=ORGANIZATION)


def test_arabic_organization_names_are_matched_without_their_vowel_marks(app_ctx):
    assert "organization's name" in refusal("جمعيةالأمل 2026 !!", organization_name="جَمعية الأمل")


def test_a_very_short_organization_name_is_not_looked_for(app_ctx):
    check_password_policy("the isf walks by the river", organization_name="ISF")


@pytest.mark.parametrize(
    "password",
    [
        "Layla.Hassan.2026!",
        "LAYLAHASSAN by the river",
        "layla.hassan@example.org",
    ],
)
def test_passwords_containing_the_emails_local_part_are_refused(app_ctx, password):
    assert "email address" in refusal(password, email=EMAIL)


def test_a_very_short_email_local_part_is_not_looked_for(app_ctx):
    check_password_policy("al walks by the river", email="al@example.org")


@pytest.mark.parametrize(
    "password",
    [
        "qwertyuiopasdfghjkl",  # on the list as it is
        "1QAZ2WSX3EDC",  # compared case-insensitively
        "password 1234",  # spaces ignored
        "sunshine2026!!",  # a listed password with digits and symbols around it
        "!!!Football1234567",
        "iloveyou1234",
    ],
)
def test_passwords_from_breached_password_lists_are_refused(app_ctx, password):
    assert "leaked" in refusal(password)


def test_the_breached_password_list_is_a_real_one():
    passwords = common_passwords()
    assert len(passwords) > 95_000
    assert {"123456", "password", "qwerty", "iloveyou", "dragon", "monkey", "letmein"} <= passwords


def test_length_limits_still_hold(app_ctx):
    assert "at least 12" in refusal("short pass")
    assert "at most" in refusal("x" * 1025)


# Every form that sets a password shows the reason next to the field ---------------------------

RULES = {
    "demo": (demo_data.DEMO_PASSWORD, "demo accounts"),
    "repeat": ("abcabcabcabc", "repeats"),
    "organization": ("al-amal association forever", "organization's name"),
    "email": ("Layla.Hassan by the river", "email address"),
    "breached": ("sunshine2026!!", "leaked"),
}


def member(app, email: str = EMAIL) -> User:
    with app_context(app):
        user = make_user(make_organization(ORGANIZATION), email=email)
        db.session.commit()
        return user


def password_hash_unchanged(app, user: User) -> Callable[[], bool]:
    old_hash = user.password_hash
    return lambda: scalar(app, sa.select(User.password_hash).where(User.id == user.id)) == old_hash


def register(app, password):
    before = row_counts(app)
    data = registration_data(name=ORGANIZATION, email=EMAIL, password=password, confirm=password)
    response = app.test_client().post("/auth/register", data=data)
    return response, lambda: row_counts(app) == before


def reset(app, password):
    user = member(app)
    with app_context(app), mail_extension.record_messages() as outbox:
        mail.send_password_reset(db.session.get(User, user.id))
        db.session.commit()  # queued, then delivered at the commit
    link = link_in(outbox[-1], "/auth/reset/")
    response = app.test_client().post(link, data={"password": password, "confirm": password})
    return response, password_hash_unchanged(app, user)


def change(app, password):
    user = member(app)
    client = app.test_client()
    client.post("/auth/login", data={"email": EMAIL, "password": DEFAULT_PASSWORD})
    response = client.post(
        "/account/password",
        data={"current_password": DEFAULT_PASSWORD, "new_password": password, "confirm": password},
    )
    return response, password_hash_unchanged(app, user)


def accept_invitation(app, password):
    member(app, "owner@example.org")
    owner = app.test_client()
    owner.post("/auth/login", data={"email": "owner@example.org", "password": DEFAULT_PASSWORD})
    with mail_extension.record_messages() as outbox:
        owner.post("/account/invite", data={"email": EMAIL})
    link = link_in(outbox[-1], "/auth/invitation/")
    response = app.test_client().post(link, data={"password": password, "confirm": password})
    return response, lambda: scalar(app, sa.select(User).where(User.email == EMAIL)) is None


FORMS = {"registration": register, "reset": reset, "change": change, "invitation": accept_invitation}


def error_next_to_password_field(page: str) -> str:
    match = re.search(r'<p class="field-error" id="(?:new_)?password-error">([^<]*)</p>', page)
    assert match, page
    return html.unescape(match.group(1))


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("form", FORMS)
def test_every_password_form_explains_each_refusal_and_saves_nothing(app, form, rule):
    password, reason = RULES[rule]
    response, saved_nothing = FORMS[form](app, password)

    assert response.status_code in (200, 400)
    assert reason in error_next_to_password_field(response.get_data(as_text=True))
    assert saved_nothing()


@pytest.mark.parametrize("form", FORMS)
def test_every_password_form_says_what_the_policy_refuses(app, form):
    response = app.test_client().get("/auth/register") if form == "registration" else FORMS[form](app, "x")[0]
    page = html.unescape(response.get_data(as_text=True))
    assert "leaked" in page
    assert "your organization's name" in page

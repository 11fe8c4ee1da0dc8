"""Organizations apply to join: a pending application and a first user, nothing more."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Organization, OrganizationStatus, User, Visibility
from tests.builders import make_organization, make_user
from tests.conftest import app_context, scalar, scalars
from tests.membership_support import STRONG_PASSWORD, registration_data, row_counts


def test_registration_creates_a_pending_organization_and_its_owner(app, client, outbox):
    response = client.post("/auth/register", data=registration_data(email="Owner@Amal.example.org"))
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/register/sent"

    with app_context(app):
        organization = db.session.scalar(sa.select(Organization))
        assert organization.status == OrganizationStatus.PENDING
        assert organization.slug == "al-amal-association"
        assert organization.country == "IQ"
        assert organization.founded_year == 2004
        assert organization.contact_email_visibility == Visibility.PUBLIC
        assert organization.contact_phone_visibility == Visibility.HIDDEN
        user = organization.users[0]
        assert user.email == "owner@amal.example.org"
        assert user.is_owner
        assert user.role == "member"
        assert user.password_hash.startswith("$argon2id$")
        assert user.email_confirmed_at is None
    [message] = outbox
    assert message.recipients == ["owner@amal.example.org"]
    assert "http://tadamun.test/auth/confirm/" in message.body


def test_registration_form_offers_countries_by_name_and_explains_visibility(client):
    html = client.get("/auth/register").get_data(as_text=True)
    assert '<option selected value="IQ">Iraq</option>' in html
    assert ">Norway</option>" in html
    assert "Members only: logged-in members of approved organizations" in html
    assert 'class="hp-field"' in html
    assert "Leave this field empty" in html
    assert "style=" not in html


def test_a_taken_slug_gets_a_random_suffix(app, client):
    # Same names are refused (test_organization_names.py); a slug can still be taken by an
    # organization that has since been renamed.
    with app_context(app):
        make_organization("Amal of Old", slug="al-amal-association")
        db.session.commit()
    client.post("/auth/register", data=registration_data())
    slugs = set(scalars(app, sa.select(Organization.slug))) - {"al-amal-association"}
    assert len(slugs) == 1
    assert re.fullmatch(r"al-amal-association-[a-z0-9]{6}", slugs.pop())


def test_duplicate_email_writes_nothing_answers_the_same_and_warns_the_owner(app, client, outbox):
    with app_context(app):
        make_user(email="owner@amal.example.org")
        db.session.commit()
    before = row_counts(app)
    response = client.post("/auth/register", data=registration_data(name="Another name"))
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/register/sent"
    assert row_counts(app) == before
    [notice] = outbox
    assert notice.recipients == ["owner@amal.example.org"]
    assert "already has an account" in notice.body
    assert "/auth/confirm/" not in notice.body


def test_honeypot_filled_writes_nothing(app, client, outbox):
    before = row_counts(app)
    response = client.post("/auth/register", data=registration_data(nickname="buy cheap pills"))
    assert response.status_code == 400
    assert "could not be sent" in response.get_data(as_text=True)
    assert row_counts(app) == before
    assert outbox == []


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short pass", "at least 12 characters"),
        ("password1234", "too common"),
        ("qwertyuiop123", "too common"),
        ("aaaaaaaaaaaaaaaa", "repeats a few characters"),
    ],
)
def test_weak_passwords_are_refused(app, client, password, message):
    before = row_counts(app)
    response = client.post("/auth/register", data=registration_data(password=password, confirm=password))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert row_counts(app) == before


def test_weak_password_is_refused_even_for_a_registered_email(app, client, outbox):
    """Otherwise the different answer would tell that the email is registered."""
    with app_context(app):
        make_user(email="owner@amal.example.org")
        db.session.commit()
    response = client.post("/auth/register", data=registration_data(password="short", confirm="short"))
    assert response.status_code == 400
    assert outbox == []


def test_passwords_must_match(app, client):
    before = row_counts(app)
    response = client.post("/auth/register", data=registration_data(confirm=STRONG_PASSWORD + "x"))
    assert response.status_code == 400
    assert "The two passwords differ." in response.get_data(as_text=True)
    assert row_counts(app) == before


@pytest.mark.parametrize(
    "website", ["javascript:alert(1)", "ftp://example.org", "data:text/html,x", "example"]
)
def test_website_must_be_http_or_https(app, client, website):
    before = row_counts(app)
    response = client.post("/auth/register", data=registration_data(website=website))
    assert response.status_code == 400
    assert row_counts(app) == before


@pytest.mark.parametrize(
    "override",
    [
        {"name": ""},
        {"kind": "secret-society"},
        {"country": "XX"},
        {"founded_year": "1492"},
        {"founded_year": "99999999999999999999"},
        {"contact_email_visibility": "everyone"},
        {"email": "not-an-email"},
        {"description": ""},
    ],
)
def test_invalid_profile_is_refused_with_nothing_written(app, client, override):
    before = row_counts(app)
    response = client.post("/auth/register", data=registration_data(**override))
    assert response.status_code == 400
    assert row_counts(app) == before


def test_forged_status_and_role_fields_are_ignored(app, client):
    client.post("/auth/register", data=registration_data(status="approved", role="admin", is_owner="n"))
    assert scalar(app, sa.select(Organization.status)) == OrganizationStatus.PENDING
    assert scalar(app, sa.select(User.role)) == "member"


def test_logged_in_user_is_sent_to_their_dashboard(app, client, auth):
    with app_context(app):
        make_user(email="amal@example.org")
        db.session.commit()
    auth.login("amal@example.org")
    assert client.get("/auth/register").headers["Location"] == "/account/"


def test_nav_invites_visitors_to_join(client):
    html = client.get("/").get_data(as_text=True)
    assert 'href="/auth/register"' in html
    assert "Join the network" in html


def test_kind_starts_unchosen_and_must_be_chosen(app, client):
    html = client.get("/auth/register").get_data(as_text=True)
    assert '<option selected value="">Choose a kind of organization</option>' in html
    before = row_counts(app)
    response = client.post("/auth/register", data=registration_data(kind=""))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="kind-error"' in page
    assert '<a href="#kind">Kind of organization: ' in page
    assert row_counts(app) == before

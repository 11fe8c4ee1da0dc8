"""Numbers typed in Arabic-Indic or Persian digits, as people in Iraq type them: a year, a
position, a page number."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Campaign, Organization
from app.services.text import ascii_digits
from tests.builders import make_campaign, make_moderator, make_organization
from tests.conftest import app_context, count, scalar
from tests.membership_support import registration_data


def test_eastern_digits_become_ascii_digits():
    assert ascii_digits("١٩٩٥") == "1995"
    assert ascii_digits("۱۹۹۵") == "1995"
    assert ascii_digits("page ٣ of 10") == "page 3 of 10"
    assert ascii_digits("") == ""


@pytest.mark.parametrize(("typed", "stored"), [("١٩٩٥", 1995), ("۱۹۹۵", 1995), (" 2004 ", 2004)])
def test_year_founded_may_be_typed_in_eastern_digits(app, client, typed, stored):
    response = client.post("/auth/register", data=registration_data(founded_year=typed))
    assert response.status_code == 302
    assert scalar(app, sa.select(Organization.founded_year)) == stored


# Arabic-Indic digits with a letter or a decimal point, a sign, an underscore, full-width digits.
@pytest.mark.parametrize(
    "typed", ["\u0661\u0669\u0669\u0665x", "+1995", "1_995", "1995.\u0665", "\uff11\uff19\uff19\uff15"]
)
def test_a_year_that_is_not_a_plain_number_is_refused(app, client, typed):
    response = client.post("/auth/register", data=registration_data(founded_year=typed))
    assert response.status_code == 400
    assert "Please type a whole number, in digits." in response.get_data(as_text=True)
    assert count(app, Organization) == 0


def test_number_fields_accept_eastern_digits_in_the_browser(client):
    # Browsers refuse Arabic-Indic digits in <input type="number">: a text field with a
    # numeric keyboard takes what people type.
    html = client.get("/auth/register").get_data(as_text=True)
    tag = re.search(r'<input[^>]*id="founded_year"[^>]*>', html).group(0)
    assert 'type="text"' in tag
    assert 'inputmode="numeric"' in tag


def test_campaign_position_may_be_typed_in_eastern_digits(app, client, auth):
    with app_context(app):
        moderator_email = make_moderator().email
        db.session.commit()
    auth.login(moderator_email)
    response = client.post(
        "/moderation/campaigns/new",
        data={"title": "Save the Tigris", "summary": "Keep it alive.", "status": "active",
              "accent": "clay", "position": "-٣"},
    )  # fmt: skip
    assert response.status_code == 302
    assert scalar(app, sa.select(Campaign.position)) == -3


def test_page_numbers_may_be_typed_in_eastern_digits(app, client):
    with app_context(app):
        for n in range(25):
            make_organization(f"Member {n:02d}", description="")
        make_campaign("Water campaign")
        db.session.commit()
    for page in ("٢", "۲"):
        html = client.get("/organizations/", query_string={"page": page}).get_data(as_text=True)
        assert "Member 24" in html and "Member 00" not in html
        search = client.get("/search", query_string={"q": "member", "type": "organizations", "page": page})
        assert search.get_data(as_text=True).count('class="search-result"') == 5

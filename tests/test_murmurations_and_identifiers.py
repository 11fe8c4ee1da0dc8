"""Murmurations profiles (opt-in, public fields only, 404 once opted out or out of public view)
and org-id.guide registration identifiers with their own visibility."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Organization, Visibility
from app.models.base import utcnow
from app.services import contact_details
from tests.builders import make_campaign, make_organization, make_pledge, make_user
from tests.conftest import app_context, scalar

PROFILE = "/open-data/murmurations/al-amal.json"


@pytest.fixture
def organization(app):
    with app_context(app):
        organization = make_organization(
            "Al-Amal",
            slug="al-amal",
            website="https://al-amal.example.org",
            contact_email="amal@example.org",
            contact_email_visibility=Visibility.PUBLIC,
            contact_phone="+964 770 0000",
            contact_phone_visibility=Visibility.PUBLIC,
            org_identifier="IQ-NGO-1234",
            org_identifier_visibility=Visibility.MEMBERS,
        )
        make_pledge(organization, make_campaign(slug="save-the-tigris"))
        make_user(organization, email="owner@al-amal.example.org")
        db.session.commit()
        return organization.id


def test_no_profile_until_the_organization_opts_in(client, organization):
    assert client.get(PROFILE).status_code == 404


def test_the_member_opts_in_and_out_on_the_profile_form(app, client, auth, organization):
    auth.login("owner@al-amal.example.org")
    form = {"name": "Al-Amal", "kind": "ngo", "country": "IQ", "description": "Literacy.",
            "contact_email": "amal@example.org", "contact_email_visibility": "public",
            "org_identifier": " iq-ngo-1234 ", "org_identifier_visibility": "public",
            "publishes_murmurations": "y"}  # fmt: skip
    assert client.post("/account/profile", data=form).status_code == 302
    saved = scalar(app, sa.select(Organization).where(Organization.id == organization))
    assert saved.publishes_murmurations and saved.org_identifier == "IQ-NGO-1234"
    anonymous = app.test_client()
    profile = anonymous.get(PROFILE)
    assert profile.status_code == 200
    data = profile.get_json()
    assert data["linked_schemas"] == ["organizations_schema-v1.0.0"]
    assert data["name"] == "Al-Amal" and data["primary_url"] in (
        "https://al-amal.example.org",
        "http://tadamun.test/organizations/al-amal",
    )
    assert {"name": "Tadamun", "url": "http://tadamun.test/organizations/al-amal"} in data["urls"]
    assert data["contact_details"] == {"email": "amal@example.org"}
    assert "save-the-tigris" in data["tags"] and data["country_iso_3166"] == "IQ"
    assert "IQ-NGO-1234" in str(data["urls"])
    assert "+964" not in profile.get_data(as_text=True)
    html = anonymous.get("/organizations/al-amal").get_data(as_text=True)
    assert f'href="{PROFILE}" title="Murmurations profile"' in html
    form.pop("publishes_murmurations")
    assert client.post("/account/profile", data=form).status_code == 302
    assert anonymous.get(PROFILE).status_code == 404


def test_no_profile_out_of_public_view(app, client, organization):
    with app_context(app):
        row = db.session.get(Organization, organization)
        row.publishes_murmurations = True
        db.session.commit()
    assert client.get(PROFILE).status_code == 200
    with app_context(app):
        db.session.get(Organization, organization).dark_at = utcnow()
        db.session.commit()
    assert client.get(PROFILE).status_code == 404


def test_the_identifier_has_its_own_visibility(app, client, organization):
    record = client.get("/api/v1/organizations/al-amal").get_json()
    assert record["contacts"]["org_identifier"] is None  # members only
    assert "IQ-NGO-1234" not in client.get("/organizations/al-amal").get_data(as_text=True)
    with app_context(app):
        db.session.get(Organization, organization).org_identifier_visibility = Visibility.PUBLIC
        db.session.commit()
    assert (
        client.get("/api/v1/organizations/al-amal").get_json()["contacts"]["org_identifier"] == "IQ-NGO-1234"
    )
    assert "IQ-NGO-1234" in client.get("/organizations/al-amal").get_data(as_text=True)


def test_identifiers_are_read_in_the_org_id_form(app_ctx):
    assert contact_details.normalized("org_identifier", " iq-ngo- 1234 ") == "IQ-NGO-1234"
    assert contact_details.normalized("org_identifier", "GB-CHC-1098765") == "GB-CHC-1098765"
    for wrong in ("1234", "IQ 1234", "IRAQ-NGO-1", "IQ-NGO-"):
        with pytest.raises(contact_details.InvalidContactDetail):
            contact_details.normalized("org_identifier", wrong)

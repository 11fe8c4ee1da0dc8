"""schema.org JSON-LD, OpenGraph and Twitter card tags of the public pages, and the campaigns'
share cards: the required shapes, public fields only (a member's page publishes no more)."""

from __future__ import annotations

import io
import json
import re

import pytest
from PIL import Image

from app.extensions import db
from app.models import LinkVisibility, Visibility
from tests.builders import make_campaign, make_organization, make_pledge, make_project, make_user
from tests.conftest import app_context, log_in

JSONLD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)
META = re.compile(r'<meta (?:property|name)="((?:og|twitter):[a-z:_]+)" content="([^"]*)">')

# What schema.org's types need to be useful (name and url at least; types from the vocabulary).
REQUIRED = {
    "NGO": {"name", "url", "address"},
    "Organization": {"name", "url", "address"},
    "Project": {"name", "url", "description", "parentOrganization"},
}
ALLOWED_TYPES = {"NGO", "Organization", "Project", "PostalAddress", "Place"}


def jsonld_of(html: str) -> dict:
    blocks = JSONLD.findall(html)
    assert len(blocks) == 1
    return json.loads(blocks[0])


def assert_shape(data: dict) -> None:
    assert data["@context"] == "https://schema.org"
    assert data["@type"] in REQUIRED, data["@type"]
    assert REQUIRED[data["@type"]] <= set(data), set(REQUIRED[data["@type"]]) - set(data)
    assert data["url"].startswith("http://tadamun.test/")
    for value in data.values():
        if isinstance(value, dict) and "@type" in value:
            assert value["@type"] in ALLOWED_TYPES
    if "address" in data:
        assert data["address"]["@type"] == "PostalAddress" and len(data["address"]["addressCountry"]) == 2


@pytest.fixture
def network(app):
    with app_context(app):
        campaign = make_campaign("Save the Tigris", slug="save-the-tigris")
        other = make_campaign("Quiet campaign", slug="quiet-campaign")
        organization = make_organization(
            "Al-Amal",
            slug="al-amal",
            contact_email="amal@example.org",
            contact_email_visibility=Visibility.PUBLIC,
            contact_phone="+964 770 0000",
            contact_phone_visibility=Visibility.MEMBERS,
        )
        make_pledge(organization, campaign)
        project = make_project(organization, [campaign], "Clean water", slug="clean-water")
        from app.models import ProjectCampaign

        db.session.add(
            ProjectCampaign(project_id=project.id, campaign_id=other.id, visibility=LinkVisibility.MEMBERS)
        )
        member = make_user(make_organization(slug="friends"), email="friend@example.org")
        db.session.commit()
        return {"member": member.email}


@pytest.mark.parametrize("as_member", [False, True])
def test_jsonld_and_previews(client, network, as_member):
    if as_member:
        log_in(client, network["member"])
    organization = client.get("/organizations/al-amal").get_data(as_text=True)
    data = jsonld_of(organization)
    assert_shape(data)
    assert data["@type"] == "NGO" and data["email"] == "amal@example.org"
    assert "telephone" not in data and "+964 770 0000" not in json.dumps(data)
    campaign = client.get("/campaigns/save-the-tigris").get_data(as_text=True)
    data = jsonld_of(campaign)
    assert_shape(data)
    assert data["name"] == "Save the Tigris"
    tags = dict(META.findall(campaign))
    assert tags["og:title"] == "Save the Tigris"
    assert tags["og:url"] == "http://tadamun.test/campaigns/save-the-tigris"
    assert tags["og:image"] == "http://tadamun.test/open-data/cards/campaigns/save-the-tigris.png"
    assert tags["twitter:card"] == "summary_large_image"
    project = client.get("/projects/clean-water").get_data(as_text=True)
    data = jsonld_of(project)
    assert_shape(data)
    # Only the public link is published, even on a member's page.
    assert [part["name"] for part in data["isPartOf"]] == ["Save the Tigris"]
    assert dict(META.findall(project))["og:description"] == "What Clean water does."


def test_share_card_is_a_cached_png(client, network):
    answer = client.get("/open-data/cards/campaigns/save-the-tigris.png")
    assert answer.status_code == 200 and answer.mimetype == "image/png"
    image = Image.open(io.BytesIO(answer.get_data()))
    assert image.size == (1200, 630)
    again = client.get(
        "/open-data/cards/campaigns/save-the-tigris.png", headers={"If-None-Match": answer.headers["ETag"]}
    )
    assert again.status_code == 304
    assert client.get("/open-data/cards/campaigns/nothing.png").status_code == 404


def test_a_website_that_is_not_http_is_never_published(app, client):
    with app_context(app):
        make_organization("Tricky", slug="tricky", website="javascript:alert(1)", publishes_murmurations=True)
        db.session.commit()
    assert client.get("/api/v1/organizations/tricky").get_json()["website"] is None
    for path in (
        "/organizations/tricky",
        "/open-data/murmurations/tricky.json",
        "/open-data/organizations.csv",
    ):
        assert "javascript:" not in client.get(path).get_data(as_text=True), path

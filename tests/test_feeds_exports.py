"""Atom feeds (read back with feedparser and lxml), CSV/JSON exports with their HXL row, the data
dictionary, sitemap.xml and robots.txt: public data only, stable shapes."""

from __future__ import annotations

import csv
import io

import feedparser
import pytest
from lxml import etree

from app.extensions import db
from app.models import LinkVisibility, PledgeVisibility, Visibility
from app.models.organization import CONTACT_FIELDS
from app.services import open_data
from tests.builders import make_campaign, make_organization, make_pledge, make_project, make_user
from tests.conftest import app_context, log_in

ATOM_NS = "http://www.w3.org/2005/Atom"


@pytest.fixture
def network(app):
    with app_context(app):
        tigris = make_campaign("Save the Tigris", slug="save-the-tigris")
        amal = make_organization(
            "Al-Amal",
            slug="al-amal",
            contact_email="amal@example.org",
            contact_email_visibility=Visibility.PUBLIC,
            contact_phone="+964 770 1",
            contact_phone_visibility=Visibility.MEMBERS,
        )
        quiet = make_organization("Quiet Friends", slug="quiet-friends", country="FR")
        make_pledge(amal, tigris, message="Rivers are life")
        make_pledge(quiet, tigris, visibility=PledgeVisibility.MEMBERS)
        make_project(amal, [tigris], "Clean water", slug="clean-water")
        make_project(quiet, [tigris], "Quiet work", slug="quiet-work", link_visibility=LinkVisibility.MEMBERS)
        member = make_user(quiet, email="quiet@example.org")
        db.session.commit()
        return {"member": member.email}


def assert_valid_atom(body: bytes) -> feedparser.FeedParserDict:
    root = etree.fromstring(body)
    assert root.tag == f"{{{ATOM_NS}}}feed"
    for required in ("id", "title", "updated"):
        assert root.find(f"{{{ATOM_NS}}}{required}") is not None
    for entry in root.findall(f"{{{ATOM_NS}}}entry"):
        for required in ("id", "title", "updated"):
            assert entry.find(f"{{{ATOM_NS}}}{required}") is not None
    parsed = feedparser.parse(body)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return parsed


@pytest.mark.parametrize(
    "path",
    ["/feeds/network.atom", "/feeds/campaigns/save-the-tigris.atom", "/feeds/organizations/al-amal.atom"],
)
def test_feeds_are_valid_atom_with_public_entries_only(client, network, path):
    answer = client.get(path)
    assert answer.status_code == 200 and answer.mimetype == "application/atom+xml"
    feed = assert_valid_atom(answer.get_data())
    titles = " ".join(entry.title for entry in feed.entries)
    assert "Al-Amal supports Save the Tigris" in titles
    assert "Clean water" in titles
    assert "Quiet Friends supports" not in titles  # a members-only pledge
    if "campaigns" in path:
        assert "Quiet work" not in titles  # linked to the campaign for members only
    assert all(entry.id.startswith("tag:tadamun.test,") for entry in feed.entries)


def test_feed_entries_for_members_and_an_empty_feed(client, network):
    feed = assert_valid_atom(client.get("/feeds/network.atom").get_data())
    assert any(entry.title == "New member: Al-Amal" for entry in feed.entries)
    # Its members-only pledge is not in its feed; its project (public itself) is.
    quiet = assert_valid_atom(client.get("/feeds/organizations/quiet-friends.atom").get_data())
    assert [entry.title for entry in quiet.entries] == ["New project: Quiet work (Quiet Friends)"]
    assert client.get("/feeds/organizations/nobody.atom").status_code == 404
    assert client.get("/feeds/campaigns/nothing.atom").status_code == 404


def test_pages_link_their_feeds(client, network):
    campaign = client.get("/campaigns/save-the-tigris").get_data(as_text=True)
    assert 'type="application/atom+xml" href="/feeds/campaigns/save-the-tigris.atom"' in campaign
    organization = client.get("/organizations/al-amal").get_data(as_text=True)
    assert 'type="application/atom+xml" href="/feeds/organizations/al-amal.atom"' in organization
    home = client.get("/").get_data(as_text=True)
    assert 'href="/feeds/network.atom"' in home
    for lang in ("en", "ar", "ckb", "fr"):
        assert (
            f'hreflang="{lang}" href="http://tadamun.test/campaigns/save-the-tigris?lang={lang}"' in campaign
        )


def read_csv(answer) -> list[list[str]]:
    return list(csv.reader(io.StringIO(answer.get_data(as_text=True))))


def test_directory_csv_has_stable_columns_and_hxl_row(client, network):
    answer = client.get("/open-data/organizations.csv")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert "attachment" in answer.headers["Content-Disposition"]
    rows = read_csv(answer)
    assert rows[0] == [name for name, _tag, _text in open_data.ORGANIZATION_COLUMNS]
    assert rows[1][:5] == ["#org+code", "#org+name", "#org+type", "#country+code", "#adm1+name"]
    assert all(tag.startswith("#") for tag in rows[1])
    by_slug = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[2:]}
    assert set(by_slug) == {"al-amal", "quiet-friends"}
    assert by_slug["al-amal"]["contact_email"] == "amal@example.org"
    assert by_slug["al-amal"]["contact_phone"] == ""
    assert by_slug["al-amal"]["sectors"] == "save-the-tigris"
    assert by_slug["quiet-friends"]["sectors"] == ""  # its members-only pledge is not named
    json_rows = client.get("/open-data/organizations.json").get_json()
    assert [row["slug"] for row in json_rows] == ["al-amal", "quiet-friends"]


def test_every_contact_field_is_a_column():
    names = [name for name, _tag, _text in open_data.ORGANIZATION_COLUMNS]
    assert [name for name in names if name in CONTACT_FIELDS] == list(CONTACT_FIELDS)


def test_campaign_exports(client, network):
    supporters = read_csv(client.get("/open-data/campaigns/save-the-tigris/supporters.csv"))
    assert supporters[0] == [name for name, _tag, _text in open_data.SUPPORTER_COLUMNS]
    assert [row[1] for row in supporters[2:]] == ["al-amal"]
    projects = client.get("/open-data/campaigns/save-the-tigris/projects.json").get_json()
    assert [row["slug"] for row in projects] == ["clean-water"]
    assert client.get("/open-data/campaigns/nothing/projects.csv").status_code == 404
    assert client.get("/open-data/campaigns/save-the-tigris/projects.xml").status_code == 404


def test_exports_are_streamed_in_batches(app, client, monkeypatch):
    monkeypatch.setattr(open_data, "BATCH", 2)
    with app_context(app):
        campaign = make_campaign(slug="many")
        for n in range(5):
            make_pledge(make_organization(slug=f"many-{n}"), campaign)
        db.session.commit()
    streamed = client.get("/open-data/organizations.csv", buffered=False)
    assert streamed.is_streamed
    streamed.close()
    answer = client.get("/open-data/organizations.csv")
    assert [row[0] for row in read_csv(answer)[2:]] == [f"many-{n}" for n in range(5)]
    assert len(read_csv(client.get("/open-data/campaigns/many/supporters.csv"))) == 7


def test_data_dictionary_names_every_column(client, network):
    page = client.get("/open-data").get_data(as_text=True)
    for columns in open_data.TABLES.values():
        for name, tag, _text in columns:
            assert f"<code>{name}</code>" in page and f"<code>{tag}</code>" in page


def test_sitemap_lists_public_pages_only(app, client, network):
    body = client.get("/sitemap.xml").get_data()
    root = etree.fromstring(body)
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locations = [loc.text for loc in root.findall("s:url/s:loc", ns)]
    assert "http://tadamun.test/campaigns/save-the-tigris" in locations
    assert "http://tadamun.test/organizations/al-amal" in locations
    assert "http://tadamun.test/projects/clean-water" in locations
    assert not any("/account" in loc or "/moderation" in loc or "/search" in loc for loc in locations)


def test_robots_keeps_private_pages_out(client):
    text = client.get("/robots.txt").get_data(as_text=True)
    for path in ("/account/", "/auth/", "/moderation/", "/search"):
        assert f"Disallow: {path}" in text
    assert "Sitemap: http://tadamun.test/sitemap.xml" in text


def test_open_doors_ignore_a_members_cookie(client, network):
    before = client.get("/open-data/campaigns/save-the-tigris/supporters.csv").get_data()
    log_in(client, network["member"])
    for path in (
        "/open-data/campaigns/save-the-tigris/supporters.csv",
        "/feeds/campaigns/save-the-tigris.atom",
        "/sitemap.xml",
        "/robots.txt",
    ):
        answer = client.get(path)
        assert "Set-Cookie" not in answer.headers
        if "save-the-tigris" in path:
            assert b"quiet-friends" not in answer.get_data()  # its pledge is members-only
    assert client.get("/open-data/campaigns/save-the-tigris/supporters.csv").get_data() == before

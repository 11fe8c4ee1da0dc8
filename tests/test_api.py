"""The public API at /api/v1: a visitor's view whoever asks, read-only, paged, cached, CORS,
rate-limited, and problem details for every error."""

from __future__ import annotations

import pytest

from app.extensions import db, limiter
from app.models import LinkVisibility, OrganizationStatus, PledgeVisibility, Visibility
from app.models.base import utcnow
from tests.builders import make_campaign, make_organization, make_pledge, make_project, make_user
from tests.conftest import app_context, empty_all_tables, log_in

SITE = "http://tadamun.test"


@pytest.fixture
def network(app):
    with app_context(app):
        tigris = make_campaign("Save the Tigris", slug="save-the-tigris")
        marsh = make_campaign("Marshes", slug="marshes")
        amal = make_organization(
            "Al-Amal",
            slug="al-amal",
            contact_email="amal@example.org",
            contact_email_visibility=Visibility.PUBLIC,
            contact_phone="+964 770 000 0001",
            contact_phone_visibility=Visibility.MEMBERS,
            address="Secret street 1",
            address_visibility=Visibility.HIDDEN,
        )
        discreet = make_organization("Discreet", slug="discreet", country="FR")
        dark = make_organization("Gone Dark", slug="gone-dark", dark_at=utcnow())
        pending = make_organization("Waiting", slug="waiting", status=OrganizationStatus.PENDING)
        make_pledge(amal, tigris)
        make_pledge(discreet, tigris, visibility=PledgeVisibility.MEMBERS)
        make_pledge(discreet, marsh, visibility=PledgeVisibility.COUNTED)
        make_pledge(dark, tigris)
        make_project(amal, [tigris], slug="clean-water")
        make_project(amal, [marsh], slug="members-link", link_visibility=LinkVisibility.MEMBERS)
        make_project(pending, [tigris], slug="pending-project")
        member = make_user(discreet, email="member@example.org")
        db.session.commit()
        return {"member": member.email}


def slugs(response) -> list[str]:
    return [
        item.get("slug") or f"{item['organization']}>{item['campaign']}"
        for item in response.get_json()["items"]
    ]


def test_lists_show_only_what_a_visitor_sees(client, network):
    organizations = client.get("/api/v1/organizations")
    assert organizations.status_code == 200
    assert slugs(organizations) == ["al-amal", "discreet"]
    amal = organizations.get_json()["items"][0]
    assert amal["contacts"]["contact_email"] == "amal@example.org"
    assert amal["contacts"]["contact_phone"] is None and amal["contacts"]["address"] is None
    assert "id" not in amal
    assert slugs(client.get("/api/v1/pledges")) == ["al-amal>save-the-tigris"]
    projects = client.get("/api/v1/projects").get_json()["items"]
    assert {p["slug"]: p["campaigns"] for p in projects} == {
        "clean-water": ["save-the-tigris"],
        "members-link": [],
    }
    assert client.get("/api/v1/organizations/gone-dark").status_code == 404
    assert client.get("/api/v1/organizations/waiting").status_code == 404
    assert client.get("/api/v1/projects/pending-project").status_code == 404
    tigris = client.get("/api/v1/campaigns/save-the-tigris").get_json()
    assert tigris["counts"]["supporters"] >= 1 and tigris["url"] == f"{SITE}/campaigns/save-the-tigris"


def test_filters(client, network):
    assert slugs(client.get("/api/v1/organizations?country=FR")) == ["discreet"]
    assert slugs(client.get("/api/v1/organizations?kind=ngo&campaign=save-the-tigris")) == ["al-amal"]
    # The campaign filter reads public pledges only: a members-only supporter is not revealed.
    assert slugs(client.get("/api/v1/organizations?campaign=marshes")) == []
    assert slugs(client.get("/api/v1/projects?campaign=marshes")) == []
    assert slugs(client.get("/api/v1/pledges?organization=al-amal")) == ["al-amal>save-the-tigris"]
    assert client.get("/api/v1/pledges?organization=discreet").get_json()["items"] == []


def test_a_members_cookie_changes_nothing_and_no_cookie_is_set(client, network):
    anonymous = client.get("/api/v1/pledges?campaign=save-the-tigris")
    log_in(client, network["member"])
    assert client.get("/account/").status_code in (200, 302)
    as_member = client.get("/api/v1/pledges?campaign=save-the-tigris")
    assert as_member.get_data() == anonymous.get_data()
    assert "Set-Cookie" not in as_member.headers
    organizations = client.get("/api/v1/organizations/al-amal").get_json()
    assert organizations["contacts"]["contact_phone"] is None
    assert "no-store" not in as_member.headers.get("Cache-Control", "")


def test_keyset_pages_follow_next_links(app, client):
    with app_context(app):
        campaign = make_campaign(slug="big")
        for n in range(7):
            make_pledge(make_organization(slug=f"org-{n}"), campaign)
        db.session.commit()
    seen, url = [], "/api/v1/pledges?limit=3&campaign=big"
    while url:
        body = client.get(url).get_json()
        seen += [item["organization"] for item in body["items"]]
        url = body["next"]
        assert url is None or (url.startswith(SITE) and "limit=3" in url and "campaign=big" in url)
    assert sorted(seen) == [f"org-{n}" for n in range(7)] and len(seen) == 7
    seen, url = [], "/api/v1/organizations?limit=2"
    while url:
        body = client.get(url).get_json()
        seen += slugs_of(body)
        url = body["next"]
    assert seen == sorted(seen) and len(seen) == 7


def slugs_of(body) -> list[str]:
    return [item["slug"] for item in body["items"]]


def test_etag_and_304(client, network):
    first = client.get("/api/v1/campaigns")
    etag = first.headers["ETag"]
    assert "public" in first.headers["Cache-Control"]
    again = client.get("/api/v1/campaigns", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""


def test_cors_is_read_only_and_without_credentials(client, network):
    answer = client.get("/api/v1/campaigns", headers={"Origin": "https://example.net"})
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in answer.headers
    preflight = client.options(
        "/api/v1/campaigns", headers={"Origin": "https://example.net", "Access-Control-Request-Method": "GET"}
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Methods"] == "GET, HEAD, OPTIONS"
    refused = client.post("/api/v1/campaigns", json={})
    assert refused.status_code == 405
    assert refused.mimetype == "application/problem+json"
    assert "POST" not in refused.headers["Allow"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/organizations?country=iraq",
        "/api/v1/organizations?kind=club",
        "/api/v1/organizations?limit=0",
        "/api/v1/organizations?limit=101",
        "/api/v1/campaigns?lang=de",
        "/api/v1/pledges?after=not-a-cursor",
        "/api/v1/pledges?after=999999999999999999~a~b",
        "/api/v1/organizations?after=a%20b",
    ],
)
def test_bad_input_is_a_400_problem(client, network, path):
    answer = client.get(path)
    assert answer.status_code == 400
    assert answer.mimetype == "application/problem+json"
    problem = answer.get_json()
    assert problem["status"] == 400 and problem["type"] == "about:blank" and problem["title"]


def test_unknown_things_are_404_problems(client, network):
    for path in ("/api/v1/nothing", "/api/v1/campaigns/nothing", "/api/v1/organizations?campaign=nothing"):
        answer = client.get(path)
        assert answer.status_code == 404 and answer.mimetype == "application/problem+json"


def test_translations_and_language(app, client):
    from app.models import CampaignTranslation

    with app_context(app):
        campaign = make_campaign("Water", slug="water")
        db.session.add(
            CampaignTranslation(campaign_id=campaign.id, locale="ar", title="الماء", summary="ملخص")
        )
        db.session.commit()
    body = client.get("/api/v1/campaigns/water?lang=ar").get_json()
    assert body["title"] == "الماء" and body["language"] == "ar"
    assert body["description"] == "The long story of Water."  # falls back field by field
    assert body["translations"]["ar"]["title"] == "الماء"


@pytest.fixture
def limited_app(make_app):
    application = make_app(RATELIMIT_ENABLED=True, API_RATE_LIMIT="3 per minute")
    limiter.reset()
    yield application
    with app_context(application):
        empty_all_tables()


def test_rate_limit_per_address_is_a_429_problem(limited_app):
    client = limited_app.test_client()
    for _ in range(3):
        assert client.get("/api/v1/campaigns").status_code == 200
    answer = client.get("/api/v1/campaigns")
    assert answer.status_code == 429
    assert answer.mimetype == "application/problem+json"
    other = client.get("/api/v1/campaigns", environ_overrides={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 200


def test_openapi_document_and_docs_page(client, static_dir):
    spec = client.get("/api/v1/openapi.json")
    assert spec.status_code == 200
    assert spec.get_json()["openapi"].startswith("3.1")
    assert "Set-Cookie" not in spec.headers
    page = (static_dir / "api" / "index.html").read_text()
    assert "openapi.json" in page and "http" not in page.replace("http://www.w3.org", "")


OPEN_URLS = (
    "/api/v1/campaigns",
    "/api/v1/organizations?campaign=save-the-tigris",
    "/api/v1/pledges",
    "/api/v1/projects",
    "/api/v1/organizations/al-amal",
    "/feeds/network.atom",
    "/feeds/campaigns/save-the-tigris.atom",
)


def test_open_doors_cost_the_same_few_queries_at_any_size(app, client, network, count_queries):
    def measure() -> dict[str, int]:
        counts = {}
        for url in OPEN_URLS:
            with count_queries() as counter:
                assert client.get(url).status_code == 200, url
            counts[url] = len(counter.statements)
        return counts

    before = measure()
    with app_context(app):
        import sqlalchemy as sa

        from app.models import Campaign

        tigris = db.session.scalar(sa.select(Campaign).where(Campaign.slug == "save-the-tigris"))
        for n in range(15):
            organization = make_organization(slug=f"more-{n}", contact_email=f"m{n}@example.org")
            make_pledge(organization, tigris)
            make_project(organization, [tigris])
        db.session.commit()
    after = measure()
    assert after == before
    assert max(after.values()) <= 6, after

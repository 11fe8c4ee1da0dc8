"""Updates and gatherings through the open-data doors (issue #18): the API's /updates and
/gatherings, the feeds (network, campaign, project), the gathering page's schema.org Event and
preview tags, the sitemap (and its index past SITEMAP_MAX_URLS), all as a visitor sees them."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from lxml import etree

from app.extensions import db
from app.models import (
    GatheringCampaign,
    GatheringProject,
    GatheringStatus,
    OrganizationStatus,
    PledgeVisibility,
    Project,
    Registration,
    RegistrationState,
    Update,
    UpdateText,
)
from app.models.base import utcnow
from app.open_doors import is_open_path
from tests.builders import make_campaign, make_organization, make_project, make_user
from tests.conftest import app_context, log_in
from tests.gathering_support import delegate_type, make_gathering
from tests.test_feeds_exports import assert_valid_atom

SITE = "http://tadamun.test"
SITEMAP_NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def make_update(*, campaign=None, project=None, organization=None, texts=None, ago=0, **fields) -> Update:
    texts = texts or {"en": ("An update", "Some news.")}
    update = Update(
        campaign_id=campaign.id if campaign else None,
        project_id=project.id if project else None,
        organization_id=organization.id if organization else None,
        locale=next(iter(texts)),
        created_at=utcnow() - timedelta(minutes=ago),
        texts=[UpdateText(locale=loc, title=title, body=body) for loc, (title, body) in texts.items()],
        **fields,
    )
    db.session.add(update)
    db.session.flush()
    return update


def register(gathering, organization, visibility, *, state=RegistrationState.CONFIRMED, needs=""):
    user = make_user(organization, email=f"reg-{organization.slug}@example.org")
    db.session.add(
        Registration(
            gathering_id=gathering.id,
            registration_type_id=delegate_type(gathering).id,
            organization_id=organization.id,
            user_id=user.id,
            state=state,
            visibility=visibility,
            dietary_needs=needs,
            interpretation_needs=needs,
        )
    )


@pytest.fixture
def network(app):
    with app_context(app):
        tigris = make_campaign("Save the Tigris", slug="save-the-tigris")
        marsh = make_campaign("Marshes", slug="marshes")
        amal = make_organization("Al-Amal", slug="al-amal")
        dark = make_organization("Gone Dark", slug="gone-dark", dark_at=utcnow())
        pending = make_organization("Waiting", slug="waiting", status=OrganizationStatus.PENDING)
        members = make_organization("Members Only Org", slug="members-only-org")
        counted = make_organization("Counted Org", slug="counted-org")
        school = make_project(amal, [tigris], "River school", slug="river-school")
        hidden = make_project(amal, [tigris], "Hidden plan", slug="hidden-plan", hidden_at=utcnow())
        make_update(campaign=tigris, organization=amal, texts={
            "en": ("Dam talks resume", "We met the ministry."),
            "ar": ("استئناف محادثات السد", "التقينا بالوزارة."),
        }, ago=1)  # fmt: skip
        make_update(
            campaign=tigris, project=school, texts={"en": ("Network news", "From the network.")}, ago=2
        )
        make_update(campaign=marsh, organization=amal, texts={"fr": ("Les marais", "Nouvelles.")}, ago=3)
        make_update(campaign=tigris, organization=amal, texts={"en": ("SECRET deleted", "x")},
                    hidden_at=utcnow(), hidden_reason="SECRET reason")  # fmt: skip
        make_update(campaign=tigris, organization=dark, texts={"en": ("SECRET dark news", "x")})
        make_update(
            project=school, organization=amal, texts={"en": ("Classes begin", "Forty pupils.")}, ago=4
        )
        make_update(project=hidden, organization=amal, texts={"en": ("SECRET hidden project", "x")})

        upcoming = make_gathering(
            "Forum of Baghdad", slug="forum-of-baghdad", organizers=[amal, pending], supporters=[dark],
            logistics="Bring water.", venue="Hall of Culture",
        )  # fmt: skip
        db.session.add(GatheringCampaign(gathering_id=upcoming.id, campaign_id=tigris.id))
        register(upcoming, amal, PledgeVisibility.PUBLIC, needs="SECRET vegetarian")
        register(upcoming, members, PledgeVisibility.MEMBERS)
        register(upcoming, counted, PledgeVisibility.COUNTED)
        register(upcoming, pending, PledgeVisibility.PUBLIC)
        past = make_gathering(
            "Paris meeting", slug="paris-meeting", days_ahead=-10, country="FR", city="Paris",
            time_zone="Europe/Paris", outcome="The Paris declaration.", online_url="https://meet.example/x",
        )  # fmt: skip
        db.session.add(GatheringProject(gathering_id=past.id, project_id=school.id))
        db.session.add(GatheringProject(gathering_id=past.id, project_id=hidden.id))
        make_gathering("SECRET draft", slug="draft-one", status=GatheringStatus.DRAFT)
        make_gathering("Cancelled one", slug="cancelled-one", status=GatheringStatus.CANCELLED, days_ahead=40)
        member = make_user(amal, email="member@example.org")
        db.session.commit()
        return {"member": member.email}


def items(client, path) -> list[dict]:
    answer = client.get(path)
    assert answer.status_code == 200, (path, answer.get_data(as_text=True))
    return answer.get_json()["items"]


# --- API: updates --------------------------------------------------------------------------


def test_updates_api_lists_what_the_pages_show_newest_first(client, network):
    found = items(client, "/api/v1/updates")
    assert [u["title"] for u in found] == ["Dam talks resume", "Network news", "Les marais", "Classes begin"]
    dam, news, _marsh, classes = found
    assert dam["kind"] == "campaign" and dam["campaign"] == "save-the-tigris"
    assert dam["organization"] == "al-amal" and dam["url"].startswith(
        f"{SITE}/campaigns/save-the-tigris#update-"
    )
    assert set(dam["translations"]) == {"en", "ar"}
    assert news["organization"] is None and news["project"] == "river-school"
    assert classes["kind"] == "project" and classes["url"].startswith(f"{SITE}/projects/river-school#update-")
    body = json.dumps(found)
    assert "SECRET" not in body and '"id"' not in body


def test_updates_api_filters_and_language(client, network):
    tigris = items(client, "/api/v1/updates?campaign=save-the-tigris")
    assert [u["title"] for u in tigris] == ["Dam talks resume", "Network news"]
    school = items(client, "/api/v1/updates?project=river-school")
    assert [u["title"] for u in school] == ["Network news", "Classes begin"]
    assert [u["title"] for u in items(client, "/api/v1/updates?language=fr")] == ["Les marais"]
    arabic = items(client, "/api/v1/updates?campaign=save-the-tigris&lang=ar")
    assert arabic[0]["title"] == "استئناف محادثات السد" and arabic[0]["language"] == "ar"
    assert arabic[1]["title"] == "Network news" and arabic[1]["language"] == "en"  # falls back
    for path in ("/api/v1/updates?project=hidden-plan", "/api/v1/updates?campaign=nothing"):
        answer = client.get(path)
        assert answer.status_code == 404 and answer.mimetype == "application/problem+json"
    assert client.get("/api/v1/updates?after=nonsense").status_code == 400
    assert client.get("/api/v1/updates?language=de").status_code == 400


def test_updates_api_pages_with_next_links_and_etags(client, network):
    seen, path = [], "/api/v1/updates?limit=1"
    while path:
        answer = client.get(path)
        seen += [u["title"] for u in answer.get_json()["items"]]
        link = answer.get_json()["next"]
        path = link.removeprefix(SITE) if link else None
    assert seen == ["Dam talks resume", "Network news", "Les marais", "Classes begin"]
    first = client.get("/api/v1/updates")
    again = client.get("/api/v1/updates", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


# --- API: gatherings -----------------------------------------------------------------------


def test_gatherings_api_lists_public_gatherings_with_filters(client, network):
    assert [g["slug"] for g in items(client, "/api/v1/gatherings")] == [
        "paris-meeting", "forum-of-baghdad", "cancelled-one",
    ]  # fmt: skip
    assert [g["slug"] for g in items(client, "/api/v1/gatherings?when=past")] == ["paris-meeting"]
    assert [g["slug"] for g in items(client, "/api/v1/gatherings?when=upcoming")] == [
        "forum-of-baghdad", "cancelled-one",
    ]  # fmt: skip
    assert [g["slug"] for g in items(client, "/api/v1/gatherings?country=FR")] == ["paris-meeting"]
    assert [g["slug"] for g in items(client, "/api/v1/gatherings?campaign=save-the-tigris")] == [
        "forum-of-baghdad"
    ]
    page = client.get("/api/v1/gatherings?limit=2").get_json()
    assert re.fullmatch(
        re.escape(f"{SITE}/api/v1/gatherings?limit=2&after=") + r"[0-9]+~forum-of-baghdad", page["next"]
    )
    forum = items(client, "/api/v1/gatherings?campaign=save-the-tigris")[0]
    assert [o["slug"] for o in forum["organizers"]] == ["al-amal"]  # not the pending one
    assert forum["supporters"] == []  # gone dark
    assert forum["starts_at"].endswith("+03:00") and forum["time_zone"] == "Asia/Baghdad"
    assert "sessions" not in forum and "registered_organizations" not in forum


def _slugs_page_by_page(client, path) -> list[str]:
    seen = []
    while path:
        page = client.get(path).get_json()
        seen += [g["slug"] for g in page["items"]]
        path = page["next"].removeprefix(SITE) if page["next"] else None
    return seen


def test_gatherings_api_orders_by_start_time_page_by_page(client, app):
    """Upcoming: soonest first; past: most recent first; all: earliest first; equal starts go
    by slug (backwards in the past list); the ``next`` cursor (start and slug) never skips or
    repeats one."""
    with app_context(app):
        base = utcnow().replace(microsecond=0)
        for slug, days in [("b-soon", 2), ("a-soon", 2), ("later", 9), ("z-first", 1), ("long-ago", -30),
                           ("b-lately", -3), ("a-lately", -3), ("yesterday", -1)]:  # fmt: skip
            gathering = make_gathering(slug.title(), slug=slug, days_ahead=days, hours=1)
            gathering.starts_at = base + timedelta(days=days)  # equal to the microsecond
            gathering.ends_at = gathering.starts_at + timedelta(hours=1)
        db.session.commit()
    upcoming = ["z-first", "a-soon", "b-soon", "later"]
    past = ["yesterday", "b-lately", "a-lately", "long-ago"]
    for limit in (1, 2, 3, 20):
        assert _slugs_page_by_page(client, f"/api/v1/gatherings?when=upcoming&limit={limit}") == upcoming
        assert _slugs_page_by_page(client, f"/api/v1/gatherings?when=past&limit={limit}") == past
        assert _slugs_page_by_page(client, f"/api/v1/gatherings?limit={limit}") == past[::-1] + upcoming
    first = client.get("/api/v1/gatherings?when=past&limit=2").get_json()
    assert [g["slug"] for g in first["items"]] == ["yesterday", "b-lately"]
    again = client.get(first["next"].removeprefix(SITE)).get_json()
    assert [g["slug"] for g in again["items"]] == ["a-lately", "long-ago"] and again["next"] is None
    for cursor in ("nonsense", "forum", "12~", "~slug", "1~a~b", "-5~slug"):
        answer = client.get(f"/api/v1/gatherings?after={cursor}")
        assert answer.status_code == 400 and answer.mimetype == "application/problem+json"


def test_one_gathering_with_its_programme_and_public_registrants_only(client, network):
    forum = client.get("/api/v1/gatherings/forum-of-baghdad").get_json()
    assert [s["title"] for s in forum["sessions"]] == ["Opening"]
    assert forum["sessions"][0]["interpretation"] == ["en"]
    assert [o["slug"] for o in forum["registered_organizations"]] == ["al-amal"]
    assert forum["outcome"] is None and forum["outcome_url"] is None
    body = json.dumps(forum)
    for hidden in ("SECRET", "members-only-org", "counted-org", "waiting", "reg-", "dietary", "needs"):
        assert hidden not in body, hidden
    paris = client.get("/api/v1/gatherings/paris-meeting").get_json()
    assert paris["outcome"] == "The Paris declaration."
    assert paris["outcome_url"] == f"{SITE}/gatherings/paris-meeting/outcome"
    assert paris["projects"] == ["river-school"]  # not the hidden one
    assert paris["starts_at"].endswith(("+01:00", "+02:00"))
    assert client.get("/api/v1/gatherings/draft-one").status_code == 404
    assert client.get("/api/v1/gatherings/nothing").status_code == 404


def test_a_members_cookie_changes_nothing(client, network):
    before = client.get("/api/v1/gatherings/forum-of-baghdad").get_data()
    log_in(client, network["member"])
    answer = client.get("/api/v1/gatherings/forum-of-baghdad")
    assert answer.get_data() == before and "Set-Cookie" not in answer.headers


# --- Feeds ---------------------------------------------------------------------------------


def test_network_feed_has_updates_and_new_gatherings(client, network):
    feed = assert_valid_atom(client.get("/feeds/network.atom").get_data())
    titles = [entry.title for entry in feed.entries]
    assert "Dam talks resume" in titles and "Classes begin" in titles
    assert "New gathering: Forum of Baghdad" in titles
    assert not any("SECRET" in title for title in titles)
    assert "New gathering: Cancelled one" not in titles


def test_campaign_feed_has_its_updates(client, network):
    feed = assert_valid_atom(client.get("/feeds/campaigns/save-the-tigris.atom").get_data())
    titles = [entry.title for entry in feed.entries]
    assert "Dam talks resume" in titles and "Network news" in titles
    assert "Les marais" not in titles and not any("SECRET" in t for t in titles)
    arabic = assert_valid_atom(client.get("/feeds/campaigns/save-the-tigris.atom?lang=ar").get_data())
    assert "استئناف محادثات السد" in [entry.title for entry in arabic.entries]


def test_organization_feed_has_the_updates_it_posted_publicly(client, network):
    feed = assert_valid_atom(client.get("/feeds/organizations/al-amal.atom").get_data())
    titles = [entry.title for entry in feed.entries]
    for posted in ("Dam talks resume", "Les marais", "Classes begin"):  # campaign and project updates
        assert posted in titles
    assert "Network news" not in titles  # posted by the network, not by Al-Amal
    assert not any("SECRET" in t for t in titles)  # deleted, or on a hidden project
    assert feed.feed.title == "Al-Amal: new pledges, projects and updates"
    arabic = assert_valid_atom(client.get("/feeds/organizations/al-amal.atom?lang=ar").get_data())
    assert "استئناف محادثات السد" in [entry.title for entry in arabic.entries]
    # An organization out of public view: no feed entry shows what it posted.
    dark = client.get("/feeds/organizations/gone-dark.atom")
    assert dark.status_code == 404 or "SECRET" not in dark.get_data(as_text=True)


def test_project_feed_is_titled_in_the_requested_language(client, app, network):
    with app_context(app):
        school = db.session.scalar(sa.select(Project).where(Project.slug == "river-school"))
        school.translated_texts = {"ar": {"title": "مدرسة النهر"}}
        db.session.commit()
    arabic = assert_valid_atom(client.get("/feeds/projects/river-school.atom?lang=ar").get_data())
    assert arabic.feed.title.startswith("مدرسة النهر")
    french = assert_valid_atom(client.get("/feeds/projects/river-school.atom?lang=fr").get_data())
    assert french.feed.title.startswith("River school")  # no French title: the project's own


def test_project_feed_has_its_updates_and_the_page_links_it(client, network):
    feed = assert_valid_atom(client.get("/feeds/projects/river-school.atom").get_data())
    assert [entry.title for entry in feed.entries] == ["Network news", "Classes begin"]
    assert client.get("/feeds/projects/hidden-plan.atom").status_code == 404
    page = client.get("/projects/river-school").get_data(as_text=True)
    assert 'type="application/atom+xml" href="/feeds/projects/river-school.atom"' in page


@pytest.mark.parametrize(
    "path",
    [
        "/feeds/projects/river-school.atom",
        "/campaigns/save-the-tigris/updates.atom",
        "/sitemap-2.xml",
        "/api/v1/gatherings",
    ],
)
def test_feeds_and_sitemaps_are_open_doors(path):
    assert is_open_path(path)


def test_campaign_updates_feed_ignores_a_members_cookie(client, network):
    log_in(client, network["member"])
    answer = client.get("/campaigns/save-the-tigris/updates.atom")
    assert answer.status_code == 200 and "Set-Cookie" not in answer.headers
    assert_valid_atom(answer.get_data())
    assert not is_open_path("/campaigns/save-the-tigris")


# --- The gathering page: schema.org Event, previews ----------------------------------------

JSONLD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)
ISO_WITH_OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?[+-]\d\d:\d\d$")


def event_of(html: str) -> dict:
    blocks = [json.loads(block) for block in JSONLD.findall(html)]
    events = [block for block in blocks if block.get("@type") == "Event"]
    assert len(events) == 1
    return events[0]


def assert_event_shape(event: dict) -> None:
    """schema.org Event as search engines require it: name, startDate (with an offset),
    location (Place with a PostalAddress, or VirtualLocation with a url), and the recommended
    endDate, eventStatus, eventAttendanceMode, organizer."""
    assert event["@context"] == "https://schema.org" and event["@type"] == "Event"
    assert isinstance(event["name"], str) and event["name"]
    for key in ("startDate", "endDate"):
        assert ISO_WITH_OFFSET.match(event[key]), event[key]
    assert datetime.fromisoformat(event["endDate"]) >= datetime.fromisoformat(event["startDate"])
    assert event["eventStatus"] in {f"https://schema.org/{s}" for s in ("EventScheduled", "EventCancelled")}
    assert event["eventAttendanceMode"] in {
        f"https://schema.org/{m}EventAttendanceMode" for m in ("Offline", "Online", "Mixed")
    }
    locations = event["location"] if isinstance(event["location"], list) else [event["location"]]
    for location in locations:
        if location["@type"] == "Place":
            assert location["address"]["@type"] == "PostalAddress"
            assert location["address"].get("addressCountry") or location["address"].get("addressLocality")
        else:
            assert location["@type"] == "VirtualLocation" and location["url"].startswith("https://")
    organizers = event["organizer"] if isinstance(event["organizer"], list) else [event["organizer"]]
    assert all(o["@type"] == "Organization" and o["name"] and o["url"] for o in organizers)


def test_gathering_page_has_an_event_and_previews(app, client, network, count_queries):
    html = client.get("/gatherings/forum-of-baghdad").get_data(as_text=True)
    event = event_of(html)
    assert_event_shape(event)
    assert event["name"] == "Forum of Baghdad" and event["startDate"].endswith("+03:00")
    assert event["location"]["address"] == {
        "@type": "PostalAddress", "addressLocality": "Baghdad", "addressCountry": "IQ",
        "streetAddress": "Hall of Culture",
    }  # fmt: skip
    assert event["eventAttendanceMode"] == "https://schema.org/OfflineEventAttendanceMode"
    assert event["organizer"]["name"] == "Al-Amal"  # the pending organizer is not named
    assert '<meta property="og:title" content="Forum of Baghdad">' in html
    assert f'<meta property="og:url" content="{SITE}/gatherings/forum-of-baghdad">' in html
    paris = event_of(client.get("/gatherings/paris-meeting").get_data(as_text=True))
    assert_event_shape(paris)
    assert paris["eventAttendanceMode"] == "https://schema.org/MixedEventAttendanceMode"
    assert [loc["@type"] for loc in paris["location"]] == ["Place", "VirtualLocation"]
    cancelled = event_of(client.get("/gatherings/cancelled-one").get_data(as_text=True))
    assert cancelled["eventStatus"] == "https://schema.org/EventCancelled"
    outcome = client.get("/gatherings/paris-meeting/outcome").get_data(as_text=True)
    assert 'property="og:title"' in outcome
    # The Event adds no query to the page.
    other = app.test_client()
    other.get("/gatherings/forum-of-baghdad")
    with count_queries() as with_event:
        other.get("/gatherings/forum-of-baghdad")
    saved = app.jinja_env.globals["open_data_jsonld"]
    app.jinja_env.globals["open_data_jsonld"] = lambda *args, **kwargs: "{}"
    try:
        with count_queries() as without_event:
            other.get("/gatherings/forum-of-baghdad")
    finally:
        app.jinja_env.globals["open_data_jsonld"] = saved
    assert with_event.count == without_event.count


def test_a_members_gathering_page_publishes_the_visitors_event(client, network):
    visitor = JSONLD.findall(client.get("/gatherings/forum-of-baghdad").get_data(as_text=True))
    log_in(client, network["member"])
    member = JSONLD.findall(client.get("/gatherings/forum-of-baghdad").get_data(as_text=True))
    assert member == visitor


# --- Sitemap -------------------------------------------------------------------------------


def locations(body: bytes, path: str = "s:url/s:loc") -> list[str]:
    return [loc.text for loc in etree.fromstring(body).findall(path, SITEMAP_NS)]


def test_sitemap_lists_gatherings_and_their_outcome_pages(client, network):
    found = locations(client.get("/sitemap.xml").get_data())
    assert f"{SITE}/gatherings/forum-of-baghdad" in found
    assert f"{SITE}/gatherings/paris-meeting/outcome" in found
    assert f"{SITE}/gatherings/cancelled-one" in found
    assert f"{SITE}/gatherings/forum-of-baghdad/outcome" not in found  # not past yet
    assert not any("draft-one" in loc for loc in found)


def test_sitemap_becomes_an_index_past_the_limit(app, client, network):
    whole = locations(client.get("/sitemap.xml").get_data())
    limit = 4
    app.config["SITEMAP_MAX_URLS"] = limit
    try:
        answer = client.get("/sitemap.xml")
        parts = locations(answer.get_data(), "s:sitemap/s:loc")
        assert parts == [f"{SITE}/sitemap-{n}.xml" for n in range(1, -(-len(whole) // limit) + 1)]
        joined = []
        for part in parts:
            body = client.get(part.removeprefix(SITE))
            assert body.status_code == 200 and "Set-Cookie" not in body.headers
            some = locations(body.get_data())
            assert 1 <= len(some) <= limit
            joined += some
        assert joined == whole
        assert client.get(f"/sitemap-{len(parts) + 1}.xml").status_code == 404
        assert client.get("/sitemap-0.xml").status_code == 404
        assert "Sitemap: http://tadamun.test/sitemap.xml" in client.get("/robots.txt").get_data(as_text=True)
    finally:
        app.config["SITEMAP_MAX_URLS"] = 50_000


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/updates?lang=ar",
        "/api/v1/gatherings/forum-of-baghdad?lang=ar",
        "/feeds/network.atom?lang=ar",
        "/campaigns/save-the-tigris/updates.atom?lang=ar",
    ],
)
def test_a_language_asked_of_an_open_door_sets_no_cookie(client, network, path):
    answer = client.get(path)
    assert answer.status_code == 200 and "Set-Cookie" not in answer.headers


def test_a_page_asked_in_a_language_still_remembers_it(client, network):
    assert "lang=ar" in client.get("/gatherings/forum-of-baghdad?lang=ar").headers["Set-Cookie"]


def test_api_lists_cost_the_same_whatever_their_length(app, client, network, count_queries):
    """Constant queries per page: the records read nothing row by row."""
    paths = ("/api/v1/updates?limit=1", "/api/v1/updates?limit=100",
             "/api/v1/gatherings?limit=1", "/api/v1/gatherings?limit=100")  # fmt: skip
    with app_context(app):
        from app.models import Campaign, Organization

        amal = db.session.scalar(db.select(Organization).filter_by(slug="al-amal"))
        counted = db.session.scalar(db.select(Organization).filter_by(slug="counted-org"))
        tigris = db.session.scalar(db.select(Campaign).filter_by(slug="save-the-tigris"))
        for n in range(6):
            make_update(
                campaign=tigris, organization=amal, texts={"en": (f"More {n}", "x"), "ar": ("م", "x")}
            )
            more = make_gathering(f"More {n}", organizers=[amal], supporters=[counted])
            db.session.add(GatheringCampaign(gathering_id=more.id, campaign_id=tigris.id))
        db.session.commit()
    costs = {}
    for path in paths:
        client.get(path)
        with count_queries() as counter:
            assert client.get(path).status_code == 200
        costs[path] = counter.count
    assert costs[paths[0]] == costs[paths[1]], costs
    assert costs[paths[2]] == costs[paths[3]], costs

"""The pieces built by each area, joined up on the pages people use.

Moderators reach the translation editor from the curation pages and hide content where they
read it; members reach their description's translations from the dashboard; every page that
names a campaign names it in the reader's language; user-written names are isolated (and
escaped) inside translated sentences; dates follow the reader's locale; the dashboard's lists
are bounded.
"""

from __future__ import annotations

import re

import pytest

from app.extensions import db
from app.models import CampaignTranslation, Organization, OrganizationStatus
from app.services import pledges as pledge_service
from tests.builders import (
    make_campaign,
    make_moderator,
    make_organization,
    make_pledge,
    make_project,
    make_user,
)
from tests.conftest import app_context

HOSTILE_NAME = "<script>alert(1)</script> & Co"
HOSTILE_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co"


def get(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def translate(campaign, locale="ar", title="الماء للبصرة", summary="ماء نظيف"):
    db.session.add(CampaignTranslation(campaign_id=campaign.id, locale=locale, title=title, summary=summary))
    db.session.flush()


# --- 1. Links to the translation editors ---------------------------------------------------


def test_moderators_reach_a_campaigns_translations_from_the_curation_pages(app, client, auth):
    with app_context(app):
        campaign = make_campaign("Water for Basra", slug="water-for-basra")
        moderator = make_moderator()
        db.session.commit()
    auth.login(moderator.email)

    for url in ("/moderation/campaigns/", f"/moderation/campaigns/{campaign.id}/edit"):
        html = get(client, url)
        for code in ("ar", "ckb", "fr"):
            assert f"/moderation/campaigns/water-for-basra/translations/{code}" in html, url


@pytest.mark.parametrize("approved", [True, False])
def test_members_reach_their_descriptions_translations_from_the_dashboard(app, client, auth, approved):
    status = OrganizationStatus.APPROVED if approved else OrganizationStatus.PENDING
    with app_context(app):
        member = make_user(make_organization("Basra Women", status=status))
        db.session.commit()
    auth.login(member.email)

    html = get(client, "/account/")
    assert all(f"/account/translations/{code}" in html for code in ("en", "ar", "ckb", "fr"))


def test_users_without_an_organization_see_no_description_links(app, client, auth):
    with app_context(app):
        moderator = make_moderator()
        db.session.commit()
    auth.login(moderator.email)

    assert "/account/translations/" not in get(client, "/account/")


# --- 2. Campaigns in the reader's language wherever they are named --------------------------


@pytest.fixture
def translated_network(app):
    with app_context(app):
        campaign = make_campaign("Water for Basra", slug="water-for-basra")
        translate(campaign)
        org = make_organization("Tigris Friends", slug="tigris-friends")
        make_pledge(org, campaign)
        project = make_project(org, [campaign], title="Clean wells", slug="clean-wells")
        member = make_user(org)
        db.session.commit()
    return campaign, org, project, member


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/organizations/tigris-friends",
        "/projects/clean-wells",
        "/projects/",
        "/projects/?campaign=water-for-basra",
        "/organizations/",
        "/search?q=water",
    ],
)
def test_pages_name_campaigns_in_the_readers_language(client, translated_network, url):
    html = get(client, f"{url}{'&' if '?' in url else '?'}lang=ar")
    assert "الماء للبصرة" in html, url
    assert get(client, f"{url}{'&' if '?' in url else '?'}lang=en").count("الماء للبصرة") == 0


def test_the_dashboard_names_campaigns_in_the_readers_language(client, auth, translated_network):
    *_, member = translated_network
    auth.login(member.email)

    html = get(client, "/account/?lang=ar")
    assert html.count("الماء للبصرة") == 2  # the pledge, and the campaign the project serves
    assert "Water for Basra" not in html
    assert "الماء للبصرة" in get(client, "/campaigns/water-for-basra/pledge?lang=ar")


def test_home_page_costs_the_same_in_arabic_whatever_the_size(app, client, count_queries):
    def measure(lang: str) -> int:
        with count_queries() as counter:
            get(client, f"/?lang={lang}")
        return counter.count

    def grow(n: int) -> None:
        with app_context(app):
            for _ in range(n):
                campaign = make_campaign()
                translate(campaign, title=f"حملة {campaign.id}")
                make_pledge(make_organization(), campaign)
            db.session.commit()

    grow(2)
    english, arabic = measure("en"), measure("ar")
    grow(12)
    assert (measure("en"), measure("ar")) == (english, arabic)
    assert arabic <= english + 1  # one query for every campaign's translation together


@pytest.mark.parametrize(
    "url",
    [
        "/organizations/tigris-friends",
        "/organizations/",
        "/projects/",
        "/projects/clean-wells",
        "/search?q=water",
    ],
)
def test_arabic_pages_naming_campaigns_cost_the_same_whatever_the_size(
    app, client, count_queries, translated_network, url
):
    _, org, _project, _ = translated_network

    def measure() -> int:
        with count_queries() as counter:
            get(client, f"{url}{'&' if '?' in url else '?'}lang=ar")
        return counter.count

    few = measure()
    with app_context(app):
        organization = db.session.get(Organization, org.id)
        for n in range(6):
            campaign = make_campaign(f"Water campaign {n}")
            translate(campaign, title=f"حملة الماء {n}")
            make_pledge(organization, campaign)
            make_project(organization, [campaign], title=f"Water project {n}")
        db.session.commit()
    assert measure() == few


# --- 3. Names isolated, and escaped, inside sentences ---------------------------------------


def test_a_hostile_organization_name_is_escaped_inside_the_pledge_sentence(app, client):
    with app_context(app):
        campaign = make_campaign("Water for Basra")
        make_pledge(make_organization(HOSTILE_NAME), campaign)
        db.session.commit()

    for lang in ("en", "ar"):
        html = get(client, f"/?lang={lang}")
        assert "<script>alert(1)" not in html
        assert f"<bdi>{HOSTILE_ESCAPED}</bdi>" in html


def test_arabic_sentences_isolate_english_names(app, client):
    with app_context(app):
        campaign = make_campaign("Water for Basra")
        translate(campaign)
        org = make_organization("Iraqi Women Network")
        make_pledge(org, campaign)
        make_project(org, [campaign], title="Clean wells")
        db.session.commit()

    home = get(client, "/?lang=ar")
    feed = home.split('id="pledges-heading"', 1)[1]
    assert "<bdi>Iraqi Women Network</bdi>" in feed
    assert '<bdi lang="ar">الماء للبصرة</bdi>' in feed

    campaign_page = get(client, f"/campaigns/{campaign.slug}?lang=ar")
    assert "<bdi>Iraqi Women Network</bdi>" in campaign_page  # "by %(organization)s" under a project


def test_moderation_pages_isolate_and_escape_names(app, client, auth):
    with app_context(app):
        org = make_organization(HOSTILE_NAME, city="Basra")
        campaign = make_campaign("Water for Basra")
        pledge = make_pledge(org, campaign, message="Rivers are life")
        moderator = make_moderator()
        db.session.commit()
    auth.login(moderator.email)

    for url in (
        f"/moderation/organizations/{org.id}",
        "/moderation/organizations",
        f"/moderation/pledges/{pledge.id}/hide",
        "/moderation/content/",
    ):
        response = client.get(f"{url}?lang=ar", follow_redirects=True)
        html = response.get_data(as_text=True)
        assert response.status_code == 200, url
        assert "<script>alert(1)" not in html, url
        assert f"<bdi>{HOSTILE_ESCAPED}</bdi>" in html, url


# --- 4. Dates in the reader's locale --------------------------------------------------------


def test_moderation_dates_follow_the_readers_locale_with_iraqi_months(app, client, auth):
    from datetime import UTC, datetime

    with app_context(app):
        org = make_organization("Basra Women")
        org.submitted_at = datetime(2026, 11, 3, 9, 30, tzinfo=UTC)
        moderator = make_moderator()
        db.session.commit()
    auth.login(moderator.email)

    english = get(client, f"/moderation/organizations/{org.id}?lang=en")
    arabic = get(client, f"/moderation/organizations/{org.id}?lang=ar")
    french = get(client, f"/moderation/organizations/{org.id}?lang=fr")

    assert "Nov 3, 2026" in english and "2026-11-03 09:30" not in english
    assert "3 nov. 2026" in french
    assert "03/11/2026" in arabic.replace("\u200f", "")  # day first, with right-to-left marks


def test_arabic_long_dates_use_the_month_names_of_iraq(app):
    from datetime import date

    from app.templating import format_date

    # Each in an application context of its own, as each request has (its own `g`, its locale).
    with app.app_context(), app.test_request_context("/?lang=ar"):
        app.preprocess_request()
        assert format_date(date(2026, 11, 22), "long") == "22 تشرين الثاني 2026"
    with app.app_context(), app.test_request_context("/?lang=fr"):
        app.preprocess_request()
        assert format_date(date(2026, 11, 22), "long") == "22 novembre 2026"


# --- 5. Moderators act where they read ------------------------------------------------------


@pytest.fixture
def readable_content(app):
    with app_context(app):
        campaign = make_campaign("Water for Basra", slug="water-for-basra")
        org = make_organization("Tigris Friends")
        pledge = make_pledge(org, campaign, message="Rivers are life")
        project = make_project(org, [campaign], title="Clean wells", slug="clean-wells")
        member = make_user(make_organization("Another Member"))
        moderator = make_moderator()
        db.session.commit()
    return pledge, project, member, moderator


@pytest.mark.parametrize("viewer", ["visitor", "member", "moderator"])
def test_only_moderators_see_hide_links_on_the_pages_they_read(client, auth, readable_content, viewer):
    pledge, project, member, moderator = readable_content
    if viewer != "visitor":
        auth.login((member if viewer == "member" else moderator).email)

    campaign_page = get(client, "/campaigns/water-for-basra")
    project_page = get(client, "/projects/clean-wells")

    hide_message = f"/moderation/pledges/{pledge.id}/hide"
    hide_project = f"/moderation/projects/{project.id}/hide"
    assert (hide_message in campaign_page) == (viewer == "moderator")
    assert (hide_project in project_page) == (viewer == "moderator")
    assert "Rivers are life" in campaign_page


# --- 6. The dashboard's lists are bounded ---------------------------------------------------


def test_the_dashboard_shows_only_the_newest_pledges_and_projects(app, client, auth, monkeypatch):
    monkeypatch.setattr(pledge_service, "DASHBOARD_LIMIT", 3)
    with app_context(app):
        org = make_organization("Busy Union", slug="busy-union")
        for n in range(5):
            campaign = make_campaign(f"Campaign {n:02d}")
            make_pledge(org, campaign)
            make_project(org, [campaign], title=f"Project {n:02d}")
        member = make_user(org)
        db.session.commit()
    auth.login(member.email)

    html = get(client, "/account/")

    shown = re.findall(r">(Campaign \d\d)</a></h3>", html)
    assert len(shown) == 3
    assert len(set(re.findall(r"Project \d\d", html))) == 3
    assert html.count("Only the 3 newest are shown here.") == 2
    assert html.count('href="/organizations/busy-union"') >= 2


def test_a_small_dashboard_has_no_limit_note(app, client, auth):
    with app_context(app):
        org = make_organization("Small Union")
        make_pledge(org, make_campaign("Water for Basra"))
        member = make_user(org)
        db.session.commit()
    auth.login(member.email)

    assert "newest are shown here" not in get(client, "/account/")


def test_dashboard_solidarity_says_when_there_is_more(app_ctx):
    org = make_organization()
    for _ in range(3):
        make_pledge(org, make_campaign())
    db.session.commit()

    capped = pledge_service.dashboard_solidarity(org, limit=2)
    whole = pledge_service.dashboard_solidarity(org, limit=3)

    assert (len(capped.pledges), capped.more_pledges) == (2, True)
    assert (len(whole.pledges), whole.more_pledges) == (3, False)


def test_the_project_form_offers_campaigns_in_the_members_language(client, auth, translated_network):
    *_, member = translated_network
    auth.login(member.email)

    html = get(client, "/projects/new?lang=ar")
    assert "الماء للبصرة" in html and "Water for Basra" not in html

"""The home page: what the network is, its campaigns, newest members and pledges."""

from __future__ import annotations

import re

import pytest

from app.extensions import db
from app.models import CampaignStatus, GatheringTranslation, OrganizationStatus, PledgeVisibility
from tests.builders import make_campaign, make_moderator, make_organization, make_pledge, make_user
from tests.conftest import app_context


def home(client) -> str:
    response = client.get("/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def pledges_section(html: str) -> str:
    """The "latest pledges" feed only (the same organizations may be listed as new members),
    without the <bdi> that isolates each name and the links on them, so its sentences read as text."""
    return re.sub(r"</?(?:bdi|a)\b[^>]*>", "", html.split('id="pledges-heading"', 1)[1])


def test_home_says_what_the_network_is(client):
    html = home(client)
    assert "Iraqi Social Forum" in html and "Iraqi Civil Society Solidarity Initiative" in html
    assert 'href="/campaigns/"' in html and 'href="/organizations/"' in html


def test_home_shows_active_campaigns_as_cards_with_totals(app, client):
    with app_context(app):
        campaign = make_campaign("Save the Tigris", summary="Keep the river alive.")
        make_campaign("Archived One", status=CampaignStatus.ARCHIVED)
        make_pledge(make_organization(country="IQ"), campaign)
        make_pledge(make_organization(country="IQ"), campaign, visibility=PledgeVisibility.COUNTED)
        make_pledge(make_organization(country="NO"), campaign)
        db.session.commit()

    html = home(client)
    assert "Save the Tigris" in html and "Keep the river alive." in html
    assert f'href="/campaigns/{campaign.slug}"' in html
    assert '<span class="count-number">3</span>' in html
    assert "2 Iraqi · 1 international" in html
    assert "Archived One" not in html


def test_home_lists_newest_approved_members_only(app, client):
    with app_context(app):
        make_organization("Approved Member")
        for status in (OrganizationStatus.PENDING, OrganizationStatus.REJECTED, OrganizationStatus.SUSPENDED):
            make_organization(f"Org {status}", status=status)
        db.session.commit()

    html = home(client)
    assert "Approved Member" in html
    for status in ("pending", "rejected", "suspended"):
        assert f"Org {status}" not in html


def test_home_names_only_pledges_a_visitor_may_see(app, client):
    with app_context(app):
        campaign = make_campaign("Workers' Rights")
        make_pledge(make_organization("Public Union"), campaign)
        make_pledge(make_organization("Members Union"), campaign, visibility=PledgeVisibility.MEMBERS)
        make_pledge(make_organization("Counted Union"), campaign, visibility=PledgeVisibility.COUNTED)
        make_pledge(make_organization("Withdrawn Union"), campaign, withdrawn=True)
        make_pledge(make_organization("Suspended Union", status=OrganizationStatus.SUSPENDED), campaign)
        db.session.commit()

    html = pledges_section(home(client))
    assert "Public Union supports Workers&#39; Rights" in html
    for hidden in ("Members Union", "Counted Union", "Withdrawn Union", "Suspended Union"):
        assert hidden not in html


def test_each_latest_pledge_names_its_organization_and_campaign_once(app, client):
    with app_context(app):
        tigris, women = make_campaign("Save the Tigris"), make_campaign("Women Rights")
        basra = make_organization("Basra Friends")
        make_pledge(basra, tigris)
        make_pledge(basra, women)
        make_pledge(make_organization("Oslo Friends", country="NO"), tigris)
        db.session.commit()

    html = home(client)
    feed = html.split('id="pledges-heading"', 1)[1].split("</section>", 1)[0]
    items = re.findall(r"<li[^>]*>(.*?)</li>", feed, re.DOTALL)
    assert len(items) == 3
    for item in items:
        text = re.sub(r"<[^>]+>", "", item)
        names = [n for n in ("Basra Friends", "Oslo Friends", "Save the Tigris", "Women Rights") if n in text]
        assert len(names) == 2 and all(text.count(name) == 1 for name in names), text
        # The names link to the organization and the campaign.
        assert item.count('href="/organizations/') == 1 and item.count('href="/campaigns/') == 1
    # Three different pledges, none twice.
    assert len({re.sub(r"<[^>]+>|\s+", " ", item) for item in items}) == 3


@pytest.mark.parametrize("approved", [True, False])
def test_members_only_pledges_on_home_only_for_approved_members(app, client, auth, approved):
    with app_context(app):
        campaign = make_campaign()
        make_pledge(make_organization("Members Union"), campaign, visibility=PledgeVisibility.MEMBERS)
        make_pledge(make_organization("Counted Union"), campaign, visibility=PledgeVisibility.COUNTED)
        status = OrganizationStatus.APPROVED if approved else OrganizationStatus.PENDING
        member = make_user(make_organization("Viewer", status=status))
        db.session.commit()
    auth.login(member.email)

    html = pledges_section(home(client))
    assert ("Members Union" in html) is approved
    assert "Counted Union" not in html


def test_moderator_sees_members_only_pledges_on_home(app, client, auth):
    with app_context(app):
        make_pledge(make_organization("Members Union"), make_campaign(), visibility=PledgeVisibility.MEMBERS)
        moderator = make_moderator()
        db.session.commit()
    auth.login(moderator.email)
    assert "Members Union" in pledges_section(home(client))


def test_empty_home_says_what_to_do(client):
    html = home(client)
    assert "No active campaigns yet" in html
    assert "No member organizations yet" in html
    assert "No public pledges yet" in html


def test_nav_links_to_the_public_areas_and_marks_the_current_one(client):
    html = client.get("/campaigns/").get_data(as_text=True)
    assert '<a href="/campaigns/" aria-current="page">' in html
    assert '<a href="/organizations/">' in html and '<a href="/projects/">' in html


def test_404_page_links_to_campaigns_and_directory(client):
    html = client.get("/nowhere").get_data(as_text=True)
    assert 'href="/campaigns/"' in html and 'href="/organizations/"' in html


def _fill(n: int) -> None:
    from tests.gathering_support import make_gathering

    for i in range(n):
        campaign = make_campaign()
        org = make_organization()
        make_pledge(org, campaign)
        # More gatherings than the home page shows, half of them with an Arabic title.
        gathering = make_gathering(days_ahead=10 + i)
        if i % 2:
            db.session.add(GatheringTranslation(gathering_id=gathering.id, locale="ar", title=f"لقاء {i}"))


def test_home_runs_a_constant_number_of_queries(app, client, auth, count_queries):
    with app_context(app):
        member = make_user()
        _fill(8)  # more than the feeds show, so the viewer's own organization is not among them
        db.session.commit()
    auth.login(member.email)

    def measure():
        with count_queries() as counter:
            home(client)
        return counter

    few = measure()
    with app_context(app):
        _fill(30)
        db.session.commit()
    many = measure()
    assert few.count == many.count, (few, many)
    # The upcoming gatherings cost one query, in English as in Arabic (their titles joined in).
    client.get("/?lang=ar")
    arabic = measure()
    for counter in (few, many, arabic):
        assert sum("FROM gatherings" in statement for statement in counter.statements) == 1
        assert not any("FROM gathering_translations" in statement for statement in counter.statements)


def _gatherings_section(html: str) -> str:
    return html.split('id="upcoming-gatherings-heading"', 1)[1].split("</section>", 1)[0]


def test_home_shows_the_next_three_gatherings_in_the_readers_language_and_zone(app, client):
    from datetime import UTC, timedelta

    from app.models import GatheringStatus
    from app.models.base import utcnow
    from tests.gathering_support import make_gathering

    with app_context(app):
        soon = make_gathering("Basra water forum", slug="basra", days_ahead=3, city="Basra")
        # 22:30 UTC: already the next day in Baghdad (UTC+3), still that day in Paris.
        start = (utcnow() + timedelta(days=5)).replace(hour=22, minute=30, second=0, tzinfo=UTC)
        online = make_gathering("Online assembly", slug="online", city="", online_url="https://meet.example")
        online.starts_at, online.ends_at = start, start + timedelta(hours=1)
        make_gathering("Third forum", slug="third", days_ahead=7)
        make_gathering("Fourth forum", slug="fourth", days_ahead=9)
        make_gathering("Draft forum", slug="draft", days_ahead=1, status=GatheringStatus.DRAFT)
        make_gathering("Ended forum", slug="ended", days_ahead=-3)
        db.session.add(GatheringTranslation(gathering_id=soon.id, locale="ar", title="منتدى البصرة للمياه"))
        db.session.commit()

    section = _gatherings_section(home(client))
    assert [s for s in ("Basra water forum", "Online assembly", "Third forum") if s in section] == [
        "Basra water forum",
        "Online assembly",
        "Third forum",
    ]
    assert section.index("Basra water forum") < section.index("Online assembly") < section.index("Third")
    for absent in ("Fourth forum", "Draft forum", "Ended forum"):
        assert absent not in section
    assert "Basra" in section and "Online" in section
    assert 'href="/gatherings/basra"' in section and 'href="/gatherings/"' in section
    # A visitor reads Baghdad's time: the online assembly is on the next day there.
    from zoneinfo import ZoneInfo

    from babel.dates import format_date

    baghdad_day = format_date(start.astimezone(ZoneInfo("Asia/Baghdad")).date(), "medium", locale="en")
    assert baghdad_day in section and format_date(start.date(), "medium", locale="en") not in section

    arabic = _gatherings_section(client.get("/?lang=ar").get_data(as_text=True))
    assert 'lang="ar" dir="auto">منتدى البصرة للمياه</a>' in arabic
    assert 'lang="en" dir="auto">Third forum</a>' in arabic  # no Arabic title: the English one


def test_home_has_no_gatherings_block_without_upcoming_gatherings(client):
    assert 'id="upcoming-gatherings-heading"' not in home(client)


def test_home_shows_a_bounded_number_of_campaigns_with_a_link_to_all(app, client):
    """The home page's campaign list does not grow with the network: the first HOME_CAMPAIGNS
    active campaigns in curated order, then a link to the campaigns page."""
    from app.services.campaigns import HOME_CAMPAIGNS

    with app_context(app):
        titles = [
            make_campaign(f"Bounded campaign {n:02d}", position=n).title for n in range(HOME_CAMPAIGNS + 3)
        ]
        db.session.commit()

    html = home(client)
    campaigns = html.split('id="campaigns-heading"', 1)[1].split("</section>", 1)[0]
    shown = [title for title in titles if title in campaigns]
    assert shown == titles[:HOME_CAMPAIGNS]
    assert 'href="/campaigns/"' in campaigns


def test_home_has_no_all_campaigns_link_when_every_campaign_is_shown(app, client):
    with app_context(app):
        make_campaign("The only campaign")
        db.session.commit()

    campaigns = home(client).split('id="campaigns-heading"', 1)[1].split("</section>", 1)[0]
    assert "The only campaign" in campaigns and 'href="/campaigns/"' not in campaigns

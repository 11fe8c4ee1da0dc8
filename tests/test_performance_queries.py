"""Every public page runs a small, fixed number of queries, whatever the size of the network.

The pages are measured on a synthetic network, then again after it grew (more
organizations, pledges and projects on the very campaign, organization and project the
pages show): the counts must not move, and none may exceed MAX_QUERIES.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Campaign, Organization, OrganizationStatus, PledgeVisibility, Project
from app.seeding import large_data
from tests.builders import make_organization, make_pledge, make_project, make_user
from tests.conftest import app_context

MAX_QUERIES = 8


def page_urls(app) -> dict[str, str]:
    with app_context(app):
        return _page_urls()


def _page_urls() -> dict[str, str]:
    approved = Organization.status == OrganizationStatus.APPROVED
    campaign = db.session.scalar(sa.select(Campaign).order_by(Campaign.supporter_count.desc()))
    org = db.session.scalar(sa.select(Organization).where(approved).order_by(Organization.id))
    project = db.session.scalar(
        sa.select(Project).join(Project.organization).where(Project.hidden_at.is_(None), approved)
    )
    return {
        "home": "/",
        "campaign list": "/campaigns/",
        "campaign page": f"/campaigns/{campaign.slug}",
        "campaign page 2": f"/campaigns/{campaign.slug}?page=2",
        "directory": "/organizations/",
        "directory page 3": "/organizations/?page=3",
        "directory search and filters": f"/organizations/?q=baghdad&kind={org.kind.value}&country=IQ",
        "directory by campaign": f"/organizations/?campaign={campaign.slug}",
        "organization": f"/organizations/{org.slug}",
        "projects": "/projects/",
        "projects of a campaign": f"/projects/?campaign={campaign.slug}",
        "projects by country and kind": (
            f"/projects/?country={project.organization.country}&kind={project.organization.kind.value}"
        ),
        "project": f"/projects/{project.slug}",
        "search": "/search?q=water",
        "search one kind": "/search?q=water&type=projects",
    }


def measure(client, count_queries, urls: dict[str, str]) -> dict[str, int]:
    counts = {}
    for name, url in urls.items():
        with count_queries() as counter:
            response = client.get(url)
        assert response.status_code == 200, (name, url, response.status_code)
        counts[name] = counter.count
    return counts


def grow(app) -> None:
    """Add rows around what the pages show: they must not cost a query more."""
    with app_context(app):
        _grow()


def _grow() -> None:
    campaign = db.session.scalar(sa.select(Campaign).order_by(Campaign.supporter_count.desc()))
    first = db.session.scalar(sa.select(Organization).order_by(Organization.id))
    for n in range(30):
        org = make_organization(f"Baghdad Water Growth {n}", kind=first.kind, country="IQ")
        make_pledge(org, campaign, visibility=PledgeVisibility.PUBLIC if n % 2 else PledgeVisibility.MEMBERS)
        make_project(org, [campaign], title=f"Water project {n}")
    for n in range(5):
        make_project(first, [campaign], title=f"More water {n}")
    db.session.commit()


def test_public_pages_cost_the_same_few_queries_at_any_size(app, client, count_queries):
    with app_context(app):
        large_data.generate(scale=0.005)
        db.session.commit()
    urls = page_urls(app)
    before = measure(client, count_queries, urls)
    grow(app)
    after = measure(client, count_queries, urls)

    assert after == before
    too_many = {name: n for name, n in after.items() if n > MAX_QUERIES}
    assert not too_many, too_many


@pytest.mark.parametrize("who", ["member", "moderator"])
def test_logged_in_pages_stay_within_the_bound(app, client, auth, count_queries, who):
    with app_context(app):
        large_data.generate(scale=0.005)
        if who == "member":
            org = make_organization("Member Org")
            # Long a member: not among the home page's newest, before or after the growth (else
            # the identity map would spare the lazy load of current_user.organization only once).
            org.approved_at = datetime(2020, 1, 1, tzinfo=UTC)
            user = make_user(org)
        else:
            from tests.builders import make_moderator

            user = make_moderator()
        db.session.commit()
    auth.login(user.email)
    urls = page_urls(app)
    counts = measure(client, count_queries, urls)
    grow(app)
    assert measure(client, count_queries, urls) == counts
    # Showing another organization's private contact details writes one access-log row (an upsert).
    # Campaign life: a logged-in viewer's follow button asks whether they follow (one query) on
    # the campaign, organization and project pages; the campaign page also reads its updates (one
    # query with their words) and its coordinators (one, which also says whether the viewer may
    # post an update).
    bounds = {
        "organization": MAX_QUERIES + 2,
        "campaign page": MAX_QUERIES + 3,
        "campaign page 2": MAX_QUERIES + 3,
    }
    too_many = {name: n for name, n in counts.items() if n > bounds.get(name, MAX_QUERIES)}
    assert not too_many, too_many


def test_supporter_pages_follow_each_other_by_cursor_at_any_depth(app, client, count_queries):
    import re

    from tests.builders import make_campaign

    app.config["PAGE_SIZE"] = 3
    with app_context(app):
        campaign = make_campaign("Deep", slug="deep")
        for n in range(10):
            make_pledge(make_organization(f"Supporter {n:02d}"), campaign)
        make_pledge(make_organization("Quiet Supporter"), campaign, visibility=PledgeVisibility.COUNTED)
        db.session.commit()

    seen, url, costs = [], "/campaigns/deep", set()
    while url:
        with count_queries() as counter:
            html = client.get(url).get_data(as_text=True)
        costs.add(counter.count)
        seen += re.findall(r"Supporter \d\d", html)
        assert "chose not to be named publicly" in html
        older = re.search(r'href="([^"]+)" rel="next"', html)
        url = older.group(1).replace("&amp;", "&") if older else None
    assert seen == [f"Supporter {n:02d}" for n in reversed(range(10))]
    assert len(costs) == 1  # the last page costs what the first does

    assert client.get("/campaigns/deep?after=garbage").status_code == 400
    assert client.get("/campaigns/deep?after=1.1").status_code == 404  # before every pledge: empty
    assert "Supporter 06" in client.get("/campaigns/deep?page=2").get_data(as_text=True)

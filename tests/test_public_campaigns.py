"""Visitors read the campaigns: what each wants, who stands with it, and its projects."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.models import CampaignStatus, OrganizationStatus, PledgeVisibility
from tests.builders import (
    make_campaign,
    make_moderator,
    make_organization,
    make_pledge,
    make_project,
    make_user,
)
from tests.conftest import app_context
from tests.pages import page, queries_for


def test_campaign_list_shows_every_campaign_with_totals_and_status(app, client):
    with app_context(app):
        tigris = make_campaign("Save the Tigris", summary="Keep the river alive.")
        make_campaign("Old Campaign", status=CampaignStatus.ARCHIVED)
        make_pledge(make_organization(country="IQ"), tigris)
        make_pledge(make_organization(country="IT"), tigris)
        make_pledge(make_organization(country="NO"), tigris, visibility=PledgeVisibility.COUNTED)
        db.session.commit()

    html = page(client, "/campaigns/")
    assert "Save the Tigris" in html
    assert "Keep the river alive." in html
    assert '<span class="count-number">3</span>' in html
    assert "1 Iraqi · 2 international" in html
    assert "Old Campaign" in html and "Archived" in html
    assert html.index("Save the Tigris") < html.index("Old Campaign")


def test_campaign_list_without_campaigns_says_so(client):
    assert "No campaigns yet" in page(client, "/campaigns/")


def test_campaign_page_shows_description_as_safe_markdown_and_status(app, client):
    with app_context(app):
        campaign = make_campaign(
            "Freedom of Expression", description="We defend **journalists**.\n\n<script>alert(1)</script>"
        )
        db.session.commit()
    html = page(client, f"/campaigns/{campaign.slug}")
    assert "<strong>journalists</strong>" in html
    assert "<script>alert(1)" not in html
    assert "badge-active" in html and "Active" in html


def test_archived_campaign_page_says_archived(app, client):
    with app_context(app):
        campaign = make_campaign(status=CampaignStatus.ARCHIVED)
        db.session.commit()
    assert "badge-archived" in page(client, f"/campaigns/{campaign.slug}")


def test_unknown_campaign_is_404(client):
    assert client.get("/campaigns/no-such-campaign").status_code == 404


def test_visitor_sees_only_public_supporters_but_totals_count_everyone(app, client):
    with app_context(app):
        campaign = make_campaign()
        make_pledge(make_organization("Open Iraqi Union", country="IQ"), campaign)
        make_pledge(
            make_organization("Members Only Group", country="IQ"),
            campaign,
            visibility=PledgeVisibility.MEMBERS,
        )
        make_pledge(
            make_organization("Discreet Foundation", country="CH"),
            campaign,
            visibility=PledgeVisibility.COUNTED,
        )
        make_pledge(make_organization("Withdrawn Org"), campaign, withdrawn=True)
        db.session.commit()

    html = page(client, f"/campaigns/{campaign.slug}")
    assert "Open Iraqi Union" in html
    assert "Members Only Group" not in html
    assert "Discreet Foundation" not in html
    assert "Withdrawn Org" not in html
    assert '<span class="count-number">3</span>' in html
    assert "2 Iraqi · 1 international" in html
    assert "chose not to be named publicly" in html


def test_approved_member_also_sees_members_only_supporters(app, client, auth):
    with app_context(app):
        campaign = make_campaign()
        make_pledge(make_organization("Members Only Group"), campaign, visibility=PledgeVisibility.MEMBERS)
        make_pledge(make_organization("Discreet Foundation"), campaign, visibility=PledgeVisibility.COUNTED)
        member = make_user(make_organization(status=OrganizationStatus.APPROVED))
        db.session.commit()
    auth.login(member.email)

    html = page(client, f"/campaigns/{campaign.slug}")
    assert "Members Only Group" in html
    assert "Shown to members only" in html
    assert "Discreet Foundation" not in html


@pytest.mark.parametrize(
    "status", [OrganizationStatus.PENDING, OrganizationStatus.REJECTED, OrganizationStatus.SUSPENDED]
)
def test_member_of_an_unapproved_organization_does_not_see_members_only_supporters(app, client, auth, status):
    with app_context(app):
        campaign = make_campaign()
        make_pledge(make_organization("Members Only Group"), campaign, visibility=PledgeVisibility.MEMBERS)
        member = make_user(make_organization(status=status))
        db.session.commit()
    auth.login(member.email)

    assert "Members Only Group" not in page(client, f"/campaigns/{campaign.slug}")


def test_moderator_sees_members_only_supporters(app, client, auth):
    with app_context(app):
        campaign = make_campaign()
        make_pledge(make_organization("Members Only Group"), campaign, visibility=PledgeVisibility.MEMBERS)
        moderator = make_moderator()
        db.session.commit()
    auth.login(moderator.email)
    assert "Members Only Group" in page(client, f"/campaigns/{campaign.slug}")


@pytest.mark.parametrize(
    "status", [OrganizationStatus.PENDING, OrganizationStatus.REJECTED, OrganizationStatus.SUSPENDED]
)
def test_unapproved_supporters_and_their_projects_never_appear_nor_count(app, client, status):
    with app_context(app):
        campaign = make_campaign()
        hidden_org = make_organization("Unapproved Org", status=status)
        make_pledge(hidden_org, campaign)
        make_project(hidden_org, [campaign], "Unapproved Project")
        db.session.commit()

    html = page(client, f"/campaigns/{campaign.slug}")
    assert "Unapproved Org" not in html
    assert "Unapproved Project" not in html
    assert '<span class="count-number">0</span>' in html
    assert "No organization supports this campaign yet" in html


def test_supporters_are_paginated_newest_first(app, client):
    with app_context(app):
        app.config["PAGE_SIZE"] = 2
        campaign = make_campaign()
        for name in ("First Org", "Second Org", "Third Org"):
            make_pledge(make_organization(name), campaign)
        db.session.commit()

    first = page(client, f"/campaigns/{campaign.slug}")
    assert "Third Org" in first and "Second Org" in first and "First Org" not in first
    assert 'rel="next"' in first
    second = page(client, f"/campaigns/{campaign.slug}?page=2")
    assert "First Org" in second and "Third Org" not in second


@pytest.mark.parametrize("bad", ["0", "-1", "99"])
def test_page_out_of_range_is_404(app, client, bad):
    with app_context(app):
        campaign = make_campaign()
        make_pledge(make_organization(), campaign)
        db.session.commit()
    assert client.get(f"/campaigns/{campaign.slug}?page={bad}").status_code == 404


def test_page_that_is_not_a_number_shows_the_first_page(app, client):
    with app_context(app):
        campaign = make_campaign()
        db.session.commit()
    assert client.get(f"/campaigns/{campaign.slug}?page=abc").status_code == 200
    assert client.get("/campaigns/?page=abc").status_code == 200


def test_campaign_page_lists_visible_projects_and_links_to_all(app, client):
    with app_context(app):
        campaign = make_campaign()
        org = make_organization("Runner Org")
        for n in range(7):
            make_project(org, [campaign], f"Visible Project {n}")
        make_project(org, [campaign], "Hidden Project", hidden_at=db.func.now())
        db.session.commit()

    html = page(client, f"/campaigns/{campaign.slug}")
    assert "Visible Project 6" in html
    assert "Visible Project 0" not in html  # only the newest six
    assert "Hidden Project" not in html
    assert f"/projects/?campaign={campaign.slug}" in html
    assert "All 7 projects of this campaign" in html


def test_campaign_without_projects_says_what_to_do(app, client):
    with app_context(app):
        campaign = make_campaign()
        db.session.commit()
    assert "No projects linked yet" in page(client, f"/campaigns/{campaign.slug}")


def _supporters(campaign, count: int) -> None:
    for _ in range(count):
        org = make_organization()
        make_pledge(org, campaign)
        make_project(org, [campaign])


@pytest.mark.parametrize("logged_in", [False, True])
def test_campaign_page_runs_a_constant_number_of_queries(app, client, auth, count_queries, logged_in):
    with app_context(app):
        small, large = make_campaign(), make_campaign()
        _supporters(small, 3)
        _supporters(large, 30)
        member = make_user()
        db.session.commit()
    urls = [f"/campaigns/{small.slug}", f"/campaigns/{large.slug}"]
    if logged_in:
        auth.login(member.email)

    few, many = (queries_for(client, count_queries, url) for url in urls)
    assert few.count == many.count, (few, many)


def test_campaign_list_runs_a_constant_number_of_queries(app, client, count_queries):
    with app_context(app):
        make_campaign()
        db.session.commit()
    few = queries_for(client, count_queries, "/campaigns/")
    with app_context(app):
        for _ in range(30):
            make_campaign()
        db.session.commit()
    many = queries_for(client, count_queries, "/campaigns/")
    assert few.count == many.count, (few, many)

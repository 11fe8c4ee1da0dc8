"""A project's link to a campaign names its organization there: it is as discreet as the pledge.

"Project by X" on a campaign's page tells that X works on the campaign. So each link has a
visibility; it is members-only unless the organization's pledge to the campaign is public (or
the member makes it public, knowing what that shows), and public pages show only public links.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import (
    Campaign,
    LinkVisibility,
    OrganizationStatus,
    Pledge,
    PledgeVisibility,
    Project,
    ProjectCampaign,
    User,
)
from app.services import pledges as pledge_service
from app.services import projects as project_service
from tests.builders import (
    make_campaign,
    make_moderator,
    make_organization,
    make_pledge,
    make_project,
    make_user,
)
from tests.conftest import app_context, count, scalar, scalars
from tests.pages import page


def link_visibility(app, project, campaign) -> LinkVisibility:
    return scalar(
        app,
        sa.select(ProjectCampaign.visibility).where(
            ProjectCampaign.project_id == project.id, ProjectCampaign.campaign_id == campaign.id
        ),
    )


@pytest.fixture
def discreet_project(app):
    """A project linked to a campaign its organization supports counted-only: members-only by default."""
    with app_context(app):
        campaign = make_campaign("Save the Tigris")
        org = make_organization("Discreet Basra Union")
        make_pledge(org, campaign, visibility=PledgeVisibility.COUNTED)
        other = make_campaign("Workers' Rights")
        make_pledge(org, other)
        member = make_user(org)
        db.session.commit()
        project = project_service.create_project(
            member, title="River Clinic", campaign_ids=[campaign.id, other.id]
        )
        db.session.commit()
        assert project.organization.slug  # loaded: the tests name the profile by it
    return project, campaign, other


@pytest.mark.parametrize(
    ("pledge", "expected"),
    [
        (PledgeVisibility.PUBLIC, LinkVisibility.PUBLIC),
        (PledgeVisibility.MEMBERS, LinkVisibility.MEMBERS),
        (PledgeVisibility.COUNTED, LinkVisibility.MEMBERS),
        (None, LinkVisibility.MEMBERS),
    ],
)
def test_a_link_is_public_by_default_only_where_the_pledge_is_public(app_ctx, pledge, expected):
    campaign = make_campaign()
    member = make_user()
    if pledge is not None:
        make_pledge(member.organization, campaign, visibility=pledge)
    project = project_service.create_project(member, title="Water", campaign_ids=[campaign.id])
    db.session.commit()
    assert link_visibility(app_ctx, project, campaign) == expected


def test_editing_without_a_choice_keeps_each_links_visibility(app_ctx):
    campaign, other = make_campaign(), make_campaign()
    member = make_user()
    make_pledge(member.organization, other)
    project = project_service.create_project(
        member, title="Water", campaign_ids=[campaign.id], public_campaign_ids=[campaign.id]
    )
    project_service.update_project(project, member, title="Water", campaign_ids=[campaign.id, other.id])
    db.session.commit()
    assert link_visibility(app_ctx, project, campaign) == LinkVisibility.PUBLIC  # the member's choice stays
    assert (
        link_visibility(app_ctx, project, other) == LinkVisibility.PUBLIC
    )  # new: the pledge there is public


def test_visitors_see_no_members_only_link_anywhere(client, discreet_project):
    project, campaign, other = discreet_project

    campaign_page = page(client, f"/campaigns/{campaign.slug}")
    assert "River Clinic" not in campaign_page and "Discreet Basra Union" not in campaign_page
    assert "0 linked projects" in campaign_page
    project_page = page(client, f"/projects/{project.slug}")
    assert "Workers&#39; Rights" in project_page and "Save the Tigris" not in project_page
    assert "River Clinic" not in page(client, f"/projects/?campaign={campaign.slug}")
    assert "River Clinic" in page(client, f"/projects/?campaign={other.slug}")
    # The list's cards (its campaign filter names every campaign, linked or not).
    listing = page(client, "/projects/").split('class="card-grid"', 1)[1]
    assert "River Clinic" in listing and "Save the Tigris" not in listing
    profile = page(client, f"/organizations/{project.organization.slug}")
    assert "River Clinic" in profile and "Save the Tigris" not in profile
    results = page(client, "/search?q=River+Clinic")
    assert "River Clinic" in results and "Save the Tigris" not in results


@pytest.mark.parametrize("who", ["member", "moderator"])
def test_members_and_moderators_see_members_only_links_marked_as_such(
    app, client, auth, discreet_project, who
):
    project, campaign, _other = discreet_project
    with app_context(app):
        if who == "member":
            viewer = make_user(make_organization("Another Member"), email="viewer@example.org")
        else:
            viewer = make_moderator("viewer@example.org")
        db.session.commit()
    auth.login(viewer.email)

    campaign_page = page(client, f"/campaigns/{campaign.slug}")
    assert "River Clinic" in campaign_page and "Shown to members only" in campaign_page
    project_page = page(client, f"/projects/{project.slug}")
    assert "Save the Tigris" in project_page and "Shown to members only" in project_page
    assert "River Clinic" in page(client, f"/projects/?campaign={campaign.slug}")


def test_a_member_of_a_pending_organization_sees_only_public_links(app, client, auth, discreet_project):
    project, campaign, _other = discreet_project
    with app_context(app):
        make_user(make_organization(status=OrganizationStatus.PENDING), email="waiting@example.org")
        db.session.commit()
    auth.login("waiting@example.org")
    assert "River Clinic" not in page(client, f"/campaigns/{campaign.slug}")
    assert "Save the Tigris" not in page(client, f"/projects/{project.slug}")


def test_a_pledge_leaving_the_public_list_takes_its_project_links_with_it(app, client):
    with app_context(app):
        campaign = make_campaign("Save the Tigris")
        member = make_user(make_organization("Basra Union"))
        pledge = make_pledge(member.organization, campaign)
        project = make_project(member.organization, [campaign], "River Clinic", link_visibility=None)
        db.session.commit()
    assert link_visibility(app, project, campaign) == LinkVisibility.PUBLIC
    assert "River Clinic" in page(client, f"/campaigns/{campaign.slug}")

    with app_context(app):
        pledge_service.update_pledge(
            db.session.get(Pledge, pledge.id),
            ["advocacy"],
            visibility="counted",
            actor=db.session.get(User, member.id),
        )
        db.session.commit()
    assert link_visibility(app, project, campaign) == LinkVisibility.MEMBERS
    html = page(client, f"/campaigns/{campaign.slug}")
    assert "River Clinic" not in html and "Basra Union" not in html
    assert scalar(app, sa.select(Campaign.project_count).where(Campaign.id == campaign.id)) == 0


# --- The form -----------------------------------------------------------------------------------------


def public_box_ticked(html: str, campaign) -> bool:
    """Whether the form's "public link" box of ``campaign`` is ticked."""
    box = re.search(rf'<input[^>]*name="public_campaigns"[^>]*value="{campaign.id}"[^>]*>', html)
    assert box, campaign.title
    return " checked" in box.group(0)


def test_the_form_says_what_a_public_link_reveals_and_ticks_the_default(app, client, auth):
    with app_context(app):
        tigris, workers = make_campaign("Save the Tigris"), make_campaign("Workers' Rights")
        member = make_user(make_organization("Basra Union"), email="member@example.org")
        make_pledge(member.organization, tigris)
        make_pledge(member.organization, workers, visibility=PledgeVisibility.MEMBERS)
        db.session.commit()
    auth.login("member@example.org")

    html = page(client, "/projects/new")
    assert "anyone will see that your organization works on this campaign" in html
    assert "Public link: anyone will see that your organization works on “<bdi>Save the Tigris</bdi>”" in html
    assert public_box_ticked(html, tigris) and not public_box_ticked(html, workers)
    assert "does not support this campaign publicly" in html


def test_the_form_saves_each_links_visibility(app, client, auth):
    with app_context(app):
        tigris, workers = make_campaign("Save the Tigris"), make_campaign("Workers' Rights")
        member = make_user(make_organization("Basra Union"), email="member@example.org")
        make_pledge(member.organization, tigris)  # public: ticked by default, unticked by the member
        db.session.commit()
    auth.login("member@example.org")
    response = client.post(
        "/projects/new",
        data={
            "title": "River Clinic",
            "status": "running",
            "campaigns": [str(tigris.id), str(workers.id)],
            "public_campaigns": [str(workers.id)],
        },
    )
    assert response.status_code == 302
    (project,) = scalars(app, sa.select(Project).where(Project.organization_id == member.organization_id))
    assert link_visibility(app, project, tigris) == LinkVisibility.MEMBERS
    assert link_visibility(app, project, workers) == LinkVisibility.PUBLIC

    edit = page(client, f"/projects/{project.id}/edit")
    assert public_box_ticked(edit, workers) and not public_box_ticked(edit, tigris)


def test_a_public_link_to_an_unknown_campaign_is_refused(app, client, auth):
    with app_context(app):
        tigris = make_campaign("Save the Tigris")
        make_user(make_organization(), email="member@example.org")
        db.session.commit()
    auth.login("member@example.org")
    response = client.post(
        "/projects/new",
        data={
            "title": "River Clinic",
            "status": "running",
            "campaigns": [str(tigris.id)],
            "public_campaigns": ["999"],
        },
    )
    assert response.status_code == 400
    assert count(app, ProjectCampaign) == 0

"""A member organization manages its own projects, and only its own."""

from __future__ import annotations

import re
from datetime import date

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import CampaignStatus, OrganizationStatus, Project, ProjectCampaign
from app.models.base import utcnow
from app.services import DomainError, NotAllowed, counters
from app.services import projects as project_service
from tests.builders import make_campaign, make_organization, make_project, make_user
from tests.conftest import app_context, count, scalar


@pytest.fixture
def request_context(app):
    """For the tests of the service alone: its messages are translated, which needs a request
    to pick the language."""
    with app.test_request_context():
        yield app


def assert_counters_consistent(app=None):
    """The stored counters match the rows (read in a context of its own when given the app)."""
    if app is not None:
        with app.app_context():
            return assert_counters_consistent()
    assert counters.stored_counts() == counters.computed_counts()


def project_count(app) -> int:
    """How many projects the database holds (what a session of its own reads)."""
    return count(app, Project)


def form_data(campaigns, **overrides):
    data = {
        "title": "Clean water for Basra",
        "summary": "Water filters for schools.",
        "description": "We install **filters**.",
        "status": "running",
        "start_date": "2026-01-10",
        "end_date": "2026-06-30",
        "place": "Basra",
        "campaigns": [str(c.id) for c in campaigns],
    }
    data.update(overrides)
    return data


# --- Service -------------------------------------------------------------------------------


def test_create_project_links_campaigns_and_counts(request_context):
    water, rivers = make_campaign(), make_campaign()
    member = make_user()
    project = project_service.create_project(
        member,
        title="Clean water",
        status="running",
        place="Basra",
        campaign_ids=[water.id, rivers.id],
        public_campaign_ids=[water.id, rivers.id],
    )
    db.session.commit()
    assert project.organization_id == member.organization_id
    assert project.slug == "clean-water"
    assert sorted(c.id for c in project.campaigns) == sorted([water.id, rivers.id])
    assert (water.project_count, rivers.project_count) == (1, 1)
    assert_counters_consistent()


def test_slugs_stay_unique_and_never_shadow_fixed_addresses(request_context):
    member = make_user()
    campaign = make_campaign()
    first = project_service.create_project(member, title="Water", campaign_ids=[campaign.id])
    second = project_service.create_project(member, title="Water", campaign_ids=[campaign.id])
    reserved = project_service.create_project(member, title="New", campaign_ids=[campaign.id])
    numeric = project_service.create_project(member, title="2024", campaign_ids=[campaign.id])
    assert first.slug == "water"
    # A taken slug gets a random suffix: a counter would tell how many (hidden) projects share it.
    assert re.fullmatch(r"water-[a-z0-9]{6}", second.slug)
    assert re.fullmatch(r"new-[a-z0-9]{6}", reserved.slug)
    assert re.fullmatch(r"2024-[a-z0-9]{6}", numeric.slug)


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"title": "  "}, "required"),
        ({"campaign_ids": []}, "at least one campaign"),
        ({"campaign_ids": [999999]}, "Unknown campaign"),
        ({"start_date": date(2026, 5, 1), "end_date": date(2026, 4, 1)}, "end date"),
        ({"status": "abandoned"}, "status"),
    ],
)
def test_invalid_project_is_refused_and_writes_nothing(request_context, fields, words):
    campaign = make_campaign()
    member = make_user()
    db.session.commit()
    arguments = {"title": "Water", "campaign_ids": [campaign.id], **fields}
    with pytest.raises(DomainError, match=words):
        project_service.create_project(member, **arguments)
    assert project_count(request_context) == 0


def test_archived_campaigns_take_no_new_projects_but_existing_links_stay(request_context):
    archived = make_campaign(status=CampaignStatus.ARCHIVED)
    active = make_campaign()
    member = make_user()
    with pytest.raises(DomainError, match="Archived"):
        project_service.create_project(member, title="Water", campaign_ids=[archived.id])
    project = make_project(member.organization, [active, archived])
    project_service.update_project(project, member, title="Renamed", campaign_ids=[active.id, archived.id])
    db.session.commit()
    assert project.title == "Renamed"
    assert_counters_consistent()


@pytest.mark.parametrize("status", [OrganizationStatus.PENDING, OrganizationStatus.SUSPENDED])
def test_unapproved_organization_cannot_create_projects(request_context, status):
    campaign = make_campaign()
    member = make_user(make_organization(status=status))
    with pytest.raises(NotAllowed):
        project_service.create_project(member, title="Water", campaign_ids=[campaign.id])


def test_another_organization_cannot_edit_or_delete_a_project(request_context):
    campaign = make_campaign()
    owner, intruder = make_user(), make_user()
    project = make_project(owner.organization, [campaign])
    with pytest.raises(NotAllowed):
        project_service.update_project(project, intruder, title="Mine now", campaign_ids=[campaign.id])
    with pytest.raises(NotAllowed):
        project_service.delete_project(project, intruder)
    assert project_service.project_for_owner(project.id, intruder) is None


def test_relinking_and_deleting_keep_counters_in_step(request_context):
    water, rivers = make_campaign(), make_campaign()
    member = make_user()
    project = make_project(member.organization, [water])
    db.session.commit()
    project_service.update_project(
        project, member, title="Water", campaign_ids=[rivers.id], public_campaign_ids=[rivers.id]
    )
    db.session.commit()
    assert (water.project_count, rivers.project_count) == (0, 1)
    assert_counters_consistent()
    project_service.delete_project(project, member)
    db.session.commit()
    assert rivers.project_count == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProjectCampaign)) == 0
    assert_counters_consistent()


def test_deleting_a_hidden_project_does_not_uncount_it_twice(request_context):
    campaign = make_campaign()
    member = make_user()
    project = make_project(member.organization, [campaign], hidden_at=utcnow(), hidden_reason="Spam")
    db.session.commit()
    assert campaign.project_count == 0
    project_service.delete_project(project, member)
    db.session.commit()
    assert_counters_consistent()


# --- Pages ---------------------------------------------------------------------------------


def test_member_creates_edits_and_deletes_a_project(app, client, auth):
    with app_context(app):
        water, rivers = make_campaign(), make_campaign()
        member = make_user()
        db.session.commit()
    auth.login(member.email)

    assert client.get("/projects/new").status_code == 200
    response = client.post("/projects/new", data=form_data([water]))
    assert response.status_code == 302
    project = scalar(app, sa.select(Project))
    assert (project.title, project.start_date, project.place) == (
        "Clean water for Basra",
        date(2026, 1, 10),
        "Basra",
    )

    page = client.get(f"/projects/{project.id}/edit").get_data(as_text=True)
    assert "Clean water for Basra" in page
    response = client.post(
        f"/projects/{project.id}/edit",
        data=form_data([water, rivers], title="Clean water", status="finished"),
    )
    assert response.status_code == 302
    assert scalar(app, sa.select(Project.title).where(Project.id == project.id)) == "Clean water"
    assert_counters_consistent(app)

    response = client.post(f"/projects/{project.id}/delete")
    assert response.status_code == 302
    assert project_count(app) == 0
    assert_counters_consistent(app)


def test_new_project_address_is_not_taken_by_the_project_page(app, client, auth):
    with app_context(app):
        member = make_user()
        make_campaign()
        db.session.commit()
    auth.login(member.email)
    assert "New project" in client.get("/projects/new").get_data(as_text=True)


def test_form_errors_are_shown_and_nothing_is_written(app, client, auth):
    with app_context(app):
        campaign = make_campaign()
        member = make_user()
        db.session.commit()
    auth.login(member.email)
    response = client.post(
        "/projects/new", data=form_data([campaign], title="", start_date="2026-05-01", end_date="2026-04-01")
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "The end date cannot be before the start date." in page
    assert "This field is required." in page
    response = client.post("/projects/new", data=form_data([]))
    assert "Link the project to at least one campaign." in response.get_data(as_text=True)
    assert project_count(app) == 0


def test_organization_id_in_the_form_is_ignored(app, client, auth):
    with app_context(app):
        campaign = make_campaign()
        member = make_user()
        other = make_organization()
        db.session.commit()
    auth.login(member.email)
    client.post("/projects/new", data=form_data([campaign], organization_id=str(other.id)))
    assert scalar(app, sa.select(Project.organization_id)) == member.organization_id


def test_another_organizations_project_answers_404_on_every_route(app, client, auth):
    with app_context(app):
        campaign, other_campaign = make_campaign(), make_campaign()
        owner, intruder = make_user(), make_user()
        project = make_project(owner.organization, [campaign], title="Theirs")
        db.session.commit()
        project_id = project.id
    auth.login(intruder.email)

    assert client.get(f"/projects/{project_id}/edit").status_code == 404
    response = client.post(
        f"/projects/{project_id}/edit", data=form_data([campaign, other_campaign], title="Hijacked")
    )
    assert response.status_code == 404
    assert client.post(f"/projects/{project_id}/delete").status_code == 404
    with app_context(app):
        kept = db.session.get(Project, project_id)
        assert kept.title == "Theirs"
        assert [c.id for c in kept.campaigns] == [campaign.id]
    assert_counters_consistent(app)


def test_visitors_and_moderators_cannot_manage_projects(app, client, auth):
    from tests.builders import make_moderator

    with app_context(app):
        campaign = make_campaign()
        project = make_project(make_organization(), [campaign])
        moderator = make_moderator()
        db.session.commit()
    response = client.get("/projects/new")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert client.post(f"/projects/{project.id}/delete").status_code == 302
    auth.login(moderator.email)
    assert client.get("/projects/new").status_code == 403
    assert client.post(f"/projects/{project.id}/delete").status_code == 403
    assert project_count(app) == 1


def test_pending_member_is_told_to_wait_for_approval(app, client, auth):
    with app_context(app):
        campaign = make_campaign()
        member = make_user(make_organization(status=OrganizationStatus.PENDING))
        db.session.commit()
    auth.login(member.email)
    response = client.post("/projects/new", data=form_data([campaign]), follow_redirects=True)
    assert "once a moderator has approved it" in response.get_data(as_text=True)
    assert project_count(app) == 0


# --- Dashboard -----------------------------------------------------------------------------


def test_dashboard_shows_pledges_and_projects_with_links_to_change_them(app, client, auth):
    from app.models import PledgeVisibility
    from tests.builders import make_pledge

    with app_context(app):
        campaign = make_campaign("Save the Tigris")
        member = make_user()
        make_pledge(member.organization, campaign, visibility=PledgeVisibility.COUNTED, message="Our word")
        project = make_project(member.organization, [campaign], title="River clean-up")
        db.session.commit()
    auth.login(member.email)
    page = client.get("/account/").get_data(as_text=True)
    assert (
        "Save the Tigris" in page
        and "Counted only — adds to the numbers, never named anywhere" in page
        and "Our word" in page
    )
    assert f"/campaigns/{campaign.slug}/pledge" in page
    assert f"/campaigns/{campaign.slug}/pledge/withdraw" in page
    assert "River clean-up" in page and f"/projects/{project.id}/edit" in page


def test_dashboard_empty_state_invites_to_create_a_project(app, client, auth):
    with app_context(app):
        member = make_user()
        db.session.commit()
    auth.login(member.email)
    page = client.get("/account/").get_data(as_text=True)
    assert "No projects yet — create one" in page
    assert "/projects/new" in page


def test_project_deletion_without_csrf_token_is_refused(make_app):
    from tests.conftest import csrf_token_from, empty_all_tables

    csrf_app = make_app(WTF_CSRF_ENABLED=True)
    try:
        with app_context(csrf_app):
            member = make_user()
            project = make_project(member.organization, [make_campaign()])
            db.session.commit()
            project_id = project.id
        client = csrf_app.test_client()
        token = csrf_token_from(client, "/auth/login")
        client.post(
            "/auth/login",
            data={"email": member.email, "password": "correct horse battery staple", "csrf_token": token},
        )
        assert client.post(f"/projects/{project_id}/delete").status_code == 400
        assert project_count(csrf_app) == 1
        token = csrf_token_from(client, f"/projects/{project_id}/edit")
        assert client.post(f"/projects/{project_id}/delete", data={"csrf_token": token}).status_code == 302
        assert project_count(csrf_app) == 0
    finally:
        with csrf_app.app_context():
            empty_all_tables()

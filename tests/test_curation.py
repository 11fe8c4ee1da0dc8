"""Moderators curate campaigns and hide content that breaks the rules, with a recorded reason."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditAction, AuditEntry, Campaign, CampaignStatus, Pledge, Project
from app.services import DomainError, NotAllowed, counters, moderation_content
from app.services import campaigns as campaign_service
from tests.builders import (
    make_campaign,
    make_moderator,
    make_organization,
    make_pledge,
    make_project,
    make_user,
)
from tests.conftest import app_context, count, scalar


@pytest.fixture
def request_ctx(app):
    """For the tests of services alone: their messages are translated, which needs a request to
    pick the language."""
    with app.test_request_context():
        yield


def actions(app=None) -> list[tuple[str, str, int, str]]:
    """The audit entries, oldest first (read in a context of their own when given the application)."""
    if app is not None:
        with app_context(app):
            return actions()
    return [
        (e.action, e.target_type, e.target_id, e.reason)
        for e in db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id))
    ]


def assert_counters_consistent(app=None):
    if app is not None:
        with app_context(app):
            return assert_counters_consistent()
    assert counters.stored_counts() == counters.computed_counts()


# --- Services ------------------------------------------------------------------------------


def test_moderator_creates_edits_archives_and_reactivates_a_campaign(request_ctx):
    moderator = make_moderator()
    campaign = campaign_service.create_campaign(
        moderator, title="Save the Marshes", summary="Water for the marshes.", accent="reed"
    )
    assert campaign.slug == "save-the-marshes"
    campaign_service.update_campaign(
        campaign, moderator, title="Save the Mesopotamian Marshes", summary="Water.", slug="marshes",
        accent="reed", position=3, status="archived", reason="Won",
    )  # fmt: skip
    campaign_service.reactivate_campaign(campaign, moderator)
    db.session.commit()
    assert (campaign.slug, campaign.position, campaign.status) == ("marshes", 3, CampaignStatus.ACTIVE)
    assert [a[0] for a in actions()] == [
        AuditAction.CAMPAIGN_CREATED,
        AuditAction.CAMPAIGN_UPDATED,
        AuditAction.CAMPAIGN_ARCHIVED,
        AuditAction.CAMPAIGN_REACTIVATED,
    ]


def test_member_cannot_curate_campaigns(request_ctx):
    member = make_user()
    with pytest.raises(NotAllowed):
        campaign_service.create_campaign(member, title="Mine", summary="Mine.")
    with pytest.raises(NotAllowed):
        campaign_service.archive_campaign(make_campaign(), member)


def test_campaign_slug_must_be_unique(request_ctx):
    moderator = make_moderator()
    make_campaign(slug="water")
    with pytest.raises(DomainError, match="already uses"):
        campaign_service.create_campaign(moderator, title="Water", summary="Water.")


def test_hiding_a_project_uncounts_it_and_tells_the_organization_why(request_ctx):
    moderator = make_moderator()
    campaign = make_campaign()
    project = make_project(make_organization(), [campaign])
    db.session.commit()
    moderation_content.hide_project(project, moderator, "Advertising, not a project.")
    db.session.commit()
    assert project.hidden_reason == "Advertising, not a project."
    assert campaign.project_count == 0
    assert_counters_consistent()
    moderation_content.unhide_project(project, moderator)
    db.session.commit()
    assert campaign.project_count == 1
    assert_counters_consistent()
    assert [a[:2] for a in actions()] == [
        (AuditAction.PROJECT_HIDDEN, "project"),
        (AuditAction.PROJECT_UNHIDDEN, "project"),
    ]


def test_hiding_needs_a_reason_and_a_moderator(request_ctx):
    moderator, member = make_moderator(), make_user()
    pledge = make_pledge(member.organization, make_campaign(), message="Buy our products")
    with pytest.raises(DomainError, match="reason"):
        moderation_content.hide_pledge_message(pledge, moderator, "  ")
    with pytest.raises(NotAllowed):
        moderation_content.hide_pledge_message(pledge, member, "I dislike it")
    assert pledge.message_hidden_at is None
    assert actions() == []


def test_hidden_pledge_message_still_counts(request_ctx):
    moderator, member = make_moderator(), make_user()
    campaign = make_campaign()
    pledge = make_pledge(member.organization, campaign, message="Buy our products")
    moderation_content.hide_pledge_message(pledge, moderator, "Advertising")
    db.session.commit()
    assert pledge.visible_message == ""
    assert campaign.supporter_count == 1
    assert actions()[0][0] == AuditAction.PLEDGE_MESSAGE_HIDDEN


# --- Pages ---------------------------------------------------------------------------------


def status_of(app, campaign_id) -> CampaignStatus:
    return scalar(app, sa.select(Campaign.status).where(Campaign.id == campaign_id))


def test_campaign_curation_pages_are_for_moderators_only(app, client, auth):
    with app_context(app):
        campaign = make_campaign()
        member = make_user()
        db.session.commit()
    assert client.get("/moderation/campaigns/").status_code == 302
    auth.login(member.email)
    for path in (
        "/moderation/campaigns/",
        "/moderation/campaigns/new",
        f"/moderation/campaigns/{campaign.id}/edit",
    ):
        assert client.get(path).status_code == 403
    assert client.post(f"/moderation/campaigns/{campaign.id}/archive").status_code == 403
    response = client.post("/moderation/campaigns/new", data={"title": "Mine", "summary": "Mine."})
    assert response.status_code == 403
    assert status_of(app, campaign.id) == CampaignStatus.ACTIVE
    assert count(app, Campaign) == 1


def test_moderator_curates_campaigns_through_the_pages(app, client, auth):
    with app_context(app):
        moderator = make_moderator()
        db.session.commit()
    auth.login(moderator.email)
    assert "No campaigns yet" in client.get("/moderation/campaigns/").get_data(as_text=True)
    response = client.post(
        "/moderation/campaigns/new",
        data={"title": "Save the Tigris", "summary": "Keep the river alive.", "status": "active",
              "accent": "clay", "position": "2"},
    )  # fmt: skip
    assert response.status_code == 302
    campaign = scalar(app, sa.select(Campaign))
    assert (campaign.slug, campaign.accent) == ("save-the-tigris", "clay")

    page = client.get(f"/moderation/campaigns/{campaign.id}/edit").get_data(as_text=True)
    assert "Keep the river alive." in page
    client.post(f"/moderation/campaigns/{campaign.id}/archive")
    assert status_of(app, campaign.id) == CampaignStatus.ARCHIVED
    assert "Reactivate" in client.get("/moderation/campaigns/").get_data(as_text=True)
    client.post(f"/moderation/campaigns/{campaign.id}/reactivate")
    assert status_of(app, campaign.id) == CampaignStatus.ACTIVE


def test_invalid_campaign_form_shows_errors_and_writes_nothing(app, client, auth):
    with app_context(app):
        moderator = make_moderator()
        make_campaign(slug="taken")
        db.session.commit()
    auth.login(moderator.email)
    response = client.post(
        "/moderation/campaigns/new",
        data={"title": "Other", "slug": "taken", "summary": "S", "status": "active", "accent": "clay"},
    )
    assert response.status_code == 400
    assert "already uses" in response.get_data(as_text=True)
    response = client.post("/moderation/campaigns/new", data={"title": "", "summary": "", "accent": "neon"})
    assert response.status_code == 400
    assert count(app, Campaign) == 1
    assert actions(app) == []


def test_moderator_hides_a_project_and_the_organization_sees_the_reason(app, client, auth):
    with app_context(app):
        moderator = make_moderator()
        owner = make_user()
        campaign = make_campaign()
        project = make_project(owner.organization, [campaign], title="Miracle cures")
        db.session.commit()
    project_id = project.id
    auth.login(moderator.email)
    assert "Miracle cures" in client.get("/moderation/content/?show=projects").get_data(as_text=True)
    response = client.post(f"/moderation/projects/{project_id}/hide", data={"reason": ""})
    assert response.status_code == 400
    response = client.post(
        f"/moderation/projects/{project_id}/hide",
        data={"reason": "Health misinformation.", "next": "//evil.example"},
    )
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/moderation/content/")
    auth.logout()

    auth.login(owner.email)
    page = client.get("/account/").get_data(as_text=True)
    assert "Hidden by a moderator: <bdi>Health misinformation.</bdi>" in page
    assert client.get(f"/projects/{project.slug}").status_code == 404
    assert_counters_consistent(app)


def test_moderator_hides_a_pledge_message_and_shows_it_again(app, client, auth):
    with app_context(app):
        moderator = make_moderator()
        owner = make_user()
        campaign = make_campaign()
        pledge = make_pledge(owner.organization, campaign, message="Visit our shop")
        db.session.commit()
    pledge_id = pledge.id
    auth.login(moderator.email)
    assert "Visit our shop" in client.get("/moderation/content/").get_data(as_text=True)
    client.post(f"/moderation/pledges/{pledge_id}/hide", data={"reason": "Advertising."})
    assert "Visit our shop" not in client.get(f"/campaigns/{campaign.slug}").get_data(as_text=True)
    client.post(f"/moderation/pledges/{pledge_id}/unhide")
    assert scalar(app, sa.select(Pledge.message_hidden_at).where(Pledge.id == pledge_id)) is None
    assert [a[0] for a in actions(app)] == [
        AuditAction.PLEDGE_MESSAGE_HIDDEN,
        AuditAction.PLEDGE_MESSAGE_UNHIDDEN,
    ]


def test_members_cannot_hide_content(app, client, auth):
    with app_context(app):
        member = make_user()
        project = make_project(make_organization(), [make_campaign()])
        db.session.commit()
    auth.login(member.email)
    assert client.post(f"/moderation/projects/{project.id}/hide", data={"reason": "Rival"}).status_code == 403
    assert scalar(app, sa.select(Project.hidden_at).where(Project.id == project.id)) is None


def test_decision_log_shows_curation_decisions(app, client, auth):
    with app_context(app):
        moderator = make_moderator()
        project = make_project(make_organization(), [make_campaign()])
        db.session.commit()
    auth.login(moderator.email)
    client.post(f"/moderation/projects/{project.id}/hide", data={"reason": "Off topic."})
    page = client.get("/moderation/log").get_data(as_text=True)
    assert "Project hidden" in page and "Off topic." in page


def test_hide_link_partial_is_for_moderators_only(app, request_ctx):
    moderator, member = make_moderator(), make_user()
    pledge = make_pledge(member.organization, make_campaign(), message="Hello")
    db.session.commit()
    template = app.jinja_env.get_template("moderation/content/_hide_link.html")
    with app.test_request_context("/campaigns/x"):
        assert template.render(hide_pledge=pledge, current_user=member).strip() == ""
        html = template.render(hide_pledge=pledge, current_user=moderator)
        assert f"/moderation/pledges/{pledge.id}/hide?next=/campaigns/x" in html.replace("%2F", "/")

"""Hidden content: its members are told by mail (hidden with the reason, shown again), and a
member who corrected a hidden project asks a moderator to look again from the queue."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditAction, AuditEntry, Pledge, Project, User
from app.services import DomainError, NotAllowed, moderation_content
from tests.builders import (
    make_campaign,
    make_moderator,
    make_organization,
    make_pledge,
    make_project,
    make_user,
)
from tests.conftest import app_context, scalar

REASON = "Advertising for a shop, not a project."

MODELS = {"member": User, "colleague": User, "project": Project, "pledge": Pledge, "moderator": User}


@pytest.fixture
def world(app) -> dict[str, int]:
    """Two organizations, a campaign, a project and a pledge, a moderator: the ids."""
    with app_context(app):
        organization = make_organization("Green Marsh", contact_phone="+964 770 000 1111")
        member = make_user(organization, email="member@marsh.example.org")
        colleague = make_user(organization, email="colleague@marsh.example.org")
        other = make_organization("Other Group", contact_email="secret@other.example.org")
        make_user(other, email="someone@other.example.org")
        campaign = make_campaign("Save the Tigris")
        project = make_project(organization, [campaign], title="Reed planting")
        pledge = make_pledge(organization, campaign, message="With you all the way")
        moderator = make_moderator(email="mod@example.org")
        db.session.commit()
        return {
            "member": member.id,
            "colleague": colleague.id,
            "project": project.id,
            "pledge": pledge.id,
            "moderator": moderator.id,
        }


def loaded(world: dict[str, int]) -> dict:
    """The world's rows, in the session of the current application context."""
    return {name: db.session.get(MODELS[name], row_id) for name, row_id in world.items()}


def hide_project(app, world, *, ask_for_review: bool = False) -> None:
    """A moderator hides the project (and its member asks for a review), in a block of its own."""
    with app_context(app):
        rows = loaded(world)
        with app.test_request_context():
            moderation_content.hide_project(rows["project"], rows["moderator"], REASON)
            if ask_for_review:
                moderation_content.request_review(rows["project"], rows["member"])
        db.session.commit()


def project_of(app, project_id) -> Project:
    with app_context(app):
        return db.session.get(Project, project_id)


def test_hiding_a_project_mails_its_members_the_reason_and_nothing_of_others(app_ctx, world, outbox):
    rows = loaded(world)
    with app_ctx.test_request_context():
        moderation_content.hide_project(rows["project"], rows["moderator"], REASON)
    db.session.commit()
    assert sorted(m.recipients[0] for m in outbox) == [
        "colleague@marsh.example.org",
        "member@marsh.example.org",
    ]
    body = outbox[0].body
    assert "Reed planting" in body and REASON in body
    for private in ("secret@other.example.org", "someone@other.example.org", "mod@example.org", "+964"):
        assert private not in body


def test_showing_a_project_again_mails_its_members(app_ctx, world, outbox):
    rows = loaded(world)
    with app_ctx.test_request_context():
        moderation_content.hide_project(rows["project"], rows["moderator"], REASON)
    db.session.commit()
    outbox.clear()
    with app_ctx.test_request_context():
        moderation_content.unhide_project(rows["project"], rows["moderator"])
    db.session.commit()
    assert len(outbox) == 2
    assert "visible again" in outbox[0].body and "Reed planting" in outbox[0].body


def test_hiding_and_showing_a_pledge_message_mails_the_members(app_ctx, world, outbox):
    rows = loaded(world)
    with app_ctx.test_request_context():
        moderation_content.hide_pledge_message(rows["pledge"], rows["moderator"], "Insults another group.")
    db.session.commit()
    hidden = list(outbox)
    outbox.clear()
    with app_ctx.test_request_context():
        moderation_content.unhide_pledge_message(rows["pledge"], rows["moderator"])
    db.session.commit()
    assert len(hidden) == 2
    assert "Save the Tigris" in hidden[0].body and "Insults another group." in hidden[0].body
    assert "visible again" in outbox[0].body


def test_hide_mail_is_queued_in_the_decision_transaction(app_ctx, world, outbox):
    rows = loaded(world)
    with app_ctx.test_request_context():
        moderation_content.hide_project(rows["project"], rows["moderator"], REASON)
    db.session.rollback()  # the decision rolled back: no mail leaves
    assert outbox == []


def test_only_the_organizations_members_ask_for_a_review_of_a_hidden_project(app_ctx, world):
    rows = loaded(world)
    stranger = make_user(make_organization("Stranger"), email="stranger@example.org")
    db.session.commit()
    with app_ctx.test_request_context():
        with pytest.raises(DomainError, match="not hidden"):
            moderation_content.request_review(rows["project"], rows["member"])
        moderation_content.hide_project(rows["project"], rows["moderator"], REASON)
        with pytest.raises(NotAllowed):
            moderation_content.request_review(rows["project"], stranger)
        with pytest.raises(NotAllowed):
            moderation_content.request_review(rows["project"], rows["moderator"])
        moderation_content.request_review(rows["project"], rows["member"], "Removed the shop links.")
        with pytest.raises(DomainError, match="already been asked"):
            moderation_content.request_review(rows["project"], rows["member"])
    db.session.commit()
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == AuditAction.REVIEW_REQUESTED))
    assert (entry.target_id, entry.reason) == (world["project"], "Removed the shop links.")


def test_member_asks_for_review_and_the_moderator_shows_it_again_from_the_queue(
    app, client, auth, world, outbox
):
    project_id = world["project"]
    hide_project(app, world)
    auth.login("member@marsh.example.org")
    edit_page = client.get(f"/projects/{project_id}/edit").get_data(as_text=True)
    assert "Ask for a review" in edit_page and REASON in edit_page
    response = client.post(f"/projects/{project_id}/review", data={"note": "Removed the shop links."})
    assert response.status_code == 302
    assert "You asked a moderator to look at it again" in client.get(f"/projects/{project_id}/edit").get_data(
        as_text=True
    )
    auth.logout()

    auth.login("mod@example.org")
    queue = client.get("/moderation/").get_data(as_text=True)
    assert "Hidden projects to look at again" in queue
    assert "Reed planting" in queue and "Removed the shop links." in queue
    outbox.clear()
    client.post(f"/moderation/projects/{project_id}/unhide", data={"next": "/moderation/"})
    project = project_of(app, project_id)
    assert project.hidden_at is None and project.review_requested_at is None
    assert {m.recipients[0] for m in outbox} == {"member@marsh.example.org", "colleague@marsh.example.org"}
    assert "Hidden projects to look at again" not in client.get("/moderation/").get_data(as_text=True)


def test_moderator_keeps_it_hidden_with_a_reason_that_is_mailed(app, client, auth, world, outbox):
    project_id = world["project"]
    hide_project(app, world, ask_for_review=True)
    auth.login("mod@example.org")
    outbox.clear()
    assert (
        client.post(f"/moderation/projects/{project_id}/review/decline", data={"reason": ""}).status_code
        == 302
    )
    assert project_of(app, project_id).review_requested_at is not None  # no reason: nothing done
    client.post(f"/moderation/projects/{project_id}/review/decline", data={"reason": "Still a shop."})
    project = project_of(app, project_id)
    assert project.hidden_at is not None and project.review_requested_at is None
    assert project.hidden_reason == "Still a shop."
    assert len(outbox) == 2 and "Still a shop." in outbox[0].body


def test_another_organizations_member_cannot_ask_for_a_review_by_url(app, client, auth, world):
    hide_project(app, world)
    auth.login("someone@other.example.org")
    assert client.post(f"/projects/{world['project']}/review").status_code == 404
    assert scalar(app, sa.select(Project.review_requested_at).where(Project.id == world["project"])) is None

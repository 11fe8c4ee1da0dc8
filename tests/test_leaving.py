"""Leaving: a person deletes their account; an owner deletes the organization, which is hidden for
a grace period (restorable), then erased with its people's data; the log keeps the moderators'
decisions under a number instead of the name."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image

from app.extensions import db
from app.models import (
    AuditAction,
    AuditEntry,
    Organization,
    OrganizationTranslation,
    Pledge,
    PledgeVisibility,
    Project,
    Role,
    User,
)
from app.models.base import utcnow
from app.services import counters, leaving, logos, membership, moderation, retention
from tests.builders import (
    DEFAULT_PASSWORD,
    make_campaign,
    make_moderator,
    make_organization,
    make_pledge,
    make_project,
    make_user,
)
from tests.conftest import app_context, log_in, scalar, scalars
from tests.pages import page

OWNER = "owner@amal.example.org"
COLLEAGUE = "colleague@amal.example.org"
NAME = "Al-Amal Women's Group"


def logged_in(app, email):
    client = app.test_client()
    response = log_in(client, email, DEFAULT_PASSWORD)  # moderators with their second step
    assert response.status_code == 302
    return client


@pytest.fixture
def amal(app) -> Organization:
    """The organization, as it was once built (a snapshot: read what changes in a block)."""
    with app_context(app):
        campaign = make_campaign("Save the Tigris", slug="save-the-tigris")
        org = make_organization(
            "Al-Amal Literacy",
            slug="al-amal",
            contact_email="hello@amal.example.org",
            contact_email_visibility="public",
            contact_person="Zainab Hassan",
        )
        owner = make_user(org, email=OWNER)
        make_user(org, email=COLLEAGUE, is_owner=False)
        make_pledge(org, campaign, visibility=PledgeVisibility.PUBLIC)
        make_pledge(
            org, make_campaign("Workers' Rights", slug="workers-rights"), visibility=PledgeVisibility.COUNTED
        )
        make_project(org, [campaign], "Reading Boats", slug="reading-boats")
        db.session.add(OrganizationTranslation(organization_id=org.id, locale="ar", description="محو الأمية"))
        moderator = make_moderator("mod@network.example.org")
        db.session.commit()
        # A rename approved by a moderator: the log holds the old and the new name.
        membership.update_profile(org, owner, {"name": NAME})
        moderation.approve_name(moderator, org, "Fine.")
        moderation.suspend_organization(moderator, org, f"Complaint about {NAME}, write to {OWNER}.")
        moderation.reinstate_organization(moderator, org)
        db.session.commit()
        buffer = io.BytesIO()
        Image.new("RGB", (30, 30), (0, 120, 60)).save(buffer, format="PNG")
        logos.replace_logo(org, io.BytesIO(buffer.getvalue()), owner)
        db.session.commit()
        return org


def deletion_requested_at(app, org_id):
    return scalar(app, sa.select(Organization.deletion_requested_at).where(Organization.id == org_id))


def user_by_email(app, email) -> User | None:
    return scalar(app, sa.select(User).where(User.email == email))


def purge(app, moment) -> dict:
    with app_context(app):
        report = retention.purge(moment)
        db.session.commit()
        return report


def ask_for_deletion(app, password=DEFAULT_PASSWORD, confirm="y"):
    client = logged_in(app, OWNER)
    return client.post("/account/organization/delete", data={"password": password, "confirm": confirm})


# --- Deleting an organization ----------------------------------------------------------------------


def test_deleting_asks_for_the_password_and_a_tick(app, amal):
    assert ask_for_deletion(app, confirm="").status_code == 400
    assert ask_for_deletion(app, password="wrong password typed here").status_code == 400
    assert deletion_requested_at(app, amal.id) is None


def test_a_deleted_organization_is_hidden_at_once_and_its_people_are_told(app, amal, outbox):
    visitor = app.test_client()
    assert "Al-Amal" in page(visitor, "/campaigns/save-the-tigris")
    assert ask_for_deletion(app).status_code == 302
    assert visitor.get("/organizations/al-amal").status_code == 404
    assert "Al-Amal" not in page(visitor, "/campaigns/save-the-tigris")
    told = {m.recipients[0] for m in outbox}
    assert {OWNER, COLLEAGUE, "mod@network.example.org"} <= told
    to_colleague = next(m for m in outbox if m.recipients == [COLLEAGUE])
    assert "erased for good" in to_colleague.body
    owner = logged_in(app, OWNER)
    assert "will be erased on" in page(owner, "/account/")


def test_an_owner_restores_the_organization_during_the_grace_period(app, amal):
    ask_for_deletion(app)
    owner = logged_in(app, OWNER)
    assert owner.post("/account/organization/restore", data={"password": DEFAULT_PASSWORD}).status_code == 302
    assert deletion_requested_at(app, amal.id) is None
    assert "Al-Amal Women" in page(app.test_client(), "/organizations/al-amal")
    # Nothing happens at the end of what would have been the grace period.
    assert purge(app, utcnow() + timedelta(days=30))["deleted_organizations"] == 0


def test_the_erasure_after_the_grace_period_leaves_no_personal_data(app, amal):
    org_id = amal.id
    logo_file = Path(app.config["UPLOAD_FOLDER"]) / amal.logo_filename
    assert logo_file.exists()
    ask_for_deletion(app)
    asked = deletion_requested_at(app, org_id)

    assert purge(app, asked + timedelta(days=13, hours=23))["deleted_organizations"] == 0
    assert purge(app, asked + timedelta(days=14))["deleted_organizations"] == 1

    with app_context(app):
        assert db.session.get(Organization, org_id) is None
        assert not logo_file.exists()
        for model, column in (
            (User, User.organization_id),
            (Pledge, Pledge.organization_id),
            (Project, Project.organization_id),
            (OrganizationTranslation, OrganizationTranslation.organization_id),
        ):
            assert db.session.scalars(sa.select(model).where(column == org_id)).all() == [], model
        assert db.session.scalar(sa.select(User).where(User.email.in_([OWNER, COLLEAGUE]))) is None

        entries = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)).all()
    text = "\n".join(f"{e.actor_email} {e.reason}" for e in entries)
    for secret in (
        NAME,
        "Al-Amal Literacy",
        "al-amal",
        OWNER,
        COLLEAGUE,
        "hello@amal.example.org",
        "Reading Boats",
    ):
        assert secret.lower() not in text.lower(), secret
    kept = [e.action for e in entries]
    # The moderators' decisions stay, under a number; the organization's own acts are gone.
    assert AuditAction.ORGANIZATION_RENAME_APPROVED in kept
    assert AuditAction.ORGANIZATION_SUSPENDED in kept
    assert AuditAction.ORGANIZATION_RENAME_REQUESTED not in kept
    assert AuditAction.ORGANIZATION_DELETION_REQUESTED not in kept
    suspension = next(e for e in entries if e.action == AuditAction.ORGANIZATION_SUSPENDED)
    assert suspension.reason == f"Complaint about organization #{org_id}, write to [erased]."
    assert suspension.actor_email == "mod@network.example.org"
    erased = entries[-1]
    assert (erased.action, erased.target_id, erased.actor_email) == (
        AuditAction.ORGANIZATION_ERASED,
        org_id,
        "system",
    )
    moderator = logged_in(app, "mod@network.example.org")
    log = page(moderator, "/moderation/log")
    assert f"organization #{org_id} (erased)" in log


def test_the_pledges_of_a_deleted_organization_leave_the_counts(app, amal):
    visitor = app.test_client()
    total = re.compile(r'<span class="count-number">(\d+)</span>')

    def supporters(slug):
        return int(total.search(page(visitor, f"/campaigns/{slug}")).group(1))

    assert (supporters("save-the-tigris"), supporters("workers-rights")) == (1, 1)
    ask_for_deletion(app)
    # The public pledge goes with the name; the counted-only one at the next refresh.
    assert (supporters("save-the-tigris"), supporters("workers-rights")) == (0, 1)
    with app_context(app):
        counters.refresh()
        db.session.commit()
    assert supporters("workers-rights") == 0
    purge(app, utcnow() + timedelta(days=15))
    assert (supporters("save-the-tigris"), supporters("workers-rights")) == (0, 0)
    with app_context(app):
        assert counters.stored_counts() == counters.computed_counts()


def test_a_moderator_of_an_erased_organization_keeps_the_account(app, amal):
    with app_context(app):
        admin = make_moderator("admin@network.example.org", admin=True)
        colleague = db.session.scalar(sa.select(User).where(User.email == COLLEAGUE))
        moderation.promote_user(admin, colleague)
        db.session.commit()
    ask_for_deletion(app)
    purge(app, utcnow() + timedelta(days=15))
    kept = user_by_email(app, COLLEAGUE)
    assert kept is not None and kept.role == Role.MODERATOR and kept.organization_id is None


# --- Deleting one's account ----------------------------------------------------------------------


def test_a_colleague_deletes_their_account_with_the_password(app, amal):
    client = logged_in(app, COLLEAGUE)
    assert (
        client.post("/account/delete", data={"password": "wrong password here", "confirm": "y"}).status_code
        == 400
    )
    assert client.post("/account/delete", data={"password": DEFAULT_PASSWORD}).status_code == 400  # no tick
    response = client.post("/account/delete", data={"password": DEFAULT_PASSWORD, "confirm": "y"})
    assert response.status_code == 302
    assert user_by_email(app, COLLEAGUE) is None
    assert client.get("/account/").status_code == 302  # logged out
    assert "Al-Amal Women" in page(app.test_client(), "/organizations/al-amal")


def test_the_last_owner_names_a_new_owner_before_leaving(app, amal):
    client = logged_in(app, OWNER)
    form = page(client, "/account/delete")
    assert "choose a colleague who becomes an owner" in form
    response = client.post("/account/delete", data={"password": DEFAULT_PASSWORD, "confirm": "y"})
    assert response.status_code == 400
    assert "You are the last owner" in response.get_data(as_text=True)
    colleague = user_by_email(app, COLLEAGUE)
    response = client.post(
        "/account/delete", data={"password": DEFAULT_PASSWORD, "confirm": "y", "new_owner": str(colleague.id)}
    )
    assert response.status_code == 302
    assert scalar(app, sa.select(User.is_owner).where(User.id == colleague.id))
    assert user_by_email(app, OWNER) is None


def test_the_last_person_deletes_the_organization_instead(app):
    with app_context(app):
        org = make_organization("Lonely Group", slug="lonely")
        user = make_user(org, email="alone@example.org")
        db.session.commit()
        with pytest.raises(leaving.LastPerson):
            leaving.delete_account(user, DEFAULT_PASSWORD)
    client = logged_in(app, "alone@example.org")
    assert "delete the organization instead" in page(client, "/account/delete").lower()
    assert (
        client.post("/account/delete", data={"password": DEFAULT_PASSWORD, "confirm": "y"}).status_code == 400
    )
    assert user_by_email(app, "alone@example.org") is not None


def test_the_networks_last_admin_cannot_leave(app):
    with app_context(app):
        make_moderator("admin@network.example.org", admin=True)
        db.session.commit()
    client = logged_in(app, "admin@network.example.org")
    response = client.post("/account/delete", data={"password": DEFAULT_PASSWORD, "confirm": "y"})
    assert response.status_code == 400
    assert "last admin" in response.get_data(as_text=True)


def test_a_moderators_decisions_stay_in_the_log_under_a_number_when_they_leave(app, amal):
    moderator_id = user_by_email(app, "mod@network.example.org").id
    client = logged_in(app, "mod@network.example.org")
    assert (
        client.post("/account/delete", data={"password": DEFAULT_PASSWORD, "confirm": "y"}).status_code == 302
    )
    decisions = scalars(
        app, sa.select(AuditEntry).where(AuditEntry.action == AuditAction.ORGANIZATION_SUSPENDED)
    )
    assert [(e.actor_email, e.actor_id) for e in decisions] == [(f"user #{moderator_id}", None)]
    text = " ".join(e.actor_email + e.reason for e in scalars(app, sa.select(AuditEntry)))
    assert "mod@network.example.org" not in text

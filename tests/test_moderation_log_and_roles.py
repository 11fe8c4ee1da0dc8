"""The decision log, admins promoting and demoting moderators, and the create-moderator command."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditAction, AuditEntry, OrganizationStatus, Role, User
from app.services import NotAllowed, audit
from app.services import moderation as moderation_service
from app.services.passwords import verify_password
from tests.builders import make_moderator, make_organization, make_user
from tests.conftest import app_context, run_command, scalar, scalars
from tests.membership_support import row_counts


def role_of(app, user_id: int) -> Role:
    return scalar(app, sa.select(User.role).where(User.id == user_id))


def login_moderator(app, auth, *, admin=False, email="mod@example.org") -> int:
    """A moderator (or admin), logged in with the client; their id."""
    with app_context(app):
        user = make_moderator(email=email, admin=admin)
        db.session.commit()
        user_id = user.id
    auth.login(email)
    return user_id


def test_log_lists_decisions_newest_first_and_filters_by_organization(app, client, auth):
    moderator_id = login_moderator(app, auth)
    with app_context(app):
        moderator = db.session.get(User, moderator_id)
        amal = make_organization("Amal", slug="amal")
        nour = make_organization("Nour", slug="nour")
        audit.record(
            moderator,
            AuditAction.ORGANIZATION_APPROVED,
            target_type="organization",
            target_id=amal.id,
            organization_id=amal.id,
        )
        audit.record(
            moderator,
            AuditAction.ORGANIZATION_SUSPENDED,
            target_type="organization",
            target_id=nour.id,
            organization_id=nour.id,
            reason="Spam complaint",
        )
        db.session.commit()

    def entries(path: str) -> str:  # the list, after the filters (whose menu names every decision)
        html = client.get(path).get_data(as_text=True)
        return html[html.index("</form>", html.index("log-filters")) :]

    html = entries("/moderation/log")
    assert html.index("Organization suspended") < html.index("Organization approved")
    assert "Spam complaint" in html and "mod@example.org" in html

    by_slug = entries("/moderation/log?organization=nour")
    assert "Organization suspended" in by_slug and "Organization approved" not in by_slug
    by_id = entries(f"/moderation/log?organization={amal.id}")
    assert "Organization approved" in by_id and "Organization suspended" not in by_id
    nobody = client.get("/moderation/log?organization=nobody")
    assert nobody.status_code == 200
    assert "No decision matches these filters." in nobody.get_data(as_text=True)


def test_log_is_paginated_with_constant_queries(app, client, auth, count_queries):
    moderator_id = login_moderator(app, auth)
    with app_context(app):
        organization_id = make_organization().id
        db.session.commit()

    def add(n):
        with app_context(app):
            moderator = db.session.get(User, moderator_id)
            for _ in range(n):
                audit.record(
                    moderator,
                    AuditAction.ORGANIZATION_APPROVED,
                    target_type="organization",
                    target_id=organization_id,
                    organization_id=organization_id,
                )
            db.session.commit()

    add(3)
    with count_queries() as few:
        client.get("/moderation/log")
    add(60)
    with count_queries() as many:
        response = client.get("/moderation/log")
    assert many.count == few.count
    assert 'rel="next"' in response.get_data(as_text=True)
    assert client.get("/moderation/log?page=2").status_code == 200
    assert client.get("/moderation/log?page=99").status_code == 404


def test_moderators_cannot_manage_roles(app, client, auth):
    login_moderator(app, auth)
    with app_context(app):
        member = make_user()
        db.session.commit()
    assert client.get("/moderation/users").status_code == 403
    before = row_counts(app)
    assert client.post(f"/moderation/users/{member.id}/promote").status_code == 403
    assert row_counts(app) == before


def test_admin_promotes_a_member_and_demotes_them_again(app, client, auth):
    admin_id = login_moderator(app, auth, admin=True, email="admin@example.org")
    with app_context(app):
        member = make_user(email="amal@example.org")
        db.session.commit()
    assert "amal@example.org" in client.get("/moderation/users").get_data(as_text=True)

    assert client.post(f"/moderation/users/{member.id}/promote").status_code == 302
    assert role_of(app, member.id) == Role.MODERATOR
    assert client.post(f"/moderation/users/{member.id}/demote").status_code == 302
    assert role_of(app, member.id) == Role.MEMBER
    entries = scalars(app, sa.select(AuditEntry).order_by(AuditEntry.id))
    assert [(e.action, e.actor_id, e.target_id) for e in entries] == [
        (AuditAction.USER_PROMOTED, admin_id, member.id),
        (AuditAction.USER_DEMOTED, admin_id, member.id),
    ]


def test_admin_cannot_demote_themselves(app, client, auth):
    admin_id = login_moderator(app, auth, admin=True, email="admin@example.org")
    before = row_counts(app)
    response = client.post(f"/moderation/users/{admin_id}/demote", follow_redirects=True)
    assert "cannot demote yourself" in response.get_data(as_text=True)
    assert row_counts(app) == before
    assert role_of(app, admin_id) == Role.ADMIN


def test_moderator_without_organization_cannot_become_a_member(app, client, auth):
    login_moderator(app, auth, admin=True, email="admin@example.org")
    with app_context(app):
        other = make_moderator(email="other@example.org")
        db.session.commit()
    before = row_counts(app)
    client.post(f"/moderation/users/{other.id}/demote")
    assert row_counts(app) == before
    assert role_of(app, other.id) == Role.MODERATOR


def test_services_check_the_actor_role(app_ctx):
    member = make_user()
    pending = make_organization(status=OrganizationStatus.PENDING)
    for decision in (
        lambda: moderation_service.approve_organization(member, pending),
        lambda: moderation_service.reject_organization(member, pending, "no"),
        lambda: moderation_service.promote_user(member, member),
    ):
        with pytest.raises(NotAllowed):
            decision()
    moderator = make_moderator()
    with pytest.raises(NotAllowed):
        moderation_service.promote_user(moderator, member)


def test_create_moderator_command(app):
    result = run_command(
        app, "create-moderator", "--email", "Mod@Example.org", "--password", "a long and quiet evening"
    )
    assert result.exit_code == 0, result.output
    with app_context(app):
        user = db.session.scalar(sa.select(User).where(User.email == "mod@example.org"))
        assert user.role == Role.MODERATOR
        assert verify_password(user.password_hash, "a long and quiet evening")
    assert "a long and quiet evening" not in result.output


def test_create_moderator_prompts_for_a_hidden_password(app):
    password = "another long quiet evening"
    with app.app_context():
        result = app.test_cli_runner().invoke(
            args=["create-moderator", "--email", "admin@example.org", "--admin"],
            input=f"{password}\n{password}\n",
        )
    assert result.exit_code == 0, result.output
    assert password not in result.output
    user = scalar(app, sa.select(User).where(User.email == "admin@example.org"))
    assert user.role == Role.ADMIN


def test_create_moderator_refuses_weak_password_and_duplicates(app):
    weak = run_command(app, "create-moderator", "--email", "m@example.org", "--password", "short")
    assert weak.exit_code != 0 and "12 characters" in weak.output
    with app_context(app):
        make_user(email="taken@example.org")
        db.session.commit()
    before = row_counts(app)
    taken = run_command(
        app, "create-moderator", "--email", "taken@example.org", "--password", "a long and quiet evening"
    )
    assert taken.exit_code != 0
    assert row_counts(app) == before


def test_log_names_decisions_in_the_readers_language(app, client, auth):
    moderator_id = login_moderator(app, auth)
    with app_context(app):
        organization = make_organization("Nour")
        audit.record(
            db.session.get(User, moderator_id),
            AuditAction.ORGANIZATION_APPROVED,
            target_type="organization",
            target_id=organization.id,
            organization_id=organization.id,
        )
        db.session.commit()

    english = client.get("/moderation/log").get_data(as_text=True)
    arabic = client.get("/moderation/log?lang=ar").get_data(as_text=True)
    english = english[english.index("</form>", english.index("log-filters")) :]  # after the menu
    assert "Organization approved" in english and "organization.approved" not in english
    assert "قُبلت المنظمة" in arabic


def test_log_filters_by_name_decision_moderator_and_dates(app, client, auth, count_queries):
    from datetime import UTC, datetime

    moderator_id = login_moderator(app, auth)

    def add(actor, action, organization, when, reason=""):
        entry = audit.record(
            actor, action, target_type="organization", target_id=organization.id,
            organization_id=organization.id, reason=reason,
        )  # fmt: skip
        entry.created_at = when

    with app_context(app):
        moderator = db.session.get(User, moderator_id)
        other = make_moderator(email="second@example.org")
        tigris = make_organization("Friends of the Tigris", slug="friends-tigris")
        marsh = make_organization("جمعية الأهوار", slug="ahwar")
        add(moderator, AuditAction.ORGANIZATION_APPROVED, tigris, datetime(2026, 3, 1, 10, tzinfo=UTC), "t1")
        add(other, AuditAction.ORGANIZATION_SUSPENDED, tigris, datetime(2026, 3, 20, 10, tzinfo=UTC), "t2")
        # 22:00 UTC on 2 April is 01:00 on 3 April in Iraq, the day the log shows and the filter means
        add(other, AuditAction.ORGANIZATION_APPROVED, marsh, datetime(2026, 4, 2, 22, tzinfo=UTC), "m1")
        db.session.commit()
        other_id = other.id

    def reasons(query: str) -> list[str]:
        response = client.get(f"/moderation/log?{query}")
        assert response.status_code == 200, query
        return re.findall(r'<p class="reason"[^>]*>([^<]+)</p>', response.get_data(as_text=True))

    assert reasons("organization=tigris") == ["t2", "t1"]  # part of a name, any case
    assert reasons("organization=الأهوار") == ["m1"]
    assert reasons("action=organization.approved") == ["m1", "t1"]
    assert reasons("moderator=second") == ["m1", "t2"]
    assert reasons("from=2026-03-02&to=2026-04-03") == ["m1", "t2"]  # the last day included
    assert reasons("from=2026-03-02&to=2026-04-02") == ["t2"]  # days in Iraq time
    assert reasons("from=2026-04-03") == ["m1"]
    assert reasons("organization=Tigris&action=organization.approved&moderator=mod@") == ["t1"]
    assert reasons("organization=no such group") == []
    assert reasons("organization=100%25") == []  # % is a character, not a wildcard

    bad = client.get("/moderation/log?from=21/03/2026")
    assert bad.status_code == 400
    assert "Give the date as year-month-day" in bad.get_data(as_text=True)

    with count_queries() as one:
        client.get("/moderation/log?organization=tigris&moderator=second")
    with app_context(app):
        other = db.session.get(User, other_id)
        for n in range(5):
            add(
                other,
                AuditAction.ORGANIZATION_APPROVED,
                make_organization(f"Tigris {n}"),
                datetime(2026, 5, 1, tzinfo=UTC),
            )
        db.session.commit()
    with count_queries() as more:
        client.get("/moderation/log?organization=tigris&moderator=second")
    assert more.count == one.count

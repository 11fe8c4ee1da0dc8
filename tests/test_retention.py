"""Retention: each purge rule erases exactly what is past its time, at a fixed "now"; `flask purge`
prints counts only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditAction, AuditEntry, Organization, OrganizationStatus, User
from app.services import moderation, retention
from tests.builders import make_moderator, make_organization, make_user
from tests.conftest import app_context, count, run_command

NOW = datetime(2027, 6, 1, 12, 0, tzinfo=UTC)


def exists(slug: str) -> bool:
    return db.session.scalar(sa.select(Organization.id).where(Organization.slug == slug)) is not None


def application(slug: str, *, age: timedelta, confirmed: bool, status=OrganizationStatus.PENDING):
    org = make_organization(slug=slug, status=status, created_at=NOW - age, submitted_at=NOW - age)
    make_user(org, email=f"{slug}@example.org", confirmed=confirmed)
    return org


def test_the_rules_are_registered_in_order():
    assert list(retention.RULES)[:3] == [
        "unconfirmed_applications",
        "rejected_applications",
        "deleted_organizations",
    ]


@pytest.mark.usefixtures("app_ctx")
def test_applications_never_confirmed_are_erased_after_30_days():
    application("old-unconfirmed", age=timedelta(days=31), confirmed=False)
    application("young-unconfirmed", age=timedelta(days=29), confirmed=False)
    application("old-confirmed", age=timedelta(days=90), confirmed=True)
    approved = make_organization(slug="approved-unconfirmed", created_at=NOW - timedelta(days=90))
    make_user(approved, confirmed=False)
    db.session.commit()

    assert retention.purge_unconfirmed_applications(NOW) == 1
    db.session.commit()
    assert not exists("old-unconfirmed")
    assert db.session.scalar(sa.select(User).where(User.email == "old-unconfirmed@example.org")) is None
    assert exists("young-unconfirmed") and exists("old-confirmed") and exists("approved-unconfirmed")


@pytest.mark.usefixtures("app_ctx")
def test_rejected_applications_are_erased_after_the_configured_time():
    moderator = make_moderator()
    old = application("rejected-long-ago", age=timedelta(days=400), confirmed=True)
    recent = application("rejected-lately", age=timedelta(days=400), confirmed=True)
    db.session.commit()
    for org, days_ago in ((old, 181), (recent, 10)):
        moderation.reject_organization(moderator, org, "Not a civil-society organization.")
        entry = db.session.scalar(
            sa.select(AuditEntry).where(
                AuditEntry.organization_id == org.id, AuditEntry.action == AuditAction.ORGANIZATION_REJECTED
            )
        )
        entry.created_at = NOW - timedelta(days=days_ago)
    # Rejected before the log: counted from its last submission.
    application(
        "rejected-unlogged", age=timedelta(days=200), confirmed=True, status=OrganizationStatus.REJECTED
    )
    db.session.commit()

    assert retention.purge_rejected_applications(NOW) == 2
    db.session.commit()
    assert not exists("rejected-long-ago") and not exists("rejected-unlogged")
    assert exists("rejected-lately")
    # The moderator's decision stays in the log, pseudonymized.
    kept = db.session.scalar(
        sa.select(AuditEntry).where(
            AuditEntry.target_id == old.id, AuditEntry.action == AuditAction.ORGANIZATION_REJECTED
        )
    )
    assert kept is not None and kept.organization_id is None


def test_the_rejection_time_is_a_setting(make_app):
    short = make_app(REJECTED_APPLICATION_RETENTION_DAYS=7)
    with short.app_context():
        application(
            "rejected-8-days", age=timedelta(days=8), confirmed=True, status=OrganizationStatus.REJECTED
        )
        db.session.commit()
        assert retention.purge_rejected_applications(NOW) == 1
        db.session.commit()
        assert not exists("rejected-8-days")
        db.session.remove()
        from tests.conftest import empty_all_tables

        empty_all_tables()


@pytest.mark.usefixtures("app_ctx")
def test_deleted_organizations_are_erased_once_the_grace_period_is_over():
    over = make_organization(slug="grace-over", deletion_requested_at=NOW - timedelta(days=14))
    make_user(over)
    waiting = make_organization(slug="grace-running", deletion_requested_at=NOW - timedelta(days=13))
    make_user(waiting)
    db.session.commit()

    assert retention.purge_deleted_organizations(NOW) == 1
    db.session.commit()
    assert not exists("grace-over") and exists("grace-running")


@pytest.mark.usefixtures("app_ctx")
def test_another_area_plugs_its_rule_in():
    calls = []
    rule = retention.PurgeRule("test_records", "records of the test", lambda now: calls.append(now) or 3)
    retention.register(rule)
    try:
        assert retention.purge(NOW)["test_records"] == 3
        assert calls == [NOW]
        with pytest.raises(ValueError):
            retention.register(retention.PurgeRule("test_records", "again", lambda now: 0))
    finally:
        retention.RULES.pop("test_records")


def test_flask_purge_prints_counts_only(app):
    with app_context(app):
        application("stale-unconfirmed", age=timedelta(days=400), confirmed=False)
        db.session.commit()
    result = run_command(app, "purge")
    assert result.exit_code == 0, result.output
    assert "unconfirmed_applications: 1 erased" in result.output
    assert "rejected_applications: 0 erased" in result.output
    assert "deleted_organizations: 0 erased" in result.output
    assert "login_records: 0 erased" in result.output
    assert "access_records: 0 erased" in result.output
    assert "stale-unconfirmed" not in result.output
    with app_context(app):
        assert not exists("stale-unconfirmed")


def test_flask_purge_erases_login_and_access_records_older_than_180_days(app):
    from app.models import ContactDetailView, LoginSession

    now = datetime.now(UTC)
    with app_context(app):
        org = make_organization(name="Records Org", slug="records-org")
        viewed = make_organization(name="Viewed Org", slug="viewed-org")
        user = make_user(org, email="records@example.org")
        for days in (10, 400):
            seen = now - timedelta(days=days)
            db.session.add(LoginSession(user_id=user.id, created_at=seen, last_seen_at=seen))
            db.session.add(
                ContactDetailView(viewer_id=user.id, organization_id=viewed.id, day=seen.date(), views=1)
            )
        db.session.commit()

    result = run_command(app, "purge")
    assert result.exit_code == 0, result.output
    assert "login_records: 1 erased" in result.output
    assert "access_records: 1 erased" in result.output
    assert count(app, LoginSession) == 1
    assert count(app, ContactDetailView) == 1

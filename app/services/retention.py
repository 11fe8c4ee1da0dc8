"""How long the site keeps what it no longer needs, and the rules that erase it.

``flask purge`` (run daily by the scheduler, like ``flask refresh-counters``) calls
:func:`purge` with the current time: every registered rule erases what is past its time and
says how many things it erased. The command prints those counts, never what was erased.

A rule is a name, a sentence saying what it erases, and a function ``run(now) -> int`` that
erases (through the services, flushing, never committing) and returns how many it erased.
Another area adds its own with::

    from app.services import retention

    retention.register(
        retention.PurgeRule(
            "login_records",
            "login and access records older than 180 days",
            purge_old_login_records,
        )
    )

at import time of its service module (imported by the application factory). Every rule is
tested with a fixed ``now`` (tests/test_retention.py).

The rules of this module:

* ``unconfirmed_applications``: a pending application none of whose people ever confirmed
  an email address, older than ``UNCONFIRMED_APPLICATION_RETENTION_DAYS`` (30).
* ``rejected_applications``: a rejected application not sent again within
  ``REJECTED_APPLICATION_RETENTION_DAYS`` (180) of its latest rejection.
* ``deleted_organizations``: an organization whose deletion was asked for longer ago than
  ``ORGANIZATION_DELETION_GRACE_DAYS`` (14).
* ``notifications``: notifications older than 180 days.
* ``login_records`` and ``access_records``: login records unused, and access-log days older,
  than 180 days.

Each erases the organization as app/services/leaving.py does for a deletion.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.models import AuditAction, AuditEntry, Organization, OrganizationStatus, User
from app.services import access_log, leaving, login_sessions, notifications


@dataclass(frozen=True)
class PurgeRule:
    name: str
    description: str
    run: Callable[[datetime], int]


RULES: dict[str, PurgeRule] = {}


def register(rule: PurgeRule) -> PurgeRule:
    """Add a rule (its name must be new)."""
    if rule.name in RULES and RULES[rule.name] is not rule:
        raise ValueError(f"a purge rule named {rule.name!r} exists already")
    RULES[rule.name] = rule
    return rule


def purge(now: datetime) -> dict[str, int]:
    """Run every rule in the order they were registered; {rule name: how many erased}."""
    return {name: rule.run(now) for name, rule in list(RULES.items())}


def _days(setting: str) -> timedelta:
    return timedelta(days=int(current_app.config[setting]))


def _erase_all(organizations: list[Organization], why: str) -> int:
    for organization in organizations:
        leaving.erase_organization(organization, why)
    return len(organizations)


def purge_unconfirmed_applications(now: datetime) -> int:
    cutoff = now - _days("UNCONFIRMED_APPLICATION_RETENTION_DAYS")
    confirmed = sa.exists().where(
        User.organization_id == Organization.id, User.email_confirmed_at.is_not(None)
    )
    organizations = db.session.scalars(
        sa.select(Organization)
        .where(
            Organization.status == OrganizationStatus.PENDING,
            Organization.created_at < cutoff,
            ~confirmed,
        )
        .order_by(Organization.id)
    ).all()
    return _erase_all(list(organizations), "application never confirmed")


def purge_rejected_applications(now: datetime) -> int:
    cutoff = now - _days("REJECTED_APPLICATION_RETENTION_DAYS")
    latest_rejection = (
        sa.select(sa.func.max(AuditEntry.created_at))
        .where(
            AuditEntry.organization_id == Organization.id,
            AuditEntry.action == AuditAction.ORGANIZATION_REJECTED,
        )
        .scalar_subquery()
    )
    # An application rejected before the log existed counts from its last submission.
    rejected_at = sa.func.coalesce(latest_rejection, Organization.submitted_at)
    organizations = db.session.scalars(
        sa.select(Organization)
        .where(Organization.status == OrganizationStatus.REJECTED, rejected_at < cutoff)
        .order_by(Organization.id)
    ).all()
    return _erase_all(list(organizations), "rejected application not sent again")


def purge_deleted_organizations(now: datetime) -> int:
    cutoff = now - _days("ORGANIZATION_DELETION_GRACE_DAYS")
    organizations = db.session.scalars(
        sa.select(Organization)
        .where(Organization.deletion_requested_at.is_not(None), Organization.deletion_requested_at <= cutoff)
        .order_by(Organization.id)
    ).all()
    return _erase_all(list(organizations), "deleted at its owners' request")


register(
    PurgeRule(
        "unconfirmed_applications",
        "applications whose email address was never confirmed",
        purge_unconfirmed_applications,
    )
)
register(
    PurgeRule(
        "rejected_applications",
        "rejected applications not sent again",
        purge_rejected_applications,
    )
)
register(
    PurgeRule(
        "deleted_organizations",
        "organizations deleted by their owners, once the grace period is over",
        purge_deleted_organizations,
    )
)
# Login records and the access log of private contact details: 180 days, as the member's
# pages say (app/services/login_sessions.py, app/services/access_log.py).
register(
    PurgeRule(
        "login_records",
        "login records not used for 180 days",
        login_sessions.purge_old_login_records,
    )
)
register(
    PurgeRule(
        "access_records",
        "records of who was shown private contact details, older than 180 days",
        access_log.purge_old_access_records,
    )
)
# Notifications: the page shows the latest; a digest takes a waiting one within a week.
register(
    PurgeRule(
        "notifications",
        "notifications older than 180 days",
        notifications.purge_old_notifications,
    )
)

"""Whether an organization, and everything it owns, is in public view: decided here, once.

An organization is *publicly listed* when it is approved, has not gone dark, has not been
delisted by a moderator and is not waiting out the grace period of its deletion. Only then
do its profile, logo, pledges, projects and project links appear anywhere the network shows
organizations to people outside it (visitors, and members of other organizations alike):
the directory and its filters, profiles, campaign supporter lists and their "some are not
named" note, project lists and pages, the home page, search, and the public numbers
(app/services/counters.py counts a pledge only while its organization is listed, under the
rule for numbers that move).

Every public query filters on :func:`publicly_listed`; Python code that holds an
organization already asks :func:`is_publicly_listed`, which says the same (a test compares
the two on every combination). A new door (an API, a feed, a sitemap, an export of the
directory) that reads organizations or what they own through app/services/directory.py, or
filters on :func:`publicly_listed`, gets the rule for free; tests/test_going_dark.py walks
every GET route of the application as a visitor and fails when one shows a dark
organization.

The organization's own users and the moderators still see it where they work (the
dashboard, the moderation pages), never on the public pages.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.models import Organization, OrganizationStatus


def publicly_listed(organization: Any = Organization) -> sa.ColumnElement[bool]:
    """SQL: the organization (``Organization`` or an alias of it) is in public view."""
    return sa.and_(
        organization.status == OrganizationStatus.APPROVED,
        organization.dark_at.is_(None),
        organization.delisted_at.is_(None),
        organization.deletion_requested_at.is_(None),
    )


def is_publicly_listed(organization: Organization) -> bool:
    """The same rule as :func:`publicly_listed`, for an organization already loaded."""
    return (
        organization.status == OrganizationStatus.APPROVED
        and organization.dark_at is None
        and organization.delisted_at is None
        and organization.deletion_requested_at is None
    )

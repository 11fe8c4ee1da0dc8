"""Who looked at an organization's private contact details: recorded where they are shown.

Each time a member of another organization, or a moderator, is shown an organization's
members-only or hidden contact details, one statement adds one to the count of that viewer,
that organization and that day (UTC): an upsert, so a page costs one write however often it
is seen. The two doors are the profile page (``directory.visible_contacts`` decides what a
viewer sees and calls ``record_views``) and the moderators' pages that show an application in
full (``record_review``). The organization reads its log on /account/access-log; nothing of
it is public. Rows are purged after 180 days (``purge_old_access_records``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import CONTACT_FIELDS, ContactDetailView, Organization, Visibility
from app.models.base import utcnow

RETENTION = timedelta(days=180)


def private_fields(organization: Organization, shown: Iterable[str] = CONTACT_FIELDS) -> list[str]:
    """The fields among ``shown`` that hold a value the public does not see."""
    return [
        field
        for field in shown
        if getattr(organization, field) and getattr(organization, f"{field}_visibility") != Visibility.PUBLIC
    ]


def _is_outsider(viewer: Any, organization: Organization) -> bool:
    """A member of another organization, or a moderator: not the organization's own members."""
    if not getattr(viewer, "is_authenticated", False):
        return False
    return viewer.organization_id is None or viewer.organization_id != organization.id


def record_views(viewer: Any, organizations: Iterable[Organization], *, now: datetime | None = None) -> None:
    """Count one view of their private contact details by ``viewer`` for each organization, today.

    The caller has decided that the viewer is shown non-public details of each. The viewer's own
    organization is left out. One INSERT ... ON CONFLICT DO UPDATE for all of them."""
    targets = sorted({org.id for org in organizations if _is_outsider(viewer, org)})
    if not targets:
        return
    day = (now or utcnow()).date()
    rows = [
        {
            "organization_id": organization_id,
            "viewer_id": viewer.id,
            "viewer_organization_id": viewer.organization_id,
            "viewer_is_moderator": bool(viewer.is_moderator),
            "day": day,
            "views": 1,
        }
        for organization_id in targets
    ]
    table = ContactDetailView.__table__
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(table).values(rows)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.organization_id, table.c.viewer_id, table.c.day],
        set_={"views": table.c.views + 1},
    )
    db.session.execute(statement)


def record_review(
    moderator: Any, organizations: Iterable[Organization], *, now: datetime | None = None
) -> None:
    """Moderators' pages show an application whole, hidden details included: record a view for
    each organization that has any non-public contact detail."""
    record_views(moderator, [org for org in organizations if private_fields(org)], now=now)


def access_log_page(organization: Organization, page: int = 1, per_page: int | None = None) -> Pagination:
    """The organization's access log, newest day first (two queries)."""
    statement = (
        sa.select(ContactDetailView)
        .where(ContactDetailView.organization_id == organization.id)
        .options(joinedload(ContactDetailView.viewer_organization))
        .order_by(ContactDetailView.day.desc(), ContactDetailView.id.desc())
    )
    # error_out: a page number below 1 or past the last page is a 404, never a 500.
    per_page = per_page or current_app.config["PAGE_SIZE"]
    return db.paginate(statement, page=page, per_page=per_page, error_out=True, max_per_page=100)


def purge_old_access_records(now: datetime) -> int:
    """Delete the access-log rows of days more than 180 days before ``now``. Returns how many."""
    result = db.session.execute(
        sa.delete(ContactDetailView)
        .where(ContactDetailView.day < (now - RETENTION).date())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount

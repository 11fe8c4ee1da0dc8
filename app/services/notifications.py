"""In-site notifications for people with an account: what happened on what they follow.

The header shows how many updates arrived since the member last marked their notifications as
read: a counter on the user's own row (``users.unread_notifications``), moved by the one
statement that publishes an update, so no page pays a query for it. The notifications page
lists the updates on what the member follows, newest first, through the same visibility filter
as every public list (app/services/updates.py), so a notification never shows what its reader
may not see, even if the update or its organization went out of view after it was counted.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import Follow, Update, User
from app.services.visibility import is_publicly_listed

PAGE_SIZE = 20


def followers_of_update(update: Update) -> sa.Select:
    """The ids of the accounts that follow what ``update`` is about."""
    keys = []
    if update.campaign_id is not None:
        keys.append(f"campaign:{update.campaign_id}")
    if update.project_id is not None and update.campaign_id is None:
        keys.append(f"project:{update.project_id}")
    if update.organization_id is not None:
        keys.append(f"organization:{update.organization_id}")
    return sa.select(Follow.user_id).where(Follow.subject_key.in_(keys), Follow.user_id.is_not(None))


def update_published(update: Update) -> None:
    """Count a new update for every account following what it is about (not its author); nothing
    when its organization is out of public view (it shows nowhere)."""
    if update.organization is not None and not is_publicly_listed(update.organization):
        return
    db.session.execute(
        sa.update(User)
        .where(User.id.in_(followers_of_update(update)), User.id != (update.author_id or -1))
        .values(unread_notifications=User.unread_notifications + 1)
        .execution_options(synchronize_session=False)
    )


def _key(kind: str, column: Any) -> sa.ColumnElement[str]:
    """SQL: a follow's subject key ("campaign:3") for the id in ``column``."""
    return sa.literal(f"{kind}:", sa.String) + sa.cast(column, sa.String)


def _followed_updates(user: User) -> sa.Select:
    from app.services.updates import _shown_updates

    follows = sa.select(Follow.subject_key).where(Follow.user_id == user.id).scalar_subquery()
    on_campaign = _key("campaign", Update.campaign_id)
    on_project = _key("project", Update.project_id)
    by_organization = _key("organization", Update.organization_id)
    return _shown_updates().where(
        sa.or_(
            sa.and_(Update.campaign_id.is_not(None), on_campaign.in_(follows)),
            sa.and_(Update.campaign_id.is_(None), on_project.in_(follows)),
            sa.and_(Update.organization_id.is_not(None), by_organization.in_(follows)),
        )
    )


def page(user: User, locale: str, number: int = 1) -> dict[str, Any]:
    """One page of the updates on what ``user`` follows, in ``locale``, and how many are new."""
    from app.services.updates import UpdatePage, localized

    number = min(max(number, 1), 10_000)
    rows = list(
        db.session.scalars(
            _followed_updates(user)
            .options(joinedload(Update.campaign))
            .limit(PAGE_SIZE + 1)
            .offset((number - 1) * PAGE_SIZE)
        ).unique()
    )
    items = rows[:PAGE_SIZE]
    return {
        "updates": UpdatePage(items=items, page=number, has_next=len(rows) > PAGE_SIZE),
        "shown": localized(items, locale),
        "unread": user.unread_notifications if number == 1 else 0,
    }


def mark_read(user: User) -> None:
    user.unread_notifications = 0
    db.session.flush()

"""Notifications of events other than updates (app/services/notifications.py), and addresses the
mail server refused for good."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTCDateTime, utcnow

# What a person chooses for each kind of notification: mail at once, in the daily or weekly
# digest, or never (the in-site notification still appears).
CHOICES = ("now", "daily", "weekly", "never")


class Notification(db.Model):
    """One event for one reader (a moderator, a member, a follower who chose "at once").

    ``params`` holds ids and the words the reader may read (a reason, an organization's name);
    what a follower reads is looked up again, through the visibility rules, when it is shown.
    ``mail_due`` is the reader's choice when it happened ("now", "daily", "weekly"; NULL: no
    mail); ``mailed_at`` is set once a mail (at once or a digest) carried it.
    """

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(30))
    params: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    mail_due: Mapped[str | None] = mapped_column(sa.String(10))
    mailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        sa.Index("ix_notifications_user_created", "user_id", "created_at"),
        sa.Index("ix_notifications_due", "mail_due", "mailed_at"),
    )


class MailBounce(db.Model):
    """An address the mail server refused for good (or an operator marked): no more digests or
    notification mail go to it; account mail (password reset, ...) still tries."""

    __tablename__ = "mail_bounces"

    address: Mapped[str] = mapped_column(sa.String(254), primary_key=True)  # lower-cased
    reason: Mapped[str] = mapped_column(sa.String(200), default="")
    bounced_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

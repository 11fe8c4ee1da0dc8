"""Following: a member (from their account) or a visitor (by email, confirmed by a double
opt-in link) follows a campaign, an organization or a project."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTCDateTime, utcnow

FOLLOWABLE = ("campaign", "organization", "project")
# How often a follower hears of what happened: a daily or a weekly digest, or never.
FREQUENCIES = ("daily", "weekly", "never")
DEFAULT_FREQUENCY = "weekly"


class Follow(db.Model):
    """One follower of one subject. A visitor's row exists only once they confirmed by the
    link mailed to them (nothing is written before); it carries their address and language.

    ``follower_key`` ("user:5", "email:ana@example.org") and ``subject_key`` ("campaign:3")
    make "follows once" a plain unique constraint; the foreign keys make a deleted account or
    subject take its follows with it.
    """

    __tablename__ = "follows"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    email: Mapped[str | None] = mapped_column(sa.String(254))  # stored lower-cased
    locale: Mapped[str | None] = mapped_column(sa.String(8))  # a visitor's language
    campaign_id: Mapped[int | None] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="CASCADE"))
    organization_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organizations.id", ondelete="CASCADE"))
    project_id: Mapped[int | None] = mapped_column(sa.ForeignKey("projects.id", ondelete="CASCADE"))
    follower_key: Mapped[str] = mapped_column(sa.String(270))
    subject_key: Mapped[str] = mapped_column(sa.String(40), index=True)
    frequency: Mapped[str] = mapped_column(
        sa.String(10), default=DEFAULT_FREQUENCY, server_default=DEFAULT_FREQUENCY
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("follower_key", "subject_key", name="follows_once"),
        sa.CheckConstraint("(user_id IS NULL) <> (email IS NULL)", name="one_follower"),
        sa.CheckConstraint("frequency IN ('daily', 'weekly', 'never')", name="frequency_known"),
        sa.Index("ix_follows_frequency_follower", "frequency", "follower_key"),
        sa.CheckConstraint(
            "(CASE WHEN campaign_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN organization_id IS NULL THEN 0 "
            "ELSE 1 END) + (CASE WHEN project_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="one_subject",
        ),
    )

    @property
    def kind(self) -> str:
        return self.subject_key.partition(":")[0]


class DigestDelivery(db.Model):
    """One digest of one reader for one period ("daily" 2026-12-01, "weekly" 2026-W49): the
    unique constraint makes a second run for the same period send nothing more. ``window_end``
    is where the reader's next digest of that kind starts."""

    __tablename__ = "digest_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    follower_key: Mapped[str] = mapped_column(sa.String(270))
    period: Mapped[str] = mapped_column(sa.String(10))
    period_key: Mapped[str] = mapped_column(sa.String(12))
    window_start: Mapped[datetime] = mapped_column(UTCDateTime)
    window_end: Mapped[datetime] = mapped_column(UTCDateTime)
    item_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("follower_key", "period", "period_key", name="one_digest_per_period"),
        sa.CheckConstraint("period IN ('daily', 'weekly')", name="period_known"),
        sa.Index("ix_digest_deliveries_follower_period_end", "follower_key", "period", "window_end"),
    )

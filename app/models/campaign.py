"""Campaigns of the Iraqi Social Forum, curated by moderators."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow
from app.models.enums import CampaignStatus, enum_column

if TYPE_CHECKING:
    from app.models.pledge import Pledge


# The accent colours a campaign may take; each has a `.accent-<key>` rule in tadamun.css.
ACCENTS = ("tigris", "reed", "clay", "saffron", "rose", "slate")


class Campaign(db.Model):
    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    title: Mapped[str] = mapped_column(sa.String(160))
    summary: Mapped[str] = mapped_column(sa.String(300))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[CampaignStatus] = mapped_column(
        enum_column(CampaignStatus, "campaign_status"), default=CampaignStatus.ACTIVE
    )
    # A key of ACCENTS, rendered as a CSS class (no inline styles: the CSP forbids them).
    accent: Mapped[str] = mapped_column(sa.String(20), default="tigris")
    position: Mapped[int] = mapped_column(default=0, server_default="0")  # order on the home page

    # What search indexes: the row's text in every language, folded and stemmed in Python
    # (app.search_engine.engine keeps it current on every flush). Never loaded with the row.
    search_title: Mapped[str | None] = mapped_column(sa.Text, deferred=True)
    search_body: Mapped[str | None] = mapped_column(sa.Text, deferred=True)

    # Counters kept by the services in the same transaction as the change that moves them
    # (pledge, withdrawal, approval, suspension, project link); `flask recount` rebuilds them.
    # Supporters: active pledges of approved organizations, all visibilities.
    supporter_count: Mapped[int] = mapped_column(default=0, server_default="0")
    iraqi_supporter_count: Mapped[int] = mapped_column(default=0, server_default="0")
    project_count: Mapped[int] = mapped_column(default=0, server_default="0")

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    pledges: Mapped[list[Pledge]] = relationship(back_populates="campaign", passive_deletes=True)
    translations: Mapped[list[CampaignTranslation]] = relationship(
        back_populates="campaign", cascade="all, delete-orphan", passive_deletes=True
    )

    __table_args__ = (
        sa.CheckConstraint("supporter_count >= 0", name="supporter_count_positive"),
        sa.CheckConstraint(
            "iraqi_supporter_count >= 0 AND iraqi_supporter_count <= supporter_count",
            name="iraqi_supporter_count_range",
        ),
        sa.CheckConstraint("project_count >= 0", name="project_count_positive"),
        sa.Index("ix_campaigns_status_position", "status", "position", "id"),
        sa.CheckConstraint(
            "accent IN ('tigris', 'reed', 'clay', 'saffron', 'rose', 'slate')", name="accent_known"
        ),
    )

    @property
    def is_active(self) -> bool:
        return self.status == CampaignStatus.ACTIVE

    @property
    def international_supporter_count(self) -> int:
        return self.supporter_count - self.iraqi_supporter_count

    def __repr__(self) -> str:
        return f"<Campaign {self.slug}>"


class CampaignTranslation(db.Model):
    """A campaign's title, summary and description in one more language."""

    __tablename__ = "campaign_translations"

    campaign_id: Mapped[int] = mapped_column(
        sa.ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    locale: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(160))
    summary: Mapped[str] = mapped_column(sa.String(300))
    description: Mapped[str] = mapped_column(sa.Text, default="")

    campaign: Mapped[Campaign] = relationship(back_populates="translations")

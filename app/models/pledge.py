"""An organization's pledge of support to a campaign."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow
from app.models.enums import PledgeVisibility, SupportKind, enum_column

if TYPE_CHECKING:
    from app.models.campaign import Campaign
    from app.models.organization import Organization


class Pledge(db.Model):
    __tablename__ = "pledges"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id", ondelete="CASCADE"))
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="CASCADE"))
    # Kinds of support as a space-separated list of SupportKind values, e.g. "advocacy funding".
    support_kinds: Mapped[str] = mapped_column(sa.String(200))
    message: Mapped[str] = mapped_column(sa.Text, default="")
    visibility: Mapped[PledgeVisibility] = mapped_column(
        enum_column(PledgeVisibility, "pledge_visibility"), default=PledgeVisibility.PUBLIC
    )
    # A moderator may hide a message that breaks the rules; the organization sees why.
    message_hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    message_hidden_reason: Mapped[str | None] = mapped_column(sa.Text)

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # How the pledge adds to its campaign's public numbers: whether it counts, and on which side
    # of the Iraqi/international split. Set when the organization acts on the pledge, at once for
    # a public pledge, and for a hidden one only by the scheduled refresh (app/services/counters.py):
    # the numbers must not move when a public event names one organization.
    counted: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    counted_iraqi: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    organization: Mapped[Organization] = relationship(back_populates="pledges")
    campaign: Mapped[Campaign] = relationship(back_populates="pledges")

    __table_args__ = (
        # One active pledge per organization and campaign: a double click or a second tab
        # cannot create two, whatever the application code does.
        sa.Index(
            "uq_pledges_active_organization_campaign",
            "organization_id",
            "campaign_id",
            unique=True,
            sqlite_where=sa.text("withdrawn_at IS NULL"),
            postgresql_where=sa.text("withdrawn_at IS NULL"),
        ),
        # Supporters of a campaign, newest first; newest pledges on the home page.
        sa.Index("ix_pledges_campaign_active_created", "campaign_id", "withdrawn_at", "created_at"),
        sa.Index("ix_pledges_organization_active", "organization_id", "withdrawn_at"),
        sa.Index("ix_pledges_created_at", "created_at"),
        # The newest named pledges across campaigns (home page), read backwards from the top.
        sa.Index("ix_pledges_active_created", "withdrawn_at", "created_at", "id"),
        sa.CheckConstraint("support_kinds <> ''", name="support_kinds_not_empty"),
        # A withdrawn pledge never counts.
        sa.CheckConstraint("withdrawn_at IS NULL OR NOT counted", name="withdrawn_not_counted"),
        # The campaign counters' one aggregate reads only this index.
        sa.Index("ix_pledges_campaign_counted", "campaign_id", "counted", "counted_iraqi"),
    )

    @property
    def is_active(self) -> bool:
        return self.withdrawn_at is None

    @property
    def kinds(self) -> list[SupportKind]:
        return [SupportKind(k) for k in self.support_kinds.split()]

    @property
    def visible_message(self) -> str:
        """The message as the public may read it: empty while hidden by a moderator."""
        return "" if self.message_hidden_at else self.message

    def __repr__(self) -> str:
        return f"<Pledge org={self.organization_id} campaign={self.campaign_id}>"

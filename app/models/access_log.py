"""Who was shown an organization's members-only or hidden contact details, per viewer and day."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.organization import Organization


class ContactDetailView(db.Model):
    """A viewer was shown an organization's non-public contact details ``views`` times that day.

    One row per organization, viewer and day (UTC), kept by one upsert per page that shows them
    (app.services.access_log). The viewer's organization and role are copied when the row is
    made, so the log says who looked then, and keeps saying it if the account goes.
    """

    __tablename__ = "contact_detail_views"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id", ondelete="CASCADE"))
    viewer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    viewer_organization_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="SET NULL")
    )
    viewer_is_moderator: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    day: Mapped[date] = mapped_column(sa.Date)
    views: Mapped[int] = mapped_column(default=1, server_default="1")

    viewer_organization: Mapped[Organization | None] = relationship(foreign_keys=[viewer_organization_id])

    __table_args__ = (
        sa.UniqueConstraint("organization_id", "viewer_id", "day", name="uq_contact_detail_views_viewer_day"),
        sa.Index("ix_contact_detail_views_organization_day", "organization_id", "day", "id"),
        sa.Index("ix_contact_detail_views_day", "day"),
        sa.CheckConstraint("views >= 1", name="views_positive"),
    )

    def __repr__(self) -> str:
        return f"<ContactDetailView org {self.organization_id} by {self.viewer_id} on {self.day}>"

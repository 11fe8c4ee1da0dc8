"""Projects run by member organizations, linked to the campaigns they serve."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow
from app.models.enums import LinkVisibility, ProjectStatus, enum_column

if TYPE_CHECKING:
    from app.models.campaign import Campaign
    from app.models.organization import Organization


class ProjectCampaign(db.Model):
    """The link between a project and one campaign it serves."""

    __tablename__ = "project_campaigns"

    project_id: Mapped[int] = mapped_column(
        sa.ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    campaign_id: Mapped[int] = mapped_column(
        sa.ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A public link tells anyone that the project's organization works on the campaign.
    visibility: Mapped[LinkVisibility] = mapped_column(
        enum_column(LinkVisibility, "link_visibility"),
        default=LinkVisibility.MEMBERS,
        server_default=LinkVisibility.MEMBERS.value,
    )

    campaign: Mapped[Campaign] = relationship(lazy="joined", innerjoin=True, viewonly=True)

    @property
    def is_public(self) -> bool:
        return self.visibility == LinkVisibility.PUBLIC


class Project(db.Model):
    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(140), unique=True)
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(sa.String(200))
    summary: Mapped[str] = mapped_column(sa.String(300), default="")
    description: Mapped[str] = mapped_column(sa.Text, default="")  # safe Markdown subset
    status: Mapped[ProjectStatus] = mapped_column(
        enum_column(ProjectStatus, "project_status"), default=ProjectStatus.PLANNED
    )
    start_date: Mapped[date | None]
    end_date: Mapped[date | None]
    place: Mapped[str] = mapped_column(sa.String(160), default="")

    # What search indexes: the row's text in every language, folded and stemmed in Python
    # (app.search_engine.engine keeps it current on every flush). Never loaded with the row.
    search_title: Mapped[str | None] = mapped_column(sa.Text, deferred=True)
    search_body: Mapped[str | None] = mapped_column(sa.Text, deferred=True)

    # Its title and summary in other languages ({"ar": {"title": ..., "summary": ...}}): a copy
    # of project_translations kept by app.models.sort_keys, so that lists show projects in the
    # reader's language without one more query (the description is read on the project's page).
    translated_texts: Mapped[dict[str, dict[str, str]] | None] = mapped_column(sa.JSON)

    # A moderator may hide a project that breaks the rules; the organization sees why.
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden_reason: Mapped[str | None] = mapped_column(sa.Text)
    # The member asked a moderator to look again at the hidden project (after editing it).
    review_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    review_request_note: Mapped[str | None] = mapped_column(sa.Text)

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    organization: Mapped[Organization] = relationship(back_populates="projects")
    # Every link, whatever its visibility: for the owner and for counting. Public pages load
    # ``campaign_links`` filtered by what the viewer may see (app/services/directory.py).
    campaigns: Mapped[list[Campaign]] = relationship(
        secondary="project_campaigns", order_by="Campaign.position", viewonly=True
    )
    campaign_links: Mapped[list[ProjectCampaign]] = relationship(viewonly=True)
    translations: Mapped[list[ProjectTranslation]] = relationship(
        order_by="ProjectTranslation.locale", viewonly=True
    )

    __table_args__ = (
        sa.CheckConstraint(
            "end_date IS NULL OR start_date IS NULL OR end_date >= start_date",
            name="dates_in_order",
        ),
        sa.Index("ix_projects_hidden_created", "hidden_at", "created_at", "id"),
    )

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None

    def __repr__(self) -> str:
        return f"<Project {self.slug}>"


class ProjectTranslation(db.Model):
    """A project's title, summary and description in one more language, written by its
    organization's members; pages fall back field by field to the project's own text."""

    __tablename__ = "project_translations"

    project_id: Mapped[int] = mapped_column(
        sa.ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    locale: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200), default="")
    summary: Mapped[str] = mapped_column(sa.String(300), default="")
    description: Mapped[str] = mapped_column(sa.Text, default="")

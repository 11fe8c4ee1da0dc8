"""Campaign life: the organizations coordinating a campaign, and the updates posted on
campaigns and projects (their text in one or more languages, their edit history)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow

if TYPE_CHECKING:
    from app.models.campaign import Campaign
    from app.models.organization import Organization
    from app.models.project import Project
    from app.models.user import User


class CampaignCoordinator(db.Model):
    """A member organization a moderator named to coordinate one campaign: its approved
    members post the campaign's updates (app/services/coordinators.py decides who may)."""

    __tablename__ = "campaign_coordinators"

    campaign_id: Mapped[int] = mapped_column(
        sa.ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    named_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organization: Mapped[Organization] = relationship(lazy="joined", innerjoin=True, viewonly=True)


class Update(db.Model):
    """News posted on a campaign (by its coordinators; it may point to a project) or on a
    project (by the project's organization: ``campaign_id`` is then empty).

    The words live in ``UpdateText`` rows, one per language written; ``locale`` is the
    language it was first written in, the fallback of every other one. Deleting hides it with
    a reason (``hidden_at``), as content moderation does; every edit keeps the former words in
    ``UpdateRevision``.
    """

    __tablename__ = "updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int | None] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="CASCADE"))
    project_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("projects.id", ondelete="SET NULL"), index=True
    )
    # The organization that posted it (a coordinator, the project's owner); empty when a
    # moderator posted for the network. Its updates show only while it is in public view.
    organization_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    locale: Mapped[str] = mapped_column(sa.String(8))
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden_reason: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    campaign: Mapped[Campaign | None] = relationship(viewonly=True)
    project: Mapped[Project | None] = relationship(viewonly=True)
    organization: Mapped[Organization | None] = relationship(viewonly=True)
    author: Mapped[User | None] = relationship(viewonly=True)
    texts: Mapped[list[UpdateText]] = relationship(
        back_populates="update", cascade="all, delete-orphan", passive_deletes=True,
        order_by="UpdateText.locale",
    )  # fmt: skip

    __table_args__ = (
        sa.CheckConstraint("campaign_id IS NOT NULL OR project_id IS NOT NULL", name="has_subject"),
        sa.Index("ix_updates_campaign_created", "campaign_id", "created_at", "id"),
        sa.Index("ix_updates_created", "created_at", "id"),
    )

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None

    @property
    def is_project_update(self) -> bool:
        return self.campaign_id is None

    def text_in(self, locale: str) -> UpdateText | None:
        """The words in ``locale``, else in the language it was written in, else any."""
        by_locale = {text.locale: text for text in self.texts}
        return by_locale.get(locale) or by_locale.get(self.locale) or next(iter(by_locale.values()), None)

    def __repr__(self) -> str:
        return f"<Update {self.id}>"


class UpdateText(db.Model):
    """An update's title and Markdown body in one language."""

    __tablename__ = "update_texts"

    update_id: Mapped[int] = mapped_column(sa.ForeignKey("updates.id", ondelete="CASCADE"), primary_key=True)
    locale: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(160))
    body: Mapped[str] = mapped_column(sa.Text, default="")

    update: Mapped[Update] = relationship(back_populates="texts")


class UpdateRevision(db.Model):
    """The words of one language of an update as they were before an edit (its history)."""

    __tablename__ = "update_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    update_id: Mapped[int] = mapped_column(sa.ForeignKey("updates.id", ondelete="CASCADE"))
    locale: Mapped[str] = mapped_column(sa.String(8))
    title: Mapped[str] = mapped_column(sa.String(160))
    body: Mapped[str] = mapped_column(sa.Text, default="")
    edited_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    # When these words were replaced.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (sa.Index("ix_update_revisions_update_created", "update_id", "created_at", "id"),)

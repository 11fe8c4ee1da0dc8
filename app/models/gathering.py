"""Gatherings of the network: conferences, forums and sessions, with their registrations.

A gathering is written in English (its main text) and may carry its title, description,
logistics notes, visa-letter notice and outcome in Arabic, Kurdish and French
(``GatheringTranslation``); pages fall back field by field, as campaigns do. Its programme is a
list of sessions; people register through one of its registration types (delegate, observer,
speaker), each with a capacity, a deadline and an optional approval by the organizer.

A registration's needs (dietary, interpretation, visa letter) are for the organizer only: no
public page, feed or export other than the organizer's reads them (docs/security.md).
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow
from app.models.enums import PledgeVisibility, enum_column

if TYPE_CHECKING:
    from app.models.campaign import Campaign
    from app.models.organization import Organization
    from app.models.project import Project
    from app.models.user import User


class GatheringStatus(enum.StrEnum):
    DRAFT = "draft"  # seen by the organizers only
    PUBLISHED = "published"
    CANCELLED = "cancelled"  # still shown, marked as cancelled; nobody registers


class GatheringRole(enum.StrEnum):
    """What an organization does for a gathering."""

    ORGANIZER = "organizer"
    SUPPORTER = "supporter"


class RegistrationKind(enum.StrEnum):
    DELEGATE = "delegate"
    OBSERVER = "observer"
    SPEAKER = "speaker"


class RegistrationState(enum.StrEnum):
    PENDING = "pending"  # waits for the organizer's approval
    CONFIRMED = "confirmed"  # holds a place
    WAITING = "waiting"  # on the waiting list, promoted when a place frees
    CANCELLED = "cancelled"
    ATTENDED = "attended"  # holds a place, and came


# The states that hold a place (counted against the capacity).
HOLDS_PLACE = (RegistrationState.CONFIRMED, RegistrationState.ATTENDED)


class Gathering(db.Model):
    __tablename__ = "gatherings"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    logistics: Mapped[str] = mapped_column(sa.Text, default="")
    visa_notice: Mapped[str] = mapped_column(sa.Text, default="")
    # What came out of it (declarations, reports), shown on the outcome page once it is past.
    outcome: Mapped[str] = mapped_column(sa.Text, default="")

    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The zone the gathering takes place in (an IANA name): its times are shown in it.
    time_zone: Mapped[str] = mapped_column(sa.String(64), default="Asia/Baghdad")
    city: Mapped[str] = mapped_column(sa.String(120), default="")
    country: Mapped[str | None] = mapped_column(sa.String(2))
    venue: Mapped[str] = mapped_column(sa.String(200), default="")
    online_url: Mapped[str | None] = mapped_column(sa.String(300))

    status: Mapped[GatheringStatus] = mapped_column(
        enum_column(GatheringStatus, "gathering_status"), default=GatheringStatus.DRAFT
    )
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    translations: Mapped[list[GatheringTranslation]] = relationship(
        back_populates="gathering", cascade="all, delete-orphan", passive_deletes=True
    )
    sessions: Mapped[list[GatheringSession]] = relationship(
        back_populates="gathering",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="(GatheringSession.starts_at, GatheringSession.id)",
    )
    registration_types: Mapped[list[RegistrationType]] = relationship(
        back_populates="gathering",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="RegistrationType.id",
    )
    organizations: Mapped[list[GatheringOrganization]] = relationship(
        back_populates="gathering", cascade="all, delete-orphan", passive_deletes=True
    )
    campaign_links: Mapped[list[GatheringCampaign]] = relationship(
        back_populates="gathering", cascade="all, delete-orphan", passive_deletes=True
    )
    project_links: Mapped[list[GatheringProject]] = relationship(
        back_populates="gathering", cascade="all, delete-orphan", passive_deletes=True
    )

    __table_args__ = (
        sa.CheckConstraint("ends_at >= starts_at", name="ends_after_start"),
        # Upcoming and past lists: published gatherings by date.
        sa.Index("ix_gatherings_status_starts", "status", "starts_at", "id"),
        sa.Index("ix_gatherings_status_ends", "status", "ends_at", "id"),
    )

    @property
    def is_published(self) -> bool:
        return self.status == GatheringStatus.PUBLISHED

    def __repr__(self) -> str:
        return f"<Gathering {self.slug}>"


class GatheringTranslation(db.Model):
    """A gathering's texts in one more language."""

    __tablename__ = "gathering_translations"

    gathering_id: Mapped[int] = mapped_column(
        sa.ForeignKey("gatherings.id", ondelete="CASCADE"), primary_key=True
    )
    locale: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200), default="")
    description: Mapped[str] = mapped_column(sa.Text, default="")
    logistics: Mapped[str] = mapped_column(sa.Text, default="")
    visa_notice: Mapped[str] = mapped_column(sa.Text, default="")
    outcome: Mapped[str] = mapped_column(sa.Text, default="")

    gathering: Mapped[Gathering] = relationship(back_populates="translations")


class GatheringSession(db.Model):
    """One item of a gathering's programme."""

    __tablename__ = "gathering_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    gathering_id: Mapped[int] = mapped_column(sa.ForeignKey("gatherings.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    room: Mapped[str] = mapped_column(sa.String(120), default="")
    title: Mapped[str] = mapped_column(sa.String(200))
    speakers: Mapped[str] = mapped_column(sa.String(500), default="")
    language: Mapped[str] = mapped_column(sa.String(8), default="en")  # the language spoken
    # The languages interpreted into, space-separated ("ar en"); empty: no interpretation.
    interpretation: Mapped[str] = mapped_column(sa.String(60), default="")

    gathering: Mapped[Gathering] = relationship(back_populates="sessions")
    translations: Mapped[list[GatheringSessionTranslation]] = relationship(
        back_populates="session", cascade="all, delete-orphan", passive_deletes=True
    )

    __table_args__ = (
        sa.CheckConstraint("ends_at >= starts_at", name="session_ends_after_start"),
        sa.Index("ix_gathering_sessions_gathering_starts", "gathering_id", "starts_at"),
    )

    @property
    def interpretation_languages(self) -> list[str]:
        return self.interpretation.split()


class GatheringSessionTranslation(db.Model):
    """A session's title and speakers in one more language (the session's own row holds them in
    English, as a gathering's does): pages fall back field by field."""

    __tablename__ = "gathering_session_translations"

    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("gathering_sessions.id", ondelete="CASCADE"), primary_key=True
    )
    locale: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200), default="")
    speakers: Mapped[str] = mapped_column(sa.String(500), default="")

    session: Mapped[GatheringSession] = relationship(back_populates="translations")


class GatheringOrganization(db.Model):
    """An organization that organizes or supports a gathering."""

    __tablename__ = "gathering_organizations"

    gathering_id: Mapped[int] = mapped_column(
        sa.ForeignKey("gatherings.id", ondelete="CASCADE"), primary_key=True
    )
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[GatheringRole] = mapped_column(
        enum_column(GatheringRole, "gathering_role"), default=GatheringRole.ORGANIZER
    )

    gathering: Mapped[Gathering] = relationship(back_populates="organizations")
    organization: Mapped[Organization] = relationship()


class GatheringCampaign(db.Model):
    """A campaign a gathering is about (or that came out of it)."""

    __tablename__ = "gathering_campaigns"

    gathering_id: Mapped[int] = mapped_column(
        sa.ForeignKey("gatherings.id", ondelete="CASCADE"), primary_key=True
    )
    campaign_id: Mapped[int] = mapped_column(
        sa.ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True, index=True
    )

    gathering: Mapped[Gathering] = relationship(back_populates="campaign_links")
    campaign: Mapped[Campaign] = relationship()


class GatheringProject(db.Model):
    """A project that came out of a gathering (its outcome page links it)."""

    __tablename__ = "gathering_projects"

    gathering_id: Mapped[int] = mapped_column(
        sa.ForeignKey("gatherings.id", ondelete="CASCADE"), primary_key=True
    )
    project_id: Mapped[int] = mapped_column(
        sa.ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True, index=True
    )

    gathering: Mapped[Gathering] = relationship(back_populates="project_links")
    project: Mapped[Project] = relationship()


class RegistrationType(db.Model):
    """One way to take part in a gathering, with its own places."""

    __tablename__ = "registration_types"

    id: Mapped[int] = mapped_column(primary_key=True)
    gathering_id: Mapped[int] = mapped_column(sa.ForeignKey("gatherings.id", ondelete="CASCADE"))
    kind: Mapped[RegistrationKind] = mapped_column(enum_column(RegistrationKind, "registration_kind"))
    capacity: Mapped[int]
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    requires_approval: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    gathering: Mapped[Gathering] = relationship(back_populates="registration_types")

    __table_args__ = (
        sa.UniqueConstraint("gathering_id", "kind", name="uq_registration_types_gathering_kind"),
        sa.CheckConstraint("capacity >= 0", name="capacity_positive"),
    )


class Registration(db.Model):
    """An organization's or a person's registration to a gathering.

    ``organization_id`` set: the organization registers (``user_id`` is the member who did it,
    who gets its mail); unset: ``user_id`` registers as an individual person, never named to
    anyone but the organizer. An organization's registration is named to other participants
    under the pledge rule (``visibility``: public / members / counted, app/services/directory.py).
    """

    __tablename__ = "registrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    gathering_id: Mapped[int] = mapped_column(sa.ForeignKey("gatherings.id", ondelete="CASCADE"))
    registration_type_id: Mapped[int] = mapped_column(
        sa.ForeignKey("registration_types.id", ondelete="CASCADE")
    )
    organization_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    state: Mapped[RegistrationState] = mapped_column(enum_column(RegistrationState, "registration_state"))
    visibility: Mapped[PledgeVisibility] = mapped_column(
        enum_column(PledgeVisibility, "registration_visibility"), default=PledgeVisibility.COUNTED
    )
    # For the organizer only.
    dietary_needs: Mapped[str] = mapped_column(sa.String(500), default="")
    interpretation_needs: Mapped[str] = mapped_column(sa.String(200), default="")
    needs_visa_letter: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Reminders sent (never twice): the week before, the day before.
    week_reminder_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    day_reminder_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    gathering: Mapped[Gathering] = relationship()
    registration_type: Mapped[RegistrationType] = relationship()
    organization: Mapped[Organization | None] = relationship()
    user: Mapped[User | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint("organization_id IS NOT NULL OR user_id IS NOT NULL", name="registrant_known"),
        # One registration at a time per organization, and per person registering alone.
        sa.Index(
            "uq_registrations_active_organization",
            "gathering_id",
            "organization_id",
            unique=True,
            sqlite_where=sa.text("organization_id IS NOT NULL AND state <> 'cancelled'"),
            postgresql_where=sa.text("organization_id IS NOT NULL AND state <> 'cancelled'"),
        ),
        sa.Index(
            "uq_registrations_active_person",
            "gathering_id",
            "user_id",
            unique=True,
            sqlite_where=sa.text("organization_id IS NULL AND state <> 'cancelled'"),
            postgresql_where=sa.text("organization_id IS NULL AND state <> 'cancelled'"),
        ),
        # Places held and the waiting list's order, per type.
        sa.Index("ix_registrations_type_state_created", "registration_type_id", "state", "created_at", "id"),
        sa.Index("ix_registrations_gathering_state", "gathering_id", "state"),
    )

    @property
    def holds_place(self) -> bool:
        return self.state in HOLDS_PLACE

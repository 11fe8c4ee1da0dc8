"""What an organization offers the network and what it needs (issue #20, "solidarity in practice").

One row is one statement: an organization offers (or needs) one kind of help, with a short text,
either on its profile as a whole (``campaign_id`` empty) or for one campaign. Who may read it is
its visibility (public or members only), and, for a campaign's statement, whether the reader may
see the organization named among that campaign's supporters (app/services/offers.py): a public
offer must never reveal a discreet pledge.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow
from app.models.enums import enum_column

if TYPE_CHECKING:
    from app.models.campaign import Campaign
    from app.models.organization import Organization
    from app.models.project import Project


class OfferDirection(enum.StrEnum):
    OFFER = "offer"
    NEED = "need"


class OfferCategory(enum.StrEnum):
    LEGAL = "legal"
    TECHNICAL = "technical"
    MEDIA = "media"
    RESEARCH = "research"
    FUNDING = "funding"
    VOLUNTEERS = "volunteers"
    ADVOCACY = "advocacy"
    HOSTING = "hosting"
    TRAINING = "training"
    EQUIPMENT = "equipment"


class OfferVisibility(enum.StrEnum):
    PUBLIC = "public"  # anyone who may see the organization (and, per campaign, its pledge)
    MEMBERS = "members"  # logged-in members of approved organizations and moderators


OFFER_TEXT_MAX_LENGTH = 300


class Offer(db.Model):
    __tablename__ = "solidarity_offers"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id", ondelete="CASCADE"))
    # Empty: on the profile as a whole; else for one campaign.
    campaign_id: Mapped[int | None] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="CASCADE"))
    direction: Mapped[OfferDirection] = mapped_column(enum_column(OfferDirection, "offer_direction"))
    category: Mapped[OfferCategory] = mapped_column(enum_column(OfferCategory, "offer_category"))
    text: Mapped[str] = mapped_column(sa.String(OFFER_TEXT_MAX_LENGTH), default="")
    visibility: Mapped[OfferVisibility] = mapped_column(
        enum_column(OfferVisibility, "offer_visibility"), default=OfferVisibility.MEMBERS
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    organization: Mapped[Organization] = relationship(viewonly=True)
    campaign: Mapped[Campaign | None] = relationship(viewonly=True)

    __table_args__ = (
        # One statement per organization, scope, direction and kind: the profile's and each
        # campaign's lists stay short (at most 20 rows each), whatever is submitted.
        sa.Index(
            "uq_solidarity_offers_profile",
            "organization_id",
            "direction",
            "category",
            unique=True,
            sqlite_where=sa.text("campaign_id IS NULL"),
            postgresql_where=sa.text("campaign_id IS NULL"),
        ),
        sa.Index(
            "uq_solidarity_offers_campaign",
            "organization_id",
            "campaign_id",
            "direction",
            "category",
            unique=True,
            sqlite_where=sa.text("campaign_id IS NOT NULL"),
            postgresql_where=sa.text("campaign_id IS NOT NULL"),
        ),
        # A campaign's statements by kind (campaign page, suggestions).
        sa.Index("ix_solidarity_offers_campaign", "campaign_id", "direction", "category"),
        # Suggestions look for offers (or needs) of a kind across organizations.
        sa.Index("ix_solidarity_offers_direction_category", "direction", "category", "organization_id"),
    )

    def __repr__(self) -> str:
        return f"<Offer {self.direction} {self.category} org={self.organization_id}>"


class IntroductionStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"  # the requester reads only "not now"


INTRODUCTION_MESSAGE_MAX_LENGTH = 1000


class Introduction(db.Model):
    """A member organization asks to be introduced to another; the other accepts or declines.

    Contact details are exchanged only on acceptance, and only the fields each side chose (names
    of app.models.organization.CONTACT_FIELDS, space-separated): the requester's when asking,
    the recipient's when accepting. The values are read from the organizations when shown."""

    __tablename__ = "solidarity_introductions"

    id: Mapped[int] = mapped_column(primary_key=True)
    requester_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id", ondelete="CASCADE"))
    recipient_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id", ondelete="CASCADE"))
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    message: Mapped[str] = mapped_column(sa.Text, default="")
    requester_fields: Mapped[str] = mapped_column(sa.String(200), default="")
    recipient_fields: Mapped[str] = mapped_column(sa.String(200), default="")
    status: Mapped[IntroductionStatus] = mapped_column(
        enum_column(IntroductionStatus, "introduction_status"), default=IntroductionStatus.PENDING
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    requester: Mapped[Organization] = relationship(foreign_keys=[requester_id], viewonly=True)
    recipient: Mapped[Organization] = relationship(foreign_keys=[recipient_id], viewonly=True)

    __table_args__ = (
        sa.CheckConstraint("requester_id <> recipient_id", name="not_to_itself"),
        # One open request between two organizations at a time.
        sa.Index(
            "uq_solidarity_introductions_pending",
            "requester_id",
            "recipient_id",
            unique=True,
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        ),
        # The requester's recent requests (the rate limit) and lists of both sides, newest first.
        sa.Index("ix_solidarity_introductions_requester_created", "requester_id", "created_at"),
        sa.Index("ix_solidarity_introductions_recipient_created", "recipient_id", "created_at"),
    )

    @property
    def requester_field_list(self) -> list[str]:
        return self.requester_fields.split()

    @property
    def recipient_field_list(self) -> list[str]:
        return self.recipient_fields.split()


class IntroductionBlock(db.Model):
    """An organization receives no more introduction requests from another."""

    __tablename__ = "solidarity_blocks"

    blocker_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    blocked_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class IntroductionReport(db.Model):
    """A recipient tells the moderators an introduction request was abusive. Moderators read the
    request and the reason, never either side's contact details."""

    __tablename__ = "solidarity_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    introduction_id: Mapped[int] = mapped_column(
        sa.ForeignKey("solidarity_introductions.id", ondelete="CASCADE"), index=True
    )
    reported_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    introduction: Mapped[Introduction] = relationship(viewonly=True)


class CosponsorStatus(enum.StrEnum):
    INVITED = "invited"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class ProjectCosponsor(db.Model):
    """An organization invited to co-sponsor another's project; shown once it accepts."""

    __tablename__ = "solidarity_cosponsors"

    project_id: Mapped[int] = mapped_column(
        sa.ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    invited_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[CosponsorStatus] = mapped_column(
        enum_column(CosponsorStatus, "cosponsor_status"), default=CosponsorStatus.INVITED
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organization: Mapped[Organization] = relationship(viewonly=True)
    project: Mapped[Project] = relationship(viewonly=True)

    __table_args__ = (
        # An organization's invitations and co-sponsored projects.
        sa.Index("ix_solidarity_cosponsors_organization_status", "organization_id", "status"),
    )


class JointStatement(db.Model):
    """A statement a coordinator publishes on a campaign for organizations to sign (issue #20).

    Its text is versioned, in one or more languages (:class:`StatementText`); signatures are
    taken until the deadline, after which the text and the signatories are frozen."""

    __tablename__ = "solidarity_statements"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    # Whether an organization may sign without being named (it then only adds to the count).
    allow_counted: Mapped[bool] = mapped_column(default=True)
    version: Mapped[int] = mapped_column(default=1)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    campaign: Mapped[Campaign] = relationship(viewonly=True)
    texts: Mapped[list[StatementText]] = relationship(viewonly=True, order_by="StatementText.locale")

    __table_args__ = (sa.CheckConstraint("version >= 1", name="version_positive"),)


class StatementText(db.Model):
    __tablename__ = "solidarity_statement_texts"

    statement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("solidarity_statements.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(primary_key=True)
    locale: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StatementSignature(db.Model):
    __tablename__ = "solidarity_signatures"

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(sa.ForeignKey("solidarity_statements.id", ondelete="CASCADE"))
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id", ondelete="CASCADE"))
    signed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    named: Mapped[bool] = mapped_column(default=True)
    version: Mapped[int]  # the version of the text signed
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organization: Mapped[Organization] = relationship(viewonly=True)

    __table_args__ = (
        sa.Index(
            "uq_solidarity_signatures_active",
            "statement_id",
            "organization_id",
            unique=True,
            sqlite_where=sa.text("withdrawn_at IS NULL"),
            postgresql_where=sa.text("withdrawn_at IS NULL"),
        ),
        sa.Index("ix_solidarity_signatures_statement_active", "statement_id", "withdrawn_at", "created_at"),
    )

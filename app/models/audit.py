"""The audit log: every moderation decision, who made it, when and why."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow
from app.models.enums import AuditAction, enum_column

if TYPE_CHECKING:
    from app.models.organization import Organization
    from app.models.user import User


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Entries outlive the accounts that made them: the actor's email is copied in.
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    actor_email: Mapped[str] = mapped_column(sa.String(254))
    action: Mapped[AuditAction] = mapped_column(enum_column(AuditAction, "audit_action"))
    target_type: Mapped[str] = mapped_column(sa.String(40))  # "organization", "campaign", ...
    target_id: Mapped[int]
    # The organization the decision concerns, for the log's filter; kept if it is deleted.
    organization_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="SET NULL")
    )
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    # A rejection keeps the application's fields as they were, to show what changed on resubmission.
    snapshot: Mapped[dict | None] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor: Mapped[User | None] = relationship()
    organization: Mapped[Organization | None] = relationship()

    __table_args__ = (
        sa.Index("ix_audit_entries_created_at", "created_at", "id"),
        sa.Index("ix_audit_entries_organization_created", "organization_id", "created_at"),
    )

    def __repr__(self) -> str:
        return f"<AuditEntry {self.action} {self.target_type}:{self.target_id}>"

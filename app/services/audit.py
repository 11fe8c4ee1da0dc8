"""Recording moderation decisions: who, what, when, why."""

from __future__ import annotations

from app.extensions import db
from app.models import AuditAction, AuditEntry, Organization, User


def record(
    actor: User,
    action: AuditAction,
    *,
    target_type: str,
    target_id: int,
    organization_id: int | None = None,
    reason: str = "",
) -> AuditEntry:
    """Add an audit entry to the current transaction; it commits with the decision itself."""
    entry = AuditEntry(
        actor_id=actor.id,
        actor_email=actor.email,
        action=action,
        target_type=target_type,
        target_id=target_id,
        organization_id=organization_id,
        reason=reason.strip(),
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def record_about(
    actor: User, action: AuditAction, organization: Organization, reason: str = ""
) -> AuditEntry:
    """An audit entry whose subject is an organization (most decisions and requests are)."""
    return record(
        actor,
        action,
        target_type="organization",
        target_id=organization.id,
        organization_id=organization.id,
        reason=reason,
    )

"""The transactional outbox: mail and jobs written in the same transaction as the change.

A request never talks to a mail server. It adds an ``OutboxMessage`` row beside the rows it
changes; the row exists only if the change was committed, and a worker delivers it after the
commit (``app.worker``). The row's life::

    pending --claim--> sending --delivered--> sent
       ^                  |
       |                  +--- marked discard: never handed over --> discarded
       +-- retry later ---+--- gave up / interrupted mail --> failed

``key`` is the message's idempotency key: the Message-ID of the mail, the key a job is
given, and (when the caller passes one) what stops the same message being queued twice.
``lease_token``/``lease_until`` say which worker holds a row in ``sending`` and until when.
``discard`` marks a message queued only so that a request does the same work either way (the
password reset of an address without an account): it goes the whole way and is never sent.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTCDateTime, utcnow
from app.models.enums import enum_column


class OutboxKind(enum.StrEnum):
    MAIL = "mail"
    JOB = "job"


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for its first or next attempt (next_attempt_at)
    SENDING = "sending"  # claimed by a worker until lease_until
    SENT = "sent"  # delivered (mail) or done (job); a mail's body is erased
    FAILED = "failed"  # given up; `flask outbox failed` lists it, `flask outbox retry` resends
    DISCARDED = "discarded"  # marked discard, dropped by the worker unsent; purged like sent rows


class OutboxMessage(db.Model):
    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[OutboxKind] = mapped_column(enum_column(OutboxKind, "outbox_kind"))
    key: Mapped[str] = mapped_column(sa.String(100), unique=True)
    status: Mapped[OutboxStatus] = mapped_column(
        enum_column(OutboxStatus, "outbox_status"), default=OutboxStatus.PENDING
    )

    # Mail: rendered at queueing time in the recipient's language, so the worker needs no
    # request, template or translation. The body carries signed links: erased once sent.
    recipient: Mapped[str | None] = mapped_column(sa.String(254))
    subject: Mapped[str | None] = mapped_column(sa.Text)
    body: Mapped[str | None] = mapped_column(sa.Text)
    # More headers of the message ({"List-Unsubscribe": ...}); they may carry signed links,
    # so they are erased with the body once sent.
    headers: Mapped[dict[str, str] | None] = mapped_column(sa.JSON)
    # Queued like any message, never sent (the stand-in's reset mail for an unknown address).
    discard: Mapped[bool] = mapped_column(default=False)

    # Job: a name registered with ``app.services.outbox.job`` and its JSON arguments.
    job_name: Mapped[str | None] = mapped_column(sa.String(100))
    payload: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)

    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lease_token: Mapped[str | None] = mapped_column(sa.String(32))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What went wrong last, for the operator: the error's class and the server's answer.
    last_error: Mapped[str | None] = mapped_column(sa.String(500))

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        # What the sweep asks for: due pending rows, and sending rows whose lease ran out.
        sa.Index("ix_outbox_messages_status_next_attempt", "status", "next_attempt_at"),
        sa.CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        sa.CheckConstraint(
            "(kind = 'mail' AND recipient IS NOT NULL AND subject IS NOT NULL) "
            "OR (kind = 'job' AND job_name IS NOT NULL)",
            name="kind_has_its_fields",
        ),
        sa.CheckConstraint(
            "status <> 'sending' OR (lease_token IS NOT NULL AND lease_until IS NOT NULL)",
            name="sending_has_a_lease",
        ),
    )

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.kind} {self.status}>"

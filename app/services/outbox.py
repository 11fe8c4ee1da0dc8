"""Queue mail and slow work as rows of the current transaction (the transactional outbox).

Services and views call ``enqueue_mail`` (through ``app.services.mail``) or ``enqueue_job``:
the row is added to the session like any other change, so it is committed with the change or
rolled back with it. Nothing leaves the process here; ``app.worker`` delivers committed rows
after the commit (in the same process, or through RQ when Redis is configured).

A job is a function registered with ``@job("name")`` in a module the application imports
(a service module), taking JSON-serialisable keyword arguments. Jobs are delivered at least
once: a worker that dies mid-job leaves it to be run again, so a job must be safe to repeat.
Its database changes are committed together with its "done" mark.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.models.base import utcnow
from app.models.outbox import OutboxKind, OutboxMessage

JOBS: dict[str, Callable[..., Any]] = {}


def job(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``function`` as the job ``name`` (``enqueue_job(name, ...)`` runs it later)."""

    def register(function: Callable[..., Any]) -> Callable[..., Any]:
        if JOBS.get(name, function) is not function:
            raise RuntimeError(f"Two jobs are named {name!r}")
        JOBS[name] = function
        return function

    return register


# Where a message queued only to be discarded is "addressed": a reserved, undeliverable name.
DISCARDED_RECIPIENT = "discarded@invalid"


def enqueue_mail(
    recipient: str,
    subject: str,
    body: str,
    *,
    key: str | None = None,
    discard: bool = False,
    headers: dict[str, str] | None = None,
) -> OutboxMessage:
    """Queue one rendered message; it is sent after the current transaction commits.

    With ``key``, a message already queued under that key is returned instead of a second one
    (a digest for one week and one member, say). With ``discard``, the row is written and
    handed over like any other, and the worker drops it unsent. Such a row keeps neither the
    address that was typed nor the message: a discarded reset request must not leave a list of
    addresses someone tried (the request did the same rendering work either way).
    """
    if discard:
        recipient, body, headers = DISCARDED_RECIPIENT, "", None
    row = OutboxMessage(
        kind=OutboxKind.MAIL, recipient=recipient, subject=subject, body=body, discard=discard,
        headers=headers or None,
    )  # fmt: skip
    return _add(row, key)


def enqueue_job(name: str, *, key: str | None = None, **arguments: Any) -> OutboxMessage:
    """Queue the registered job ``name`` with JSON-serialisable ``arguments``.

    Raises KeyError for a name no ``@job`` registered: a typo fails here, not in the worker.
    """
    if name not in JOBS:
        raise KeyError(f"No job is registered as {name!r}")
    return _add(OutboxMessage(kind=OutboxKind.JOB, job_name=name, payload=arguments), key)


def _add(row: OutboxMessage, key: str | None) -> OutboxMessage:
    if key is not None:
        existing = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.key == key))
        if existing is not None:
            return existing
    row.key = key or secrets.token_hex(16)
    now = utcnow()
    row.created_at = now
    # The worker is asked right after the commit. The sweep takes over only if that request
    # to the worker was lost (process killed after the commit, Redis unreachable): it waits
    # this long so as not to race the worker for every fresh row.
    row.next_attempt_at = now + timedelta(seconds=current_app.config["OUTBOX_SWEEP_GRACE_SECONDS"])
    db.session.add(row)
    return row

"""Builders for gatherings (used by tests/test_gatherings*.py, the access matrix and others)."""

from __future__ import annotations

import itertools
from datetime import timedelta

from app.extensions import db
from app.models import (
    Gathering,
    GatheringOrganization,
    GatheringRole,
    GatheringSession,
    GatheringStatus,
    RegistrationKind,
    RegistrationType,
)
from app.models.base import utcnow

_sequence = itertools.count(1)


def make_gathering(
    title: str | None = None,
    *,
    status: GatheringStatus = GatheringStatus.PUBLISHED,
    days_ahead: int = 30,
    hours: int = 8,
    capacity: int | None = 2,
    requires_approval: bool = False,
    organizers=(),
    supporters=(),
    with_session: bool = True,
    **fields,
) -> Gathering:
    """A gathering starting ``days_ahead`` days from now (negative: in the past), with a delegate
    registration type of ``capacity`` places (None: no type) and one session."""
    n = next(_sequence)
    starts = utcnow().replace(microsecond=0) + timedelta(days=days_ahead)
    gathering = Gathering(
        title=title or f"Gathering {n}",
        slug=fields.pop("slug", f"gathering-{n}"),
        description=fields.pop("description", "What we will do together."),
        starts_at=starts,
        ends_at=starts + timedelta(hours=hours),
        time_zone=fields.pop("time_zone", "Asia/Baghdad"),
        city=fields.pop("city", "Baghdad"),
        country=fields.pop("country", "IQ"),
        status=status,
        published_at=utcnow() if status != GatheringStatus.DRAFT else None,
        **fields,
    )
    db.session.add(gathering)
    db.session.flush()
    for org in organizers:
        db.session.add(
            GatheringOrganization(
                gathering_id=gathering.id, organization_id=org.id, role=GatheringRole.ORGANIZER
            )
        )
    for org in supporters:
        db.session.add(
            GatheringOrganization(
                gathering_id=gathering.id, organization_id=org.id, role=GatheringRole.SUPPORTER
            )
        )
    if capacity is not None:
        db.session.add(
            RegistrationType(
                gathering_id=gathering.id,
                kind=RegistrationKind.DELEGATE,
                capacity=capacity,
                requires_approval=requires_approval,
            )
        )
    if with_session:
        db.session.add(
            GatheringSession(
                gathering_id=gathering.id,
                title="Opening",
                starts_at=starts,
                ends_at=starts + timedelta(hours=1),
                room="Hall A",
                speakers="A speaker",
                language="ar",
                interpretation="en",
            )
        )
    db.session.flush()
    return gathering


def delegate_type(gathering: Gathering) -> RegistrationType:
    return db.session.query(RegistrationType).filter_by(gathering_id=gathering.id).one()

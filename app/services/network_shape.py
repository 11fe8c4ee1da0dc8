"""The network's shape: how many organizations, by country, governorate (inside Iraq) and kind.

Aggregates only, never a list and never a location finer than a governorate. What counts is
what a visitor may see:

* the whole network: the organizations in public view (app/services/visibility.py);
* one campaign: those of them whose active pledge to it is public (a members-only or
  counted-only pledge never adds to these numbers: a small cell would otherwise name it).

Small numbers are suppressed: a cell below :data:`THRESHOLD` shows as "fewer than 3" (its
count is never handed to the template). When a dimension's total is shown and only one of its
cells is suppressed (and it is not zero), the next smallest is suppressed too, so that no
suppressed count can be worked out by subtracting the others from the total.

Governorates: an organization's ``city`` is free text ("city or governorate"); it is read
with app/services/places.py (any of the four languages, any listed spelling) and a city is
counted in its governorate (:data:`GOVERNORATE_OF`). An Iraqi organization whose city is not
on the list counts as "elsewhere or not stated".

Three grouped queries per page, whatever the size of the network.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from app.extensions import db
from app.models import IRAQ, Campaign, Organization, Pledge, PledgeVisibility
from app.services import places
from app.services.visibility import publicly_listed

THRESHOLD = 3

# The 18 governorates (app/services/places.py keys), in the order tables list them.
GOVERNORATES = (
    "baghdad", "basra", "nineveh", "erbil", "sulaymaniyah", "duhok", "kirkuk", "diyala", "anbar",
    "babil", "karbala", "najaf", "wasit", "maysan", "dhi-qar", "muthanna", "qadisiyyah", "salah-al-din",
)  # fmt: skip
ELSEWHERE = "elsewhere"

# The cities and towns of app/services/places.py that are not governorates, in their governorate.
GOVERNORATE_OF = {
    "mosul": "nineveh", "sinjar": "nineveh", "tal-afar": "nineveh",
    "ramadi": "anbar", "fallujah": "anbar",
    "baqubah": "diyala", "khanaqin": "diyala",
    "hillah": "babil", "kut": "wasit", "amarah": "maysan",
    "nasiriyah": "dhi-qar", "chibayish": "dhi-qar",
    "samawah": "muthanna", "diwaniyah": "qadisiyyah",
    "tikrit": "salah-al-din", "samarra": "salah-al-din",
    "kufa": "najaf", "halabja": "sulaymaniyah", "zakho": "duhok", "qurna": "basra",
}  # fmt: skip

# Schematic tiles of the map (column, row), roughly where each governorate lies: north at the
# top, the west (Anbar) at the left, Basra at the bottom right.
TILES = {
    "duhok": (2, 0), "erbil": (3, 0),
    "nineveh": (1, 1), "kirkuk": (2, 1), "sulaymaniyah": (3, 1),
    "anbar": (0, 2), "salah-al-din": (1, 2), "diyala": (3, 2),
    "baghdad": (2, 3), "wasit": (3, 3),
    "karbala": (1, 4), "babil": (2, 4), "maysan": (4, 4),
    "najaf": (1, 5), "qadisiyyah": (2, 5), "dhi-qar": (3, 5), "basra": (4, 5),
    "muthanna": (2, 6),
}  # fmt: skip


def governorate_of(city: str | None) -> str:
    """The governorate key a typed city lies in, or :data:`ELSEWHERE`."""
    place = places.find_place(city)
    if place is None:
        return ELSEWHERE
    if place.key in TILES:
        return place.key
    return GOVERNORATE_OF.get(place.key, ELSEWHERE)


@dataclass
class Cell:
    key: str
    count: int | None  # None: fewer than THRESHOLD (or withheld so that none can be worked out)
    share: float = 0.0  # of the largest shown count, for the bars (0 when suppressed)

    @property
    def suppressed(self) -> bool:
        return self.count is None


def suppress(counts: dict[str, int], keys: list[str] | tuple[str, ...] | None = None) -> list[Cell]:
    """Cells for ``counts`` (every key of ``keys``, zero when absent; else the keys counted,
    largest first), with small numbers suppressed as the module says."""
    if keys is None:
        keys = sorted(counts, key=lambda key: (-counts[key], key))
    values = {key: counts.get(key, 0) for key in keys}
    hidden = {key for key, value in values.items() if value < THRESHOLD}
    shown = [key for key in keys if key not in hidden]
    if len(hidden) == 1 and shown and values[next(iter(hidden))] > 0:
        # The total minus the others would give it away: withhold the smallest other one too
        # (a zero names nobody: it needs no cover).
        hidden.add(min(shown, key=lambda key: (values[key], key)))
    largest = max((values[key] for key in keys if key not in hidden), default=0)
    return [
        Cell(key, None)
        if key in hidden
        else Cell(key, values[key], values[key] / largest if largest else 0.0)
        for key in keys
    ]


@dataclass
class Shape:
    total: int | None
    origin: list[Cell] = field(default_factory=list)  # "iraqi", "international"
    countries: list[Cell] = field(default_factory=list)
    kinds: list[Cell] = field(default_factory=list)
    governorates: list[Cell] = field(default_factory=list)  # the 18, then ELSEWHERE

    @property
    def governorate_cells(self) -> dict[str, Cell]:
        return {cell.key: cell for cell in self.governorates}


def _counted_organizations(campaign: Campaign | None) -> sa.Select:
    """The organizations that count: in public view, and for a campaign publicly pledged to it."""
    stmt = sa.select(Organization.id).where(publicly_listed(Organization))
    if campaign is not None:
        public_pledge = (
            sa.select(Pledge.id)
            .where(
                Pledge.organization_id == Organization.id,
                Pledge.campaign_id == campaign.id,
                Pledge.withdrawn_at.is_(None),
                Pledge.visibility == PledgeVisibility.PUBLIC,
            )
            .exists()
        )
        stmt = stmt.where(public_pledge)
    return stmt


def _grouped(column: Any, campaign: Campaign | None, *conditions: Any) -> dict[str, int]:
    counted = _counted_organizations(campaign).subquery()
    stmt = (
        sa.select(column, sa.func.count())
        .select_from(Organization)
        .join(counted, counted.c.id == Organization.id)
        .where(*conditions)
        .group_by(column)
    )
    return {str(key or ""): number for key, number in db.session.execute(stmt)}


def network_shape(campaign: Campaign | None = None) -> Shape:
    """The shape of the whole network, or of ``campaign``'s public supporters (three queries)."""
    by_country = _grouped(Organization.country, campaign)
    by_kind = _grouped(Organization.kind, campaign)
    by_city = _grouped(Organization.city, campaign, Organization.country == IRAQ)
    total = sum(by_country.values())
    iraqi = by_country.get(IRAQ, 0)
    by_governorate: Counter[str] = Counter()
    for city, number in by_city.items():
        by_governorate[governorate_of(city)] += number
    return Shape(
        total=total if total >= THRESHOLD else None,
        origin=suppress({"iraqi": iraqi, "international": total - iraqi}, ("iraqi", "international")),
        countries=suppress(by_country),
        kinds=suppress(by_kind),
        governorates=suppress(dict(by_governorate), (*GOVERNORATES, ELSEWHERE)),
    )

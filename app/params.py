"""Reading a page's query arguments into what the services take.

Unknown or malformed values are dropped rather than refused: a filter link that no longer
applies shows the whole list, never an error.
"""

from __future__ import annotations

from typing import Any

from app.models import OrganizationKind
from app.services import directory

MAX_QUERY_LENGTH = 200
MAX_SLUG_LENGTH = 80


def directory_filters(args: Any) -> directory.DirectoryFilters:
    """Read ``kind``, ``country``, ``campaign`` (a slug) and ``q`` from query arguments."""
    kind = args.get("kind") or None
    if kind not in {k.value for k in OrganizationKind}:
        kind = None
    country = (args.get("country") or "").strip().upper() or None
    if country is not None and not (len(country) == 2 and country.isascii() and country.isalpha()):
        country = None
    slug = (args.get("campaign") or "").strip()
    campaign = directory.get_campaign(slug) if slug and len(slug) <= MAX_SLUG_LENGTH else None
    q = (args.get("q") or "").strip()[:MAX_QUERY_LENGTH]
    return directory.DirectoryFilters(
        kind=OrganizationKind(kind) if kind else None, country=country, campaign=campaign, q=q
    )

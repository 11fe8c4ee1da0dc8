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


def _kind(args: Any) -> OrganizationKind | None:
    kind = args.get("kind") or None
    return OrganizationKind(kind) if kind in {k.value for k in OrganizationKind} else None


def _country(args: Any) -> str | None:
    country = (args.get("country") or "").strip().upper() or None
    if country is not None and not (len(country) == 2 and country.isascii() and country.isalpha()):
        return None
    return country


def campaign_slug(args: Any) -> str:
    """The ``campaign`` argument, stripped ("" when absent or too long to be a slug)."""
    slug = (args.get("campaign") or "").strip()
    return slug if len(slug) <= MAX_SLUG_LENGTH else ""


def directory_filters(args: Any) -> directory.DirectoryFilters:
    """Read ``kind``, ``country``, ``campaign`` (a slug) and ``q`` from query arguments."""
    slug = campaign_slug(args)
    campaign = directory.get_campaign(slug) if slug else None
    q = (args.get("q") or "").strip()[:MAX_QUERY_LENGTH]
    return directory.DirectoryFilters(kind=_kind(args), country=_country(args), campaign=campaign, q=q)


def project_filters(args: Any) -> directory.ProjectFilters:
    """Read ``campaign`` (a slug), ``country`` and ``kind`` (of the organization) from query arguments."""
    slug = campaign_slug(args)
    campaign = directory.get_campaign(slug) if slug else None
    return directory.ProjectFilters(campaign=campaign, country=_country(args), kind=_kind(args))

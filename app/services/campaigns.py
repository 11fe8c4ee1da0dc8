"""Campaigns: reading them for pages, and curating them."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import Campaign, CampaignStatus


def home_page_campaigns() -> list[Campaign]:
    """Active campaigns in their curated order; counters are columns, so one query."""
    return list(
        db.session.scalars(
            sa.select(Campaign)
            .where(Campaign.status == CampaignStatus.ACTIVE)
            .order_by(Campaign.position, Campaign.id)
        )
    )

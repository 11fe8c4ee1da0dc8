"""Campaigns: reading them for pages, and curating them."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from app.extensions import db
from app.models import ACCENTS, AuditAction, Campaign, CampaignStatus, User
from app.services import DomainError, audit
from app.services.checks import require_moderator
from app.services.text import check_one_line, slugify

# How many active campaigns the home page shows (the campaigns page lists them all, paged).
HOME_CAMPAIGNS = 12


def home_page_campaigns(limit: int = HOME_CAMPAIGNS) -> tuple[list[Campaign], bool]:
    """The first ``limit`` active campaigns in their curated order, and whether there are more;
    counters are columns, so one query (an index seek on ``ix_campaigns_status_position``)
    whatever the number of campaigns."""
    campaigns = list(
        db.session.scalars(
            sa.select(Campaign)
            .where(Campaign.status == CampaignStatus.ACTIVE)
            .order_by(Campaign.position, Campaign.id)
            .limit(limit + 1)
        )
    )
    return campaigns[:limit], len(campaigns) > limit


# --- Curation by moderators -------------------------------------------------------------

TITLE_MAX_LENGTH = 160
SUMMARY_MAX_LENGTH = 300
SLUG_MAX_LENGTH = 80
DESCRIPTION_MAX_LENGTH = 20_000


def _check_moderator(actor: User) -> None:
    require_moderator(actor, _("Only moderators curate campaigns."))


def campaigns_for_curation(page: int = 1, per_page: int = 50):
    """Every campaign, active first, in their curated order (a Flask-SQLAlchemy page)."""
    return db.paginate(
        sa.select(Campaign).order_by(Campaign.status, Campaign.position, Campaign.id),
        page=page,
        per_page=per_page,
        error_out=False,
    )


def _clean_campaign_fields(
    campaign: Campaign | None, *, title, slug, summary, description, accent, position
) -> dict:
    title = (title or "").strip()
    summary = (summary or "").strip()
    description = (description or "").strip()
    for one_line in (title, summary, slug):
        check_one_line(one_line)
    if not title:
        raise DomainError(_("Title is required."))
    if len(title) > TITLE_MAX_LENGTH:
        raise DomainError(_("The title may be at most %(max)d characters long.", max=TITLE_MAX_LENGTH))
    if not summary:
        raise DomainError(_("Summary is required."))
    if len(summary) > SUMMARY_MAX_LENGTH:
        raise DomainError(_("The summary may be at most %(max)d characters long.", max=SUMMARY_MAX_LENGTH))
    if len(description) > DESCRIPTION_MAX_LENGTH:
        raise DomainError(
            _("The description may be at most %(max)d characters long.", max=DESCRIPTION_MAX_LENGTH)
        )
    slug = slugify((slug or "").strip() or title, max_length=SLUG_MAX_LENGTH)
    taken = db.session.scalar(
        sa.select(Campaign.id).where(Campaign.slug == slug, Campaign.id != (campaign.id if campaign else -1))
    )
    if taken is not None:
        raise DomainError(_("Another campaign already uses the address “%(slug)s”.", slug=slug))
    if accent not in ACCENTS:
        raise DomainError(_("Choose one of the accent colours."))
    try:
        position = int(position or 0)
    except (TypeError, ValueError):
        raise DomainError(_("The position must be a whole number.")) from None
    return {
        "title": title,
        "slug": slug,
        "summary": summary,
        "description": description,
        "accent": accent,
        "position": position,
    }


def create_campaign(
    actor: User,
    *,
    title: str,
    summary: str,
    slug: str = "",
    description: str = "",
    status: str = CampaignStatus.ACTIVE,
    accent: str = "tigris",
    position: int = 0,
) -> Campaign:
    """Create a campaign (audited). Raises NotAllowed for non-moderators, DomainError for bad input."""
    _check_moderator(actor)
    fields = _clean_campaign_fields(
        None, title=title, slug=slug, summary=summary, description=description, accent=accent,
        position=position,
    )  # fmt: skip
    campaign = Campaign(status=_clean_status(status), **fields)
    db.session.add(campaign)
    db.session.flush()
    audit.record(actor, AuditAction.CAMPAIGN_CREATED, target_type="campaign", target_id=campaign.id)
    return campaign


def _clean_status(status: str) -> CampaignStatus:
    try:
        return CampaignStatus(status)
    except ValueError:
        raise DomainError(_("Choose the campaign's status.")) from None


def update_campaign(
    campaign: Campaign,
    actor: User,
    *,
    title: str,
    summary: str,
    slug: str = "",
    description: str = "",
    status: str | None = None,
    accent: str = "tigris",
    position: int = 0,
    reason: str = "",
) -> Campaign:
    """Edit a campaign (audited); a status change is recorded as archiving or reactivation."""
    _check_moderator(actor)
    fields = _clean_campaign_fields(
        campaign, title=title, slug=slug, summary=summary, description=description, accent=accent,
        position=position,
    )  # fmt: skip
    for name, value in fields.items():
        setattr(campaign, name, value)
    db.session.flush()
    audit.record(actor, AuditAction.CAMPAIGN_UPDATED, target_type="campaign", target_id=campaign.id)
    if status is not None and _clean_status(status) != campaign.status:
        if status == CampaignStatus.ARCHIVED:
            archive_campaign(campaign, actor, reason=reason)
        else:
            reactivate_campaign(campaign, actor, reason=reason)
    return campaign


def archive_campaign(campaign: Campaign, actor: User, *, reason: str = "") -> Campaign:
    """Archive a campaign: it keeps its pledges and projects but takes no new ones (audited)."""
    _check_moderator(actor)
    if campaign.status == CampaignStatus.ARCHIVED:
        raise DomainError(_("This campaign is already archived."))
    campaign.status = CampaignStatus.ARCHIVED
    db.session.flush()
    audit.record(
        actor, AuditAction.CAMPAIGN_ARCHIVED, target_type="campaign", target_id=campaign.id, reason=reason
    )
    return campaign


def reactivate_campaign(campaign: Campaign, actor: User, *, reason: str = "") -> Campaign:
    """Make an archived campaign active again (audited)."""
    _check_moderator(actor)
    if campaign.status == CampaignStatus.ACTIVE:
        raise DomainError(_("This campaign is already active."))
    campaign.status = CampaignStatus.ACTIVE
    db.session.flush()
    audit.record(
        actor, AuditAction.CAMPAIGN_REACTIVATED, target_type="campaign", target_id=campaign.id, reason=reason
    )
    return campaign

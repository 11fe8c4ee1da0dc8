"""Projects: an approved organization creates, edits, links and deletes its own projects.

Only the project's own organization may change it; whatever a form sends, the owner is
the actor's organization. Campaign links move ``Campaign.project_count`` in the same
transaction (hidden projects and projects of unapproved organizations do not count).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import (
    Campaign,
    CampaignStatus,
    OrganizationStatus,
    Project,
    ProjectCampaign,
    ProjectStatus,
    User,
)
from app.services import DomainError, NotAllowed, counters
from app.services.text import check_one_line, slugify, unique_slug

TITLE_MAX_LENGTH = 200
SUMMARY_MAX_LENGTH = 300
DESCRIPTION_MAX_LENGTH = 20_000
PLACE_MAX_LENGTH = 160
SLUG_MAX_LENGTH = 140
# Slugs that would shadow a fixed address under /projects/.
RESERVED_SLUGS = {"new"}


def _acting_organization(actor: User):
    """The actor's organization if it may manage projects; raises NotAllowed otherwise."""
    organization = actor.organization if actor is not None else None
    if organization is None:
        raise NotAllowed(_("Only member organizations have projects."))
    if organization.status != OrganizationStatus.APPROVED:
        raise NotAllowed(_("Your organization can manage projects once a moderator has approved it."))
    return organization


def project_for_owner(project_id: int, actor: User) -> Project | None:
    """The project if it belongs to the actor's organization, else None (the view answers 404)."""
    if actor is None or actor.organization_id is None:
        return None
    return db.session.scalar(
        sa.select(Project)
        .options(selectinload(Project.campaigns))
        .where(Project.id == project_id, Project.organization_id == actor.organization_id)
    )


def linkable_campaigns(project: Project | None = None) -> list[Campaign]:
    """Campaigns a project may be linked to: the active ones, plus those it is already linked to."""
    condition = Campaign.status == CampaignStatus.ACTIVE
    if project is not None and project.id is not None:
        linked = sa.select(ProjectCampaign.campaign_id).where(ProjectCampaign.project_id == project.id)
        condition = sa.or_(condition, Campaign.id.in_(linked))
    return list(
        db.session.scalars(sa.select(Campaign).where(condition).order_by(Campaign.position, Campaign.id))
    )


def _clean_text(
    value: str | None, *, label: str, max_length: int, required: bool = False, one_line: bool = True
) -> str:
    value = (value or "").strip()
    if one_line:
        check_one_line(value)
    if required and not value:
        raise DomainError(_("%(field)s is required.", field=label))
    if len(value) > max_length:
        raise DomainError(_("%(field)s may be at most %(max)d characters long.", field=label, max=max_length))
    return value


def _clean_fields(
    *, title, summary, description, status, start_date: date | None, end_date: date | None, place
) -> dict:
    try:
        chosen_status = ProjectStatus(status)
    except ValueError:
        raise DomainError(_("Choose the project's status.")) from None
    if start_date and end_date and end_date < start_date:
        raise DomainError(_("The end date cannot be before the start date."))
    return {
        "title": _clean_text(title, label=_("Title"), max_length=TITLE_MAX_LENGTH, required=True),
        "summary": _clean_text(summary, label=_("Summary"), max_length=SUMMARY_MAX_LENGTH),
        "description": _clean_text(
            description, label=_("Description"), max_length=DESCRIPTION_MAX_LENGTH, one_line=False
        ),
        "status": chosen_status,
        "start_date": start_date,
        "end_date": end_date,
        "place": _clean_text(place, label=_("Place"), max_length=PLACE_MAX_LENGTH),
    }


def _clean_campaign_ids(campaign_ids: Iterable[int | str], already_linked: set[int]) -> set[int]:
    try:
        wanted = {int(c) for c in campaign_ids}
    except (TypeError, ValueError):
        raise DomainError(_("Unknown campaign.")) from None
    if not wanted:
        raise DomainError(_("Link the project to at least one campaign."))
    rows = dict(
        db.session.execute(sa.select(Campaign.id, Campaign.status).where(Campaign.id.in_(wanted))).all()
    )
    if set(rows) != wanted:
        raise DomainError(_("Unknown campaign."))
    for campaign_id, status in rows.items():
        if campaign_id not in already_linked and status != CampaignStatus.ACTIVE:
            raise DomainError(_("Archived campaigns take no new projects."))
    return wanted


def unique_project_slug(title: str) -> str:
    """A slug for the title; when taken (hidden projects too), with a suffix that tells nothing."""

    def is_taken(slug: str) -> bool:
        return db.session.scalar(sa.select(Project.id).where(Project.slug == slug)) is not None

    return unique_slug(slugify(title, max_length=SLUG_MAX_LENGTH - 7), is_taken, reserved=RESERVED_SLUGS)


def _counts(project: Project) -> bool:
    return project.hidden_at is None and project.organization.status == OrganizationStatus.APPROVED


def _set_links(project: Project, wanted: set[int], current: set[int]) -> None:
    added, removed = wanted - current, current - wanted
    for campaign_id in added:
        db.session.add(ProjectCampaign(project_id=project.id, campaign_id=campaign_id))
    if removed:
        db.session.execute(
            sa.delete(ProjectCampaign).where(
                ProjectCampaign.project_id == project.id, ProjectCampaign.campaign_id.in_(removed)
            )
        )
    db.session.flush()
    if _counts(project):
        counters.project_links_counted(added, +1)
        counters.project_links_counted(removed, -1)
    # The viewonly relationship must re-read the links.
    db.session.expire(project, ["campaigns"])


def create_project(
    actor: User,
    *,
    title: str,
    summary: str = "",
    description: str = "",
    status: str = ProjectStatus.PLANNED,
    start_date: date | None = None,
    end_date: date | None = None,
    place: str = "",
    campaign_ids: Iterable[int | str] = (),
) -> Project:
    """Create a project of the actor's own organization, linked to at least one active campaign.

    Raises NotAllowed (no approved organization) and DomainError (invalid input).
    """
    organization = _acting_organization(actor)
    fields = _clean_fields(
        title=title, summary=summary, description=description, status=status,
        start_date=start_date, end_date=end_date, place=place,
    )  # fmt: skip
    wanted = _clean_campaign_ids(campaign_ids, already_linked=set())
    project = Project(organization=organization, slug=unique_project_slug(fields["title"]), **fields)
    db.session.add(project)
    db.session.flush()
    _set_links(project, wanted, set())
    return project


def update_project(
    project: Project,
    actor: User,
    *,
    title: str,
    summary: str = "",
    description: str = "",
    status: str = ProjectStatus.PLANNED,
    start_date: date | None = None,
    end_date: date | None = None,
    place: str = "",
    campaign_ids: Iterable[int | str] = (),
) -> Project:
    """Edit an own project and its campaign links; the slug stays, so shared links keep working.

    Existing links to a campaign archived since may stay; new links need active campaigns.
    Raises NotAllowed (another organization's project, organization not approved), DomainError.
    """
    organization = _acting_organization(actor)
    if project.organization_id != organization.id:
        raise NotAllowed(_("Only the organization that runs a project can change it."))
    fields = _clean_fields(
        title=title, summary=summary, description=description, status=status,
        start_date=start_date, end_date=end_date, place=place,
    )  # fmt: skip
    current = set(
        db.session.scalars(
            sa.select(ProjectCampaign.campaign_id).where(ProjectCampaign.project_id == project.id)
        )
    )
    wanted = _clean_campaign_ids(campaign_ids, already_linked=current)
    for name, value in fields.items():
        setattr(project, name, value)
    db.session.flush()
    _set_links(project, wanted, current)
    return project


def delete_project(project: Project, actor: User) -> None:
    """Delete an own project and its links. Raises NotAllowed for another organization's project.

    Organizations that are not (or no longer) approved may still delete their own projects.
    """
    if actor is None or actor.organization_id is None or project.organization_id != actor.organization_id:
        raise NotAllowed(_("Only the organization that runs a project can delete it."))
    current = set(
        db.session.scalars(
            sa.select(ProjectCampaign.campaign_id).where(ProjectCampaign.project_id == project.id)
        )
    )
    if _counts(project):
        counters.project_links_counted(current, -1)
    db.session.execute(sa.delete(ProjectCampaign).where(ProjectCampaign.project_id == project.id))
    db.session.delete(project)
    db.session.flush()

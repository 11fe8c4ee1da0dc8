"""Supporter and project counters on campaigns, kept in step with every write.

Pages show counts from these columns instead of counting 200,000 pledge rows per
view. Every service that changes what counts calls one of these functions in the
same transaction; ``recount_all`` rebuilds everything from the rows (``flask
recount``), and the tests check that the two never drift apart.

What counts: active (not withdrawn) pledges of *approved* organizations, whatever
their visibility; projects that are not hidden, of approved organizations.
Updates are ``col = col + n`` in SQL, so concurrent requests never lose one.
"""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import (
    IRAQ,
    Campaign,
    Organization,
    OrganizationStatus,
    Pledge,
    PledgeVisibility,
    Project,
    ProjectCampaign,
)


def _bump_campaign(campaign_id: int, *, supporters: int = 0, iraqi: int = 0, projects: int = 0) -> None:
    db.session.execute(
        sa.update(Campaign)
        .where(Campaign.id == campaign_id)
        .values(
            supporter_count=Campaign.supporter_count + supporters,
            iraqi_supporter_count=Campaign.iraqi_supporter_count + iraqi,
            project_count=Campaign.project_count + projects,
        )
        .execution_options(synchronize_session=False)
    )


def _bump_organization(organization_id: int, public_pledges: int) -> None:
    db.session.execute(
        sa.update(Organization)
        .where(Organization.id == organization_id)
        .values(public_pledge_count=Organization.public_pledge_count + public_pledges)
        .execution_options(synchronize_session=False)
    )


def pledge_counted(pledge: Pledge, organization: Organization, delta: int) -> None:
    """Count (+1) or uncount (-1) one active pledge of an approved organization."""
    _bump_campaign(pledge.campaign_id, supporters=delta, iraqi=delta if organization.country == IRAQ else 0)
    if pledge.visibility == PledgeVisibility.PUBLIC:
        _bump_organization(organization.id, delta)
    _expire_counters(pledge.campaign_id, organization.id)


def pledge_visibility_changed(pledge: Pledge, old: PledgeVisibility, new: PledgeVisibility) -> None:
    """Only the organization's public-pledge count depends on visibility."""
    if old == new:
        return
    if old == PledgeVisibility.PUBLIC:
        _bump_organization(pledge.organization_id, -1)
    elif new == PledgeVisibility.PUBLIC:
        _bump_organization(pledge.organization_id, +1)
    _expire_counters(None, pledge.organization_id)


def project_links_counted(campaign_ids: list[int] | set[int], delta: int) -> None:
    """A visible project was linked to (+1) or unlinked from (-1) these campaigns."""
    for campaign_id in campaign_ids:
        _bump_campaign(campaign_id, projects=delta)
        _expire_counters(campaign_id, None)


def organization_visibility_changed(organization: Organization, delta: int) -> None:
    """An organization became visible (+1: approved, reinstated) or invisible (-1: suspended).

    Its active pledges and its visible projects' links start or stop counting.
    """
    is_iraqi = organization.country == IRAQ
    pledges = db.session.execute(
        sa.select(Pledge.campaign_id).where(
            Pledge.organization_id == organization.id, Pledge.withdrawn_at.is_(None)
        )
    ).scalars()
    for campaign_id in pledges:
        _bump_campaign(campaign_id, supporters=delta, iraqi=delta if is_iraqi else 0)
    links = db.session.execute(
        sa.select(ProjectCampaign.campaign_id)
        .join(Project, Project.id == ProjectCampaign.project_id)
        .where(Project.organization_id == organization.id, Project.hidden_at.is_(None))
    ).scalars()
    for campaign_id in links:
        _bump_campaign(campaign_id, projects=delta)
    _expire_counters(None, None)


def _expire_counters(campaign_id: int | None, organization_id: int | None) -> None:
    """Objects already loaded in the session must re-read counters changed in SQL."""
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, Campaign) and (campaign_id is None or obj.id == campaign_id):
            db.session.expire(obj, ["supporter_count", "iraqi_supporter_count", "project_count"])
        elif isinstance(obj, Organization) and (organization_id is None or obj.id == organization_id):
            db.session.expire(obj, ["public_pledge_count"])


def computed_counts() -> dict[str, dict[int, tuple[int, ...]]]:
    """Every counter as computed from the rows: {"campaigns": {id: (supporters, iraqi, projects)},
    "organizations": {id: (public_pledges,)}}."""
    approved = Organization.status == OrganizationStatus.APPROVED
    active_pledges = (
        sa.select(
            Pledge.campaign_id,
            sa.func.count().label("supporters"),
            sa.func.sum(sa.case((Organization.country == IRAQ, 1), else_=0)).label("iraqi"),
        )
        .join(Organization, Organization.id == Pledge.organization_id)
        .where(Pledge.withdrawn_at.is_(None), approved)
        .group_by(Pledge.campaign_id)
    )
    supporters = {
        row.campaign_id: (row.supporters, row.iraqi or 0) for row in db.session.execute(active_pledges)
    }
    project_links = (
        sa.select(ProjectCampaign.campaign_id, sa.func.count().label("projects"))
        .join(Project, Project.id == ProjectCampaign.project_id)
        .join(Organization, Organization.id == Project.organization_id)
        .where(Project.hidden_at.is_(None), approved)
        .group_by(ProjectCampaign.campaign_id)
    )
    projects = {row.campaign_id: row.projects for row in db.session.execute(project_links)}
    campaigns = {
        campaign_id: (*supporters.get(campaign_id, (0, 0)), projects.get(campaign_id, 0))
        for campaign_id in db.session.scalars(sa.select(Campaign.id))
    }
    public_pledges = dict(
        db.session.execute(
            sa.select(Pledge.organization_id, sa.func.count())
            .where(Pledge.withdrawn_at.is_(None), Pledge.visibility == PledgeVisibility.PUBLIC)
            .group_by(Pledge.organization_id)
        ).all()
    )
    organizations = {
        org_id: (public_pledges.get(org_id, 0),) for org_id in db.session.scalars(sa.select(Organization.id))
    }
    return {"campaigns": campaigns, "organizations": organizations}


def stored_counts() -> dict[str, dict[int, tuple[int, ...]]]:
    campaigns = {
        row.id: (row.supporter_count, row.iraqi_supporter_count, row.project_count)
        for row in db.session.execute(
            sa.select(
                Campaign.id, Campaign.supporter_count, Campaign.iraqi_supporter_count, Campaign.project_count
            )
        )
    }
    organizations = {
        row.id: (row.public_pledge_count,)
        for row in db.session.execute(sa.select(Organization.id, Organization.public_pledge_count))
    }
    return {"campaigns": campaigns, "organizations": organizations}


def recount_all() -> int:
    """Rebuild every counter from the rows; returns how many rows were corrected."""
    computed = computed_counts()
    stored = stored_counts()
    corrected = 0
    for campaign_id, (supporters, iraqi, projects) in computed["campaigns"].items():
        if stored["campaigns"].get(campaign_id) != (supporters, iraqi, projects):
            db.session.execute(
                sa.update(Campaign)
                .where(Campaign.id == campaign_id)
                .values(supporter_count=supporters, iraqi_supporter_count=iraqi, project_count=projects)
                .execution_options(synchronize_session=False)
            )
            corrected += 1
    for org_id, (public_pledges,) in computed["organizations"].items():
        if stored["organizations"].get(org_id) != (public_pledges,):
            db.session.execute(
                sa.update(Organization)
                .where(Organization.id == org_id)
                .values(public_pledge_count=public_pledges)
                .execution_options(synchronize_session=False)
            )
            corrected += 1
    _expire_counters(None, None)
    return corrected

"""Data builders: make the rows a test needs in one line, with sensible defaults.

Builders write through the services where a service keeps counters or rules,
so that what a test sets up is a state the application can really reach.
"""

from __future__ import annotations

import itertools

from app.extensions import db
from app.models import (
    Campaign,
    CampaignStatus,
    LinkVisibility,
    Organization,
    OrganizationKind,
    OrganizationStatus,
    Pledge,
    PledgeVisibility,
    Project,
    ProjectCampaign,
    ProjectStatus,
    Role,
    SupportKind,
    User,
    Visibility,
)
from app.models.base import utcnow
from app.search_engine import engine as search_engine
from app.services import counters, projects
from app.services.passwords import hash_password

DEFAULT_PASSWORD = "correct horse battery staple"
_sequence = itertools.count(1)


def create_schema() -> None:
    """Build every table (and what the database needs beyond tables) for the tests."""
    db.create_all()
    with db.engine.begin() as connection:
        search_engine.install(connection)


def make_organization(
    name: str | None = None,
    *,
    status: OrganizationStatus = OrganizationStatus.APPROVED,
    kind: OrganizationKind = OrganizationKind.NGO,
    country: str = "IQ",
    **fields,
) -> Organization:
    n = next(_sequence)
    name = name or f"Organization {n}"
    org = Organization(
        name=name,
        slug=fields.pop("slug", f"organization-{n}"),
        kind=kind,
        country=country,
        city=fields.pop("city", "Baghdad" if country == "IQ" else "Rome"),
        description=fields.pop("description", f"About {name}."),
        status=status,
        approved_at=None if status in (OrganizationStatus.PENDING, OrganizationStatus.REJECTED) else utcnow(),
        **fields,
    )
    db.session.add(org)
    db.session.flush()
    return org


def make_user(
    organization: Organization | None = None,
    *,
    email: str | None = None,
    role: Role = Role.MEMBER,
    password: str = DEFAULT_PASSWORD,
    confirmed: bool = True,
    is_owner: bool = True,
) -> User:
    if role == Role.MEMBER and organization is None:
        organization = make_organization()
    user = User(
        email=(email or f"user{next(_sequence)}@example.org").lower(),
        password_hash=hash_password(password),
        role=role,
        organization=organization,
        is_owner=is_owner if organization is not None else False,
        email_confirmed_at=utcnow() if confirmed else None,
    )
    db.session.add(user)
    db.session.flush()
    return user


def make_moderator(email: str | None = None, *, admin: bool = False, **kwargs) -> User:
    return make_user(None, email=email, role=Role.ADMIN if admin else Role.MODERATOR, **kwargs)


def make_campaign(
    title: str | None = None, *, status: CampaignStatus = CampaignStatus.ACTIVE, **fields
) -> Campaign:
    n = next(_sequence)
    title = title or f"Campaign {n}"
    campaign = Campaign(
        title=title,
        slug=fields.pop("slug", f"campaign-{n}"),
        summary=fields.pop("summary", f"What {title} wants."),
        description=fields.pop("description", f"The long story of {title}."),
        status=status,
        position=fields.pop("position", n),
        **fields,
    )
    db.session.add(campaign)
    db.session.flush()
    return campaign


def make_pledge(
    organization: Organization,
    campaign: Campaign,
    *,
    visibility: PledgeVisibility = PledgeVisibility.PUBLIC,
    kinds: tuple[SupportKind, ...] = (SupportKind.ENDORSEMENT,),
    message: str = "",
    withdrawn: bool = False,
    **fields,
) -> Pledge:
    """A pledge, counted in the campaign's counters as the pledge service would."""
    pledge = Pledge(
        organization=organization,
        campaign=campaign,
        visibility=visibility,
        support_kinds=" ".join(kinds),
        message=message,
        withdrawn_at=utcnow() if withdrawn else None,
        **fields,
    )
    db.session.add(pledge)
    db.session.flush()
    counters.pledge_made(pledge, organization)
    return pledge


def make_project(
    organization: Organization,
    campaigns: list[Campaign] | tuple[Campaign, ...] = (),
    title: str | None = None,
    *,
    status: ProjectStatus = ProjectStatus.RUNNING,
    link_visibility: LinkVisibility | None = LinkVisibility.PUBLIC,
    **fields,
) -> Project:
    """A project linked to campaigns, counted as the project service would. Its links are
    public (as if the member ticked "public"), or ``link_visibility``; None gives the
    service's default (public only where the organization's pledge is public)."""
    n = next(_sequence)
    title = title or f"Project {n}"
    project = Project(
        organization=organization,
        title=title,
        slug=fields.pop("slug", f"project-{n}"),
        summary=fields.pop("summary", f"What {title} does."),
        description=fields.pop("description", f"How {title} works."),
        status=status,
        place=fields.pop("place", "Basra"),
        **fields,
    )
    db.session.add(project)
    db.session.flush()
    publicly_pledged = projects.publicly_pledged_campaign_ids(organization.id)
    for campaign in campaigns:
        visibility = link_visibility or projects.default_link_visibility(campaign.id, publicly_pledged)
        db.session.add(ProjectCampaign(project_id=project.id, campaign_id=campaign.id, visibility=visibility))
    counters.project_links_changed([c.id for c in campaigns])
    return project


__all__ = [
    "DEFAULT_PASSWORD",
    "Visibility",
    "create_schema",
    "make_campaign",
    "make_moderator",
    "make_organization",
    "make_pledge",
    "make_project",
    "make_user",
]

"""Co-sponsorship of projects (issue #20).

A member of an approved organization invites another organization in public view to co-sponsor
one of its projects; a member of the invited organization accepts or declines. Accepted
co-sponsors are shown on the project's page and the project on their profiles, only while both
organizations are in public view (app/services/visibility.py) and the project is not hidden.
An invitation is mailed through the outbox in each reader's language.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import aliased, contains_eager, joinedload

from app.extensions import db
from app.models import CosponsorStatus, Organization, OrganizationStatus, Project, ProjectCosponsor, User
from app.models.base import utcnow
from app.services import DomainError, NotAllowed, mail, tokens
from app.services.visibility import is_publicly_listed, publicly_listed

# A profile lists this many co-sponsored projects at most (newest first).
PROFILE_PROJECTS = 20


def _approved(actor: User | None) -> Organization:
    organization = actor.organization if actor is not None else None
    if organization is None or organization.status != OrganizationStatus.APPROVED:
        raise NotAllowed(_("Only members of approved organizations can co-sponsor projects."))
    return organization


def own_project(actor: User | None, project_id: int) -> Project | None:
    """The actor's organization's project with this id, or None."""
    project = db.session.get(Project, project_id)
    if project is None or actor is None or project.organization_id != actor.organization_id:
        return None
    return project


def accepted(organization_id: int, project_id: Any) -> sa.ColumnElement[bool]:
    """The condition "the organization co-sponsors the project now" (its invitation accepted),
    for a query that asks it alongside other columns (the project page's one lookup)."""
    return sa.exists().where(
        ProjectCosponsor.project_id == project_id,
        ProjectCosponsor.organization_id == organization_id,
        ProjectCosponsor.status == CosponsorStatus.ACCEPTED,
    )


def is_cosponsor(organization_id: int | None, project_id: int) -> bool:
    """Whether the organization co-sponsors the project now (one query). An invitation still
    open, declined, or withdrawn by either side is not."""
    if organization_id is None:
        return False
    return bool(db.session.scalar(sa.select(accepted(organization_id, project_id))))


def invite(actor: User | None, project: Project, slug: str) -> ProjectCosponsor:
    owner = _approved(actor)
    if project.organization_id != owner.id:
        raise NotAllowed(_("Only the project's organization can invite co-sponsors."))
    invited = db.session.scalar(sa.select(Organization).where(Organization.slug == (slug or "").strip()))
    if invited is None or not is_publicly_listed(invited) or invited.id == owner.id:
        raise DomainError(_("No organization in the directory has this address."))
    if db.session.get(ProjectCosponsor, (project.id, invited.id)) is not None:
        raise DomainError(_("This organization has already been invited to co-sponsor this project."))
    row = ProjectCosponsor(project_id=project.id, organization_id=invited.id, invited_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    link = tokens.external_url("solidarity.cosponsorships")
    for user in invited.users:
        mail.send_to_user(
            user,
            _l("%(organization)s invites you to co-sponsor a project on Tadamun", organization=owner.name),
            "cosponsor_invited",
            owner=owner,
            project=project,
            link=link,
        )
    return row


def answer(actor: User | None, project_id: int, accept: bool) -> ProjectCosponsor:
    """Raises LookupError when the actor's organization has no invitation to this project."""
    organization = _approved(actor)
    row = db.session.get(ProjectCosponsor, (project_id, organization.id))
    if row is None:
        raise LookupError(project_id)
    if row.status != CosponsorStatus.INVITED:
        raise DomainError(_("This invitation has already been answered."))
    row.status = CosponsorStatus.ACCEPTED if accept else CosponsorStatus.DECLINED
    row.decided_at = utcnow()
    db.session.flush()
    return row


def withdraw(actor: User | None, project_id: int) -> ProjectCosponsor:
    """The co-sponsor steps down: it is no longer shown on the project, and its members may no
    longer post, edit or delete updates there (their updates stay, as any organization's do).
    Recorded as declined (the owner may invite it again only through a new answer: the row is
    kept). Raises LookupError when it was never invited, DomainError when it does not
    co-sponsor the project now."""
    organization = _approved(actor)
    row = db.session.get(ProjectCosponsor, (project_id, organization.id))
    if row is None:
        raise LookupError(project_id)
    if row.status != CosponsorStatus.ACCEPTED:
        raise DomainError(_("Your organization does not co-sponsor this project."))
    row.status = CosponsorStatus.DECLINED
    row.decided_at = utcnow()
    db.session.flush()
    return row


def remove(actor: User | None, project: Project, organization_id: int) -> ProjectCosponsor:
    """The project's organization takes a co-sponsor off its project, or takes back an open
    invitation: the organization is no longer shown on the project, its members may no longer
    post, edit or delete updates there (``updates.may_post_on_project`` asks
    :func:`is_cosponsor`; their updates stay, as any organization's do), and its invitation
    leaves its list. The row goes, so the owner may invite it again later. Raises NotAllowed
    (not the project's organization), LookupError (never invited), DomainError (it declined
    or stepped down: nothing to remove)."""
    owner = _approved(actor)
    if project.organization_id != owner.id:
        raise NotAllowed(_("Only the project's organization can remove its co-sponsors."))
    row = db.session.get(
        ProjectCosponsor, (project.id, organization_id), options=[joinedload(ProjectCosponsor.organization)]
    )
    if row is None:
        raise LookupError(organization_id)
    if row.status == CosponsorStatus.DECLINED:
        raise DomainError(_("This organization does not co-sponsor this project and has no open invitation."))
    was_cosponsor = row.status == CosponsorStatus.ACCEPTED
    db.session.delete(row)
    db.session.flush()
    # Told, as it was told of the invitation: an organization shown on a project learns from the
    # project's owner, not by finding its name gone, that it no longer is.
    link = tokens.external_url("solidarity.cosponsorships")
    for user in row.organization.users:
        mail.send_to_user(
            user,
            _l(
                "%(organization)s has changed your co-sponsorship of a project on Tadamun",
                organization=owner.name,
            ),
            "cosponsor_removed",
            owner=owner,
            project=project,
            was_cosponsor=was_cosponsor,
            link=link,
        )
    return row


def invitations(organization: Organization) -> list[ProjectCosponsor]:
    """What the organization was invited to and what it co-sponsors, newest first (one query)."""
    return list(
        db.session.scalars(
            sa.select(ProjectCosponsor)
            .options(joinedload(ProjectCosponsor.project).joinedload(Project.organization))
            .where(ProjectCosponsor.organization_id == organization.id)
            .order_by(ProjectCosponsor.created_at.desc())
            .limit(100)
        )
    )


def invited_by_project(project: Project) -> list[ProjectCosponsor]:
    """Every invitation of a project, for its organization's members (one query)."""
    return list(
        db.session.scalars(
            sa.select(ProjectCosponsor)
            .options(joinedload(ProjectCosponsor.organization))
            .where(ProjectCosponsor.project_id == project.id)
            .order_by(ProjectCosponsor.created_at)
        )
    )


def project_cosponsors(project: Project) -> list[Organization]:
    """The accepted co-sponsors of a (visible) project that are in public view (one query)."""
    return list(
        db.session.scalars(
            sa.select(Organization)
            .join(ProjectCosponsor, ProjectCosponsor.organization_id == Organization.id)
            .where(
                ProjectCosponsor.project_id == project.id,
                ProjectCosponsor.status == CosponsorStatus.ACCEPTED,
                publicly_listed(Organization),
            )
            .order_by(Organization.name, Organization.id)
        )
    )


def cosponsored_projects(organization: Organization) -> list[Project]:
    """The visible projects of organizations in public view that ``organization`` co-sponsors
    (one query)."""
    owner = aliased(Organization)
    return list(
        db.session.scalars(
            sa.select(Project)
            .join(owner, Project.organization_id == owner.id)
            .join(ProjectCosponsor, ProjectCosponsor.project_id == Project.id)
            .options(contains_eager(Project.organization.of_type(owner)))
            .where(
                ProjectCosponsor.organization_id == organization.id,
                ProjectCosponsor.status == CosponsorStatus.ACCEPTED,
                Project.hidden_at.is_(None),
                publicly_listed(owner),
            )
            .order_by(ProjectCosponsor.decided_at.desc(), Project.id)
            .limit(PROFILE_PROJECTS)
        )
    )

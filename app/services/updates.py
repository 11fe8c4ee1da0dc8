"""Updates: news that campaign coordinators post on a campaign, and that member organizations
post on their own projects.

An update has a title and a Markdown body (rendered through app/services/text.py, as
descriptions are) in one or more of the interface languages; a reader sees it in their language,
else in the language it was first written in. A campaign update may point to a project. Editing
keeps the former words (``UpdateRevision``); deleting hides the update with a reason, as content
moderation does, and is recorded in the audit log; a moderator may show it again.

What anyone sees follows app/services/visibility.py: an update posted by an organization shows
only while that organization is in public view; a project update only while its project is
visible and its organization in public view; a campaign update's project link only while that
project would show. Who may post and edit: app/services/coordinators.py (campaigns) and the
project's own organization (projects).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import aliased, joinedload

from app.extensions import db
from app.models import (
    AuditAction,
    Campaign,
    Organization,
    OrganizationStatus,
    Project,
    Update,
    UpdateRevision,
    UpdateText,
    User,
)
from app.models.base import utcnow
from app.services import (
    DomainError,
    NotAllowed,
    audit,
    cosponsors,
    directory,
    following,
    notifications,
    pledges,
)
from app.services.checks import clean_reason
from app.services.coordinators import coordinates_in_select, coordinating, may_coordinate, public_coordinators
from app.services.directory import CampaignRef, ProjectRef
from app.services.text import check_one_line
from app.services.visibility import is_publicly_listed, publicly_listed

TITLE_MAX_LENGTH = 160
BODY_MAX_LENGTH = 10_000
CAMPAIGN_PAGE_SIZE = 5
HOME_UPDATES = 3
PROJECT_UPDATES = 10
FEED_UPDATES = 30
HISTORY_LIMIT = 100


# --- Who may -----------------------------------------------------------------------------


def may_edit(user: Any, update: Update) -> bool:
    """Who may edit ``update`` (and see its history): for a campaign update, whoever coordinates
    the campaign; for a project update, moderators, and approved members of the organization that
    posted it while it may still post on the project (the project's own organization, or an
    accepted co-sponsor: one that withdrew or declined no longer may)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if update.campaign is not None:
        return may_coordinate(user, update.campaign)
    if user.is_moderator:
        return True
    project = update.project
    return (
        project is not None
        and update.organization_id == user.organization_id
        and may_post_on_project(user, project)
    )


def may_delete(user: Any, update: Update) -> bool:
    """Who may delete (hide) ``update``: whoever may edit it, and, for a project update, the
    project's own organization (it keeps its page; a co-sponsor's words are never rewritten by
    another organization, only taken down, with a reason kept)."""
    if may_edit(user, update):
        return True
    project = update.project
    return (
        update.campaign is None
        and project is not None
        and getattr(user, "is_authenticated", False)
        and user.organization_id == project.organization_id
        and may_post_on_project(user, project)
    )


def may_post_on_project(user: Any, project: Project | ProjectRef) -> bool:
    """Who may post updates on ``project``: approved members of its own organization and of the
    organizations that co-sponsor it (accepted, app/services/cosponsors.py). The one rule every
    door asks (the project page's button, the form, the service)."""
    if user is None or not getattr(user, "is_authenticated", False) or user.organization_id is None:
        return False
    if user.organization.status != OrganizationStatus.APPROVED:
        return False
    if user.organization_id == project.organization_id:
        return True
    if isinstance(project, ProjectRef) and project.reader_organization_id == user.organization_id:
        return bool(project.reader_cosponsors)  # asked with the project's own lookup
    return cosponsors.is_cosponsor(user.organization_id, project.id)


# --- Writing -----------------------------------------------------------------------------


def _languages() -> list[str]:
    return list(current_app.config["LANGUAGES"])


def _clean_texts(texts: Mapping[str, tuple[str | None, str | None]]) -> dict[str, tuple[str, str]]:
    """``{locale: (title, body)}`` for the languages written; raises DomainError on bad input."""
    cleaned: dict[str, tuple[str, str]] = {}
    for locale in _languages():
        title, body = texts.get(locale, (None, None))
        title, body = (title or "").strip(), (body or "").strip()
        if not title and not body:
            continue
        check_one_line(title)
        if not title:
            raise DomainError(_("Each language written needs a title."))
        if len(title) > TITLE_MAX_LENGTH:
            raise DomainError(_("The title may be at most %(max)d characters long.", max=TITLE_MAX_LENGTH))
        if len(body) > BODY_MAX_LENGTH:
            raise DomainError(_("The text may be at most %(max)d characters long.", max=BODY_MAX_LENGTH))
        cleaned[locale] = (title, body)
    if not cleaned:
        raise DomainError(_("Write the update in at least one language."))
    return cleaned


def _first_locale(cleaned: Mapping[str, Any], preferred: str | None) -> str:
    if preferred in cleaned:
        return str(preferred)
    return next(iter(cleaned))


def _linkable_project(project_id: int | None, campaign: Campaign) -> Project | None:
    """The project a campaign update points to: one in public view (else DomainError)."""
    if not project_id:
        return None
    project = db.session.scalar(
        sa.select(Project)
        .join(Project.organization)
        .where(Project.id == project_id, Project.hidden_at.is_(None), publicly_listed(Organization))
    )
    if project is None:
        raise DomainError(_("Choose a project that is shown publicly."))
    return project


def linkable_projects(campaign: Campaign) -> list[Project]:
    """Projects in public view linked to the campaign (publicly): the form's choice."""
    from app.models import LinkVisibility, ProjectCampaign

    return list(
        db.session.scalars(
            sa.select(Project)
            .join(Project.organization)
            .join(ProjectCampaign, ProjectCampaign.project_id == Project.id)
            .where(
                ProjectCampaign.campaign_id == campaign.id,
                ProjectCampaign.visibility == LinkVisibility.PUBLIC,
                Project.hidden_at.is_(None),
                publicly_listed(Organization),
            )
            .order_by(Project.title, Project.id)
        )
    )


def post_campaign_update(
    campaign: Campaign,
    actor: User,
    texts: Mapping[str, tuple[str | None, str | None]],
    *,
    project_id: int | None = None,
    preferred_locale: str | None = None,
) -> Update:
    """A coordinator posts an update on a campaign. Raises NotAllowed (not a coordinator),
    DomainError (no language written, too long, a project not in public view)."""
    if not may_coordinate(actor, campaign):
        raise NotAllowed(_("Only the campaign's coordinators post its updates."))
    cleaned = _clean_texts(texts)
    project = _linkable_project(project_id, campaign)
    update = Update(
        campaign_id=campaign.id,
        project_id=project.id if project is not None else None,
        organization_id=None if actor.is_moderator else actor.organization_id,
        author_id=actor.id,
        locale=_first_locale(cleaned, preferred_locale),
        texts=[UpdateText(locale=loc, title=title, body=body) for loc, (title, body) in cleaned.items()],
    )
    db.session.add(update)
    db.session.flush()
    notifications.update_published(update)
    return update


def post_project_update(
    project: Project,
    actor: User,
    texts: Mapping[str, tuple[str | None, str | None]],
    *,
    preferred_locale: str | None = None,
) -> Update:
    """A member of the project's organization or of an accepted co-sponsor posts an update on
    it, in its organization's name. Raises NotAllowed, DomainError."""
    if not may_post_on_project(actor, project):
        raise NotAllowed(_("Only the project's organization and its co-sponsors post its updates."))
    cleaned = _clean_texts(texts)
    update = Update(
        project_id=project.id,
        organization_id=actor.organization_id,
        author_id=actor.id,
        locale=_first_locale(cleaned, preferred_locale),
        texts=[UpdateText(locale=loc, title=title, body=body) for loc, (title, body) in cleaned.items()],
    )
    db.session.add(update)
    db.session.flush()
    notifications.update_published(update)
    return update


def edit_update(
    update: Update,
    actor: User,
    texts: Mapping[str, tuple[str | None, str | None]],
    *,
    project_id: int | None = None,
) -> Update:
    """Replace an update's words (every language written, at least one); the words replaced
    are kept as revisions. Raises NotAllowed, DomainError."""
    if not may_edit(actor, update):
        raise NotAllowed(_("You may not edit this update."))
    cleaned = _clean_texts(texts)
    if update.campaign is not None:
        project = _linkable_project(project_id, update.campaign)
        update.project_id = project.id if project is not None else None
    current = {text.locale: text for text in update.texts}
    now = utcnow()
    for locale, text in current.items():
        new = cleaned.get(locale)
        if new is None or new != (text.title, text.body):
            db.session.add(
                UpdateRevision(
                    update_id=update.id, locale=locale, title=text.title, body=text.body,
                    edited_by_id=actor.id, created_at=now,
                )
            )  # fmt: skip
        if new is None:
            update.texts.remove(text)
        else:
            text.title, text.body = new
    for locale, (title, body) in cleaned.items():
        if locale not in current:
            update.texts.append(UpdateText(locale=locale, title=title, body=body))
    if update.locale not in cleaned:
        update.locale = next(iter(cleaned))
    update.updated_at = now
    db.session.flush()
    return update


def hide_update(update: Update, actor: User, reason: str) -> Update:
    """Delete an update: it is hidden everywhere, with a reason kept for the record (and shown to
    those who may edit it). Raises NotAllowed, DomainError (no reason, already hidden)."""
    if not may_delete(actor, update):
        raise NotAllowed(_("You may not delete this update."))
    text = clean_reason(reason)
    if update.is_hidden:
        raise DomainError(_("This update is already deleted."))
    update.hidden_at = utcnow()
    update.hidden_reason = text
    db.session.flush()
    audit.record(
        actor, AuditAction.UPDATE_HIDDEN, target_type="update", target_id=update.id,
        organization_id=update.organization_id, reason=text,
    )  # fmt: skip
    if update.organization is not None and actor.organization_id != update.organization_id:
        # A moderator deleted an organization's update: its members hear of it, with the reason.
        words = update.text_in(update.locale)
        notifications.content_hidden(
            update.organization, "update", update.id, words.title if words else "", text
        )
    return update


def unhide_update(update: Update, actor: User, reason: str = "") -> Update:
    """A moderator shows a deleted update again. Raises NotAllowed, DomainError (not hidden)."""
    if actor is None or not actor.is_moderator:
        raise NotAllowed(_("Only moderators show a deleted update again."))
    text = clean_reason(reason, required=False)
    if not update.is_hidden:
        raise DomainError(_("This update is not deleted."))
    update.hidden_at = None
    update.hidden_reason = None
    db.session.flush()
    audit.record(
        actor, AuditAction.UPDATE_UNHIDDEN, target_type="update", target_id=update.id,
        organization_id=update.organization_id, reason=text,
    )  # fmt: skip
    if update.organization is not None and actor.organization_id != update.organization_id:
        words = update.text_in(update.locale)
        notifications.content_hidden(
            update.organization, "update_shown", update.id, words.title if words else "", text
        )
    return update


# --- Reading -----------------------------------------------------------------------------


@dataclass(frozen=True)
class LocalizedUpdate:
    """An update as shown in one language: its words, their language, and the project it points
    to when that project is in public view."""

    update: Update
    title: str
    body: str
    lang: str
    project: Project | None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.update, name)


def _project_shown(project: Project | None) -> Project | None:
    if project is None or project.is_hidden or not is_publicly_listed(project.organization):
        return None
    return project


def localized(updates: Iterable[Update], locale: str) -> list[LocalizedUpdate]:
    views = []
    for update in updates:
        text = update.text_in(locale)
        if text is None:
            continue
        views.append(
            LocalizedUpdate(
                update=update, title=text.title, body=text.body, lang=text.locale,
                project=_project_shown(update.project),
            )
        )  # fmt: skip
    return views


_Poster = aliased(Organization, name="poster")


def _shown_updates() -> sa.Select:
    """Updates anyone may see: not deleted, and posted by the network or an organization in
    public view; for a project update, its project visible. Loads what a page shows."""
    project = aliased(Project, name="update_project")
    owner = aliased(Organization, name="update_project_owner")
    return (
        sa.select(Update)
        .outerjoin(_Poster, Update.organization_id == _Poster.id)
        .outerjoin(project, Update.project_id == project.id)
        .outerjoin(owner, project.organization_id == owner.id)
        .where(
            Update.hidden_at.is_(None),
            sa.or_(Update.organization_id.is_(None), publicly_listed(_Poster)),
            sa.or_(
                Update.campaign_id.is_not(None),
                sa.and_(project.hidden_at.is_(None), publicly_listed(owner)),
            ),
        )
        # One query with everything a list shows (a LIMIT puts the rows in a subquery first).
        .options(
            joinedload(Update.texts),
            joinedload(Update.organization),
            joinedload(Update.project).joinedload(Project.organization),
        )
        .order_by(Update.created_at.desc(), Update.id.desc())
    )


@dataclass(frozen=True)
class UpdatePage:
    """One page of a campaign's updates; no total is counted (one query per page)."""

    items: list[Update]
    page: int
    has_next: bool

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def campaign_updates(campaign: Campaign, page: int = 1, per_page: int = CAMPAIGN_PAGE_SIZE) -> UpdatePage:
    """The campaign's updates anyone may see, newest first, one page (read with one more row to
    know whether another page follows)."""
    page = min(max(page, 1), 10_000)
    stmt = (
        _shown_updates()
        .where(Update.campaign_id == campaign.id)
        .limit(per_page + 1)
        .offset((page - 1) * per_page)
    )
    rows = list(db.session.scalars(stmt).unique())
    return UpdatePage(items=rows[:per_page], page=page, has_next=len(rows) > per_page)


def latest_campaign_updates(limit: int = HOME_UPDATES) -> list[Update]:
    """The newest campaign updates anyone may see, for the home page."""
    stmt = (
        _shown_updates()
        .where(Update.campaign_id.is_not(None))
        .options(joinedload(Update.campaign))
        .limit(limit)
    )
    return list(db.session.scalars(stmt).unique())


def project_updates(project: Project, limit: int = PROJECT_UPDATES) -> list[Update]:
    """A project's own updates anyone may see, newest first."""
    stmt = _shown_updates().where(Update.project_id == project.id, Update.campaign_id.is_(None)).limit(limit)
    return list(db.session.scalars(stmt).unique())


def feed_updates(campaign: Campaign, limit: int = FEED_UPDATES) -> list[Update]:
    """The newest updates of a campaign anyone may see, for its Atom feed."""
    stmt = _shown_updates().where(Update.campaign_id == campaign.id).limit(limit)
    return list(db.session.scalars(stmt).unique())


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class InvalidUpdateCursor(ValueError):
    """A cursor that is not one of :func:`open_updates`'s."""


def update_cursor(update: Update) -> str:
    """Where the next page of :func:`open_updates` starts: the update's time and number."""
    micros = (update.created_at - _EPOCH) // timedelta(microseconds=1)
    return f"{micros}~{update.id}"


def _parse_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        micros, number = cursor.split("~")
        return _EPOCH + timedelta(microseconds=int(micros)), int(number)
    except (ValueError, OverflowError, OSError) as error:
        raise InvalidUpdateCursor(cursor) from error


def open_updates(
    *,
    campaign: Campaign | None = None,
    project: Project | None = None,
    organization: Organization | None = None,
    language: str | None = None,
    after: str | None = None,
    limit: int = 20,
) -> tuple[list[Update], bool]:
    """Updates anyone may see (the pages' rule, :func:`_shown_updates`), newest first, one page
    after ``after`` (a :func:`update_cursor`); with ``campaign``, that campaign's; with
    ``project``, those of or pointing to that project (the caller passes a project in public
    view); with ``organization``, those it posted (campaign and project updates alike); with
    ``language``, those written in it. Returns the page and whether more follow.
    Raises InvalidUpdateCursor."""
    stmt = _shown_updates().options(joinedload(Update.campaign))
    if campaign is not None:
        stmt = stmt.where(Update.campaign_id == campaign.id)
    if project is not None:
        stmt = stmt.where(Update.project_id == project.id)
    if organization is not None:
        stmt = stmt.where(Update.organization_id == organization.id)
    if language is not None:
        stmt = stmt.where(sa.exists().where(UpdateText.update_id == Update.id, UpdateText.locale == language))
    if after is not None:
        moment, number = _parse_cursor(after)
        stmt = stmt.where(
            sa.or_(
                Update.created_at < moment,
                sa.and_(Update.created_at == moment, Update.id < number),
            )
        )
    rows = list(db.session.scalars(stmt.limit(limit + 1)).unique())
    return rows[:limit], len(rows) > limit


def newest_updates(limit: int = FEED_UPDATES, *, project: Project | None = None) -> list[Update]:
    """The newest updates anyone may see, campaign and project updates alike (the network's
    Atom feed), or those of one project (its feed)."""
    return open_updates(project=project, limit=limit)[0]


def get_update(update_id: int) -> Update | None:
    """Any update (hidden ones included) with what its edit pages show: for those who may edit."""
    return (
        db.session.scalars(
            sa.select(Update)
            .where(Update.id == update_id)
            .options(
                joinedload(Update.texts),
                joinedload(Update.campaign),
                joinedload(Update.project).joinedload(Project.organization),
            )
        )
        .unique()
        .first()
    )


def history(update: Update, limit: int = HISTORY_LIMIT) -> list[UpdateRevision]:
    """The words an update had before each edit, newest first."""
    return list(
        db.session.scalars(
            sa.select(UpdateRevision)
            .where(UpdateRevision.update_id == update.id)
            .order_by(UpdateRevision.created_at.desc(), UpdateRevision.id.desc())
            .limit(limit)
        )
    )


# --- What the shared pages show ----------------------------------------------------------


@dataclass(frozen=True)
class Reader:
    """What a page of updates shows one reader alone: may they post (and edit) updates there,
    and their follow button. Never part of a shared fragment (app/fragments.py)."""

    may_post: bool
    follow: following.FollowPanel
    # On a project: the organization the reader posts for, and whether it is the project's own
    # (it may delete every update there, a co-sponsor only its own).
    organization_id: int | None = None
    owns: bool = False
    # On a campaign, for a member: whether their organization's latest pledge there was asked
    # with the campaign (pledges.latest_pledge_in_select), and its id (None: no pledge).
    pledge_asked: bool = False
    latest_pledge_id: int | None = None

    @property
    def fragment_name(self) -> str:
        """Which shared body of a project page this reader gets: the public one, or the one of
        their organization with the links to manage its updates (only its members share it)."""
        return f"project:posting:{self.organization_id}" if self.may_post else "project"


def campaign_page(campaign: Campaign, locale: str, page: int = 1) -> dict[str, Any]:
    """What the campaign page shows every reader of its life: its updates (a page, in the
    reader's language) and the organizations coordinating it."""
    updates = campaign_updates(campaign, page=page)
    return {
        "updates": updates,
        "shown_updates": localized(updates.items, locale),
        "coordinators": public_coordinators(campaign),
    }


def _campaign_for_reader_statement(asks_coordination: bool, asks_pledge: bool) -> sa.Select:
    """:func:`campaign_for_reader`'s select: the campaign's three columns (directory.CampaignRef),
    whether the reader follows it and, when asked, whether their organization coordinates it and
    the id of its latest pledge there."""
    columns = [
        Campaign.id,
        Campaign.slug,
        Campaign.status,
        following.follows_in_select("campaign", Campaign.id),
        coordinates_in_select(Campaign.id) if asks_coordination else sa.null(),
        pledges.latest_pledge_in_select(Campaign.id) if asks_pledge else sa.null(),
    ]
    return sa.select(*columns).where(Campaign.slug == sa.bindparam("slug"))


# Built once: the first read of every campaign page a logged-in reader opens.
_CAMPAIGN_FOR_READER = {
    (coordination, pledge): _campaign_for_reader_statement(coordination, pledge)
    for coordination in (False, True)
    for pledge in (False, True)
}


def campaign_for_reader(slug: str, viewer: Any) -> tuple[Campaign | CampaignRef, Reader] | None:
    """The campaign page's campaign and what ``viewer`` alone sees there: may they post updates
    (``coordinators.may_coordinate``), their follow button and, for a member, which pledge of
    their organization the pledge panel shows. None: no such campaign.

    A logged-in reader's page gets the campaign's three columns with these answers in one select
    (its body, with the campaign's words, usually comes from the fragment store). A visitor's
    page reads the whole campaign (its body is rendered for the page cache) and asks nothing."""
    if not getattr(viewer, "is_authenticated", False):
        campaign = directory.get_campaign(slug)
        if campaign is None:
            return None
        return campaign, Reader(may_post=False, follow=following.panel("campaign", campaign, viewer))
    may_post = coordinating(viewer)
    asks_coordination = not isinstance(may_post, bool)
    parameters = {"slug": slug, **following.follower_parameters(viewer)}
    if asks_coordination:
        parameters["organization_id"] = may_post
    organization_id = viewer.organization_id  # moderators belong to none: they pledge nothing
    asks_pledge = organization_id is not None
    if asks_pledge:
        parameters["pledging_organization_id"] = organization_id
    row = db.session.execute(_CAMPAIGN_FOR_READER[asks_coordination, asks_pledge], parameters).first()
    if row is None:
        return None
    campaign = CampaignRef(*row[:3])
    if asks_coordination:
        may_post = bool(row[4])
    follow = following.panel("campaign", campaign, viewer, following=bool(row[3]))
    return campaign, Reader(
        may_post=may_post, follow=follow, pledge_asked=asks_pledge, latest_pledge_id=row[5]
    )


def project_page(project: Project, locale: str) -> dict[str, Any]:
    """What the project page shows every reader: its updates."""
    return {"shown_updates": localized(project_updates(project), locale)}


def project_reader(project: Project | ProjectRef, viewer: Any) -> Reader:
    """May ``viewer`` post the project's updates (no query for the project's own organization,
    one for a possible co-sponsor) and their follow button (one query for a logged-in viewer)."""
    may_post = may_post_on_project(viewer, project)
    return Reader(
        may_post=may_post,
        follow=following.panel("project", project, viewer),
        organization_id=viewer.organization_id if may_post else None,
        owns=may_post and viewer.organization_id == project.organization_id,
    )


def home_page(locale: str) -> list[LocalizedUpdate]:
    return localized(latest_campaign_updates(), locale)

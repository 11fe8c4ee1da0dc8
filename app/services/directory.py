"""Reading the public directory: campaigns, their supporters, organizations and projects.

Plain functions shared by the pages (and later the API). Two rules hold in every one:

* Only organizations in public view (app/services/visibility.py: approved, and neither
  dark, delisted nor being deleted), and what they own, are ever returned. Any other
  organization does not exist as far as the public is concerned.
* A pledge is *named* only when the viewer may see it: ``public`` pledges for everyone,
  ``members`` pledges for approved members and moderators, ``counted`` pledges never
  (they only add to the counters). Any filter built on pledges obeys the same rule,
  otherwise filtering would reveal a discreet supporter.
* A project's link to a campaign says that its organization works on the campaign, so it
  follows the same rule: ``public`` links for everyone, ``members`` links for approved
  members and moderators, on every page and filter that shows or uses links.

Each function loads what its page shows in a fixed number of queries (joined or
select-in eager loading), so templates never lazy-load a relation per row. Lists are
ordered on indexed columns with the id as tie-breaker; a campaign's supporters, the list
that grows longest, are paged by keyset (``?after=``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import abort, current_app
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import contains_eager, joinedload, selectinload
from sqlalchemy.sql.functions import FunctionElement

from app.extensions import db
from app.models import (
    Campaign,
    CampaignStatus,
    CampaignTranslation,
    LinkVisibility,
    Organization,
    OrganizationKind,
    Pledge,
    PledgeVisibility,
    Project,
    ProjectCampaign,
    ProjectStatus,
)
from app.models.organization import name_in as organization_name_in
from app.numbers import parse_id, parse_number
from app.search_engine import engine as search_engine
from app.services import access_log, cosponsors, translations
from app.services.visibility import publicly_listed
from app.sorting import SORT_LOCALES

HOME_ORGANIZATIONS = 6
HOME_PLEDGES = 8
CAMPAIGN_PROJECTS = 6


# --- Who is looking ---------------------------------------------------------------------


def viewer_sees_members_only(viewer: Any) -> bool:
    """True for logged-in approved members and moderators; false for visitors and
    for members of pending, rejected or suspended organizations."""
    return bool(
        viewer is not None and getattr(viewer, "is_authenticated", False) and viewer.sees_members_only
    )


def visible_contacts(
    organization: Organization, viewer: Any, *, generation: str = "", writable: bool = True
) -> dict[str, str]:
    """The contact details of ``organization`` that ``viewer`` is shown on its profile, keyed by
    field: the one decision for the profile page. Non-public ones shown to a member of another
    organization or to a moderator are recorded in the organization's access log (one upsert;
    the caller commits).

    ``writable``: whether the caller's transaction will be committed. A view that needs its record
    written in a request that cannot write shows the public details only (app.services.access_log).
    ``generation``: the page cache's token, read before the organization was: an organization with
    nothing private is remembered under it, so the next views need no write."""
    shown = organization.visible_contacts(viewer_is_member=viewer_sees_members_only(viewer))
    if not access_log.private_fields(organization, shown):
        access_log.note_nothing_private(organization, generation)
        return shown
    if not access_log.record_views(viewer, [organization], writable=writable):
        return organization.visible_contacts(viewer_is_member=False)
    return shown


def named_visibilities(viewer: Any) -> tuple[PledgeVisibility, ...]:
    """The pledge visibilities whose organization the viewer may see named."""
    if viewer_sees_members_only(viewer):
        return (PledgeVisibility.PUBLIC, PledgeVisibility.MEMBERS)
    return (PledgeVisibility.PUBLIC,)


def link_visibilities(viewer: Any) -> tuple[LinkVisibility, ...]:
    """The project-to-campaign links the viewer may see."""
    if viewer_sees_members_only(viewer):
        return (LinkVisibility.PUBLIC, LinkVisibility.MEMBERS)
    return (LinkVisibility.PUBLIC,)


def _shown_links(viewer: Any):
    """Load option: each project's campaign links the viewer may see (with their campaigns)."""
    return selectinload(
        Project.campaign_links.and_(ProjectCampaign.visibility.in_(link_visibilities(viewer)))
    )


def _listed() -> sa.ColumnElement[bool]:
    """Organizations in public view (approved, and neither dark, delisted nor being deleted)."""
    return publicly_listed(Organization)


def _named_pledge(viewer: Any) -> sa.ColumnElement[bool]:
    """An active pledge the viewer may see named (the organization is joined separately)."""
    return sa.and_(Pledge.withdrawn_at.is_(None), Pledge.visibility.in_(named_visibilities(viewer)))


def _paginate(stmt: sa.Select, page: int, per_page: int | None = None) -> Pagination:
    # error_out: a page number below 1 or past the last page is a 404, never a 500.
    return db.paginate(
        stmt,
        page=page,
        per_page=per_page or current_app.config["PAGE_SIZE"],
        error_out=True,
        max_per_page=100,
    )


# --- Campaigns --------------------------------------------------------------------------


def campaigns_page(page: int = 1) -> Pagination:
    """Every campaign, active ones first, each group in its curated order."""
    archived_last = sa.case((Campaign.status == CampaignStatus.ACTIVE, 0), else_=1)
    stmt = sa.select(Campaign).order_by(archived_last, Campaign.position, Campaign.id)
    return _paginate(stmt, page)


# Built once, like the session's user (app.services.accounts): the lookups of a page's subject by
# slug run on every campaign page and profile, and building the select cost more than running it.
_CAMPAIGN_BY_SLUG = sa.select(Campaign).where(Campaign.slug == sa.bindparam("slug"))
_LISTED_ORGANIZATION_BY_SLUG = sa.select(Organization).where(
    Organization.slug == sa.bindparam("slug"), publicly_listed(Organization)
)


def get_campaign(slug: str) -> Campaign | None:
    return db.session.scalar(_CAMPAIGN_BY_SLUG, {"slug": slug})


@dataclass(frozen=True)
class CampaignRef:
    """What a logged-in reader's campaign page needs of its campaign besides the shared body
    (read by updates.campaign_for_reader): its id (the reader's pledge and follow button), its
    slug (their forms' addresses) and its status (whether it takes pledges)."""

    id: int
    slug: str
    status: CampaignStatus

    @property
    def is_active(self) -> bool:
        return self.status == CampaignStatus.ACTIVE


@dataclass
class SupporterPage:
    """One page of a campaign's named supporters, reached by ``?after=`` (keyset) or ``?page=``.

    Keyset pages cost the same at any depth (OFFSET would read and skip every newer pledge,
    with its organization); ``?page=N`` links keep working. No total is counted: the totals
    shown are the campaign's counters."""

    items: list[Pledge]
    has_next: bool
    next_cursor: str | None
    has_prev: bool
    has_unnamed: bool  # some supporters are counted but not named to this viewer


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# The last instant a datetime holds: a cursor beyond it would overflow (a 500).
_LAST_MICROSECOND = (datetime.max.replace(tzinfo=UTC) - _EPOCH) // timedelta(microseconds=1)


class InvalidCursor(ValueError):
    """A supporters cursor that no page of ours could have made (the view answers 400)."""


def _cursor(pledge: Pledge) -> str:
    return f"{(pledge.created_at - _EPOCH) // timedelta(microseconds=1)}.{pledge.id}"


def _parse_cursor(cursor: str) -> tuple[datetime, int]:
    """The position ``micros.pledge_id`` names. Raises InvalidCursor for anything else."""
    micros, _, pledge_id = cursor.partition(".")
    instant = parse_number(micros, maximum=_LAST_MICROSECOND)
    number = parse_id(pledge_id)
    if instant is None or number is None:
        raise InvalidCursor(cursor)
    return _EPOCH + timedelta(microseconds=instant), number


def campaign_supporters(
    campaign: Campaign, viewer: Any, page: int = 1, per_page: int | None = None, after: str | None = None
) -> SupporterPage | None:
    """The pledges to ``campaign`` the viewer may see named, newest first, with their
    organizations loaded: the page after the ``after`` cursor, else page number ``page``.
    None for a page that does not exist (a number below 1 or past the end). Raises
    InvalidCursor for a malformed ``after`` (out of range included)."""
    per_page = per_page or current_app.config["PAGE_SIZE"]
    stmt = (
        sa.select(Pledge)
        .join(Pledge.organization)
        .where(Pledge.campaign_id == campaign.id, _named_pledge(viewer), _listed())
        .options(contains_eager(Pledge.organization))
        .order_by(Pledge.created_at.desc(), Pledge.id.desc())
        .limit(per_page + 1)
    )
    if after is not None:
        created_at, pledge_id = _parse_cursor(after)
        # The first condition bounds the index range; the second breaks ties on the id.
        stmt = stmt.where(
            Pledge.created_at <= created_at,
            sa.or_(Pledge.created_at < created_at, Pledge.id < pledge_id),
        )
    elif page < 1:
        return None
    else:
        stmt = stmt.offset((page - 1) * per_page)
    rows = list(db.session.scalars(stmt))
    items = rows[:per_page]
    if not items and (after is not None or page > 1):
        return None
    # Read from the pledges' attribution, as the totals are: a hidden supporter leaving
    # (suspended, say) must not flip this note before the totals move.
    unnamed = sa.exists().where(
        Pledge.campaign_id == campaign.id,
        Pledge.counted == sa.true(),
        Pledge.organization_id == Organization.id,
        sa.or_(Pledge.visibility.not_in(named_visibilities(viewer)), ~_listed()),
    )
    return SupporterPage(
        items=items,
        has_next=len(rows) > per_page,
        next_cursor=_cursor(items[-1]) if len(rows) > per_page else None,
        has_prev=after is not None or page > 1,
        has_unnamed=bool(db.session.scalar(sa.select(unnamed))),
    )


class not_by_index(FunctionElement):
    """A column that SQLite must not look up through an index (a unary ``+``, the way SQLite's
    documentation gives to keep a term from choosing the plan); the column itself elsewhere."""

    inherit_cache = True
    name = "not_by_index"

    @property
    def type(self):  # type: ignore[override]
        return self.clauses.clauses[0].type


@compiles(not_by_index)
def _not_by_index(element: not_by_index, compiler: Any, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(not_by_index, "sqlite")
def _not_by_index_sqlite(element: not_by_index, compiler: Any, **kw: Any) -> str:
    return "+" + compiler.process(element.clauses, **kw)


def campaign_projects_statement(
    campaign: Campaign, viewer: Any = None, limit: int = CAMPAIGN_PROJECTS
) -> sa.Select:
    """The campaign page's projects, read from the campaign's links
    (``ix_project_campaigns_campaign_id``), then each project by its key.

    On SQLite, ``hidden_at IS NULL`` could be looked up in ``ix_projects_hidden_created``, whose
    order is the list's: the planner would then walk every visible project of the network newest
    first, checking each one's link to the campaign, until it found ``limit`` (0.3 s for a
    campaign with 39 public links among 200,000 projects). That term is kept off the index, so the
    cost follows the campaign's own links, not the size of the network."""
    return (
        sa.select(Project)
        .join(ProjectCampaign, ProjectCampaign.project_id == Project.id)
        .join(Project.organization)
        .where(
            ProjectCampaign.campaign_id == campaign.id,
            ProjectCampaign.visibility.in_(link_visibilities(viewer)),
            not_by_index(Project.hidden_at).is_(None),
            _listed(),
        )
        .options(contains_eager(Project.organization), _shown_links(viewer))
        .execution_options(populate_existing=True)
        .order_by(Project.created_at.desc(), Project.id.desc())
        .limit(limit)
    )


def campaign_projects(
    campaign: Campaign, viewer: Any = None, limit: int = CAMPAIGN_PROJECTS
) -> list[Project]:
    """The newest visible projects linked to ``campaign`` by a link the viewer may see, with
    their organizations and those links."""
    return list(db.session.scalars(campaign_projects_statement(campaign, viewer, limit)))


# --- Home page feeds --------------------------------------------------------------------


def newest_organizations(limit: int = HOME_ORGANIZATIONS) -> list[Organization]:
    stmt = (
        sa.select(Organization)
        .where(_listed())
        .order_by(Organization.approved_at.desc(), Organization.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def newest_pledges(viewer: Any, limit: int = HOME_PLEDGES) -> list[Pledge]:
    """The latest pledges the viewer may see named, with organization and campaign."""
    stmt = (
        sa.select(Pledge)
        .join(Pledge.organization)
        .where(_named_pledge(viewer), _listed())
        .options(contains_eager(Pledge.organization), joinedload(Pledge.campaign))
        .order_by(Pledge.created_at.desc(), Pledge.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


# --- Member directory -------------------------------------------------------------------


@dataclass(frozen=True)
class DirectoryFilters:
    """The directory's filters (read from a request by ``app.params.directory_filters``)."""

    kind: OrganizationKind | None = None
    country: str | None = None
    campaign: Campaign | None = None
    q: str = ""

    @property
    def active(self) -> bool:
        return bool(self.kind or self.country or self.campaign or self.q)


def name_order(locale: str | None) -> tuple[sa.ColumnElement, ...]:
    """Organizations in alphabetical order for readers of ``locale``: by the stored sort key of
    that language (app/sorting.py: the name they are shown, as they expect it sorted), then id."""
    if locale in SORT_LOCALES:
        return (getattr(Organization, f"sort_key_{locale}"), Organization.id)
    return (Organization.name, Organization.id)


def directory_statement(
    filters: DirectoryFilters,
    viewer: Any,
    locale: str | None = None,
    *,
    bound: int = search_engine.CANDIDATES,
) -> sa.Select:
    """Approved organizations matching ``filters``, in directory order (by name in the order of
    ``locale``'s readers), or by relevance when ``q`` holds words to search for in names and
    descriptions: then only a bounded candidate set of matches meeting the other filters is
    ranked (``search_engine.ranked_candidates``: at most ``bound`` per tier, names first).

    The campaign filter looks only at pledges the viewer may see named: a discreet
    (``counted``, or ``members`` for a visitor) supporter never shows up through it.
    """
    conditions: list[sa.ColumnElement[bool]] = []
    if filters.kind:
        conditions.append(Organization.kind == filters.kind)
    if filters.country:
        conditions.append(Organization.country == filters.country)
    if filters.campaign is not None:
        supports = (
            sa.select(Pledge.id)
            .where(
                Pledge.organization_id == Organization.id,
                Pledge.campaign_id == filters.campaign.id,
                _named_pledge(viewer),
            )
            .exists()
        )
        conditions.append(supports)
    stmt = sa.select(Organization).where(_listed(), *conditions)
    best = (
        search_engine.ranked_candidates("organizations", filters.q, bound=bound, where=conditions)
        if filters.q
        else None
    )
    if best is not None:
        # Full-text search (app.search_engine): best matches first instead of by name.
        return stmt.join(best, best.c.id == Organization.id).order_by(
            best.c.tier, best.c.rank, Organization.id
        )
    return stmt.order_by(*name_order(locale))


# The directory counts its organizations only so far, so that a page costs the same whatever
# the size of the network: up to DIRECTORY_COUNT_LIMIT listed organizations (or as many as the
# page asked for reaches), up to DIRECTORY_SEARCH_LIMIT matches of a search. Past that it says
# "more than N" and its pages go on with "Next".
DIRECTORY_COUNT_LIMIT = 1_000
DIRECTORY_SEARCH_LIMIT = search_engine.CANDIDATES


@dataclass
class BoundedPage:
    """A page of a list whose total is counted up to a bound (the ``pagination`` macro's
    interface, as Flask-SQLAlchemy's ``Pagination``): ``total`` is exact unless ``more``, when
    there are more than ``total`` rows and ``pages`` is the number of pages known so far."""

    items: list
    page: int
    per_page: int
    total: int
    more: bool

    @property
    def pages(self) -> int:
        return max(self.page, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def has_next(self) -> bool:
        return self.page * self.per_page < self.total or self.more

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None


def directory_page(
    filters: DirectoryFilters, viewer: Any, page: int = 1, locale: str | None = None
) -> BoundedPage:
    """One page of the directory, in two queries whose cost does not grow with the network: the
    page's rows, and the total counted up to a bound (see DIRECTORY_COUNT_LIMIT); a page number
    below 1 or past the last one is a 404, never a 500."""
    if page < 1:
        abort(404)
    per_page = current_app.config["PAGE_SIZE"]
    offset = (page - 1) * per_page
    limit = DIRECTORY_SEARCH_LIMIT if filters.q else DIRECTORY_COUNT_LIMIT
    bound = max(limit, offset + per_page)
    # One row past the bound says "more"; the search's candidate set is as large, so that a
    # search has the same answer.
    stmt = directory_statement(filters, viewer, locale, bound=bound + 1)
    counted = stmt.with_only_columns(Organization.id).order_by(None).limit(bound + 1).subquery()
    found = db.session.scalar(sa.select(sa.func.count()).select_from(counted)) or 0
    items = list(db.session.scalars(stmt.limit(per_page).offset(offset)))
    if page > 1 and not items:
        abort(404)
    return BoundedPage(items, page, per_page, min(found, bound), found > bound)


def directory_countries() -> list[str]:
    """Country codes present among organizations in public view (for the filter's options).

    A loose index scan: the smallest country, then each time the next one above it, each step
    one seek in ``ix_organizations_status_country`` (a ``DISTINCT`` over every listed
    organization read all 100,000 of the huge set on PostgreSQL: 0.1 s). The cost follows the
    number of countries, not of organizations."""
    listed = _listed()
    countries = (
        sa.select(sa.func.min(Organization.country).label("country"))
        .where(listed)
        .cte("countries", recursive=True)
    )
    following = sa.select(
        sa.select(sa.func.min(Organization.country))
        .where(listed, Organization.country > countries.c.country)
        .scalar_subquery()
    ).where(countries.c.country.is_not(None))
    countries = countries.union_all(following)
    stmt = sa.select(countries.c.country).where(countries.c.country.is_not(None))
    return list(db.session.scalars(stmt))


def all_campaigns() -> list[Campaign]:
    """Every campaign in curated order, for filter options."""
    return list(db.session.scalars(sa.select(Campaign).order_by(Campaign.position, Campaign.id)))


# How many campaigns a campaign filter (the directory's, the projects page's) offers at most
# (config DIRECTORY_CAMPAIGN_CHOICES): the huge set has 500, too many for a select, and each costs
# the page.
DIRECTORY_CAMPAIGN_CHOICES = 40
_CAMPAIGN_SOURCE_LOCALE = "en"  # campaigns are written in English (translations.CAMPAIGN_SOURCE_LOCALE)


@dataclass(frozen=True)
class CampaignChoice:
    """A campaign offered in a filter: its slug, its title in the page's language (``lang``: the
    language the title is in, English where it is not translated)."""

    id: int
    slug: str
    title: str
    lang: str


@dataclass(frozen=True)
class CampaignChoices:
    items: list[CampaignChoice]
    more: bool  # campaigns were left out (the note says which are shown)
    limit: int


def _campaign_title(title: str, translated: str | None, locale: str) -> tuple[str, str]:
    """A campaign's title in ``locale`` and the language it is in, from its own title and its
    translation's (read as plain columns): the translation where it is not blank, else English."""
    if translated and translated.strip():
        return translated, locale
    return title, _CAMPAIGN_SOURCE_LOCALE


def _with_campaign_title(columns: list, locale: str, from_: Any = Campaign) -> sa.Select:
    """A select of ``columns`` from ``from_`` (campaigns, or a join with them) and the campaign's
    translated title in ``locale`` (NULL in English, where no translation is joined)."""
    if locale == _CAMPAIGN_SOURCE_LOCALE:
        return sa.select(*columns, sa.null()).select_from(from_)
    return (
        sa.select(*columns, CampaignTranslation.title)
        .select_from(from_)
        .outerjoin(
            CampaignTranslation,
            sa.and_(CampaignTranslation.campaign_id == Campaign.id, CampaignTranslation.locale == locale),
        )
    )


def campaign_choices(
    selected: Campaign | None, locale: str, limit: int, *, most: Any, only_some: bool = True
) -> CampaignChoices:
    """A campaign filter's options: the ``limit`` campaigns with the highest ``most`` (a counter
    column of campaigns), and always the selected one, sorted by their title in ``locale``;
    ``only_some``: campaigns whose counter is zero are never offered. One query of plain columns,
    the translation joined."""
    selected_id = selected.id if selected is not None else None
    is_selected = Campaign.id == selected_id if selected_id is not None else sa.false()
    stmt = _with_campaign_title([Campaign.id, Campaign.slug, Campaign.title], locale)
    if only_some:
        stmt = stmt.where(sa.or_(most > 0, is_selected))
    rows = db.session.execute(
        stmt.order_by(sa.case((is_selected, 0), else_=1), most.desc(), Campaign.id).limit(limit + 1)
    ).all()
    items = [
        CampaignChoice(campaign_id, slug, *_campaign_title(title, translated, locale))
        for campaign_id, slug, title, translated in rows[:limit]
    ]
    items.sort(key=lambda choice: (choice.title.casefold(), choice.id))
    return CampaignChoices(items=items, more=len(rows) > limit, limit=limit)


def directory_campaign_choices(selected: Campaign | None, locale: str, limit: int) -> CampaignChoices:
    """The directory's campaign filter: the campaigns with the most supporters (a campaign without
    any would list no organization), and always the selected one (:func:`campaign_choices`)."""
    return campaign_choices(selected, locale, limit, most=Campaign.supporter_count)


def project_campaign_choices(
    selected: Campaign | None, viewer: Any, locale: str, limit: int
) -> CampaignChoices:
    """The projects page's campaign filter: the campaigns with the most linked projects (their
    public links, ``Campaign.project_count``), and always the selected one
    (:func:`campaign_choices`). A campaign without a public link lists no project for a visitor;
    a member may see members-only links, so for them such campaigns fill the list after the others."""
    return campaign_choices(
        selected,
        locale,
        limit,
        most=Campaign.project_count,
        only_some=not viewer_sees_members_only(viewer),
    )


def get_organization(slug: str) -> Organization | None:
    """An organization in public view by slug; None for any other (pending, dark, ...)."""
    return db.session.scalar(_LISTED_ORGANIZATION_BY_SLUG, {"slug": slug})


def organization_pledges(organization: Organization, viewer: Any) -> list[Pledge]:
    """The organization's active pledges the viewer may see named, with their campaigns.

    One per campaign at most, so the list is as short as the list of campaigns."""
    stmt = (
        sa.select(Pledge)
        .join(Pledge.campaign)
        .where(Pledge.organization_id == organization.id, _named_pledge(viewer))
        .options(contains_eager(Pledge.campaign))
        .order_by(Campaign.position, Campaign.id)
    )
    return list(db.session.scalars(stmt))


def organization_projects(organization: Organization, viewer: Any = None, page: int = 1) -> Pagination:
    """The organization's visible projects, each with the campaign links the viewer may see."""
    stmt = (
        sa.select(Project)
        .where(Project.organization_id == organization.id, Project.hidden_at.is_(None))
        .options(_shown_links(viewer))
        .execution_options(populate_existing=True)
        .order_by(Project.created_at.desc(), Project.id.desc())
    )
    return _paginate(stmt, page)


# --- Projects ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectFilters:
    """The projects page's filters (read from a request by ``app.params.project_filters``): a
    campaign the project serves, and the country and kind of the organization that runs it."""

    campaign: Campaign | None = None
    country: str | None = None
    kind: OrganizationKind | None = None

    @property
    def active(self) -> bool:
        return bool(self.campaign or self.country or self.kind)


# The projects page counts its projects only so far, as the directory does (BoundedPage): the
# count of every visible project read 20,000 rows of the large set (0.4 s on a busy machine).
PROJECTS_COUNT_LIMIT = 1_000


@dataclass(frozen=True)
class CardCampaign:
    """A campaign a project card links to, by a link the viewer may see: its slug, its title in
    the page's language (``lang``: the title's language), and whether the link is public."""

    slug: str
    title: str
    lang: str
    is_public: bool


@dataclass(frozen=True)
class ProjectCard:
    """A project as the projects list shows it, read as plain columns (no ORM object): its title
    and summary in the page's language (``*_lang`` None for the project's own text), its status,
    its organization's slug and name in that language, and its campaigns the viewer may see."""

    id: int
    slug: str
    title: str
    title_lang: str | None
    summary: str
    summary_lang: str | None
    status: ProjectStatus
    organization_slug: str
    organization_name: str
    campaigns: tuple[CardCampaign, ...]


def project_cards_page(
    filters: ProjectFilters | None = None, viewer: Any = None, locale: str = "en", page: int = 1
) -> BoundedPage:
    """One page of the projects list: visible projects of approved organizations, newest first,
    filtered by a campaign (through a link the viewer may see) and by the country and kind of
    their organization (indexed: organizations by status and kind or country, projects by
    organization, links by campaign), each with the campaign links the viewer may see.

    Read as plain columns into :class:`ProjectCard` (no ORM object is built: that was about a
    sixth of the page), in three queries whatever the page holds: the total counted up to
    PROJECTS_COUNT_LIMIT (or as far as the page asked for reaches), the cards' columns with their
    organizations', and their campaign links with the campaigns' slugs and titles in ``locale``."""
    if page < 1:
        abort(404)
    filters = filters or ProjectFilters()
    per_page = current_app.config["PAGE_SIZE"]
    offset = (page - 1) * per_page
    bound = max(PROJECTS_COUNT_LIMIT, offset + per_page)
    counted = _filter_projects(sa.select(Project.id), filters, viewer).limit(bound + 1).subquery()
    found = db.session.scalar(sa.select(sa.func.count()).select_from(counted)) or 0
    columns = sa.select(
        Project.id,
        Project.slug,
        Project.title,
        Project.summary,
        Project.status,
        Project.translated_texts,
        Organization.slug,
        Organization.name,
        Organization.translated_names,
    )
    rows = db.session.execute(
        _filter_projects(columns, filters, viewer)
        .order_by(Project.created_at.desc(), Project.id.desc())
        .limit(per_page)
        .offset(offset)
    ).all()
    if page > 1 and not rows:
        abort(404)
    campaigns: dict[int, list[CardCampaign]] = {row[0]: [] for row in rows}
    if rows:
        links = _with_campaign_title(
            [ProjectCampaign.project_id, Campaign.slug, Campaign.title, ProjectCampaign.visibility],
            locale,
            sa.join(ProjectCampaign, Campaign, ProjectCampaign.campaign_id == Campaign.id),
        ).where(
            ProjectCampaign.project_id.in_(list(campaigns)),
            ProjectCampaign.visibility.in_(link_visibilities(viewer)),
        )
        for project_id, slug, title, visibility, translated in db.session.execute(
            links.order_by(Campaign.position, Campaign.id)
        ):
            campaigns[project_id].append(
                CardCampaign(
                    slug, *_campaign_title(title, translated, locale), visibility == LinkVisibility.PUBLIC
                )
            )
    items = []
    for project_id, slug, title, summary, status, texts, org_slug, org_name, org_names in rows:
        items.append(
            ProjectCard(
                project_id,
                slug,
                *translations.project_card_texts(title, summary, texts, locale),
                status,
                org_slug,
                organization_name_in(org_name, org_names, locale),
                tuple(campaigns[project_id]),
            )
        )
    return BoundedPage(items, page, per_page, min(found, bound), found > bound)


def projects_page_statement(filters: ProjectFilters, viewer: Any) -> sa.Select:
    """The projects list's statement as ORM objects (read by the open-data doors; the page reads
    the same projects and links as plain columns: :func:`project_cards_page`)."""
    stmt = (
        sa.select(Project)
        .options(contains_eager(Project.organization), _shown_links(viewer))
        .execution_options(populate_existing=True)
        .order_by(Project.created_at.desc(), Project.id.desc())
    )
    return _filter_projects(stmt, filters, viewer)


def _filter_projects(stmt: sa.Select, filters: ProjectFilters, viewer: Any) -> sa.Select:
    stmt = stmt.join(Project.organization).where(Project.hidden_at.is_(None), _listed())
    if filters.country:
        stmt = stmt.where(Organization.country == filters.country)
    if filters.kind:
        stmt = stmt.where(Organization.kind == filters.kind)
    if filters.campaign is not None:
        linked = sa.select(ProjectCampaign.project_id).where(
            ProjectCampaign.campaign_id == filters.campaign.id,
            ProjectCampaign.visibility.in_(link_visibilities(viewer)),
        )
        stmt = stmt.where(Project.id.in_(linked))
    return stmt


@dataclass(frozen=True)
class ProjectRef:
    """What a project page needs of its project besides the shared body: who may post its
    updates (its organization, and whether the reader's organization co-sponsors it) and what
    the follow button names (its id and slug)."""

    id: int
    slug: str
    organization_id: int
    # Asked in the same query for the reader's organization (None when not asked).
    reader_organization_id: int | None = None
    reader_cosponsors: bool | None = None


def _project_match(key: Any, project_id: Any = None) -> sa.ColumnElement[bool]:
    """A project by its address ``key``, or by ``project_id`` when the key is also a number (the
    id ``parse_id`` reads in it): values, or bound parameters in a statement built once."""
    match = Project.slug == key
    if project_id is not None:
        match = sa.or_(match, Project.id == project_id)
    return match


def _project_ref_statement(by_id: bool, for_reader: bool) -> sa.Select:
    """:func:`find_project_ref`'s query, with the key (and the id it may be) and the reader's
    organization as bound parameters."""
    columns = [Project.id, Project.slug, Project.organization_id]
    if for_reader:
        columns.append(cosponsors.accepted(sa.bindparam("reader_organization_id"), Project.id))
    match = _project_match(sa.bindparam("key"), sa.bindparam("project_id") if by_id else None)
    return (
        sa.select(*columns)
        .join(Project.organization)
        .where(match, Project.hidden_at.is_(None), _listed())
        .order_by(sa.case((Project.slug == sa.bindparam("key"), 0), else_=1))
        .limit(1)
    )


# Built once, for a key that is or is not also a number and with or without a reader's
# organization: the project page's one lookup on every visit.
_PROJECT_REFS = {
    (by_id, for_reader): _project_ref_statement(by_id, for_reader)
    for by_id in (False, True)
    for for_reader in (False, True)
}


def find_project_ref(key: str, reader_organization_id: int | None = None) -> ProjectRef | None:
    """The visible project of an approved organization that :func:`get_project` finds for
    ``key``, as a few columns: one query, no ORM object (the project page on a fragment hit).
    Given the reader's organization, the same query says whether it co-sponsors the project."""
    project_id = parse_id(key)
    statement = _PROJECT_REFS[project_id is not None, reader_organization_id is not None]
    parameters = {"key": key, "project_id": project_id, "reader_organization_id": reader_organization_id}
    row = db.session.execute(statement, parameters).first()
    if row is None:
        return None
    if reader_organization_id is None:
        return ProjectRef(*row)
    return ProjectRef(*row[:3], reader_organization_id=reader_organization_id, reader_cosponsors=row[3])


def get_project(key: str, viewer: Any = None) -> Project | None:
    """A visible project of an approved organization, by slug or by numeric id, with the
    campaign links the viewer may see."""
    stmt = (
        sa.select(Project)
        .join(Project.organization)
        .where(_project_match(key, parse_id(key)), Project.hidden_at.is_(None), _listed())
        .options(contains_eager(Project.organization), _shown_links(viewer))
        .execution_options(populate_existing=True)
        .order_by(sa.case((Project.slug == key, 0), else_=1))
        .limit(1)
    )
    return db.session.scalar(stmt)


# --- Open data: the API, the feeds and the exports -------------------------------------
#
# These doors answer every request as a visitor (no session is read: app/open_doors.py), so
# each function here takes no viewer: the visitor's rule (``named_visibilities(None)``,
# ``link_visibilities(None)``, ``publicly_listed()``) is applied inside. Lists are read by
# keyset on public keys only (slugs, dates): a cursor never carries a database id, whose gaps
# would tell how many hidden rows were made between two public ones.

VISITOR = None  # the viewer every open-data read is made for


class InvalidOpenCursor(ValueError):
    """An ``after`` cursor that no page of ours could have made (the API answers 400)."""


def _slug_after(column: Any, after: str | None) -> sa.ColumnElement[bool]:
    return sa.true() if after is None else column > after


def open_campaigns(*, status: CampaignStatus | None = None, after: str | None = None, limit: int = 20):
    """Campaigns by slug, with their translations, the page after the slug ``after``."""
    stmt = (
        sa.select(Campaign)
        .where(_slug_after(Campaign.slug, after))
        .options(selectinload(Campaign.translations))
        .order_by(Campaign.slug)
        .limit(limit + 1)
    )
    if status is not None:
        stmt = stmt.where(Campaign.status == status)
    return _page_of(list(db.session.scalars(stmt)), limit)


def open_campaign(slug: str) -> Campaign | None:
    return db.session.scalar(
        sa.select(Campaign).where(Campaign.slug == slug).options(selectinload(Campaign.translations))
    )


def open_organizations(filters: DirectoryFilters, *, after: str | None = None, limit: int = 20):
    """Organizations in public view matching ``filters`` (the campaign filter reads only public
    pledges), by slug, with their translations."""
    stmt = (
        directory_statement(DirectoryFilters(filters.kind, filters.country, filters.campaign), VISITOR)
        .order_by(None)
        .where(_slug_after(Organization.slug, after))
        .options(selectinload(Organization.translations))
        .order_by(Organization.slug)
        .limit(limit + 1)
    )
    return _page_of(list(db.session.scalars(stmt)), limit)


def open_organization(slug: str) -> Organization | None:
    return db.session.scalar(
        sa.select(Organization)
        .where(Organization.slug == slug, _listed())
        .options(selectinload(Organization.translations))
    )


@dataclass(frozen=True)
class PledgeFilters:
    """Filters of the public pledges: a campaign, and the country and kind of the organization."""

    campaign: Campaign | None = None
    country: str | None = None
    kind: OrganizationKind | None = None
    organization: Organization | None = None


def pledge_cursor(pledge: Pledge) -> str:
    """A public position in the pledges' order: the pledge's time and its two slugs."""
    micros = (pledge.created_at - _EPOCH) // timedelta(microseconds=1)
    return f"{micros}~{pledge.organization.slug}~{pledge.campaign.slug}"


def _parse_pledge_cursor(cursor: str) -> tuple[datetime, str, str]:
    parts = cursor.split("~")
    if len(parts) != 3:
        raise InvalidOpenCursor(cursor)
    instant = parse_number(parts[0], maximum=_LAST_MICROSECOND)
    if instant is None or not parts[1] or not parts[2]:
        raise InvalidOpenCursor(cursor)
    return _EPOCH + timedelta(microseconds=instant), parts[1], parts[2]


def open_pledges(filters: PledgeFilters, *, after: str | None = None, limit: int = 20):
    """Active public pledges of organizations in public view, newest first, with their
    organizations and campaigns. Raises InvalidOpenCursor for a malformed ``after``."""
    stmt = (
        sa.select(Pledge)
        .join(Pledge.organization)
        .join(Pledge.campaign)
        .where(_named_pledge(VISITOR), _listed())
        .options(contains_eager(Pledge.organization), contains_eager(Pledge.campaign))
        .order_by(Pledge.created_at.desc(), Organization.slug.desc(), Campaign.slug.desc())
        .limit(limit + 1)
    )
    if filters.campaign is not None:
        stmt = stmt.where(Pledge.campaign_id == filters.campaign.id)
    if filters.organization is not None:
        stmt = stmt.where(Pledge.organization_id == filters.organization.id)
    if filters.country:
        stmt = stmt.where(Organization.country == filters.country)
    if filters.kind:
        stmt = stmt.where(Organization.kind == filters.kind)
    if after is not None:
        created_at, org_slug, campaign_slug = _parse_pledge_cursor(after)
        stmt = stmt.where(
            Pledge.created_at <= created_at,
            sa.or_(
                Pledge.created_at < created_at,
                Organization.slug < org_slug,
                sa.and_(Organization.slug == org_slug, Campaign.slug < campaign_slug),
            ),
        )
    return _page_of(list(db.session.scalars(stmt)), limit)


def open_projects(filters: ProjectFilters, *, after: str | None = None, limit: int = 20):
    """Visible projects of organizations in public view, by slug, with their public campaign
    links and translations; filtered as the projects page filters for a visitor."""
    stmt = (
        projects_page_statement(filters, VISITOR)
        .order_by(None)
        .where(_slug_after(Project.slug, after))
        .options(selectinload(Project.translations))
        .order_by(Project.slug)
        .limit(limit + 1)
    )
    return _page_of(list(db.session.scalars(stmt)), limit)


def open_project(slug: str) -> Project | None:
    stmt = (
        sa.select(Project)
        .join(Project.organization)
        .where(Project.slug == slug, Project.hidden_at.is_(None), _listed())
        .options(
            contains_eager(Project.organization), _shown_links(VISITOR), selectinload(Project.translations)
        )
        .execution_options(populate_existing=True)
    )
    return db.session.scalar(stmt)


def newest_projects(
    limit: int = 20, organization: Organization | None = None, campaign: Campaign | None = None
):
    """The newest visible projects (of one organization, or publicly linked to one campaign)."""
    filters = ProjectFilters(campaign=campaign)
    stmt = projects_page_statement(filters, VISITOR).limit(limit)
    if organization is not None:
        stmt = stmt.where(Project.organization_id == organization.id)
    return list(db.session.scalars(stmt))


def newest_open_pledges(limit: int = 20, **filters: Any) -> list[Pledge]:
    """The newest public pledges (of a campaign or an organization), for the feeds."""
    return open_pledges(PledgeFilters(**filters), limit=limit)[0]


def newest_listed_organizations(limit: int = 20) -> list[Organization]:
    """Organizations in public view, the newest approved first (the network feed's new members)."""
    return newest_organizations(limit)


def _page_of(rows: list, limit: int) -> tuple[list, bool]:
    """(the first ``limit`` rows, whether there are more)."""
    return rows[:limit], len(rows) > limit


def public_campaign_slugs(organization_ids: list[int]) -> dict[int, list[str]]:
    """The campaigns each organization supports by a public pledge (one query for the batch)."""
    if not organization_ids:
        return {}
    rows = db.session.execute(
        sa.select(Pledge.organization_id, Campaign.slug)
        .join(Pledge.campaign)
        .where(Pledge.organization_id.in_(organization_ids), _named_pledge(VISITOR))
        .order_by(Campaign.slug)
    )
    found: dict[int, list[str]] = {}
    for organization_id, slug in rows:
        found.setdefault(organization_id, []).append(slug)
    return found


def murmurations_organization(slug: str) -> Organization | None:
    """An organization in public view that chose to publish a Murmurations profile."""
    return db.session.scalar(
        sa.select(Organization).where(
            Organization.slug == slug, Organization.publishes_murmurations.is_(True), _listed()
        )
    )

"""The public numbers of campaigns and organizations, and the one rule that counts them.

Pages show counts from columns instead of counting 200,000 pledges per view. Whatever
changes what counts, a service then calls :func:`recount` for the campaigns and
organizations it touched, in the same transaction: one aggregate over the rows rewrites
their columns. ``flask recount`` runs the same aggregate over everything, and the
large-data builder once at the end, so there is a single definition of every number:

* a campaign's supporters: its pledges whose attribution says they count
  (``Pledge.counted``), Iraqi or international by ``Pledge.counted_iraqi``;
* a campaign's projects: *public* links of visible projects of organizations in public view
  (app.services.visibility: approved, not dark, not delisted, not being deleted);
* an organization's public pledges: its active public pledges.

Why pledges carry an attribution
--------------------------------
A public number must not move at the moment of a public event that names one organization
(approval, suspension, reinstatement, going dark or coming back, a moderator's delisting,
a deletion asked for or cancelled, a new country, a pledge leaving the public list),
unless that organization's pledge to the campaign is public: otherwise anyone watching the
campaign's totals learns that the organization supports it, which members-only and
counted-only pledges promise to keep quiet. So each pledge stores whether it counts and on
which side of the split, and that attribution changes:

* when the organization acts on the pledge itself: a pledge counts at once, a withdrawal
  uncounts it at once (neither is a public event about one organization);
* for a public pledge, at once on every event (it is public already);
* for a members-only or counted-only pledge, after an organization-level event, only at
  the next scheduled :func:`refresh` (``flask refresh-counters``), where the changes of
  many organizations over a day land together. Until then the pledge keeps counting as it
  did. A pledge that leaves the public list moves the numbers as a withdrawal would, and
  counts again, hidden, from the next refresh.

"Correct" therefore means two things, each held by a test: the stored numbers always equal
the aggregate over the attributions (``stored_counts() == computed_counts()``); and after a
refresh every attribution is current (:func:`stale_pledges` is empty), so the numbers count
the active pledges of organizations in public view by their organization's country.

Concurrency: :func:`recount` locks the rows it rewrites (``FOR NO KEY UPDATE`` on
PostgreSQL, in id order; SQLite's writers are serialized already) before it counts, so two
requests that both add a pledge each count the other's once it has committed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from app.extensions import db
from app.models import (
    IRAQ,
    Campaign,
    LinkVisibility,
    Organization,
    Pledge,
    PledgeVisibility,
    Project,
    ProjectCampaign,
)
from app.services.visibility import is_publicly_listed, publicly_listed

CAMPAIGN_COUNTERS = ("supporter_count", "iraqi_supporter_count", "project_count")
ORGANIZATION_COUNTERS = ("public_pledge_count",)
# Pledge ids per UPDATE statement in a refresh.
_CHUNK = 1_000


# --- Attribution ----------------------------------------------------------------------------------


def current_attribution(organization: Organization, *, active: bool = True) -> tuple[bool, bool]:
    """(counted, counted_iraqi) for a pledge of ``organization`` as things stand now: it counts
    while active and while its organization is in public view (app.services.visibility)."""
    return active and is_publicly_listed(organization), organization.country == IRAQ


def attribute(pledge: Pledge, organization: Organization) -> None:
    """Give the pledge its current attribution (no flush, no recount)."""
    pledge.counted, pledge.counted_iraqi = current_attribution(
        organization, active=pledge.withdrawn_at is None
    )


def pledge_made(pledge: Pledge, organization: Organization) -> None:
    """A new pledge counts at once: the organization's own act, not a public event about it."""
    attribute(pledge, organization)
    db.session.flush()
    recount([pledge.campaign_id], [organization.id])


def pledge_withdrawn(pledge: Pledge) -> None:
    """A withdrawn pledge stops counting at once, whatever it counted as."""
    pledge.counted = False
    db.session.flush()
    recount([pledge.campaign_id], [pledge.organization_id])


def pledge_visibility_changed(pledge: Pledge, old: PledgeVisibility, new: PledgeVisibility) -> None:
    """A pledge made public counts as things stand now; a pledge that leaves the public list
    leaves the numbers as a withdrawal would (its name disappearing while the total stayed
    would tell that it still supports), and counts again, hidden, from the next refresh."""
    if old == new:
        return
    if new == PledgeVisibility.PUBLIC:
        attribute(pledge, pledge.organization)
    elif old == PledgeVisibility.PUBLIC:
        pledge.counted = False
    db.session.flush()
    recount([pledge.campaign_id], [pledge.organization_id])


def organization_changed(organization: Organization) -> None:
    """After an organization-level event (approval, suspension, reinstatement, going dark or
    coming back, delisting, a deletion asked for or cancelled, a new country):
    its public pledges and public project links move the numbers now; its hidden pledges
    wait for the next :func:`refresh`. Call it after the change is applied."""
    db.session.flush()
    counted, iraqi = current_attribution(organization)
    public_pledges = sa.and_(
        Pledge.organization_id == organization.id,
        Pledge.withdrawn_at.is_(None),
        Pledge.visibility == PledgeVisibility.PUBLIC,
    )
    campaign_ids = set(
        db.session.scalars(
            sa.select(Pledge.campaign_id).where(
                public_pledges, sa.or_(Pledge.counted != counted, Pledge.counted_iraqi != iraqi)
            )
        )
    )
    if campaign_ids:
        db.session.execute(
            sa.update(Pledge)
            .where(public_pledges, Pledge.campaign_id.in_(campaign_ids))
            .values(counted=counted, counted_iraqi=iraqi)
            .execution_options(synchronize_session=False)
        )
        _expire(Pledge, ("counted", "counted_iraqi"))
    campaign_ids |= set(
        db.session.scalars(
            sa.select(ProjectCampaign.campaign_id)
            .join(Project, Project.id == ProjectCampaign.project_id)
            .where(
                Project.organization_id == organization.id,
                Project.hidden_at.is_(None),
                ProjectCampaign.visibility == LinkVisibility.PUBLIC,
            )
        )
    )
    recount(campaign_ids, ())


def project_links_changed(campaign_ids: Iterable[int]) -> None:
    """Projects were linked, unlinked, hidden, shown or deleted on these campaigns."""
    db.session.flush()
    recount(campaign_ids, ())


def _stale_condition() -> tuple[sa.ColumnElement[bool], sa.ColumnElement[bool], sa.ColumnElement[bool]]:
    should_count = sa.and_(Pledge.withdrawn_at.is_(None), publicly_listed(Organization))
    should_be_iraqi = Organization.country == IRAQ
    stale = sa.or_(
        Pledge.counted != should_count, sa.and_(should_count, Pledge.counted_iraqi != should_be_iraqi)
    )
    return stale, should_count, should_be_iraqi


def stale_pledges() -> list[tuple[int, int, bool, bool]]:
    """(pledge id, campaign id, counted, counted_iraqi) of every pledge whose attribution is not
    current: the changes the next refresh will apply."""
    stale, should_count, should_be_iraqi = _stale_condition()
    rows = db.session.execute(
        sa.select(Pledge.id, Pledge.campaign_id, should_count, should_be_iraqi)
        .join(Organization, Organization.id == Pledge.organization_id)
        .where(stale)
        .order_by(Pledge.id)
    )
    return [(pledge_id, campaign_id, bool(c), bool(i)) for pledge_id, campaign_id, c, i in rows]


@dataclass
class Refresh:
    pledges: int
    campaigns: int


def refresh() -> Refresh:
    """Bring every pledge's attribution up to date and recount the campaigns that moved.

    Run on a schedule (``flask refresh-counters``, daily), never in a request: it is the
    moment when organization-level events reach the numbers through hidden pledges."""
    stale = stale_pledges()
    by_attribution: dict[tuple[bool, bool], list[int]] = {}
    for pledge_id, _campaign_id, counted, iraqi in stale:
        by_attribution.setdefault((counted, iraqi), []).append(pledge_id)
    for (counted, iraqi), ids in by_attribution.items():
        for start in range(0, len(ids), _CHUNK):
            db.session.execute(
                sa.update(Pledge)
                .where(Pledge.id.in_(ids[start : start + _CHUNK]))
                .values(counted=counted, counted_iraqi=iraqi)
                .execution_options(synchronize_session=False)
            )
    _expire(Pledge, ("counted", "counted_iraqi"))
    campaign_ids = {campaign_id for _pledge_id, campaign_id, _c, _i in stale}
    recount(campaign_ids, ())
    return Refresh(pledges=len(stale), campaigns=len(campaign_ids))


# --- The one aggregate ----------------------------------------------------------------------------


def _campaign_counts(campaign_ids: set[int] | None) -> dict[int, tuple[int, int, int]]:
    if campaign_ids is not None and not campaign_ids:
        return {}
    supporters_stmt = (
        sa.select(
            Pledge.campaign_id,
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(sa.case((Pledge.counted_iraqi == sa.true(), 1), else_=0)), 0),
        )
        .where(Pledge.counted == sa.true())
        .group_by(Pledge.campaign_id)
    )
    projects_stmt = (
        sa.select(ProjectCampaign.campaign_id, sa.func.count())
        .join(Project, Project.id == ProjectCampaign.project_id)
        .join(Organization, Organization.id == Project.organization_id)
        .where(
            ProjectCampaign.visibility == LinkVisibility.PUBLIC,
            Project.hidden_at.is_(None),
            publicly_listed(Organization),
        )
        .group_by(ProjectCampaign.campaign_id)
    )
    if campaign_ids is None:
        ids = list(db.session.scalars(sa.select(Campaign.id)))
    else:
        ids = sorted(campaign_ids)
        supporters_stmt = supporters_stmt.where(Pledge.campaign_id.in_(ids))
        projects_stmt = projects_stmt.where(ProjectCampaign.campaign_id.in_(ids))
    supporters = {row[0]: (row[1], row[2]) for row in db.session.execute(supporters_stmt)}
    projects = dict(db.session.execute(projects_stmt).tuples().all())
    return {cid: (*supporters.get(cid, (0, 0)), projects.get(cid, 0)) for cid in ids}


def _organization_counts(organization_ids: set[int] | None) -> dict[int, tuple[int]]:
    if organization_ids is not None and not organization_ids:
        return {}
    stmt = (
        sa.select(Pledge.organization_id, sa.func.count())
        .where(Pledge.withdrawn_at.is_(None), Pledge.visibility == PledgeVisibility.PUBLIC)
        .group_by(Pledge.organization_id)
    )
    if organization_ids is None:
        ids = list(db.session.scalars(sa.select(Organization.id)))
    else:
        ids = sorted(organization_ids)
        stmt = stmt.where(Pledge.organization_id.in_(ids))
    public_pledges = dict(db.session.execute(stmt).tuples().all())
    return {oid: (public_pledges.get(oid, 0),) for oid in ids}


def computed_counts(
    campaign_ids: Iterable[int] | None = None, organization_ids: Iterable[int] | None = None
) -> dict[str, dict[int, tuple[int, ...]]]:
    """The numbers as the rule computes them from the rows (all rows when ids are None):
    {"campaigns": {id: (supporters, iraqi, projects)}, "organizations": {id: (public_pledges,)}}."""
    return {
        "campaigns": _campaign_counts(None if campaign_ids is None else set(campaign_ids)),
        "organizations": _organization_counts(None if organization_ids is None else set(organization_ids)),
    }


def stored_counts() -> dict[str, dict[int, tuple[int, ...]]]:
    """The numbers the pages show."""
    campaigns = {
        row[0]: tuple(row[1:])
        for row in db.session.execute(
            sa.select(Campaign.id, *(getattr(Campaign, c) for c in CAMPAIGN_COUNTERS))
        )
    }
    organizations = {
        row[0]: tuple(row[1:])
        for row in db.session.execute(
            sa.select(Organization.id, *(getattr(Organization, c) for c in ORGANIZATION_COUNTERS))
        )
    }
    return {"campaigns": campaigns, "organizations": organizations}


def _lock(model, ids: list[int]) -> None:
    """Hold the rows to rewrite so that a concurrent recount counts after this one commits.
    FOR NO KEY UPDATE does not wait for the KEY SHARE lock a new pledge takes on its campaign."""
    if ids:
        db.session.execute(
            sa.select(model.id).where(model.id.in_(ids)).order_by(model.id).with_for_update(key_share=True)
        )


def recount(
    campaign_ids: Iterable[int] | None = None,
    organization_ids: Iterable[int] | None = None,
    progress: Callable[..., None] | None = None,
) -> int:
    """Rewrite the counters of these campaigns and organizations (every one when None) from
    the one aggregate; returns how many rows changed. Flushes first. ``progress(stage,
    **counts)``, when given, hears of each stage as it ends (the long commands print it)."""
    db.session.flush()
    campaigns = None if campaign_ids is None else set(campaign_ids)
    organizations = None if organization_ids is None else set(organization_ids)
    if campaigns is not None:
        _lock(Campaign, sorted(campaigns))
    if organizations is not None:
        _lock(Organization, sorted(organizations))
    if campaigns == set() and organizations == set():
        return 0
    computed = computed_counts(campaigns, organizations)
    if progress:
        progress(
            "counted from the pledges and projects",
            campaigns=len(computed["campaigns"]),
            organizations=len(computed["organizations"]),
        )
    changed = 0
    for model, counters, key in (
        (Campaign, CAMPAIGN_COUNTERS, "campaigns"),
        (Organization, ORGANIZATION_COUNTERS, "organizations"),
    ):
        ids = list(computed[key])
        if not ids:
            continue
        stored_stmt = sa.select(model.id, *(getattr(model, c) for c in counters))
        if (campaigns if key == "campaigns" else organizations) is not None:
            # (Every row: no list of 100,000 ids, more than SQLite takes as parameters.)
            stored_stmt = stored_stmt.where(model.id.in_(ids))
        stored = {row[0]: tuple(row[1:]) for row in db.session.execute(stored_stmt)}
        changes = [
            {"row_id": row_id, **{f"new_{c}": v for c, v in zip(counters, values, strict=True)}}
            for row_id, values in computed[key].items()
            if stored.get(row_id) != values
        ]
        changed_here = len(changes)
        if changes:
            _write_counters(model, counters, changes)
            _expire(model, counters)
        changed += changed_here
        if progress:
            progress(f"{key} compared and corrected", checked=len(ids), corrected=changed_here)
    return changed


def _write_counters(model, counters: tuple[str, ...], changes: list[dict]) -> None:
    """Write the new values (``row_id``, ``new_<counter>``...) in bulk: on PostgreSQL one UPDATE
    joined with arrays of the values, elsewhere one statement run for every row (executemany)."""
    table = model.__table__
    if db.session.get_bind().dialect.name == "postgresql":
        values = (
            sa.func.unnest(
                sa.bindparam(
                    "ids", [change["row_id"] for change in changes], type_=postgresql.ARRAY(sa.Integer)
                ),
                *(
                    sa.bindparam(
                        c, [change[f"new_{c}"] for change in changes], type_=postgresql.ARRAY(sa.Integer)
                    )
                    for c in counters
                ),
            )
            .table_valued("row_id", *counters)
            .render_derived(name="new_values")
        )
        db.session.execute(
            sa.update(table).where(table.c.id == values.c.row_id).values({c: values.c[c] for c in counters})
        )
        return
    db.session.execute(
        sa.update(table)
        .where(table.c.id == sa.bindparam("row_id"))
        .values({c: sa.bindparam(f"new_{c}") for c in counters}),
        changes,
    )


def recount_all(progress: Callable[..., None] | None = None) -> int:
    """Rewrite every counter from the rows (``flask recount``); returns how many rows changed."""
    return recount(None, None, progress)


def _expire(model, attributes: Iterable[str]) -> None:
    """Objects already loaded in the session must re-read what SQL changed behind them
    (expiring loads nothing: the next read does)."""
    attributes = list(attributes)
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, model):
            db.session.expire(obj, attributes)

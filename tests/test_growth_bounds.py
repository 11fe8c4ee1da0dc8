"""Pages whose cost must not grow with the size of the network (issue #16, the huge set):
what each reads is bounded by what it shows, or by the campaign it shows, never by every row."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import LinkVisibility
from app.services import directory
from tests.builders import make_campaign, make_organization, make_project, make_user
from tests.conftest import app_context

VISITOR = None


# sqlite_stat1 as ANALYZE wrote it on the huge set (flask large-data --huge), so that the planner
# chooses as it does there: it takes ``hidden_at IS NULL`` for a selective lookup (49 rows).
HUGE_SET_STATISTICS = [
    ("projects", "ix_projects_organization_id", "200000 3"),
    ("projects", "ix_projects_hidden_created", "200000 49 1 1"),
    ("projects", "sqlite_autoindex_projects_1", "200000 1"),
    ("project_campaigns", "ix_project_campaigns_campaign_id", "399649 800"),
    ("project_campaigns", "sqlite_autoindex_project_campaigns_1", "399649 2 1"),
    ("organizations", "ix_organizations_status_submitted_at", "100000 25000 1"),
    ("organizations", "ix_organizations_status_sort_key_fr", "100000 25000 6 1"),
    ("organizations", "ix_organizations_status_sort_key_en", "100000 25000 6 1"),
    ("organizations", "ix_organizations_status_sort_key_ckb", "100000 25000 6 1"),
    ("organizations", "ix_organizations_status_sort_key_ar", "100000 25000 6 1"),
    ("organizations", "ix_organizations_status_name", "100000 25000 6"),
    ("organizations", "ix_organizations_status_kind", "100000 25000 2500"),
    ("organizations", "ix_organizations_status_country", "100000 25000 1316"),
    ("organizations", "ix_organizations_status_approved_at", "100000 25000 1 1"),
    ("organizations", "ix_organizations_name_skeleton", "100000 9"),
    ("organizations", "sqlite_autoindex_organizations_1", "100000 1"),
]


def _plan(statement: sa.Select) -> list[str]:
    compiled = statement.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True})
    return [row[3] for row in db.session.execute(sa.text(f"EXPLAIN QUERY PLAN {compiled}"))]


def test_campaign_projects_start_from_the_campaigns_links_on_sqlite(app):
    """SQLite would otherwise walk every visible project of the network newest first through
    ix_projects_hidden_created (the list's own order) and check each one's link to the campaign
    (0.3 s on the huge set); the plan must start from the campaign's links instead."""
    with app_context(app):
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite's query planner")
        campaign, other = make_campaign(), make_campaign()
        organizations = [make_organization() for _ in range(5)]
        for n in range(40):
            make_project(organizations[n % 5], [campaign] if n % 10 == 0 else [other])
        member = make_user(organization=organizations[0])
        db.session.commit()
        db.session.execute(sa.text("ANALYZE"))
        db.session.execute(sa.text("DELETE FROM sqlite_stat1"))
        for table, index, stat in HUGE_SET_STATISTICS:
            db.session.execute(
                sa.text("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (:t, :i, :s)"),
                {"t": table, "i": index, "s": stat},
            )
        db.session.commit()
        db.session.execute(sa.text("ANALYZE sqlite_schema"))  # the planner reads them again

        try:
            for viewer in (VISITOR, member):
                plan = _plan(directory.campaign_projects_statement(campaign, viewer))
                assert "project_campaigns" in plan[0], plan
                assert not any("ix_projects_hidden_created" in step for step in plan), plan
                assert not any(step.startswith("SCAN") for step in plan), plan
        finally:  # the database outlives the test: leave no statistics behind for the others
            db.session.execute(sa.text("DELETE FROM sqlite_stat1"))
            db.session.commit()
            db.session.execute(sa.text("ANALYZE sqlite_schema"))


def test_campaign_projects_still_lists_the_newest_visible_projects_first(app):
    with app_context(app):
        campaign = make_campaign()
        organization = make_organization()
        projects = [make_project(organization, [campaign], title=f"Listed project {n}") for n in range(8)]
        hidden = make_project(organization, [campaign], title="Hidden project")
        hidden.hidden_at = hidden.created_at
        make_project(organization, [campaign], title="Members link", link_visibility=LinkVisibility.MEMBERS)
        db.session.commit()

        shown = [project.title for project in directory.campaign_projects(campaign, VISITOR)]
        newest = sorted(projects, key=lambda project: (project.created_at, project.id), reverse=True)
        assert shown == [project.title for project in newest[: directory.CAMPAIGN_PROJECTS]]


def test_directory_countries_are_those_of_listed_organizations_only(app):
    """The loose index scan (one seek per country) gives what a DISTINCT over every listed
    organization gives: each country once, in order, none from an organization out of public view."""
    from app.models import OrganizationStatus
    from app.models.base import utcnow

    with app_context(app):
        for country in ("IQ", "IQ", "NO", "IT", "IQ", "FR"):
            make_organization(country=country)
        make_organization(country="SE", status=OrganizationStatus.PENDING)
        make_organization(country="AA").dark_at = utcnow()
        make_organization(country="ZZ").delisted_at = utcnow()
        make_organization(country="DE").deletion_requested_at = utcnow()
        db.session.commit()

        assert directory.directory_countries() == ["FR", "IQ", "IT", "NO"]

"""The synthetic network: realistic, deterministic, counted right and searchable."""

from __future__ import annotations

import random
import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Campaign, Organization, Pledge, Project, ProjectCampaign
from app.search_engine import engine
from app.search_engine.folding import fold
from app.seeding import large_data
from app.services import DomainError, counters
from tests.builders import make_organization
from tests.conftest import app_context, run_command

SCALE = 0.01  # 100 organizations, 50 campaigns, 2,000 pledges, 200 projects


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.mark.usefixtures("app_ctx")
def test_generates_the_network_with_counters_that_match_the_rows():
    summary = large_data.generate(scale=SCALE)
    db.session.commit()

    expected = large_data.sizes(SCALE)
    assert (count(Organization), count(Campaign)) == (expected["organizations"], 50)
    assert count(Pledge) == summary.pledges == expected["pledges"]
    assert count(Project) == expected["projects"]
    assert summary.projects <= count(ProjectCampaign) <= 3 * summary.projects
    assert counters.stored_counts() == counters.computed_counts()
    assert counters.recount_all() == 0

    countries = set(db.session.scalars(sa.select(Organization.country)))
    assert "IQ" in countries and len(countries) > 3
    visibilities = set(db.session.scalars(sa.select(Pledge.visibility)))
    assert {v.value for v in visibilities} == {"public", "members", "counted"}
    assert db.session.scalar(sa.select(sa.func.count()).where(Pledge.withdrawn_at.is_not(None)))


@pytest.mark.usefixtures("app_ctx")
def test_generated_rows_are_found_by_search_in_arabic_and_latin():
    large_data.generate(scale=SCALE)
    db.session.commit()

    arabic = engine.find("organizations", "الرافدين", limit=500)
    assert arabic
    assert all("الرافدين" in fold(f"{org.name} {org.description}") for org in arabic)
    some_project = db.session.scalar(sa.select(Project).where(Project.hidden_at.is_(None)).limit(1))
    assert engine.find("campaigns", "tigris", limit=10)
    assert engine.find("projects", some_project.place, limit=10)


@pytest.mark.usefixtures("app_ctx")
def test_same_seed_gives_the_same_network():
    large_data.generate(scale=SCALE, seed=7)
    db.session.commit()
    again = large_data._organizations(random.Random(7), large_data.sizes(SCALE)["organizations"])
    stored = list(db.session.scalars(sa.select(Organization.name).order_by(Organization.id)))
    assert stored == [row["name"] for row in again]


@pytest.mark.usefixtures("app_ctx")
def test_refuses_a_database_that_holds_real_rows():
    make_organization("A real member")
    db.session.commit()
    with pytest.raises(DomainError):
        large_data.generate(scale=SCALE)
    assert count(Organization) == 1


@pytest.mark.usefixtures("app_ctx")
def test_new_rows_after_the_load_get_fresh_ids():
    large_data.generate(scale=SCALE)
    db.session.commit()
    org = make_organization("Joined after the load")
    db.session.commit()
    assert org.id == large_data.sizes(SCALE)["organizations"] + 1


def test_commands_generate_and_recount(app):
    result = run_command(app, "large-data", "--scale", str(SCALE))
    assert result.exit_code == 0, result.output
    assert "Generated 100 organizations" in result.output

    with app_context(app):
        db.session.execute(sa.update(Campaign).values(supporter_count=Campaign.supporter_count + 1))
        db.session.commit()
    result = run_command(app, "recount")
    assert result.exit_code == 0, result.output
    assert "50 row(s) corrected" in result.output
    with app_context(app):
        assert counters.stored_counts() == counters.computed_counts()

    result = run_command(app, "large-data", "--scale", str(SCALE))
    assert result.exit_code != 0
    assert "empty database" in result.output


def stage_names(result) -> list[str]:
    """The stages a long command named on stderr, one line each with its counts and time."""
    lines = [line.strip() for line in result.stderr.splitlines() if line.strip().endswith("s so far)")]
    return [line.split(" (")[0].split(":")[0] for line in lines]


def test_large_data_says_each_stage_with_its_counts_and_ends_with_a_summary(app):
    result = run_command(app, "large-data", "--scale", str(SCALE))
    assert result.exit_code == 0, result.output
    assert stage_names(result) == [
        "set aside for the load",
        "organizations written, with their search text",
        "campaigns written, with their search text",
        "pledges written",
        "projects written, with their search text",
        "counted from the pledges and projects",
        "campaigns compared and corrected",
        "organizations compared and corrected",
        "indexes built",
        # SQLite's search index is filled in bulk; PostgreSQL's foreign keys are added back.
        *(
            ["search index built"]
            if "sqlite" in app.config["SQLALCHEMY_DATABASE_URI"]
            else ["foreign keys checked"]
        ),
        "statistics gathered with ANALYZE",
        "committed",
        *([] if "sqlite" in app.config["SQLALCHEMY_DATABASE_URI"] else ["vacuumed"]),
    ]
    assert "  pledges written: 2,000 rows (" in result.stderr
    assert "  projects written, with their search text: 200 rows, " in result.stderr
    summary = result.stdout.strip().splitlines()
    assert len(summary) == 1 and summary[0].startswith("Generated 100 organizations")
    # The build's peak memory (ru_maxrss) ends the summary.
    assert re.search(r" in [\d.]+ s; peak memory [\d,]+ MB$", summary[0]), summary[0]


def test_long_tables_tell_their_progress_within_the_stage(app, monkeypatch):
    # At the huge size a line comes every 200,000 rows; here every 500.
    monkeypatch.setattr(large_data, "BATCH", 250)
    monkeypatch.setattr(large_data, "PROGRESS_EVERY", 500)
    result = run_command(app, "large-data", "--scale", str(SCALE))
    assert result.exit_code == 0, result.output
    within = [line.strip().split(" (")[0] for line in result.stderr.splitlines() if ": writing:" in line]
    assert within == [
        "pledges: writing: 500 rows",
        "pledges: writing: 1,000 rows",
        "pledges: writing: 1,500 rows",
        "pledges: writing: 2,000 rows",
    ]
    with app_context(app):
        assert count(Pledge) == 2_000 and count(Project) == 200
        assert counters.stored_counts() == counters.computed_counts()


def test_the_huge_set_has_the_sizes_of_the_issue(app, monkeypatch):
    assert large_data.sizes(large_data.HUGE_SCALE) == {
        "organizations": 100_000,
        "campaigns": 500,
        "pledges": 2_000_000,
        "projects": 200_000,
    }
    asked = []

    def generate(scale, seed, progress):
        asked.append(scale)
        return large_data.Summary()

    monkeypatch.setattr(large_data, "generate", generate)
    result = run_command(app, "large-data", "--huge")
    assert result.exit_code == 0, result.output
    assert asked == [10.0]


def schema(connection) -> dict:
    """Each table's indexes and foreign keys, and SQLite's triggers: what the load sets aside
    and builds again."""
    inspector = sa.inspect(connection)
    tables = ("organizations", "campaigns", "pledges", "projects", "project_campaigns")
    shape = {
        table: sorted((index["name"], tuple(index["column_names"]), bool(index["unique"])) for index in found)
        for table, found in ((table, inspector.get_indexes(table)) for table in tables)
    }
    for table in tables:
        shape[f"{table} foreign keys"] = sorted(
            (key["name"] or "", tuple(key["constrained_columns"]), key["referred_table"], str(key["options"]))
            for key in inspector.get_foreign_keys(table)
        )
    if connection.dialect.name == "sqlite":
        shape["triggers"] = sorted(
            connection.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").all()
        )
    return shape


@pytest.mark.usefixtures("app_ctx")
def test_the_load_leaves_every_index_foreign_key_and_search_trigger_as_it_found_them():
    before = schema(db.session.connection())
    large_data.generate(scale=SCALE)
    db.session.commit()
    assert schema(db.session.connection()) == before
    # The search index holds the loaded rows, and the triggers index what comes after.
    late = make_organization("Zanzibarian Solidarity Collective")
    db.session.commit()
    assert [org.id for org in engine.find("organizations", "zanzibarian", limit=5)] == [late.id]
    assert len(engine.find("organizations", "collective", limit=1000)) > 1


def test_recount_says_each_stage_and_ends_with_a_summary(app):
    with app_context(app):
        large_data.generate(scale=SCALE)
        db.session.commit()
    result = run_command(app, "recount")
    assert result.exit_code == 0, result.output
    assert stage_names(result) == [
        "counted from the pledges and projects",
        "campaigns compared and corrected",
        "organizations compared and corrected",
        "committed",
    ]
    assert "  campaigns compared and corrected: 50 checked, 0 corrected (" in result.stderr
    summary = result.stdout.strip().splitlines()
    assert len(summary) == 1 and summary[0].startswith("Counters checked; 0 row(s) corrected in ")


def test_search_index_says_each_table_and_ends_with_a_summary(app):
    with app_context(app):
        large_data.generate(scale=SCALE)
        db.session.commit()
    result = run_command(app, "search-index")
    assert result.exit_code == 0, result.output
    names = stage_names(result)
    assert names[0] == "index tables and triggers installed where missing"
    assert names[-1] == "committed"
    assert {"organizations reindexed", "campaigns reindexed", "projects reindexed"} <= set(names)
    assert "  organizations reindexed: 100 rows (" in result.stderr
    summary = result.stdout.strip().splitlines()
    assert len(summary) == 1 and summary[0].startswith("Search index rebuilt (350 rows) in ")

"""Migrations build the schema the models describe, keep data, and run both ways.

Each test works on its own empty database: a SQLite file, and on PostgreSQL runs a
dedicated schema (``migration_check``) inside the test database, so the suite's own
tables are never touched.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory
from flask import current_app

from app import create_app
from app.extensions import db
from app.models import OrganizationStatus, PledgeVisibility
from config import normalize_database_url
from tests import builders
from tests.conftest import TEST_DATABASE_URL

pytestmark = pytest.mark.slow

MIGRATIONS_DIR = str(Path(__file__).resolve().parent.parent / "migrations")
FIRST_RELEASE = "0001_initial"
PG_SCHEMA = "migration_check"


def empty_database_urls(tmp_path) -> list[str]:
    urls = [f"sqlite:///{tmp_path / 'migrated.db'}"]
    if TEST_DATABASE_URL and TEST_DATABASE_URL.startswith(("postgres://", "postgresql")):
        url = sa.engine.make_url(normalize_database_url(TEST_DATABASE_URL))
        url = url.update_query_dict({"options": f"-csearch_path={PG_SCHEMA}"})
        urls.append(url.render_as_string(hide_password=False))
    return urls


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path) -> Iterator[str]:
    urls = {sa.engine.make_url(u).get_backend_name(): u for u in empty_database_urls(tmp_path)}
    if request.param not in urls:
        pytest.skip("PostgreSQL run only (TEST_DATABASE_URL)")
    url = urls[request.param]
    if request.param == "postgresql":
        _recreate_pg_schema(url)
    yield url
    if request.param == "postgresql":
        _drop_pg_schema(url)


def _recreate_pg_schema(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE")
        connection.exec_driver_sql(f"CREATE SCHEMA {PG_SCHEMA}")
    engine.dispose()


def _drop_pg_schema(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE")
    engine.dispose()


@contextmanager
def app_on(url: str):
    application = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with application.app_context():
        try:
            yield application
        finally:
            db.session.remove()
            db.engine.dispose()


def alembic_config():
    return current_app.extensions["migrate"].migrate.get_config(MIGRATIONS_DIR)


def upgrade(revision: str = "head") -> None:
    command.upgrade(alembic_config(), revision)


def downgrade(revision: str) -> None:
    command.downgrade(alembic_config(), revision)


def assert_schema_matches_models() -> None:
    """What `flask db check` does: autogenerate finds nothing left to migrate."""
    command.check(alembic_config())


def model_table_names() -> set[str]:
    return set(db.metadata.tables)


def snapshot(table_names: set[str], columns_of: dict[str, list[str]] | None = None) -> dict[str, list[tuple]]:
    """Every row of every table, in a stable order: the models' columns that the database has
    (or those of ``columns_of``, to compare with an older schema's snapshot)."""
    metadata = sa.MetaData()
    metadata.reflect(bind=db.engine, only=sorted(table_names))
    rows = {}
    with db.engine.connect() as connection:
        for name in sorted(table_names):
            table = metadata.tables[name]
            # The models' columns only: 0002_search adds a generated search_vector on PostgreSQL.
            names = [c.name for c in db.metadata.tables[name].columns if c.name in table.c]
            columns = [table.c[column] for column in (columns_of or {}).get(name, names)]
            result = connection.execute(sa.select(*columns)).all()
            rows[name] = sorted((tuple(row) for row in result), key=repr)
    return rows


def some_of_everything() -> None:
    campaign = builders.make_campaign("Save the Tigris")
    org = builders.make_organization("Tigris Friends")
    builders.make_organization("Waiting Org", status=OrganizationStatus.PENDING)
    builders.make_user(org, email="owner@tigris.example")
    builders.make_moderator("mod@tadamun.example")
    builders.make_pledge(org, campaign, visibility=PledgeVisibility.MEMBERS, message="معاً من أجل دجلة")
    builders.make_project(org, campaigns=[campaign])
    db.session.commit()


def test_first_revision_is_the_first_release():
    with app_on("sqlite://"):
        script = ScriptDirectory.from_config(alembic_config())
        assert script.get_base() == FIRST_RELEASE


def test_upgrade_builds_the_schema_the_models_describe(empty_database):
    with app_on(empty_database):
        upgrade()
        assert_schema_matches_models()
        assert model_table_names() <= set(sa.inspect(db.engine).get_table_names())


def rows_of_everything(tmp_path) -> dict[str, list[dict]]:
    """The rows ``some_of_everything`` writes, made with today's models in a scratch database
    (the builders write every column the models have, which an older schema lacks)."""
    with app_on(f"sqlite:///{tmp_path / 'scratch.db'}"):
        builders.create_schema()
        some_of_everything()
        with db.engine.connect() as connection:
            return {
                table.name: [dict(row._mapping) for row in connection.execute(sa.select(table))]
                for table in db.metadata.sorted_tables
            }


def copy_rows_into_older_schema(rows: dict[str, list[dict]]) -> None:
    """Insert the rows into the current database, keeping the columns its schema has."""
    metadata = sa.MetaData()
    metadata.reflect(bind=db.engine)
    with db.engine.begin() as connection:
        for model_table in db.metadata.sorted_tables:
            table = metadata.tables.get(model_table.name)
            if table is None or not rows[model_table.name]:
                continue
            kept = [{k: v for k, v in row.items() if k in table.c} for row in rows[model_table.name]]
            connection.execute(table.insert(), kept)


def test_upgrade_from_the_first_release_keeps_every_row(empty_database, tmp_path):
    with app_on(empty_database):
        upgrade(FIRST_RELEASE)
        copy_rows_into_older_schema(rows_of_everything(tmp_path))
        # The tables of the first release, with their columns then (later revisions add some).
        tables = model_table_names() & set(sa.inspect(db.engine).get_table_names())
        before = snapshot(tables)
        inspector = sa.inspect(db.engine)
        present = {name: {c["name"] for c in inspector.get_columns(name)} for name in tables}
        first_columns = {
            name: [c.name for c in db.metadata.tables[name].columns if c.name in present[name]]
            for name in tables
        }
        assert all(before[name] for name in ("users", "organizations", "campaigns", "pledges", "projects"))
        db.session.remove()

        upgrade()
        assert snapshot(tables, first_columns) == before


def test_downgrade_to_base_and_upgrade_again_round_trips(empty_database):
    with app_on(empty_database):
        upgrade()
        downgrade("base")
        remaining = set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert remaining == set()

        upgrade()
        assert_schema_matches_models()


def test_each_step_downgrades_and_upgrades_again(empty_database):
    with app_on(empty_database):
        script = ScriptDirectory.from_config(alembic_config())
        revisions = [rev.revision for rev in reversed(list(script.walk_revisions()))]
        for revision in revisions:
            upgrade(revision)
            downgrade("-1")
            upgrade(revision)
        assert_schema_matches_models()

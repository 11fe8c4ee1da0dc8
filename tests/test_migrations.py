"""Migrations build the schema the models describe, keep data, and run both ways.

Each test works on its own empty database: a SQLite file, and on PostgreSQL runs a
dedicated schema (``migration_check``) inside the test database, so the suite's own
tables are never touched.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory
from flask import current_app

from app import create_app
from app.extensions import db
from app.models import AuditAction
from app.services import counters
from config import normalize_database_url
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


def _insert(table_name: str, *rows: dict) -> None:
    """Rows written as the code of an older revision would, through the table as it is now in
    the database (the models may describe columns a later revision adds)."""
    table = sa.Table(table_name, sa.MetaData(), autoload_with=db.engine)
    with db.engine.begin() as connection:
        connection.execute(table.insert(), list(rows))


NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def _campaign(campaign_id: int, slug: str, **counts) -> dict:
    return {
        "id": campaign_id, "slug": slug, "title": slug.replace("-", " ").title(), "summary": "What it wants.",
        "description": "", "status": "active", "accent": "tigris", "position": campaign_id,
        "supporter_count": 0, "iraqi_supporter_count": 0, "project_count": 0,
        "created_at": NOW, "updated_at": NOW, **counts,
    }  # fmt: skip


def _organization(org_id: int, name: str, *, status: str = "approved", country: str = "IQ", **counts) -> dict:
    return {
        "id": org_id, "slug": name.lower().replace(" ", "-"), "name": name, "kind": "ngo", "country": country,
        "city": "Basra", "description": "", "status": status, "contact_email_visibility": "hidden",
        "contact_phone_visibility": "hidden", "address_visibility": "hidden",
        "contact_person_visibility": "hidden",
        "public_pledge_count": 0, "created_at": NOW, "updated_at": NOW, "submitted_at": NOW,
        "approved_at": NOW if status != "pending" else None, **counts,
    }  # fmt: skip


def _pledge(
    pledge_id: int, org_id: int, campaign_id: int, visibility: str, *, withdrawn: bool = False
) -> dict:
    return {
        "id": pledge_id, "organization_id": org_id, "campaign_id": campaign_id, "support_kinds": "advocacy",
        "message": "معاً من أجل دجلة", "visibility": visibility, "created_at": NOW, "updated_at": NOW,
        "withdrawn_at": NOW if withdrawn else None,
    }  # fmt: skip


def _project(project_id: int, org_id: int) -> dict:
    return {
        "id": project_id, "slug": f"project-{project_id}", "organization_id": org_id, "title": "River Clinic",
        "summary": "", "description": "", "status": "running", "place": "Basra",
        "created_at": NOW, "updated_at": NOW,
    }  # fmt: skip


def some_of_everything() -> None:
    """A small network as the first release stored it, its counters as that release kept them."""
    _insert(
        "campaigns",
        _campaign(1, "save-the-tigris", supporter_count=1, iraqi_supporter_count=1, project_count=1),
    )
    _insert(
        "organizations",
        _organization(1, "Tigris Friends", public_pledge_count=0),
        _organization(2, "Waiting Org", status="pending"),
    )
    _insert(
        "users",
        {"id": 1, "email": "owner@tigris.example", "password_hash": "x", "role": "member",
         "organization_id": 1, "is_owner": True, "created_at": NOW, "email_confirmed_at": NOW},
        {"id": 2, "email": "mod@tadamun.example", "password_hash": "x", "role": "moderator",
         "organization_id": None, "is_owner": False, "created_at": NOW, "email_confirmed_at": NOW},
    )  # fmt: skip
    _insert("pledges", _pledge(1, 1, 1, "members"))
    _insert("projects", _project(1, 1))
    _insert("project_campaigns", {"project_id": 1, "campaign_id": 1, "created_at": NOW})


# Derived numbers a later revision may recompute by a new rule; they are checked against the rule.
COUNTERS = {"campaigns": {"supporter_count", "iraqi_supporter_count", "project_count"}}


def snapshot_of(table_names: set[str], columns_of: dict[str, list[str]]) -> dict[str, list[tuple]]:
    """Every row of these tables, the given columns only, counters left out."""
    metadata = sa.MetaData()
    metadata.reflect(bind=db.engine, only=sorted(table_names))
    rows = {}
    with db.engine.connect() as connection:
        for name in sorted(table_names):
            table = metadata.tables[name]
            columns = [table.c[c] for c in columns_of[name] if c not in COUNTERS.get(name, set())]
            result = connection.execute(sa.select(*columns)).all()
            rows[name] = sorted((tuple(row) for row in result), key=repr)
    return rows


def test_first_revision_is_the_first_release():
    with app_on("sqlite://"):
        script = ScriptDirectory.from_config(alembic_config())
        assert script.get_base() == FIRST_RELEASE


def test_upgrade_builds_the_schema_the_models_describe(empty_database):
    with app_on(empty_database):
        upgrade()
        assert_schema_matches_models()
        assert model_table_names() <= set(sa.inspect(db.engine).get_table_names())


def test_upgrade_from_the_first_release_keeps_every_row(empty_database):
    with app_on(empty_database):
        upgrade(FIRST_RELEASE)
        some_of_everything()
        inspector = sa.inspect(db.engine)
        # The tables of the first release (later revisions add some), with their columns then.
        tables = model_table_names() & set(inspector.get_table_names())
        columns_at_first_release = {name: [c["name"] for c in inspector.get_columns(name)] for name in tables}
        before = snapshot_of(tables, columns_at_first_release)
        assert all(before[name] for name in ("users", "organizations", "campaigns", "pledges", "projects"))
        db.session.remove()

        upgrade()
        assert snapshot_of(tables, columns_at_first_release) == before
        assert counters.stored_counts() == counters.computed_counts()


def test_0003_links_stay_as_discreet_as_their_pledges_and_the_counters_follow(empty_database):
    """Existing links become public only where the organization's pledge is public; pledges get
    their current attribution; the counters are recomputed by the new rule (and the old one on
    the way back)."""
    with app_on(empty_database):
        upgrade("0002_search")
        _insert("campaigns", _campaign(1, "save-the-tigris"), _campaign(2, "workers-rights"))
        _insert(
            "organizations",
            _organization(1, "Open Union", public_pledge_count=1),
            _organization(2, "Paused Group", status="suspended", country="FR"),
        )
        _insert(
            "pledges",
            _pledge(1, 1, 1, "public"),
            _pledge(2, 1, 2, "counted"),
            _pledge(3, 2, 1, "members"),
            _pledge(4, 2, 2, "public", withdrawn=True),
        )
        _insert("projects", _project(1, 1), _project(2, 2))
        _insert(
            "project_campaigns",
            *(
                {"project_id": p, "campaign_id": c, "created_at": NOW}
                for p, c in ((1, 1), (1, 2), (2, 1), (2, 2))
            ),
        )
        upgrade("0003_link_visibility_and_counts")

        with db.engine.connect() as connection:
            links = dict(
                ((p, c), v)
                for p, c, v in connection.execute(
                    sa.text("SELECT project_id, campaign_id, visibility FROM project_campaigns")
                )
            )
            attributions = {
                row[0]: (bool(row[1]), bool(row[2]))
                for row in connection.execute(sa.text("SELECT id, counted, counted_iraqi FROM pledges"))
            }
            numbers = dict(
                (row[0], tuple(row[1:]))
                for row in connection.execute(
                    sa.text("SELECT id, supporter_count, iraqi_supporter_count, project_count FROM campaigns")
                )
            )
        assert links == {(1, 1): "public", (1, 2): "members", (2, 1): "members", (2, 2): "members"}
        assert attributions == {1: (True, True), 2: (True, True), 3: (False, False), 4: (False, False)}
        assert numbers == {1: (1, 1, 1), 2: (1, 1, 0)}
        # The application's rule reads the newest schema: compare it at the head.
        upgrade()
        assert counters.stored_counts() == counters.computed_counts()
        assert counters.stale_pledges() == []
        db.session.remove()

        downgrade("0002_search")
        with db.engine.connect() as connection:
            project_counts = dict(
                connection.execute(sa.text("SELECT id, project_count FROM campaigns")).all()
            )
        assert project_counts == {1: 1, 2: 1}


def test_every_audit_action_of_the_code_is_accepted_after_upgrading(empty_database):
    """The last revision to rebuild the CHECK on audit_entries.action lists every action the code
    writes (those of earlier revisions too); stepping back before it keeps the older ones."""
    with app_on(empty_database):
        upgrade()
        _insert(
            "audit_entries",
            *(
                {"actor_email": "mod@tadamun.example", "action": action.value, "target_type": "user",
                 "target_id": 1, "reason": "", "created_at": NOW}
                for action in AuditAction
            ),
        )  # fmt: skip
        db.session.remove()

        downgrade("0004_organization_name_review")
        with db.engine.connect() as connection:
            kept = set(connection.execute(sa.text("SELECT action FROM audit_entries")).scalars())
        assert {"rename.requested", "rename.approved", "organization.approved"} <= kept
        assert not any("2fa" in action or "recovery" in action for action in kept)
        assert not any(
            action.startswith(
                ("deletion.", "organization.dark", "review.", "gathering.", "coordinator.", "update.")
            )
            for action in kept
        )
        assert not any(action.startswith(("introduction.", "statement.")) for action in kept)
        # the five of 0007, the eight of 0009, the two of 0012, the four of 0014, the two of 0016,
        # the eight of 0017
        assert len(kept) == len(AuditAction) - 5 - 8 - 2 - 4 - 2 - 8


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


def test_upgrade_fills_the_search_text_of_existing_rows_in_every_language(empty_database):
    from app.models import CampaignTranslation
    from app.search_engine import engine
    from tests import builders

    with app_on(empty_database):
        upgrade()
        campaign = builders.make_campaign("Save the Tigris")
        db.session.add(
            CampaignTranslation(campaign_id=campaign.id, locale="ar", title="أنقذوا دجلة", summary=".")
        )
        builders.make_organization("جمعية النساء", city="Basra")
        db.session.commit()
        db.session.remove()
        # Back to before the stored search text, and up again: the migration computes it.
        script = ScriptDirectory.from_config(alembic_config())
        downgrade(script.get_revision("0006_multilingual_search").down_revision)
        upgrade()

        assert [c.title for c in engine.find("campaigns", "دجلة", limit=5)] == ["Save the Tigris"]
        assert [o.name for o in engine.find("organizations", "نساء", limit=5)] == ["جمعية النساء"]
        assert [o.name for o in engine.find("organizations", "البصرة", limit=5)] == ["جمعية النساء"]


def test_0019_existing_sessions_keep_their_title_and_speakers_as_the_main_text(empty_database):
    from app.models import GatheringSession
    from app.services import gatherings

    with app_on(empty_database):
        upgrade("0017_solidarity_in_practice")
        _insert(
            "gatherings",
            {
                "id": 1, "slug": "oslo-2014", "title": "ICSSI Conference", "description": "",
                "logistics": "", "visa_notice": "", "outcome": "", "starts_at": NOW, "ends_at": NOW,
                "time_zone": "Europe/Oslo",
                "city": "Oslo", "country": "NO", "venue": "", "online_url": None, "status": "published",
                "published_at": NOW, "cancelled_at": None, "created_at": NOW, "updated_at": NOW,
            },
        )  # fmt: skip
        _insert(
            "gathering_sessions",
            {
                "id": 7, "gathering_id": 1, "starts_at": NOW, "ends_at": NOW, "room": "Hall A",
                "title": "Dialogue and reconciliation", "speakers": "Ismaeel Dawood", "language": "ar",
                "interpretation": "en",
            },
        )  # fmt: skip
        upgrade()
        session = db.session.get(GatheringSession, 7)
        assert (session.title, session.speakers) == ("Dialogue and reconciliation", "Ismaeel Dawood")
        shown = gatherings.localized_session(session, "ar")  # no translation yet: the main text
        assert (shown.title, shown.speakers, shown.langs["title"]) == (
            "Dialogue and reconciliation",
            "Ismaeel Dawood",
            "en",
        )
        db.session.remove()
        downgrade("0017_solidarity_in_practice")
        assert "gathering_session_translations" not in sa.inspect(db.engine).get_table_names()
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT title FROM gathering_sessions").scalar() == (
                "Dialogue and reconciliation"
            )

"""0004 fills every organization's name skeleton, widens the audit actions, and goes back cleanly."""

# ruff: noqa: RUF001  (look-alike characters are what these tests are about)

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.names import name_skeleton
from tests.test_migrations import app_on, downgrade, empty_database, upgrade  # noqa: F401

pytestmark = pytest.mark.slow

MIGRATION = (
    Path(__file__).resolve().parent.parent / "migrations" / "versions" / "0004_organization_name_review.py"
)
NAMES = [
    "Un ponte per",
    "Un pоnte per",
    "ICSSI",
    "جمعية الأمل",
    "جمعيه الامل",
    "کۆمە\u200cڵە",
    "Ｕｎ ｐｏｎｔｅ ｐｅｒ",
    "\ufdfa" * 200,
]


def migration_module():
    spec = importlib.util.spec_from_file_location("migration_0004", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_migrations_copy_of_the_skeleton_agrees_with_the_application():
    copy = migration_module().name_skeleton
    for name in NAMES:
        assert copy(name) == name_skeleton(name), name


def insert_organizations(connection) -> None:
    for n, name in enumerate(NAMES, start=1):
        connection.execute(
            sa.text(
                "INSERT INTO organizations (id, slug, name, kind, country, city, description, status,"
                " contact_email_visibility, contact_phone_visibility, address_visibility,"
                " contact_person_visibility, public_pledge_count, created_at, updated_at, submitted_at)"
                " VALUES (:id, :slug, :name, 'ngo', 'IQ', '', '', 'approved', 'hidden', 'hidden', 'hidden',"
                " 'hidden', 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            ),
            {"id": n, "slug": f"org-{n}", "name": name},
        )


def insert_audit_entry(connection, action: str) -> None:
    connection.execute(
        sa.text(
            "INSERT INTO audit_entries (actor_email, action, target_type, target_id, reason, created_at)"
            " VALUES ('mod@example.org', :action, 'organization', 1, '', CURRENT_TIMESTAMP)"
        ),
        {"action": action},
    )


def test_upgrade_fills_the_skeletons_and_accepts_the_new_audit_actions(empty_database):  # noqa: F811
    with app_on(empty_database):
        upgrade("0002_search")
        with db.engine.begin() as connection:
            insert_organizations(connection)
        upgrade()
        with db.engine.begin() as connection:
            stored = dict(connection.execute(sa.text("SELECT name, name_skeleton FROM organizations")).all())
            assert stored == {name: name_skeleton(name) for name in NAMES}
            insert_audit_entry(connection, "rename.approved")
        with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as connection:
            insert_audit_entry(connection, "made.up")


def test_downgrade_keeps_the_organizations_and_their_search_index(empty_database):  # noqa: F811
    with app_on(empty_database):
        upgrade()
        with db.engine.begin() as connection:
            insert_organizations(connection)
            insert_audit_entry(connection, "rename.requested")
        downgrade("0002_search")
        inspector = sa.inspect(db.engine)
        columns = {column["name"] for column in inspector.get_columns("organizations")}
        assert not {"name_skeleton", "proposed_name", "proposed_name_at"} & columns
        with db.engine.begin() as connection:
            assert connection.scalar(sa.text("SELECT count(*) FROM organizations")) == len(NAMES)
            assert connection.scalar(sa.text("SELECT count(*) FROM audit_entries")) == 0
            if connection.dialect.name == "sqlite":
                # The search triggers of 0002 still fire: the table was altered in place, not rebuilt.
                connection.execute(sa.text("UPDATE organizations SET name = 'Tigris Friends' WHERE id = 1"))
                found = connection.scalar(
                    sa.text("SELECT rowid FROM organizations_fts WHERE organizations_fts MATCH 'tigris'")
                )
                assert found == 1

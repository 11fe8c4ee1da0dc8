"""`flask backup` and `flask restore`: a backup boots a site with every row it had."""

from __future__ import annotations

import shutil
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from app import create_app
from app.extensions import db
from app.models import PledgeVisibility
from app.ops.backup import table_row_counts
from tests import builders

pytestmark = pytest.mark.slow


@contextmanager
def app_on(url: str, **settings):
    application = create_app({"SQLALCHEMY_DATABASE_URI": url, **settings})
    with application.app_context():
        try:
            yield application
        finally:
            db.session.remove()
            db.engine.dispose()


def some_of_everything() -> None:
    campaign = builders.make_campaign("Save the Tigris")
    org = builders.make_organization("Tigris Friends")
    builders.make_organization("Waiting Org", status=builders.OrganizationStatus.PENDING)
    builders.make_user(org, email="owner@tigris.example")
    builders.make_moderator("mod@tadamun.example")
    builders.make_pledge(org, campaign, visibility=PledgeVisibility.MEMBERS, message="معاً من أجل دجلة")
    builders.make_project(org, campaigns=[campaign])
    db.session.commit()


def run(application, *args, input=None):
    result = application.test_cli_runner().invoke(args=list(args), input=input)
    return result


@pytest.fixture
def sqlite_site(tmp_path):
    """A SQLite site on a file, with some of everything in it; yields (url, counts)."""
    url = f"sqlite:///{tmp_path / 'site.db'}"
    with app_on(url) as application:
        builders.create_schema()
        some_of_everything()
        counts = table_row_counts(db.engine)
        yield application, counts


def test_sqlite_backup_boots_a_site_with_every_count_equal(sqlite_site, tmp_path):
    application, counts = sqlite_site
    target = tmp_path / "backups" / "tadamun.sqlite3"

    result = run(application, "backup", "--output", str(target))

    assert result.exit_code == 0, result.output
    assert target.is_file()
    with app_on(f"sqlite:///{target}") as restored:
        assert table_row_counts(db.engine) == counts
        assert counts["pledges"] == 1 and counts["users"] == 2
        response = restored.test_client().get("/")
        assert response.status_code == 200
        assert "Save the Tigris" in response.get_data(as_text=True)


def test_backup_without_output_goes_to_the_instance_folder(sqlite_site, tmp_path, monkeypatch):
    application, _ = sqlite_site
    monkeypatch.setattr(application, "instance_path", str(tmp_path / "instance"))

    result = run(application, "backup")

    assert result.exit_code == 0, result.output
    written = list((tmp_path / "instance" / "backups").glob("tadamun-*.sqlite3"))
    assert len(written) == 1


def test_restore_replaces_the_database_with_the_backup(sqlite_site, tmp_path):
    application, counts = sqlite_site
    target = tmp_path / "tadamun.sqlite3"
    assert run(application, "backup", "--output", str(target)).exit_code == 0

    # Later changes are lost by the restore: the backup is the truth.
    builders.make_campaign("Made after the backup")
    db.session.commit()
    assert table_row_counts(db.engine)["campaigns"] == counts["campaigns"] + 1

    result = run(application, "restore", str(target), "--yes")

    assert result.exit_code == 0, result.output
    assert table_row_counts(db.engine) == counts


def test_restore_asks_before_replacing_anything(sqlite_site, tmp_path):
    application, counts = sqlite_site
    target = tmp_path / "tadamun.sqlite3"
    assert run(application, "backup", "--output", str(target)).exit_code == 0
    builders.make_campaign("Made after the backup")
    db.session.commit()

    result = run(application, "restore", str(target), input="n\n")

    assert result.exit_code != 0
    assert table_row_counts(db.engine)["campaigns"] == counts["campaigns"] + 1


def test_restore_refuses_a_file_that_is_not_a_backup(sqlite_site, tmp_path):
    application, counts = sqlite_site
    bogus = tmp_path / "notes.sqlite3"
    bogus.write_text("this is not a database")

    result = run(application, "restore", str(bogus), "--yes")

    assert result.exit_code != 0
    assert "not a SQLite backup" in result.output
    assert table_row_counts(db.engine) == counts


def test_in_memory_database_cannot_be_backed_up(tmp_path):
    with app_on("sqlite://") as application:
        result = run(application, "backup", "--output", str(tmp_path / "x.sqlite3"))
    assert result.exit_code != 0
    assert "in-memory" in result.output


@pytest.mark.postgres
def test_postgresql_backup_restores_into_a_new_database_with_every_count_equal(app, tmp_path):
    url = sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "postgresql":
        pytest.skip("PostgreSQL run only (TEST_DATABASE_URL)")
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("pg_dump/pg_restore are not installed")
    some_of_everything()
    counts = table_row_counts(db.engine)
    target = tmp_path / "tadamun.dump"

    result = run(app, "backup", "--output", str(target))
    assert result.exit_code == 0, result.output

    restore_url = url.set(database=f"{url.database}_restore")
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{restore_url.database}"')
        connection.exec_driver_sql(f'CREATE DATABASE "{restore_url.database}"')
    try:
        restore_string = restore_url.render_as_string(hide_password=False)
        with app_on(restore_string) as restored:
            result = run(restored, "restore", str(target), "--yes")
            assert result.exit_code == 0, result.output
            assert table_row_counts(db.engine) == counts
            assert restored.test_client().get("/").status_code == 200
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{restore_url.database}"')
        admin.dispose()

"""`flask backup` and `flask restore`: a backup boots a site with every row it had."""

from __future__ import annotations

import shutil
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app import create_app
from app.extensions import db
from app.models import OutboxMessage, OutboxStatus, PledgeVisibility
from app.ops import backup as backup_service
from app.ops.backup import table_row_counts
from app.services import outbox as outbox_service
from tests import builders
from tests.conftest import app_context, scalars

pytestmark = pytest.mark.slow


@contextmanager
def app_on(url: str, **settings):
    """An application on another database (no context held: reach it in blocks of its own)."""
    application = create_app({"SQLALCHEMY_DATABASE_URI": url, **settings})
    try:
        yield application
    finally:
        with application.app_context():
            db.engine.dispose()


def some_of_everything(application) -> None:
    with app_context(application):
        campaign = builders.make_campaign("Save the Tigris")
        org = builders.make_organization("Tigris Friends")
        builders.make_organization("Waiting Org", status=builders.OrganizationStatus.PENDING)
        builders.make_user(org, email="owner@tigris.example")
        builders.make_moderator("mod@tadamun.example")
        builders.make_pledge(org, campaign, visibility=PledgeVisibility.MEMBERS, message="معاً من أجل دجلة")
        builders.make_project(org, campaigns=[campaign])
        db.session.commit()


def counts_of(application) -> dict[str, int]:
    with application.app_context():
        return table_row_counts(db.engine)


def add_campaign(application, title: str) -> None:
    with app_context(application):
        builders.make_campaign(title)
        db.session.commit()


def run(application, *args, input=None):
    """``flask <args>``, in an application context of its own as the ``flask`` command gives it."""
    with application.app_context():
        return application.test_cli_runner().invoke(args=list(args), input=input)


@pytest.fixture
def sqlite_site(tmp_path):
    """A SQLite site on a file, with some of everything in it; yields (application, counts)."""
    url = f"sqlite:///{tmp_path / 'site.db'}"
    with app_on(url) as application:
        with application.app_context():
            builders.create_schema()
        some_of_everything(application)
        yield application, counts_of(application)


def test_sqlite_backup_boots_a_site_with_every_count_equal(sqlite_site, tmp_path):
    application, counts = sqlite_site
    target = tmp_path / "backups" / "tadamun.sqlite3"

    result = run(application, "backup", "--output", str(target))

    assert result.exit_code == 0, result.output
    assert target.is_file()
    with app_on(f"sqlite:///{target}") as restored:
        assert counts_of(restored) == counts
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
    add_campaign(application, "Made after the backup")
    assert counts_of(application)["campaigns"] == counts["campaigns"] + 1

    result = run(application, "restore", str(target), "--yes")

    assert result.exit_code == 0, result.output
    assert counts_of(application) == counts


def stage_lines(result) -> list[str]:
    """The progress lines a long command printed on stderr (each with its time)."""
    return [line.strip() for line in result.stderr.splitlines() if line.strip().endswith("s so far)")]


def test_backup_and_restore_say_each_stage_and_end_with_a_summary(sqlite_site, tmp_path):
    application, counts = sqlite_site
    target = tmp_path / "tadamun.sqlite3"

    result = run(application, "backup", "--output", str(target))
    assert result.exit_code == 0, result.output
    stages = stage_lines(result)
    assert [line.split(":")[0] for line in stages] == [
        "copied",
        "written in place, readable by its owner only",
    ]
    assert stages[0].startswith("copied: ") and " pages (" in stages[0]
    summary = result.stdout.strip().splitlines()[-1]
    assert summary.startswith(f"Backup written to {target} (") and summary.endswith(" s")

    result = run(application, "restore", str(target), "--yes")
    assert result.exit_code == 0, result.output
    stages = [line.split(":")[0].split(" (")[0] for line in stage_lines(result)]
    assert stages == ["backup integrity checked", "copied", "queued mail held", "rows counted"]
    summary = [line for line in result.stdout.splitlines() if line.startswith("Restored")]
    assert summary == [f"Restored {target} ({sum(counts.values()):,} rows in {len(counts)} tables) in "
                       + summary[0].rsplit(" in ", 1)[1]]  # fmt: skip
    assert summary[0].endswith(" s")


def test_restore_asks_before_replacing_anything(sqlite_site, tmp_path):
    application, counts = sqlite_site
    target = tmp_path / "tadamun.sqlite3"
    assert run(application, "backup", "--output", str(target)).exit_code == 0
    add_campaign(application, "Made after the backup")

    result = run(application, "restore", str(target), input="n\n")

    assert result.exit_code != 0
    assert counts_of(application)["campaigns"] == counts["campaigns"] + 1


def test_restore_refuses_a_file_that_is_not_a_backup(sqlite_site, tmp_path):
    application, counts = sqlite_site
    bogus = tmp_path / "notes.sqlite3"
    bogus.write_text("this is not a database")

    result = run(application, "restore", str(bogus), "--yes")

    assert result.exit_code != 0
    assert "not a SQLite backup" in result.output
    assert counts_of(application) == counts


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
    some_of_everything(app)
    counts = counts_of(app)
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
            assert counts_of(restored) == counts
            assert restored.test_client().get("/").status_code == 200
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{restore_url.database}"')
        admin.dispose()


# Rotation: 7 daily and 4 weekly backups --------------------------------------------------------


def at(day: str, clock: str = "03:15") -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}:00").replace(tzinfo=UTC)


def test_rotation_keeps_the_newest_of_7_days_and_of_4_weeks():
    # A backup every night from 1 January to Sunday 1 March 2026, and a second one on 28 February.
    nights = [at("2026-01-01") + timedelta(days=n) for n in range(60)]
    extra = at("2026-02-28", "14:00")

    kept = backup_service.backups_to_keep([*nights, extra], daily=7, weekly=4)

    assert sorted(kept) == [
        at("2026-02-08"),  # Sunday: the newest of ISO week 6
        at("2026-02-15"),  # week 7
        at("2026-02-22"),  # week 8
        at("2026-02-23"),  # the last seven days ...
        at("2026-02-24"),
        at("2026-02-25"),
        at("2026-02-26"),
        at("2026-02-27"),
        extra,  # the newest of 28 February, not the night's
        at("2026-03-01"),  # ... and the newest of week 9 as well
    ]


def test_rotation_counts_days_that_have_a_backup_not_calendar_days():
    # The server was off for two weeks: the old backups are all there is, so they stay.
    stamps = [at("2026-01-01") + timedelta(days=n) for n in range(5)] + [at("2026-01-20")]
    assert backup_service.backups_to_keep(stamps, daily=7, weekly=4) == set(stamps)


def test_backup_rotate_writes_a_new_backup_and_deletes_only_old_backups(sqlite_site, tmp_path):
    application, _ = sqlite_site
    folder = tmp_path / "backups"
    folder.mkdir()
    today = datetime.now(UTC).replace(hour=3, minute=15, second=0, microsecond=0)
    old = [
        backup_service.default_backup_path("sqlite:///x.db", folder, now=today - timedelta(days=n))
        for n in range(1, 41)
    ]
    for path in old:
        path.write_bytes(b"an older backup")
    notes = folder / "README.txt"
    notes.write_text("not a backup: never deleted")

    result = run(application, "backup", "--rotate", str(folder))

    assert result.exit_code == 0, result.output
    remaining = sorted(p.name for p in folder.glob("tadamun-*.sqlite3"))
    newest = folder / remaining[-1]
    assert newest not in old  # the backup just written
    # Today's and the six nights before it stay; a month ago is gone; the rest as the rule says.
    assert {p.name for p in old[:6]} <= set(remaining)
    assert old[39].name not in remaining
    stamps = {datetime.strptime(name[8:24], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC): name for name in remaining}
    every = [*stamps, *(today - timedelta(days=n) for n in range(1, 41))]
    assert set(stamps) == backup_service.backups_to_keep(every, daily=7, weekly=4)
    assert notes.exists()
    assert not list(folder.glob("*.partial"))
    assert newest.stat().st_mode & 0o777 == 0o600
    with app_on(f"sqlite:///{newest}") as written:
        assert counts_of(written)["pledges"] == 1


def test_a_failed_backup_rotates_nothing_out(tmp_path):
    folder = tmp_path / "backups"
    folder.mkdir()
    old = [
        backup_service.default_backup_path(
            "sqlite:///x.db", folder, now=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=n)
        )
        for n in range(30)
    ]
    for path in old:
        path.write_bytes(b"an older backup")

    with app_on("sqlite://") as application:  # in memory: cannot be backed up
        result = run(application, "backup", "--rotate", str(folder))

    assert result.exit_code != 0
    assert sorted(folder.iterdir()) == sorted(old)


# Mail queued in a backup is not sent twice after a restore ---------------------------------------


def test_restore_holds_mail_the_backup_had_not_sent_yet(sqlite_site, tmp_path, monkeypatch):
    from app import worker

    application, _ = sqlite_site
    monkeypatch.setattr(worker, "_deliver_now", lambda app, ids: None)  # queued, not yet sent
    with app_context(application):
        outbox_service.enqueue_mail("amal@example.org", "Welcome", "Hello")
        db.session.commit()
    target = tmp_path / "with-pending-mail.sqlite3"
    assert run(application, "backup", "--output", str(target)).exit_code == 0

    result = run(application, "restore", str(target), "--yes")

    assert result.exit_code == 0, result.output
    assert "1 mail(s) queued in the backup may have been sent since" in result.output
    [held] = scalars(application, sa.select(OutboxMessage))
    assert held.status == OutboxStatus.FAILED
    assert held.last_error == worker.RESTORED


@pytest.mark.postgres
def test_postgresql_restore_over_the_live_database_brings_back_the_backup(app, tmp_path):
    """What an operator does after a bad change: restore last night's dump over the site."""
    url = sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "postgresql":
        pytest.skip("PostgreSQL run only (TEST_DATABASE_URL)")
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("pg_dump/pg_restore are not installed")
    some_of_everything(app)
    counts = counts_of(app)
    target = tmp_path / "tadamun.dump"
    assert run(app, "backup", "--output", str(target)).exit_code == 0

    # The bad change: a campaign added, a pledge lost.
    with app_context(app):
        builders.make_campaign("Made after the backup")
        db.session.execute(sa.text("DELETE FROM pledges"))
        db.session.commit()
    assert counts_of(app) != counts

    result = run(app, "restore", str(target), "--yes")

    assert result.exit_code == 0, result.output
    assert counts_of(app) == counts
    client = app.test_client()
    assert "Save the Tigris" in client.get("/campaigns/").get_data(as_text=True)
    # The search index came back with the rows.
    assert "Tigris Friends" in client.get("/search?q=tigris").get_data(as_text=True)

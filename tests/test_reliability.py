"""SQLite under contention: WAL, a busy timeout, and a clean 503 when the lock never comes."""

from __future__ import annotations

import sqlite3
import time

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Campaign, Organization
from tests import builders


@pytest.fixture
def sqlite_app(make_app, tmp_path):
    """An application on its own SQLite file (whatever database the suite runs on)."""
    path = tmp_path / "busy.db"
    application = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}", SQLITE_BUSY_TIMEOUT_MS=100)

    @application.post("/_test/two-writes")
    def two_writes():
        # Two rows in one transaction: either both exist afterwards or neither.
        builders.make_campaign("First half")
        builders.make_organization("Second half")
        db.session.commit()
        return "written", 201

    with application.app_context():
        builders.create_schema()
        db.session.remove()
    application.database_path = path
    return application


@pytest.fixture
def write_lock(sqlite_app):
    """Another process's connection holding the database's write lock."""
    holder = sqlite3.connect(sqlite_app.database_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    yield holder
    holder.execute("ROLLBACK")
    holder.close()


def counts(application) -> tuple[int, int]:
    with application.app_context():
        campaigns = db.session.scalar(sa.select(sa.func.count()).select_from(Campaign))
        organizations = db.session.scalar(sa.select(sa.func.count()).select_from(Organization))
        db.session.remove()
        return campaigns, organizations


def test_sqlite_connections_use_wal_foreign_keys_and_the_busy_timeout(sqlite_app):
    with sqlite_app.app_context():
        connection = db.session.connection()
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 100
        db.session.remove()


def test_a_write_that_cannot_get_the_lock_answers_503_with_retry_after(sqlite_app, write_lock):
    client = sqlite_app.test_client()

    started = time.monotonic()
    response = client.post("/_test/two-writes")

    assert response.status_code == 503
    assert response.headers["Retry-After"].isdigit()
    assert "try again" in response.get_data(as_text=True).lower()
    # It waited for the busy timeout, not forever.
    assert time.monotonic() - started < 5


def test_a_refused_write_leaves_nothing_half_written(sqlite_app, write_lock):
    sqlite_app.test_client().post("/_test/two-writes")
    write_lock.execute("ROLLBACK")
    write_lock.execute("BEGIN")  # the fixture's teardown rolls this back

    assert counts(sqlite_app) == (0, 0)


def test_the_same_write_succeeds_once_the_lock_is_released(sqlite_app):
    holder = sqlite3.connect(sqlite_app.database_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    client = sqlite_app.test_client()
    assert client.post("/_test/two-writes").status_code == 503
    holder.execute("ROLLBACK")
    holder.close()

    assert client.post("/_test/two-writes").status_code == 201
    assert counts(sqlite_app) == (1, 1)


def test_pages_still_read_while_another_connection_writes(sqlite_app, write_lock):
    # WAL lets readers carry on during a write: browsing never waits for a writer.
    response = sqlite_app.test_client().get("/healthz")
    assert response.status_code == 200


def test_json_clients_get_the_503_as_json(sqlite_app, write_lock):
    response = sqlite_app.test_client().post("/_test/two-writes", headers={"Accept": "application/json"})
    assert response.status_code == 503
    assert response.get_json()["error"]["status"] == 503
    assert "Retry-After" in response.headers


def test_a_real_pledge_under_a_held_lock_answers_503_and_pledges_nothing(sqlite_app):
    from app.models import Pledge

    with sqlite_app.app_context():
        builders.make_campaign("Save the Tigris", slug="save-the-tigris")
        builders.make_user(email="amal@example.org")
        db.session.commit()
        db.session.remove()
    client = sqlite_app.test_client()
    login = client.post(
        "/auth/login", data={"email": "amal@example.org", "password": builders.DEFAULT_PASSWORD}
    )
    assert login.status_code == 302

    holder = sqlite3.connect(sqlite_app.database_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        response = client.post(
            "/campaigns/save-the-tigris/pledge",
            data={"kinds": ["endorsement"], "message": "Together.", "visibility": "public"},
        )
    finally:
        holder.execute("ROLLBACK")
        holder.close()

    assert response.status_code == 503
    assert "Retry-After" in response.headers
    with sqlite_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Pledge)) == 0
        db.session.remove()


def _transaction_starts(application, send) -> list[str]:
    """How each transaction began during ``send()``: BEGIN or BEGIN IMMEDIATE."""
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.upper().startswith("BEGIN"):
            seen.append(statement.upper())

    with application.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        send()
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    return seen


def test_a_request_that_may_write_takes_the_write_lock_when_its_transaction_begins(sqlite_app):
    # A deferred transaction that reads then writes cannot wait for the lock: it must not be used.
    client = sqlite_app.test_client()

    writes = _transaction_starts(sqlite_app, lambda: client.post("/_test/two-writes"))
    # After the writing request ended: work outside a request reads in a transaction, and a
    # page view, which only reads, outside any (app/db_session.py).
    cli = _transaction_starts(sqlite_app, lambda: _read_outside_a_request(sqlite_app))
    reads = _transaction_starts(sqlite_app, lambda: client.get("/campaigns/"))

    assert writes and set(writes) == {"BEGIN IMMEDIATE"}
    assert reads == []
    assert cli == ["BEGIN"]


def _read_outside_a_request(application) -> None:
    with application.app_context():
        db.session.scalar(sa.select(Campaign.id))
        db.session.remove()

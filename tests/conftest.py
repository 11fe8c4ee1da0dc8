"""Test fixtures: the application, a database built once per run, clients and helpers.

The suite runs on SQLite by default. With ``TEST_DATABASE_URL`` pointing at a
PostgreSQL database, the very same tests run there (``make test`` does both).
The schema is built once per run; after each test every table is emptied, which
keeps tests independent while letting them commit, and even use threads.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from app import create_app
from app.extensions import db
from config import normalize_database_url
from tests import builders

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")

# Compiles the translation catalogs once per session when they are missing or stale.
pytest_plugins = ["tests.i18n_support"]


def pytest_report_header(config):
    if TEST_DATABASE_URL:
        url = sa.engine.make_url(normalize_database_url(TEST_DATABASE_URL))
        return f"database: {url.render_as_string(hide_password=True)}"
    return "database: SQLite (set TEST_DATABASE_URL to run the suite on PostgreSQL too)"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> Iterator[str]:
    """The test database, with the schema built once for the whole run."""
    if TEST_DATABASE_URL:
        url = normalize_database_url(TEST_DATABASE_URL)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        db.drop_all()
        drop_leftover_tables()
        builders.create_schema()
        db.engine.dispose()
    yield url


def drop_leftover_tables() -> None:
    """Remove tables a previous run (or a migration test) left behind in a reused database."""
    inspector = sa.inspect(db.engine)
    with db.engine.begin() as connection:
        for table in inspector.get_table_names():
            quoted = connection.dialect.identifier_preparer.quote(table)
            cascade = " CASCADE" if connection.dialect.name == "postgresql" else ""
            connection.exec_driver_sql(f"DROP TABLE IF EXISTS {quoted}{cascade}")


def empty_all_tables() -> None:
    tables = [t for t in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            names = ", ".join(connection.dialect.identifier_preparer.quote(t.name) for t in tables)
            connection.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        else:
            for table in tables:
                connection.execute(table.delete())


class AnsweredClient(FlaskClient):
    """A test client that reads each answer to its end, as a browser does.

    The server then closes the answer, which runs what waits for it (mail delivered in this
    process once the answer has gone, ``app.worker``). ``buffered=False`` looks at a request
    before that.
    """

    def open(self, *args, buffered: bool = True, **kwargs):
        return super().open(*args, buffered=buffered, **kwargs)


@pytest.fixture
def make_app(database_url, tmp_path):
    """Build an application with extra settings: ``make_app(WTF_CSRF_ENABLED=True)``."""
    created = []

    def _make(**overrides):
        settings = {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "UPLOAD_FOLDER": str(tmp_path / "uploads"),
            "MAIL_OUTBOX_DIR": str(tmp_path / "outbox"),
        }
        settings.update(overrides)
        application = create_app(settings)
        application.test_client_class = AnsweredClient
        created.append(application)
        return application

    yield _make
    for application in created:
        with application.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    application = make_app()
    with application.app_context():
        yield application
        db.session.remove()
        empty_all_tables()


@pytest.fixture
def client(app):
    return app.test_client()


class AuthActions:
    """Log in and out through the real routes, as a person would."""

    def __init__(self, client):
        self._client = client

    def login(self, email: str, password: str = builders.DEFAULT_PASSWORD, **extra):
        return self._client.post("/auth/login", data={"email": email, "password": password, **extra})

    def logout(self):
        token = csrf_token_from(self._client, "/")
        return self._client.post("/auth/logout", data={"csrf_token": token} if token else {})


@pytest.fixture
def auth(client) -> AuthActions:
    return AuthActions(client)


def csrf_token_from(client, path: str) -> str | None:
    """The CSRF token embedded in a page's forms (for tests that run with CSRF on)."""
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    return match.group(1) if match else None


# Transaction control and connection set-up are not the page's queries.
NOT_COUNTED = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA")


class QueryCounter:
    def __init__(self):
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)

    def __repr__(self) -> str:
        return f"<{self.count} queries>\n" + "\n".join(self.statements)


@pytest.fixture
def count_queries(app):
    """``with count_queries() as counter: client.get(...)``; then ``counter.count``."""

    @contextmanager
    def _count() -> Iterator[QueryCounter]:
        counter = QueryCounter()

        def _record(conn, cursor, statement, parameters, context, executemany):
            if not statement.lstrip().upper().startswith(NOT_COUNTED):
                counter.statements.append(statement)

        sa.event.listen(db.engine, "before_cursor_execute", _record)
        try:
            yield counter
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", _record)

    return _count


@pytest.fixture
def outbox(app):
    """Mail sent during the test, as Flask-Mail messages."""
    from app.extensions import mail

    with mail.record_messages() as sent:
        yield sent


@pytest.fixture
def static_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "static"

"""Test fixtures: the application, a database built once per run, clients and helpers.

The suite runs on SQLite by default. With ``TEST_DATABASE_URL`` pointing at a
PostgreSQL database, the very same tests run there (``make test`` does both).
The schema is built once per run; after each test every table is emptied, which
keeps tests independent while letting them commit, and even use threads.

As in Flask's own tutorial, no application context is held across a test: each request pushes
its own (its own session, its own ``g``), as in production, and a test reaches the database in
short blocks between requests::

    with app_context(app):
        moderator = builders.make_moderator()
        db.session.commit()
        email = moderator.email
    auth.login(email)
    assert scalar(app, sa.select(sa.func.count()).select_from(AuditEntry)) == 1

A test of services alone (no request) may hold one context throughout with the ``app_ctx``
fixture. Run commands with ``run_command(app, "purge")`` (``app.test_cli_runner()`` in a context
of their own, as ``flask`` runs them).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import current_app, has_app_context
from flask.testing import FlaskClient

from app import create_app
from app.extensions import db
from app.models import User
from app.services import accounts, two_factor
from config import normalize_database_url
from tests import builders


def _database_of_this_worker(url: str | None) -> str | None:
    """With pytest-xdist (``-n 2``, as ``make test`` runs), each worker process gets a PostgreSQL
    database of its own, named after the given one (``test`` -> ``test_gw0``) and created when
    missing: workers empty every table after each test, and must not empty each other's.

    The environment variable is rewritten too, so that tests and subprocesses reading it (the
    migration and backup tests, the browser tests' server) use the worker's database."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not worker or not url.startswith(("postgres://", "postgresql")):
        return url
    base = sa.engine.make_url(normalize_database_url(url))
    own = base.set(database=f"{base.database}_{worker}")
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            exists = connection.scalar(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": own.database}
            )
            if not exists:
                connection.exec_driver_sql(f'CREATE DATABASE "{own.database}"')
    finally:
        admin.dispose()
    os.environ["TEST_DATABASE_URL"] = own.render_as_string(hide_password=False)
    return os.environ["TEST_DATABASE_URL"]


TEST_DATABASE_URL = _database_of_this_worker(os.environ.get("TEST_DATABASE_URL"))

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

    A request made while the test holds an application context would share that context's
    session and ``g`` instead of getting its own, as no request does in production: refused.
    """

    def open(self, *args, buffered: bool = True, **kwargs):
        if has_app_context() and current_app._get_current_object() is self.application:
            raise AssertionError(
                "a request inside a held application context: leave the `with app_context(app)` "
                "block (or the app_ctx fixture) before using the client"
            )
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
    """The application, with no application context held (see the module's docstring)."""
    application = make_app()
    yield application
    with application.app_context():
        db.session.remove()
        empty_all_tables()


@pytest.fixture
def app_ctx(app):
    """One application context for a test of services that makes no request."""
    with app.app_context():
        yield app


@contextmanager
def app_context(application) -> Iterator[None]:
    """A short block with the database, between requests (its session ends with it).

    What the block built and committed stays readable after it, as it was at the commit (the
    session does not expire it): a snapshot for the test to name ids, slugs and emails by, never
    a view of later changes, which the test reads in a block of its own."""
    with application.app_context():
        db.session().expire_on_commit = False
        yield


def scalar(application, statement):
    """One value read in a context of its own: ``scalar(app, sa.select(...))``."""
    with application.app_context():
        return db.session.scalar(statement)


def scalars(application, statement) -> list:
    """Every row of a query, read in a context of its own (loaded attributes stay readable)."""
    with application.app_context():
        return list(db.session.scalars(statement))


def run_command(application, *args: str):
    """Run ``flask <args>`` with ``app.test_cli_runner()``, in an application context of its own
    as the ``flask`` command gives it (the app's own command group pushes none)."""
    with application.app_context():
        return application.test_cli_runner().invoke(args=list(args))


def count(application, model, *conditions) -> int:
    """How many rows of ``model`` (matching ``conditions``) the database holds."""
    return scalar(application, sa.select(sa.func.count()).select_from(model).where(*conditions))


@pytest.fixture
def client(app):
    return app.test_client()


class AuthActions:
    """Log in and out through the real routes, as a person would."""

    def __init__(self, client):
        self._client = client

    def login(self, email: str, password: str = builders.DEFAULT_PASSWORD, **extra):
        """The password, and when the account has an authenticator app, a code from it."""
        return log_in(self._client, email, password, **extra)

    def logout(self):
        token = csrf_token_from(self._client, "/")
        return self._client.post("/auth/logout", data={"csrf_token": token} if token else {})


SECOND_STEP = "/auth/login/second-step"


def log_in(client, email: str, password: str = builders.DEFAULT_PASSWORD, **extra):
    """Log in through the real routes: the password, then (for an account with an authenticator
    app, such as every moderator the builders make) the code the app shows. Returns the answer
    to the last step."""
    response = client.post("/auth/login", data={"email": email, "password": password, **extra})
    if response.status_code != 302 or SECOND_STEP not in response.headers.get("Location", ""):
        return response
    with client.application.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))
        data = {"code": fresh_totp_code(user)}
    token = csrf_token_from(client, SECOND_STEP)
    if token:
        data["csrf_token"] = token
    return client.post(SECOND_STEP, data=data)


def fresh_totp_code(user) -> str:
    """A code of the user's app that has not been used yet: the codes of this time step and the
    next are accepted, each once, so two logins per 30 seconds. (The step before is accepted
    too, but the server's clock may have moved on to the next step by the time it checks.)"""
    current = two_factor.time_step(accounts.clock())
    for offset in range(two_factor.TOTP_DRIFT_STEPS + 1):
        if user.totp_last_step is None or current + offset > user.totp_last_step:
            return builders.totp_code(user, step_offset=offset)
    raise AssertionError("more than three logins of one user within 30 seconds: move accounts.clock")


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

        with app.app_context():
            engine = db.engine
        sa.event.listen(engine, "before_cursor_execute", _record)
        try:
            yield counter
        finally:
            sa.event.remove(engine, "before_cursor_execute", _record)

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

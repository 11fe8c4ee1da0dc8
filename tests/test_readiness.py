"""/readyz, and what visitors get while the database or Redis is out of reach.

The outages are real: the application is pointed at a port where nothing listens.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time

import pytest
import redis
import sqlalchemy as sa

from app.extensions import db
from app.page_cache import Generation
from app.readiness import migration_heads
from tests.builders import DEFAULT_PASSWORD, make_user
from tests.conftest import app_context


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def at_head(app):
    """The database stamped with the newest migration, as `flask db upgrade` leaves it."""
    (head,) = migration_heads(app)
    with app_context(app), db.engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
        connection.execute(sa.text("INSERT INTO alembic_version VALUES (:v)"), {"v": head})
    yield head
    with app_context(app), db.engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE alembic_version")


def test_ready_when_the_database_answers_at_the_newest_migration(client, at_head):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ready",
        "checks": {"database": "ok", "migrations": "ok", "redis": "not configured"},
    }


def test_not_ready_before_the_migrations_ran(client):
    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.headers["Retry-After"].isdigit()
    assert response.get_json()["checks"]["migrations"] == "not applied"


def test_not_ready_when_a_migration_is_missing(app, client, at_head):
    with app_context(app), db.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '0001_initial'")

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.get_json()["checks"]["migrations"] == "not at head"


def test_not_ready_without_redis_and_the_answer_names_no_address(make_app, at_head):
    url = f"redis://:hunter2-secret@127.0.0.1:{closed_port()}/0"
    application = make_app(REDIS_URL=url)

    response = application.test_client().get("/readyz")

    assert response.status_code == 503
    assert response.get_json() == {
        "status": "not ready",
        "checks": {"database": "ok", "migrations": "ok", "redis": "unreachable"},
    }
    assert "hunter2" not in response.get_data(as_text=True)


@pytest.mark.redis
def test_ready_with_redis(make_app, at_head, redis_url):
    response = make_app(REDIS_URL=redis_url).test_client().get("/readyz")

    assert response.status_code == 200
    assert response.get_json()["checks"]["redis"] == "ok"


@pytest.fixture
def redis_url():
    url = "redis://127.0.0.1:6379/13"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
    except redis.RedisError:
        pytest.skip("Redis is not reachable on 127.0.0.1:6379")
    return url


@pytest.fixture
def database_down(make_app):
    """An application whose PostgreSQL server is not running."""
    url = f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/tadamun"
    return make_app(SQLALCHEMY_DATABASE_URI=url)


@pytest.mark.parametrize("path", ["/", "/campaigns/", "/organizations/", "/projects/"])
def test_pages_answer_503_with_retry_after_while_the_database_is_down(database_down, path):
    response = database_down.test_client().get(path)

    assert response.status_code == 503
    assert response.headers["Retry-After"].isdigit()
    body = response.get_data(as_text=True)
    assert "try again" in body.lower()
    assert "Traceback" not in body and "psycopg" not in body and "127.0.0.1" not in body


def test_a_form_sent_while_the_database_is_down_answers_503(database_down):
    response = database_down.test_client().post(
        "/auth/login", data={"email": "a@example.org", "password": "whatever it is"}
    )

    assert response.status_code == 503
    assert response.headers["Retry-After"].isdigit()


def test_probes_say_the_database_is_unreachable(database_down):
    client = database_down.test_client()

    assert client.get("/healthz").status_code == 503
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["database"] == "unreachable"
    assert response.get_json()["checks"]["migrations"] == "unknown"


@pytest.fixture
def redis_down(make_app):
    """Rate limits on, stored in a Redis that is not running."""
    url = f"redis://127.0.0.1:{closed_port()}/0"
    return make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=url, REDIS_URL=url)


def test_without_redis_login_fails_closed_with_503(app, redis_down):
    with app_context(app):
        make_user(email="amal@example.org")
        db.session.commit()

    response = redis_down.test_client().post(
        "/auth/login", data={"email": "amal@example.org", "password": DEFAULT_PASSWORD}
    )

    assert response.status_code == 503  # not let through uncounted
    assert response.headers["Retry-After"].isdigit()
    assert "session" not in response.headers.get("Set-Cookie", "")


def test_without_redis_reading_stays_open(redis_down):
    client = redis_down.test_client()

    for path in ("/", "/campaigns/", "/organizations/", "/auth/login"):
        assert client.get(path).status_code == 200, path


class ScratchRedis:
    """A redis-server of the test's own on a loopback port, to stop and start again (its data
    kept on disk, as a production Redis keeps it)."""

    def __init__(self, folder):
        self.port = closed_port()
        self.folder = folder
        self.process = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder)]
        command += ["--save", "", "--appendonly", "yes", "--appendfsync", "always"]
        # Debian's redis-server, found on the PATH, with fixed arguments.
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)  # noqa: S603
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.2)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture
def scratch_redis(tmp_path):
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = ScratchRedis(tmp_path)
    server.start()
    yield server
    if server.process.poll() is None:
        server.stop()


def test_pages_cached_before_a_redis_outage_are_not_served_after_it(scratch_redis, tmp_path):
    reader = Generation(scratch_redis.url, tmp_path / "unused")  # a worker holding cached pages
    writer = Generation(scratch_redis.url, tmp_path / "unused")  # a worker that writes meanwhile
    before = reader.current()
    assert before

    scratch_redis.stop()
    with pytest.raises(redis.ConnectionError):
        writer.bump()  # the write is committed, but the shared token cannot change
    assert reader.current() == ""  # during the outage nothing is served from the cache
    scratch_redis.start()  # with its data: the old token is still there

    assert writer.current() not in ("", before)
    assert reader.current() == writer.current()


@pytest.mark.postgres
def test_a_connection_ended_by_a_database_restart_answers_503(make_app):
    application = make_app()
    if sa.engine.make_url(application.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name() != "postgresql":
        pytest.skip("PostgreSQL run only (TEST_DATABASE_URL)")

    @application.post("/_test/restarted")
    def restarted():
        # A transaction is open when the server shuts down (pg_ctl stop): its connection is ended
        # from outside, and both the next query and the rollback fail.
        pid = db.session.scalar(sa.text("SELECT pg_backend_pid()"))
        with db.engine.connect() as other:
            other.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        time.sleep(0.2)
        db.session.execute(sa.text("SELECT 1"))
        return "never", 200

    response = application.test_client().post("/_test/restarted")

    assert response.status_code == 503
    assert response.headers["Retry-After"].isdigit()
    assert application.test_client().get("/healthz").status_code == 200  # the next request recovers


def _query_route(application, connections: list) -> None:
    """``/_test/query``: one query; keeps the pooled DBAPI connection it ran on."""

    @application.get("/_test/query")
    def query():
        db.session.execute(sa.text("SELECT 1"))
        connections.append(db.session.connection().connection.dbapi_connection)
        return "ok", 200


def test_a_connection_back_from_a_request_moments_ago_is_used_without_a_ping(make_app, monkeypatch):
    """Under load one request follows another on the same connection: no round trip to check it
    (SQLAlchemy's pool_pre_ping made one on every request)."""
    application = make_app(DATABASE_PING_AFTER_IDLE_SECONDS=60)
    connections: list = []
    _query_route(application, connections)
    with application.app_context():
        dialect = db.engine.dialect
    pings = []
    real_ping = dialect.do_ping
    monkeypatch.setattr(dialect, "do_ping", lambda connection: pings.append(1) or real_ping(connection))
    client = application.test_client()

    for _ in range(5):
        assert client.get("/_test/query").status_code == 200

    assert pings == []
    assert len({id(connection) for connection in connections}) == 1  # the pool's one connection, reused


def test_a_connection_ended_while_idle_is_found_by_the_ping_and_replaced(make_app):
    """A restart ends the pooled connection between two requests: the next request's checkout
    pings it (it sat idle long enough), and gets a new connection instead of an error."""
    application = make_app(DATABASE_PING_AFTER_IDLE_SECONDS=0.05)
    connections: list = []
    _query_route(application, connections)
    client = application.test_client()
    assert client.get("/_test/query").status_code == 200

    connections[0].close()  # ended from outside while back in the pool
    time.sleep(0.1)

    assert client.get("/_test/query").status_code == 200
    assert connections[1] is not connections[0]


def test_a_rollback_that_fails_too_still_answers_503(make_app, monkeypatch):
    """Seen under pg_ctl stop: the query fails, then so does the rollback on the dead connection."""
    import psycopg
    from sqlalchemy.orm import Session

    application = make_app()
    shutdown = sa.exc.OperationalError("ROLLBACK", {}, psycopg.OperationalError("terminating connection"))

    @application.get("/_test/shutdown")
    def shutdown_view():
        def failing_rollback(self):
            raise shutdown

        monkeypatch.setattr(Session, "rollback", failing_rollback)
        raise shutdown

    response = application.test_client().get("/_test/shutdown")
    monkeypatch.undo()

    assert response.status_code == 503
    assert response.headers["Retry-After"].isdigit()


def test_a_session_that_cannot_be_closed_does_not_spoil_the_answer(make_app, monkeypatch):
    """Seen under pg_ctl stop: the page is made, then closing the session fails on the dead connection."""
    import psycopg
    from sqlalchemy.orm import Session

    application = make_app()
    real_close = Session.close
    ended = sa.exc.OperationalError("ROLLBACK", {}, psycopg.OperationalError("terminating connection"))

    @application.get("/_test/closing-fails")
    def closing_fails():
        db.session.execute(sa.text("SELECT 1"))

        def failing_close(self):
            monkeypatch.setattr(Session, "close", real_close)  # once
            raise ended

        monkeypatch.setattr(Session, "close", failing_close)
        return "made", 200

    client = application.test_client()
    response = client.get("/_test/closing-fails")

    assert response.status_code == 200
    assert client.get("/healthz").status_code == 200

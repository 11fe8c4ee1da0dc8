"""Rate limits on login, registration, password reset and invitations; they hold across workers."""

from __future__ import annotations

import socket
import uuid

import pytest

from app.extensions import db, limiter
from tests.builders import DEFAULT_PASSWORD, make_user
from tests.conftest import app_context, empty_all_tables
from tests.membership_support import registration_data, row_counts

LIMIT = "3 per minute"
NEW = "a brand new long passphrase 42"


@pytest.fixture
def limited_app(make_app):
    application = make_app(RATELIMIT_ENABLED=True, AUTH_RATE_LIMIT=LIMIT)
    yield application
    with app_context(application):
        empty_all_tables()


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/auth/login", {"email": "nobody@example.org", "password": "wrong password here"}),
        ("/auth/reset", {"email": "nobody@example.org"}),
        ("/auth/register", registration_data(password="short", confirm="short")),
    ],
)
def test_repeated_posts_reach_the_limit(limited_app, path, data):
    client = limited_app.test_client()
    answers = [client.post(path, data=data).status_code for _ in range(4)]
    assert 429 not in answers[:3]
    assert answers[3] == 429
    page = client.post(path, data=data)
    assert page.status_code == 429
    assert "Too many requests" in page.get_data(as_text=True)
    assert client.get(path).status_code == 200  # reading the form is not limited


def test_limited_registration_writes_nothing(limited_app):
    client = limited_app.test_client()
    for _ in range(3):
        client.post("/auth/register", data=registration_data(password="short", confirm="short"))
    before = row_counts(limited_app)
    assert client.post("/auth/register", data=registration_data()).status_code == 429
    assert row_counts(limited_app) == before


def test_invitations_are_limited(limited_app):
    with app_context(limited_app):
        make_user(email="owner@example.org")
        db.session.commit()
    client = limited_app.test_client()
    client.post(
        "/auth/login", data={"email": "owner@example.org", "password": "correct horse battery staple"}
    )
    answers = [
        client.post("/account/invite", data={"email": f"colleague{n}@example.org"}).status_code
        for n in range(4)
    ]
    assert answers[:3] == [302, 302, 302]
    assert answers[3] == 429


def test_current_password_checks_are_limited(limited_app):
    with app_context(limited_app):
        make_user(email="owner@example.org")
        db.session.commit()
    client = limited_app.test_client()
    client.post("/auth/login", data={"email": "owner@example.org", "password": DEFAULT_PASSWORD})
    guess = {"current_password": "a guessed password", "new_password": NEW, "confirm": NEW}
    answers = [client.post("/account/password", data=guess).status_code for _ in range(4)]
    assert answers[:3] == [400, 400, 400]
    assert answers[3] == 429
    assert client.get("/account/password").status_code == 200  # reading the form is not limited


def _redis_url() -> str | None:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return "redis://127.0.0.1:6379/13"
    except OSError:
        return None


@pytest.mark.redis
def test_two_app_instances_share_the_limit_through_redis(make_app):
    url = _redis_url()
    if url is None:
        pytest.skip("Redis is not reachable on 127.0.0.1:6379; the shared-limit test needs it")
    settings = {
        "RATELIMIT_ENABLED": True,
        "AUTH_RATE_LIMIT": LIMIT,
        "RATELIMIT_STORAGE_URI": url,
        "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}",
    }
    data = {"email": "nobody@example.org", "password": "wrong password here"}
    first = make_app(**settings)
    # Start from zero whatever an earlier run left in this test-only Redis database.
    limiter.reset()
    first_client = first.test_client()
    assert [first_client.post("/auth/login", data=data).status_code for _ in range(2)] == [200, 200]
    # A second worker: its own app, its own connection to the storage (in memory it would start at zero).
    second = make_app(**settings)
    second_client = second.test_client()
    assert second_client.post("/auth/login", data=data).status_code == 200
    assert second_client.post("/auth/login", data=data).status_code == 429
    assert first_client.post("/auth/login", data=data).status_code == 429


def test_in_memory_storage_is_per_instance(make_app):
    """The control for the Redis test: with memory storage a new instance starts from zero."""
    settings = {"RATELIMIT_ENABLED": True, "AUTH_RATE_LIMIT": LIMIT, "RATELIMIT_STORAGE_URI": "memory://"}
    data = {"email": "nobody@example.org", "password": "wrong password here"}
    first = make_app(**settings).test_client()
    assert [first.post("/auth/login", data=data).status_code for _ in range(3)] == [200, 200, 200]
    second = make_app(**settings).test_client()
    assert second.post("/auth/login", data=data).status_code == 200


def test_only_the_open_data_doors_limit_reads(app):
    """The limiter skips GETs outside BLUEPRINTS_LIMITING_READS without looking up their limits
    (app/extensions.py): that is only safe while no other limit applies to a GET."""
    from app.extensions import BLUEPRINTS_LIMITING_READS

    manager = limiter.limit_manager
    views = {
        f"{view.__module__}.{view.__name__}": endpoint.partition(".")[0]
        for endpoint, view in app.view_functions.items()
    }
    limits_reads = {
        blueprint
        for name, limits in manager._decorated_limits.items()
        for blueprint in [views.get(name.rpartition(".")[0], "?")]
        if any(limit.methods is None or {"get", "head"} & set(limit.methods) for limit in limits)
    }
    limits_reads |= set(manager._blueprint_limits)
    assert manager._decorated_limits and not manager._default_limits and not manager._application_limits
    assert limits_reads <= BLUEPRINTS_LIMITING_READS, limits_reads


def test_reads_of_the_open_data_doors_are_still_limited(make_app):
    limited = make_app(RATELIMIT_ENABLED=True, API_RATE_LIMIT="2 per minute")
    client = limited.test_client()
    statuses = [client.get("/open-data/organizations.csv").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]

"""The anonymous page cache cannot be poisoned, never outlives a failed token renewal, expires,
and is emptied only by writes to what public pages show."""

from __future__ import annotations

import os
import runpy
from pathlib import Path

import pytest
import sqlalchemy as sa

from app import page_cache
from app.extensions import db
from app.models import Campaign, PledgeVisibility, Role, User
from app.page_cache import Generation
from tests.builders import (
    DEFAULT_PASSWORD,
    make_campaign,
    make_moderator,
    make_organization,
    make_pledge,
    make_user,
)
from tests.conftest import AuthActions, app_context, empty_all_tables, scalar

ROOT = Path(__file__).resolve().parent.parent
PAGE = "/campaigns/save-the-tigris"


@pytest.fixture
def cached_app_with(make_app, tmp_path):
    """An application with the page cache on, and the campaign page's row."""
    created = []

    def _make(**overrides):
        settings = {
            "PAGE_CACHE": True,
            "PAGE_CACHE_GENERATION_FILE": str(tmp_path / "generation"),
            "SITE_URL": "http://localhost",  # the test client's host
        }
        settings.update(overrides)
        application = make_app(**settings)
        created.append(application)
        with app_context(application):
            make_campaign("Save the Tigris", slug="save-the-tigris")
            db.session.commit()
        return application

    yield _make
    for application in reversed(created):
        with app_context(application):
            empty_all_tables()


@pytest.fixture
def cached_app(cached_app_with):
    return cached_app_with()


@pytest.fixture
def visitor(cached_app):
    return cached_app.test_client()


def is_hit(response) -> bool:
    assert response.status_code == 200, response.status_code
    return response.headers.get("X-Page-Cache") == "hit"


def cache_of(application) -> page_cache.PageCache:
    return application.extensions["page_cache"]


def public_pledge_by(name: str) -> None:
    """Inside an application context: a public pledge on the campaign page's campaign."""
    campaign = db.session.execute(sa.select(Campaign).filter_by(slug="save-the-tigris")).scalar_one()
    make_pledge(make_organization(name), campaign, visibility=PledgeVisibility.PUBLIC)


def warm(visitor) -> None:
    visitor.get(PAGE)
    assert is_hit(visitor.get(PAGE))


# --- poisoning through the script root or the host ------------------------------------------------


def test_a_page_built_under_a_forged_script_root_is_never_stored(visitor):
    forged = {"SCRIPT_NAME": "//evil.example"}
    first = visitor.get(PAGE, environ_overrides=forged)
    assert 'href="//evil.example/' in first.get_data(as_text=True)  # what such a page would spread
    assert not is_hit(visitor.get(PAGE, environ_overrides=forged))

    page = visitor.get(PAGE)
    assert not is_hit(page)
    assert "evil.example" not in page.get_data(as_text=True)


def test_a_cached_page_is_not_served_under_another_script_root(visitor):
    visitor.get(PAGE)
    assert is_hit(visitor.get(PAGE))
    assert not is_hit(visitor.get(PAGE, environ_overrides={"SCRIPT_NAME": "//evil.example"}))


def test_pages_for_a_host_other_than_the_sites_bypass_the_cache(visitor):
    other = {"Host": "evil.example"}
    visitor.get(PAGE, headers=other)
    assert not is_hit(visitor.get(PAGE, headers=other))
    assert not is_hit(visitor.get(PAGE))
    assert is_hit(visitor.get(PAGE))
    assert not is_hit(visitor.get(PAGE, headers=other))


def test_the_exact_trusted_hosts_are_canonical_and_kept_apart(cached_app_with):
    application = cached_app_with(
        SITE_URL="https://tadamun.example.org/",
        TRUSTED_HOSTS=["tadamun.example.org", "www.tadamun.example.org", ".tadamun.example.org"],
    )
    client = application.test_client()
    for host in ("www.tadamun.example.org:8443", "tadamun.example.org"):
        client.get(PAGE, headers={"Host": host})
        assert is_hit(client.get(PAGE, headers={"Host": host})), host
    # A name allowed only through the domain pattern is not one the site's pages are built for.
    client.get(PAGE, headers={"Host": "x.tadamun.example.org"})
    assert not is_hit(client.get(PAGE, headers={"Host": "x.tadamun.example.org"}))


def test_a_site_under_a_path_caches_only_under_that_path(cached_app_with):
    client = cached_app_with(SITE_URL="http://localhost/tadamun").test_client()
    mounted = {"SCRIPT_NAME": "/tadamun"}
    client.get(PAGE, environ_overrides=mounted)
    assert is_hit(client.get(PAGE, environ_overrides=mounted))
    assert not is_hit(client.get(PAGE))


def gunicorn_environ(raw: bytes, peer: str = "127.0.0.1") -> dict:
    """Parse a request exactly as gunicorn does, with the settings of our gunicorn.conf.py."""
    from gunicorn.config import Config
    from gunicorn.http import wsgi
    from gunicorn.http.message import Request
    from gunicorn.http.unreader import IterUnreader

    cfg = Config()
    for name, value in runpy.run_path(str(ROOT / "gunicorn.conf.py")).items():
        if name in cfg.settings:
            cfg.set(name, value)

    class Socket:
        def send(self, data):
            pass

        sendall = send

    request = Request(cfg, IterUnreader([raw]), (peer, 40000))
    _response, environ = wsgi.create(request, Socket(), (peer, 40000), ("127.0.0.1", "8000"), cfg)
    return environ


def test_gunicorn_takes_no_script_root_nor_scheme_from_request_headers():
    environ = gunicorn_environ(
        b"GET //evil.example/campaigns/ HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n"
        b"SCRIPT_NAME: //evil.example\r\nPATH_INFO: /elsewhere\r\nX-Forwarded-Proto: https\r\n\r\n"
    )
    assert environ["SCRIPT_NAME"] == ""
    assert environ["PATH_INFO"] == "//evil.example/campaigns/"
    assert "HTTP_SCRIPT_NAME" not in environ and "HTTP_PATH_INFO" not in environ
    # Whether the client came over HTTPS is the application's to decide (PROXY_HOPS), not gunicorn's.
    assert environ["wsgi.url_scheme"] == "http"


# --- a failed token renewal, and the time limit -----------------------------------------------------


def test_a_failed_renewal_empties_the_cache_and_stops_it_until_a_renewal_succeeds(
    cached_app, visitor, monkeypatch, caplog
):
    visitor.get(PAGE)
    assert is_hit(visitor.get(PAGE))
    real_bump = Generation.bump

    def unreachable(self):
        raise ConnectionError("token store unreachable")

    monkeypatch.setattr(Generation, "bump", unreachable)
    monkeypatch.setattr(page_cache, "RENEWAL_RETRY_SECONDS", 3600.0)
    with app_context(cached_app):
        public_pledge_by("Basra Water Watch")
        db.session.commit()  # the write stands
    assert "could not replace the generation token" in caplog.text

    # Whatever the token store says, this worker serves nothing it stored before, and stores nothing.
    for _ in range(3):
        page = visitor.get(PAGE)
        assert not is_hit(page)
        assert "Basra Water Watch" in page.get_data(as_text=True)
    assert len(cache_of(cached_app)) == 0

    monkeypatch.setattr(Generation, "bump", real_bump)
    monkeypatch.setattr(page_cache, "RENEWAL_RETRY_SECONDS", 0.0)
    visitor.get(PAGE)  # retries the renewal, which now succeeds
    visitor.get(PAGE)
    assert is_hit(visitor.get(PAGE))


def test_the_renewal_is_retried_so_other_workers_drop_their_stale_pages(cached_app, make_app, monkeypatch):
    # Two workers sharing the token file: the second one holds a page from before the write.
    other_worker = make_app(
        PAGE_CACHE=True,
        PAGE_CACHE_GENERATION_FILE=cached_app.config["PAGE_CACHE_GENERATION_FILE"],
        SITE_URL="http://localhost",
    )
    other_visitor = other_worker.test_client()
    other_visitor.get(PAGE)
    assert is_hit(other_visitor.get(PAGE))
    real_bump = Generation.bump

    def unreachable(self):
        raise ConnectionError("token store unreachable")

    monkeypatch.setattr(Generation, "bump", unreachable)
    with app_context(cached_app):
        public_pledge_by("Basra Water Watch")
        db.session.commit()
    monkeypatch.setattr(Generation, "bump", real_bump)
    monkeypatch.setattr(page_cache, "RENEWAL_RETRY_SECONDS", 0.0)

    cached_app.test_client().get(PAGE)  # the first worker's next request renews the token
    page = other_visitor.get(PAGE)
    assert not is_hit(page)
    assert "Basra Water Watch" in page.get_data(as_text=True)


REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/7")


@pytest.mark.redis
def test_a_redis_failure_during_a_write_stops_the_cache_until_redis_answers(cached_app_with, monkeypatch):
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=0.5).ping()
    except redis.exceptions.RedisError:
        pytest.skip("Redis is not reachable on 127.0.0.1:6379")
    application = cached_app_with(REDIS_URL=REDIS_URL)
    visitor = application.test_client()
    warm(visitor)
    store = cache_of(application).generation._redis
    before = store.get("tadamun:page-generation")

    def timed_out(*args, **kwargs):
        raise redis.exceptions.TimeoutError("Timeout writing to socket")

    monkeypatch.setattr(store, "set", timed_out)
    monkeypatch.setattr(page_cache, "RENEWAL_RETRY_SECONDS", 0.0)
    with app_context(application):
        public_pledge_by("Basra Water Watch")
        db.session.commit()
    # Redis still hands out the old token, yet nothing from before the write is served.
    assert store.get("tadamun:page-generation") == before
    for _ in range(2):
        assert not is_hit(visitor.get(PAGE))
    assert len(cache_of(application)) == 0

    monkeypatch.undo()  # Redis answers again
    monkeypatch.setattr(page_cache, "RENEWAL_RETRY_SECONDS", 0.0)
    visitor.get(PAGE)  # the retried renewal succeeds
    assert store.get("tadamun:page-generation") != before
    assert is_hit(visitor.get(PAGE))


def test_a_token_store_down_at_start_up_does_not_stop_the_site(tmp_path, monkeypatch):
    def unreachable(self):
        raise ConnectionError("token store unreachable")

    monkeypatch.setattr(Generation, "bump", unreachable)
    generation = Generation(None, tmp_path / "missing" / "generation")
    assert generation.current() == ""


def test_entries_expire_after_the_time_limit(cached_app_with, monkeypatch):
    clock = {"now": 1000.0}
    monkeypatch.setattr(page_cache, "monotonic", lambda: clock["now"])
    client = cached_app_with(PAGE_CACHE_TTL=30).test_client()
    client.get(PAGE)
    clock["now"] += 29
    assert is_hit(client.get(PAGE))
    clock["now"] += 2  # 31 s after it was stored
    assert not is_hit(client.get(PAGE))
    assert is_hit(client.get(PAGE))


# --- what empties the cache -----------------------------------------------------------------------


def test_failed_and_successful_logins_leave_the_cache_warm(cached_app, visitor):
    with app_context(cached_app):
        user = make_user(make_organization(), email="amal@example.org")
        db.session.commit()
    warm(visitor)

    guesser = cached_app.test_client()
    for _ in range(12):  # enough to lock the account: its counters are written every time
        guesser.post("/auth/login", data={"email": "amal@example.org", "password": "a wrong guess here"})
        guesser.post("/auth/login", data={"email": "nobody@example.org", "password": "a wrong guess here"})
    assert is_hit(visitor.get(PAGE))

    with app_context(cached_app):
        user = db.session.get(User, user.id)
        user.failed_login_count = 0
        user.locked_until = None
        db.session.commit()  # users only: still warm
    assert is_hit(visitor.get(PAGE))

    member = cached_app.test_client()
    response = AuthActions(member).login("amal@example.org", DEFAULT_PASSWORD)
    assert response.status_code == 302
    member.get("/?lang=ar")
    AuthActions(member).logout()
    assert is_hit(visitor.get(PAGE))


def test_a_moderators_role_change_leaves_the_cache_warm(cached_app, visitor):
    with app_context(cached_app):
        make_moderator("admin@example.org", admin=True)
        member = make_user(make_organization(), email="member@example.org")
        db.session.commit()
    warm(visitor)

    client = cached_app.test_client()
    AuthActions(client).login("admin@example.org")
    response = client.post(f"/moderation/users/{member.id}/promote")
    assert response.status_code == 302
    role = scalar(cached_app, sa.select(User.role).where(User.id == member.id))
    assert role == Role.MODERATOR  # written, with its audit entry
    assert is_hit(visitor.get(PAGE))


def test_login_records_and_the_access_log_leave_the_cache_warm(cached_app, visitor, monkeypatch):
    from app import security
    from app.models import ContactDetailView, LoginSession, Visibility

    with app_context(cached_app):
        make_organization(
            "Discreet Org",
            slug="discreet-org",
            contact_phone="+964 1",
            contact_phone_visibility=Visibility.MEMBERS,
        )
        make_user(make_organization(), email="member@example.org")
        db.session.commit()
    warm(visitor)

    member = cached_app.test_client()
    AuthActions(member).login("member@example.org")  # a login record
    later = security.now_seconds() + 600
    monkeypatch.setattr(security, "now_seconds", lambda: later)
    assert "+964 1" in member.get("/organizations/discreet-org").get_data(as_text=True)

    with app_context(cached_app):
        login = db.session.scalar(sa.select(LoginSession))
        assert login.last_seen_at > login.created_at  # its last use written...
        assert db.session.scalar(sa.select(ContactDetailView.views)) == 1  # ...and the view counted
    assert is_hit(visitor.get(PAGE))


def test_a_pledge_empties_the_cache(cached_app, visitor):
    warm(visitor)
    with app_context(cached_app):
        public_pledge_by("Basra Water Watch")
        db.session.commit()
    page = visitor.get(PAGE)
    assert not is_hit(page)
    assert "Basra Water Watch" in page.get_data(as_text=True)


def test_a_write_the_cache_cannot_attribute_counts_as_public(cached_app, visitor):
    warm(visitor)
    with app_context(cached_app):
        db.session.execute(sa.text("UPDATE campaigns SET summary = 'Rivers first' WHERE id > 0"))
        db.session.commit()
    assert not is_hit(visitor.get(PAGE))


def test_a_select_with_common_table_expressions_leaves_the_cache_warm(cached_app, visitor):
    """The bounded search's candidate sets are ``WITH … AS MATERIALIZED`` selects on PostgreSQL:
    a read, not a write whose table cannot be told (else every search, then the next commit,
    emptied the cache); a ``WITH`` that writes still counts."""
    from app.models import Campaign

    warm(visitor)
    with app_context(cached_app):
        first = sa.select(Campaign.id).cte("first_campaigns")
        db.session.execute(sa.select(first.c.id).limit(1))
        db.session.execute(sa.text("SELECT 1"))
        db.session.commit()
    assert is_hit(visitor.get(PAGE))
    with app_context(cached_app):
        db.session.execute(
            sa.text(
                "WITH c AS (SELECT id FROM campaigns) "
                "UPDATE campaigns SET summary = 'Rivers' WHERE id IN (SELECT id FROM c)"
            )
        )
        db.session.commit()
    assert not is_hit(visitor.get(PAGE))


def test_a_rolled_back_public_write_leaves_the_cache_warm(cached_app, visitor):
    warm(visitor)
    with app_context(cached_app):
        make_organization("Never committed")
        db.session.rollback()
    assert is_hit(visitor.get(PAGE))


def test_every_table_is_classified_as_public_or_not():
    """A new table must be added to one of the two lists: public if any public page reads it."""
    tables = {table.name for table in db.metadata.sorted_tables}
    assert page_cache.PUBLIC_TABLES.isdisjoint(page_cache.PRIVATE_TABLES)
    unclassified = tables - page_cache.PUBLIC_TABLES - page_cache.PRIVATE_TABLES
    assert not unclassified, f"add to PUBLIC_TABLES or PRIVATE_TABLES in app/page_cache.py: {unclassified}"


def test_a_new_gathering_empties_the_cache(cached_app, visitor):
    """The home page's upcoming gatherings move with them (gatherings are public tables)."""
    from tests.gathering_support import make_gathering

    visitor.get("/")
    assert is_hit(visitor.get("/"))
    with app_context(cached_app):
        make_gathering("Nineveh youth forum", slug="nineveh")
        db.session.commit()
    page = visitor.get("/")
    assert not is_hit(page) and "Nineveh youth forum" in page.get_data(as_text=True)


# --- a hit is sent as stored: compressed once, tagged once -------------------------------------


@pytest.mark.parametrize("encoding", ["gzip", "br", "zstd"])
def test_a_hit_sends_the_body_compressed_once_with_the_tag_of_the_uncached_answer(
    visitor, monkeypatch, encoding
):
    import flask_compress.flask_compress as flask_compress

    accepts = {"Accept-Encoding": encoding}
    first = visitor.get(PAGE, headers=accepts)
    assert not is_hit(first) and first.headers["Content-Encoding"] == encoding
    compressed = []
    real_compress = flask_compress._compress_data
    monkeypatch.setattr(
        flask_compress, "_compress_data", lambda *args: compressed.append(args[2]) or real_compress(*args)
    )

    hits = [visitor.get(PAGE, headers=accepts) for _ in range(3)]

    assert all(is_hit(hit) for hit in hits)
    assert compressed == [encoding]  # made for the first hit, kept for the others
    for hit in hits:
        assert hit.headers["Content-Encoding"] == encoding
        assert "Accept-Encoding" in hit.headers["Vary"]
        assert hit.headers["ETag"] == first.headers["ETag"]
        assert flask_compress._uncompress_data(hit.data, encoding) == flask_compress._uncompress_data(
            first.data, encoding
        )
    revalidated = visitor.get(PAGE, headers={**accepts, "If-None-Match": first.headers["ETag"]})
    assert revalidated.status_code == 304 and not revalidated.data


def test_a_hit_for_a_client_that_accepts_no_compression_is_sent_plain_with_its_tag(visitor):
    first = visitor.get(PAGE)
    hit = visitor.get(PAGE)
    assert is_hit(hit) and "Content-Encoding" not in hit.headers
    assert hit.data == first.data and hit.headers["ETag"] == first.headers["ETag"]
    assert visitor.get(PAGE, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304


def test_a_token_renewed_by_another_worker_is_seen_at_once(tmp_path):
    """The file's token is read again only when the file was replaced, and always then."""
    path = tmp_path / "page-cache-generation"
    this_worker, other_worker = page_cache.Generation(None, path), page_cache.Generation(None, path)
    seen = this_worker.current()
    assert seen and this_worker.current() == seen

    for _ in range(20):  # renewals in quick succession, each seen by the other worker
        other_worker.bump()
        renewed = other_worker.current()
        assert this_worker.current() == renewed != seen
        seen = renewed


# --- whole answers replayed before Flask ----------------------------------------------------------


@pytest.fixture
def flask_hooks_seen(cached_app):
    """Counts the requests that reached Flask's request hooks (a replayed answer does not)."""
    seen = []
    cached_app.before_request_funcs.setdefault(None, []).insert(0, lambda: seen.append(1))
    return seen


def without_request_id(response) -> list[tuple[str, str]]:
    return [(name, value) for name, value in response.headers.items() if name != "X-Request-ID"]


@pytest.mark.parametrize("encoding", ["gzip", None])
def test_a_repeated_hit_is_replayed_before_flask_exactly_as_flask_answered(
    cached_app, visitor, flask_hooks_seen, encoding
):
    headers = {"Accept-Language": "ar", **({"Accept-Encoding": encoding} if encoding else {})}
    visitor.get(PAGE, headers=headers)  # rendered and stored
    through_flask = visitor.get(PAGE, headers=headers)  # a hit, answered by Flask and kept
    assert is_hit(through_flask) and len(flask_hooks_seen) == 2

    replayed = [visitor.get(PAGE, headers=headers) for _ in range(3)]

    assert len(flask_hooks_seen) == 2  # none of them reached Flask
    for answer in replayed:
        assert is_hit(answer)
        assert without_request_id(answer) == without_request_id(through_flask)
        assert answer.data == through_flask.data
        assert answer.headers["Content-Language"] == "ar"
    ids = [answer.headers["X-Request-ID"] for answer in [through_flask, *replayed]]
    assert len(set(ids)) == len(ids)  # each its own


def test_a_replayed_answer_has_its_log_line_and_its_metrics(make_app, tmp_path, caplog):
    from app import metrics

    application = make_app(
        PAGE_CACHE=True,
        PAGE_CACHE_GENERATION_FILE=str(tmp_path / "generation"),
        SITE_URL="http://localhost",
        LOG_REQUESTS=True,
    )
    with app_context(application):
        make_campaign("Save the Tigris", slug="save-the-tigris")
        db.session.commit()
    client = application.test_client()
    client.get(PAGE)
    client.get(PAGE)
    served = metrics.REQUESTS.labels("campaigns.detail", "GET", "200")._value.get()
    caplog.set_level("INFO", logger="app.request")
    caplog.clear()

    replayed = client.get(PAGE)

    assert metrics.REQUESTS.labels("campaigns.detail", "GET", "200")._value.get() == served + 1
    (line,) = [record for record in caplog.records if record.name == "app.request"]
    assert line.getMessage() == "GET campaigns.detail 200"
    assert line.request_id == replayed.headers["X-Request-ID"]
    assert line.status == 200 and line.user_id is None and line.endpoint == "campaigns.detail"
    with app_context(application):
        empty_all_tables()


def test_a_public_write_ends_the_replay_at_once(cached_app, visitor, flask_hooks_seen):
    for _ in range(3):
        visitor.get(PAGE)
    assert len(flask_hooks_seen) == 2
    with app_context(cached_app):
        public_pledge_by("Tigris Keepers")
        db.session.commit()

    fresh = visitor.get(PAGE)

    assert not is_hit(fresh) and "Tigris Keepers" in fresh.text
    assert len(flask_hooks_seen) == 3


def test_a_replayed_answer_ends_when_its_page_expires(cached_app_with, monkeypatch):
    clock = {"now": 1000.0}
    monkeypatch.setattr(page_cache, "monotonic", lambda: clock["now"])
    client = cached_app_with(PAGE_CACHE_TTL=30).test_client()
    for _ in range(3):
        client.get(PAGE)
    clock["now"] += 31
    assert not is_hit(client.get(PAGE))


@pytest.mark.parametrize(
    "headers",
    [
        {"Cookie": "lang=ar"},  # set in the client's jar below: the test client sends its own
        {"X-Request-ID": "proxy-given-id-123"},
        {"Authorization": "Bearer something"},
        {"Range": "bytes=0-10"},
    ],
)
def test_requests_with_cookies_conditions_or_credentials_go_through_flask(
    cached_app, visitor, flask_hooks_seen, headers
):
    for _ in range(3):
        visitor.get(PAGE)
    before = len(flask_hooks_seen)
    if "Cookie" in headers:
        visitor.set_cookie("lang", "ar")
        headers = {}
    visitor.get(PAGE, headers=headers)
    assert len(flask_hooks_seen) == before + 1


def test_a_conditional_request_still_gets_its_304_from_flask(cached_app, visitor, flask_hooks_seen):
    for _ in range(3):
        first = visitor.get(PAGE)
    revalidated = visitor.get(PAGE, headers={"If-None-Match": first.headers["ETag"]})
    assert revalidated.status_code == 304 and not revalidated.data


def test_an_answer_that_sets_a_cookie_is_never_replayed(cached_app, visitor, flask_hooks_seen):
    # ?lang=ar remembers the choice in a cookie: every such answer goes through Flask.
    client = cached_app.test_client(use_cookies=False)
    for _ in range(3):
        answer = client.get(PAGE + "?lang=ar")
        assert "lang=ar" in answer.headers.get("Set-Cookie", "")
    assert len(flask_hooks_seen) == 3


def test_a_failed_renewal_forgets_the_replayed_answers(cached_app, visitor, flask_hooks_seen, monkeypatch):
    for _ in range(3):
        visitor.get(PAGE)
    cache = cache_of(cached_app)

    def refuse():
        raise OSError("the token store is gone")

    monkeypatch.setattr(cache.generation, "bump", refuse)
    assert cache.renew() is False
    before = len(flask_hooks_seen)
    assert not is_hit(visitor.get(PAGE))
    assert len(flask_hooks_seen) == before + 1

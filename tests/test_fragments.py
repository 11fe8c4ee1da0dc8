"""Fragment caching (app/fragments.py): the public parts of logged-in pages are shared by the
readers of one audience, and nothing of one reader ever reaches another.

The pages are rendered as one reader, then as another, with the fragment cache on; each test
checks that the second reader got the shared part from the cache (fewer queries, or the entry in
the store) and none of what belonged to the first."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from app import fragments
from app.extensions import db
from app.models import Campaign, PledgeVisibility, User
from tests.builders import (
    make_campaign,
    make_moderator,
    make_organization,
    make_pledge,
    make_project,
    make_user,
)
from tests.conftest import NOT_COUNTED, app_context, csrf_token_from, empty_all_tables, log_in

ROOT = Path(__file__).resolve().parent.parent
PAGE = "/campaigns/save-the-tigris"
PAGES = (
    "/",
    "/campaigns/",
    PAGE,
    "/organizations/",
    "/organizations/?kind=ngo",
    "/organizations/members-only-friend",
    "/projects/",
    "/projects/river-clean-up",
    "/search?q=tigris",
    "/search?q=tigris&type=campaigns",
)


@pytest.fixture
def cached_app(make_app, tmp_path):
    """The page cache (and so the fragment cache) on, CSRF on so that tokens are in the pages,
    and a small network: a campaign, a public and a members-only supporter, a project."""
    application = make_app(
        PAGE_CACHE=True,
        PAGE_CACHE_GENERATION_FILE=str(tmp_path / "generation"),
        SITE_URL="http://localhost",
        WTF_CSRF_ENABLED=True,
    )
    with app_context(application):
        campaign = make_campaign("Save the Tigris", slug="save-the-tigris")
        make_pledge(make_organization("Open Friend"), campaign, message="Water is life")
        discreet = make_organization("Members Only Friend", slug="members-only-friend")
        make_pledge(discreet, campaign, visibility=PledgeVisibility.MEMBERS, message="Quietly with you")
        make_project(make_organization("Project Runner"), [campaign], "River clean-up", slug="river-clean-up")
        first = make_organization("First Member Org")
        second = make_organization("Second Member Org")
        make_pledge(first, campaign, message="First's own words")
        make_user(first, email="first@example.org")
        make_user(second, email="second@example.org")
        make_user(make_organization("Pending Org", status="pending"), email="pending@example.org")
        make_moderator("moderator@example.org")
        db.session.commit()
    yield application
    with app_context(application):
        empty_all_tables()


def logged_in(application, email: str):
    client = application.test_client()
    token = csrf_token_from(client, "/auth/login")
    response = log_in(client, email, csrf_token=token)
    assert response.status_code == 302, response.status_code
    return client


def store(application):
    return application.extensions["fragment_cache"]


def bodies(application) -> list[str]:
    return [entry[2].decode() for entry in store(application)._pages.values()]


@contextmanager
def queries(application) -> Iterator[list[str]]:
    """The statements the requests made in the block run (transaction control aside)."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(NOT_COUNTED):
            statements.append(statement)

    with application.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def page(client, url: str = PAGE) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def session_tokens_in(html: str) -> set[str]:
    """The session CSRF secrets a page carries. A form token is `secret.timestamp.signature`
    and the timestamp is in seconds, so two pages a second apart carry different tokens for the
    same secret: compare the secrets, which are what must never cross from one reader to another."""
    return {token.split(".", 1)[0] for token in re.findall(r'name="csrf_token"[^>]*value="([^"]+)"', html)}


def test_a_member_never_sees_another_members_panel_or_token(cached_app):
    first = logged_in(cached_app, "first@example.org")
    first_page = page(first)
    first_secrets = session_tokens_in(first_page)
    assert "Your organization's pledge" in first_page  # their own panel
    assert len(first_secrets) == 1  # every form on the page carries the reader's one secret

    second = logged_in(cached_app, "second@example.org")
    with queries(cached_app) as shared:
        second_page = page(second)
    store(cached_app).clear()
    with queries(cached_app) as rendered:
        page(second)

    assert len(shared) < len(rendered)  # the shared body came from the cache
    assert "Your organization's pledge" not in second_page
    assert "Pledge your organization's support" in second_page
    second_secrets = session_tokens_in(second_page)
    assert len(second_secrets) == 1
    assert first_secrets.isdisjoint(second_secrets)
    assert second_secrets == session_tokens_in(page(second))  # the secret is the reader's own
    # Both see the members' body: the members-only supporter and the first member's pledge.
    assert "Members Only Friend" in second_page and "First&#39;s own words" in second_page


def test_no_token_flash_or_reader_is_ever_stored_in_a_fragment(cached_app):
    readers = {
        email: logged_in(cached_app, email)
        for email in ("first@example.org", "moderator@example.org", "pending@example.org")
    }
    tokens = set()
    for client in readers.values():
        for url in PAGES:
            page(client, url)
        tokens |= session_tokens_in(page(client, "/"))  # the secrets, whatever the second
    stored = bodies(cached_app)
    assert len(stored) >= len(PAGES)
    for body in stored:
        assert 'name="csrf_token"' not in body
        for token in tokens:
            assert token not in body
        for email in readers:
            assert email not in body
        assert "Your organization" not in body  # the pledge panel
        assert 'class="flash' not in body


def test_a_visitor_never_gets_the_members_fragment(cached_app):
    member = logged_in(cached_app, "first@example.org")
    for url in PAGES:
        page(member, url)
    assert "Members Only Friend" in page(member)

    # A visitor with a session (it bypasses the page cache, as any browser that opened a form
    # does), and a member of an organization not yet approved: both in the visitors' audience.
    visitor = cached_app.test_client()
    page(visitor, "/auth/login")
    pending = logged_in(cached_app, "pending@example.org")
    for reader in (visitor, pending):
        for url in PAGES:
            html = page(reader, url)
            # The organization itself is public (it is listed); its pledge is for members only.
            assert "Shown to members only" not in html, url
            assert "Quietly with you" not in html, url
        assert "Members Only Friend" not in page(reader)


def test_moderators_have_an_audience_of_their_own(cached_app):
    moderator = logged_in(cached_app, "moderator@example.org")
    assert "Hide this message" in page(moderator)
    assert "Hide this project" in page(moderator, "/projects/river-clean-up")

    member = logged_in(cached_app, "first@example.org")
    assert "Hide this message" not in page(member)
    assert "Hide this project" not in page(member, "/projects/river-clean-up")
    assert {key.split("\x1f")[1] for key in store(cached_app)._pages} == {"moderator", "member"}


def test_a_public_write_shows_at_once_to_members(cached_app):
    member = logged_in(cached_app, "first@example.org")
    assert "Newcomer Org" not in page(member)
    with app_context(cached_app):
        campaign = db.session.scalar(sa.select(Campaign).filter_by(slug="save-the-tigris"))
        make_pledge(make_organization("Newcomer Org"), campaign)
        db.session.commit()
    assert "Newcomer Org" in page(member)


def test_the_readers_language_and_time_zone_are_in_the_key(cached_app):
    member = logged_in(cached_app, "first@example.org")
    assert 'lang="en"' in page(member)
    arabic = page(member, PAGE + "?lang=ar")
    assert 'dir="rtl"' in arabic and "Pledge your" not in arabic and "Your organization" not in arabic
    with app_context(cached_app):
        db.session.scalar(sa.select(User).filter_by(email="first@example.org")).time_zone = "America/Lima"
        db.session.commit()
    page(member)
    zones = {key.split("\x1f")[3] for key in store(cached_app)._pages}
    assert zones == {"-", "America/Lima"}


def test_a_failed_login_leaves_the_fragments_warm(cached_app):
    member = logged_in(cached_app, "first@example.org")
    page(member)
    guesser = cached_app.test_client()
    token = csrf_token_from(guesser, "/auth/login")
    response = guesser.post(
        "/auth/login",
        data={"csrf_token": token, "email": "second@example.org", "password": "wrong guess 123"},
    )
    assert response.status_code == 200 or response.status_code == 400
    with queries(cached_app) as shared:
        page(member)
    store(cached_app).clear()
    with queries(cached_app) as rendered:
        page(member)
    assert len(shared) < len(rendered)


def test_fragments_are_off_with_the_page_cache(app, client):
    assert "fragment_cache" not in app.extensions
    assert client.get("/").status_code == 200


# What may never be written in a shared fragment's template: the reader's token, forms bound to
# them, their flashed messages, their session, anything of current_user beyond the audience.
JINJA_COMMENT = re.compile(r"{#.*?#}", re.DOTALL)
FORBIDDEN_IN_FRAGMENTS = re.compile(
    r"csrf_token|hidden_tag|get_flashed_messages|\bsession\b|\bpanel\b|current_user\.(?!is_authenticated|is_moderator)"
)


@pytest.mark.parametrize("template", fragments.FRAGMENT_TEMPLATES)
def test_fragment_templates_hold_nothing_of_the_reader(template):
    source = JINJA_COMMENT.sub("", (ROOT / "templates" / template).read_text())
    assert "fragment_slot" in source or "{{" in source
    assert not FORBIDDEN_IN_FRAGMENTS.search(source), FORBIDDEN_IN_FRAGMENTS.search(source)
    for included in re.findall(r'{%\s*include\s+"([^"]+)"', source):
        text = JINJA_COMMENT.sub("", (ROOT / "templates" / included).read_text())
        assert not FORBIDDEN_IN_FRAGMENTS.search(text), (included, FORBIDDEN_IN_FRAGMENTS.search(text))


def test_the_store_keeps_to_its_size_dropping_the_least_recently_used(tmp_path):
    from app.page_cache import Generation, PageCache

    generation = Generation(None, tmp_path / "generation")
    store = PageCache(generation, site_url="http://localhost", max_bytes=250)
    token = generation.current()
    for name in "abc":
        store.put(name, token, name.encode() * 100, "text/html")
    assert store.get("a", token) is None  # 300 bytes: the oldest went
    assert store.get("b", token) is not None
    store.put("d", token, b"d" * 100, "text/html")  # "c" is now the least recently used
    assert store.get("c", token) is None and store.get("b", token) is not None
    store.put("b", token, b"B" * 50, "text/html")  # replacing counts the new size only
    assert store._bytes == 150


def test_the_moderators_count_of_waiting_applications_is_counted_once_per_generation(cached_app):
    moderator = logged_in(cached_app, "moderator@example.org")
    assert "(1 application waits)" in page(moderator, "/campaigns/")  # Pending Org
    with queries(cached_app) as statements:
        assert "(1 application waits)" in page(moderator, "/campaigns/")
    assert not any("count(" in statement.lower() for statement in statements)

    with app_context(cached_app):
        make_organization("Another Applicant", status="pending")
        db.session.commit()  # a write to a public table: the token moves on
    assert "(2 applications wait)" in page(moderator, "/campaigns/")

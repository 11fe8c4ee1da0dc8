"""Anonymous visitors revalidate cheaply (ETag, 304); members' pages are never cached;
text is compressed and the home page stays light."""

from __future__ import annotations

import gzip

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Campaign, PledgeVisibility
from app.page_cache import Generation
from app.seeding import large_data
from tests.builders import make_campaign, make_organization, make_pledge, make_user
from tests.conftest import AuthActions, app_context, empty_all_tables, scalar

GZIP = {"Accept-Encoding": "gzip"}


def test_anonymous_page_has_an_etag_and_revalidates_with_304(app, client):
    with app_context(app):
        make_campaign("Save the Tigris", slug="save-the-tigris")
        db.session.commit()

    first = client.get("/campaigns/save-the-tigris")
    assert first.status_code == 200
    assert first.headers["ETag"]
    assert "no-cache" in first.headers["Cache-Control"]
    assert "Cookie" in first.headers["Vary"]

    again = client.get("/campaigns/save-the-tigris", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.data == b""


def test_compressed_page_revalidates_with_its_own_tag(app, client):
    with app_context(app):
        make_campaign("Save the Tigris", slug="save-the-tigris")
        db.session.commit()

    first = client.get("/campaigns/save-the-tigris", headers=GZIP)
    assert first.headers["Content-Encoding"] == "gzip"
    assert b"Save the Tigris" in gzip.decompress(first.data)
    assert first.headers["ETag"].endswith(':gzip"')

    again = client.get("/campaigns/save-the-tigris", headers={**GZIP, "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_a_new_pledge_changes_the_tag_and_shows_at_once(app, client):
    with app_context(app):
        campaign = make_campaign("Save the Tigris", slug="save-the-tigris")
        db.session.commit()
    before = client.get("/campaigns/save-the-tigris")

    with app_context(app):
        make_pledge(
            make_organization("Basra Water Watch"),
            db.session.get(Campaign, campaign.id),
            visibility=PledgeVisibility.PUBLIC,
        )
        db.session.commit()
    after = client.get("/campaigns/save-the-tigris", headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200
    assert "Basra Water Watch" in after.get_data(as_text=True)
    assert after.headers["ETag"] != before.headers["ETag"]


def test_logged_in_pages_are_never_stored_nor_tagged(app, client, auth):
    with app_context(app):
        make_campaign("Save the Tigris", slug="save-the-tigris")
        user = make_user(make_organization())
        db.session.commit()
    auth.login(user.email)

    response = client.get("/campaigns/save-the-tigris")
    assert response.status_code == 200
    assert "ETag" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"


def test_errors_and_pages_that_set_cookies_are_not_tagged(app, client):
    assert "ETag" not in client.get("/campaigns/no-such-campaign").headers
    response = client.get("/?lang=ar")  # remembers the language in a cookie
    assert "Set-Cookie" in response.headers
    assert "ETag" not in response.headers


def test_home_page_with_its_css_weighs_under_60_kb_on_the_wire(app, client):
    with app_context(app):
        large_data.generate(scale=0.01)
        db.session.commit()

    page = client.get("/", headers=GZIP)
    assert page.status_code == 200 and page.headers["Content-Encoding"] == "gzip"
    css = client.get("/static/css/tadamun.css", headers=GZIP)
    assert css.headers.get("Content-Encoding") == "gzip"
    wire = len(page.data) + len(css.data)
    assert wire < 60 * 1024, wire
    # The page works without JavaScript: it loads none.
    assert b"<script" not in gzip.decompress(page.data)


# --- the server-side page cache ------------------------------------------------------------------


@pytest.fixture
def cached_client(make_app, tmp_path):
    application = make_app(
        PAGE_CACHE=True, PAGE_CACHE_GENERATION_FILE=str(tmp_path / "generation"), SITE_URL="http://localhost"
    )
    yield application.test_client()
    with app_context(application):
        empty_all_tables()


def test_anonymous_pages_are_served_from_the_cache_until_a_write(cached_client):
    app = cached_client.application
    with app_context(app):
        campaign = make_campaign("Save the Tigris", slug="save-the-tigris")
        db.session.commit()

    assert "X-Page-Cache" not in cached_client.get("/campaigns/save-the-tigris").headers
    hit = cached_client.get("/campaigns/save-the-tigris")
    assert hit.headers["X-Page-Cache"] == "hit"
    assert hit.headers["ETag"] and hit.headers["Content-Security-Policy"]

    with app_context(app):
        make_pledge(make_organization("Basra Water Watch"), db.session.get(Campaign, campaign.id))
        db.session.commit()
    after = cached_client.get("/campaigns/save-the-tigris")
    assert "X-Page-Cache" not in after.headers
    assert "Basra Water Watch" in after.get_data(as_text=True)


def test_a_pledge_through_the_real_form_shows_at_once(cached_client):
    app = cached_client.application
    with app_context(app):
        campaign = make_campaign("Save the Tigris", slug="save-the-tigris")
        user = make_user(make_organization("Basra Water Watch"))
        db.session.commit()
    anonymous = app.test_client()
    anonymous.get("/campaigns/save-the-tigris")
    assert anonymous.get("/campaigns/save-the-tigris").headers["X-Page-Cache"] == "hit"

    AuthActions(cached_client).login(user.email)
    response = cached_client.post(
        "/campaigns/save-the-tigris/pledge", data={"kinds": ["advocacy"], "visibility": "public"}
    )
    assert response.status_code in (302, 303), response.status_code
    assert scalar(app, sa.select(Campaign.supporter_count).where(Campaign.id == campaign.id)) == 1

    page = anonymous.get("/campaigns/save-the-tigris")
    assert "X-Page-Cache" not in page.headers
    assert "Basra Water Watch" in page.get_data(as_text=True)


def test_members_never_get_or_fill_the_anonymous_cache(cached_client):
    app = cached_client.application
    with app_context(app):
        make_campaign("Save the Tigris", slug="save-the-tigris")
        user = make_user(make_organization())
        db.session.commit()
    anonymous = app.test_client()
    anonymous.get("/campaigns/save-the-tigris")

    AuthActions(cached_client).login(user.email)
    for _ in range(2):
        response = cached_client.get("/campaigns/save-the-tigris")
        assert "X-Page-Cache" not in response.headers
        assert response.headers["Cache-Control"] == "no-store"


def test_a_members_page_is_compressed_at_the_cheap_per_request_levels(app, client):
    """A logged-in reader's page is compressed on every request: at gzip level 3 (about half
    the time of level 6), brotli 2, zstd 3 (config.py)."""
    import brotli
    from flask_compress.compat import compression

    with app_context(app):
        make_campaign("Save the Tigris", slug="save-the-tigris")
        user = make_user(make_organization())
        db.session.commit()
    AuthActions(client).login(user.email)

    page = client.get("/campaigns/save-the-tigris", headers=GZIP)
    assert page.headers["Content-Encoding"] == "gzip"
    plain = gzip.decompress(page.data)
    # The deflate stream after gzip's 10-byte header is the same for the same level and input.
    assert page.data[10:] == gzip.compress(plain, compresslevel=3)[10:]
    assert page.data[10:] != gzip.compress(plain, compresslevel=6)[10:]

    page = client.get("/campaigns/save-the-tigris", headers={"Accept-Encoding": "br"})
    assert page.headers["Content-Encoding"] == "br"
    assert page.data == brotli.compress(brotli.decompress(page.data), quality=2)

    page = client.get("/campaigns/save-the-tigris", headers={"Accept-Encoding": "zstd"})
    assert page.headers["Content-Encoding"] == "zstd"
    assert page.data == compression.zstd.compress(compression.zstd.decompress(page.data), 3)


def test_the_token_is_shared_by_every_worker_on_the_host(tmp_path):
    first = Generation(None, tmp_path / "generation")
    second = Generation(None, tmp_path / "generation")
    before = first.current()
    assert before and second.current() == before
    second.bump()
    assert first.current() not in ("", before)


def test_a_failing_token_store_never_fails_the_write(cached_client, tmp_path, monkeypatch, caplog):
    def broken(self):
        raise OSError("read-only file system")

    monkeypatch.setattr(Generation, "bump", broken)
    with app_context(cached_client.application):
        make_campaign("Save the Tigris")
        db.session.commit()  # no exception: the write stands
    assert "could not replace the generation token" in caplog.text

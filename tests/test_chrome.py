"""Every page's frame (head, header, footer) is rendered once per language, kind of reader and
address, and reused (app/chrome.py): only the logout form's token is the reader's own."""

from __future__ import annotations

import re

import pytest

from app import chrome
from app.extensions import db
from app.models import User
from tests.builders import make_moderator, make_organization, make_user
from tests.conftest import app_context, csrf_token_from, log_in

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def readers(app):
    with app_context(app):
        for email in ("amal@example.org", "basim@example.org"):
            make_user(make_organization(email.split("@")[0].title() + " Association"), email=email)
        make_moderator("mod@example.org")
        db.session.commit()
    return app


def client_of(app, email: str | None = None):
    client = app.test_client()
    if email:
        assert log_in(client, email).status_code == 302
    return client


def parts_of(app) -> chrome.PartCache:
    return app.extensions["tadamun.chrome"]


def renders_of(monkeypatch) -> list[str]:
    """The frame's parts rendered from their templates from now on."""
    rendered: list[str] = []
    real = chrome.PartCache.put

    def put(cache, key, html):
        rendered.append(key[0])
        real(cache, key, html)

    monkeypatch.setattr(chrome.PartCache, "put", put)
    return rendered


def test_the_frame_is_rendered_once_for_readers_of_one_kind(readers, monkeypatch):
    amal, basim = client_of(readers, "amal@example.org"), client_of(readers, "basim@example.org")
    amal.get("/campaigns/")
    rendered = renders_of(monkeypatch)

    first, second = amal.get("/campaigns/"), basim.get("/campaigns/")

    assert rendered == []  # both from the parts Amal's first page left
    for page in (first, second):
        html = page.get_data(as_text=True)
        assert html.startswith("<!doctype html>") and html.rstrip().endswith("</html>")
        assert 'aria-current="page">Campaigns' in html and "Log out" in html


def test_each_reader_gets_their_own_logout_token_and_it_works(make_app, readers):
    protected = make_app(WTF_CSRF_ENABLED=True)
    tokens = {}
    for email in ("amal@example.org", "basim@example.org"):
        client = protected.test_client()
        token = csrf_token_from(client, "/auth/login")
        assert log_in(client, email, csrf_token=token).status_code == 302
        html = client.get("/projects/").get_data(as_text=True)
        tokens[email] = (client, TOKEN.search(html).group(1))

    (amal, amal_token), (basim, basim_token) = tokens.values()
    assert amal_token != basim_token
    assert chrome.CSRF_SLOT not in amal.get("/projects/").get_data(as_text=True)
    assert amal.post("/auth/logout", data={"csrf_token": basim_token}).status_code == 400
    assert amal.post("/auth/logout", data={"csrf_token": amal_token}).status_code == 302
    assert basim.post("/auth/logout", data={"csrf_token": basim_token}).status_code == 302


def test_no_part_holds_a_token_or_anything_of_the_reader(readers):
    emails = ("amal@example.org", "mod@example.org")
    clients = [client_of(readers), *(client_of(readers, email) for email in emails)]
    seen_tokens = set()
    for client in clients:
        for url in ("/", "/campaigns/", "/organizations/", "/search?q=tigris", "/account/", "/?lang=ar"):
            seen_tokens.update(TOKEN.findall(client.get(url).get_data(as_text=True)))
    stored = "".join(parts_of(readers)._parts.values())

    assert seen_tokens and not any(token in stored for token in seen_tokens)
    for private in ("amal@example.org", "mod@example.org", "Amal Association"):
        assert private not in stored


def test_readers_of_different_kinds_counts_and_languages_get_their_own_frame(readers):
    with app_context(readers):
        db.session.query(User).filter_by(email="basim@example.org").update({"unread_notifications": 3})
        db.session.commit()
    visitor, amal = client_of(readers), client_of(readers, "amal@example.org")
    basim, moderator = client_of(readers, "basim@example.org"), client_of(readers, "mod@example.org")
    pages = {name: c.get("/").get_data(as_text=True) for name, c in
             {"visitor": visitor, "amal": amal, "basim": basim, "moderator": moderator}.items()}  # fmt: skip

    assert "Log in" in pages["visitor"] and "Log out" not in pages["visitor"]
    assert "(3 new updates)" in pages["basim"] and "new update" not in pages["amal"]
    assert "Moderation" in pages["moderator"] and "Moderation" not in pages["amal"]
    arabic = amal.get("/?lang=ar").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in arabic and '<html lang="en" dir="ltr">' in pages["amal"]


def test_the_search_box_and_the_language_links_follow_the_address(readers):
    visitor = client_of(readers)
    directory = visitor.get("/organizations/?q=basra").get_data(as_text=True)
    other = visitor.get("/organizations/?q=tigris").get_data(as_text=True)

    assert 'name="q" value="basra"' in directory and 'name="q" value="tigris"' in other
    assert 'href="/organizations/?q=tigris&amp;lang=ar"' in other
    assert 'href="/organizations/?q=basra&amp;lang=ar"' not in other


def test_the_search_box_is_a_part_of_the_frame_kept_for_the_next_reader(readers, monkeypatch):
    client_of(readers, "amal@example.org").get("/campaigns/")
    assert "search_box" in {key[0] for key in parts_of(readers)._parts}
    rendered = renders_of(monkeypatch)

    html = client_of(readers, "basim@example.org").get("/campaigns/").get_data(as_text=True)

    assert rendered == []
    assert '<label class="visually-hidden" for="site-search-q">' in html and 'name="q" value=""' in html


def test_the_frame_is_bounded(readers, monkeypatch):
    monkeypatch.setattr(parts_of(readers), "max_entries", 10)
    visitor = client_of(readers)
    for n in range(8):
        visitor.get(f"/search?q=word{n}")
    assert len(parts_of(readers)) == 10

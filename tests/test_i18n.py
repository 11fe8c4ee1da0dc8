"""Every page in the four languages of the network, right-to-left done right, the choice remembered."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import User
from tests import builders
from tests.conftest import app_context, scalar

LANGUAGES = ("en", "ar", "ckb", "fr")
DIRECTIONS = {"en": "ltr", "ar": "rtl", "ckb": "rtl", "fr": "ltr"}

# The public pages that exist; the slugs are those of the `directory_data` fixture.
PUBLIC_PAGES = (
    "/",
    "/campaigns/",
    "/campaigns/water-for-basra",
    "/organizations/",
    "/organizations/tigris-friends",
    "/projects/",
    "/auth/login",
    "/auth/register",
    "/auth/reset",
    "/search?q=water",
    "/no-such-page",  # the error page
)


def with_lang(path: str, lang: str) -> str:
    return f"{path}{'&' if '?' in path else '?'}lang={lang}"


@pytest.fixture
def directory_data(app):
    with app_context(app):
        campaign = builders.make_campaign("Water for Basra", slug="water-for-basra")
        org = builders.make_organization("Tigris Friends", slug="tigris-friends")
        builders.make_pledge(org, campaign)
        db.session.commit()


def html_tag(response) -> str:
    return re.search(r"<html[^>]*>", response.get_data(as_text=True)).group(0)


def switcher_links(response) -> dict[str, str]:
    """``{language: href}`` of the language switcher."""
    html = response.get_data(as_text=True)
    nav = re.search(r'<nav class="language-switcher".*?</nav>', html, re.S).group(0)
    return {
        m.group("lang"): m.group("href").replace("&amp;", "&")
        for m in re.finditer(r'<a href="(?P<href>[^"]+)" lang="(?P<lang>[a-z]+)"', nav)
    }


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_every_public_page_renders_in_each_language_with_its_direction(client, directory_data, path, lang):
    response = client.get(with_lang(path, lang))

    assert response.status_code == (404 if path == "/no-such-page" else 200)
    assert html_tag(response) == f'<html lang="{lang}" dir="{DIRECTIONS[lang]}">'


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_the_switcher_on_every_page_offers_the_four_languages_by_their_own_names(
    client, directory_data, path
):
    response = client.get(with_lang(path, "ckb"))
    html = response.get_data(as_text=True)

    assert set(switcher_links(response)) == set(LANGUAGES)
    for name in ("English", "العربية", "کوردی", "Français"):
        assert name in html
    assert re.search(r'hreflang="ckb"[^>]*aria-current="true"', html)
    assert len(re.findall(r'aria-current="true"', html.split('class="language-switcher"')[1])) == 1


def test_the_switcher_keeps_the_page_and_its_other_parameters(client, directory_data):
    response = client.get("/campaigns/?page=1&lang=fr&sort=new")

    for lang, href in switcher_links(response).items():
        url = urlsplit(href)
        assert url.path == "/campaigns/"
        assert parse_qs(url.query) == {"page": ["1"], "sort": ["new"], "lang": [lang]}


def test_the_switcher_on_an_error_page_keeps_the_missing_address(client):
    response = client.get("/no-such-page")

    assert switcher_links(response)["ar"] == "/no-such-page?lang=ar"


def test_a_chosen_language_is_remembered_in_a_cookie(client, directory_data):
    response = client.get("/campaigns/?lang=ar")

    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("lang=ar;")
    assert "SameSite=Lax" in cookie and "HttpOnly" in cookie and "Max-Age=31536000" in cookie
    # Later pages, without ?lang=, stay in Arabic.
    assert html_tag(client.get("/organizations/")) == '<html lang="ar" dir="rtl">'


def test_an_unknown_language_is_ignored_and_not_remembered(client):
    response = client.get("/?lang=xx", headers={"Accept-Language": "fr"})

    assert "Set-Cookie" not in response.headers or "lang=" not in response.headers["Set-Cookie"]
    assert html_tag(response) == '<html lang="fr" dir="ltr">'


def test_a_shared_link_with_lang_wins_over_the_remembered_choice(client):
    client.get("/?lang=ar")

    assert html_tag(client.get("/?lang=fr")) == '<html lang="fr" dir="ltr">'
    assert html_tag(client.get("/")) == '<html lang="fr" dir="ltr">'


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("ckb, ar;q=0.8, en;q=0.5", "ckb"),
        ("ar-IQ,ar;q=0.9", "ar"),
        ("fr-FR,fr;q=0.9,en;q=0.8", "fr"),
        ("de-DE, de;q=0.9", "en"),
        ("", "en"),
    ],
)
def test_without_a_choice_the_browser_language_is_used_when_supported(client, header, expected):
    response = client.get("/", headers={"Accept-Language": header})

    assert html_tag(response) == f'<html lang="{expected}" dir="{DIRECTIONS[expected]}">'
    assert "Accept-Language" in response.headers["Vary"]
    assert response.headers["Content-Language"] == expected


def test_a_members_language_link_changes_only_the_cookie(app, client, auth, count_queries):
    with app_context(app):
        user = builders.make_user(email="lina@example.org")
        db.session.commit()
    auth.login("lina@example.org")

    with count_queries() as queries:
        response = client.get("/?lang=ckb")

    assert html_tag(response) == '<html lang="ckb" dir="rtl">'
    assert response.headers["Set-Cookie"].startswith("lang=ckb;")
    writes = ("UPDATE", "INSERT", "DELETE")
    assert not [q for q in queries.statements if q.lstrip().upper().startswith(writes)]
    assert scalar(app, sa.select(User.locale).where(User.id == user.id)) is None


def test_a_member_keeps_a_language_for_their_account_with_a_post(app, client, auth):
    with app_context(app):
        user = builders.make_user(email="lina@example.org")
        db.session.commit()
    auth.login("lina@example.org")
    assert 'action="/account/language"' in client.get("/account/").get_data(as_text=True)

    response = client.post("/account/language", data={"locale": "ckb"})

    assert response.status_code == 302
    assert response.headers["Set-Cookie"].startswith("lang=ckb;")
    assert scalar(app, sa.select(User.locale).where(User.id == user.id)) == "ckb"
    # Another device: no cookie, a French browser; the member's setting wins once logged in.
    other = app.test_client()
    other.post("/auth/login", data={"email": "lina@example.org", "password": builders.DEFAULT_PASSWORD})
    response = other.get("/", headers={"Accept-Language": "fr"})
    assert html_tag(response) == '<html lang="ckb" dir="rtl">'


def test_the_account_language_list_is_valid_html(app, client, auth):
    """HTML forbids `required` on a list whose first option is a real choice, not an empty
    placeholder (the Nu HTML checker's error on the dashboard); the server checks the value."""
    with app_context(app):
        builders.make_user(email="lina@example.org")
        db.session.commit()
    auth.login("lina@example.org")
    page = client.get("/account/").get_data(as_text=True)
    select = re.search(r'<select[^>]*name="locale"[^>]*>\s*<option([^>]*)>', page)
    assert select is not None
    assert "required" not in select.group(0)
    assert 'value=""' not in select.group(1)  # no placeholder: the first option is a language


def test_an_unknown_language_for_the_account_is_refused(app, client, auth):
    with app_context(app):
        user = builders.make_user(email="lina@example.org")
        user.locale = "fr"
        db.session.commit()
    auth.login("lina@example.org")

    response = client.post("/account/language", data={"locale": "xx"})

    assert response.status_code == 400
    assert scalar(app, sa.select(User.locale).where(User.id == user.id)) == "fr"


def test_visitors_choice_writes_nothing_to_the_database(client, count_queries):
    with count_queries() as queries:
        client.get("/auth/login?lang=ar")

    assert not [q for q in queries.statements if q.lstrip().upper().startswith(("UPDATE", "INSERT"))]


def test_pages_are_translated_when_the_catalog_has_the_string(client, monkeypatch):
    """The catalogs are really loaded: a translated string shows up in the page."""
    from flask_babel import get_translations

    with client.application.test_request_context("/?lang=fr"):
        translations = get_translations()
    monkeypatch.setitem(translations._catalog, "Log in", "Se connecter")

    assert "Se connecter" in client.get("/?lang=fr").get_data(as_text=True)


def test_numbers_and_dates_are_formatted_for_the_locale(app):
    from datetime import date

    from flask_babel import force_locale

    template = app.jinja_env.from_string(
        "{{ format_number(1234567) }}|{{ format_date(day, 'long') }}|{{ n|numberformat }}"
    )
    with app.test_request_context("/"):
        with force_locale("fr"):
            number, day, filtered = template.render(day=date(2026, 11, 22), n=2500).split("|")
        with force_locale("ckb"):
            kurdish = template.render(day=date(2026, 11, 22), n=2500)
    assert number == "1\u202f234\u202f567"
    assert day == "22 novembre 2026"
    assert filtered == "2\u202f500"
    assert "تشرینی دووەم" in kurdish


def test_bdi_macro_isolates_a_name_and_keeps_it_escaped(app):
    template = app.jinja_env.from_string(
        '{% import "_macros/ui.html" as ui %}'
        '{{ _("Supported by %(name)s", name=ui.bdi(name)) }} {{ ui.bdi(name, lang="en") }}'
    )
    with app.test_request_context("/"):
        html = template.render(name="<b>Iraqi Women (2024)</b>")

    assert html == (
        "Supported by <bdi>&lt;b&gt;Iraqi Women (2024)&lt;/b&gt;</bdi> "
        '<bdi lang="en">&lt;b&gt;Iraqi Women (2024)&lt;/b&gt;</bdi>'
    )


def test_the_stylesheet_uses_logical_properties_only(static_dir):
    """Physical left/right would not mirror on Arabic and Kurdish pages."""
    css = (static_dir / "css" / "tadamun.css").read_text(encoding="utf-8")
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)  # comments may say "left"
    physical = re.findall(
        r"(?:^|[;{\s])((?:margin|padding|border)-(?:left|right)[\w-]*\s*:|(?:left|right)\s*:|"
        r"float\s*:\s*(?:left|right)|text-align\s*:\s*(?:left|right)|clear\s*:\s*(?:left|right))",
        css,
    )
    assert physical == [], f"use logical properties (inline-start/end) instead of {physical}"


def test_the_font_stack_covers_arabic_and_kurdish_with_local_fonts(static_dir):
    css = (static_dir / "css" / "tadamun.css").read_text(encoding="utf-8")

    assert "@font-face" not in css and "url(http" not in css  # nothing downloaded
    rtl_stack = re.search(r'html\[dir="rtl"\]\s*\{\s*--font:([^;]+);', css).group(1)
    for face in ("Noto Naskh Arabic", "Vazirmatn", "Tahoma", "DejaVu Sans"):
        assert face in rtl_stack
    assert re.search(r":lang\(ckb\)\s*\{\s*--font:", css)


MODERATOR_PAGES = (
    "/moderation/",
    "/moderation/organizations",
    "/moderation/log",
    "/moderation/users",
    "/moderation/campaigns/",
    "/moderation/campaigns/new",
    "/moderation/content/",
    "/moderation/campaigns/water-for-basra/translations/ckb",
)
MEMBER_PAGES = ("/account/", "/account/profile", "/account/password", "/account/translations/ar")


@pytest.mark.parametrize("lang", ["ar", "ckb"])
def test_moderator_pages_render_right_to_left_too(app, client, auth, directory_data, lang):
    with app_context(app):
        builders.make_moderator("mod@example.org", admin=True)  # admins also see the users page
        db.session.commit()
    auth.login("mod@example.org")

    for path in MODERATOR_PAGES:
        response = client.get(with_lang(path, lang))
        assert response.status_code == 200, path
        assert html_tag(response) == f'<html lang="{lang}" dir="rtl">', path


@pytest.mark.parametrize("lang", ["ar", "fr"])
def test_member_pages_render_in_the_chosen_language(app, client, auth, lang):
    with app_context(app):
        builders.make_user(email="member@example.org")
        db.session.commit()
    auth.login("member@example.org")

    for path in MEMBER_PAGES:
        response = client.get(with_lang(path, lang))
        assert response.status_code == 200, path
        assert html_tag(response) == f'<html lang="{lang}" dir="{DIRECTIONS[lang]}">', path


@pytest.mark.parametrize("path", ["/", "/search", "/auth/login"])
def test_the_language_switcher_is_in_the_header_of_every_page(client, path):
    html = client.get(path).get_data(as_text=True)
    header = html.split('<header class="site-header">', 1)[1].split("</header>", 1)[0]
    assert 'class="language-switcher"' in header
    assert html.count('class="language-switcher"') == 1  # not twice (header and footer)


def test_short_pages_keep_the_footer_at_the_bottom(static_dir):
    css = (static_dir / "css" / "tadamun.css").read_text()
    body = re.search(r"\nbody \{(.*?)\n\}", css, re.S).group(1)
    assert "min-block-size: 100dvh" in body and "flex-direction: column" in body
    assert re.search(r"body > main \{[^}]*flex: 1", css)

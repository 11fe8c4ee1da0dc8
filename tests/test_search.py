"""Search: one box finds organizations, campaigns and projects, the way readers write."""

from __future__ import annotations

import re

import pytest

from app.extensions import db
from app.models import OrganizationKind, OrganizationStatus
from app.search_engine import engine
from app.search_engine.folding import fold, query_terms
from tests.builders import make_campaign, make_organization, make_pledge, make_project
from tests.conftest import app_context, run_command


def names(kind: str, query: str) -> list[str]:
    rows = engine.find(kind, query, limit=50)
    return [row.name if kind == "organizations" else row.title for row in rows]


@pytest.mark.parametrize(
    ("written", "typed"),
    [
        ("الرّافدين", "الرافدين"),  # shadda
        ("مُنَظَّمَة", "منظمه"),  # tashkeel and taa marbuta
        ("أحمد", "احمد"),  # alef with hamza above
        ("إسلام", "اسلام"),  # alef with hamza below
        ("آمال", "امال"),  # alef madda
        ("مستشفى", "مستشفي"),  # alef maqsura
        ("مؤسسة", "موسسه"),  # waw with hamza
        ("شـــباب", "شباب"),  # tatweel
        ("Société Générale", "societe generale"),
        ("ØSTER", "oster"),
    ],
)
def test_folding_makes_spellings_equal(written, typed):
    assert fold(written) == fold(typed)


def test_query_words_are_folded_and_stripped_of_syntax():
    assert query_terms('"NEAR(a b)" OR tigris* -x ^y') == ["near", "a", "b", "or", "tigris", "x", "y"]
    assert query_terms("   ") == []


def test_arabic_name_is_found_with_or_without_diacritics(app_ctx):
    make_organization("جمعية الرّافدين للثقافة")
    make_organization("جمعية الرافدين للشباب")
    make_organization("Baghdad Women Association")
    db.session.commit()

    for typed in ("الرافدين", "الرّافدين", "رافدين"[0:0] + "الراف"):
        assert sorted(names("organizations", typed)) == ["جمعية الرافدين للشباب", "جمعية الرّافدين للثقافة"]


def test_last_word_matches_as_a_prefix_and_title_ranks_first(app_ctx):
    make_organization("Tigris Keepers", description="Water and rivers.")
    make_organization("River People", description="We defend the Tigris and the marshes.")
    db.session.commit()

    assert names("organizations", "tigr") == ["Tigris Keepers", "River People"]
    assert names("organizations", "river peo") == ["River People"]


def test_a_bounded_candidate_set_is_ranked_with_title_matches_found_first(app_ctx, monkeypatch):
    """Only the first CANDIDATES matches of each tier (title, anywhere) are ranked, here 3: of six
    body matches, each mentioning the river more often than the one before, the best-ranked
    shown is the third; a title match written after all of them is still found, and first;
    invisible rows take no place in the set."""
    monkeypatch.setattr(engine, "CANDIDATES", 3)
    for n in range(6):
        make_organization(f"Body Group {n}", description="Friends of the Tigris. " * (n + 1))
    make_organization("Tigris Hidden Circle", status=OrganizationStatus.PENDING)
    make_organization("Tigris Late Keepers", description="Water.")
    db.session.commit()

    found = [org.name for org in engine.find("organizations", "tigris", limit=3)]
    assert found == ["Tigris Late Keepers", "Body Group 2", "Body Group 1"]
    # Without the bound (a page that reaches further ranks a larger set) the best comes first.
    found = [org.name for org in engine.find("organizations", "tigris", limit=10)]
    assert found == ["Tigris Late Keepers", *(f"Body Group {n}" for n in (5, 4, 3, 2, 1, 0))]


def test_only_approved_organizations_and_visible_projects_are_found(app_ctx):
    approved = make_organization("Basra Water Watch")
    make_organization("Basra Pending Group", status=OrganizationStatus.PENDING)
    make_organization("Basra Suspended Group", status=OrganizationStatus.SUSPENDED)
    suspended = make_organization("Other Group", status=OrganizationStatus.SUSPENDED)
    make_project(approved, title="Basra clean water project")
    make_project(approved, title="Basra hidden project", hidden_at=db.func.now())
    make_project(suspended, title="Basra project of a suspended group")
    db.session.commit()

    assert names("organizations", "basra") == ["Basra Water Watch"]
    assert names("projects", "basra") == ["Basra clean water project"]


def test_index_follows_every_write(app_ctx):
    org = make_organization("Old Name Collective", description="Artists.")
    campaign = make_campaign("Save the Marshes")
    db.session.commit()
    assert names("organizations", "collective") == ["Old Name Collective"]

    org.name = "Renamed Collective"
    campaign.summary = "Mesopotamian marshlands"
    db.session.commit()
    assert names("organizations", "old name") == []
    assert names("organizations", "renamed") == ["Renamed Collective"]
    assert names("campaigns", "mesopotamian") == ["Save the Marshes"]

    db.session.delete(org)
    db.session.commit()
    assert names("organizations", "renamed") == []


def test_search_syntax_typed_by_a_visitor_is_harmless(app, client):
    with app_context(app):
        make_organization('Union "NEAR" OR Group')
        db.session.commit()
    for query in ['"', "NEAR(", "a OR", "*", "title:x", "'; DROP TABLE organizations; --", "^"]:
        response = client.get("/search", query_string={"q": query})
        assert response.status_code == 200, query
    # NUL never reaches the database: refused as a bad request, not a server error.
    assert client.get("/search", query_string={"q": "ab\x00c"}).status_code in (200, 400)
    with app_context(app):
        assert names("organizations", 'near" or') == ['Union "NEAR" OR Group']


def test_search_page_shows_each_kind_with_links(app, client):
    with app_context(app):
        org = make_organization("Tigris Friends", slug="tigris-friends")
        campaign = make_campaign("Save the Tigris", slug="save-the-tigris")
        make_project(org, [campaign], title="Tigris school boats", slug="tigris-boats")
        db.session.commit()

    html = client.get("/search?q=tigris").get_data(as_text=True)
    assert 'href="/organizations/tigris-friends"' in html
    assert 'href="/campaigns/save-the-tigris"' in html
    assert 'href="/projects/tigris-boats"' in html


def test_search_page_caps_sections_and_links_to_more(app, client):
    with app_context(app):
        for n in range(7):
            make_campaign(f"Water campaign {n}")
        db.session.commit()

    html = client.get("/search?q=water").get_data(as_text=True)
    assert html.count('class="search-result"') == 5
    assert "type=campaigns" in html
    page = client.get("/search?q=water&type=campaigns").get_data(as_text=True)
    assert page.count('class="search-result"') == 7
    assert client.get("/search?q=water&type=users").status_code == 404
    assert client.get("/search?q=water&type=campaigns&page=0").status_code == 404


def test_every_page_has_a_labelled_search_box(app, client):
    html = client.get("/").get_data(as_text=True)
    assert 'action="/search"' in html
    assert '<label class="visually-hidden" for="site-search-q">' in html
    assert 'id="site-search-q" name="q"' in html


def test_search_page_runs_one_query_per_kind(app, client, count_queries):
    with app_context(app):
        org = make_organization("Tigris Friends")
        make_project(org, [make_campaign("Tigris")], title="Tigris boats")
        db.session.commit()
    with count_queries() as counter:
        assert client.get("/search?q=tigris").status_code == 200
    assert counter.count <= 3, counter


def test_directory_search_combines_with_kind_country_and_campaign(app, client):
    with app_context(app):
        tigris = make_campaign("Save the Tigris", slug="save-the-tigris")
        basra_ngo = make_organization("Basra Water Watch", kind=OrganizationKind.NGO, country="IQ")
        make_organization("Basra Youth Water", kind=OrganizationKind.YOUTH_GROUP, country="IQ")
        make_organization("Water Friends Basra", kind=OrganizationKind.NGO, country="IT")
        make_organization("Mosul Water Union", kind=OrganizationKind.NGO, country="IQ")
        make_pledge(basra_ngo, tigris)
        db.session.commit()

    def directory(**args) -> list[str]:
        html = client.get("/organizations/", query_string=args).get_data(as_text=True)
        return re.findall(r'class="org-name" href="[^"]+"><bdi>([^<]+)</bdi></a>', html)

    assert sorted(directory(q="basra")) == ["Basra Water Watch", "Basra Youth Water", "Water Friends Basra"]
    assert directory(q="basra", kind="ngo", country="IQ") == ["Basra Water Watch"]
    assert directory(q="water", campaign="save-the-tigris") == ["Basra Water Watch"]
    # A place is found by its name in any language (app.services.places).
    assert sorted(directory(q="بصرة")) == ["Basra Water Watch", "Basra Youth Water", "Water Friends Basra"]
    html = client.get("/organizations/?q=basra").get_data(as_text=True)
    assert 'id="filter-q" name="q" value="basra"' in html


def test_search_index_command_repairs_a_lost_index(app):
    with app_context(app):
        make_organization("Nineveh Heritage Circle")
        db.session.commit()
        with db.engine.begin() as connection:
            if connection.dialect.name == "sqlite":
                connection.exec_driver_sql("DELETE FROM organizations_fts")
    result = run_command(app, "search-index")
    assert result.exit_code == 0, result.output
    with app_context(app):
        assert names("organizations", "nineveh") == ["Nineveh Heritage Circle"]


@pytest.mark.parametrize("url", ["/search", "/search?q=water"])
def test_the_search_page_has_one_search_box(client, url):
    html = client.get(url).get_data(as_text=True)
    assert len(re.findall(r'<input[^>]*type="search"', html)) == 1
    assert len(re.findall(r'role="search"', html)) == 1
    assert 'id="search-q"' in html  # the page's own, with its visible label


def test_other_pages_keep_the_header_search_box(client):
    html = client.get("/campaigns/").get_data(as_text=True)
    assert 'id="site-search-q"' in html

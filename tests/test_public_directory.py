"""Visitors browse the member directory and read organization profiles."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.models import Campaign, OrganizationKind, OrganizationStatus, PledgeVisibility, Visibility
from tests.builders import make_campaign, make_organization, make_pledge, make_project, make_user
from tests.conftest import app_context
from tests.pages import page, queries_for

UNAPPROVED = [OrganizationStatus.PENDING, OrganizationStatus.REJECTED, OrganizationStatus.SUSPENDED]


# --- The list -------------------------------------------------------------------------


def test_directory_lists_approved_organizations_with_kind_and_country(app, client):
    with app_context(app):
        make_organization("Basra Women Forum", kind=OrganizationKind.WOMENS_GROUP, country="IQ", city="Basra")
        make_organization("Un ponte per", kind=OrganizationKind.INTERNATIONAL_NGO, country="IT")
        db.session.commit()

    html = page(client, "/organizations/")
    assert "Basra Women Forum" in html and "Women&#39;s group" in html and "Iraq" in html and "Basra" in html
    assert "Un ponte per" in html and "International NGO" in html and "Italy" in html
    assert "2 organizations" in html


@pytest.mark.parametrize("status", UNAPPROVED)
def test_unapproved_organizations_are_not_listed_nor_offered_as_a_country(app, client, status):
    with app_context(app):
        make_organization("Approved Org", country="IQ")
        make_organization("Unapproved Org", status=status, country="SE")
        db.session.commit()

    html = page(client, "/organizations/")
    assert "Approved Org" in html
    assert "Unapproved Org" not in html
    assert "Sweden" not in html
    assert "1 organization" in html


def test_filter_by_kind(app, client):
    with app_context(app):
        make_organization("The Union", kind=OrganizationKind.LABOUR_UNION)
        make_organization("The Paper", kind=OrganizationKind.MEDIA_OUTLET)
        db.session.commit()

    html = page(client, "/organizations/?kind=labour_union")
    assert "The Union" in html and "The Paper" not in html
    assert '<option value="labour_union" selected>' in html


def test_filter_by_country_offers_only_countries_present(app, client):
    with app_context(app):
        make_organization("Oslo Group", country="NO")
        make_organization("Erbil Group", country="IQ")
        db.session.commit()

    html = page(client, "/organizations/?country=NO")
    assert "Oslo Group" in html and "Erbil Group" not in html
    assert '<option value="NO" selected>Norway</option>' in html
    assert '<option value="IQ">Iraq</option>' in html
    assert "France" not in html


def test_filters_combine(app, client):
    with app_context(app):
        campaign = make_campaign()
        match = make_organization("Match", kind=OrganizationKind.NGO, country="IT")
        make_pledge(match, campaign)
        make_pledge(make_organization("Wrong Country", kind=OrganizationKind.NGO, country="IQ"), campaign)
        make_organization("No Pledge", kind=OrganizationKind.NGO, country="IT")
        make_pledge(make_organization("Wrong Kind", kind=OrganizationKind.FOUNDATION, country="IT"), campaign)
        db.session.commit()

    html = page(client, f"/organizations/?kind=ngo&country=IT&campaign={campaign.slug}")
    assert "Match" in html
    for other in ("Wrong Country", "No Pledge", "Wrong Kind"):
        assert other not in html
    assert "1 organization" in html


def test_campaign_filter_never_reveals_discreet_supporters_to_visitors(app, client):
    with app_context(app):
        campaign = make_campaign()
        make_pledge(make_organization("Public Supporter"), campaign)
        make_pledge(make_organization("Members Supporter"), campaign, visibility=PledgeVisibility.MEMBERS)
        make_pledge(make_organization("Counted Supporter"), campaign, visibility=PledgeVisibility.COUNTED)
        make_pledge(make_organization("Former Supporter"), campaign, withdrawn=True)
        db.session.commit()

    html = page(client, f"/organizations/?campaign={campaign.slug}")
    assert "Public Supporter" in html
    assert "Members Supporter" not in html
    assert "Counted Supporter" not in html
    assert "Former Supporter" not in html
    assert "1 organization" in html


def test_campaign_filter_shows_members_only_supporters_to_approved_members(app, client, auth):
    with app_context(app):
        campaign = make_campaign()
        make_pledge(make_organization("Members Supporter"), campaign, visibility=PledgeVisibility.MEMBERS)
        make_pledge(make_organization("Counted Supporter"), campaign, visibility=PledgeVisibility.COUNTED)
        member = make_user(make_organization("Viewer Org"))
        db.session.commit()
    auth.login(member.email)

    html = page(client, f"/organizations/?campaign={campaign.slug}")
    assert "Members Supporter" in html
    assert "Counted Supporter" not in html


def test_campaign_filter_hides_members_only_supporters_from_pending_members(app, client, auth):
    with app_context(app):
        campaign = make_campaign()
        make_pledge(make_organization("Members Supporter"), campaign, visibility=PledgeVisibility.MEMBERS)
        member = make_user(make_organization(status=OrganizationStatus.PENDING))
        db.session.commit()
    auth.login(member.email)

    assert "Members Supporter" not in page(client, f"/organizations/?campaign={campaign.slug}")


@pytest.mark.parametrize(
    "query",
    [
        "kind=spaceship",
        "country=XX1",
        "country=%F0%9F%8C%8D",  # (a NUL is refused with 400 before any view: tests/test_fuzz.py)
        "campaign=no-such-campaign",
        "page=abc",
        "q=%3CSome%3E",  # searched as the word "some"; the brackets are escaped when echoed
    ],
)
def test_bad_filter_values_are_ignored_not_errors(app, client, query):
    with app_context(app):
        make_organization("Some Org")
        db.session.commit()
    html = page(client, f"/organizations/?{query}")
    assert "Some Org" in html
    assert "<script>" not in html


def test_page_past_the_end_is_404(app, client):
    with app_context(app):
        make_organization()
        db.session.commit()
    assert client.get("/organizations/?page=5").status_code == 404


def test_directory_is_paginated_by_name_and_keeps_filters(app, client):
    with app_context(app):
        app.config["PAGE_SIZE"] = 2
        for name in ("Alpha", "Bravo", "Charlie"):
            make_organization(name, kind=OrganizationKind.NGO)
        make_organization("Zulu Union", kind=OrganizationKind.LABOUR_UNION)
        db.session.commit()

    first = page(client, "/organizations/?kind=ngo")
    assert "Alpha" in first and "Bravo" in first and "Charlie" not in first
    assert "kind=ngo" in first.split('rel="next"')[0].rsplit("href=", 1)[1]
    second = page(client, "/organizations/?kind=ngo&page=2")
    assert "Charlie" in second and "Alpha" not in second and "Zulu Union" not in second


def _names_on(html: str, names) -> list[str]:
    listing = html.split('class="list table-like directory"', 1)[1].split("</ul>", 1)[0]
    return [name for name in names if f">{name}<" in listing]


def test_directory_counts_only_up_to_a_bound_and_pages_on_with_next(app, client, monkeypatch):
    """The directory's total is counted up to DIRECTORY_COUNT_LIMIT (a count of every listed
    organization grows with the network): past it the page says "more than", still numbers the
    pages it knows and goes on with "Next"; the last page, once reached, is exact."""
    from app.services import directory

    monkeypatch.setattr(directory, "DIRECTORY_COUNT_LIMIT", 4)
    names = [f"Bounded {letter}" for letter in "ABCDEFG"]
    with app_context(app):
        app.config["PAGE_SIZE"] = 2
        for name in names:
            make_organization(name)
        db.session.commit()

    first = page(client, "/organizations/")
    assert "More than 4 organizations" in first and "7 organizations" not in first
    assert "Page 1 of more than 2" in first and 'rel="next"' in first
    assert _names_on(first, names) == names[:2]
    third = page(client, "/organizations/?page=3")
    assert _names_on(third, names) == names[4:6]
    assert 'rel="next"' in third and 'rel="prev"' in third
    last = page(client, "/organizations/?page=4")
    assert _names_on(last, names) == names[6:]
    assert "Page 4 of 4" in last and 'rel="next"' not in last
    assert client.get("/organizations/?page=5").status_code == 404
    assert client.get("/organizations/?page=0").status_code == 404


def test_directory_search_with_filters_ranks_a_bounded_candidate_set_that_meets_the_filters(
    app, client, monkeypatch
):
    """A search in the directory ranks at most DIRECTORY_SEARCH_LIMIT candidates, not every
    match; the filters are applied while the candidates are gathered, so matches of the wrong
    kind (first in the index) never crowd out the ones asked for."""
    from app.services import directory

    monkeypatch.setattr(directory, "DIRECTORY_SEARCH_LIMIT", 3)
    with app_context(app):
        app.config["PAGE_SIZE"] = 2
        for n in range(5):
            make_organization(f"Tigris Union {n}", kind=OrganizationKind.LABOUR_UNION)
        for n in range(2):
            make_organization(f"Tigris Keepers {n}", kind=OrganizationKind.NGO)
        db.session.commit()

    ngos = page(client, "/organizations/?q=tigris&kind=ngo")
    assert "2 organizations" in ngos
    assert "Tigris Keepers 0" in ngos and "Tigris Keepers 1" in ngos and "Tigris Union" not in ngos
    everything = page(client, "/organizations/?q=tigris")
    assert "More than 3 organizations" in everything and 'rel="next"' in everything
    # Pages past the bound still come, from a candidate set as large as they need.
    fourth = page(client, "/organizations/?q=tigris&page=4")
    assert fourth.count("Tigris ") == 1 and 'rel="next"' not in fourth


def test_empty_directory_says_what_happens_next(client):
    assert "once a moderator approves it" in page(client, "/organizations/")


def test_no_match_offers_to_clear_filters(app, client):
    with app_context(app):
        make_organization(kind=OrganizationKind.NGO)
        db.session.commit()
    assert "Clear the filters" in page(client, "/organizations/?kind=foundation")


def test_filters_sit_in_a_details_element(client):
    html = page(client, "/organizations/")
    assert '<details class="filters"' in html
    assert '<label for="filter-kind">' in html


# --- The profile ----------------------------------------------------------------------


def test_profile_shows_the_organization(app, client):
    with app_context(app):
        org = make_organization(
            "Iraqi Al-Amal Association",
            kind=OrganizationKind.HUMAN_RIGHTS_ASSOCIATION,
            country="IQ",
            city="Baghdad",
            description="We work for **human rights**.",
            website="https://example.org/amal",
            founded_year=1992,
        )
        db.session.commit()

    html = page(client, f"/organizations/{org.slug}")
    assert '<h1 dir="auto">Iraqi Al-Amal Association</h1>' in html
    assert "Human rights association" in html and "Iraq" in html and "Baghdad" in html
    assert "<strong>human rights</strong>" in html
    assert 'href="https://example.org/amal" rel="nofollow ugc noopener"' in html
    assert "1992" in html


@pytest.mark.parametrize("website", ["javascript:alert(1)", "data:text/html,hi", "ftp://example.org"])
def test_profile_does_not_link_a_website_that_is_not_http(app, client, website):
    with app_context(app):
        org = make_organization(website=website)
        db.session.commit()
    html = page(client, f"/organizations/{org.slug}")
    assert website.split(":")[0] + ":" not in html


@pytest.mark.parametrize("status", UNAPPROVED)
def test_unapproved_profile_is_404(app, client, status):
    with app_context(app):
        org = make_organization(status=status)
        db.session.commit()
    assert client.get(f"/organizations/{org.slug}").status_code == 404


def test_unknown_profile_is_404(client):
    assert client.get("/organizations/nobody").status_code == 404


def _org_with_contacts():
    return make_organization(
        contact_email="public@example.org",
        contact_email_visibility=Visibility.PUBLIC,
        contact_phone="+964 770 000 0000",
        contact_phone_visibility=Visibility.MEMBERS,
        address="Secret street 1",
        address_visibility=Visibility.HIDDEN,
        contact_person="Members Only Person",
        contact_person_visibility=Visibility.MEMBERS,
    )


def test_visitor_sees_only_public_contact_details(app, client):
    with app_context(app):
        org = _org_with_contacts()
        db.session.commit()
    html = page(client, f"/organizations/{org.slug}")
    assert "public@example.org" in html
    assert "+964 770 000 0000" not in html
    assert "Members Only Person" not in html
    assert "Secret street" not in html


def test_approved_member_sees_members_only_contact_details_but_never_hidden(app, client, auth):
    with app_context(app):
        org = _org_with_contacts()
        member = make_user(make_organization())
        db.session.commit()
    auth.login(member.email)
    html = page(client, f"/organizations/{org.slug}")
    assert "public@example.org" in html
    assert "+964 770 000 0000" in html
    assert "Members Only Person" in html
    assert "Secret street" not in html


def test_pending_member_sees_only_public_contact_details(app, client, auth):
    with app_context(app):
        org = _org_with_contacts()
        member = make_user(make_organization(status=OrganizationStatus.PENDING))
        db.session.commit()
    auth.login(member.email)
    html = page(client, f"/organizations/{org.slug}")
    assert "public@example.org" in html
    assert "+964 770 000 0000" not in html
    assert "Members Only Person" not in html


def test_profile_lists_campaigns_it_supports_by_visibility(app, client, auth):
    with app_context(app):
        org = make_organization()
        make_pledge(org, make_campaign("Public Campaign"))
        make_pledge(org, make_campaign("Members Campaign"), visibility=PledgeVisibility.MEMBERS)
        make_pledge(org, make_campaign("Counted Campaign"), visibility=PledgeVisibility.COUNTED)
        make_pledge(org, make_campaign("Withdrawn Campaign"), withdrawn=True)
        member = make_user(make_organization())
        pending = make_user(make_organization(status=OrganizationStatus.PENDING))
        db.session.commit()

    visitor_html = page(client, f"/organizations/{org.slug}")
    assert "Public Campaign" in visitor_html
    assert "Members Campaign" not in visitor_html
    assert "Counted Campaign" not in visitor_html
    assert "Withdrawn Campaign" not in visitor_html

    auth.login(pending.email)
    assert "Members Campaign" not in page(client, f"/organizations/{org.slug}")
    auth.logout()

    auth.login(member.email)
    member_html = page(client, f"/organizations/{org.slug}")
    assert "Public Campaign" in member_html and "Members Campaign" in member_html
    assert "Counted Campaign" not in member_html


def test_profile_lists_visible_projects_only(app, client):
    with app_context(app):
        org = make_organization()
        make_project(org, [make_campaign("Tigris")], "Water Project")
        make_project(org, [], "Hidden Project", hidden_at=db.func.now())
        db.session.commit()
    html = page(client, f"/organizations/{org.slug}")
    assert "Water Project" in html and "Tigris" in html
    assert "Hidden Project" not in html


def test_profile_runs_a_constant_number_of_queries(app, client, auth, count_queries):
    with app_context(app):
        campaigns = [make_campaign() for _ in range(3)]
        small, large = make_organization(), make_organization()
        make_pledge(small, campaigns[0])
        for campaign in campaigns:
            make_pledge(large, campaign)
        make_project(small, campaigns[:1])
        for _ in range(20):
            make_project(large, campaigns)
        member = make_user(make_organization())
        db.session.commit()
    urls = [f"/organizations/{small.slug}", f"/organizations/{large.slug}"]
    auth.login(member.email)

    few, many = (queries_for(client, count_queries, url) for url in urls)
    assert few.count == many.count, (few, many)


def test_directory_runs_a_constant_number_of_queries(app, client, count_queries):
    with app_context(app):
        campaign = make_campaign()
        for _ in range(3):
            make_pledge(make_organization(country="IQ"), campaign)
        db.session.commit()
    url = f"/organizations/?campaign={campaign.slug}&kind=ngo"
    few = queries_for(client, count_queries, url)

    with app_context(app):
        campaign = db.session.get(Campaign, campaign.id)
        for n in range(30):
            make_pledge(make_organization(country=("IQ", "IT", "NO")[n % 3]), campaign)
        db.session.commit()
    many = queries_for(client, count_queries, url)
    assert few.count == many.count, (few, many)
    assert few.count <= 6, few


def test_the_campaign_filter_offers_the_most_supported_campaigns_up_to_a_bound(app, client, count_queries):
    """More campaigns than the bound: the filter offers those with the most supporters (none
    without any), sorted by title in the page's language, says that others are left out, and
    always offers the selected campaign; one query of plain rows."""
    import re

    from app.models import CampaignTranslation
    from app.services import directory

    app.config["DIRECTORY_CAMPAIGN_CHOICES"] = 3
    with app_context(app):
        supporters = [make_organization(f"Supporter {n}") for n in range(5)]
        # Titles against the supporters' order, so that sorting by title shows.
        for title, count in [("Delta", 5), ("Alpha", 4), ("Charlie", 3), ("Bravo", 2), ("Echo", 1)]:
            campaign = make_campaign(title, slug=title.lower())
            for org in supporters[:count]:
                make_pledge(org, campaign)
        make_campaign("Foxtrot", slug="foxtrot")  # no supporter
        charlie = db.session.scalar(db.select(Campaign).where(Campaign.slug == "charlie"))
        db.session.add(CampaignTranslation(campaign_id=charlie.id, locale="fr", title="Zoulou", summary="."))
        db.session.commit()

    def offered(html: str) -> list[str]:
        select = html[
            html.index('id="filter-campaign"') : html.index("</select>", html.index('id="filter-campaign"'))
        ]
        return re.findall(r'<option value="([a-z]+)"', select)

    html = page(client, "/organizations/")
    assert offered(html) == ["alpha", "charlie", "delta"]
    assert "The 3 campaigns with the most supporters." in html
    assert 'aria-describedby="filter-campaign-note"' in html and '<label for="filter-campaign">' in html
    # The selected campaign is offered, and selected, though it is not among the most supported.
    html = page(client, "/organizations/?campaign=echo")
    assert offered(html) == ["alpha", "delta", "echo"]
    assert '<option value="echo" selected' in html
    html = page(client, "/organizations/?campaign=foxtrot")
    assert "foxtrot" in offered(html)
    # In French, sorted by the French titles (Charlie is "Zoulou" there), each with its language.
    html = page(client, "/organizations/?lang=fr")
    assert offered(html) == ["alpha", "delta", "charlie"]
    assert '<option value="charlie" lang="fr">Zoulou</option>' in html
    # All fit under a larger bound: no note.
    app.config["DIRECTORY_CAMPAIGN_CHOICES"] = 40
    html = page(client, "/organizations/?lang=en")
    assert offered(html) == ["alpha", "bravo", "charlie", "delta", "echo"]
    assert "campaigns with the most supporters" not in html
    with app_context(app), count_queries() as counter:
        choices = directory.directory_campaign_choices(None, "fr", 3)
    assert counter.count == 1 and choices.more and len(choices.items) == 3

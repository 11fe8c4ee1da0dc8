"""Visitors read the projects of member organizations and the campaigns they serve."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.models import Campaign, OrganizationKind, OrganizationStatus
from tests.builders import make_campaign, make_organization, make_project
from tests.conftest import app_context
from tests.pages import page, queries_for


def test_project_list_shows_projects_with_organization_and_campaigns(app, client):
    with app_context(app):
        tigris = make_campaign("Save the Tigris")
        make_project(
            make_organization("River Keepers"), [tigris], "Clean Banks", summary="Cleaning the river banks."
        )
        db.session.commit()

    html = page(client, "/projects/")
    assert "Clean Banks" in html and "Cleaning the river banks." in html
    assert "River Keepers" in html and "Save the Tigris" in html


def test_project_list_filters_by_campaign(app, client):
    with app_context(app):
        tigris, women = make_campaign("Save the Tigris"), make_campaign("Women's Rights")
        org = make_organization()
        make_project(org, [tigris], "River Project")
        make_project(org, [women], "Shelter Project")
        db.session.commit()

    html = page(client, f"/projects/?campaign={tigris.slug}")
    assert "River Project" in html and "Shelter Project" not in html
    assert "Projects of Save the Tigris" in html


def test_project_list_filters_by_country_and_kind_of_the_organization(app, client):
    with app_context(app):
        tigris = make_campaign("Save the Tigris")
        make_project(
            make_organization("Basra Women", kind=OrganizationKind.WOMENS_GROUP), [tigris], "Literacy Boats"
        )
        make_project(make_organization("Oslo Friends", country="NO"), [tigris], "Nordic Twinning")
        make_project(
            make_organization("Baghdad Union", kind=OrganizationKind.LABOUR_UNION), [], "Workers School"
        )
        db.session.commit()

    html = page(client, "/projects/?country=NO")
    assert "Nordic Twinning" in html and "Literacy Boats" not in html and "Workers School" not in html
    html = page(client, "/projects/?kind=womens_group&country=IQ")
    assert "Literacy Boats" in html and "Workers School" not in html and "Nordic Twinning" not in html
    html = page(client, f"/projects/?campaign={tigris.slug}&country=IQ")
    assert "Literacy Boats" in html and "Nordic Twinning" not in html and "Workers School" not in html
    # The chosen filters stay chosen; unknown values show the whole list.
    assert '<option value="womens_group" selected>' in page(client, "/projects/?kind=womens_group")
    html = page(client, "/projects/?kind=nothing&country=12")
    assert "Literacy Boats" in html and "Nordic Twinning" in html and "Workers School" in html


def test_project_filters_look_like_the_directory_filters(app, client):
    with app_context(app):
        make_project(make_organization(), [make_campaign("Save the Tigris")], "River Project")
        db.session.commit()
    for url in ("/projects/", "/organizations/"):
        html = page(client, url)
        assert '<details class="filters"' in html
        for name in ("campaign", "country", "kind"):
            assert f'<select id="filter-{name}" name="{name}">' in html, (url, name)


def test_filtered_project_pages_keep_their_filters_in_the_page_links(app, client):
    with app_context(app):
        org = make_organization(country="NO")
        for n in range(25):
            make_project(org, [], f"Project {n}")
        db.session.commit()
    html = page(client, "/projects/?country=NO")
    assert "25 projects" in html
    assert "country=NO" in html.split('rel="next"')[0].rsplit("href=", 1)[1]


def test_project_list_for_unknown_campaign_is_404(client):
    assert client.get("/projects/?campaign=nothing-here").status_code == 404


@pytest.mark.parametrize(
    "status", [OrganizationStatus.PENDING, OrganizationStatus.REJECTED, OrganizationStatus.SUSPENDED]
)
def test_projects_of_unapproved_organizations_never_appear(app, client, status):
    with app_context(app):
        campaign = make_campaign()
        project = make_project(make_organization(status=status), [campaign], "Unapproved Project")
        db.session.commit()

    assert "Unapproved Project" not in page(client, "/projects/")
    assert "Unapproved Project" not in page(client, f"/projects/?campaign={campaign.slug}")
    assert client.get(f"/projects/{project.slug}").status_code == 404
    assert client.get(f"/projects/{project.id}").status_code == 404


def test_hidden_projects_never_appear(app, client):
    with app_context(app):
        project = make_project(make_organization(), [], "Hidden Project", hidden_at=db.func.now())
        db.session.commit()
    assert "Hidden Project" not in page(client, "/projects/")
    assert client.get(f"/projects/{project.slug}").status_code == 404


def test_project_page_by_slug_or_id(app, client):
    with app_context(app):
        campaign = make_campaign("Sports Against Violence")
        project = make_project(
            make_organization("Youth Club"),
            [campaign],
            "Football for Peace",
            description="Matches **across** lines.",
        )
        db.session.commit()

    for key in (project.slug, str(project.id)):
        html = page(client, f"/projects/{key}")
        assert '<h1 dir="auto">Football for Peace</h1>' in html
        assert "<strong>across</strong>" in html
        assert "Youth Club" in html and "Sports Against Violence" in html


def test_unknown_project_is_404(client):
    assert client.get("/projects/no-such-project").status_code == 404
    assert client.get("/projects/999999").status_code == 404


def test_projects_are_paginated_newest_first(app, client):
    with app_context(app):
        app.config["PAGE_SIZE"] = 2
        org = make_organization()
        for title in ("Oldest", "Middle", "Newest"):
            make_project(org, [], title)
        db.session.commit()

    first = page(client, "/projects/")
    assert "Newest" in first and "Middle" in first and "Oldest" not in first
    assert "Oldest" in page(client, "/projects/?page=2")
    assert client.get("/projects/?page=3").status_code == 404


def test_project_list_counts_only_up_to_a_bound_and_pages_on_with_next(app, client, monkeypatch):
    """The projects' total is counted up to PROJECTS_COUNT_LIMIT, as the directory's (a count of
    every visible project grows with the network): past it the page says "more than" and goes on
    with "Next"; the last page, once reached, is exact; filters are counted the same way."""
    from app.services import directory

    monkeypatch.setattr(directory, "PROJECTS_COUNT_LIMIT", 4)
    titles = [f"Bounded {letter}" for letter in "GFEDCBA"]  # made oldest first: listed A, B, ...
    with app_context(app):
        app.config["PAGE_SIZE"] = 2
        org = make_organization(country="IT")
        for title in titles:
            make_project(org, [], title)
        make_project(make_organization(country="IQ"), [], "Elsewhere")
        db.session.commit()

    first = page(client, "/projects/")
    assert "More than 4 projects" in first and "8 projects" not in first
    assert "Page 1 of more than 2" in first and 'rel="next"' in first
    last = page(client, "/projects/?page=4")
    assert "Page 4 of 4" in last and 'rel="next"' not in last
    assert client.get("/projects/?page=5").status_code == 404
    assert client.get("/projects/?page=0").status_code == 404
    assert "More than 4 projects" in page(client, "/projects/?country=IT")
    assert "1 project" in page(client, "/projects/?country=IQ")


def test_empty_project_list_says_what_to_do(client):
    assert "from their dashboard" in page(client, "/projects/")


def test_project_pages_run_a_constant_number_of_queries(app, client, count_queries):
    with app_context(app):
        campaigns = [make_campaign() for _ in range(4)]
        org = make_organization()
        first = make_project(org, campaigns[:1])
        busy = make_project(org, campaigns)
        db.session.commit()
    urls = [f"/projects/{p.slug}" for p in (first, busy)]
    campaign_ids = [c.id for c in campaigns]
    few_list = queries_for(client, count_queries, "/projects/")
    small, large = (queries_for(client, count_queries, url) for url in urls)
    assert small.count == large.count, (small, large)

    with app_context(app):
        campaigns = [db.session.get(Campaign, campaign_id) for campaign_id in campaign_ids]
        for n in range(30):
            make_project(make_organization(), campaigns[: 1 + n % 4])
        db.session.commit()
    many_list = queries_for(client, count_queries, "/projects/")
    assert few_list.count == many_list.count, (few_list, many_list)


def test_the_campaign_filter_offers_the_campaigns_with_the_most_projects_up_to_a_bound(
    app, client, count_queries
):
    """More campaigns than the bound: the projects page's filter offers those with the most
    (public) projects, none without any for a visitor, sorted by title in the page's language,
    says that others are left out (linked to the select), and always offers the selected one;
    one query of plain rows."""
    import re

    from app.models import CampaignTranslation
    from app.services import directory

    app.config["DIRECTORY_CAMPAIGN_CHOICES"] = 3
    with app_context(app):
        # Titles against the projects' order, so that sorting by title shows.
        for title, count in [("Delta", 5), ("Alpha", 4), ("Charlie", 3), ("Bravo", 2), ("Echo", 1)]:
            campaign = make_campaign(title, slug=title.lower())
            for _ in range(count):
                make_project(make_organization(), [campaign])
        make_campaign("Foxtrot", slug="foxtrot")  # no project
        charlie = db.session.scalar(db.select(Campaign).where(Campaign.slug == "charlie"))
        db.session.add(CampaignTranslation(campaign_id=charlie.id, locale="fr", title="Zoulou", summary="."))
        db.session.commit()

    def offered(html: str) -> list[str]:
        start = html.index('id="filter-campaign"')
        return re.findall(r'<option value="([a-z]+)"', html[start : html.index("</select>", start)])

    html = page(client, "/projects/")
    assert offered(html) == ["alpha", "charlie", "delta"]
    assert "The 3 campaigns with the most projects." in html
    assert 'aria-describedby="filter-campaign-note"' in html and '<label for="filter-campaign">' in html
    html = page(client, "/projects/?campaign=echo")
    assert offered(html) == ["alpha", "delta", "echo"]
    assert '<option value="echo" selected' in html
    assert "foxtrot" in offered(page(client, "/projects/?campaign=foxtrot"))
    html = page(client, "/projects/?lang=fr")
    assert offered(html) == ["alpha", "delta", "charlie"]
    assert '<option value="charlie" lang="fr">Zoulou</option>' in html
    app.config["DIRECTORY_CAMPAIGN_CHOICES"] = 40
    html = page(client, "/projects/?lang=en")
    assert offered(html) == ["alpha", "bravo", "charlie", "delta", "echo"]
    assert "campaigns with the most projects" not in html
    with app_context(app), count_queries() as counter:
        choices = directory.project_campaign_choices(None, None, "fr", 3)
    assert counter.count == 1 and choices.more and len(choices.items) == 3


def test_members_are_offered_campaigns_with_only_members_only_project_links(app):
    """A campaign whose projects are linked for members only has no public project: a visitor is
    not offered it (it would list nothing for them); a member is, after the busier ones."""
    from types import SimpleNamespace

    from app.models import LinkVisibility
    from app.services import directory

    with app_context(app):
        public = make_campaign("Public", slug="public")
        quiet = make_campaign("Quiet", slug="quiet")
        make_project(make_organization(), [public])
        make_project(make_organization(), [quiet], link_visibility=LinkVisibility.MEMBERS)
        db.session.commit()
        member = SimpleNamespace(is_authenticated=True, sees_members_only=True)
        assert [c.slug for c in directory.project_campaign_choices(None, None, "en", 40).items] == ["public"]
        assert [c.slug for c in directory.project_campaign_choices(None, member, "en", 40).items] == [
            "public",
            "quiet",
        ]
        # Under a bound of one, the member gets the busier one and the note.
        choices = directory.project_campaign_choices(None, member, "en", 1)
        assert [c.slug for c in choices.items] == ["public"] and choices.more


def test_project_cards_are_plain_rows_in_the_readers_language_with_only_the_links_they_may_see(
    app, client, auth, count_queries
):
    """The projects list reads its cards as plain columns (directory.ProjectCard): titles,
    summaries, organization names and campaign titles in the page's language where given, the
    members-only links for members only (with their badge), in three queries whatever the page
    holds."""
    from types import SimpleNamespace

    from app.models import CampaignTranslation, LinkVisibility, OrganizationTranslation, ProjectTranslation
    from app.services import directory
    from tests.builders import make_user

    with app_context(app):
        tigris = make_campaign("Save the Tigris", slug="tigris")
        quiet = make_campaign("Quiet Campaign", slug="quiet")
        db.session.add(
            CampaignTranslation(campaign_id=tigris.id, locale="fr", title="Sauver le Tigre", summary=".")
        )
        org = make_organization("River Friends")
        db.session.add(OrganizationTranslation(organization_id=org.id, locale="fr", name="Amis du fleuve"))
        project = make_project(org, [tigris], "Clean Water")
        make_project(org, [quiet], "Quiet Work", link_visibility=LinkVisibility.MEMBERS)
        db.session.add(
            ProjectTranslation(project_id=project.id, locale="fr", title="Eau propre", summary="De l'eau.")
        )
        for n in range(25):
            make_project(make_organization(), [tigris], f"Other {n}")
        member = make_user(make_organization("Member Org"))
        db.session.commit()
        member_email = member.email

    with app_context(app):
        with count_queries() as counter:
            cards = directory.project_cards_page(locale="fr", page=2).items
        assert counter.count == 3, counter
        with count_queries() as counter:
            assert len(directory.project_cards_page(locale="fr").items) == 20
        assert counter.count == 3, counter
        clean = next(card for card in cards if card.slug == project.slug)
        assert (clean.title, clean.title_lang, clean.summary, clean.summary_lang) == (
            "Eau propre",
            "fr",
            "De l'eau.",
            "fr",
        )
        assert clean.organization_name == "Amis du fleuve" and clean.organization_slug == org.slug
        assert [(c.slug, c.title, c.lang, c.is_public) for c in clean.campaigns] == [
            ("tigris", "Sauver le Tigre", "fr", True)
        ]
        quiet_work = next(card for card in cards if card.title == "Quiet Work")
        assert quiet_work.campaigns == ()  # a visitor never sees a members-only link
        member_view = SimpleNamespace(is_authenticated=True, sees_members_only=True)
        quiet_work = next(
            card
            for card in directory.project_cards_page(None, member_view, "en", 2).items
            if card.title == "Quiet Work"
        )
        assert [(c.slug, c.title, c.lang, c.is_public) for c in quiet_work.campaigns] == [
            ("quiet", "Quiet Campaign", "en", False)
        ]

    html = page(client, "/projects/?page=2&lang=fr")
    assert '<a href="/projects/' + project.slug + '">Eau propre</a>' in html
    assert "<bdi>Amis du fleuve</bdi>" in html and '<bdi lang="fr">Sauver le Tigre</bdi>' in html
    assert "Quiet Campaign" not in html  # neither on the card nor in the filter
    assert auth.login(member_email).status_code == 302
    html = page(client, "/projects/?page=2&lang=en")
    assert '<bdi lang="en">Quiet Campaign</bdi></a> <span class="badge badge-members">' in html

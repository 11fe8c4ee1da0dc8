"""Going dark: one confirmed step takes an organization out of every public view, and one
step brings it back.

The walk below opens, as a visitor and as a member of another organization, every GET route
of the application (with the organization's slug, its project's slug and the ids filled in),
the search and directory filters with the organization's words, and every link those pages
show; before the organization goes dark it finds it, afterwards nothing: not its name, slug,
logo address, description words, project, pledge message, nor its country among the
directory's filters. A route added later (an API, a feed, a sitemap) is walked too.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import re
from dataclasses import dataclass
from urllib.parse import unquote_plus, urlsplit

import pytest
import sqlalchemy as sa
from PIL import Image
from werkzeug.routing import BuildError

from app.extensions import db
from app.models import (
    AuditAction,
    AuditEntry,
    Organization,
    OrganizationStatus,
    PledgeVisibility,
)
from app.services import counters, going_dark, logos
from app.services.visibility import is_publicly_listed, publicly_listed
from tests.builders import (
    DEFAULT_PASSWORD,
    make_campaign,
    make_moderator,
    make_organization,
    make_pledge,
    make_project,
    make_user,
)
from tests.conftest import app_context, csrf_token_from, log_in, scalar
from tests.pages import page

# Words that appear nowhere else in the data, so that finding one means finding the organization.
NAME = "Qasab Lantern Collective"
SLUG = "qasab-lantern-collective"
DESCRIPTION_WORD = "Zubairquartz"
PROJECT_TITLE = "Mudhif Reedlight School"
PLEDGE_WORD = "Ahwarbellows"
COUNTRY = "IS"  # the only organization from Iceland: its country is a filter option
CONTACT = "qasab-contact@example.org"


@dataclass
class World:
    org_id: int
    owner_email: str
    other_member_email: str
    moderator_email: str
    campaign_slug: str
    hidden_campaign_slug: str
    project_slug: str
    project_id: int
    logo_url: str

    @property
    def traces(self) -> dict[str, str]:
        return {
            "name": NAME,
            "slug": SLUG,
            "logo address": self.logo_url,
            "description word": DESCRIPTION_WORD,
            "project title": PROJECT_TITLE,
            "project slug": self.project_slug,
            "pledge message": PLEDGE_WORD,
            "public contact": CONTACT,
        }


def small_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 40), (10, 90, 160)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def world(app) -> World:
    with app_context(app):
        tigris = make_campaign("Save the Tigris", slug="save-the-tigris")
        workers = make_campaign("Workers' Rights", slug="workers-rights")
        org = make_organization(
            NAME,
            slug=SLUG,
            country=COUNTRY,
            description=f"We light the marshes with {DESCRIPTION_WORD} lanterns.",
            contact_email=CONTACT,
            contact_email_visibility="public",
        )
        owner = make_user(org, email="owner@qasab.example.org")
        bystander = make_organization("Tigris Friends of Basra", slug="tigris-friends", country="IQ")
        other_member = make_user(bystander, email="friend@tigris.example.org")
        moderator = make_moderator("mod@example.org")
        make_pledge(bystander, tigris, message="We stand with the river.")
        make_pledge(
            org, tigris, visibility=PledgeVisibility.PUBLIC, message=f"For the {PLEDGE_WORD} of Basra."
        )
        make_pledge(org, workers, visibility=PledgeVisibility.MEMBERS)
        project = make_project(org, [tigris], PROJECT_TITLE, slug="mudhif-reedlight-school")
        db.session.commit()
        logos.replace_logo(org, io.BytesIO(small_png()), owner)
        db.session.commit()
    return World(
        org_id=org.id,
        owner_email=owner.email,
        other_member_email=other_member.email,
        moderator_email=moderator.email,
        campaign_slug=tigris.slug,
        hidden_campaign_slug=workers.slug,
        project_slug=project.slug,
        project_id=project.id,
        logo_url=f"/organizations/{SLUG}/logo",
    )


def organization(app, world: World) -> Organization:
    """The organization as the database holds it now (a snapshot)."""
    with app.app_context():
        return db.session.get(Organization, world.org_id)


def logged_in(app, email):
    client = app.test_client()
    response = log_in(client, email, DEFAULT_PASSWORD)  # moderators with their second step
    assert response.status_code == 302
    return client


# --- The walk ------------------------------------------------------------------------------------

MAX_PAGES = 250
_HREF = re.compile(r'(?:href|src|action)="(/[^"]*)"')


def route_urls(app, world: World) -> list[str]:
    """Every GET route, with each argument filled with the organization's values (and the others)."""
    samples = {
        "slug": [SLUG, world.campaign_slug, world.hidden_campaign_slug],
        "key": [world.project_slug, str(world.project_id)],
        "locale": ["ar"],
        "token": ["not-a-token"],
        "format": ["csv", "json"],  # the open-data exports
        "kind": ["campaign", "organization", "project"],  # what can be followed
        "number": [1, 2],  # the parts of a sitemap index
    }
    urls = []
    adapter = app.url_map.bind("localhost")
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        choices = []
        for argument in sorted(rule.arguments):
            if argument in samples:
                choices.append([(argument, value) for value in samples[argument]])
            elif argument.endswith("_id") or argument == "id":
                choices.append([(argument, value) for value in (world.org_id, world.project_id)])
            else:
                choices.append([(argument, SLUG)])
        for values in itertools.product(*choices):
            # A converter that refuses this sample value (an <any(...)> choice) builds nothing.
            with contextlib.suppress(BuildError):
                urls.append(adapter.build(rule.endpoint, dict(values), method="GET"))
    return urls


def query_urls(world: World) -> list[str]:
    """Search and filters typed with the organization's own words."""
    words = [NAME, "Qasab", DESCRIPTION_WORD, SLUG, PROJECT_TITLE, "Reedlight", PLEDGE_WORD]
    urls = []
    for word in words:
        urls += [f"/search?q={word}", f"/organizations/?q={word}"]
        urls += [f"/search?type={kind}&q={word}" for kind in ("organizations", "campaigns", "projects")]
    urls += [
        f"/organizations/?country={COUNTRY}",
        "/organizations/?kind=ngo",
        f"/organizations/?campaign={world.campaign_slug}",
        f"/organizations/?campaign={world.hidden_campaign_slug}",
        f"/projects/?campaign={world.campaign_slug}",
    ]
    return urls


def walk(client, world: World) -> dict[str, str]:
    """{url: what it showed} for every page reached from the routes, the queries and their links."""
    seen: dict[str, str] = {}
    queue = route_urls(client.application, world) + query_urls(world)
    while queue and len(seen) < MAX_PAGES:
        url = queue.pop(0)
        if url in seen:
            continue
        response = client.get(url)
        shown = response.headers.get("Location", "") + "\n"
        if response.status_code == 200 and response.mimetype.startswith(("text/", "application/json")):
            shown += response.get_data(as_text=True)
        elif response.status_code == 200:
            shown += f"[{response.mimetype} served at {url}]"  # a logo, a download...
        seen[url] = shown
        if response.status_code != 200 or not response.mimetype.startswith("text/html"):
            continue
        for link in _HREF.findall(shown):
            link = link.replace("&amp;", "&")
            path = urlsplit(link).path
            # Other languages and later pages repeat what this page shows; forms are not pages.
            if "lang=" in link or path.startswith(("/static/", "/auth/", "/account/", "/moderation/")):
                continue
            if link not in seen:
                queue.append(link)
    return seen


def traces_found(pages: dict[str, str], world: World) -> dict[str, list[str]]:
    """{trace: the pages showing it}. A page that only repeats what its own address holds (the
    words searched for, a login redirect's ``next``) does not count for that trace."""
    found = {}
    for label, trace in world.traces.items():
        where = [
            url
            for url, shown in pages.items()
            if trace.lower() in shown.lower() and trace.lower() not in unquote_plus(url).lower()
        ]
        if where:
            found[label] = where
    # The directory's country filter lists only countries of organizations in it.
    directory = [url for url, shown in pages.items() if url.startswith("/organizations/")]
    with_country = [url for url in directory if f'value="{COUNTRY}"' in pages[url]]
    if with_country:
        found["country filter"] = with_country
    return found


ALL_TRACES = {"name", "slug", "logo address", "description word", "project title", "project slug"}


def go_dark_as_owner(app, world: World) -> None:
    owner = logged_in(app, world.owner_email)
    assert owner.post("/account/dark", data={"confirm": "y"}).status_code == 302


def delist_as_moderator(app, world: World) -> None:
    moderator = logged_in(app, world.moderator_email)
    response = moderator.post(
        f"/moderation/organizations/{world.org_id}/delist", data={"reason": "Threats reported."}
    )
    assert response.status_code == 302


def ask_for_deletion(app, world: World) -> None:
    owner = logged_in(app, world.owner_email)
    response = owner.post("/account/organization/delete", data={"password": DEFAULT_PASSWORD, "confirm": "y"})
    assert response.status_code == 302


HIDE = {"dark": go_dark_as_owner, "delisted": delist_as_moderator, "deleting": ask_for_deletion}


@pytest.mark.parametrize("how", HIDE)
def test_a_visitor_finds_no_trace_of_an_organization_out_of_public_view(app, world, how):
    visitor = app.test_client()
    before = traces_found(walk(visitor, world), world)
    assert ALL_TRACES | {"pledge message", "public contact", "country filter"} <= set(before)

    HIDE[how](app, world)

    after = traces_found(walk(visitor, world), world)
    assert after == {}, f"still visible after going out of public view ({how}): {after}"
    assert visitor.get(world.logo_url).status_code == 404
    assert visitor.get(f"/organizations/{SLUG}").status_code == 404
    assert visitor.get(f"/projects/{world.project_slug}").status_code == 404


def test_members_of_other_organizations_find_no_trace_either(app, world):
    other = logged_in(app, world.other_member_email)
    before = walk(other, world)
    # A member sees the members-only pledge too.
    assert NAME in page(other, f"/campaigns/{world.hidden_campaign_slug}")
    assert set(traces_found(before, world)) >= ALL_TRACES

    go_dark_as_owner(app, world)

    assert traces_found(walk(other, world), world) == {}
    assert other.get(f"/organizations/{SLUG}").status_code == 404
    assert NAME not in page(other, f"/campaigns/{world.hidden_campaign_slug}")


def test_the_page_cache_forgets_the_organization_when_it_goes_dark(make_app, world):
    cached = make_app(PAGE_CACHE=True)
    visitor = cached.test_client()
    for url in ("/", f"/campaigns/{world.campaign_slug}", "/organizations/", f"/search?q={DESCRIPTION_WORD}"):
        assert NAME in visitor.get(url).get_data(as_text=True), url
    go_dark_as_owner(cached, world)
    for url in ("/", f"/campaigns/{world.campaign_slug}", "/organizations/", f"/search?q={DESCRIPTION_WORD}"):
        assert NAME not in visitor.get(url).get_data(as_text=True), url


# --- One predicate -------------------------------------------------------------------------------


def test_the_sql_and_python_forms_of_the_rule_agree_on_every_combination(app_ctx):
    from app.models.base import utcnow

    cases = list(
        itertools.product(list(OrganizationStatus), [None, utcnow()], [None, utcnow()], [None, utcnow()])
    )
    orgs = []
    for status, dark, delisted, deleting in cases:
        org = make_organization(status=status)
        org.dark_at, org.delisted_at, org.deletion_requested_at = dark, delisted, deleting
        orgs.append(org)
    db.session.commit()
    listed_ids = set(db.session.scalars(sa.select(Organization.id).where(publicly_listed(Organization))))
    assert {org.id for org in orgs if is_publicly_listed(org)} == listed_ids
    assert len(listed_ids) == 1  # approved, and none of the three


# --- The step itself -----------------------------------------------------------------------------


def test_going_dark_asks_for_confirmation_and_a_missing_tick_changes_nothing(app, world):
    owner = logged_in(app, world.owner_email)
    page_html = page(owner, "/account/dark")
    assert "out of public view" in page_html
    assert 'name="confirm"' in page_html

    response = owner.post("/account/dark", data={})
    assert response.status_code == 400
    assert "Tick the box to confirm." in response.get_data(as_text=True)
    assert organization(app, world).dark_at is None


def test_going_dark_needs_this_sessions_csrf_token(make_app, world):
    csrf_app = make_app(WTF_CSRF_ENABLED=True)
    owner = csrf_app.test_client()
    token = csrf_token_from(owner, "/auth/login")
    owner.post(
        "/auth/login", data={"email": world.owner_email, "password": DEFAULT_PASSWORD, "csrf_token": token}
    )
    assert owner.post("/account/dark", data={"confirm": "y"}).status_code == 400
    token = csrf_token_from(owner, "/account/dark")
    assert owner.post("/account/dark", data={"confirm": "y", "csrf_token": token}).status_code == 302
    assert organization(csrf_app, world).dark_at is not None


def test_only_an_owner_takes_the_organization_out_of_view(app, world):
    with app_context(app):
        colleague = make_user(
            db.session.get(Organization, world.org_id), email="colleague@qasab.example.org", is_owner=False
        )
        db.session.commit()
    client = logged_in(app, colleague.email)
    assert client.get("/account/dark").status_code == 403
    assert client.post("/account/dark", data={"confirm": "y"}).status_code == 403
    assert organization(app, world).dark_at is None


def test_moderators_are_told_by_a_mail_that_does_not_name_the_organization(app, world, outbox):
    go_dark_as_owner(app, world)
    to_moderators = [m for m in outbox if m.recipients == [world.moderator_email]]
    assert len(to_moderators) == 1
    message = to_moderators[0]
    assert f"#{world.org_id}" in message.body
    assert f"/moderation/organizations/{world.org_id}" in message.body
    assert NAME not in message.body + message.subject and SLUG not in message.body
    assert "Nothing needs your approval" in message.body
    # The organization's people are told too (a stolen session's doing would not go unseen).
    assert any(m.recipients == [world.owner_email] for m in outbox)
    entry = scalar(app, sa.select(AuditEntry).where(AuditEntry.action == AuditAction.ORGANIZATION_WENT_DARK))
    assert entry.organization_id == world.org_id


def test_coming_back_is_one_step_with_the_password(app, world, outbox):
    go_dark_as_owner(app, world)
    owner = logged_in(app, world.owner_email)
    visitor = app.test_client()

    wrong = owner.post("/account/dark/back", data={"password": "not my password at all"})
    assert wrong.status_code == 400
    with app_context(app):
        org = db.session.get(Organization, world.org_id)
        assert org.dark_at is not None
        assert org.users[0].failed_login_count == 1  # counted like a failed login

    assert owner.post("/account/dark/back", data={"password": DEFAULT_PASSWORD}).status_code == 302
    assert NAME in page(visitor, f"/organizations/{SLUG}")
    assert NAME in page(visitor, f"/campaigns/{world.campaign_slug}")
    assert any("back in public view" in m.subject for m in outbox if m.recipients == [world.moderator_email])


# --- Numbers -------------------------------------------------------------------------------------

_TOTAL = re.compile(r'<span class="count-number">(\d+)</span>')


def total_on(client, campaign_slug) -> int:
    return int(_TOTAL.search(page(client, f"/campaigns/{campaign_slug}")).group(1))


def refresh_counters(app) -> None:
    with app_context(app):
        counters.refresh()
        db.session.commit()


def test_public_pledges_leave_the_totals_at_once_hidden_ones_at_the_next_refresh(app, world):
    visitor = app.test_client()
    assert total_on(visitor, world.campaign_slug) == 2  # bystander + the public pledge
    assert total_on(visitor, world.hidden_campaign_slug) == 1  # the members-only pledge

    go_dark_as_owner(app, world)
    # The public pledge was visibly the organization's: it goes with its name. The members-only
    # one waits, so that no total moves at the moment the organization goes dark.
    assert total_on(visitor, world.campaign_slug) == 1
    assert total_on(visitor, world.hidden_campaign_slug) == 1

    refresh_counters(app)
    assert total_on(visitor, world.hidden_campaign_slug) == 0
    with app_context(app):
        assert counters.stored_counts() == counters.computed_counts()

    owner = logged_in(app, world.owner_email)
    owner.post("/account/dark/back", data={"password": DEFAULT_PASSWORD})
    assert total_on(visitor, world.campaign_slug) == 2
    assert total_on(visitor, world.hidden_campaign_slug) == 0
    refresh_counters(app)
    assert total_on(visitor, world.hidden_campaign_slug) == 1


# --- The moderator's emergency delisting -----------------------------------------------------------


def test_a_moderator_delists_with_a_reason_in_the_log_and_the_members_read_it(app, world, outbox):
    moderator = logged_in(app, world.moderator_email)
    refused = moderator.post(f"/moderation/organizations/{world.org_id}/delist", data={"reason": ""})
    assert refused.status_code == 400
    assert organization(app, world).delisted_at is None

    delist_as_moderator(app, world)
    assert organization(app, world).delisted_at is not None
    entry = scalar(app, sa.select(AuditEntry).where(AuditEntry.action == AuditAction.ORGANIZATION_DELISTED))
    assert entry.reason == "Threats reported." and entry.actor_email == world.moderator_email
    assert "Threats reported." in page(moderator, "/moderation/log")
    to_owner = [m for m in outbox if m.recipients == [world.owner_email]]
    assert to_owner and "Threats reported." in to_owner[-1].body
    owner = logged_in(app, world.owner_email)
    assert "Threats reported." in page(owner, "/account/")

    # The owners cannot lift it; a moderator can.
    assert owner.post("/account/dark/back", data={"password": DEFAULT_PASSWORD}).status_code == 400
    assert moderator.post(f"/moderation/organizations/{world.org_id}/relist", data={}).status_code == 302
    assert NAME in page(app.test_client(), f"/organizations/{SLUG}")


def test_lifting_a_delisting_leaves_an_organization_that_went_dark_out_of_view(app, world):
    go_dark_as_owner(app, world)
    delist_as_moderator(app, world)
    moderator = logged_in(app, world.moderator_email)
    moderator.post(f"/moderation/organizations/{world.org_id}/relist", data={})
    assert app.test_client().get(f"/organizations/{SLUG}").status_code == 404


def test_the_services_refuse_people_who_may_not(app, world):
    from app.services import NotAllowed

    with app_context(app):
        org = db.session.get(Organization, world.org_id)
        member = db.session.scalar(
            sa.select(Organization).where(Organization.slug == "tigris-friends")
        ).users[0]
        with pytest.raises(NotAllowed):
            going_dark.go_dark(org, member)
        with pytest.raises(NotAllowed):
            going_dark.delist(member, org, "because")

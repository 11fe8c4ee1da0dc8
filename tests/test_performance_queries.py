"""Every public page runs a small, fixed number of queries, whatever the size of the network.

The pages are measured on a synthetic network, then again after it grew (more
organizations, pledges and projects on the very campaign, organization and project the
pages show): the counts must not move, and none may exceed MAX_QUERIES.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Campaign, Organization, OrganizationStatus, PledgeVisibility, Project
from app.seeding import large_data
from tests.builders import make_organization, make_pledge, make_project, make_user
from tests.conftest import AuthActions, app_context

MAX_QUERIES = 8


def page_urls(app) -> dict[str, str]:
    with app_context(app):
        return _page_urls()


def _page_urls() -> dict[str, str]:
    approved = Organization.status == OrganizationStatus.APPROVED
    campaign = db.session.scalar(sa.select(Campaign).order_by(Campaign.supporter_count.desc()))
    org = db.session.scalar(sa.select(Organization).where(approved).order_by(Organization.id))
    project = db.session.scalar(
        sa.select(Project).join(Project.organization).where(Project.hidden_at.is_(None), approved)
    )
    return {
        "home": "/",
        "campaign list": "/campaigns/",
        "campaign page": f"/campaigns/{campaign.slug}",
        "campaign page 2": f"/campaigns/{campaign.slug}?page=2",
        "directory": "/organizations/",
        "directory page 3": "/organizations/?page=3",
        "directory search and filters": f"/organizations/?q=baghdad&kind={org.kind.value}&country=IQ",
        "directory by campaign": f"/organizations/?campaign={campaign.slug}",
        "organization": f"/organizations/{org.slug}",
        "projects": "/projects/",
        "projects of a campaign": f"/projects/?campaign={campaign.slug}",
        "projects by country and kind": (
            f"/projects/?country={project.organization.country}&kind={project.organization.kind.value}"
        ),
        "project": f"/projects/{project.slug}",
        "search": "/search?q=water",
        "search one kind": "/search?q=water&type=projects",
    }


def measure(client, count_queries, urls: dict[str, str]) -> dict[str, int]:
    counts = {}
    for name, url in urls.items():
        with count_queries() as counter:
            response = client.get(url)
        assert response.status_code == 200, (name, url, response.status_code)
        counts[name] = counter.count
    return counts


def grow(app) -> None:
    """Add rows around what the pages show: they must not cost a query more."""
    with app_context(app):
        _grow()


def _grow() -> None:
    campaign = db.session.scalar(sa.select(Campaign).order_by(Campaign.supporter_count.desc()))
    first = db.session.scalar(sa.select(Organization).order_by(Organization.id))
    for n in range(30):
        org = make_organization(f"Baghdad Water Growth {n}", kind=first.kind, country="IQ")
        make_pledge(org, campaign, visibility=PledgeVisibility.PUBLIC if n % 2 else PledgeVisibility.MEMBERS)
        make_project(org, [campaign], title=f"Water project {n}")
    for n in range(5):
        make_project(first, [campaign], title=f"More water {n}")
    # Upcoming gatherings, more than the home page shows: its block stays one query (issue #19).
    from tests.gathering_support import make_gathering

    for n in range(5):
        make_gathering(f"Water forum {n}", days_ahead=5 + n)
    db.session.commit()


def test_public_pages_cost_the_same_few_queries_at_any_size(app, client, count_queries):
    with app_context(app):
        large_data.generate(scale=0.005)
        db.session.commit()
    urls = page_urls(app)
    before = measure(client, count_queries, urls)
    grow(app)
    after = measure(client, count_queries, urls)

    assert after == before
    too_many = {name: n for name, n in after.items() if n > MAX_QUERIES}
    assert not too_many, too_many


@pytest.mark.parametrize("who", ["member", "moderator"])
def test_logged_in_pages_stay_within_the_bound(app, client, auth, count_queries, who):
    with app_context(app):
        large_data.generate(scale=0.005)
        if who == "member":
            org = make_organization("Member Org")
            # Long a member: not among the home page's newest, before or after the growth (else
            # the identity map would spare the lazy load of current_user.organization only once).
            org.approved_at = datetime(2020, 1, 1, tzinfo=UTC)
            user = make_user(org)
        else:
            from tests.builders import make_moderator

            user = make_moderator()
        db.session.commit()
    auth.login(user.email)
    urls = page_urls(app)
    counts = measure(client, count_queries, urls)
    grow(app)
    assert measure(client, count_queries, urls) == counts
    # Showing another organization's private contact details writes one access-log row (an upsert).
    # The offers and needs a member may read (app/services/offers.py) cost one query more on the
    # campaign and organization pages, the projects an organization co-sponsors one more on its
    # profile (issue #20). Campaign life (issue #17): a logged-in viewer's follow button asks
    # whether they follow (one query) on the campaign, organization and project pages; the
    # campaign page also reads its updates (one query with their words), its coordinators (one)
    # and whether the viewer is one of them (asked with the follow question, in one select).
    # The project and campaign pages read three columns of their subject for the reader's parts,
    # then (when the body is not shared already, as here without the fragment cache) the whole
    # project or campaign: one more.
    bounds = {
        "organization": MAX_QUERIES + 4,
        "campaign page": MAX_QUERIES + 4,
        "campaign page 2": MAX_QUERIES + 4,
        "project": MAX_QUERIES + 1,
    }
    too_many = {name: n for name, n in counts.items() if n > bounds.get(name, MAX_QUERIES)}
    assert not too_many, too_many


def test_supporter_pages_follow_each_other_by_cursor_at_any_depth(app, client, count_queries):
    import re

    from tests.builders import make_campaign

    app.config["PAGE_SIZE"] = 3
    with app_context(app):
        campaign = make_campaign("Deep", slug="deep")
        for n in range(10):
            make_pledge(make_organization(f"Supporter {n:02d}"), campaign)
        make_pledge(make_organization("Quiet Supporter"), campaign, visibility=PledgeVisibility.COUNTED)
        db.session.commit()

    seen, url, costs = [], "/campaigns/deep", set()
    while url:
        with count_queries() as counter:
            html = client.get(url).get_data(as_text=True)
        costs.add(counter.count)
        seen += re.findall(r"Supporter \d\d", html)
        assert "chose not to be named publicly" in html
        older = re.search(r'href="([^"]+)" rel="next"', html)
        url = older.group(1).replace("&amp;", "&") if older else None
    assert seen == [f"Supporter {n:02d}" for n in reversed(range(10))]
    assert len(costs) == 1  # the last page costs what the first does

    assert client.get("/campaigns/deep?after=garbage").status_code == 400
    assert client.get("/campaigns/deep?after=1.1").status_code == 404  # before every pledge: empty
    assert "Supporter 06" in client.get("/campaigns/deep?page=2").get_data(as_text=True)


# With the fragment cache (app/fragments.py) a logged-in reader's page runs only what is theirs:
# the session's user (one query with their login record and organization; a moderator's header
# counts the waiting applications once per generation of the public tables, as the fragments are
# kept, so not on a shared page), the page's own row where the view needs it (three columns of
# the campaign for the pledge panel, the organization for its contact details, the campaign a
# projects filter names) and what is per reader (their pledge; the access log's upsert).
OWN_QUERIES = {"member": 1, "moderator": 1}
# The reader's own parts of each page: the campaign page reads three columns of the campaign
# with whether the reader coordinates it (moderators always do), whether they follow it and the
# id of their organization's pledge there, in one select (the pledge itself only when there is
# one: this member has none); a profile records shown contact details and asks
# whether they follow the organization; a project page reads three columns of the project (no ORM
# object, no links) and whether the reader follows it.
PAGE_QUERIES = {
    "campaign page": 1,
    "campaign page 2": 1,
    "organization": 3,
    "project": 2,
    "projects of a campaign": 1,
}


@pytest.mark.parametrize("who", ["member", "moderator"])
def test_logged_in_pages_with_shared_fragments_run_only_their_own_queries(app, make_app, tmp_path, who):
    # `app`: its teardown empties the tables this test fills.
    from tests.builders import make_moderator
    from tests.conftest import NOT_COUNTED, log_in

    application = make_app(
        PAGE_CACHE=True, PAGE_CACHE_GENERATION_FILE=str(tmp_path / "generation"), SITE_URL="http://localhost"
    )
    with app_context(application):
        large_data.generate(scale=0.005)
        if who == "member":
            org = make_organization("Member Org")
            org.approved_at = datetime(2020, 1, 1, tzinfo=UTC)
            user = make_user(org)
        else:
            user = make_moderator()
        db.session.commit()
    client = application.test_client()
    assert log_in(client, user.email).status_code == 302
    urls = page_urls(application)
    with application.app_context():
        engine = db.engine

    def measure_shared() -> dict[str, int]:
        counts = {}
        for name, url in urls.items():
            assert client.get(url).status_code == 200  # rendered once, the fragment stored...
            statements: list[str] = []

            def record(conn, cursor, statement, parameters, context, executemany, statements=statements):
                if not statement.lstrip().upper().startswith(NOT_COUNTED):
                    statements.append(statement)

            sa.event.listen(engine, "before_cursor_execute", record)
            try:
                assert client.get(url).status_code == 200  # ...and shared from then on
            finally:
                sa.event.remove(engine, "before_cursor_execute", record)
            counts[name] = len(statements)
        return counts

    before = measure_shared()
    grow(application)  # a public write: every fragment is rendered again, at the new size
    assert measure_shared() == before
    expected = {name: OWN_QUERIES[who] + PAGE_QUERIES.get(name, 0) for name in urls}
    assert before == expected


def test_a_logged_in_request_that_needs_no_user_runs_no_query(app, client, auth, count_queries):
    """The session's limits are decided from the signed session and the headers from its
    cookie: a static file (as the app's empty route) costs a logged-in member or moderator no
    query."""
    from tests.builders import make_moderator

    with app_context(app):
        member = make_user(make_organization("Quiet Org"))
        moderator = make_moderator()
        db.session.commit()
    for user in (member, moderator):
        browser = app.test_client()
        assert AuthActions(browser).login(user.email).status_code == 302
        with count_queries() as counter:
            response = browser.get("/static/css/tadamun.css")
        assert response.status_code == 200
        assert counter.count == 0, counter
        with count_queries() as counter:
            assert browser.get("/account/").status_code == 200
        assert counter.count >= 1  # a page that needs the user loads it


# Gatherings ----------------------------------------------------------------------------------

# A gathering's page read in another language than English costs two queries more: the
# gathering's texts and its programme's titles and speakers in that language (one each); a
# moderator's reaches 13.
GATHERING_MAX_QUERIES = 13


def _grow_gathering(gathering_id: int, n: int) -> None:
    """``n`` more organizations register (publicly), organize or support, and sessions are added."""
    from datetime import timedelta

    from app.models import (
        Gathering,
        GatheringOrganization,
        GatheringRole,
        GatheringSession,
        GatheringSessionTranslation,
        Registration,
        RegistrationState,
        RegistrationType,
    )

    gathering = db.session.get(Gathering, gathering_id)
    type_id = db.session.scalar(
        sa.select(RegistrationType.id).where(RegistrationType.gathering_id == gathering_id)
    )
    for i in range(n):
        org = make_organization()
        user = make_user(org)
        db.session.add(
            Registration(
                gathering_id=gathering_id,
                registration_type_id=type_id,
                organization_id=org.id,
                user_id=user.id,
                state=RegistrationState.CONFIRMED,
                visibility=PledgeVisibility.PUBLIC,
                dietary_needs="none",
            )
        )
        role = GatheringRole.ORGANIZER if i % 2 else GatheringRole.SUPPORTER
        db.session.add(GatheringOrganization(gathering_id=gathering_id, organization_id=org.id, role=role))
        # Half the sessions have their title in Arabic (the programme's translations, issue #19).
        translations = [GatheringSessionTranslation(locale="ar", title=f"جلسة {i}")] if i % 2 else []
        db.session.add(
            GatheringSession(
                gathering_id=gathering_id,
                title=f"Session {i}",
                starts_at=gathering.starts_at + timedelta(hours=i),
                ends_at=gathering.starts_at + timedelta(hours=i + 1),
                translations=translations,
            )
        )
    db.session.commit()


def test_gathering_pages_cost_the_same_few_queries_at_any_size(app, count_queries):
    from tests.builders import make_moderator
    from tests.conftest import log_in
    from tests.gathering_support import make_gathering

    with app_context(app):
        upcoming = make_gathering("Forum", slug="forum", capacity=500)
        past = make_gathering("Conference", slug="conference", days_ahead=-300, capacity=500)
        make_user(make_organization(), email="member@example.org")
        make_moderator("mod@example.org")
        db.session.commit()
        ids = (upcoming.id, past.id)
        session_id = upcoming.sessions[0].id
    urls = {
        "gatherings": "/gatherings/",
        "past gatherings": "/gatherings/past",
        "gathering": "/gatherings/forum",
        "past gathering": "/gatherings/conference",
        "outcome": "/gatherings/conference/outcome",
        "gathering calendar": "/gatherings/forum/calendar.ics",
        "session calendar": f"/gatherings/forum/sessions/{session_id}/calendar.ics",
        "calendar feed": "/gatherings/calendar.ics",
        # In Arabic: the programme's titles and speakers in the reader's language (one query).
        "gathering in Arabic": "/gatherings/forum?lang=ar",
        "session calendar in Arabic": f"/gatherings/forum/sessions/{session_id}/calendar.ics?lang=ar",
        "gathering in English": "/gatherings/forum?lang=en",
    }
    organizer_urls = {
        "registrants": "/gatherings/forum/registrants",
        "export": "/gatherings/forum/registrants.csv",
        "manage": "/gatherings/forum/manage",
        "translation with the programme": "/gatherings/forum/translations/ar",
    }
    clients = {"visitor": app.test_client(), "member": app.test_client(), "moderator": app.test_client()}
    log_in(clients["member"], "member@example.org")
    log_in(clients["moderator"], "mod@example.org")

    def all_counts():
        counts = {}
        for who, client in clients.items():
            for name, count in measure(client, count_queries, urls).items():
                counts[f"{name} as {who}"] = count
        for name, count in measure(clients["moderator"], count_queries, organizer_urls).items():
            counts[f"{name} as organizer"] = count
        return counts

    small = all_counts()
    with app_context(app):
        for gathering_id in ids:
            _grow_gathering(gathering_id, 30)
    large = all_counts()
    assert large == small
    assert max(small.values()) <= GATHERING_MAX_QUERIES, small


@pytest.mark.parametrize("who", ["member", "moderator"])
def test_notification_pages_cost_the_same_few_queries_however_many_notifications(
    app, client, auth, count_queries, who
):
    """The notification settings (choices on the user's row, one look for a bounce) and the
    notifications page (the latest events in one query, their words decided when they happened)."""
    from app.services import notifications
    from tests.builders import make_moderator

    with app_context(app):
        org = make_organization("Member Org")
        user = make_user(org) if who == "member" else make_moderator()
        db.session.commit()
    auth.login(user.email)
    urls = {"settings": "/notifications/settings", "notifications": "/notifications/"}
    before = measure(client, count_queries, urls)
    with app_context(app):
        org = db.session.get(Organization, org.id)
        for n in range(30):
            applicant = make_organization(f"Applicant {n}", status=OrganizationStatus.PENDING)
            notifications.application_submitted(applicant)
            notifications.organization_decided(org, "approved")
            notifications.mark_bounced(f"someone{n}@example.org")
        db.session.commit()
    assert measure(client, count_queries, urls) == before
    assert max(before.values()) <= MAX_QUERIES, before


# Solidarity (issue #20): introductions, co-sponsorship, joint statements ---------------------

SOLIDARITY_MAX_QUERIES = 12


def _grow_solidarity(ids: dict[str, int], n: int) -> None:
    """``n`` more organizations: each asks the member's organization for an introduction and is
    asked by it (every status), is invited to co-sponsor its project and invites it to theirs,
    and signs both statements (named or counted only)."""
    from app.models import (
        CosponsorStatus,
        Introduction,
        IntroductionStatus,
        ProjectCosponsor,
        StatementSignature,
    )

    statuses = list(IntroductionStatus)
    cosponsor_statuses = list(CosponsorStatus)
    for i in range(n):
        org = make_organization(country="IQ" if i % 2 else "IT")
        org.contact_email = f"contact{org.id}@example.org"
        user = make_user(org)
        project = make_project(org, [], title=f"Partner project {org.id}")
        status = statuses[i % len(statuses)]
        for requester, recipient in ((org.id, ids["org"]), (ids["org"], org.id)):
            db.session.add(
                Introduction(
                    requester_id=requester, recipient_id=recipient, message=f"Hello {i}", status=status,
                    requester_fields="contact_email", recipient_fields="contact_email",
                )
            )  # fmt: skip
        state = cosponsor_statuses[i % len(cosponsor_statuses)]
        db.session.add(ProjectCosponsor(project_id=ids["project"], organization_id=org.id, status=state))
        db.session.add(ProjectCosponsor(project_id=project.id, organization_id=ids["org"], status=state))
        for statement_id in (ids["open"], ids["closed"]):
            db.session.add(
                StatementSignature(
                    statement_id=statement_id, organization_id=org.id, signed_by_id=user.id,
                    named=bool(i % 2), version=1,
                )
            )  # fmt: skip
    db.session.commit()


def test_solidarity_pages_cost_the_same_few_queries_at_any_size(app, count_queries):
    from datetime import timedelta

    from app.models import JointStatement
    from app.models.base import utcnow
    from app.services import statements
    from tests.builders import make_campaign, make_moderator
    from tests.conftest import log_in

    with app_context(app):
        campaign = make_campaign("Save the Tigris", slug="save-the-tigris")
        moderator = make_moderator("mod@example.org")
        org = make_organization("River Keepers", slug="river-keepers")
        org.contact_email = "keepers@example.org"
        make_user(org, email="member@example.org")
        project = make_project(org, [campaign], "Reed Beds", slug="reed-beds")
        other = make_organization("Lawyers Abroad", slug="lawyers-abroad")
        texts = {"en": ("Water is life", "The Tigris must flow."), "ar": ("الماء حياة", "يجب أن يجري دجلة.")}
        deadline = utcnow() + timedelta(days=3)
        opened = statements.publish(moderator, campaign, deadline=deadline, allow_counted=True, texts=texts)
        closed = statements.publish(moderator, campaign, deadline=deadline, allow_counted=True, texts=texts)
        statements.revise(moderator, opened, {"en": ("Water is life, again", "Flow.")})
        db.session.flush()
        closed_id = closed.id
        ids = {"org": org.id, "project": project.id, "open": opened.id, "closed": closed.id}
        _grow_solidarity(ids, 2)
        statements.sign(db.session.merge(org.users[0]), opened, named=True)
        db.session.commit()
        other_slug = other.slug
    with app_context(app):
        db.session.get(JointStatement, closed_id).deadline = utcnow() - timedelta(minutes=1)
        db.session.commit()
    statement = f"/solidarity/statements/{ids['open']}"
    frozen = f"/solidarity/statements/{ids['closed']}"
    member_urls = {
        "introductions": "/solidarity/introductions",
        "ask for an introduction": f"/solidarity/introductions/ask/{other_slug}",
        "invite co-sponsors": f"/solidarity/projects/{ids['project']}/cosponsors",
        "co-sponsorships": "/solidarity/cosponsorships",
        "statement (signed an earlier version)": statement,
        "campaign statements": "/solidarity/campaigns/save-the-tigris/statements",
    }
    public_urls = {
        "statement": statement,
        "frozen statement": frozen,
        "statement PDF": f"{frozen}/statement.pdf",
        "statement CSV": f"{frozen}/signatories.csv",
    }
    coordinator_urls = {"revise statement": f"{statement}/revise", "statement": statement}
    clients = {"visitor": app.test_client(), "member": app.test_client(), "moderator": app.test_client()}
    log_in(clients["member"], "member@example.org")
    log_in(clients["moderator"], "mod@example.org")

    def all_counts():
        counts = {}
        for name, count in measure(clients["member"], count_queries, member_urls).items():
            counts[f"{name} as member"] = count
        for who, client in clients.items():
            for name, count in measure(client, count_queries, public_urls).items():
                counts[f"{name} as {who}"] = count
        for name, count in measure(clients["moderator"], count_queries, coordinator_urls).items():
            counts[f"{name} as coordinator"] = count
        return counts

    small = all_counts()
    with app_context(app):
        _grow_solidarity(ids, 18)
    large = all_counts()
    assert large == small
    assert max(small.values()) <= SOLIDARITY_MAX_QUERIES, small


def test_the_notifications_page_costs_the_same_however_many_follower_items_and_pages(
    app, client, auth, count_queries
):
    """Supporters and projects heard of at once are looked up again, through the visibility rules,
    for the whole page at once (app/services/notifications.py, _visible_targets); the older
    pages cost what the first does."""
    from app.services import following, notifications
    from tests.builders import make_campaign

    with app_context(app):
        campaign = make_campaign("Followed")
        reader = make_user(make_organization("Reader Org"))
        following.follow(reader, "campaign", campaign)
        wanted = notifications.choices_of(reader)
        wanted.update(supporter="now", project="now")
        notifications.set_choices(reader, wanted)
        db.session.commit()
        campaign_id, email = campaign.id, reader.email

    def grow(start: int, n: int) -> None:
        with app_context(app):
            followed = db.session.get(Campaign, campaign_id)
            for i in range(start, start + n):
                org = make_organization(f"Supporter {i}")
                notifications.supporter_added(make_pledge(org, followed))
                notifications.project_linked(make_project(org, [followed], f"Project {i}"), {followed.id})
            db.session.commit()

    grow(0, 1)
    auth.login(email)
    urls = {"first": "/notifications/", "older": "/notifications/?page=2"}
    grow(1, 1)
    small = measure(client, count_queries, {"first": urls["first"]})
    grow(2, 30)
    large = measure(client, count_queries, urls)
    assert large["first"] == small["first"]
    assert large["older"] <= large["first"]
    assert max(large.values()) <= MAX_QUERIES, large

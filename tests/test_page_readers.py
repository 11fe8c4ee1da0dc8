"""The reader's own parts of the campaign and project pages, decided in the services with as
few queries as they need (issue #16): a project page's reader lookup reads three columns of the
project (``directory.find_project_ref``), the campaign page asks whether the reader coordinates
the campaign, whether they follow it and which pledge of their organization its panel shows in the
select that reads three columns of the campaign (``updates.campaign_for_reader``)."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import CampaignCoordinator, OrganizationStatus
from app.models.base import utcnow
from app.services import directory, following, pledges, updates
from tests.builders import (
    make_campaign,
    make_moderator,
    make_organization,
    make_pledge,
    make_project,
    make_user,
)
from tests.conftest import app_context, log_in


def _follow(user, kind, subject) -> None:
    following.follow(user, kind, subject)


def test_the_project_lookup_finds_what_get_project_finds_and_nothing_else(app):
    with app_context(app):
        org = make_organization("Keepers")
        project = make_project(org, title="Clean Wells", slug="clean-wells")
        hidden = make_project(org, title="Hidden", slug="hidden", hidden_at=utcnow())
        pending = make_project(make_organization("Newcomers", status=OrganizationStatus.PENDING), slug="new")
        # A slug that is another project's id: the slug wins, as in get_project.
        numeric = make_project(org, title="Numbered", slug=str(project.id))
        db.session.commit()
        for key in ("clean-wells", str(numeric.id)):
            ref, full = directory.find_project_ref(key), directory.get_project(key)
            assert (ref.id, ref.slug, ref.organization_id) == (full.id, full.slug, full.organization_id)
        assert directory.find_project_ref(str(project.id)).id == numeric.id
        assert directory.find_project_ref("hidden") is None and directory.get_project("hidden") is None
        assert directory.find_project_ref(str(hidden.id)) is None
        assert directory.find_project_ref("new") is None and pending.id
        assert directory.find_project_ref("nothing") is None


def test_the_project_page_offers_posting_and_following_from_the_light_lookup(app, make_app, tmp_path):
    """With the fragment cache on, the member of the project's organization (who follows it) and
    an outsider get their own parts around the shared body, by slug and by id."""
    application = make_app(
        PAGE_CACHE=True, PAGE_CACHE_GENERATION_FILE=str(tmp_path / "generation"), SITE_URL="http://localhost"
    )
    with app_context(application):
        org = make_organization("Keepers")
        project = make_project(org, title="Clean Wells", slug="clean-wells")
        member = make_user(org, email="keeper@example.org")
        make_user(make_organization("Others"), email="other@example.org")
        _follow(member, "project", project)
        db.session.commit()
        project_id = project.id
    keeper, other = application.test_client(), application.test_client()
    log_in(keeper, "keeper@example.org")
    log_in(other, "other@example.org")
    for _ in range(2):  # rendered, then shared
        for key in ("clean-wells", str(project_id)):
            html = keeper.get(f"/projects/{key}").get_data(as_text=True)
            assert "Post an update" in html and "Stop following" in html
            html = other.get(f"/projects/{key}").get_data(as_text=True)
            assert "Clean Wells" in html
            assert "Post an update" not in html and "Stop following" not in html and ">Follow<" in html
    assert other.get("/projects/missing").status_code == 404


def test_the_campaign_and_the_readers_questions_are_read_in_one_query(app, count_queries):
    from app.models import CampaignStatus

    with app_context(app):
        campaign = make_campaign("Save the Tigris", slug="save-the-tigris")
        archived = make_campaign("Old Campaign", slug="old-campaign", status=CampaignStatus.ARCHIVED)
        keepers = make_organization("River Keepers")
        coordinator = make_user(keepers, email="keeper@example.org")
        follower = make_user(make_organization("Followers"), email="follower@example.org")
        stranger = make_user(make_organization("Strangers"), email="stranger@example.org")
        moderator = make_moderator("mod@example.org")
        db.session.add(CampaignCoordinator(campaign_id=campaign.id, organization_id=keepers.id))
        _follow(coordinator, "campaign", campaign)
        _follow(follower, "campaign", campaign)
        _follow(follower, "campaign", archived)
        _follow(moderator, "campaign", campaign)
        db.session.commit()
        expected = {
            ("save-the-tigris", coordinator): (True, True),
            ("save-the-tigris", follower): (False, True),
            ("save-the-tigris", stranger): (False, False),
            ("save-the-tigris", moderator): (True, True),
            ("old-campaign", coordinator): (False, False),
            ("old-campaign", follower): (False, True),
            ("old-campaign", moderator): (True, False),
        }
        for (slug, user), (may_post, follows) in expected.items():
            user.organization  # loaded with the session's user in a request  # noqa: B018
            full = directory.get_campaign(slug)
            with count_queries() as counter:
                ref, reader = updates.campaign_for_reader(slug, user)
            assert counter.count == 1, counter.statements
            assert (ref.id, ref.slug, ref.status, ref.is_active) == (
                full.id,
                full.slug,
                full.status,
                full.is_active,
            )
            assert (reader.may_post, reader.follow.following) == (may_post, follows), (slug, user.email)
            assert reader.follow.key == slug
        assert updates.campaign_for_reader("nothing", follower) is None
        # An organization out of public view coordinates nothing, whatever its rows say.
        keepers.status = OrganizationStatus.SUSPENDED
        db.session.flush()
        _ref, reader = updates.campaign_for_reader("save-the-tigris", coordinator)
        assert (reader.may_post, reader.follow.following) == (False, True)
        # A visitor's page reads the whole campaign (rendered for the page cache) and asks nothing.
        with count_queries() as counter:
            whole, reader = updates.campaign_for_reader("save-the-tigris", None)
        assert whole.description == campaign.description and whole.title == "Save the Tigris"
        assert (reader.may_post, reader.follow.following, counter.count) == (False, None, 1)
        assert updates.campaign_for_reader("nothing", None) is None


def test_the_members_latest_pledge_is_named_in_the_campaigns_select_and_only_their_own(app, count_queries):
    from datetime import timedelta

    with app_context(app):
        campaign = make_campaign("Save the Tigris", slug="save-the-tigris")
        pledged, withdrew, bystanders = (
            make_organization(name) for name in ("Pledged", "Withdrew", "Bystanders")
        )
        active = make_pledge(pledged, campaign)
        make_pledge(pledged, make_campaign("Workers' Rights", slug="workers-rights"))
        older = make_pledge(withdrew, campaign, withdrawn=True)
        newer = make_pledge(withdrew, campaign, withdrawn=True)
        older.withdrawn_at = newer.withdrawn_at - timedelta(days=1)
        members = {org: make_user(org) for org in (pledged, withdrew, bystanders)}
        moderator = make_moderator()
        db.session.commit()
        expected = {pledged: active.id, withdrew: newer.id, bystanders: None}
        for org, pledge_id in expected.items():
            user = members[org]
            user.organization  # loaded with the session's user in a request  # noqa: B018
            with count_queries() as counter:
                _ref, reader = updates.campaign_for_reader("save-the-tigris", user)
            assert counter.count == 1, counter.statements
            assert (reader.pledge_asked, reader.latest_pledge_id) == (True, pledge_id), org.name
            # The same pledge the panel's own query finds.
            latest = pledges.latest_pledge(org, _ref)
            assert (latest.id if latest else None) == pledge_id
        _ref, reader = updates.campaign_for_reader("save-the-tigris", moderator)
        assert (reader.pledge_asked, reader.latest_pledge_id) == (False, None)


def test_a_member_with_a_pledge_sees_it_in_the_panel_and_one_without_costs_no_pledge_query(
    app, make_app, tmp_path
):
    """On a fragment hit (the body, supporters included, comes from the store) the only reads of
    pledges are the reader's: the id in the campaign's select, and the pledge when there is one."""
    application = make_app(
        PAGE_CACHE=True, PAGE_CACHE_GENERATION_FILE=str(tmp_path / "generation"), SITE_URL="http://localhost"
    )
    with app_context(application):
        campaign = make_campaign("Save the Tigris", slug="save-the-tigris")
        pledged = make_organization("Pledged")
        make_pledge(pledged, campaign, message="We stand with the river.")
        make_user(pledged, email="pledged@example.org")
        make_user(make_organization("Newcomers"), email="new@example.org")
        db.session.commit()
        engine = db.engine
    for email, shown, pledge_reads in (
        ("pledged@example.org", "Withdraw", 2),
        ("new@example.org", "Pledge support", 1),
    ):
        browser = application.test_client()
        log_in(browser, email)
        browser.get("/campaigns/save-the-tigris")  # the body rendered and stored
        statements: list[str] = []

        def record(conn, cursor, statement, *args, statements=statements):
            statements.append(statement)

        sa.event.listen(engine, "before_cursor_execute", record)
        try:
            html = browser.get("/campaigns/save-the-tigris").get_data(as_text=True)
        finally:
            sa.event.remove(engine, "before_cursor_execute", record)
        assert shown in html, email
        reads = [statement for statement in statements if "FROM pledges" in statement]
        assert len(reads) == pledge_reads, (email, reads)


def test_a_members_campaign_page_reads_three_columns_of_its_campaign_on_a_fragment_hit(
    app, make_app, tmp_path
):
    """The body (the campaign's words, supporters, updates) comes from the fragment store; the
    member's own parts (pledge form, follow button) need only the campaign's id, slug and status."""
    from tests.conftest import NOT_COUNTED

    application = make_app(
        PAGE_CACHE=True, PAGE_CACHE_GENERATION_FILE=str(tmp_path / "generation"), SITE_URL="http://localhost"
    )
    with app_context(application):
        make_campaign("Save the Tigris", slug="save-the-tigris")
        make_user(make_organization("River Keepers"), email="keeper@example.org")
        db.session.commit()
        engine = db.engine
    member = application.test_client()
    log_in(member, "keeper@example.org")
    member.get("/campaigns/save-the-tigris")  # the body rendered and stored
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        if not statement.lstrip().upper().startswith(NOT_COUNTED):
            statements.append(" ".join(statement.split()))

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        html = member.get("/campaigns/save-the-tigris").get_data(as_text=True)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    assert "Save the Tigris" in html and "Pledge support" in html and ">Follow<" in html
    campaign_reads = [statement for statement in statements if " FROM campaigns " in statement]
    assert len(campaign_reads) == 1, statements
    assert campaign_reads[0].startswith("SELECT campaigns.id, campaigns.slug, campaigns.status, EXISTS")
    assert member.get("/campaigns/missing").status_code == 404

"""In-site notifications: the unread count in the header (no query: a counter on the user's row)
and the page of updates on what the member follows, through the visibility rule."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Campaign, CampaignCoordinator, Organization, Pledge, User
from app.models.base import utcnow
from app.services import following, updates
from tests.builders import make_campaign, make_moderator, make_organization, make_project, make_user
from tests.conftest import app_context, csrf_token_from, empty_all_tables, log_in, scalar
from tests.pages import page


def _network(app):
    with app_context(app):
        campaign = make_campaign("Save the Tigris", slug="save-the-tigris")
        keepers = make_organization("River Keepers", slug="river-keepers")
        coordinator = make_user(keepers, email="keeper@example.org")
        reader = make_user(make_organization("Reader Org"), email="reader@example.org")
        db.session.add(CampaignCoordinator(campaign_id=campaign.id, organization_id=keepers.id))
        db.session.flush()
        following.follow(reader, "campaign", campaign)
        following.follow(coordinator, "campaign", campaign)
        db.session.commit()
        return campaign.id


def _unread(app, email):
    return scalar(app, sa.select(User.unread_notifications).where(User.email == email))


def test_a_new_update_is_counted_for_followers_and_listed_on_their_page(app, client):
    _network(app)
    poster = app.test_client()
    log_in(poster, "keeper@example.org")
    response = poster.post("/campaigns/save-the-tigris/updates/new", data={"title_en": "Dam talks resume"})
    assert response.status_code == 302
    assert _unread(app, "reader@example.org") == 1
    assert _unread(app, "keeper@example.org") == 0  # not for its own author
    log_in(client, "reader@example.org")
    home = page(client, "/")
    assert (
        'href="/notifications/"' in home and '<span class="count-badge" aria-hidden="true">1</span>' in home
    )
    listing = page(client, "/notifications/")
    assert "Dam talks resume" in listing and "New" in listing
    assert client.post("/notifications/read").status_code == 302
    assert _unread(app, "reader@example.org") == 0
    assert "count-badge" not in page(client, "/campaigns/")


def test_the_page_never_shows_what_went_out_of_view(app, client):
    _network(app)
    with app_context(app):
        campaign = db.session.scalar(sa.select(Campaign))
        keeper = db.session.scalar(sa.select(User).where(User.email == "keeper@example.org"))
        updates.post_campaign_update(campaign, keeper, {"en": ("Keepers report", "")})
        keeper.organization.dark_at = utcnow()
        db.session.commit()
    log_in(client, "reader@example.org")
    listing = page(client, "/notifications/")
    assert "Keepers report" not in listing and "River Keepers" not in listing


def test_project_and_organization_updates_reach_their_followers(app, client):
    _network(app)
    with app_context(app):
        keepers_member = db.session.scalar(sa.select(User).where(User.email == "keeper@example.org"))
        project = make_project(keepers_member.organization, [], "River School", slug="river-school")
        reader = db.session.scalar(sa.select(User).where(User.email == "reader@example.org"))
        following.follow(reader, "project", project)
        db.session.commit()
        updates.post_project_update(project, keepers_member, {"en": ("Classes begin", "")})
        db.session.commit()
    assert _unread(app, "reader@example.org") == 1
    log_in(client, "reader@example.org")
    assert "Classes begin" in page(client, "/notifications/")


def test_the_page_runs_the_same_queries_however_many_updates(app, client, count_queries):
    campaign_id = _network(app)
    log_in(client, "reader@example.org")

    def post(n):
        with app_context(app):
            moderator = db.session.scalar(
                sa.select(User).where(User.email == "mod@example.org")
            ) or make_moderator("mod@example.org")
            campaign = db.session.get(Campaign, campaign_id)
            for i in range(n):
                updates.post_campaign_update(campaign, moderator, {"en": (f"News {i}", "")})
            db.session.commit()

    post(1)
    with count_queries() as first:
        page(client, "/notifications/")
    post(10)
    with count_queries() as second:
        page(client, "/notifications/")
    assert first.count == second.count


# --- Follower items at once, in-site; the page in pages -------------------------------------


def _reader_at_once(app):
    """A member following Save the Tigris who hears of supporters and projects at once."""
    from app.services import notifications

    with app_context(app):
        campaign = make_campaign("Save the Tigris", slug="save-the-tigris")
        reader = make_user(make_organization("Reader Org"), email="reader@example.org")
        following.follow(reader, "campaign", campaign)
        wanted = notifications.choices_of(reader)
        wanted.update(supporter="now", project="now")
        notifications.set_choices(reader, wanted)
        db.session.commit()
        return campaign.id


def test_supporters_and_projects_at_once_are_listed_and_counted_while_the_reader_may_see_them(
    app, client, outbox
):
    from app.models import OrganizationStatus, PledgeVisibility
    from app.services import notifications
    from tests.builders import make_pledge

    campaign_id = _reader_at_once(app)
    with app_context(app):
        campaign = db.session.get(Campaign, campaign_id)
        keepers = make_organization("River Keepers", slug="river-keepers")
        quiet = make_organization("Quiet Friends")
        builders = make_organization("School Builders")
        notifications.supporter_added(make_pledge(keepers, campaign))
        # Counted-only: never named, so not even counted for the reader.
        notifications.supporter_added(make_pledge(quiet, campaign, visibility=PledgeVisibility.COUNTED))
        project = make_project(builders, [campaign], "River School", slug="river-school")
        notifications.project_linked(project, {campaign.id})
        db.session.commit()
    assert _unread(app, "reader@example.org") == 2
    assert len([m for m in outbox if m.recipients == ["reader@example.org"]]) == 2
    log_in(client, "reader@example.org")
    listing = page(client, "/notifications/")
    assert "River Keepers supports Save the Tigris." in listing
    assert '/campaigns/save-the-tigris"' in listing
    assert "New project on Save the Tigris: River School" in listing
    assert '/projects/river-school"' in listing
    assert "Quiet Friends" not in listing
    # Looked up again when shown: a pledge turned counted-only and a suspended organization vanish.
    with app_context(app):
        pledge = db.session.scalar(
            sa.select(Pledge).join(Pledge.organization).where(Organization.slug == "river-keepers")
        )
        pledge.visibility = PledgeVisibility.COUNTED
        db.session.scalar(
            sa.select(Organization).where(Organization.name == "School Builders")
        ).status = OrganizationStatus.SUSPENDED
        db.session.commit()
    listing = page(client, "/notifications/")
    assert (
        "River Keepers" not in listing and "River School" not in listing and "School Builders" not in listing
    )


def test_a_members_only_supporter_is_listed_to_members_of_approved_organizations_only(app, client):
    from app.models import OrganizationStatus, PledgeVisibility
    from app.services import notifications
    from tests.builders import make_pledge

    campaign_id = _reader_at_once(app)
    with app_context(app):
        campaign = db.session.get(Campaign, campaign_id)
        pending = make_user(
            make_organization("Pending Org", status=OrganizationStatus.PENDING), email="p@example.org"
        )
        following.follow(pending, "campaign", campaign)
        wanted = notifications.choices_of(pending)
        wanted.update(supporter="now")
        notifications.set_choices(pending, wanted)
        notifications.supporter_added(
            make_pledge(make_organization("Shy Helpers"), campaign, visibility=PledgeVisibility.MEMBERS)
        )
        db.session.commit()
    assert _unread(app, "reader@example.org") == 1
    assert _unread(app, "p@example.org") == 0
    log_in(client, "reader@example.org")
    assert "Shy Helpers supports Save the Tigris." in page(client, "/notifications/")


def test_the_notifications_page_goes_back_in_pages_of_twenty(app, client):
    from app.models import Notification

    with app_context(app):
        user = make_user(make_organization("River Keepers"), email="member@example.org")
        start = utcnow()
        for n in range(25):
            db.session.add(
                Notification(
                    user_id=user.id,
                    kind="hidden",
                    created_at=start.replace(microsecond=0) - timedelta(minutes=n),
                    params={"what": "project", "item_id": n, "title": f"Project {n:02d}", "reason": "Spam"},
                )
            )
        db.session.commit()
    log_in(client, "member@example.org")
    first = page(client, "/notifications/")
    assert "Project 00" in first and "Project 19" in first and "Project 20" not in first
    assert 'href="/notifications/?page=2" rel="next"' in first and 'rel="prev"' not in first
    second = page(client, "/notifications/?page=2")
    assert "Project 20" in second and "Project 24" in second and "Project 19" not in second
    assert 'href="/notifications/?page=1" rel="prev"' in second and 'rel="next"' not in second


@pytest.fixture
def csrf_app(make_app):
    application = make_app(WTF_CSRF_ENABLED=True)
    yield application
    with app_context(application):
        empty_all_tables()


def test_mark_all_read_is_a_post_with_its_csrf_token(csrf_app):
    app = csrf_app
    with app_context(app):
        user = make_user(make_organization("River Keepers"), email="member@example.org")
        user.unread_notifications = 3
        db.session.commit()
    client = app.test_client()
    log_in(client, "member@example.org", csrf_token=csrf_token_from(client, "/auth/login"))
    assert client.get("/notifications/read").status_code == 405
    assert client.post("/notifications/read").status_code == 400  # no token: nothing written
    assert _unread(app, "member@example.org") == 3
    token = csrf_token_from(client, "/notifications/")
    assert token and 'action="/notifications/read"' in page(client, "/notifications/")
    assert client.post("/notifications/read", data={"csrf_token": token}).status_code == 302
    assert _unread(app, "member@example.org") == 0

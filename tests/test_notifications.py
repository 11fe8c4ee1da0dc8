"""In-site notifications: the unread count in the header (no query: a counter on the user's row)
and the page of updates on what the member follows, through the visibility rule."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import Campaign, CampaignCoordinator, User
from app.models.base import utcnow
from app.services import following, updates
from tests.builders import make_campaign, make_moderator, make_organization, make_project, make_user
from tests.conftest import app_context, log_in, scalar
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

"""Who is named as a supporter, on every page that lists supporters, for every kind of viewer.

public: named to everyone; members: named only to approved members and moderators;
counted: never named, only counted. Withdrawn pledges and hidden messages show nowhere.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Campaign, Organization, OrganizationStatus, PledgeVisibility
from app.models.base import utcnow
from app.services import counters
from tests.builders import make_campaign, make_moderator, make_organization, make_pledge, make_user
from tests.conftest import app_context

VIEWERS = ["visitor", "pending member", "suspended member", "approved member", "moderator"]
SEES_MEMBERS_ONLY = {"approved member", "moderator"}


@pytest.fixture
def supporters(app) -> str:
    """The campaign's slug."""
    with app_context(app):
        campaign = make_campaign("Save the Tigris", slug="save-the-tigris")
        open_voice = make_organization("Open Voice Association", slug="open-voice")
        quiet = make_organization("Quiet Helpers Network", slug="quiet-helpers")
        silent = make_organization("Silent Friends Union", slug="silent-friends")
        former = make_organization("Former Ally Group", slug="former-ally")
        make_pledge(open_voice, campaign, message="Rivers are life", visibility=PledgeVisibility.PUBLIC)
        make_pledge(quiet, campaign, message="We help quietly", visibility=PledgeVisibility.MEMBERS)
        make_pledge(silent, campaign, message="Silent words", visibility=PledgeVisibility.COUNTED)
        make_pledge(former, campaign, message="Old words", withdrawn=True)
        spam = make_pledge(
            make_organization("Spam Org", slug="spam-org"), make_campaign(), message="Buy pills now"
        )
        spam.message_hidden_at, spam.message_hidden_reason = utcnow(), "Advertising"
        db.session.commit()
        assert counters.stored_counts() == counters.computed_counts()
        return campaign.slug


def log_in_as(app, viewer: str, auth) -> None:
    if viewer == "visitor":
        return
    with app_context(app):
        if viewer == "moderator":
            user = make_moderator()
        else:
            status = {
                "pending member": OrganizationStatus.PENDING,
                "suspended member": OrganizationStatus.SUSPENDED,
                "approved member": OrganizationStatus.APPROVED,
            }[viewer]
            user = make_user(make_organization(status=status))
        db.session.commit()
        email = user.email
    response = auth.login(email)
    assert response.status_code == 302


def assert_named(page: str, viewer: str, *, members_line: str = "Quiet Helpers Network") -> None:
    assert "Open Voice Association" in page
    assert (members_line in page) == (viewer in SEES_MEMBERS_ONLY)
    assert "Silent Friends Union" not in page
    assert "Former Ally Group" not in page


@pytest.mark.parametrize("viewer", VIEWERS)
def test_campaign_page_names_only_the_supporters_the_viewer_may_see(app, client, auth, supporters, viewer):
    log_in_as(app, viewer, auth)
    page = client.get("/campaigns/save-the-tigris").get_data(as_text=True)
    assert_named(page, viewer)
    assert "Rivers are life" in page
    assert ("We help quietly" in page) == (viewer in SEES_MEMBERS_ONLY)
    assert "Silent words" not in page and "Old words" not in page
    # The totals count every active pledge, named or not.
    assert '<span class="count-number">3</span>' in page


@pytest.mark.parametrize("viewer", VIEWERS)
def test_home_page_newest_pledges_respect_visibility(app, client, auth, supporters, viewer):
    log_in_as(app, viewer, auth)
    # Names are isolated in <bdi> and linked inside the sentence; read the sentence as text.
    page = re.sub(r"</?(?:bdi|a)\b[^>]*>", "", client.get("/").get_data(as_text=True))
    # The home page also lists the newest organizations by name: look at the pledge lines.
    assert "Open Voice Association supports Save the Tigris" in page
    assert ("Quiet Helpers Network supports Save the Tigris" in page) == (viewer in SEES_MEMBERS_ONLY)
    assert "Silent Friends Union supports" not in page
    assert "Former Ally Group supports" not in page


@pytest.mark.parametrize("viewer", VIEWERS)
def test_organization_profiles_list_only_pledges_the_viewer_may_see(app, client, auth, supporters, viewer):
    log_in_as(app, viewer, auth)
    assert "Save the Tigris" in client.get("/organizations/open-voice").get_data(as_text=True)
    quiet = client.get("/organizations/quiet-helpers").get_data(as_text=True)
    assert ("Save the Tigris" in quiet) == (viewer in SEES_MEMBERS_ONLY)
    assert "Save the Tigris" not in client.get("/organizations/silent-friends").get_data(as_text=True)
    assert "Save the Tigris" not in client.get("/organizations/former-ally").get_data(as_text=True)


@pytest.mark.parametrize("viewer", VIEWERS)
def test_directory_campaign_filter_never_reveals_discreet_supporters(app, client, auth, supporters, viewer):
    log_in_as(app, viewer, auth)
    page = client.get("/organizations/?campaign=save-the-tigris").get_data(as_text=True)
    assert_named(page, viewer)


def test_hidden_message_is_gone_from_the_campaign_page_for_everyone(app, client, auth, supporters):
    from app.models import Pledge

    with app_context(app):
        pledge = db.session.query(Pledge).filter_by(message="Rivers are life").one()
        pledge.message_hidden_at, pledge.message_hidden_reason = utcnow(), "Off topic"
        db.session.commit()
    log_in_as(app, "moderator", auth)
    page = client.get("/campaigns/save-the-tigris").get_data(as_text=True)
    assert "Open Voice Association" in page  # the pledge still names its organization
    assert "Rivers are life" not in page


def test_campaign_page_with_the_pledge_panel_runs_a_constant_number_of_queries(
    app, client, auth, count_queries, supporters
):
    with app_context(app):
        member = make_user()
        make_pledge(member.organization, db.session.scalar(sa.select(Campaign).filter_by(slug=supporters)))
        db.session.commit()
        email = member.email
    auth.login(email)

    def add_supporters(n):
        with app_context(app):
            campaign = db.session.scalar(sa.select(Campaign).filter_by(slug=supporters))
            for i in range(n):
                visibility = [PledgeVisibility.PUBLIC, PledgeVisibility.MEMBERS, PledgeVisibility.COUNTED][
                    i % 3
                ]
                make_pledge(make_organization(), campaign, visibility=visibility, message=f"Message {i}")
            db.session.commit()

    add_supporters(30)  # more than a page, so both runs paginate alike
    client.get("/campaigns/save-the-tigris")
    with count_queries() as small:
        assert client.get("/campaigns/save-the-tigris").status_code == 200
    add_supporters(60)
    with count_queries() as large:
        assert client.get("/campaigns/save-the-tigris").status_code == 200
    assert large.count == small.count, "\n\n".join(large.statements)


def test_dashboard_runs_a_constant_number_of_queries(app, client, auth, count_queries):
    from tests.builders import make_project

    with app_context(app):
        member = make_user()
        campaign = make_campaign()
        make_pledge(member.organization, campaign, message="First")
        make_project(member.organization, [campaign])
        db.session.commit()
        email, organization_id, campaign_id = member.email, member.organization_id, campaign.id
    auth.login(email)
    client.get("/account/")
    with count_queries() as small:
        page = client.get("/account/").get_data(as_text=True)
    assert "First" in page
    with app_context(app):
        organization = db.session.get(Organization, organization_id)
        campaign = db.session.get(Campaign, campaign_id)
        for _ in range(6):
            other = make_campaign()
            make_pledge(organization, other, message="More")
            make_project(organization, [campaign, other])
        db.session.commit()
    with count_queries() as large:
        assert client.get("/account/").status_code == 200
    assert large.count == small.count, "\n\n".join(large.statements)

"""Digests: one mail per follower and period, in the follower's language, grouped by what they
follow, with nothing the reader may not see (decided when it is built), never twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import (
    Campaign,
    CampaignCoordinator,
    DigestDelivery,
    Follow,
    LinkVisibility,
    OrganizationStatus,
    OutboxMessage,
    OutboxStatus,
    Pledge,
    PledgeVisibility,
    Project,
    ProjectCampaign,
    Role,
    Update,
    User,
)
from app.models.base import utcnow
from app.services import digests, following, notifications, updates
from tests.builders import (
    make_campaign,
    make_moderator,
    make_organization,
    make_pledge,
    make_project,
    make_user,
)
from tests.conftest import app_context, count, empty_all_tables, run_command
from tests.membership_support import link_in


def _follow(user=None, *, email=None, subject, kind="campaign", frequency="daily", locale=None):
    row = Follow(
        user_id=user.id if user is not None else None,
        email=email,
        locale=locale,
        follower_key=f"user:{user.id}" if user is not None else f"email:{email}",
        subject_key=following.subject_key(kind, subject),
        frequency=frequency,
        **{f"{kind}_id": subject.id},
    )
    db.session.add(row)
    return row


# --- The leak test -----------------------------------------------------------------------------

HIDDEN = [
    "Members Only Supporter",
    "Counted Only Supporter",
    "Pending Org",
    "Rejected Org",
    "Suspended Org",
    "Dark Org",
    "Delisted Org",
    "Leaving Org",
    "Hidden Project",
    "Dark Org Project",
    "Members Link Project",
    "Deleted update",
    "Dark coordinator news",
    "Withdrawn Supporter",
]


def build_network():
    """Save the Tigris with supporters of every visibility and status, projects hidden and not,
    updates deleted and not; the River Keepers (organization) followed too."""
    campaign = make_campaign("Save the Tigris", slug="save-the-tigris")
    public = make_organization("Public Supporter")
    make_pledge(public, campaign, visibility=PledgeVisibility.PUBLIC)
    make_pledge(make_organization("Members Only Supporter"), campaign, visibility=PledgeVisibility.MEMBERS)
    make_pledge(make_organization("Counted Only Supporter"), campaign, visibility=PledgeVisibility.COUNTED)
    make_pledge(make_organization("Withdrawn Supporter"), campaign, withdrawn=True)
    out_of_view = {
        "Pending Org": {"status": OrganizationStatus.PENDING},
        "Rejected Org": {"status": OrganizationStatus.REJECTED},
        "Suspended Org": {"status": OrganizationStatus.SUSPENDED},
        "Dark Org": {"dark_at": utcnow()},
        "Delisted Org": {"delisted_at": utcnow()},
        "Leaving Org": {"deletion_requested_at": utcnow()},
    }
    orgs = {}
    for name in out_of_view:
        org = make_organization(name)
        make_pledge(org, campaign, visibility=PledgeVisibility.PUBLIC)
        orgs[name] = org
    make_project(public, [campaign], "Visible Project")
    hidden = make_project(public, [campaign], "Hidden Project")
    hidden.hidden_at, hidden.hidden_reason = utcnow(), "Spam"
    make_project(public, [campaign], "Members Link Project", link_visibility=LinkVisibility.MEMBERS)
    make_project(orgs["Dark Org"], [campaign], "Dark Org Project")
    # Organizations go out of view after pledging (as they would).
    for name, fields in out_of_view.items():
        for attribute, value in fields.items():
            setattr(orgs[name], attribute, value)
    moderator = make_moderator("mod@example.org")
    db.session.add(CampaignCoordinator(campaign_id=campaign.id, organization_id=orgs["Dark Org"].id))
    db.session.flush()
    updates.post_campaign_update(campaign, moderator, {"en": ("Visible news", "All is well.")})
    deleted = updates.post_campaign_update(campaign, moderator, {"en": ("Deleted update", "Oops.")})
    updates.hide_update(deleted, moderator, "A mistake.")
    dark_member = make_user(orgs["Dark Org"], email="dark@example.org")
    dark_member.organization.dark_at = None  # post while in view, then go dark again
    db.session.flush()
    updates.post_campaign_update(campaign, dark_member, {"en": ("Dark coordinator news", "Hidden.")})
    dark_member.organization.dark_at = utcnow()
    approved_member = make_user(make_organization("Approved Member Org"), email="approved@example.org")
    pending_member = make_user(orgs["Pending Org"], email="pending@example.org")
    readers = {
        "visitor": None,
        "approved member": approved_member,
        "pending member": pending_member,
        "moderator": moderator,
    }
    for user in readers.values():
        if user is None:
            _follow(email="visitor@example.org", subject=campaign, locale="en")
        else:
            _follow(user, subject=campaign)
    db.session.commit()
    return campaign


@pytest.mark.parametrize(
    "reader", ["visitor@example.org", "approved@example.org", "pending@example.org", "mod@example.org"]
)
def test_no_digest_names_what_its_reader_may_not_see(app, outbox, reader):
    with app_context(app):
        build_network()
    result = run_command(app, "digests", "send", "--period", "daily")
    assert result.exit_code == 0, result.output
    by_recipient = {message.recipients[0]: message for message in outbox}
    message = by_recipient[reader]
    body = message.body
    assert "Visible news" in body and "Public Supporter" in body and "Visible Project" in body
    members_see = reader in ("approved@example.org", "mod@example.org")
    for name in HIDDEN:
        if members_see and name in ("Members Only Supporter", "Members Link Project"):
            assert name in body, name
        else:
            assert name not in body, f"{name} leaked to {reader}"


# --- Sending -----------------------------------------------------------------------------------


@pytest.fixture
def followed(app):
    with app_context(app):
        campaign = make_campaign("Save the Tigris", slug="save-the-tigris")
        moderator = make_moderator("mod@example.org")
        _follow(email="ana@example.org", subject=campaign, locale="ar")
        member = make_user(make_organization("Weekly Org"), email="weekly@example.org")
        _follow(member, subject=campaign, frequency="weekly")
        db.session.flush()
        updates.post_campaign_update(
            campaign, moderator, {"ar": ("عادت المياه", "خبر"), "en": ("Water is back", "")}
        )
        db.session.commit()


def test_a_daily_digest_goes_once_per_day_in_the_readers_language(app, followed, outbox):
    assert run_command(app, "digests", "send", "--period", "daily").exit_code == 0
    [message] = outbox
    assert message.recipients == ["ana@example.org"]
    assert "عادت المياه" in message.body and "Water is back" not in message.body
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/unsubscribe/" in message.extra_headers["List-Unsubscribe"]
    assert count(app, DigestDelivery) == 1
    result = run_command(app, "digests", "send", "--period", "daily")
    assert result.exit_code == 0 and "0 daily digest(s) queued; 1 already sent" in result.output
    assert len(outbox) == 1 and count(app, DigestDelivery) == 1


def test_the_weekly_digest_goes_to_weekly_followers_only(app, followed, outbox):
    assert run_command(app, "digests", "send", "--period", "weekly").exit_code == 0
    assert [m.recipients for m in outbox] == [["weekly@example.org"]]


def test_the_next_digest_covers_only_what_happened_since(app, followed, outbox):
    with app_context(app):
        digests.send_due("daily")
        db.session.commit()
        # The next day: nothing new, no mail (but the day is recorded).
        run = digests.send_due("daily", now=utcnow() + timedelta(days=1))
        db.session.commit()
    assert run.sent == 0 and len(outbox) == 1


def test_the_digest_unsubscribe_link_stops_the_next_digest(app, followed, outbox, client):
    run_command(app, "digests", "send", "--period", "daily")
    unsubscribe = link_in(outbox[0], "/unsubscribe/")
    assert client.post(unsubscribe).status_code == 200
    assert count(app, Follow, Follow.email == "ana@example.org") == 0
    with app_context(app):
        campaign_id = db.session.scalar(sa.select(Follow.campaign_id))
        moderator = db.session.scalar(sa.select(User).where(User.role == Role.MODERATOR))
        updates.post_campaign_update(
            db.session.get(Campaign, campaign_id), moderator, {"en": ("More news", "")}
        )
        db.session.commit()
        digests.send_due("daily", now=utcnow() + timedelta(days=1))
        db.session.commit()
    assert len(outbox) == 1


def test_a_digest_is_an_outbox_row_under_its_idempotency_key(app, followed):
    """The digest is queued as an outbox row (which the worker retries on failure, as for every
    mail: tests/test_outbox.py), under a key of its reader and period."""
    with app_context(app):
        digests.send_due("daily")
        row = db.session.scalar(sa.select(OutboxMessage))
        assert row.key.startswith("digest:daily:") and row.status == OutboxStatus.PENDING
        db.session.rollback()


@pytest.fixture
def app_with_allowance(make_app, request):
    application = make_app(NOTIFICATION_MAILS_PER_HOUR=request.param)
    yield application
    with app_context(application):
        empty_all_tables()


@pytest.mark.parametrize(
    "app_with_allowance", [0, 100], ids=["held-for-the-digest", "mailed-at-once"], indirect=True
)
@pytest.mark.parametrize("reader", ["approved@example.org", "pending@example.org", "mod@example.org"])
def test_no_notification_of_a_new_supporter_project_or_update_names_what_its_reader_may_not_see(
    app_with_allowance, outbox, reader
):
    """The same network, each account reader choosing "at once" for every followed kind: every
    pledge, project link and update of the campaign is notified, and what reaches the reader (at
    once, or in the daily digest when the hourly allowance is spent) names only what they may see."""
    app = app_with_allowance
    with app_context(app):
        campaign = build_network()
        for user in db.session.scalars(sa.select(User).where(User.email.in_(ACCOUNT_READERS))):
            wanted = notifications.choices_of(user)
            wanted.update(update="now", supporter="now", project="now")
            notifications.set_choices(user, wanted)
        db.session.commit()
        for pledge in db.session.scalars(sa.select(Pledge).where(Pledge.campaign_id == campaign.id)):
            notifications.supporter_added(pledge)
        for link in db.session.scalars(sa.select(ProjectCampaign)):
            notifications.project_linked(db.session.get(Project, link.project_id), {link.campaign_id})
        for update in db.session.scalars(sa.select(Update)):
            notifications.update_published(update)
        db.session.commit()
    assert run_command(app, "digests", "send", "--period", "daily").exit_code == 0
    body = "\n".join(m.body for m in outbox if m.recipients == [reader])
    assert "Public Supporter" in body and "Visible Project" in body
    # The moderator wrote the visible update: nobody is notified of their own.
    assert ("Visible news" in body) == (reader != "mod@example.org")
    members_see = reader in ("approved@example.org", "mod@example.org")
    for name in HIDDEN:
        if members_see and name in ("Members Only Supporter", "Members Link Project"):
            assert name in body, name
        else:
            assert name not in body, f"{name} leaked to {reader}"


ACCOUNT_READERS = ("approved@example.org", "pending@example.org", "mod@example.org")

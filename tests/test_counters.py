"""The public numbers: one counting rule, and no number that links a discreet supporter to a
campaign at the moment of a public event about it.

A visitor who watches a campaign's totals and the directory must not learn, from a total moving
when an organization is approved, suspended, reinstated or moves abroad, that this organization
supports the campaign, unless its pledge there is public. Such changes reach the totals through
members-only and counted-only pledges only at the scheduled refresh (``flask refresh-counters``).
"""

from __future__ import annotations

import re
import threading

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import IRAQ, Campaign, Organization, OrganizationStatus, Pledge, PledgeVisibility, User
from app.services import counters, membership, moderation
from app.services import pledges as pledge_service
from tests.builders import (
    make_campaign,
    make_moderator,
    make_organization,
    make_pledge,
    make_project,
    make_user,
)
from tests.conftest import app_context, run_command, scalar
from tests.pages import page

HIDDEN = [PledgeVisibility.MEMBERS, PledgeVisibility.COUNTED]


def truth_counts() -> dict[int, tuple[int, int]]:
    """What the totals mean once every attribution is current: active pledges of approved
    organizations, Iraqi by the organization's country today."""
    rows = db.session.execute(
        sa.select(
            Pledge.campaign_id,
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(sa.case((Organization.country == IRAQ, 1), else_=0)), 0),
        )
        .join(Organization, Organization.id == Pledge.organization_id)
        .where(Pledge.withdrawn_at.is_(None), Organization.status == OrganizationStatus.APPROVED)
        .group_by(Pledge.campaign_id)
    )
    return {campaign_id: (total, iraqi) for campaign_id, total, iraqi in rows}


def assert_consistent() -> None:
    """The stored numbers are always the one aggregate over the rows."""
    assert counters.stored_counts() == counters.computed_counts()


def assert_correct_after_refresh() -> None:
    counters.refresh()
    db.session.commit()
    assert counters.stale_pledges() == []
    assert_consistent()
    stored = {cid: values[:2] for cid, values in counters.stored_counts()["campaigns"].items() if values[0]}
    assert stored == truth_counts()


_TOTAL = re.compile(r'<span class="count-number">(\d+)</span>')
_SPLIT = re.compile(r"(\d+) Iraqi · (\d+) international")


def public_numbers(client, campaign) -> dict[str, tuple[int, int, int]]:
    """(total, Iraqi, international) as a visitor reads them on each page that shows them."""
    shown = {}
    for name, url in (("campaign", f"/campaigns/{campaign.slug}"), ("home", "/"), ("list", "/campaigns/")):
        html = page(client, url)
        total, split = _TOTAL.search(html), _SPLIT.search(html)
        assert total and split, url
        shown[name] = (int(total.group(1)), int(split.group(1)), int(split.group(2)))
    return shown


def everywhere(numbers: tuple[int, int, int]) -> dict[str, tuple[int, int, int]]:
    return {"campaign": numbers, "home": numbers, "list": numbers}


# --- Organization-level events x pledge visibility -------------------------------------------------

# (status before, the event, numbers before, numbers once the event has reached them); a public
# bystander from Italy keeps one supporter on the page throughout.
EVENTS = {
    "approval": (OrganizationStatus.PENDING, (1, 0, 1), (2, 1, 1)),
    "suspension": (OrganizationStatus.APPROVED, (2, 1, 1), (1, 0, 1)),
    "reinstatement": (OrganizationStatus.SUSPENDED, (1, 0, 1), (2, 1, 1)),
    "move abroad": (OrganizationStatus.APPROVED, (2, 1, 1), (2, 0, 2)),
}


def _happen(event: str, organization_id: int, member_id: int, moderator_id: int) -> None:
    organization = db.session.get(Organization, organization_id)
    member, moderator = db.session.get(User, member_id), db.session.get(User, moderator_id)
    if event == "approval":
        moderation.approve_organization(moderator, organization)
    elif event == "suspension":
        moderation.suspend_organization(moderator, organization, "Complaint under review.")
    elif event == "reinstatement":
        moderation.reinstate_organization(moderator, organization, "Cleared.")
    else:
        membership.update_profile(organization, member, {"country": "NO", "city": "Oslo"})
    db.session.commit()


@pytest.mark.parametrize("visibility", list(PledgeVisibility))
@pytest.mark.parametrize("event", list(EVENTS))
def test_public_numbers_move_at_an_organization_event_only_through_a_public_pledge(
    app, client, event, visibility
):
    status, before, after = EVENTS[event]
    with app_context(app):
        moderator = make_moderator()
        campaign = make_campaign("Save the Tigris")
        make_pledge(make_organization("Bystander", country="IT"), campaign)
        discreet = make_organization("Basra Union", country="IQ", status=status)
        member = make_user(discreet)
        # A pending organization cannot pledge today, but rows from before the review rule may exist.
        make_pledge(discreet, campaign, visibility=visibility)
        db.session.commit()
    assert public_numbers(client, campaign) == everywhere(before)

    with app_context(app):
        _happen(event, discreet.id, member.id, moderator.id)

    # At the moment of the event only a public pledge may move the numbers.
    moved = visibility == PledgeVisibility.PUBLIC
    assert public_numbers(client, campaign) == everywhere(after if moved else before)
    with app_context(app):
        assert_consistent()
        assert bool(counters.stale_pledges()) == (not moved)

    # The scheduled refresh brings every number to what it means, together with other changes.
    with app_context(app):
        assert_correct_after_refresh()
    assert public_numbers(client, campaign) == everywhere(after)


def test_a_hidden_supporter_suspended_keeps_the_unnamed_note_until_the_refresh(app, client):
    with app_context(app):
        moderator = make_moderator()
        campaign = make_campaign()
        make_pledge(make_organization("Open Union", country="IT"), campaign)
        discreet = make_organization("Discreet Group")
        make_pledge(discreet, campaign, visibility=PledgeVisibility.COUNTED)
        db.session.commit()
    note = "chose not to be named publicly"
    assert note in page(client, f"/campaigns/{campaign.slug}")

    with app_context(app):
        moderation.suspend_organization(
            db.session.get(User, moderator.id), db.session.get(Organization, discreet.id), "Checking."
        )
        db.session.commit()
    assert note in page(client, f"/campaigns/{campaign.slug}")

    with app_context(app):
        assert_correct_after_refresh()
    assert note not in page(client, f"/campaigns/{campaign.slug}")


# --- The organization's own acts on its pledge -------------------------------------------------------


@pytest.mark.parametrize("visibility", HIDDEN)
def test_a_discreet_pledge_and_its_withdrawal_count_at_once(app, client, visibility):
    """Pledging and withdrawing are not public events naming the organization: the numbers move
    at once, as the member expects."""
    with app_context(app):
        campaign = make_campaign()
        member = make_user(make_organization(country="IQ"))
        db.session.commit()
        pledge = pledge_service.pledge(
            member.organization, campaign, ["advocacy"], visibility=visibility, actor=member
        )
        db.session.commit()
    assert public_numbers(client, campaign)["campaign"] == (1, 1, 0)
    with app_context(app):
        pledge_service.withdraw(db.session.get(Pledge, pledge.id), db.session.get(User, member.id))
        db.session.commit()
    assert public_numbers(client, campaign)["campaign"] == (0, 0, 0)
    with app_context(app):
        assert_consistent()
        assert counters.stale_pledges() == []


@pytest.mark.parametrize("visibility", HIDDEN)
def test_a_pledge_leaving_the_public_list_moves_the_totals_as_a_withdrawal_would(app, client, visibility):
    with app_context(app):
        campaign = make_campaign()
        make_pledge(make_organization("Bystander", country="IT"), campaign)
        member = make_user(make_organization("Basra Union", country="IQ"))
        pledge = make_pledge(member.organization, campaign)
        db.session.commit()
        withdrawing = make_user(make_organization("Leaving Group", country="IQ"))
        leaving = make_pledge(withdrawing.organization, campaign)
        db.session.commit()
    assert public_numbers(client, campaign)["campaign"] == (3, 2, 1)

    # One goes hidden, the other withdraws: a visitor sees the same thing happen twice.
    with app_context(app):
        pledge_service.update_pledge(
            db.session.get(Pledge, pledge.id), ["advocacy"], visibility=visibility,
            actor=db.session.get(User, member.id),
        )  # fmt: skip
        db.session.commit()
    html = page(client, f"/campaigns/{campaign.slug}")
    assert "Basra Union" not in html
    assert public_numbers(client, campaign)["campaign"] == (2, 1, 1)
    with app_context(app):
        pledge_service.withdraw(db.session.get(Pledge, leaving.id), db.session.get(User, withdrawing.id))
        db.session.commit()
    assert public_numbers(client, campaign)["campaign"] == (1, 0, 1)
    with app_context(app):
        assert_consistent()

    # The hidden pledge counts again from the next refresh, with whatever else changed.
    with app_context(app):
        assert_correct_after_refresh()
    assert public_numbers(client, campaign)["campaign"] == (2, 1, 1)


def test_a_pledge_made_public_counts_as_things_stand_now(app_ctx):
    moderator = make_moderator()
    campaign = make_campaign()
    member = make_user(make_organization(country="IQ"))
    pledge = make_pledge(member.organization, campaign, visibility=PledgeVisibility.MEMBERS)
    db.session.commit()
    membership.update_profile(member.organization, member, {"country": "FR", "city": "Paris"})
    db.session.commit()
    assert (campaign.supporter_count, campaign.iraqi_supporter_count) == (1, 1)  # waits for the refresh

    pledge_service.update_pledge(pledge, ["advocacy"], visibility="public", actor=member)
    db.session.commit()
    assert (campaign.supporter_count, campaign.iraqi_supporter_count) == (1, 0)
    assert counters.stale_pledges() == []
    moderation.suspend_organization(moderator, member.organization, "Checking.")
    db.session.commit()
    assert campaign.supporter_count == 0
    assert_consistent()


# --- Projects -----------------------------------------------------------------------------------------


def test_only_public_links_count_as_a_campaigns_projects(app_ctx):
    moderator = make_moderator()
    campaign = make_campaign()
    org = make_organization()
    make_pledge(org, campaign, visibility=PledgeVisibility.COUNTED)
    make_project(org, [campaign], link_visibility=None)  # the default: members-only here
    open_org = make_organization()
    make_project(open_org, [campaign])
    db.session.commit()
    assert campaign.project_count == 1

    moderation.suspend_organization(moderator, org, "Checking.")
    db.session.commit()
    assert campaign.project_count == 1
    moderation.suspend_organization(moderator, open_org, "Checking.")
    db.session.commit()
    assert campaign.project_count == 0
    assert_consistent()


# --- The one rule, and the commands -------------------------------------------------------------------


def test_recount_repairs_drifted_counters(app_ctx):
    campaign = make_campaign()
    make_pledge(make_organization(), campaign)
    campaign.supporter_count = 40
    db.session.commit()

    assert counters.recount_all() == 1
    db.session.commit()
    assert campaign.supporter_count == 1
    assert counters.recount_all() == 0


def test_recount_never_applies_what_waits_for_the_refresh(app_ctx):
    """``flask recount`` may run at any time: it repairs, it does not publish."""
    moderator = make_moderator()
    campaign = make_campaign()
    org = make_organization()
    make_pledge(org, campaign, visibility=PledgeVisibility.COUNTED)
    db.session.commit()
    moderation.suspend_organization(moderator, org, "Checking.")
    db.session.commit()
    assert counters.recount_all() == 0
    db.session.commit()
    assert campaign.supporter_count == 1


def test_refresh_counters_command_applies_waiting_changes_and_says_how_many(app):
    with app_context(app):
        moderator = make_moderator()
        campaigns = [make_campaign(), make_campaign()]
        org = make_organization(country="IQ")
        for campaign in campaigns:
            make_pledge(org, campaign, visibility=PledgeVisibility.MEMBERS)
        db.session.commit()
        moderation.suspend_organization(moderator, org, "Checking.")
        db.session.commit()
        campaign_ids = [c.id for c in campaigns]

    result = run_command(app, "refresh-counters")
    assert result.exit_code == 0, result.output
    assert "2 pledge(s) updated on 2 campaign(s)" in result.output
    counts = [
        scalar(app, sa.select(Campaign.supporter_count).where(Campaign.id == cid)) for cid in campaign_ids
    ]
    assert counts == [0, 0]
    again = run_command(app, "refresh-counters")
    assert "0 pledge(s) updated on 0 campaign(s)" in again.output
    assert "0 row(s) corrected" in run_command(app, "recount").output


def test_concurrent_pledges_of_different_organizations_are_all_counted(app, make_app):
    """Each request counts after locking the campaign row, so none counts before another's
    pledge is committed and writes a total that misses it (no lost update)."""
    with app_context(app):
        campaign = make_campaign()
        members = [make_user(make_organization(country="IQ" if n % 2 else "FR")) for n in range(6)]
        db.session.commit()
        slug, emails = campaign.slug, [m.email for m in members]

    racing_app = make_app()
    clients = []
    for email in emails:
        c = racing_app.test_client()
        c.post("/auth/login", data={"email": email, "password": "correct horse battery staple"})
        clients.append(c)
    barrier = threading.Barrier(len(clients))
    statuses: list[int] = []
    errors: list[BaseException] = []

    def send(c):
        try:
            barrier.wait(timeout=10)
            response = c.post(
                f"/campaigns/{slug}/pledge", data={"kinds": ["advocacy"], "visibility": "counted"}
            )
            statuses.append(response.status_code)
        except BaseException as error:  # reported below, in the main thread
            errors.append(error)

    threads = [threading.Thread(target=send, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert not errors
    assert sorted(statuses) == [302] * len(clients), statuses
    campaign = scalar(app, sa.select(Campaign).where(Campaign.id == campaign.id))
    assert (campaign.supporter_count, campaign.iraqi_supporter_count) == (6, 3)
    with app_context(app):
        assert_consistent()

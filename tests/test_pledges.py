"""Pledges: approved organizations stand behind campaigns, change and withdraw their pledges."""

from __future__ import annotations

import re
import threading

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import CampaignStatus, OrganizationStatus, Pledge, PledgeVisibility, SupportKind
from app.services import DomainError, NotAllowed, counters
from app.services import pledges as pledge_service
from tests.builders import make_campaign, make_organization, make_pledge, make_user
from tests.conftest import app_context, count, scalar


@pytest.fixture
def in_request(app_ctx):
    """One context for a test of the services alone, inside a request: service messages are
    translated, which needs a request to pick the language."""
    with app_ctx.test_request_context():
        yield app_ctx


def active_pledges(org, campaign) -> list[Pledge]:
    return list(
        db.session.scalars(
            sa.select(Pledge).where(
                Pledge.organization_id == org.id,
                Pledge.campaign_id == campaign.id,
                Pledge.withdrawn_at.is_(None),
            )
        )
    )


def assert_counters_consistent(app=None):
    """The stored counters equal what the rows say (read in a context of its own when given the
    application)."""
    if app is not None:
        with app_context(app):
            assert_counters_consistent()
        return
    assert counters.stored_counts() == counters.computed_counts()


def test_approved_organization_pledges_and_counts(in_request):
    campaign = make_campaign()
    member = make_user(make_organization(country="IQ"))
    pledge = pledge_service.pledge(
        member.organization, campaign, ["funding", "advocacy"], " We stand with you. ", "public", member
    )
    db.session.commit()
    assert pledge.support_kinds == "advocacy funding"
    assert pledge.message == "We stand with you."
    assert (campaign.supporter_count, campaign.iraqi_supporter_count) == (1, 1)
    assert member.organization.public_pledge_count == 1
    assert_counters_consistent()


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (OrganizationStatus.PENDING, "approval"),
        (OrganizationStatus.REJECTED, "not approved"),
        (OrganizationStatus.SUSPENDED, "suspended"),
    ],
)
def test_unapproved_organization_cannot_pledge(in_request, status, words):
    campaign = make_campaign()
    member = make_user(make_organization(status=status))
    with pytest.raises(NotAllowed, match=words):
        pledge_service.pledge(member.organization, campaign, ["endorsement"], "", "public", member)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Pledge)) == 0
    assert_counters_consistent()


def test_member_cannot_pledge_for_another_organization(in_request):
    campaign = make_campaign()
    member = make_user()
    other = make_organization()
    with pytest.raises(NotAllowed):
        pledge_service.pledge(other, campaign, ["endorsement"], "", "public", member)


def test_archived_campaign_takes_no_new_pledges_but_withdrawal_works(in_request):
    campaign = make_campaign()
    member = make_user()
    existing = make_pledge(member.organization, campaign)
    campaign.status = CampaignStatus.ARCHIVED
    newcomer = make_user()
    with pytest.raises(DomainError, match="archived"):
        pledge_service.pledge(newcomer.organization, campaign, ["endorsement"], "", "public", newcomer)
    with pytest.raises(DomainError, match="archived"):
        pledge_service.update_pledge(existing, ["funding"], "", "public", member)
    pledge_service.withdraw(existing, member)
    db.session.commit()
    assert campaign.supporter_count == 0
    assert_counters_consistent()


@pytest.mark.parametrize(
    ("kinds", "message", "visibility", "words"),
    [
        ([], "", "public", "at least one"),
        (["sabotage"], "", "public", "Unknown"),
        (["endorsement"], "x" * 1001, "public", "at most"),
        (["endorsement"], "", "everyone", "who may see"),
    ],
)
def test_invalid_pledge_is_refused_and_writes_nothing(in_request, kinds, message, visibility, words):
    campaign = make_campaign()
    member = make_user()
    with pytest.raises(DomainError, match=words):
        pledge_service.pledge(member.organization, campaign, kinds, message, visibility, member)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Pledge)) == 0


def test_second_pledge_to_same_campaign_is_refused_with_a_message(in_request):
    campaign = make_campaign()
    member = make_user()
    pledge_service.pledge(member.organization, campaign, ["endorsement"], "", "public", member)
    with pytest.raises(DomainError, match="already supports"):
        pledge_service.pledge(member.organization, campaign, ["funding"], "", "public", member)
    db.session.commit()
    assert len(active_pledges(member.organization, campaign)) == 1
    assert_counters_consistent()


def test_database_refuses_a_second_active_pledge_even_if_the_check_is_passed(in_request, monkeypatch):
    """The race as the loser sees it: its check found nothing, but its INSERT collides."""
    campaign = make_campaign()
    member = make_user()
    make_pledge(member.organization, campaign)
    db.session.commit()
    monkeypatch.setattr(pledge_service, "active_pledge", lambda org, campaign: None)
    with pytest.raises(DomainError, match="already supports"):
        pledge_service.pledge(member.organization, campaign, ["funding"], "", "public", member)
    # The savepoint rolled back only the failed INSERT; the session is still usable.
    db.session.commit()
    assert len(active_pledges(member.organization, campaign)) == 1
    assert_counters_consistent()


def test_changing_visibility_moves_the_public_count(in_request):
    campaign = make_campaign()
    member = make_user()
    pledge = pledge_service.pledge(member.organization, campaign, ["endorsement"], "", "public", member)
    db.session.commit()
    assert member.organization.public_pledge_count == 1
    pledge_service.update_pledge(pledge, ["volunteers", "expertise"], "Hello", "counted", member)
    db.session.commit()
    assert pledge.kinds == [SupportKind.VOLUNTEERS, SupportKind.EXPERTISE]
    assert member.organization.public_pledge_count == 0
    # Leaving the public list moves the total as a withdrawal would (the name gone and the
    # total unchanged would tell that it still supports); the next refresh counts it again.
    assert campaign.supporter_count == 0
    assert_counters_consistent()
    counters.refresh()
    db.session.commit()
    assert campaign.supporter_count == 1
    assert_counters_consistent()


def test_withdraw_then_pledge_again_creates_a_new_active_pledge(in_request):
    campaign = make_campaign()
    member = make_user()
    first = pledge_service.pledge(member.organization, campaign, ["endorsement"], "", "members", member)
    db.session.commit()
    pledge_service.withdraw(first, member)
    db.session.commit()
    assert first.withdrawn_at is not None
    assert campaign.supporter_count == 0
    assert_counters_consistent()
    with pytest.raises(DomainError, match="already been withdrawn"):
        pledge_service.withdraw(first, member)

    second = pledge_service.pledge(member.organization, campaign, ["funding"], "", "public", member)
    db.session.commit()
    assert second.id != first.id
    assert active_pledges(member.organization, campaign) == [second]
    assert campaign.supporter_count == 1
    assert_counters_consistent()


def test_another_organization_cannot_withdraw_or_change_a_pledge(in_request):
    campaign = make_campaign()
    owner = make_user()
    pledge = make_pledge(owner.organization, campaign)
    intruder = make_user()
    with pytest.raises(NotAllowed):
        pledge_service.withdraw(pledge, intruder)
    with pytest.raises(NotAllowed):
        pledge_service.update_pledge(pledge, ["funding"], "", "counted", intruder)
    assert pledge.is_active


def test_suspended_organization_may_still_withdraw(in_request):
    campaign = make_campaign()
    member = make_user()
    pledge = make_pledge(member.organization, campaign)
    member.organization.status = OrganizationStatus.SUSPENDED
    counters.organization_changed(member.organization)
    db.session.commit()
    pledge_service.withdraw(pledge, member)
    db.session.commit()
    assert_counters_consistent()


def test_dashboard_solidarity_lists_active_pledges_and_projects(in_request):
    from tests.builders import make_project

    campaign = make_campaign()
    member = make_user()
    make_pledge(member.organization, campaign, visibility=PledgeVisibility.COUNTED)
    make_pledge(member.organization, make_campaign(), withdrawn=True)
    make_project(member.organization, [campaign])
    db.session.commit()
    solidarity = pledge_service.dashboard_solidarity(member.organization)
    assert [p.campaign_id for p in solidarity.pledges] == [campaign.id]
    assert [c.id for c in solidarity.projects[0].campaigns] == [campaign.id]


# --- The double-pledge race, through the real route ---------------------------------------


def test_two_concurrent_pledge_requests_create_exactly_one_pledge(app, make_app):
    with app_context(app):
        campaign = make_campaign()
        member = make_user()
        db.session.commit()
    slug, email, org_id, campaign_id = campaign.slug, member.email, member.organization_id, campaign.id

    racing_app = make_app()
    clients = []
    for _ in range(2):
        c = racing_app.test_client()
        c.post("/auth/login", data={"email": email, "password": "correct horse battery staple"})
        clients.append(c)
    barrier = threading.Barrier(2)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def send(c):
        try:
            barrier.wait(timeout=10)
            response = c.post(
                f"/campaigns/{slug}/pledge", data={"kinds": ["endorsement"], "visibility": "public"}
            )
            statuses.append(response.status_code)
        except BaseException as error:  # reported below, in the main thread
            errors.append(error)

    threads = [threading.Thread(target=send, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert not errors
    assert len(statuses) == 2
    assert all(status < 500 for status in statuses), statuses
    active = count(
        app,
        Pledge,
        Pledge.organization_id == org_id,
        Pledge.campaign_id == campaign_id,
        Pledge.withdrawn_at.is_(None),
    )
    assert active == 1
    assert_counters_consistent(app)


# --- Through the pages ---------------------------------------------------------------------


def pledge_count(app) -> int:
    return count(app, Pledge)


def new_campaign_and_member(app, organization_status=OrganizationStatus.APPROVED, **campaign_fields):
    """A campaign and a member of an organization (with that status): both, as built."""
    with app_context(app):
        campaign = make_campaign(**campaign_fields)
        member = make_user(make_organization(status=organization_status))
        db.session.commit()
        return campaign, member


def test_member_pledges_changes_and_withdraws_through_the_campaign_page(app, client, auth):
    campaign, member = new_campaign_and_member(app)
    auth.login(member.email)

    page = client.get(f"/campaigns/{campaign.slug}").get_data(as_text=True)
    assert "Pledge support" in page
    assert "never named anywhere" in page

    response = client.post(
        f"/campaigns/{campaign.slug}/pledge",
        data={"kinds": ["advocacy", "volunteers"], "message": "With you", "visibility": "members"},
    )
    assert response.status_code == 302
    page = client.get(f"/campaigns/{campaign.slug}").get_data(as_text=True)
    assert "Change the pledge" in page
    assert re.search(r'<input checked[^>]*name="visibility"[^>]*value="members"', page)

    client.post(f"/campaigns/{campaign.slug}/pledge", data={"kinds": ["funding"], "visibility": "counted"})
    pledge = scalar(app, sa.select(Pledge))
    assert (pledge.support_kinds, pledge.visibility) == ("funding", PledgeVisibility.COUNTED)
    assert pledge_count(app) == 1

    response = client.post(f"/campaigns/{campaign.slug}/pledge/withdraw", data={"confirm": "yes"})
    assert response.status_code == 302
    assert scalar(app, sa.select(Pledge)).withdrawn_at is not None
    assert_counters_consistent(app)


def test_form_errors_are_shown_and_nothing_is_written(app, client, auth):
    campaign, member = new_campaign_and_member(app)
    auth.login(member.email)
    response = client.post(
        f"/campaigns/{campaign.slug}/pledge",
        data={"kinds": [], "message": "x" * 1001, "visibility": "public"},
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Choose at least one kind of support." in page
    assert "x" * 1001 in page  # what the member wrote is kept for correction
    assert pledge_count(app) == 0


@pytest.mark.parametrize("status", [OrganizationStatus.PENDING, OrganizationStatus.SUSPENDED])
def test_pending_or_suspended_member_is_refused_on_the_server(app, client, auth, status):
    campaign, member = new_campaign_and_member(app, status)
    auth.login(member.email)
    page = client.get(f"/campaigns/{campaign.slug}").get_data(as_text=True)
    assert "Pledge support</button>" not in page
    assert ("approval" if status == OrganizationStatus.PENDING else "suspended") in page

    response = client.post(
        f"/campaigns/{campaign.slug}/pledge", data={"kinds": ["endorsement"], "visibility": "public"}
    )
    assert response.status_code == 403
    assert pledge_count(app) == 0


def test_visitor_is_invited_to_log_in_and_cannot_post(app, client):
    with app_context(app):
        campaign = make_campaign()
        db.session.commit()
    page = client.get(f"/campaigns/{campaign.slug}").get_data(as_text=True)
    assert "Log in to pledge" in page
    response = client.post(
        f"/campaigns/{campaign.slug}/pledge", data={"kinds": ["endorsement"], "visibility": "public"}
    )
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]
    assert pledge_count(app) == 0


def test_archived_campaign_page_offers_no_pledge_form(app, client, auth):
    campaign, member = new_campaign_and_member(app, status=CampaignStatus.ARCHIVED)
    auth.login(member.email)
    page = client.get(f"/campaigns/{campaign.slug}").get_data(as_text=True)
    assert "takes no new pledges" in page
    response = client.post(
        f"/campaigns/{campaign.slug}/pledge", data={"kinds": ["endorsement"], "visibility": "public"}
    )
    assert response.status_code == 409
    assert "archived" in response.get_data(as_text=True)
    assert pledge_count(app) == 0


def test_pledge_without_csrf_token_is_refused(make_app):
    from tests.conftest import csrf_token_from, empty_all_tables

    csrf_app = make_app(WTF_CSRF_ENABLED=True)
    try:
        campaign, member = new_campaign_and_member(csrf_app)
        slug = campaign.slug
        client = csrf_app.test_client()
        token = csrf_token_from(client, "/auth/login")
        client.post(
            "/auth/login",
            data={"email": member.email, "password": "correct horse battery staple", "csrf_token": token},
        )
        response = client.post(
            f"/campaigns/{slug}/pledge", data={"kinds": ["endorsement"], "visibility": "public"}
        )
        assert response.status_code == 400
        assert pledge_count(csrf_app) == 0
        # With the page's token, the same request works.
        token = csrf_token_from(client, f"/campaigns/{slug}")
        response = client.post(
            f"/campaigns/{slug}/pledge",
            data={"kinds": ["endorsement"], "visibility": "public", "csrf_token": token},
        )
        assert response.status_code == 302
        assert pledge_count(csrf_app) == 1
    finally:
        with csrf_app.app_context():
            empty_all_tables()


def test_changing_a_pledge_on_an_archived_campaign_is_refused_with_the_reason(app, client, auth):
    with app_context(app):
        campaign = make_campaign()
        member = make_user()
        make_pledge(member.organization, campaign, message="Before")
        campaign.status = CampaignStatus.ARCHIVED
        db.session.commit()
    auth.login(member.email)
    response = client.post(
        f"/campaigns/{campaign.slug}/pledge",
        data={"kinds": ["funding"], "message": "After", "visibility": "public"},
    )
    assert response.status_code == 409
    assert "can be withdrawn but not changed" in response.get_data(as_text=True)
    assert scalar(app, sa.select(Pledge.message)) == "Before"


# --- Feedback where the eye is -------------------------------------------------------------


def pledged_member(app, client, auth, visibility="members"):
    campaign, member = new_campaign_and_member(app)
    auth.login(member.email)
    client.post(f"/campaigns/{campaign.slug}/pledge", data={"kinds": ["advocacy"], "visibility": visibility})
    return campaign


def panel_of(page: str) -> str:
    start = page.index('id="pledge"')
    return page[start : page.index("</section>", start)]


def test_confirmation_shows_inside_the_pledge_panel_and_is_announced(app, client, auth):
    campaign, member = new_campaign_and_member(app)
    auth.login(member.email)
    response = client.post(
        f"/campaigns/{campaign.slug}/pledge", data={"kinds": ["advocacy"], "visibility": "public"}
    )
    assert response.headers["Location"].endswith("#pledge")
    page = client.get(f"/campaigns/{campaign.slug}").get_data(as_text=True)
    panel = panel_of(page)
    assert re.search(
        r'role="status" aria-live="polite">\s*<p[^>]*>Thank you: your organization now supports', panel
    )
    assert page.count("Thank you: your organization now supports") == 1  # not also at the top

    client.post(f"/campaigns/{campaign.slug}/pledge", data={"kinds": ["funding"], "visibility": "public"})
    assert "Your pledge has been updated." in panel_of(
        client.get(f"/campaigns/{campaign.slug}").get_data(as_text=True)
    )


def test_withdrawing_without_confirmation_changes_nothing_and_asks_first(app, client, auth):
    campaign = pledged_member(app, client, auth)
    response = client.post(f"/campaigns/{campaign.slug}/pledge/withdraw")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Withdraw the pledge?" in page
    assert 'name="confirm" value="yes"' in page
    assert scalar(app, sa.select(Pledge)).withdrawn_at is None


def test_the_panel_asks_before_withdrawing_without_javascript(app, client, auth):
    campaign = pledged_member(app, client, auth)
    panel = panel_of(client.get(f"/campaigns/{campaign.slug}").get_data(as_text=True))
    details = panel[panel.index('<details class="confirm-action">') :]
    assert (
        details.index("<summary") < details.index('name="confirm" value="yes"') < details.index("</details>")
    )


def test_confirmed_withdrawal_is_told_in_the_panel_and_keeps_the_visibility(app, client, auth):
    campaign = pledged_member(app, client, auth, visibility="counted")
    response = client.post(f"/campaigns/{campaign.slug}/pledge/withdraw", data={"confirm": "yes"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("#pledge")
    assert scalar(app, sa.select(Pledge)).withdrawn_at is not None
    panel = panel_of(client.get(f"/campaigns/{campaign.slug}").get_data(as_text=True))
    assert "Your pledge has been withdrawn." in panel
    assert re.search(r'<input checked[^>]*name="visibility"[^>]*value="counted"', panel)
    assert not re.search(r'<input checked[^>]*name="visibility"[^>]*value="public"', panel)

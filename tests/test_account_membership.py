"""A member's dashboard: status and reason, editing the profile, password, inviting colleagues."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import AuditAction, AuditEntry, Campaign, Organization, OrganizationStatus, User, Visibility
from app.services import counters
from app.services.passwords import verify_password
from tests.builders import (
    DEFAULT_PASSWORD,
    make_campaign,
    make_moderator,
    make_organization,
    make_pledge,
    make_user,
)
from tests.conftest import app_context, scalar
from tests.membership_support import STRONG_PASSWORD, link_in, registration_data, row_counts

NEW_PASSWORD = "a quiet garden by the tigris"


def profile_data(**overrides):
    data = registration_data(**overrides)
    for key in ("email", "password", "confirm"):
        data.pop(key)
    return data


def login_member(
    app, auth, status=OrganizationStatus.APPROVED, *, is_owner=True, email="amal@example.org", **fields
):
    """An organization (with ``fields``) and its member, logged in; snapshots of both."""
    with app_context(app):
        organization = make_organization("Al-Amal", status=status, **fields)
        user = make_user(organization, email=email, is_owner=is_owner)
        db.session.commit()
    auth.login(email)
    return organization, user


def organization_now(app, organization) -> Organization:
    """The organization as the database holds it now."""
    return scalar(app, sa.select(Organization).where(Organization.id == organization.id))


def password_hash_of(app, user) -> str:
    return scalar(app, sa.select(User.password_hash).where(User.id == user.id))


def test_dashboard_shows_the_rejection_reason_and_what_to_do(app, client, auth):
    login_member(
        app, auth, OrganizationStatus.REJECTED, status_reason="Please describe your activities in Basra."
    )
    html = client.get("/account/").get_data(as_text=True)
    assert "Rejected" in html
    assert "Please describe your activities in Basra." in html
    assert "Correct and apply again" in html


def test_dashboard_shows_suspension_reason(app, client, auth):
    login_member(app, auth, OrganizationStatus.SUSPENDED, status_reason="Under review after a complaint.")
    html = client.get("/account/").get_data(as_text=True)
    assert "Suspended" in html
    assert "Under review after a complaint." in html


def test_dashboard_asks_to_confirm_an_unconfirmed_email(app, client, auth, outbox):
    with app_context(app):
        organization = make_organization(status=OrganizationStatus.PENDING)
        make_user(organization, email="new@example.org", confirmed=False)
        db.session.commit()
    auth.login("new@example.org")
    assert "not confirmed yet" in client.get("/account/").get_data(as_text=True)
    client.post("/auth/confirm/resend")
    assert "/auth/confirm/" in link_in(outbox[-1], "/auth/confirm/")


def test_pending_applicant_corrects_the_application(app, client, auth):
    organization, _ = login_member(app, auth, OrganizationStatus.PENDING)
    response = client.post("/account/profile", data=profile_data(name="Al-Amal for Children", city="Zubair"))
    assert response.status_code == 302
    organization = organization_now(app, organization)
    assert organization.name == "Al-Amal for Children"
    assert organization.city == "Zubair"
    assert organization.status == OrganizationStatus.PENDING


def test_pending_dashboard_offers_only_what_an_application_can_do(app, client, auth):
    login_member(app, auth, OrganizationStatus.PENDING)
    html = client.get("/account/").get_data(as_text=True)
    assert "Edit the application" in html
    assert "Edit the profile" not in html
    assert "/account/logo" in html  # the logo and the translations belong to the application
    # Nothing it cannot do yet: pledges, projects, going dark (it is not in public view), inviting.
    for absent in ("Our pledges", "Our projects", "/projects/new", "/account/dark", "/account/invite"):
        assert absent not in html, absent
    assert "Withdraw our application" in html


def test_the_pending_profile_page_is_titled_as_the_application(app, client, auth):
    login_member(app, auth, OrganizationStatus.PENDING)
    html = client.get("/account/profile").get_data(as_text=True)
    assert "<h1>Edit the application</h1>" in html
    assert "<title>Edit the application" in html
    assert 'value="Save the application"' in html
    response = client.post("/account/profile", data=profile_data(), follow_redirects=True)
    assert "Your application is saved" in response.get_data(as_text=True)


def test_approved_dashboard_offers_pledges_projects_and_going_dark(app, client, auth):
    login_member(app, auth, OrganizationStatus.APPROVED)
    html = client.get("/account/").get_data(as_text=True)
    for present in ("Edit the profile", "Our pledges", "Our projects", "/account/dark", "/account/invite"):
        assert present in html, present
    assert "<h1>Edit the profile</h1>" in client.get("/account/profile").get_data(as_text=True)


def test_approved_member_changes_contact_visibility(app, client, auth):
    organization, _ = login_member(app, auth)
    client.post("/account/profile", data=profile_data(contact_email_visibility="hidden"))
    organization = organization_now(app, organization)
    assert organization.contact_email_visibility == Visibility.HIDDEN
    assert "info@amal.example.org" not in client.get(f"/organizations/{organization.slug}").get_data(
        as_text=True
    )


def test_profile_form_refuses_a_javascript_website(app, client, auth):
    organization, _ = login_member(app, auth)
    response = client.post("/account/profile", data=profile_data(website="javascript:alert(1)"))
    assert response.status_code == 400
    assert organization_now(app, organization).website is None


def test_forged_status_field_is_ignored(app, client, auth):
    organization, _ = login_member(app, auth, OrganizationStatus.PENDING)
    client.post("/account/profile", data=profile_data(status="approved"))
    assert organization_now(app, organization).status == OrganizationStatus.PENDING


def test_rejected_organization_corrects_and_applies_again(app, client, auth):
    organization, user = login_member(app, auth, OrganizationStatus.REJECTED, status_reason="Too vague.")
    response = client.post("/account/profile", data=profile_data(description="Reading classes in Basra."))
    assert response.status_code == 302
    organization = organization_now(app, organization)
    assert organization.status == OrganizationStatus.PENDING
    assert organization.status_reason is None
    entry = scalar(app, sa.select(AuditEntry))
    assert entry.action == AuditAction.ORGANIZATION_RESUBMITTED
    assert entry.actor_id == user.id
    assert entry.organization_id == organization.id


def test_suspended_organization_cannot_edit(app, client, auth):
    organization, _ = login_member(app, auth, OrganizationStatus.SUSPENDED)
    before = row_counts(app)
    assert client.post("/account/profile", data=profile_data(name="New name")).status_code == 403
    assert organization_now(app, organization).name == "Al-Amal"
    assert row_counts(app) == before


def test_moderator_without_organization_has_no_profile_page(app, client, auth):
    with app_context(app):
        make_moderator(email="mod@example.org")
        db.session.commit()
    auth.login("mod@example.org")
    assert client.get("/account/profile").status_code == 403
    assert client.get("/account/").status_code == 200


def test_changing_the_password_logs_out_everywhere(client, auth, app):
    _, user = login_member(app, auth)
    other_device = app.test_client()
    other_device.post("/auth/login", data={"email": "amal@example.org", "password": DEFAULT_PASSWORD})
    response = client.post(
        "/account/password",
        data={"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 302
    new_hash = password_hash_of(app, user)
    with app_context(app):  # the hasher's settings are the application's
        assert verify_password(new_hash, NEW_PASSWORD)
    assert other_device.get("/account/").status_code == 302
    assert client.get("/account/").status_code == 302


def test_password_change_needs_the_current_password(app, client, auth):
    _, user = login_member(app, auth)
    old_hash = user.password_hash
    response = client.post(
        "/account/password",
        data={"current_password": "not my password!!", "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 400
    assert "current password is not correct" in response.get_data(as_text=True)
    assert password_hash_of(app, user) == old_hash


def test_password_change_refuses_a_common_password(app, client, auth):
    _, user = login_member(app, auth)
    old_hash = user.password_hash
    response = client.post(
        "/account/password",
        data={
            "current_password": DEFAULT_PASSWORD,
            "new_password": "iloveyou1234",
            "confirm": "iloveyou1234",
        },
    )
    assert response.status_code == 400
    assert password_hash_of(app, user) == old_hash


def invite(client, email="colleague@example.org"):
    return client.post("/account/invite", data={"email": email})


def test_owner_invites_a_colleague_who_joins_the_organization(client, auth, outbox, app):
    organization, _ = login_member(app, auth)
    assert invite(client).status_code == 302
    [message] = outbox
    assert message.recipients == ["colleague@example.org"]
    link = link_in(message, "/auth/invitation/")
    assert message.body.count("http://tadamun.test/auth/invitation/") == 1

    newcomer = app.test_client()
    assert "Join <bdi>Al-Amal" in newcomer.get(link).get_data(as_text=True)
    response = newcomer.post(link, data={"password": STRONG_PASSWORD, "confirm": STRONG_PASSWORD})
    assert response.status_code == 302
    user = scalar(app, sa.select(User).where(User.email == "colleague@example.org"))
    assert user.organization_id == organization.id
    assert not user.is_owner
    assert user.email_confirmed_at is not None
    assert newcomer.get("/account/").status_code == 200


def test_invitation_link_works_only_once(client, auth, outbox, app):
    login_member(app, auth)
    invite(client)
    link = link_in(outbox[-1], "/auth/invitation/")
    app.test_client().post(link, data={"password": STRONG_PASSWORD, "confirm": STRONG_PASSWORD})
    before = row_counts(app)
    again = app.test_client().post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert again.status_code == 400
    assert row_counts(app) == before


def test_invitation_refuses_a_weak_password(client, auth, outbox, app):
    login_member(app, auth)
    invite(client)
    link = link_in(outbox[-1], "/auth/invitation/")
    before = row_counts(app)
    response = app.test_client().post(link, data={"password": "short", "confirm": "short"})
    assert response.status_code == 200
    assert row_counts(app) == before


def test_inviting_a_registered_email_sends_nothing_and_says_the_same(app, client, auth, outbox):
    login_member(app, auth)
    with app_context(app):
        make_user(email="taken@example.org")
        db.session.commit()
    known = invite(client, "taken@example.org")
    unknown = invite(client, "free@example.org")
    assert known.status_code == unknown.status_code == 302
    assert [m.recipients for m in outbox] == [["free@example.org"]]


def test_only_owners_invite(app, client, auth, outbox):
    login_member(app, auth, is_owner=False)
    assert client.get("/account/invite").status_code == 403
    assert invite(client).status_code == 403
    assert outbox == []


def test_pending_owner_cannot_invite(app, client, auth, outbox):
    login_member(app, auth, OrganizationStatus.PENDING)
    assert invite(client).status_code == 403
    assert outbox == []


def test_invitation_of_a_suspended_organization_stops_working(client, auth, outbox, app):
    organization, _ = login_member(app, auth)
    invite(client)
    link = link_in(outbox[-1], "/auth/invitation/")
    with app_context(app):
        db.session.get(Organization, organization.id).status = OrganizationStatus.SUSPENDED
        db.session.commit()
    before = row_counts(app)
    response = app.test_client().post(link, data={"password": STRONG_PASSWORD, "confirm": STRONG_PASSWORD})
    assert response.status_code == 400
    assert row_counts(app) == before


def test_visitor_is_sent_to_log_in(client):
    for path in ("/account/", "/account/profile", "/account/password", "/account/invite"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/auth/login?next=")


def test_links_members_enter_are_marked_nofollow_ugc(app, client, auth):
    organization, _ = login_member(app, auth)
    client.post(
        "/account/profile",
        data=profile_data(description="See [our report](https://amal.example.org/report)."),
    )
    html = client.get(f"/organizations/{organization.slug}").get_data(as_text=True)
    assert 'href="https://amal.example.org" rel="nofollow ugc noopener"' in html
    assert 'href="https://amal.example.org/report" rel="nofollow ugc noopener"' in html


def test_moving_an_approved_organization_abroad_keeps_the_iraqi_split_right(app, client, auth):
    organization, _ = login_member(app, auth)
    with app_context(app):
        campaign = make_campaign()
        make_pledge(db.session.get(Organization, organization.id), campaign)
        db.session.commit()
        assert campaign.iraqi_supporter_count == 1
    client.post("/account/profile", data=profile_data(country="NO", city="Oslo"))
    campaign = scalar(app, sa.select(Campaign).where(Campaign.id == campaign.id))
    assert (campaign.supporter_count, campaign.iraqi_supporter_count) == (1, 0)
    with app_context(app):
        assert counters.computed_counts() == counters.stored_counts()

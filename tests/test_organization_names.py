"""An organization's name is its identity: no look-alikes, and a new name waits for a moderator."""

# ruff: noqa: RUF001  (look-alike characters are what these tests are about)

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditAction, AuditEntry, Organization, OrganizationStatus, Project
from app.names import name_skeleton
from tests.builders import make_campaign, make_moderator, make_organization, make_project, make_user
from tests.conftest import app_context, log_in, scalar, scalars
from tests.membership_support import registration_data, row_counts

TOO_CLOSE = "too close to an existing organization"


def profile_data(**overrides):
    data = registration_data(**overrides)
    for key in ("email", "password", "confirm"):
        data.pop(key)
    return data


def login_member(app, auth, name="Al-Amal", status=OrganizationStatus.APPROVED, email="amal@example.org"):
    """A member of a new organization, logged in with the client: both, as built (snapshots)."""
    with app_context(app):
        organization = make_organization(name, status=status)
        user = make_user(organization, email=email)
        db.session.commit()
    auth.login(email)
    return organization, user


def login_moderator(app):
    with app_context(app):
        make_moderator("mod@example.org")
        db.session.commit()
    client = app.test_client()
    log_in(client, "mod@example.org")  # with the code of the moderator's authenticator app
    return client


def actions(app) -> list[AuditAction]:
    return scalars(app, sa.select(AuditEntry.action).order_by(AuditEntry.id))


def organization_of(app, organization_id) -> Organization:
    """The organization as the database holds it now."""
    with app_context(app):
        return db.session.get(Organization, organization_id)


def new_organization(app, *args, **fields) -> Organization:
    with app_context(app):
        organization = make_organization(*args, **fields)
        db.session.commit()
        return organization


# --- Registration -----------------------------------------------------------------------------


@pytest.mark.parametrize("status", list(OrganizationStatus))
@pytest.mark.parametrize(
    "lookalike",
    [
        "Un ponte per",
        "UN PONTE PER",
        "Un pоnte per",
        "Un ponte-per",
        "Ún pónte per",
        "Ｕｎ ｐｏｎｔｅ ｐｅｒ",
    ],
)
def test_registration_refuses_a_name_too_close_to_any_organization(app, client, status, lookalike):
    new_organization(app, "Un ponte per", status=status)
    before = row_counts(app)
    response = client.post("/auth/register", data=registration_data(name=lookalike))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert TOO_CLOSE in html
    # The answer is the same whatever the other organization's status: it reveals nothing more.
    for word in ("suspended", "pending", "rejected", "hidden"):
        assert word not in html.lower().split(TOO_CLOSE)[1][:200]
    assert row_counts(app) == before


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "Al-Amal\u202e Association"),
        ("name", "Al-Amal\u200b Association"),
        ("name", "Al-Amal\r\nBcc: victim@example.org"),
        ("city", "Basra\nBaghdad"),
        ("contact_person", "Layla\u2066"),
        ("contact_phone", "+964\t770"),
        ("address", "Al-Ashar\u200f street"),
    ],
)
def test_registration_refuses_control_and_invisible_characters(app, client, field, value):
    before = row_counts(app)
    response = client.post("/auth/register", data=registration_data(**{field: value}))
    assert response.status_code == 400
    assert "not allowed" in response.get_data(as_text=True)
    assert row_counts(app) == before


def test_registration_accepts_kurdish_with_a_non_joiner_and_stores_the_skeleton(app, client):
    name = "کۆمە\u200cڵەی ئاشتی"
    assert client.post("/auth/register", data=registration_data(name=name)).status_code == 302
    organization = scalar(app, sa.select(Organization))
    assert organization.name == name
    assert organization.name_skeleton == name_skeleton(name)


def test_a_name_with_no_letter_is_refused(client):
    response = client.post("/auth/register", data=registration_data(name="*** ---"))
    assert response.status_code == 400
    assert "letters" in response.get_data(as_text=True)


# --- Renaming ---------------------------------------------------------------------------------


def test_renaming_an_approved_organization_waits_for_a_moderator(app, client, auth):
    organization, user = login_member(app, auth)
    response = client.post("/account/profile", data=profile_data(name="Al-Amal for Children", city="Zubair"))
    assert response.status_code == 302
    organization = organization_of(app, organization.id)
    # The old name stays public; the rest of the profile is saved at once.
    assert organization.name == "Al-Amal"
    assert organization.proposed_name == "Al-Amal for Children"
    assert organization.city == "Zubair"
    page = client.get(f"/organizations/{organization.slug}").get_data(as_text=True)
    assert "Al-Amal for Children" not in page
    entry = scalar(app, sa.select(AuditEntry))
    assert entry.action == AuditAction.ORGANIZATION_RENAME_REQUESTED
    assert entry.actor_id == user.id
    assert entry.organization_id == organization.id
    assert "Al-Amal for Children" in entry.reason
    dashboard = client.get("/account/").get_data(as_text=True)
    assert "waiting for review" in dashboard
    assert "Al-Amal for Children" in dashboard
    # The profile form shows the name asked for, so saving it again changes nothing.
    assert 'value="Al-Amal for Children"' in client.get("/account/profile").get_data(as_text=True)
    client.post("/account/profile", data=profile_data(name="Al-Amal for Children", city="Zubair"))
    assert actions(app) == [AuditAction.ORGANIZATION_RENAME_REQUESTED]


def test_an_approved_organization_cannot_take_another_members_name(app, client, auth):
    new_organization(app, "Un ponte per")
    organization, _ = login_member(app, auth)
    before = row_counts(app)
    response = client.post("/account/profile", data=profile_data(name="Un pоnte per"))  # Cyrillic o
    assert response.status_code == 400
    assert TOO_CLOSE in response.get_data(as_text=True)
    organization = organization_of(app, organization.id)
    assert organization.name == "Al-Amal"
    assert organization.proposed_name is None
    assert row_counts(app) == before


def test_an_approved_organization_keeps_its_own_name_in_another_case(app, client, auth):
    organization, _ = login_member(app, auth)
    response = client.post("/account/profile", data=profile_data(name="AL-AMAL"))
    assert response.status_code == 302
    assert organization_of(app, organization.id).proposed_name == "AL-AMAL"


def test_going_back_to_the_current_name_withdraws_the_request(app, client, auth):
    organization, _ = login_member(app, auth)
    client.post("/account/profile", data=profile_data(name="Al-Amal for Children"))
    client.post("/account/profile", data=profile_data(name="Al-Amal"))
    assert organization_of(app, organization.id).proposed_name is None
    assert actions(app) == [
        AuditAction.ORGANIZATION_RENAME_REQUESTED,
        AuditAction.ORGANIZATION_RENAME_WITHDRAWN,
    ]


def test_a_pending_application_changes_its_name_at_once_but_not_to_a_taken_one(app, client, auth):
    new_organization(app, "Mosul Free Voices", status=OrganizationStatus.SUSPENDED)
    organization, _ = login_member(app, auth, status=OrganizationStatus.PENDING)
    assert client.post("/account/profile", data=profile_data(name="Al-Amal Basra")).status_code == 302
    organization = organization_of(app, organization.id)
    assert organization.name == "Al-Amal Basra"
    assert organization.name_skeleton == name_skeleton("Al-Amal Basra")
    response = client.post("/account/profile", data=profile_data(name="MOSUL FREE VOICES"))
    assert response.status_code == 400
    assert TOO_CLOSE in response.get_data(as_text=True)


def test_the_moderator_sees_and_approves_a_new_name(client, auth, app, outbox):
    organization, _ = login_member(app, auth)
    client.post("/account/profile", data=profile_data(name="Al-Amal for Children"))
    moderator = login_moderator(app)

    queue = moderator.get("/moderation/").get_data(as_text=True)
    assert "Al-Amal for Children" in queue
    detail = moderator.get(f"/moderation/organizations/{organization.id}").get_data(as_text=True)
    assert "Al-Amal for Children" in detail

    response = moderator.post(f"/moderation/organizations/{organization.id}/name/approve", data={})
    assert response.status_code == 302
    organization = organization_of(app, organization.id)
    assert organization.name == "Al-Amal for Children"
    assert organization.name_skeleton == name_skeleton("Al-Amal for Children")
    assert organization.proposed_name is None
    assert actions(app)[-1] == AuditAction.ORGANIZATION_RENAME_APPROVED
    assert "Al-Amal for Children" in client.get(f"/organizations/{organization.slug}").get_data(as_text=True)
    assert outbox and "Al-Amal for Children" in outbox[-1].body


def test_the_moderator_rejects_a_new_name_with_a_reason(client, auth, app, outbox):
    organization, _ = login_member(app, auth)
    client.post("/account/profile", data=profile_data(name="Al-Amal for Children"))
    moderator = login_moderator(app)
    url = f"/moderation/organizations/{organization.id}/name/reject"

    before = row_counts(app)
    assert moderator.post(url, data={"reason": ""}).status_code == 400
    assert row_counts(app) == before

    assert moderator.post(url, data={"reason": "This name belongs to another group."}).status_code == 302
    organization = organization_of(app, organization.id)
    assert organization.name == "Al-Amal"
    assert organization.proposed_name is None
    entry = scalar(app, sa.select(AuditEntry).order_by(AuditEntry.id.desc()))
    assert entry.action == AuditAction.ORGANIZATION_RENAME_REJECTED
    assert entry.reason == "This name belongs to another group."
    assert "This name belongs to another group." in outbox[-1].body


def test_approval_is_refused_when_the_name_was_taken_meanwhile(client, auth, app):
    organization, _ = login_member(app, auth)
    client.post("/account/profile", data=profile_data(name="Al-Amal for Children"))
    new_organization(app, "Al Amal for children", status=OrganizationStatus.PENDING)
    moderator = login_moderator(app)
    response = moderator.post(f"/moderation/organizations/{organization.id}/name/approve", data={})
    assert response.status_code == 400
    assert TOO_CLOSE in response.get_data(as_text=True)
    assert organization_of(app, organization.id).name == "Al-Amal"


def test_the_queue_costs_the_same_however_many_names_wait(app, count_queries):
    moderator = login_moderator(app)

    def add(n):
        taken = len(actions(app))
        with app_context(app):
            for i in range(n):
                organization = make_organization(f"Group {taken} {i}")
                organization.proposed_name = f"Renamed group {organization.id}"
                make_user(organization)
            db.session.commit()

    add(2)
    with count_queries() as few:
        moderator.get("/moderation/")
    add(8)
    with count_queries() as many:
        moderator.get("/moderation/")
    assert many.count == few.count


# --- Mail headers -----------------------------------------------------------------------------


def legacy_organization_with_a_line_break_in_its_name(app, email) -> int:
    """A row written before names were checked (or by hand): the mail layer must still hold.
    Its id."""
    with app_context(app):
        organization = make_organization("Temp")
        make_user(organization, email=email)
        db.session.commit()
        db.session.execute(
            sa.update(Organization)
            .where(Organization.id == organization.id)
            .values(name="Evil\r\nBcc: victim@example.org\r\nX-Injected: yes")
        )
        db.session.commit()
        return organization.id


def header_block(raw: bytes) -> bytes:
    return re.split(rb"\r?\n\r?\n", raw, maxsplit=1)[0]


def test_the_invitation_mail_carries_no_header_injected_through_the_name(app, client, auth, outbox):
    legacy_organization_with_a_line_break_in_its_name(app, "owner@example.org")
    auth.login("owner@example.org")
    response = client.post("/account/invite", data={"email": "colleague@example.org"})
    assert response.status_code == 302
    [message] = outbox
    assert "\r" not in message.subject and "\n" not in message.subject
    assert message.recipients == ["colleague@example.org"]
    assert not message.bcc
    with app.app_context():  # Flask-Mail reads its settings to write the message out
        headers = header_block(message.as_bytes())
    assert b"\nBcc:" not in headers
    assert b"\nX-Injected:" not in headers


def test_the_file_backend_writes_no_injected_header(make_app, tmp_path):
    from app.services import mail
    from tests.conftest import empty_all_tables

    outbox_dir = tmp_path / "mails"
    application = make_app(MAIL_BACKEND="file", MAIL_OUTBOX_DIR=str(outbox_dir))
    try:
        organization_id = legacy_organization_with_a_line_break_in_its_name(application, "owner@example.org")
        with app_context(application):
            organization = db.session.get(Organization, organization_id)
            mail.send_invitation(organization.users[0], "colleague@example.org", "token")
            db.session.commit()  # queued, then written at the commit
        [written] = list(outbox_dir.glob("*.eml"))
        headers = header_block(written.read_bytes())
        assert b"Subject: You are invited to join Evil Bcc: victim@example.org X-Injected: yes" in headers
        assert b"\nBcc:" not in headers
        assert b"\nX-Injected:" not in headers
    finally:
        with application.app_context():
            empty_all_tables()


def test_the_mail_layer_refuses_a_recipient_with_a_line_break(app):
    from app.services import mail

    with app.test_request_context(), pytest.raises(ValueError):
        mail.send("a@example.org\r\nBcc: b@example.org", "Hello", "invitation", inviter=None)


# --- Slugs ------------------------------------------------------------------------------------


def test_a_slug_collision_with_a_hidden_organization_gets_a_suffix_that_tells_nothing(app, client):
    # A suspended organization, renamed once, still holds the slug of its first name.
    new_organization(
        app, "Voices of the North", slug="mosul-free-voices", status=OrganizationStatus.SUSPENDED
    )
    assert client.post("/auth/register", data=registration_data(name="Mosul Free Voices")).status_code == 302
    slug = scalar(app, sa.select(Organization.slug).where(Organization.name == "Mosul Free Voices"))
    assert re.fullmatch(r"mosul-free-voices-[a-z0-9]{6}", slug), slug
    assert not re.fullmatch(r"mosul-free-voices-\d{1,3}", slug)


def test_a_free_slug_has_no_suffix(app, client):
    assert client.post("/auth/register", data=registration_data(name="Mosul Free Voices")).status_code == 302
    assert scalar(app, sa.select(Organization.slug)) == "mosul-free-voices"


def test_a_project_slug_collision_with_a_hidden_project_tells_nothing(app, client, auth):
    from app.models.base import utcnow

    with app_context(app):
        campaign = make_campaign()
        other = make_organization("Other group")
        hidden = make_project(other, [campaign], "Clean River", slug="clean-river")
        hidden.hidden_at = utcnow()
        db.session.commit()
    login_member(app, auth)
    response = client.post(
        "/projects/new", data={"title": "Clean River", "status": "planned", "campaigns": [campaign.id]}
    )
    assert response.status_code == 302
    slugs = set(scalars(app, sa.select(Project.slug)))
    [new] = slugs - {"clean-river"}
    assert re.fullmatch(r"clean-river-[a-z0-9]{6}", new), new

"""An owner downloads everything the site holds about the organization and its people: a ZIP of
JSON and CSV, with no password hash or secret in it."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest
import sqlalchemy as sa
from PIL import Image

from app.extensions import db
from app.models import Organization, OrganizationTranslation, PledgeVisibility, User
from app.services import export, logos, moderation
from tests.builders import (
    DEFAULT_PASSWORD,
    make_campaign,
    make_moderator,
    make_organization,
    make_pledge,
    make_project,
    make_user,
)
from tests.conftest import app_context, scalar, scalars

OWNER = "owner@amal.example.org"


@pytest.fixture
def organization_id(app) -> int:
    with app_context(app):
        return _organization_with_everything().id


def _organization_with_everything():
    campaign = make_campaign("Save the Tigris", slug="save-the-tigris")
    org = make_organization(
        "Al-Amal Women's Group",
        slug="al-amal",
        description="Literacy circles in Basra.",
        contact_phone="+964 770 000 0000",
        contact_phone_visibility="hidden",
    )
    owner = make_user(org, email=OWNER)
    make_user(org, email="colleague@amal.example.org", is_owner=False)
    make_pledge(org, campaign, visibility=PledgeVisibility.COUNTED, message='=HYPERLINK("http://x")')
    make_project(org, [campaign], "Reading Boats", slug="reading-boats")
    db.session.add(
        OrganizationTranslation(organization_id=org.id, locale="ar", description="حلقات محو الأمية")
    )
    moderator = make_moderator("mod@network.example.org")
    moderation.suspend_organization(moderator, org, "Spam reported.")
    moderation.reinstate_organization(moderator, org, "Checked: not spam.")
    db.session.commit()
    buffer = io.BytesIO()
    Image.new("RGB", (30, 30), (200, 30, 30)).save(buffer, format="PNG")
    logos.replace_logo(org, io.BytesIO(buffer.getvalue()), owner)
    db.session.commit()
    return org


def logged_in(app, email):
    client = app.test_client()
    assert client.post("/auth/login", data={"email": email, "password": DEFAULT_PASSWORD}).status_code == 302
    return client


def download(app, password=DEFAULT_PASSWORD):
    return logged_in(app, OWNER).post("/account/export", data={"password": password})


def test_the_owner_downloads_a_zip_of_every_section_in_json_and_csv(app, organization_id):
    response = download(app)
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="tadamun-al-amal-')
    assert response.headers["Cache-Control"] == "no-store"

    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = set(archive.namelist())
    manifest = json.loads(archive.read("manifest.json"))
    sections = [section["name"] for section in manifest["sections"]]
    assert sections == list(export.SECTIONS)
    for name in (
        "organization",
        "translations",
        "users",
        "pledges",
        "projects",
        "project_campaigns",
        "decisions",
    ):
        assert {f"{name}.json", f"{name}.csv"} <= names

    profile = json.loads(archive.read("organization.json"))[0]
    assert profile["name"] == "Al-Amal Women's Group"
    assert profile["contact_phone"] == "+964 770 000 0000"  # hidden on the site, theirs all the same
    assert json.loads(archive.read("translations.json")) == [
        {
            "locale": "ar",
            "name": None,
            "proposed_name": None,
            "proposed_name_at": None,
            "description": "حلقات محو الأمية",
        }
    ]
    users = json.loads(archive.read("users.json"))
    assert sorted(user["email"] for user in users) == ["colleague@amal.example.org", OWNER]
    assert json.loads(archive.read("pledges.json"))[0]["visibility"] == "counted"
    assert json.loads(archive.read("projects.json"))[0]["title"] == "Reading Boats"
    decisions = json.loads(archive.read("decisions.json"))
    assert [d["action"] for d in decisions] == ["organization.suspended", "organization.reinstated"]
    assert decisions[0]["reason"] == "Spam reported."
    # Moderators are named by their role only.
    assert {d["by"] for d in decisions} == {"moderator"}
    assert any(name.startswith("logo/") and name.endswith(".png") for name in names)

    rows = list(csv.DictReader(io.StringIO(archive.read("users.csv").decode("utf-8-sig"))))
    assert {row["email"] for row in rows} == {"colleague@amal.example.org", OWNER}

    # The owner's own login (the one that downloads) is among the sessions; no factor was added.
    sessions = json.loads(archive.read("sessions.json"))
    assert [(s["user"], s["method"]) for s in sessions] == [(OWNER, "password")]
    assert json.loads(archive.read("access_log.json")) == []
    assert json.loads(archive.read("second_factors.json")) == []


def test_no_password_hash_or_secret_leaves_the_site(app, organization_id):
    archive = zipfile.ZipFile(io.BytesIO(download(app).data))
    everything = b"".join(archive.read(name) for name in archive.namelist() if not name.startswith("logo/"))
    for user in scalars(app, sa.select(User)):
        assert user.password_hash.encode() not in everything
    assert b"$argon2" not in everything
    assert b"password_hash" not in everything and b"session_version" not in everything
    assert b"mod@network.example.org" not in everything


def test_a_cell_that_would_run_as_a_formula_is_quoted_in_csv(app, organization_id):
    archive = zipfile.ZipFile(io.BytesIO(download(app).data))
    rows = list(csv.DictReader(io.StringIO(archive.read("pledges.csv").decode("utf-8-sig"))))
    assert rows[0]["message"] == '\'=HYPERLINK("http://x")'
    # JSON keeps the text as written.
    assert json.loads(archive.read("pledges.json"))[0]["message"] == '=HYPERLINK("http://x")'


def test_the_export_asks_for_the_password_and_counts_a_wrong_one(app, organization_id):
    response = download(app, password="not the password at all")
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert "Your current password is not correct." in response.get_data(as_text=True)
    assert scalar(app, sa.select(User.failed_login_count).where(User.email == OWNER)) == 1


def test_only_owners_export(app, organization_id):
    colleague = logged_in(app, "colleague@amal.example.org")
    assert colleague.get("/account/export").status_code == 403
    assert colleague.post("/account/export", data={"password": DEFAULT_PASSWORD}).status_code == 403


def test_a_section_is_added_by_registering_it_and_a_secret_column_is_refused(app, organization_id):
    @export.section("test_notes", "notes for the test")
    def _notes(org):
        return [{"note": f"about #{org.id}"}]

    try:
        with app_context(app):
            organization = db.session.get(Organization, organization_id)
            archive = zipfile.ZipFile(io.BytesIO(export.build_archive(organization).data))
        assert json.loads(archive.read("test_notes.json")) == [{"note": f"about #{organization_id}"}]

        @export.section("test_leaky", "a section that forgets what must stay")
        def _leaky(org):
            return [{"user_id": 1, "totp_secret": "JBSWY3DPEHPK3PXP"}]

        with app_context(app), pytest.raises(export.SecretInExport):
            export.build_archive(db.session.get(Organization, organization_id))
    finally:
        export.SECTIONS.pop("test_notes", None)
        export.SECTIONS.pop("test_leaky", None)


def test_every_registered_section_returns_no_secret_column(app, organization_id):
    with app_context(app):
        organization = db.session.get(Organization, organization_id)
        rows = {section.name: list(section.rows(organization)) for section in export.SECTIONS.values()}
    for section in export.SECTIONS.values():
        for row in rows[section.name]:
            assert not [column for column in row if export.SECRET_COLUMN.search(column)], section.name


def test_the_export_holds_the_organizations_and_its_peoples_registrations_with_their_needs(
    app, organization_id
):
    from app.models import RegistrationState
    from app.services import registrations
    from app.services.registrations import Needs
    from tests.gathering_support import delegate_type, make_gathering

    with app_context(app):
        owner = db.session.scalar(sa.select(User).where(User.email == OWNER))
        colleague = db.session.scalar(sa.select(User).where(User.email == "colleague@amal.example.org"))
        forum = make_gathering("Basra water forum", slug="basra-forum", capacity=5)
        visit = make_gathering("Erbil visit", slug="erbil-visit", capacity=5)
        # Another organization registers to the same forum, with its own needs: never exported.
        other = make_organization("Tigris Friends", slug="tigris-friends")
        stranger = make_user(other, email="member@tigris.example.org")
        db.session.flush()
        registrations.register(
            owner,
            forum,
            delegate_type(forum).id,
            as_organization=True,
            needs=Needs(dietary="Vegetarian", interpretation="Arabic to English", visa_letter=True),
        )
        registrations.register(
            colleague, visit, delegate_type(visit).id, as_organization=False, needs=Needs(dietary="No nuts")
        )
        registrations.register(
            stranger, forum, delegate_type(forum).id, as_organization=True, needs=Needs(dietary="Halal only")
        )
        registrations.register(stranger, visit, delegate_type(visit).id, as_organization=False)
        db.session.commit()

    archive = zipfile.ZipFile(io.BytesIO(download(app).data))
    rows = json.loads(archive.read("gathering_registrations.json"))
    assert [(r["gathering"], r["registered_as"], r["registered_by"]) for r in rows] == [
        ("basra-forum", "organization", OWNER),
        ("erbil-visit", "person", "colleague@amal.example.org"),
    ]
    forum_row, visit_row = rows
    assert forum_row["dietary_needs"] == "Vegetarian"
    assert forum_row["interpretation_needs"] == "Arabic to English" and forum_row["needs_visa_letter"] is True
    assert forum_row["state"] == RegistrationState.CONFIRMED.value and forum_row["type"] == "delegate"
    assert visit_row["dietary_needs"] == "No nuts" and visit_row["visibility"] == ""
    everything = b"".join(archive.read(name) for name in archive.namelist() if not name.startswith("logo/"))
    assert b"Halal only" not in everything and b"member@tigris.example.org" not in everything
    assert b"Tigris Friends" not in everything
    csv_rows = list(
        csv.DictReader(io.StringIO(archive.read("gathering_registrations.csv").decode("utf-8-sig")))
    )
    assert [r["dietary_needs"] for r in csv_rows] == ["Vegetarian", "No nuts"]


def test_the_export_holds_its_peoples_notification_choices_notifications_and_bounce_mark(
    app, organization_id
):
    from app.services import following, notifications

    with app_context(app):
        colleague = db.session.scalar(sa.select(User).where(User.email == "colleague@amal.example.org"))
        wanted = notifications.choices_of(colleague)
        wanted.update(decision="never", supporter="now")
        notifications.set_choices(colleague, wanted)
        notifications.mark_bounced("Colleague@amal.example.org", "550 mailbox unknown")
        campaign = make_campaign("Clean Water", slug="clean-water")
        following.follow(colleague, "campaign", campaign)
        other = make_organization("Other Helpers")
        outsider = make_user(other, email="outsider@other.example.org")
        notifications.supporter_added(make_pledge(other, campaign))
        notifications.content_hidden(other, "project", 1, "Secret Boats", "Their own reason")
        db.session.commit()
        assert outsider.unread_notifications == 1
    archive = zipfile.ZipFile(io.BytesIO(download(app).data))
    choices = json.loads(archive.read("notification_choices.json"))
    mine = {(row["user"], row["kind"]): row for row in choices}
    assert mine[("colleague@amal.example.org", "decision")]["choice"] == "never"
    assert mine[("colleague@amal.example.org", "decision")]["chosen"] is True
    assert mine[("colleague@amal.example.org", "decision")]["mail_refused_reason"] == "550 mailbox unknown"
    assert mine[("colleague@amal.example.org", "decision")]["mail_refused_at"]
    assert mine[(OWNER, "decision")] | {"user": ""} == {
        "user": "", "kind": "decision", "choice": "now", "chosen": False,
        "mail_refused_at": None, "mail_refused_reason": "",
    }  # fmt: skip
    rows = json.loads(archive.read("notifications.json"))
    decisions = [(r["user"], r["decision"], r["reason"]) for r in rows if r["kind"] == "decision"]
    assert (OWNER, "suspended", "Spam reported.") in decisions
    assert ("colleague@amal.example.org", "reinstated", "Checked: not spam.") in decisions
    [heard] = [r for r in rows if r["kind"] == "supporter"]
    assert heard["user"] == "colleague@amal.example.org" and heard["mail"] == "now"
    # Nothing of other people: not the other organization's name, nor its people's notifications.
    everything = b"".join(archive.read(name) for name in archive.namelist() if not name.startswith("logo/"))
    for trace in ("Other Helpers", "outsider@other.example.org", "Secret Boats", "Their own reason"):
        assert trace.encode() not in everything
    assert "notification_choices.csv" in archive.namelist() and "notifications.csv" in archive.namelist()

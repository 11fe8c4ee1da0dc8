"""Gatherings: publishing, pages, registration with places and a waiting list, the organizer's
tools, calendars and reminders."""

from __future__ import annotations

import csv
import io
import re
import threading
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from icalendar import Calendar

from app.extensions import db
from app.models import (
    AuditAction,
    AuditEntry,
    CampaignCoordinator,
    Gathering,
    GatheringCampaign,
    GatheringSessionTranslation,
    GatheringStatus,
    OrganizationStatus,
    PledgeVisibility,
    Registration,
    RegistrationKind,
    RegistrationState,
)
from app.models.base import utcnow
from app.services import DomainError, NotAllowed, registrations
from app.services import gatherings as gathering_service
from tests import builders
from tests.conftest import app_context, count, log_in, run_command, scalar, scalars
from tests.gathering_support import delegate_type, make_gathering


def _people(capacity=2, **kwargs):
    orgs = [builders.make_organization(f"Org {n}", slug=f"org-{n}") for n in range(1, 4)]
    users = [builders.make_user(org, email=f"member{n}@example.org") for n, org in enumerate(orgs, 1)]
    moderator = builders.make_moderator("mod@example.org")
    gathering = make_gathering("Iraqi Social Forum", slug="isf", capacity=capacity, **kwargs)
    db.session.commit()
    return gathering, orgs, users, moderator


def _register(client, slug, type_id, **data):
    form = {
        "registration_type": str(type_id),
        "as_organization": "organization",
        "visibility": "public",
        "dietary": "",
        "interpretation": "",
    }
    form.update(data)
    return client.post(f"/gatherings/{slug}/register", data=form)


def _states(app, gathering_id):
    rows = scalars(
        app,
        sa.select(Registration).where(Registration.gathering_id == gathering_id).order_by(Registration.id),
    )
    return [(r.organization_id, r.state) for r in rows]


# --- Registration: places, waiting list, promotion -------------------------------------------


def test_third_registration_waits_and_is_promoted_when_a_place_frees(app, outbox):
    with app_context(app):
        gathering, orgs, users, _mod = _people(capacity=2)
        type_id = delegate_type(gathering).id
    clients = []
    for user in users:
        client = app.test_client()
        assert log_in(client, user.email).status_code == 302
        clients.append(client)
        assert _register(client, "isf", type_id).status_code == 302
    assert [s for _o, s in _states(app, gathering.id)] == [
        RegistrationState.CONFIRMED,
        RegistrationState.CONFIRMED,
        RegistrationState.WAITING,
    ]
    first = scalar(app, sa.select(Registration).where(Registration.organization_id == orgs[0].id))
    outbox.clear()
    response = clients[0].post(f"/gatherings/isf/registrations/{first.id}/cancel")
    assert response.status_code == 302
    assert [s for _o, s in _states(app, gathering.id)] == [
        RegistrationState.CANCELLED,
        RegistrationState.CONFIRMED,
        RegistrationState.CONFIRMED,
    ]
    # The promoted registrant is mailed, in the same transaction as the promotion.
    assert [m.recipients for m in outbox] == [[users[2].email]]
    assert "place" in outbox[0].body


def test_registration_needs_approval_when_the_type_says_so(app, outbox):
    with app_context(app):
        gathering, _orgs, users, moderator = _people(capacity=1, requires_approval=True)
        type_id = delegate_type(gathering).id
    member = app.test_client()
    log_in(member, users[0].email)
    _register(member, "isf", type_id)
    (registration,) = scalars(app, sa.select(Registration))
    assert registration.state == RegistrationState.PENDING
    organizer = app.test_client()
    log_in(organizer, moderator.email)
    response = organizer.post(f"/gatherings/isf/registrants/{registration.id}/approve")
    assert response.status_code == 302
    assert scalar(app, sa.select(Registration.state)) == RegistrationState.CONFIRMED


def test_deadline_and_draft_close_registration(app_ctx):
    gathering, _orgs, users, _mod = _people()
    registration_type = delegate_type(gathering)
    registration_type.deadline = utcnow() - timedelta(hours=1)
    with pytest.raises(DomainError):
        registrations.register(users[0], gathering, registration_type.id, as_organization=True)
    registration_type.deadline = None
    gathering.status = GatheringStatus.DRAFT
    with pytest.raises(DomainError):
        registrations.register(users[0], gathering, registration_type.id, as_organization=True)


def test_only_approved_organizations_register_as_such_and_only_once(app_ctx):
    gathering, _orgs, users, _mod = _people()
    type_id = delegate_type(gathering).id
    pending = builders.make_organization("Pending", status=OrganizationStatus.PENDING)
    pending_user = builders.make_user(pending, email="pending@example.org")
    with pytest.raises(NotAllowed):
        registrations.register(pending_user, gathering, type_id, as_organization=True)
    # As a person, anyone logged in may.
    registrations.register(pending_user, gathering, type_id, as_organization=False)
    registrations.register(users[0], gathering, type_id, as_organization=True)
    with pytest.raises(DomainError):
        registrations.register(users[0], gathering, type_id, as_organization=True)


def test_nobody_cancels_someone_elses_registration(app):
    with app_context(app):
        gathering, _orgs, users, _mod = _people()
        registration = registrations.register(
            users[0], gathering, delegate_type(gathering).id, as_organization=True
        )
        db.session.commit()
    other = app.test_client()
    log_in(other, users[1].email)
    assert other.post(f"/gatherings/isf/registrations/{registration.id}/cancel").status_code == 404
    assert scalar(app, sa.select(Registration.state)) == RegistrationState.CONFIRMED


def test_raising_the_capacity_promotes_those_waiting(app_ctx):
    gathering, _orgs, users, moderator = _people(capacity=1)
    type_id = delegate_type(gathering).id
    for user in users:
        registrations.register(user, gathering, type_id, as_organization=True)
    registrations.set_registration_type(moderator, gathering, RegistrationKind.DELEGATE, capacity=3)
    states = db.session.scalars(sa.select(Registration.state)).all()
    assert states == [RegistrationState.CONFIRMED] * 3


def test_two_registrations_for_the_last_place_one_waits(app, database_url):
    """Two members register at the same moment for the one place left: the row lock
    (PostgreSQL) or the write lock of the IMMEDIATE transaction (SQLite) decides them one after
    the other."""
    with app_context(app):
        gathering, _orgs, users, _mod = _people(capacity=1)
        type_id = delegate_type(gathering).id
    clients = []
    for user in users[:2]:
        client = app.test_client()
        log_in(client, user.email)
        clients.append(client)
    barrier = threading.Barrier(2)
    answers = []

    def go(client):
        barrier.wait()
        answers.append(_register(client, "isf", type_id).status_code)

    threads = [threading.Thread(target=go, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [302, 302]
    assert sorted(s for _o, s in _states(app, gathering.id)) == sorted(
        [RegistrationState.CONFIRMED, RegistrationState.WAITING]
    )


# --- What the public sees --------------------------------------------------------------------


def test_needs_never_reach_the_public_page_and_registrants_follow_the_pledge_rule(app):
    with app_context(app):
        gathering, _orgs, users, moderator = _people(capacity=5)
        type_id = delegate_type(gathering).id
        for user, visibility in zip(users, PledgeVisibility, strict=True):
            registrations.register(
                user,
                gathering,
                type_id,
                as_organization=True,
                visibility=visibility,
                needs=registrations.Needs(dietary=f"SECRET-DIET-{visibility}", visa_letter=True),
            )
        db.session.commit()
    visitor = app.test_client().get("/gatherings/isf").get_data(as_text=True)
    assert "Org 1" in visitor and "Org 2" not in visitor and "Org 3" not in visitor
    assert "SECRET-DIET" not in visitor
    member = app.test_client()
    log_in(member, users[0].email)
    page = member.get("/gatherings/isf").get_data(as_text=True)
    assert "Org 1" in page and "Org 2" in page and "Org 3" not in page
    assert "SECRET-DIET" not in page
    # The calendar neither.
    assert b"SECRET-DIET" not in member.get("/gatherings/isf/calendar.ics").data
    # The organizer sees the needs, on the list and in the export.
    organizer = app.test_client()
    log_in(organizer, moderator.email)
    assert "SECRET-DIET-counted" in organizer.get("/gatherings/isf/registrants").get_data(as_text=True)
    export = organizer.get("/gatherings/isf/registrants.csv")
    assert "no-store" in export.headers["Cache-Control"]
    rows = list(csv.DictReader(io.StringIO(export.get_data(as_text=True))))
    assert {r["dietary_needs"] for r in rows} == {f"SECRET-DIET-{v}" for v in PledgeVisibility}
    assert member.get("/gatherings/isf/registrants.csv").status_code == 403


GATHERING_PAGES = (
    "/gatherings/",
    "/gatherings/past",
    "/gatherings/isf",
    "/gatherings/isf/calendar.ics",
    "/gatherings/calendar.ics",
    "/gatherings/erbil",
    "/gatherings/erbil/outcome",
)


def _walk(client) -> str:
    return "\n".join(client.get(url).get_data(as_text=True) for url in GATHERING_PAGES)


@pytest.mark.parametrize("how", ["dark", "suspended", "delisted", "being deleted"])
def test_organizations_out_of_public_view_are_not_shown_on_any_gathering_page(app, how):
    """As tests/test_going_dark.py does for the whole site: an organization out of public view
    leaves no trace on gathering pages, whether it registers, organizes, supports or ran a
    project that came out of a gathering."""
    with app_context(app):
        gathering, _orgs, users, _mod = _people(capacity=5)
        hidden = builders.make_organization("Qasab Lantern Collective", slug="qasab")
        owner = builders.make_user(hidden, email="owner@qasab.example.org")
        project = builders.make_project(hidden, [], "Mudhif Reedlight School", slug="mudhif")
        past = make_gathering("Erbil conference", slug="erbil", days_ahead=-400, supporters=[hidden])
        from app.models import GatheringOrganization, GatheringProject, GatheringRole

        db.session.add(GatheringProject(gathering_id=past.id, project_id=project.id))
        db.session.add(
            GatheringOrganization(
                gathering_id=gathering.id, organization_id=hidden.id, role=GatheringRole.ORGANIZER
            )
        )
        registrations.register(
            owner,
            gathering,
            delegate_type(gathering).id,
            as_organization=True,
            visibility=PledgeVisibility.PUBLIC,
        )
        db.session.commit()
    visitor, member = app.test_client(), app.test_client()
    log_in(member, users[0].email)
    for client in (visitor, member):
        pages = _walk(client)
        assert "Qasab Lantern Collective" in pages and "Mudhif Reedlight School" in pages
    with app_context(app):
        row = db.session.get(type(hidden), hidden.id)
        if how == "dark":
            row.dark_at = utcnow()
        elif how == "suspended":
            row.status = OrganizationStatus.SUSPENDED
        elif how == "delisted":
            row.delisted_at = utcnow()
        else:
            row.deletion_requested_at = utcnow()
        db.session.commit()
    for client in (visitor, member):
        pages = _walk(client)
        assert "Qasab" not in pages and "qasab" not in pages and "Mudhif" not in pages


def test_drafts_are_seen_by_organizers_only(app):
    with app_context(app):
        make_gathering("Draft", slug="draft", status=GatheringStatus.DRAFT)
        moderator = builders.make_moderator("mod@example.org")
        db.session.commit()
    client = app.test_client()
    assert client.get("/gatherings/draft").status_code == 404
    assert client.get("/gatherings/draft/calendar.ics").status_code == 404
    assert "Draft" not in client.get("/gatherings/").get_data(as_text=True)
    log_in(client, moderator.email)
    assert client.get("/gatherings/draft").status_code == 200


def test_upcoming_and_past_lists_and_the_outcome_page(app):
    with app_context(app):
        make_gathering("Next forum", slug="next", days_ahead=10)
        make_gathering("Erbil conference", slug="erbil", days_ahead=-400, outcome="We declared peace.")
        db.session.commit()
    client = app.test_client()
    upcoming = client.get("/gatherings/").get_data(as_text=True)
    assert "Next forum" in upcoming and "Erbil conference" not in upcoming
    past = client.get("/gatherings/past").get_data(as_text=True)
    assert "Erbil conference" in past and "Next forum" not in past
    assert "We declared peace." in client.get("/gatherings/erbil/outcome").get_data(as_text=True)
    assert client.get("/gatherings/next/outcome").status_code == 404


def test_texts_in_the_readers_language_with_fallback(app_ctx):
    gathering, _orgs, _users, moderator = _people()
    gathering_service.save_translation(moderator, gathering, "ar", {"title": "المنتدى الاجتماعي العراقي"})
    shown = gathering_service.localized_gathering(gathering, "ar")
    assert shown.title == "المنتدى الاجتماعي العراقي" and shown.langs["title"] == "ar"
    assert shown.description == gathering.description and shown.langs["description"] == "en"
    assert gathering_service.localized_gathering(gathering, "fr").title == "Iraqi Social Forum"


# --- Organizers -----------------------------------------------------------------------------


def test_a_moderator_creates_programmes_and_publishes(app):
    with app_context(app):
        moderator = builders.make_moderator("mod@example.org")
        campaign = builders.make_campaign("Save the Tigris", slug="save-the-tigris")
        db.session.commit()
    client = app.test_client()
    log_in(client, moderator.email)
    response = client.post(
        "/gatherings/new",
        data={
            "title": "ICSSI Conference",
            "starts_at": "2031-10-27T16:00",
            "ends_at": "2031-10-29T18:00",
            "time_zone": "Europe/Oslo",
            "city": "Oslo",
            "country": "NO",
            "campaigns": [str(campaign.id)],
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    gathering = scalar(app, sa.select(Gathering))
    assert gathering.status == GatheringStatus.DRAFT
    # 16:00 in Oslo in late October (CET, UTC+1) is 15:00 UTC.
    assert gathering.starts_at.hour == 15
    slug = gathering.slug
    session = {
        "title": "Dialogue",
        "starts_at": "2031-10-28T09:00",
        "ends_at": "2031-10-28T11:00",
        "language": "ar",
        "interpretation": ["en", "fr"],
    }
    assert client.post(f"/gatherings/{slug}/sessions", data=session).status_code == 302
    assert (
        client.post(f"/gatherings/{slug}/types", data={"kind": "delegate", "capacity": "2"}).status_code
        == 302
    )
    assert client.post(f"/gatherings/{slug}/publish").status_code == 302
    assert scalar(app, sa.select(Gathering.status)) == GatheringStatus.PUBLISHED
    assert count(app, AuditEntry, AuditEntry.action == AuditAction.GATHERING_PUBLISHED) == 1
    page = app.test_client().get(f"/gatherings/{slug}").get_data(as_text=True)
    assert "Dialogue" in page and "Save the Tigris" in page


def test_members_cannot_organize(app_ctx):
    gathering, _orgs, users, _mod = _people()
    assert not gathering_service.may_organize(users[0], gathering)
    with pytest.raises(NotAllowed):
        gathering_service.publish(users[0], gathering)
    with pytest.raises(NotAllowed):
        registrations.registrants_for_organizer(users[0], gathering)


def _coordinator_world(app):
    """Org 1 coordinates "Save the Tigris" (named by a moderator); "Clean Air" is coordinated by
    nobody; another gathering is linked to "Clean Air" only."""
    with app_context(app):
        coordinating = builders.make_organization("Tigris Keepers", slug="tigris-keepers")
        other = builders.make_organization("Bystanders", slug="bystanders")
        coordinator = builders.make_user(coordinating, email="coordinator@example.org")
        bystander = builders.make_user(other, email="bystander@example.org")
        tigris = builders.make_campaign("Save the Tigris", slug="save-the-tigris")
        air = builders.make_campaign("Clean Air", slug="clean-air")
        db.session.add(CampaignCoordinator(campaign_id=tigris.id, organization_id=coordinating.id))
        elsewhere = make_gathering("Air forum", slug="air-forum")
        db.session.add(GatheringCampaign(gathering_id=elsewhere.id, campaign_id=air.id))
        db.session.commit()
        return coordinator, bystander, tigris.id, air.id


def _gathering_form(title, campaign_ids):
    return {
        "title": title,
        "starts_at": "2031-10-27T16:00",
        "ends_at": "2031-10-29T18:00",
        "time_zone": "Asia/Baghdad",
        "city": "Basra",
        "campaigns": [str(cid) for cid in campaign_ids],
    }


def test_a_named_coordinator_creates_edits_and_publishes_a_gathering_for_their_campaign(app):
    coordinator, _bystander, tigris_id, _air_id = _coordinator_world(app)
    client = app.test_client()
    log_in(client, coordinator.email)
    form_page = client.get("/gatherings/new").get_data(as_text=True)
    # Only the campaigns they coordinate are offered.
    assert "Save the Tigris" in form_page and "Clean Air" not in form_page
    response = client.post("/gatherings/new", data=_gathering_form("River forum", [tigris_id]))
    assert response.status_code == 302, response.get_data(as_text=True)
    slug = scalar(app, sa.select(Gathering.slug).where(Gathering.title == "River forum"))
    response = client.post(f"/gatherings/{slug}/edit", data=_gathering_form("River forum 2031", [tigris_id]))
    assert response.status_code == 302, response.get_data(as_text=True)
    assert client.get(f"/gatherings/{slug}/manage").status_code == 200
    assert client.post(f"/gatherings/{slug}/publish").status_code == 302
    published = scalar(app, sa.select(Gathering).where(Gathering.slug == slug))
    assert (published.title, published.status) == ("River forum 2031", GatheringStatus.PUBLISHED)
    # Their list holds the gatherings they may organize only.
    listed = client.get("/gatherings/manage").get_data(as_text=True)
    assert "River forum 2031" in listed and "Air forum" not in listed


def test_a_coordinator_cannot_link_a_campaign_they_do_not_coordinate(app):
    coordinator, _bystander, tigris_id, air_id = _coordinator_world(app)
    client = app.test_client()
    log_in(client, coordinator.email)
    for campaigns in ([air_id], [tigris_id, air_id], []):
        response = client.post("/gatherings/new", data=_gathering_form("Sneaky forum", campaigns))
        assert response.status_code == 400
    assert count(app, Gathering, Gathering.title == "Sneaky forum") == 0
    # The service refuses it too, with a message shown as a form error.
    with app_context(app):
        user = db.session.get(type(coordinator), coordinator.id)
        fields = gathering_service.GatheringFields(
            title="Sneaky forum", starts_at=utcnow(), ends_at=utcnow() + timedelta(hours=2),
            city="Basra", campaign_ids=[tigris_id, air_id],
        )  # fmt: skip
        with pytest.raises(DomainError, match="only to campaigns you coordinate"):
            gathering_service.create_gathering(user, fields)
        with pytest.raises(DomainError, match="at least one campaign you coordinate"):
            gathering_service.create_gathering(user, replace(fields, campaign_ids=[]))
        db.session.rollback()
        # Links a moderator made to another campaign stay when the coordinator edits.
        shared = make_gathering("Shared forum", slug="shared-forum")
        db.session.add_all(
            [GatheringCampaign(gathering_id=shared.id, campaign_id=cid) for cid in (tigris_id, air_id)]
        )
        db.session.flush()
        user = db.session.get(type(coordinator), coordinator.id)
        gathering_service.update_gathering(
            user, shared, replace(fields, title="Shared forum", campaign_ids=[tigris_id])
        )
        assert {link.campaign_id for link in shared.campaign_links} == {tigris_id, air_id}
        db.session.rollback()
    assert count(app, Gathering, Gathering.title == "Sneaky forum") == 0


def test_a_coordinator_cannot_manage_another_gathering(app):
    coordinator, _bystander, _tigris_id, _air_id = _coordinator_world(app)
    with app_context(app):
        make_gathering("Hidden draft", slug="hidden-draft", status=GatheringStatus.DRAFT)
        db.session.commit()
    client = app.test_client()
    log_in(client, coordinator.email)
    # Another campaign's draft does not exist for them.
    assert client.get("/gatherings/hidden-draft/manage").status_code == 404
    for path in ("manage", "edit", "registrants", "registrants.csv", "message"):
        assert client.get(f"/gatherings/air-forum/{path}").status_code == 403, path
    assert client.post("/gatherings/air-forum/cancel").status_code == 403
    assert scalar(app, sa.select(Gathering.status).where(Gathering.slug == "air-forum")) == (
        GatheringStatus.PUBLISHED
    )


def test_a_member_who_coordinates_nothing_cannot_organize(app):
    _coordinator, bystander, _tigris_id, _air_id = _coordinator_world(app)
    client = app.test_client()
    assert client.get("/gatherings/new").status_code == 302  # visitors are sent to log in
    log_in(client, bystander.email)
    assert client.get("/gatherings/new").status_code == 403
    assert client.get("/gatherings/manage").status_code == 403
    assert client.post("/gatherings/new", data=_gathering_form("Mine", [])).status_code == 403
    assert count(app, Gathering, Gathering.title == "Mine") == 0


def test_message_to_registrants_goes_in_each_readers_language(app, outbox):
    with app_context(app):
        gathering, _orgs, users, moderator = _people(capacity=5)
        users[1].locale = "fr"
        for user in users[:2]:
            registrations.register(user, gathering, delegate_type(gathering).id, as_organization=True)
        db.session.commit()
    outbox.clear()
    client = app.test_client()
    log_in(client, moderator.email)
    response = client.post(
        "/gatherings/isf/message", data={"subject": "Programme", "body": "See you in Baghdad."}
    )
    assert response.status_code == 302
    by_recipient = {m.recipients[0]: m for m in outbox}
    assert set(by_recipient) == {users[0].email, users[1].email}
    assert "See you in Baghdad." in by_recipient[users[1].email].body
    assert by_recipient[users[1].email].body.startswith("Bonjour,")
    assert by_recipient[users[0].email].body.startswith("Hello,")


def test_attendance_is_marked_by_the_organizer(app_ctx):
    gathering, _orgs, users, moderator = _people()
    registration = registrations.register(
        users[0], gathering, delegate_type(gathering).id, as_organization=True
    )
    registrations.mark_attendance(moderator, registration, True)
    assert registration.state == RegistrationState.ATTENDED
    with pytest.raises(DomainError):
        registrations.cancel(users[0], registration)


# --- Calendars and reminders ----------------------------------------------------------------


def test_calendars_parse_back(app):
    with app_context(app):
        gathering = make_gathering("Oslo conference", slug="oslo", time_zone="Europe/Oslo")
        make_gathering("Later forum", slug="later", days_ahead=60)
        session_id = gathering.sessions[0].id
        db.session.commit()
    client = app.test_client()
    response = client.get("/gatherings/oslo/calendar.ics")
    assert response.mimetype == "text/calendar"
    calendar = Calendar.from_ical(response.data)
    (event,) = calendar.walk("VEVENT")
    assert str(event["summary"]) == "Oslo conference"
    assert event.decoded("dtstart") == gathering.starts_at
    assert str(event["uid"]).startswith(f"gathering-{gathering.id}@")
    assert str(calendar["version"]) == "2.0" and "prodid" in calendar
    session = Calendar.from_ical(client.get(f"/gatherings/oslo/sessions/{session_id}/calendar.ics").data)
    (event,) = session.walk("VEVENT")
    assert str(event["summary"]) == "Opening" and "Hall A" in str(event["location"])
    feed = Calendar.from_ical(client.get("/gatherings/calendar.ics").data)
    assert [str(e["summary"]) for e in feed.walk("VEVENT")] == ["Oslo conference", "Later forum"]


def test_reminders_go_once_a_week_before_and_once_a_day_before(app, outbox):
    with app_context(app):
        gathering, _orgs, users, _mod = _people(days_ahead=5)
        registrations.register(users[0], gathering, delegate_type(gathering).id, as_organization=True)
        db.session.commit()
    outbox.clear()
    run_command(app, "gatherings", "reminders")
    assert [m.recipients for m in outbox] == [[users[0].email]]
    assert "in a week" in outbox[0].subject
    run_command(app, "gatherings", "reminders")
    assert len(outbox) == 1  # never twice
    with app_context(app):
        row = db.session.get(Gathering, gathering.id)
        row.starts_at = utcnow() + timedelta(hours=20)
        row.ends_at = row.starts_at + timedelta(hours=3)
        db.session.commit()
    run_command(app, "gatherings", "reminders")
    run_command(app, "gatherings", "reminders")
    assert len(outbox) == 2 and "tomorrow" in outbox[1].subject


def test_cancelling_a_gathering_tells_its_registrants(app, outbox):
    with app_context(app):
        gathering, _orgs, users, moderator = _people()
        registrations.register(users[0], gathering, delegate_type(gathering).id, as_organization=True)
        db.session.commit()
    outbox.clear()
    client = app.test_client()
    log_in(client, moderator.email)
    assert client.post("/gatherings/isf/cancel", data={"reason": "No venue."}).status_code == 302
    assert scalar(app, sa.select(Gathering.status)) == GatheringStatus.CANCELLED
    assert [m.recipients for m in outbox] == [[users[0].email]]
    assert "cancelled" in outbox[0].subject
    assert count(app, AuditEntry, AuditEntry.action == AuditAction.GATHERING_CANCELLED) == 1
    # Still shown, marked cancelled; nobody registers any more.
    page = app.test_client().get("/gatherings/isf").get_data(as_text=True)
    assert "Cancelled" in page and "Registration is closed." in page


def test_a_member_of_a_pending_organization_registers_only_as_a_person(app):
    with app_context(app):
        gathering, _orgs, _users, _mod = _people()
        pending = builders.make_organization("Pending Group", status=OrganizationStatus.PENDING)
        builders.make_user(pending, email="pending@example.org")
        db.session.commit()
        type_id = delegate_type(gathering).id
    client = app.test_client()
    log_in(client, "pending@example.org")
    page = client.get("/gatherings/isf").get_data(as_text=True)
    assert "Myself only" in page and "My organization" not in page
    assert _register(client, "isf", type_id).status_code == 302
    (registration,) = scalars(app, sa.select(Registration))
    assert registration.organization_id is None
    # A person registering alone is never named, whatever visibility the form carried.
    assert registration.visibility == PledgeVisibility.COUNTED
    assert "Pending Group" not in app.test_client().get("/gatherings/isf").get_data(as_text=True)


# --- The programme in the reader's language ---------------------------------------------------


def test_session_titles_and_speakers_in_the_readers_language_with_fallback(app):
    with app_context(app):
        gathering, _orgs, _users, moderator = _people()
        session = gathering_service.add_session(
            moderator,
            gathering,
            title="Water and the Tigris",
            starts_at=datetime(2031, 5, 3, 10, 0),
            ends_at=datetime(2031, 5, 3, 12, 0),
            room="Hall B",
            speakers="Salma Ali, Jean Dupont",
            translations={
                "ar": {"title": "المياه ودجلة", "speakers": "سلمى علي، جان دوبون"},
                "fr": {"title": "L'eau et le Tigre"},
                "ckb": {"title": "", "speakers": ""},
            },
        )
        db.session.commit()
        session_id = session.id
        shown = gathering_service.localized_session(session, "ar")
        assert (shown.title, shown.speakers) == ("المياه ودجلة", "سلمى علي، جان دوبون")
        assert shown.langs == {"title": "ar", "speakers": "ar"}
        french = gathering_service.localized_session(session, "fr")
        assert french.title == "L'eau et le Tigre"
        assert french.speakers == "Salma Ali, Jean Dupont" and french.langs["speakers"] == "en"
        # An empty translation is not kept: Kurdish readers see the English text.
        assert gathering_service.session_translations_of(gathering, "ckb") == {}
        assert gathering_service.localized_session(session, "ckb").title == "Water and the Tigris"
    client = app.test_client()
    page = client.get("/gatherings/isf?lang=ar").get_data(as_text=True)
    assert '<h3 dir="auto" lang="ar">المياه ودجلة</h3>' in page and "Water and the Tigris" not in page
    assert '<bdi lang="ar">سلمى علي، جان دوبون</bdi>' in page
    page = client.get("/gatherings/isf?lang=ckb").get_data(as_text=True)
    assert '<h3 dir="auto" lang="en">Water and the Tigris</h3>' in page
    ics = client.get(f"/gatherings/isf/sessions/{session_id}/calendar.ics?lang=ar").data
    (event,) = Calendar.from_ical(ics).walk("VEVENT")
    assert str(event["summary"]) == "المياه ودجلة"
    assert "سلمى علي، جان دوبون" in str(event["description"])
    ics = client.get(f"/gatherings/isf/sessions/{session_id}/calendar.ics?lang=fr").data
    (event,) = Calendar.from_ical(ics).walk("VEVENT")
    assert str(event["summary"]) == "L'eau et le Tigre" and "Jean Dupont" in str(event["description"])


def test_the_organizer_translates_the_programme_on_the_translation_page(app):
    with app_context(app):
        gathering, _orgs, _users, moderator = _people()
        session_id = gathering.sessions[0].id
        db.session.commit()
    client = app.test_client()
    log_in(client, moderator.email)
    form_page = client.get("/gatherings/isf/translations/ar").get_data(as_text=True)
    assert f'name="session_{session_id}_title"' in form_page
    assert f'name="session_{session_id}_speakers"' in form_page
    # Arabic is typed right to left; the labels stay in the page's language and direction.
    [form_tag] = re.findall(r'<form [^>]*action="/gatherings/isf/translations/ar"[^>]*>', form_page)
    assert "lang=" not in form_tag and "dir=" not in form_tag
    for name in ("title", "description", f"session_{session_id}_title", f"session_{session_id}_speakers"):
        [typed] = re.findall(rf'<(?:input|textarea) [^>]*name="{name}"[^>]*>', form_page)
        assert 'lang="ar"' in typed and 'dir="rtl"' in typed, typed
    response = client.post(
        "/gatherings/isf/translations/ar",
        data={
            "title": "المنتدى الاجتماعي العراقي",
            f"session_{session_id}_title": "الافتتاح",
            f"session_{session_id}_speakers": "هناء",
        },
    )
    assert response.status_code == 302
    page = app.test_client().get("/gatherings/isf?lang=ar").get_data(as_text=True)
    assert "الافتتاح" in page and "هناء" in page and "المنتدى الاجتماعي العراقي" in page
    # The form shows what is saved; emptying the session's fields removes its translation.
    assert 'value="الافتتاح"' in client.get("/gatherings/isf/translations/ar").get_data(as_text=True)
    response = client.post(
        "/gatherings/isf/translations/ar",
        data={
            "title": "المنتدى الاجتماعي العراقي",
            f"session_{session_id}_title": "",
            f"session_{session_id}_speakers": "",
        },
    )
    assert response.status_code == 302
    assert count(app, GatheringSessionTranslation) == 0
    # Two lines in a session title: a form error, nothing written.
    response = client.post(
        "/gatherings/isf/translations/ar",
        data={"title": "x", f"session_{session_id}_title": "one\ntwo"},
    )
    assert response.status_code == 400
    assert count(app, GatheringSessionTranslation) == 0


def test_a_session_of_another_gathering_cannot_be_translated_through_this_one(app_ctx):
    gathering, _orgs, _users, moderator = _people()
    other = make_gathering("Other forum", slug="other")
    db.session.flush()
    with pytest.raises(DomainError):
        gathering_service.save_translation(
            moderator, gathering, "ar", {"title": "عنوان"}, {other.sessions[0].id: {"title": "دخيل"}}
        )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(GatheringSessionTranslation)) == 0


def test_the_organizer_adds_a_session_with_its_translations(app):
    with app_context(app):
        _gathering, _orgs, _users, moderator = _people()
    client = app.test_client()
    log_in(client, moderator.email)
    assert 'name="title_ar"' in client.get("/gatherings/isf/manage").get_data(as_text=True)
    response = client.post(
        "/gatherings/isf/sessions",
        data={
            "title": "Closing",
            "starts_at": "2031-05-03T16:00",
            "ends_at": "2031-05-03T17:00",
            "language": "en",
            "title_ar": "الختام",
            "speakers_fr": "Le comité",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    rows = scalars(app, sa.select(GatheringSessionTranslation).order_by(GatheringSessionTranslation.locale))
    assert [(r.locale, r.title, r.speakers) for r in rows] == [("ar", "الختام", ""), ("fr", "", "Le comité")]


def test_removing_a_session_removes_its_translations(app_ctx):
    gathering, _orgs, _users, moderator = _people()
    gathering_service.save_translation(
        moderator, gathering, "ar", {}, {gathering.sessions[0].id: {"title": "الافتتاح"}}
    )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(GatheringSessionTranslation)) == 1
    gathering_service.remove_session(moderator, gathering.sessions[0])
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(GatheringSessionTranslation)) == 0


def test_a_gatherings_place_reads_as_an_address_in_each_language(app):
    with app_context(app):
        make_gathering(
            "Oslo conference", slug="oslo", city="Oslo", country="NO", venue="Hall A",
            online_url="https://meet.example.org/oslo",
        )  # fmt: skip
        db.session.commit()
    client = app.test_client()
    english = client.get("/gatherings/oslo?lang=en").get_data(as_text=True)
    assert "<bdi>Hall A</bdi>, <bdi>Oslo</bdi>, Norway, online" in english
    arabic = client.get("/gatherings/oslo?lang=ar").get_data(as_text=True)
    assert "<bdi>Hall A</bdi>، <bdi>Oslo</bdi>، " in arabic and " و " not in arabic.split("<dd>", 3)[2]

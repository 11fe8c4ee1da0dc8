"""Who looked at our private details: every time a member of another organization, or a
moderator, is shown an organization's members-only or hidden contact details, it is counted
(per viewer, organization and day) and the organization reads it on its dashboard. Nothing of
it is public."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import ContactDetailView, Organization, OrganizationStatus, User, Visibility
from app.services import access_log
from tests.builders import make_moderator, make_organization, make_user
from tests.conftest import app_context, log_in, scalar, scalars
from tests.pages import page, queries_for

PHONE = "+964 770 123 4567"
PERSON = "Amal (members only)"


@pytest.fixture
def discreet(app):
    """An organization with a public email, a members-only phone and a hidden person."""
    with app_context(app):
        organization = make_organization(
            "Basra Women", slug="basra-women", contact_email="hello@basra.example",
            contact_email_visibility=Visibility.PUBLIC, contact_phone=PHONE,
            contact_phone_visibility=Visibility.MEMBERS, contact_person=PERSON,
            contact_person_visibility=Visibility.HIDDEN,
        )  # fmt: skip
        make_user(organization, email="owner@basra.example")
        db.session.commit()
    return organization


@pytest.fixture
def outsider(app):
    with app_context(app):
        user = make_user(make_organization("Tigris Friends", slug="tigris-friends"), email="b@tigris.example")
        db.session.commit()
    return user


def login(client, email):
    response = log_in(client, email)  # moderators with their second step
    assert response.status_code == 302


def client_of(app, email):
    client = app.test_client()
    login(client, email)
    return client


def log_rows(app) -> list[tuple]:
    rows = scalars(app, sa.select(ContactDetailView).order_by(ContactDetailView.id))
    return [
        (r.organization_id, r.viewer_id, r.viewer_organization_id, r.viewer_is_moderator, r.views)
        for r in rows
    ]


# What is recorded ------------------------------------------------------------------------------


def test_a_member_of_another_organization_shown_members_only_details_is_counted_per_day(
    app, discreet, outsider
):
    client = client_of(app, outsider.email)
    assert PHONE in page(client, "/organizations/basra-women")
    page(client, "/organizations/basra-women")

    assert log_rows(app) == [(discreet.id, outsider.id, outsider.organization_id, False, 2)]
    (row,) = scalars(app, sa.select(ContactDetailView))
    assert row.day == datetime.now(UTC).date()


def test_the_organizations_own_members_visitors_and_unapproved_members_are_not_counted(app, discreet):
    with app_context(app):
        pending = make_user(make_organization(status=OrganizationStatus.PENDING), email="p@example.org")
        db.session.commit()
    own = client_of(app, "owner@basra.example")
    assert PHONE in page(own, "/organizations/basra-women")
    assert PHONE not in page(app.test_client(), "/organizations/basra-women")
    assert PHONE not in page(client_of(app, pending.email), "/organizations/basra-women")
    assert log_rows(app) == []


def test_public_details_alone_are_not_counted(app, outsider):
    with app_context(app):
        make_organization(
            "Open Org", slug="open-org", contact_email="open@example.org",
            contact_email_visibility=Visibility.PUBLIC, contact_phone=PHONE,
            contact_phone_visibility=Visibility.HIDDEN,  # hidden: no outsider sees it
        )  # fmt: skip
        db.session.commit()
    html = page(client_of(app, outsider.email), "/organizations/open-org")
    assert "open@example.org" in html and PHONE not in html
    assert log_rows(app) == []


def test_moderators_are_counted_on_the_profile_and_on_their_own_pages(app, discreet):
    with app_context(app):
        moderator = make_moderator("mod@example.org")
        pending = make_organization(
            "Waiting Org",
            status=OrganizationStatus.PENDING,
            contact_phone="+964 1",
            contact_phone_visibility=Visibility.HIDDEN,
        )
        make_organization("Nothing Private", status=OrganizationStatus.PENDING)  # shown, not counted
        db.session.commit()
    client = client_of(app, moderator.email)

    assert PHONE in page(client, "/organizations/basra-women")  # members-only
    assert PERSON in page(client, f"/moderation/organizations/{discreet.id}")  # hidden too
    assert "+964 1" in page(client, "/moderation/")  # the queue shows applications whole

    assert log_rows(app) == [
        (discreet.id, moderator.id, None, True, 2),
        (pending.id, moderator.id, None, True, 1),
    ]


def test_another_day_starts_a_new_row(app, discreet, outsider):
    today = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    with app_context(app):
        viewer, organization = db.session.get(User, outsider.id), db.session.get(Organization, discreet.id)
        for moment in (today, today + timedelta(hours=3), today + timedelta(days=1)):
            access_log.record_views(viewer, [organization], now=moment)
        access_log.record_views(viewer.organization.users[0], [viewer.organization], now=today)  # their own
        db.session.commit()
    days = {r.day: r.views for r in scalars(app, sa.select(ContactDetailView))}
    assert days == {date(2026, 12, 1): 2, date(2026, 12, 2): 1}


def test_showing_private_details_costs_the_profile_one_write(app, discreet, outsider, count_queries):
    client = client_of(app, outsider.email)
    counter = queries_for(client, count_queries, "/organizations/basra-women")
    writes = [s for s in counter.statements if not s.lstrip().upper().startswith("SELECT")]
    assert len(writes) == 1 and "contact_detail_views" in writes[0] and "ON CONFLICT" in writes[0].upper()

    # The same page once every detail is public: the write, and only it, is gone.
    with app_context(app):
        db.session.execute(
            sa.update(Organization)
            .where(Organization.slug == "basra-women")
            .values(contact_phone_visibility=Visibility.PUBLIC, contact_person_visibility=Visibility.PUBLIC)
        )
        db.session.commit()
    public = queries_for(client, count_queries, "/organizations/basra-women")
    assert public.statements == [s for s in counter.statements if s not in writes]


def test_a_deleted_viewers_visits_stay_in_the_log(app, discreet, outsider):
    page(client_of(app, outsider.email), "/organizations/basra-women")
    with app_context(app):
        db.session.delete(db.session.get(User, outsider.id))
        db.session.commit()
    assert log_rows(app) == [(discreet.id, None, outsider.organization_id, False, 1)]
    assert "a member of <bdi>Tigris Friends</bdi>" in page(
        client_of(app, "owner@basra.example"), "/account/access-log"
    )


# Reading the log --------------------------------------------------------------------------------


def test_the_organization_reads_its_log_newest_first_naming_organizations_not_people(app, discreet, outsider):
    with app_context(app):
        moderator = make_moderator("mod@example.org")
        db.session.commit()
        yesterday = datetime.now(UTC) - timedelta(days=1)
        access_log.record_views(moderator, [db.session.get(Organization, discreet.id)], now=yesterday)
        db.session.commit()
    page(client_of(app, outsider.email), "/organizations/basra-women")

    html = page(client_of(app, "owner@basra.example"), "/account/access-log")
    entries = html[html.index('<ol class="list">') :]

    assert entries.index("a member of <bdi>Tigris Friends</bdi>") < entries.index("a moderator")
    assert entries.count("(1 time)") == 2
    for secret in (outsider.email, "mod@example.org"):
        assert secret not in html


def test_the_log_is_paginated(app, discreet, outsider):
    app.config["PAGE_SIZE"] = 2
    start = datetime(2026, 11, 1, tzinfo=UTC)
    with app_context(app):
        viewer, organization = db.session.get(User, outsider.id), db.session.get(Organization, discreet.id)
        for n in range(5):
            access_log.record_views(viewer, [organization], now=start + timedelta(days=n))
        db.session.commit()
    owner = client_of(app, "owner@basra.example")
    first, last = page(owner, "/account/access-log"), page(owner, "/account/access-log?page=3")
    assert "2026-11-05" in first and "2026-11-04" in first and "2026-11-01" not in first
    assert "2026-11-01" in last
    assert owner.get("/account/access-log?page=4").status_code == 404


def test_the_log_page_costs_the_same_queries_with_one_entry_or_many(app, discreet, count_queries):
    owner = client_of(app, "owner@basra.example")
    with app_context(app):
        viewers = [make_user(make_organization(), email=f"v{n}@example.org") for n in range(6)]
        access_log.record_views(viewers[0], [db.session.get(Organization, discreet.id)])
        db.session.commit()
    one = queries_for(owner, count_queries, "/account/access-log").count
    with app_context(app):
        organization = db.session.scalar(sa.select(Organization).where(Organization.slug == "basra-women"))
        for n in range(1, 6):
            viewer = db.session.scalar(sa.select(User).where(User.email == f"v{n}@example.org"))
            access_log.record_views(viewer, [organization])
        db.session.commit()
    many = queries_for(owner, count_queries, "/account/access-log")
    assert many.count == one
    assert page(owner, "/account/access-log").count("a member of <bdi>") == 6


def test_nobody_else_reads_an_organizations_log(app, discreet, outsider):
    page(client_of(app, outsider.email), "/organizations/basra-women")
    # The viewer's own log holds nothing of it; visitors and moderators cannot open the page.
    assert "Basra Women" not in page(client_of(app, outsider.email), "/account/access-log")
    assert "/auth/login" in app.test_client().get("/account/access-log").headers["Location"]
    with app_context(app):
        make_moderator("mod@example.org")
        db.session.commit()
    assert client_of(app, "mod@example.org").get("/account/access-log").status_code == 403


def test_the_dashboard_links_to_the_log(app, discreet):
    html = page(client_of(app, "owner@basra.example"), "/account/")
    assert 'href="/account/access-log"' in html and 'href="/account/sessions"' in html


# Retention --------------------------------------------------------------------------------------


def test_access_records_are_purged_after_180_days(app, discreet, outsider):
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    with app_context(app):
        viewer, organization = db.session.get(User, outsider.id), db.session.get(Organization, discreet.id)
        for days in (0, 180, 181, 365):
            access_log.record_views(viewer, [organization], now=now - timedelta(days=days))
        db.session.commit()

    with app_context(app):
        assert access_log.purge_old_access_records(now) == 2
        db.session.commit()

    kept = sorted((now.date() - r.day).days for r in scalars(app, sa.select(ContactDetailView)))
    assert kept == [0, 180]


# Recording while another worker writes (SQLite) ------------------------------------------------


def test_a_page_that_records_a_view_waits_for_the_write_lock_instead_of_failing(make_app, tmp_path):
    """A profile read by an outsider writes the access log. Its transaction must take SQLite's
    write lock when it begins: one that reads first and then writes cannot wait for the lock
    and would fail (a 503, the details not shown) whenever another worker was writing."""
    import sqlite3
    import threading

    from tests import builders

    path = tmp_path / "busy.db"
    application = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}", SQLITE_BUSY_TIMEOUT_MS=20_000)
    with app_context(application):
        builders.create_schema()
        make_organization(
            "Basra Women", slug="basra-women", contact_phone=PHONE,
            contact_phone_visibility=Visibility.MEMBERS,
        )  # fmt: skip
        make_user(make_organization("Tigris Friends", slug="tigris-friends"), email="b@tigris.example")
        db.session.commit()
    client = client_of(application, "b@tigris.example")
    visitor = application.test_client()

    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")  # another worker in the middle of a write
    release = threading.Timer(1.5, lambda: holder.execute("ROLLBACK"))
    release.start()
    try:
        response = client.get("/organizations/basra-women")
    finally:
        release.join()
        holder.close()

    assert response.status_code == 200 and PHONE in response.get_data(as_text=True)
    assert scalar(application, sa.select(ContactDetailView.views)) == 1
    # A visitor's view records nothing: it reads without taking the lock.
    held = sqlite3.connect(path, isolation_level=None)
    held.execute("BEGIN IMMEDIATE")
    try:
        assert visitor.get("/organizations/basra-women").status_code == 200
    finally:
        held.execute("ROLLBACK")
        held.close()


# Repeat views are counted in the worker and written after the answer -------------------------


@pytest.fixture
def tallying_app(make_app, app):
    """The application as served: repeat views of a day are written within 10 s of the answer
    (``app`` shares its database and empties it afterwards)."""
    return make_app(ACCESS_LOG_FLUSH_SECONDS=10)


def statements_of(application, client, url: str) -> list[str]:
    with application.app_context():
        engine = db.engine
    seen: list[str] = []

    def spy(_conn, _cursor, statement, *_args):
        seen.append(statement.strip().upper())

    sa.event.listen(engine, "before_cursor_execute", spy)
    try:
        page(client, url)
    finally:
        sa.event.remove(engine, "before_cursor_execute", spy)
    return seen


def test_a_repeat_view_takes_no_write_lock_and_is_counted_after_a_later_answer(
    tallying_app, discreet, outsider
):
    from app.services.access_log import tally_of

    client = client_of(tallying_app, outsider.email)
    first = statements_of(tallying_app, client, "/organizations/basra-women")
    # The first view of the day is written (and committed) before the page is shown.
    assert any(statement.startswith("INSERT INTO CONTACT_DETAIL_VIEWS") for statement in first)
    assert log_rows(tallying_app) == [(discreet.id, outsider.id, outsider.organization_id, False, 1)]

    again = statements_of(tallying_app, client, "/organizations/basra-women")
    assert PHONE in page(client, "/organizations/basra-women")
    assert not any(statement.startswith(("INSERT", "UPDATE", "BEGIN IMMEDIATE")) for statement in again)
    assert log_rows(tallying_app)[0][-1] == 1  # counted, not yet written

    tally = tally_of(tallying_app)
    tally.oldest -= 11  # ten seconds have passed: the next answer writes the repeats
    page(client, "/campaigns/")
    assert log_rows(tallying_app) == [(discreet.id, outsider.id, outsider.organization_id, False, 3)]
    assert not tally.pending


def test_a_first_view_that_was_not_committed_is_written_in_the_next_request_again(
    tallying_app, discreet, outsider
):
    with tallying_app.app_context():
        viewer = db.session.get(User, outsider.id)
        organization = db.session.get(Organization, discreet.id)
        access_log.record_views(viewer, [organization])
        db.session.rollback()  # the page was not shown (a 503): nothing is settled

        access_log.record_views(viewer, [organization])
        db.session.commit()
    assert log_rows(tallying_app) == [(discreet.id, outsider.id, outsider.organization_id, False, 1)]


def test_repeat_views_left_when_the_worker_stops_are_written(tallying_app, discreet, outsider):
    from app.worker import flush_repeat_views

    client = client_of(tallying_app, outsider.email)
    for _ in range(3):
        page(client, "/organizations/basra-women")
    assert log_rows(tallying_app)[0][-1] == 1

    assert flush_repeat_views(tallying_app) == 2  # what the worker's exit hook runs
    assert log_rows(tallying_app)[0][-1] == 3
    assert flush_repeat_views(tallying_app) == 0


@pytest.fixture
def served_app(make_app, app, tmp_path):
    """The application as served, with the page cache's generation token as well (the profile
    remembers under it which organizations have nothing private)."""
    return make_app(
        ACCESS_LOG_FLUSH_SECONDS=10, PAGE_CACHE=True,
        PAGE_CACHE_GENERATION_FILE=str(tmp_path / "generation"), SITE_URL="http://localhost",
    )  # fmt: skip


@pytest.fixture
def open_book(app):
    """An organization whose profile shows nothing private: public details, and one hidden from all."""
    with app_context(app):
        organization = make_organization(
            "Mosul Readers", slug="mosul-readers", contact_email="hello@mosul.example",
            contact_email_visibility=Visibility.PUBLIC, contact_phone=PHONE,
            contact_phone_visibility=Visibility.PUBLIC, contact_person=PERSON,
            contact_person_visibility=Visibility.HIDDEN,
        )  # fmt: skip
        db.session.commit()
    return organization


def test_a_profile_with_nothing_private_takes_no_write_lock_once_seen(served_app, open_book, outsider):
    client = client_of(served_app, outsider.email)
    statements_of(served_app, client, "/organizations/mosul-readers")  # seen once by this worker
    again = statements_of(served_app, client, "/organizations/mosul-readers")
    assert PHONE in page(client, "/organizations/mosul-readers")
    assert not any(statement.startswith(("INSERT", "UPDATE", "BEGIN IMMEDIATE")) for statement in again)
    assert log_rows(served_app) == []


def test_a_detail_made_private_is_recorded_at_its_first_view(served_app, open_book, outsider):
    client = client_of(served_app, outsider.email)
    page(client, "/organizations/mosul-readers")
    page(client, "/organizations/mosul-readers")
    with served_app.app_context():
        organization = db.session.get(Organization, open_book.id)
        organization.contact_phone_visibility = Visibility.MEMBERS
        db.session.commit()  # a public write: the generation token moves on

    assert PHONE in page(client, "/organizations/mosul-readers")
    assert log_rows(served_app) == [(open_book.id, outsider.id, outsider.organization_id, False, 1)]


def test_a_view_that_cannot_be_recorded_shows_the_public_details_only(served_app, open_book, outsider):
    # A detail made private between the reader's decision (no write needed: nothing private
    # under this token) and the reading of the organization, before the token moves on: the
    # view cannot be written in this request, so the page shows what the public sees.
    client = client_of(served_app, outsider.email)
    page(client, "/organizations/mosul-readers")
    generation = served_app.extensions["page_cache"].generation
    frozen = generation.current()
    with served_app.app_context():
        organization = db.session.get(Organization, open_book.id)
        organization.contact_phone_visibility = Visibility.MEMBERS
        db.session.commit()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(generation, "current", lambda: frozen)  # the token has not moved yet
        shown = page(client, "/organizations/mosul-readers")
    # (The shared body under the old token is the one readers saw before the change.)
    assert 'href="tel:' not in shown
    assert "hello@mosul.example" in shown
    assert log_rows(served_app) == []
    assert 'href="tel:' in page(client, "/organizations/mosul-readers")  # the token moved: recorded
    assert log_rows(served_app) == [(open_book.id, outsider.id, outsider.organization_id, False, 1)]


def test_an_organizations_own_member_reads_its_profile_again_without_a_write_lock(tallying_app, discreet):
    client = client_of(tallying_app, "owner@basra.example")
    statements_of(tallying_app, client, "/organizations/basra-women")
    again = statements_of(tallying_app, client, "/organizations/basra-women")
    assert 'href="tel:' in page(client, "/organizations/basra-women")  # their own members-only phone
    assert not any(statement.startswith(("INSERT", "UPDATE", "BEGIN IMMEDIATE")) for statement in again)
    assert log_rows(tallying_app) == []


def test_a_member_who_left_is_shown_the_public_details_until_their_view_can_be_recorded(
    tallying_app, discreet, outsider
):
    with tallying_app.app_context():
        member = make_user(db.session.get(Organization, discreet.id), email="leaving@basra.example")
        db.session.commit()
        member_id = member.id
    client = client_of(tallying_app, "leaving@basra.example")
    page(client, "/organizations/basra-women")  # their own organization: never recorded
    with tallying_app.app_context():
        # They now belong to another organization, in the same session and the same day.
        db.session.get(User, member_id).organization_id = outsider.organization_id
        db.session.commit()
    shown = page(client, "/organizations/basra-women")
    assert 'href="tel:' not in shown and "hello@basra.example" in shown
    assert log_rows(tallying_app) == []
    with tallying_app.app_context():
        moved = db.session.get(User, member_id)
    assert 'href="tel:' in page(client, "/organizations/basra-women")  # this one took the lock
    assert log_rows(tallying_app) == [(discreet.id, member_id, moved.organization_id, False, 1)]

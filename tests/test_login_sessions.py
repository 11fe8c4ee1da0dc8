"""Where a member is logged in: every login listed, ended one by one or all but this one, a new
browser mailed to the member, the last use written every few minutes, purged after 180 days.

Browsers are test clients with their own cookies, User-Agent and address, as in
test_sessions.py: a copy of one's cookies stands for a stolen or forgotten device.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask_login.utils import encode_cookie

from app import security
from app.extensions import db
from app.models import LoginSession, User
from app.services import login_sessions
from tests.builders import DEFAULT_PASSWORD, make_moderator, make_user
from tests.conftest import app_context, log_in, scalar, scalars
from tests.geoip_support import write_country_database

FIREFOX_ANDROID = "Mozilla/5.0 (Android 14; Mobile; rv:128.0) Gecko/128.0 Firefox/128.0"
CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36"
)
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1"
)


@pytest.fixture
def member(app):
    """A member (a snapshot: id, email, session version)."""
    with app_context(app):
        user = make_user(email="amal@example.org")
        db.session.commit()
    return user


@pytest.fixture
def move_clock(monkeypatch):
    """``move_clock(seconds)``: the session clock reads that long after the test began (and
    stands still between moves)."""
    start = security.now_seconds()

    def _move(seconds: int) -> None:
        monkeypatch.setattr(security, "now_seconds", lambda: start + seconds)

    # Stopped from the start: a login that straddled a second would otherwise be stamped a second
    # after ``start`` and miss every time the test computes from it (seen under a parallel run).
    _move(0)
    return _move


def browser(application, user_agent=FIREFOX_ANDROID, address="203.0.113.7"):
    client = application.test_client()
    client.environ_base.update({"HTTP_USER_AGENT": user_agent, "REMOTE_ADDR": address})
    return client


def login(client, email="amal@example.org", remember=False):
    extra = {"remember_me": "y"} if remember else {}
    response = log_in(client, email, DEFAULT_PASSWORD, **extra)  # moderators with their second step
    assert response.status_code == 302, response.get_data(as_text=True)
    response.close()  # the whole answer has gone: queued mail leaves now
    return response


def logged_in(client) -> bool:
    return client.get("/account/").status_code == 200


def records(app, user) -> list[LoginSession]:
    """The user's login records as the database holds them now."""
    return scalars(app, sa.select(LoginSession).where(LoginSession.user_id == user.id))


def sessions_page(client) -> str:
    response = client.get("/account/sessions")
    assert response.status_code == 200
    return response.get_data(as_text=True)


# What the list shows --------------------------------------------------------------------------


def test_every_login_is_listed_with_its_browser_place_and_times(app, member):
    laptop = browser(app, CHROME_WINDOWS, "198.51.100.20")
    phone = browser(app, FIREFOX_ANDROID, "203.0.113.7")
    login(laptop)
    login(phone, remember=True)

    html = sessions_page(laptop)

    assert "Chrome on Windows" in html and "Firefox on Android" in html
    assert "198.51.100.0/24" in html and "203.0.113.0/24" in html
    assert html.count("(this browser)") == 1
    assert html.index("Chrome on Windows") < html.index("(this browser)") < html.index("Firefox on Android")
    assert "Remembered" in html  # the phone asked to be remembered
    assert "unknown" in html  # no GeoIP database configured: no place
    assert "Logged in" in html and "Last used" in html


def test_the_full_address_is_never_stored(app, member):
    login(browser(app, address="203.0.113.77"))
    (record,) = records(app, member)
    assert record.network == "203.0.113.0/24"
    with app.app_context(), db.engine.connect() as connection:
        row = connection.execute(sa.select(LoginSession.__table__)).one()
    assert not any("203.0.113.77" in str(value) for value in row)


def test_ended_and_expired_logins_are_not_listed(app, member, move_clock):
    first = browser(app, CHROME_WINDOWS)
    login(first)
    first.post("/auth/logout")
    move_clock(60)
    current = browser(app, SAFARI_IPHONE)
    login(current)
    html = sessions_page(current)
    assert "Safari on iOS" in html and "Chrome on Windows" not in html

    move_clock(13 * 3600)  # the login is past the session lifetime: gone from the list too
    with app_context(app):
        user = db.session.get(User, member.id)
        assert login_sessions.active_sessions(user, security.session_now()) == []


def test_the_sessions_page_costs_the_same_queries_with_one_login_or_many(app, member, count_queries):
    from tests.pages import queries_for

    client = browser(app)
    login(client)
    one = queries_for(client, count_queries, "/account/sessions").count
    for _ in range(4):
        login(browser(app, CHROME_WINDOWS))
    assert sessions_page(client).count("Chrome on Windows") == 4
    assert queries_for(client, count_queries, "/account/sessions").count == one


# Ending sessions --------------------------------------------------------------------------------


def test_ending_one_session_logs_that_browser_out_at_its_next_request(app, member):
    laptop, phone = browser(app, CHROME_WINDOWS), browser(app)
    login(laptop)
    login(phone, remember=True)
    stolen = browser(app)  # a copy of the phone's remember cookie, as from a seized phone
    stolen.set_cookie("remember_token", phone.get_cookie("remember_token").value)
    phones_login = next(r for r in records(app, member) if r.browser == "Firefox")

    response = laptop.post(f"/account/sessions/{phones_login.id}/end")

    assert response.status_code == 302
    assert not logged_in(phone)
    assert not logged_in(stolen)
    assert logged_in(laptop)
    assert "Firefox on Android" not in sessions_page(laptop)


def test_ending_every_other_session_keeps_only_this_browser(app, member):
    here, elsewhere, remembered = browser(app, CHROME_WINDOWS), browser(app), browser(app, SAFARI_IPHONE)
    login(here)
    login(elsewhere)
    login(remembered, remember=True)

    response = here.post("/account/sessions/end-others")

    assert response.status_code == 302
    assert logged_in(here)
    assert not logged_in(elsewhere)
    assert not logged_in(remembered)
    assert [r.browser for r in records(app, member) if r.ended_at is None] == ["Chrome"]


def test_ending_this_browsers_own_session_logs_it_out(app, member):
    client = browser(app)
    login(client)
    (record,) = records(app, member)
    response = client.post(f"/account/sessions/{record.id}/end")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert not logged_in(client)


def test_nobody_can_end_or_see_another_users_session(app, member):
    with app_context(app):
        other = make_user(email="other@example.org")
        db.session.commit()
    victim, intruder = browser(app), browser(app, CHROME_WINDOWS)
    login(victim)
    login(intruder, "other@example.org")
    (victims_login,) = records(app, member)

    assert intruder.post(f"/account/sessions/{victims_login.id}/end").status_code == 404
    assert intruder.post("/account/sessions/end-others").status_code == 302
    assert "Firefox on Android" not in sessions_page(intruder)

    assert logged_in(victim)
    assert records(app, member)[0].ended_at is None
    assert [r.ended_at is None for r in records(app, other)] == [True]


def test_ending_an_unknown_or_ended_session_is_a_404(app, member):
    client = browser(app)
    login(client)
    old = browser(app, CHROME_WINDOWS)
    login(old)
    olds = next(r for r in records(app, member) if r.browser == "Chrome")
    assert client.post(f"/account/sessions/{olds.id}/end").status_code == 302
    assert client.post(f"/account/sessions/{olds.id}/end").status_code == 404
    assert client.post("/account/sessions/2147483647/end").status_code == 404
    assert client.post("/account/sessions/99999999999/end").status_code == 404


def test_ending_sessions_needs_the_forms_csrf_token(make_app, member):
    from tests.conftest import csrf_token_from

    # Not pushed: each request gets an app context of its own, so the clients share no CSRF token.
    application = make_app(WTF_CSRF_ENABLED=True)
    here, there = browser(application, CHROME_WINDOWS), browser(application)
    for client in (here, there):
        token = csrf_token_from(client, "/auth/login")
        response = client.post(
            "/auth/login", data={"email": member.email, "password": DEFAULT_PASSWORD, "csrf_token": token}
        )
        assert response.status_code == 302
    theirs = next(r for r in records(application, member) if r.browser == "Firefox")

    assert here.post(f"/account/sessions/{theirs.id}/end").status_code == 400
    assert here.post("/account/sessions/end-others", data={"csrf_token": "made-up"}).status_code == 400
    assert logged_in(there)

    token = csrf_token_from(here, "/account/sessions")
    assert here.post("/account/sessions/end-others", data={"csrf_token": token}).status_code == 302
    assert not logged_in(there)


def test_logout_and_a_new_password_end_the_login_records(app, member):
    client = browser(app)
    login(client)
    client.post("/auth/logout")
    assert [r.ended_at is not None for r in records(app, member)] == [True]

    laptop, phone = browser(app, CHROME_WINDOWS), browser(app)
    login(laptop)
    login(phone)
    new = "an entirely new passphrase 2024"
    response = laptop.post(
        "/account/password", data={"current_password": DEFAULT_PASSWORD, "new_password": new, "confirm": new}
    )
    assert response.status_code == 302
    assert [r.ended_at is not None for r in records(app, member)] == [True, True, True]


def test_a_cookie_of_the_format_before_login_records_is_refused(app, member):
    client = browser(app)
    login(client)
    with app.test_request_context():
        # "<id>:<version>:<login time>", correctly signed: what a browser kept from before.
        old_format = encode_cookie(f"{member.id}:{member.session_version}:{security.now_seconds()}")
    returning = browser(app)
    returning.set_cookie("remember_token", old_format)
    assert not logged_in(returning)


def test_a_moderators_idle_session_leaves_the_list(app, move_clock):
    with app_context(app):
        moderator = make_moderator("mod@example.org")
        db.session.commit()
    idle, active = browser(app, CHROME_WINDOWS), browser(app)
    login(idle, "mod@example.org")
    login(active, "mod@example.org")
    move_clock(20 * 60)
    assert active.get("/moderation/").status_code == 200
    move_clock(40 * 60)
    html = sessions_page(active)
    assert "Firefox on Android" in html and "Chrome on Windows" not in html
    assert not logged_in(idle)
    assert moderator.is_moderator


def test_a_session_ended_by_its_time_limit_ends_its_record(app, move_clock):
    with app_context(app):
        make_moderator("mod@example.org")
        db.session.commit()
    client = browser(app)
    login(client, "mod@example.org")
    move_clock(31 * 60)
    assert client.get("/moderation/").status_code == 302  # idle: logged out
    assert scalar(app, sa.select(LoginSession.ended_at)) is not None


# The last use ------------------------------------------------------------------------------------


def test_the_last_use_is_written_at_most_every_five_minutes(app, member, move_clock, count_queries):
    client = browser(app)
    login(client)
    (record,) = records(app, member)
    started = record.last_seen_at

    def updates_during(url: str) -> int:
        with count_queries() as counter:
            assert client.get(url).status_code == 200
        return sum(s.lstrip().upper().startswith("UPDATE LOGIN_SESSIONS") for s in counter.statements)

    for minutes in (1, 2, 4):
        move_clock(minutes * 60)
        assert updates_during("/account/") == 0
    assert records(app, member)[0].last_seen_at == started

    move_clock(6 * 60)
    assert updates_during("/") == 1
    assert records(app, member)[0].last_seen_at == started + timedelta(minutes=6)
    move_clock(7 * 60)
    assert updates_during("/account/") == 0  # the next write is due at 11 minutes
    move_clock(11 * 60 + 5)
    assert updates_during("/account/") == 1


def test_an_ended_session_is_not_touched_back_to_life(app, member, move_clock):
    client = browser(app)
    login(client)
    copy = browser(app)
    copy.set_cookie("session", client.get_cookie("session").value)
    client.post("/auth/logout")
    move_clock(10 * 60)
    assert not logged_in(copy)
    (record,) = records(app, member)
    assert record.ended_at is not None and record.last_seen_at == record.created_at


# A new browser -----------------------------------------------------------------------------------


def test_a_login_from_a_new_browser_mails_the_member_and_a_known_one_does_not(app, member, outbox):
    home = browser(app, CHROME_WINDOWS)
    login(home)
    assert outbox == []  # the very first login has nothing to compare with
    home.post("/auth/logout")
    login(home)
    assert outbox == []  # the same browser: its device cookie is known

    login(browser(app, FIREFOX_ANDROID, "203.0.113.7"))

    (message,) = outbox
    assert message.recipients == ["amal@example.org"]
    assert "new login" in message.subject.lower()
    assert "Firefox on Android" in message.body
    assert "/account/sessions" in message.body and "/auth/reset" in message.body
    assert "203.0.113" not in message.body  # mail passes through many hands: no address


def test_the_device_cookie_is_httponly_and_does_not_link_accounts(app, member):
    with app_context(app):
        make_user(email="second@example.org")
        db.session.commit()
    shared = browser(app)
    response = login(shared)
    (cookie,) = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("tadamun_device=")]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    shared.post("/auth/logout")
    login(shared, "second@example.org")

    hashes = {r.device_hash for r in scalars(app, sa.select(LoginSession))}
    assert len(hashes) == 2  # one browser, two accounts: nothing in the table ties them


def test_a_forged_device_cookie_is_replaced(app, member):
    client = browser(app)
    client.set_cookie("tadamun_device", "x" * 10)
    response = login(client)
    (cookie,) = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("tadamun_device=")]
    assert len(cookie.split(";")[0].split("=", 1)[1]) == 43


# Places ------------------------------------------------------------------------------------------


def test_the_country_comes_from_a_local_geoip_database_when_one_is_configured(make_app, member, tmp_path):
    database = write_country_database(
        tmp_path / "countries.mmdb", {"203.0.113.0/24": "IQ", "2001:db8:1::/48": "NO"}
    )
    application = make_app(GEOIP_DATABASE=str(database))
    iraq, norway, nowhere = (
        browser(application, address="203.0.113.7"),
        browser(application, CHROME_WINDOWS, "2001:db8:1::99"),
        browser(application, SAFARI_IPHONE, "192.0.2.1"),
    )
    for client in (iraq, norway, nowhere):
        login(client)
    html = sessions_page(iraq)
    assert {r.browser: r.country for r in records(application, member)} == {
        "Firefox": "IQ",
        "Chrome": "NO",
        "Safari": None,
    }
    assert "Iraq" in html and "Norway" in html and "unknown" in html
    assert "2001:db8:1::/48" in html


def test_a_missing_geoip_database_leaves_places_unknown(make_app, member, tmp_path):
    application = make_app(GEOIP_DATABASE=str(tmp_path / "absent.mmdb"))
    client = browser(application)
    login(client)
    assert "unknown" in sessions_page(client)
    assert records(application, member)[0].country is None


@pytest.mark.parametrize(
    ("user_agent", "families"),
    [
        (FIREFOX_ANDROID, ("Firefox", "Android")),
        (CHROME_WINDOWS, ("Chrome", "Windows")),
        (SAFARI_IPHONE, ("Safari", "iOS")),
        (CHROME_WINDOWS + " Edg/126.0.0.0", ("Edge", "Windows")),
        (CHROME_WINDOWS + " OPR/111.0.0.0", ("Opera", "Windows")),
        (
            "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
            "SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36",
            ("Samsung Internet", "Android"),
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "Version/17.5 Safari/605.1.15",
            ("Safari", "macOS"),
        ),
        ("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", ("Firefox", "Linux")),
        ("curl/8.5.0", ("", "")),
        ("", ("", "")),
    ],
)
def test_browser_families_are_read_coarsely(user_agent, families):
    assert login_sessions.browser_family(user_agent) == families


@pytest.mark.parametrize(
    ("address", "network"),
    [
        ("203.0.113.77", "203.0.113.0/24"),
        ("::ffff:203.0.113.77", "203.0.113.0/24"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1::/48"),
        ("not an address", None),
        (None, None),
    ],
)
def test_addresses_are_cut_to_their_network(address, network):
    assert login_sessions.network_of(address) == network


# Retention ---------------------------------------------------------------------------------------


def test_login_records_are_purged_180_days_after_their_last_use(app, member):
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    with app_context(app):
        for days in (10, 179, 181, 400):
            seen = now - timedelta(days=days)
            db.session.add(LoginSession(user_id=member.id, created_at=seen, last_seen_at=seen))
        db.session.commit()

    with app_context(app):
        assert login_sessions.purge_old_login_records(now) == 2
        db.session.commit()

    left = sorted((now - r.last_seen_at).days for r in records(app, member))
    assert left == [10, 179]

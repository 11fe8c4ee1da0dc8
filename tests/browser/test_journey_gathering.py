"""Journey: a moderator publishes a gathering with two places; three organizations register and
the third waits; one cancels; the third is promoted and mailed; the organizer exports the list;
the calendar file parses cleanly."""

from __future__ import annotations

import csv
import io

import pytest
from icalendar import Calendar
from playwright.sync_api import expect

from app.extensions import db
from tests import builders
from tests.browser.helpers import log_in, open_site
from tests.browser.live import MODERATOR_EMAIL

pytestmark = pytest.mark.browser

ORGANIZATIONS = [
    ("Basra Reed Circle", "reed@example.org"),
    ("Mosul Lantern Group", "lantern@example.org"),
    ("Najaf Tigris Friends", "tigris@example.org"),
]


def add_members(app) -> None:
    with app.app_context():
        for name, email in ORGANIZATIONS:
            builders.make_user(builders.make_organization(name), email=email)
        db.session.commit()
        db.session.remove()


def test_a_gathering_fills_up_and_the_waiting_list_moves(new_page, live_server, mailbox, t_for):
    t = t_for("en")
    add_members(live_server.app)

    # The moderator creates the gathering, opens two places and publishes it.
    moderator = open_site(new_page, "desktop")
    log_in(moderator, t, MODERATOR_EMAIL)
    moderator.goto("/gatherings/new")
    moderator.get_by_label(t("Title"), exact=True).fill("Tigris Water Forum")
    moderator.get_by_label(t("Starts"), exact=True).fill("2031-05-10T09:00")
    moderator.get_by_label(t("Ends"), exact=True).fill("2031-05-11T17:00")
    moderator.get_by_label(t("City"), exact=True).fill("Basra")
    moderator.get_by_role("button", name=t("Save the gathering")).click()
    expect(moderator.get_by_text(t("The gathering is saved as a draft."))).to_be_visible()
    moderator.get_by_label(t("Delegate"), exact=True).check()
    moderator.get_by_label(t("Places"), exact=True).fill("2")
    moderator.get_by_role("button", name=t("Save the registration type")).click()
    expect(moderator.get_by_text(t("The registration type is saved."))).to_be_visible()
    moderator.get_by_role("button", name=t("Publish"), exact=True).click()
    expect(moderator.get_by_text(t("The gathering is published."))).to_be_visible()
    slug = moderator.url.rstrip("/").split("/")[-2]

    # Three organizations register; the third waits.
    members = []
    for n, (_name, email) in enumerate(ORGANIZATIONS):
        member = open_site(new_page, "desktop")
        log_in(member, t, email)
        member.goto("/gatherings/")
        member.get_by_role("link", name="Tigris Water Forum").click()
        member.get_by_label(t("Delegate"), exact=True).check()
        member.get_by_label(t("Dietary needs"), exact=True).fill("vegetarian")
        member.get_by_role("button", name=t("Register"), exact=True).click()
        state = t("On the waiting list") if n == 2 else t("Confirmed")
        expect(member.locator("#register").get_by_text(state, exact=True)).to_be_visible()
        members.append(member)

    # The first cancels: the third gets the place and is told by mail.
    members[0].get_by_role("button", name=t("Cancel this registration")).click()
    expect(members[0].get_by_text(t("The registration is cancelled."))).to_be_visible()
    message = mailbox.wait_for(ORGANIZATIONS[2][1], "A place has freed")
    assert slug in mailbox.link_in(message, live_server.url, "/gatherings/")
    members[2].reload()
    expect(members[2].locator("#register").get_by_text(t("Confirmed"), exact=True)).to_be_visible()

    # The organizer sees the list with the needs and exports it.
    moderator.goto(f"/gatherings/{slug}/registrants")
    expect(moderator.get_by_role("cell", name="vegetarian")).to_have_count(3)
    with moderator.expect_download() as download:
        moderator.get_by_role("link", name=t("Export as CSV")).click()
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text(encoding="utf-8"))))
    states = {row["organization"]: row["state"] for row in rows}
    assert states == {
        "Basra Reed Circle": "cancelled",
        "Mosul Lantern Group": "confirmed",
        "Najaf Tigris Friends": "confirmed",
    }

    # The calendar file parses cleanly.
    response = members[1].request.get(f"{live_server.url}/gatherings/{slug}/calendar.ics")
    assert response.ok and response.headers["content-type"].startswith("text/calendar")
    (event,) = Calendar.from_ical(response.body()).walk("VEVENT")
    assert str(event["summary"]) == "Tigris Water Forum"
    assert "vegetarian" not in response.text()

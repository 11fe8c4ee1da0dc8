"""Journey: a moderator publishes a gathering with two places; three organizations register and
the third waits; one cancels; the third is promoted and mailed; the organizer exports the list;
the calendar file parses cleanly. On a desktop in English, and on a phone in Arabic (right to
left), finding labels in the reader's language."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from icalendar import Calendar
from playwright.sync_api import Locator, Page, expect

from app.extensions import db
from tests import builders
from tests.browser.helpers import locale_of, log_in, open_site
from tests.browser.live import MODERATOR_EMAIL

pytestmark = pytest.mark.browser

ORGANIZATIONS = [
    ("Basra Reed Circle", "reed@example.org"),
    ("Mosul Lantern Group", "lantern@example.org"),
    ("Najaf Tigris Friends", "tigris@example.org"),
]


def add_members(app, locale: str = "en") -> None:
    with app.app_context():
        for name, email in ORGANIZATIONS:
            user = builders.make_user(builders.make_organization(name), email=email)
            user.locale = locale  # their mail comes in the language they read
        db.session.commit()
        db.session.remove()


@dataclass
class Reader:
    """Finds what a person reading ``locale`` sees: by its label in their language, or, while a
    label is not translated yet, by the element's stable attribute, never by English text."""

    t: Callable[..., str]
    locale: str

    def _shown(self, text: str) -> str | None:
        shown = self.t(text)
        return None if self.locale != "en" and shown == text else shown

    def field(self, page: Page, label: str, css: str) -> Locator:
        shown = self._shown(label)
        return page.get_by_label(shown, exact=True) if shown else page.locator(css)

    def button(self, page: Page, name: str, css: str) -> Locator:
        shown = self._shown(name)
        return page.get_by_role("button", name=shown, exact=True) if shown else page.locator(css)

    def link(self, page: Page, name: str, css: str) -> Locator:
        shown = self._shown(name)
        return page.get_by_role("link", name=shown) if shown else page.locator(css)


def promoted_mail(mailbox, address: str, subject: str):
    """The mail telling ``address`` a place is theirs (by its subject, in their language)."""
    found = mailbox._wait(lambda: [m for m in mailbox.messages_to(address) if str(m["Subject"]) == subject])
    assert found, f"no mail to {address} with the subject {subject!r}"
    return found[-1]


@pytest.mark.parametrize("variant", ["desktop", "arabic-phone"])
def test_a_gathering_fills_up_and_the_waiting_list_moves(new_page, live_server, mailbox, t_for, variant):
    locale = locale_of(variant)
    t = t_for(locale)
    read = Reader(t, locale)
    add_members(live_server.app, locale)

    # The moderator creates the gathering, opens two places and publishes it.
    moderator = open_site(new_page, variant)
    log_in(moderator, t, MODERATOR_EMAIL)
    moderator.goto("/gatherings/new")
    read.field(moderator, "Title", "#title").fill("Tigris Water Forum")
    read.field(moderator, "Starts", "#starts_at").fill("2031-05-10T09:00")
    read.field(moderator, "Ends", "#ends_at").fill("2031-05-11T17:00")
    read.field(moderator, "City", "#city").fill("Basra")
    read.button(moderator, "Save the gathering", "form button[type=submit]").click()
    expect(moderator.get_by_text(t("The gathering is saved as a draft."))).to_be_visible()
    read.field(moderator, "Delegate", 'input[name="kind"][value="delegate"]').check()
    read.field(moderator, "Places", "#capacity").fill("2")
    read.button(moderator, "Save the registration type", '#registration button[type="submit"]').click()
    expect(moderator.get_by_text(t("The registration type is saved."))).to_be_visible()
    read.button(moderator, "Publish", 'form[action$="/publish"] button').click()
    expect(moderator.get_by_text(t("The gathering is published."))).to_be_visible()
    slug = moderator.url.split("#")[0].rstrip("/").split("/")[-2]
    expect(moderator.locator("html")).to_have_attribute("dir", "rtl" if locale == "ar" else "ltr")

    # Three organizations register; the third waits.
    members = []
    for n, (_name, email) in enumerate(ORGANIZATIONS):
        member = open_site(new_page, variant)
        log_in(member, t, email)
        member.goto("/gatherings/")
        member.get_by_role("link", name="Tigris Water Forum").click()
        read.field(member, "Delegate", 'input[name="registration_type"]').check()
        read.field(member, "Dietary needs", "#dietary").fill("vegetarian")
        read.button(member, "Register", '#register form button[type="submit"]').click()
        state = t("On the waiting list") if n == 2 else t("Confirmed")
        expect(member.locator("#register").get_by_text(state, exact=True)).to_be_visible()
        members.append(member)

    # The first cancels: the third gets the place and is told by mail, in their language.
    read.button(members[0], "Cancel this registration", 'form[action$="/cancel"] button').click()
    expect(members[0].get_by_text(t("The registration is cancelled."))).to_be_visible()
    subject = t("A place is yours at %(title)s", title="Tigris Water Forum")
    message = promoted_mail(mailbox, ORGANIZATIONS[2][1], subject)
    assert slug in mailbox.link_in(message, live_server.url, "/gatherings/")
    members[2].reload()
    expect(members[2].locator("#register").get_by_text(t("Confirmed"), exact=True)).to_be_visible()

    # The organizer sees the list with the needs and exports it.
    moderator.goto(f"/gatherings/{slug}/registrants")
    expect(moderator.get_by_role("cell", name="vegetarian")).to_have_count(3)
    with moderator.expect_download() as download:
        read.link(moderator, "Export as CSV", 'a[href$="registrants.csv"]').click()
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

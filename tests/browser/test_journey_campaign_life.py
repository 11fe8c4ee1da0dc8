"""Journey: campaign life. A visitor reading Arabic follows Save the Tigris by email and confirms
from the mail; a coordinator (the moderator) posts an update in Arabic; the visitor's daily
digest (the scheduled command, run here) arrives in Arabic with the update and a working
unsubscribe link; after unsubscribing, the next digest does not come."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from app.extensions import db
from app.models.base import utcnow
from app.services import digests
from tests.browser.helpers import log_in
from tests.browser.live import MODERATOR_EMAIL

pytestmark = pytest.mark.browser

TIGRIS = "save-the-tigris"
VISITOR = "ana.visitor@example.org"
UPDATE_TITLE = "عادت المياه إلى الأهوار"
UPDATE_BODY = "اجتمعنا مع الوزارة **اليوم**."


def test_a_visitor_follows_by_email_reads_the_arabic_digest_and_unsubscribes(
    new_page, live_server, mailbox, t_for
):
    t_ar, t_en = t_for("ar"), t_for("en")
    app = live_server.app

    # The visitor follows by email, in Arabic.
    visitor = new_page(locale="ar")
    visitor.goto(f"/campaigns/{TIGRIS}?lang=ar")
    visitor.get_by_role("link", name=t_ar("Follow by email")).click()
    visitor.get_by_label(t_ar("Your email address")).fill(VISITOR)
    visitor.get_by_role("button", name=t_ar("Send me the link")).click()
    expect(visitor.get_by_role("heading", name=t_ar("Check your mail"))).to_be_visible()
    confirmation = mailbox.last_to(VISITOR)
    visitor.goto(mailbox.link_in(confirmation, live_server.url, "/follow/confirm/"))
    visitor.get_by_label(t_ar("in a daily digest")).check()
    visitor.get_by_role("button", name=t_ar("Follow")).click()
    expect(visitor.get_by_role("heading", name=t_ar("You follow it"))).to_be_visible()

    # A coordinator posts an update in Arabic.
    coordinator = new_page()
    log_in(coordinator, t_en, MODERATOR_EMAIL)
    coordinator.goto(f"/campaigns/{TIGRIS}")
    coordinator.get_by_role("link", name=t_en("Post an update")).click()
    arabic = coordinator.get_by_role("group", name="العربية")
    arabic.get_by_label(t_en("Title")).fill(UPDATE_TITLE)
    arabic.get_by_label(t_en("Text (Markdown)")).fill(UPDATE_BODY)
    coordinator.get_by_role("button", name=t_en("Publish")).click()
    expect(coordinator.get_by_role("heading", name=UPDATE_TITLE)).to_be_visible()

    # The scheduled command sends the daily digest, in the visitor's language.
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["digests", "send", "--period", "daily"])
        db.session.remove()
    assert result.exit_code == 0, result.output
    digest = mailbox.wait_for(VISITOR, UPDATE_TITLE)
    text = digest.get_body(preferencelist=("plain",)).get_content()
    assert t_ar("The Tadamun team") in text and t_ar("The Tadamun team") != "The Tadamun team"
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert str(digest["List-Unsubscribe"]).startswith(f"<{live_server.url}/unsubscribe/")

    # The unsubscribe link works without logging in.
    visitor.goto(mailbox.link_in(digest, live_server.url, "/unsubscribe/"))
    visitor.get_by_role("button", name=t_ar("Unsubscribe")).click()
    expect(visitor.get_by_role("heading", name=t_ar("Unsubscribed"))).to_be_visible()

    # The next day's digest does not come.
    sent_before = len(mailbox.messages_to(VISITOR))
    with app.app_context():
        run = digests.send_due("daily", now=utcnow() + timedelta(days=1))
        db.session.commit()
        db.session.remove()
    assert run.sent == 0
    assert len(mailbox.messages_to(VISITOR)) == sent_before

"""Journey 3: a moderator rejects an application with a reason; the applicant reads the reason,
corrects the application and sends it again. On a desktop, on a phone and in Arabic."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import (
    JOURNEY_VARIANTS,
    Application,
    application_in_queue,
    apply_for_membership,
    confirm_email_from_mail,
    expect_language,
    locale_of,
    log_in,
    open_site,
)
from tests.browser.live import MODERATOR_EMAIL

pytestmark = pytest.mark.browser

REASON = "Please describe your activities in Iraq: the description does not say what you do, or where."
CORRECTED = "A youth network in Basra: we plant reeds along the Shatt al-Arab and train 40 volunteers a year."


@pytest.mark.parametrize("variant", list(JOURNEY_VARIANTS))
def test_a_rejected_applicant_reads_the_reason_corrects_and_applies_again(
    variant, new_page, live_server, mailbox, t_for
):
    t = t_for(locale_of(variant))
    application = Application(
        name=f"Shatt Youth ({variant})", email=f"shatt-{variant}@example.org", description="We are youth."
    )
    applicant = open_site(new_page, variant)
    apply_for_membership(applicant, t, application)
    confirm_email_from_mail(applicant, t, mailbox, live_server.url, application.email)

    # The moderator rejects it, saying why.
    moderator = open_site(new_page, variant)
    log_in(moderator, t, MODERATOR_EMAIL)
    item = application_in_queue(moderator, t, application.name)
    # The reason opens only once Reject is chosen.
    item.locator("summary", has_text=t("Reject")).click()
    item.get_by_label(t("Reason for rejecting (the organization will see it)")).fill(REASON)
    item.get_by_role("button", name=t("Reject the application"), exact=True).click()
    expect(
        moderator.get_by_text(t("%(name)s is rejected; the reason has been sent.", name=application.name))
    ).to_be_visible()
    expect(moderator.get_by_role("heading", name=application.name)).to_have_count(0)

    # The decision is on the record: who, what, when, why.
    moderator.get_by_role("link", name=t("Decision log")).click()
    decision = moderator.get_by_role("listitem").filter(has_text=REASON)
    expect(decision).to_have_count(1)
    expect(decision.get_by_role("link", name=application.name)).to_be_visible()
    expect(decision.get_by_text(MODERATOR_EMAIL)).to_be_visible()

    # The reason reaches the applicant by mail and on the dashboard.
    assert mailbox.wait_for(application.email, REASON)
    log_in(applicant, t, application.email)
    expect(applicant.get_by_text(t("Rejected"), exact=True)).to_be_visible()
    expect(applicant.get_by_role("heading", name=t("The moderator's reason"))).to_be_visible()
    expect(applicant.get_by_text(REASON)).to_be_visible()

    # The applicant corrects the application and sends it again.
    applicant.get_by_role("link", name=t("Correct and apply again")).click()
    expect(applicant.get_by_role("heading", level=1, name=t("Correct the application"))).to_be_visible()
    expect(applicant.get_by_text(REASON)).to_be_visible()
    applicant.get_by_label(t("What the organization does")).fill(CORRECTED)
    applicant.get_by_role("button", name=t("Send the application again")).click()
    expect(
        applicant.get_by_text(t("Your application has been sent again. A moderator will review it."))
    ).to_be_visible()
    expect(applicant.get_by_text(t("Pending review"), exact=True)).to_be_visible()

    # It is back in the moderator's queue, corrected, marked as sent again with the earlier
    # reason and the description's change.
    item = application_in_queue(moderator, t, application.name)
    expect(item.get_by_text(t("Resubmitted"), exact=True)).to_be_visible()
    earlier = item.get_by_role("region", name=t("Earlier rejection"))
    expect(earlier.get_by_text(REASON)).to_be_visible()
    expect(earlier.locator("ins", has_text=CORRECTED)).to_be_visible()
    expect(item.locator(".description").get_by_text(CORRECTED)).to_be_visible()
    expect_language(applicant, locale_of(variant))
    expect_language(moderator, locale_of(variant))

"""Journey 2: an organization joins, is approved, pledges, links a project and withdraws.

It registers, confirms its email from the mail it receives, sees that it is pending and is
refused when it tries to pledge; a moderator approves it; it pledges to Save the Tigris for
members' eyes only, links a new project to two campaigns and withdraws the pledge. On a
desktop, on a phone and in Arabic; every step through what the people see.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import (
    JOURNEY_VARIANTS,
    Application,
    application_in_queue,
    apply_for_membership,
    campaign_title,
    confirm_email_from_mail,
    expect_language,
    locale_of,
    log_in,
    open_site,
    title_pattern,
)
from tests.browser.live import MODERATOR_EMAIL

pytestmark = pytest.mark.browser

TIGRIS = "save-the-tigris"


def second_campaign_slug(live_server) -> str:
    """Another active campaign for the project (the demo data has several)."""
    import sqlalchemy as sa

    from app.extensions import db
    from app.models import Campaign, CampaignStatus

    with live_server.app.app_context():
        slug = db.session.scalars(
            sa.select(Campaign.slug)
            .where(Campaign.status == CampaignStatus.ACTIVE, Campaign.slug != TIGRIS)
            .order_by(Campaign.position, Campaign.id)
        ).first()
        db.session.remove()
    assert slug, "the demo data needs a second active campaign"
    return slug


@pytest.mark.parametrize("variant", list(JOURNEY_VARIANTS))
def test_an_organization_joins_is_approved_pledges_links_a_project_and_withdraws(
    variant, new_page, live_server, mailbox, t_for
):
    locale = locale_of(variant)
    t = t_for(locale)
    app = live_server.app
    tigris = campaign_title(app, TIGRIS, locale)
    application = Application(
        name=f"Nahrain Youth Network ({variant})", email=f"nahrain-{variant}@example.org"
    )

    # The organization applies, and confirms its address from the mail it receives.
    applicant = open_site(new_page, variant)
    apply_for_membership(applicant, t, application)
    confirm_email_from_mail(applicant, t, mailbox, live_server.url, application.email)
    log_in(applicant, t, application.email)

    # Its dashboard says the application is waiting (in the language chosen before logging in).
    expect_language(applicant, locale)
    expect(applicant.get_by_role("heading", name=application.name)).to_be_visible()
    expect(applicant.get_by_text(t("Pending review"), exact=True)).to_be_visible()
    expect(
        applicant.get_by_text(t("Your application is waiting for a moderator. You can still correct it."))
    ).to_be_visible()

    # It cannot pledge yet: the campaign page says why, and offers no pledge button.
    applicant.goto(f"/campaigns/{TIGRIS}")
    expect(applicant.get_by_role("heading", level=1, name=tigris)).to_be_visible()
    expect(
        applicant.get_by_text(
            t("Your organization is waiting for a moderator's approval; it can pledge once approved.")
        )
    ).to_be_visible()
    expect(applicant.get_by_role("button", name=t("Pledge support"))).to_have_count(0)

    # A moderator logs in and approves the application.
    moderator = open_site(new_page, variant)
    log_in(moderator, t, MODERATOR_EMAIL)
    item = application_in_queue(moderator, t, application.name)
    item.get_by_role("button", name=t("Approve"), exact=True).click()
    expect(moderator.get_by_text(t("%(name)s is approved.", name=application.name))).to_be_visible()
    expect(moderator.get_by_role("heading", name=application.name)).to_have_count(0)

    expect_language(moderator, locale)

    # Approved, the organization pledges to Save the Tigris, named to members only.
    applicant.reload()
    panel = applicant.get_by_role("region", name=t("Pledge your organization's support"))
    panel.get_by_label(t("Endorsement")).check()
    panel.get_by_label(t("Advocacy")).check()
    panel.get_by_label(t("Message (optional)")).fill("The Tigris feeds Basra: we stand with it.")
    visibility = panel.get_by_role(
        "group", name=t("Who may see that your organization supports this campaign")
    )
    visibility.get_by_label(
        t("Members only — named only to logged-in members of approved organizations")
    ).check()
    panel.get_by_role("button", name=t("Pledge support")).click()
    expect(
        applicant.get_by_text(t("Thank you: your organization now supports this campaign."))
    ).to_be_visible()
    supporters = applicant.get_by_role("region", name=t("Who stands with it"))
    ours = supporters.get_by_role("listitem").filter(has_text=application.name)
    expect(ours).to_be_visible()
    expect(ours.get_by_text(t("Shown to members only"))).to_be_visible()

    # A visitor counts the pledge but does not see who made it.
    visitor = open_site(new_page, variant)
    visitor.goto(f"/campaigns/{TIGRIS}")
    expect(visitor.get_by_role("heading", level=1, name=tigris)).to_be_visible()
    expect(visitor.get_by_text(application.name)).to_have_count(0)

    # A new project, linked to two campaigns, from the dashboard.
    other = second_campaign_slug(live_server)
    applicant.get_by_role("navigation", name=t("Main")).get_by_role("link", name=t("My account")).click()
    applicant.get_by_role("link", name=t("New project")).first.click()
    expect(applicant.get_by_role("heading", level=1, name=t("New project"))).to_be_visible()
    applicant.get_by_label(t("Title"), exact=True).fill("Reed planting on the Shatt al-Arab")
    applicant.get_by_label(t("One-line summary")).fill("Volunteers plant reeds to hold the river banks.")
    applicant.get_by_label(t("Place"), exact=True).fill("Basra")
    serves = applicant.get_by_role("group", name=t("Campaigns this project serves"))
    serves.get_by_label(title_pattern(app, TIGRIS, locale)).check()
    serves.get_by_label(title_pattern(app, other, locale)).check()
    applicant.get_by_role("button", name=t("Save the project")).click()
    expect(
        applicant.get_by_text(
            t("The project “%(title)s” has been created.", title="Reed planting on the Shatt al-Arab")
        )
    ).to_be_visible()
    applicant.get_by_role("link", name="Reed planting on the Shatt al-Arab").click()
    expect(
        applicant.get_by_role("heading", level=1, name="Reed planting on the Shatt al-Arab")
    ).to_be_visible()
    expect(applicant.get_by_role("link", name=title_pattern(app, TIGRIS, locale))).to_be_visible()
    expect(applicant.get_by_role("link", name=title_pattern(app, other, locale))).to_be_visible()

    # The organization withdraws its pledge; it can pledge again later.
    applicant.goto(f"/campaigns/{TIGRIS}")
    expect_language(applicant, locale)
    # Withdrawing asks first: the second button appears once the first is chosen.
    applicant.locator("summary", has_text=t("Withdraw the pledge")).click()
    applicant.get_by_role("button", name=t("Yes, withdraw the pledge")).click()
    expect(
        applicant.get_by_text(t("Your pledge has been withdrawn. You can pledge again at any time."))
    ).to_be_visible()
    expect(
        applicant.get_by_role("region", name=t("Who stands with it")).get_by_text(application.name)
    ).to_have_count(0)
    expect(applicant.get_by_role("button", name=t("Pledge support"))).to_be_visible()

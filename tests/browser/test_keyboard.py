"""The registration and pledge forms can be completed with the keyboard alone.

Only the keys a keyboard user has: Tab and Shift+Tab to move, typing to fill a field, Space to tick a box,
the arrow keys to move within a radio group (the standard way to choose a radio button), typing
a letter to choose in a closed list, and Enter to send. Every control reached with Tab must
show where the focus is.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.helpers import PASSWORD, add_member, log_in

pytestmark = pytest.mark.browser

MAX_TABS = 80

FOCUS_IS_VISIBLE = """el => {
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
  return outline || style.boxShadow !== 'none';
}"""


def tab_to(page: Page, target: Locator) -> None:
    """Press Tab until ``target`` has the focus, as a keyboard user moves through the page."""
    for _ in range(MAX_TABS):
        if target.evaluate("el => el === document.activeElement"):
            assert target.evaluate(FOCUS_IS_VISIBLE), f"no visible focus indicator on {target}"
            return
        page.keyboard.press("Tab")
    focused = page.evaluate("() => document.activeElement && document.activeElement.outerHTML.slice(0, 200)")
    pytest.fail(f"{MAX_TABS} presses of Tab never reached {target}; the focus is on {focused}")


def test_an_organization_can_apply_with_the_keyboard_alone(page, t_for):
    t = t_for("en")
    page.goto("/auth/register")
    keyboard = page.keyboard

    tab_to(page, page.get_by_label(t("Name of the organization")))
    keyboard.type("Keyboard Collective of Kirkuk")
    tab_to(page, page.get_by_label(t("Kind of organization")))
    keyboard.type(t("Youth or student group"))  # a closed list jumps to what is typed
    expect(page.get_by_label(t("Kind of organization"))).to_have_value("youth_group")
    tab_to(page, page.get_by_label(t("City or governorate")))
    keyboard.type("Kirkuk")
    tab_to(page, page.get_by_label(t("What the organization does")))
    keyboard.type("We run a free library and reading groups for young people in Kirkuk.")
    tab_to(page, page.get_by_label(t("Contact email"), exact=True))
    keyboard.type("library@kirkuk-collective.org")
    # Right after the detail, the list of who may see it (Moderators only); Members only is just above.
    who_sees_email = page.get_by_label(t("Who may see the contact email"))
    keyboard.press("Tab")
    expect(who_sees_email).to_be_focused()
    expect(who_sees_email).to_have_value("hidden")
    keyboard.press("ArrowUp")
    expect(who_sees_email).to_have_value("members")
    tab_to(page, page.get_by_label(t("Your email")))
    keyboard.type("keyboard@kirkuk-collective.org")
    tab_to(page, page.get_by_label(t("Password"), exact=True))
    keyboard.type(PASSWORD)
    tab_to(page, page.get_by_label(t("Password again")))
    keyboard.type(PASSWORD)
    # Shift+Tab goes back in the same order: to the password just typed, and forward again.
    keyboard.press("Shift+Tab")
    expect(page.get_by_label(t("Password"), exact=True)).to_be_focused()
    keyboard.press("Tab")
    expect(page.get_by_label(t("Password again"))).to_be_focused()
    tab_to(page, page.get_by_role("button", name=t("Send application")))
    keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1, name=t("Check your email"))).to_be_visible()


def test_a_member_can_pledge_with_the_keyboard_alone(page, live_server, t_for):
    t = t_for("en")
    add_member(live_server.app, pledge=False)
    log_in(page, t, "member@tadamun.test")
    page.goto("/campaigns/save-the-tigris")
    keyboard = page.keyboard
    panel = page.get_by_role("region", name=t("Pledge your organization's support"))

    tab_to(page, panel.get_by_label(t("Endorsement")))
    keyboard.press("Space")
    tab_to(page, panel.get_by_label(t("Volunteers")))
    keyboard.press("Space")
    tab_to(page, panel.get_by_label(t("Message (optional)")))
    keyboard.type("Our volunteers will clean the banks in Mosul.")
    visibility = panel.get_by_role(
        "group", name=t("Who may see that your organization supports this campaign")
    )
    tab_to(page, visibility.get_by_label(t("Public — your organization is named on the campaign page")))
    keyboard.press("ArrowDown")
    members_only = visibility.get_by_label(
        t("Members only — named only to logged-in members of approved organizations")
    )
    expect(members_only).to_be_checked()
    tab_to(page, panel.get_by_role("button", name=t("Pledge support")))
    keyboard.press("Enter")

    expect(page.get_by_text(t("Thank you: your organization now supports this campaign."))).to_be_visible()
    own = page.get_by_role("region", name=t("Your organization's pledge"))
    expect(own.get_by_label(t("Endorsement"))).to_be_checked()
    expect(own.get_by_label(t("Volunteers"))).to_be_checked()
    expect(own.get_by_label(t("Advocacy"))).not_to_be_checked()
    expect(
        own.get_by_label(t("Members only — named only to logged-in members of approved organizations"))
    ).to_be_checked()

"""Every page type passes axe-core with no serious or critical violation, and none is wider than
the screen it is read on.

axe-core comes from the npm registry (package-lock.json). It is evaluated through the DevTools
protocol, which the page's Content-Security-Policy does not apply to, so the pages are checked
with their real CSP in force.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import (
    MEMBER_EMAIL,
    MEMBER_PAGES,
    MODERATOR_PAGES,
    VISITOR_PAGES,
    add_member,
    log_in,
    site_pages,
)
from tests.browser.live import DESKTOP, MODERATOR_EMAIL, PHONE

pytestmark = pytest.mark.browser

BLOCKING_IMPACTS = ("serious", "critical")


def axe_violations(page, axe_source: str) -> list[dict]:
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source)
    result = page.evaluate("async () => await window.axe.run(document, {resultTypes: ['violations']})")
    return [v for v in result["violations"] if v["impact"] in BLOCKING_IMPACTS]


def describe(name: str, url: str, violations: list[dict]) -> str:
    lines = [f"{name} ({url}):"]
    for violation in violations:
        lines.append(
            f"  [{violation['impact']}] {violation['id']}: {violation['help']} ({violation['helpUrl']})"
        )
        for node in violation["nodes"][:5]:
            lines.append(f"      at {' '.join(map(str, node['target']))}")
            lines.append(f"         {node['html'][:160]}")
            summary = node.get("failureSummary", "").replace("\n", " ")
            lines.append(f"         {summary[:300]}")
        if len(violation["nodes"]) > 5:
            lines.append(f"      ... and {len(violation['nodes']) - 5} more")
    return "\n".join(lines)


def check_pages(page, axe_source: str, names: list[str], pages) -> None:
    problems, missing = [], []
    for name in names:
        url = getattr(pages, name)
        if url is None:
            missing.append(name)
            continue
        page.goto(url)
        violations = axe_violations(page, axe_source)
        if violations:
            problems.append(describe(name, url, violations))
        # A page wider than the screen scrolls sideways: on a phone the reader loses the start of
        # every line (a data table did this in Arabic).
        # clientWidth is the layout viewport; a phone browser zooms out (innerWidth grows) to fit.
        width, screen = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        if width > screen:
            problems.append(f"{name} ({url}) is {width}px wide on a {screen}px screen")
    if missing:
        problems.append(f"No page of these types in the demo data or routes: {missing}")
    assert not problems, "Serious or critical accessibility violations:\n" + "\n\n".join(problems)


def test_public_pages_have_no_serious_accessibility_violations(new_page, live_server, axe_source):
    page = new_page(viewport=DESKTOP)
    check_pages(page, axe_source, VISITOR_PAGES, site_pages(live_server.app))


def test_public_pages_in_arabic_on_a_phone_in_dark_mode_have_no_serious_violations(
    new_page, live_server, axe_source
):
    page = new_page(viewport=PHONE, locale="ar", color_scheme="dark", is_mobile=True, has_touch=True)
    check_pages(page, axe_source, VISITOR_PAGES, site_pages(live_server.app))


# Each reader's pages twice: on a desktop in English with the light scheme, and on a phone in
# Arabic with the dark one.
READINGS = {
    "desktop-en-light": {"viewport": DESKTOP, "locale": "en", "color_scheme": "light"},
    "phone-ar-dark": {
        "viewport": PHONE,
        "locale": "ar",
        "color_scheme": "dark",
        "is_mobile": True,
        "has_touch": True,
    },
}


@pytest.mark.parametrize("reading", READINGS)
def test_member_pages_have_no_serious_accessibility_violations(
    reading, new_page, live_server, axe_source, t_for
):
    add_member(live_server.app)
    page = new_page(**READINGS[reading])
    log_in(page, t_for(READINGS[reading]["locale"]), MEMBER_EMAIL)
    check_pages(page, axe_source, MEMBER_PAGES, site_pages(live_server.app))


@pytest.mark.parametrize("reading", READINGS)
def test_moderation_pages_have_no_serious_accessibility_violations(
    reading, new_page, live_server, axe_source, t_for
):
    page = new_page(**READINGS[reading])
    log_in(page, t_for(READINGS[reading]["locale"]), MODERATOR_EMAIL)
    check_pages(page, axe_source, MODERATOR_PAGES, site_pages(live_server.app))


def test_forms_sent_back_with_errors_have_no_serious_accessibility_violations(
    new_page, live_server, axe_source, t_for
):
    t = t_for("en")
    add_member(live_server.app, pledge=False)
    pages = site_pages(live_server.app)
    page = new_page()
    problems = []

    page.goto(pages.register)
    page.get_by_role("button", name=t("Send application")).click()
    expect(page.get_by_role("alert")).to_be_visible()
    if violations := axe_violations(page, axe_source):
        problems.append(describe("registration with errors", pages.register, violations))

    log_in(page, t, MEMBER_EMAIL)
    page.goto(pages.campaign)
    page.get_by_role("button", name=t("Pledge support")).click()  # no kind of support chosen
    expect(page.get_by_role("alert")).to_be_visible()
    if violations := axe_violations(page, axe_source):
        problems.append(describe("pledge with errors", pages.campaign, violations))

    page.goto(pages.new_project)
    page.get_by_role("button", name=t("Save the project")).click()
    expect(page.get_by_role("alert")).to_be_visible()
    if violations := axe_violations(page, axe_source):
        problems.append(describe("new project with errors", pages.new_project, violations))

    assert not problems, "Serious or critical accessibility violations:\n" + "\n\n".join(problems)

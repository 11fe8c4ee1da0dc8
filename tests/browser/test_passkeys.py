"""Passkeys in a real browser: Chromium's virtual authenticator (the WebAuthn domain of the
DevTools protocol) stands in for a phone's or computer's own authenticator, with a PIN or
fingerprint check that always succeeds.

Browsers refuse an IP address as a WebAuthn relying party, so these tests reach the live server
as ``localhost`` (a secure context over plain HTTP) and set SITE_URL to match.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import MEMBER_EMAIL, PASSWORD, add_member

pytestmark = pytest.mark.browser


@pytest.fixture
def site(live_server) -> Iterator[str]:
    """The live server's address under the host name ``localhost``, as its SITE_URL."""
    port = urlsplit(live_server.url).port
    url = f"http://localhost:{port}"
    before = live_server.app.config["SITE_URL"]
    live_server.app.config["SITE_URL"] = url
    try:
        yield url
    finally:
        live_server.app.config["SITE_URL"] = before


def stored_credentials(session, authenticator_id: str) -> list[dict]:
    return session.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})["credentials"]


def add_virtual_authenticator(page: Page) -> tuple[object, str]:
    session = page.context.new_cdp_session(page)
    session.send("WebAuthn.enable")
    added = session.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    return session, added["authenticatorId"]


def log_in_with_password(page: Page, t, site: str) -> None:
    page.goto(f"{site}/auth/login")
    page.get_by_label(t("Email"), exact=True).fill(MEMBER_EMAIL)
    page.get_by_label(t("Password"), exact=True).fill(PASSWORD)
    page.get_by_role("button", name=t("Log in"), exact=True).click()


def test_a_member_registers_a_passkey_and_logs_in_with_it(new_page, live_server, site, t_for):
    t = t_for("en")
    add_member(live_server.app)
    page = new_page()
    session, authenticator_id = add_virtual_authenticator(page)

    log_in_with_password(page, t, site)
    expect(page.get_by_role("button", name=t("Log out"))).to_be_visible()

    # Add a passkey on the two-factor login page.
    page.goto(f"{site}/account/security")
    expect(page.get_by_role("heading", level=1, name=t("Two-factor login"))).to_be_visible()
    form = page.get_by_role("form", name=t("Add a passkey"))
    form.get_by_label(t("A name for this passkey")).fill("Laptop")
    form.get_by_label(t("Your password")).fill(PASSWORD)
    form.get_by_role("button", name=t("Add a passkey")).click()
    expect(page.get_by_role("heading", level=1, name=t("Your recovery codes"))).to_be_visible()
    expect(page.locator(".recovery-codes li")).to_have_count(10)
    credentials = stored_credentials(session, authenticator_id)
    assert len(credentials) == 1 and credentials[0]["isResidentCredential"]
    assert credentials[0]["rpId"] == "localhost"

    page.get_by_role("button", name=t("Log out")).click()
    expect(page.get_by_role("link", name=t("Log in"), exact=True)).to_be_visible()

    # A login with the passkey alone: no email, no password.
    page.goto(f"{site}/auth/login")
    page.get_by_role("button", name=t("Log in with a passkey")).click()
    expect(page.get_by_role("heading", level=1, name=t("My account"))).to_be_visible()
    expect(page.get_by_role("button", name=t("Log out"))).to_be_visible()

    page.get_by_role("button", name=t("Log out")).click()

    # The password now asks for a second step, which the passkey answers.
    log_in_with_password(page, t, site)
    expect(page.get_by_role("heading", level=1, name=t("Second step of the login"))).to_be_visible()
    page.get_by_role("button", name=t("Use a passkey")).click()
    expect(page.get_by_role("heading", level=1, name=t("My account"))).to_be_visible()
    assert stored_credentials(session, authenticator_id)[0]["signCount"] >= 2

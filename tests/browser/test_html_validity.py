"""The HTML of every page type is valid, in English and in Arabic (the Nu HTML checker).

The pages are fetched as the server sends them (with the browser context's cookies, so member
and moderator pages too) and checked in one run of vnu.jar from the npm registry. Warnings are
allowed; errors are not.
"""

from __future__ import annotations

import json
import subprocess

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import (
    MEMBER_EMAIL,
    MEMBER_PAGES,
    MODERATOR_PAGES,
    VISITOR_PAGES,
    add_member,
    log_in,
    log_out,
    site_pages,
)
from tests.browser.live import MODERATOR_EMAIL

pytestmark = pytest.mark.browser


def save(page, folder, name: str, url: str, saved: dict) -> None:
    response = page.request.get(url)
    path = folder / f"{len(saved):02d}-{name}.html"
    path.write_bytes(response.body())
    saved[path.name] = f"{name} ({url})"


def test_every_page_type_is_valid_html(new_page, live_server, t_for, vnu_command, tmp_path):
    pages = site_pages(live_server.app)
    add_member(live_server.app)
    page = new_page()
    saved: dict[str, str] = {}
    missing = [name for name in VISITOR_PAGES if getattr(pages, name) is None]

    arabic = new_page()  # ?lang=ar is remembered in a cookie: a browser of its own
    for name in VISITOR_PAGES:
        url = getattr(pages, name)
        if url is not None:
            save(page, tmp_path, name, url, saved)
            save(arabic, tmp_path, f"{name}-ar", f"{url}{'&' if '?' in url else '?'}lang=ar", saved)

    # A form sent back with its errors: the error summary and the described-by links.
    t = t_for("en")
    page.goto(pages.login)
    page.get_by_label(t("Email"), exact=True).fill(MEMBER_EMAIL)
    page.get_by_label(t("Password"), exact=True).fill("not the password at all")
    page.get_by_role("button", name=t("Log in"), exact=True).click()
    expect(page.get_by_role("alert")).to_be_visible()
    path = tmp_path / "login-with-errors.html"
    path.write_text(page.content(), encoding="utf-8")
    saved[path.name] = "login form with errors"
    page.goto(pages.register)
    page.get_by_role("button", name=t("Send application")).click()
    expect(page.get_by_role("alert")).to_be_visible()
    path = tmp_path / "register-with-errors.html"
    path.write_text(page.content(), encoding="utf-8")
    saved[path.name] = "registration form with errors"

    for email, names in ((MEMBER_EMAIL, MEMBER_PAGES), (MODERATOR_EMAIL, MODERATOR_PAGES)):
        log_in(page, t, email)
        for name in names:
            url = getattr(pages, name)
            if url is None:
                missing.append(name)
            else:
                save(page, tmp_path, f"{name}-as-{email.split('@')[0]}", url, saved)
        log_out(page, t)

    files = sorted(str(tmp_path / name) for name in saved)
    run = subprocess.run(  # noqa: S603 (our own command line: java, the pinned jar, our files)
        [*vnu_command, "--format", "json", "--stdout", "--errors-only", *files],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    try:
        messages = json.loads(run.stdout)["messages"]
    except (ValueError, KeyError):
        pytest.fail(f"The Nu HTML checker gave no report (exit {run.returncode}):\n{run.stderr[-2000:]}")
    errors = [m for m in messages if m.get("type") in ("error", "non-document-error")]
    report = [describe(m, saved) for m in errors]
    if missing:
        report.append(f"No page of these types in the demo data or routes: {missing}")
    assert not report, f"{len(errors)} HTML errors:\n" + "\n".join(report)


def describe(message: dict, saved: dict[str, str]) -> str:
    file_name = message.get("url", "").rsplit("/", 1)[-1]
    where = f"{saved.get(file_name, file_name)} line {message.get('lastLine')}"
    extract = message.get("extract", "").strip()[:200]
    return f"{where}: {message.get('message')}\n    {extract}"

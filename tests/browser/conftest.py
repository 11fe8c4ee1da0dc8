"""Browser tests: the application served on a free local port, driven by Debian's Chromium.

What a test gets:

- ``live_server`` (session): the real application (CSRF on, rate limits off) in a thread on
  127.0.0.1, on a SQLite file, with mail written as ``.eml`` files to a folder (``mailbox``).
- a fresh site for every test: the tables are emptied and the demo data loaded again, plus a
  moderator account (``MODERATOR_EMAIL`` / ``builders.DEFAULT_PASSWORD``).
- ``new_page(viewport=..., locale=...)``: a page in a new browser context (its own cookies). A
  test fails if the page logged a script error, a Content-Security-Policy violation, a static
  file that did not load, or if the server raised an exception while serving it.
- ``t("msgid", **params)`` / ``t_for(locale)``: the app's own translation of an English string,
  so Arabic tests find "the label that says Email" without hard-coding Arabic.

Playwright drives ``/usr/bin/chromium`` and never downloads a browser of its own. When Chromium,
Playwright or the Node tools are missing the tests skip with the reason, except when
``REQUIRE_BROWSER=1`` (set by ``.ci/run``): then they fail.
"""

from __future__ import annotations

import email
import email.policy
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from app.extensions import db
from tests.browser.live import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DESKTOP,
    LiveServer,
    seed_site,
    start_live_server,
    translator,
)
from tests.conftest import empty_all_tables

ROOT = Path(__file__).resolve().parents[2]
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
VNU_JAR = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
REQUIRE_BROWSER = os.environ.get("REQUIRE_BROWSER") == "1"


try:
    import playwright  # noqa: F401  (the test modules need it at import time)
except ImportError:  # pragma: no cover - `make install` installs it (requirements-dev.txt)
    if not REQUIRE_BROWSER:
        collect_ignore_glob = ["test_*.py"]


def pytest_report_header(config):
    if "collect_ignore_glob" in globals():
        return "browser tests: NOT collected, Playwright is not installed (make install)"
    return None


def unavailable(reason: str):
    """Skip, or fail when the browser tests are required (CI)."""
    if REQUIRE_BROWSER:
        pytest.fail(f"{reason} (REQUIRE_BROWSER=1, so this fails instead of skipping)", pytrace=False)
    pytest.skip(reason)


# ---------------------------------------------------------------------------------------------
# The live server


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> Iterator[LiveServer]:
    live = start_live_server(tmp_path_factory.mktemp("live"))
    try:
        yield live
    finally:
        live.stop()


def reset_site(live: LiveServer) -> None:
    """A fresh site: empty tables, the demo data, one moderator; an empty mailbox."""
    with live.app.app_context():
        db.session.remove()
        empty_all_tables()
        seed_site()
    shutil.rmtree(live.outbox, ignore_errors=True)
    live.outbox.mkdir(parents=True)
    live.errors.clear()


@pytest.fixture(autouse=True)
def fresh_site(live_server) -> Iterator[LiveServer]:
    reset_site(live_server)
    yield live_server
    if live_server.errors:
        pytest.fail(
            "The server raised while serving this test (a 500 is a bug): "
            + "; ".join(repr(e) for e in live_server.errors),
            pytrace=False,
        )


# ---------------------------------------------------------------------------------------------
# The browser


@pytest.fixture(scope="session")
def chromium():
    if not CHROMIUM.exists():
        unavailable(f"{CHROMIUM} is missing: run `make browser-deps` (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("Playwright is not installed: run `make install` (requirements-dev.txt)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class PageProblems:
    """What a person would not see but a developer must: script errors, CSP, missing files."""

    messages: list[str] = field(default_factory=list)

    def watch(self, page) -> None:
        page.on("pageerror", lambda error: self.messages.append(f"script error: {error}"))
        page.on("console", self._console)
        page.on("response", self._response)

    def _console(self, message) -> None:
        text = message.text
        if message.type == "error" and "Content Security Policy" in text:
            self.messages.append(f"CSP violation: {text}")

    def _response(self, response) -> None:
        # Pages may answer 4xx on purpose (a refusal, a 404 test); their files may not.
        if response.request.resource_type != "document" and response.status >= 400:
            self.messages.append(f"{response.status} for {response.request.resource_type} {response.url}")


@pytest.fixture
def new_page(chromium, live_server) -> Iterator[Callable]:
    """``new_page(viewport=PHONE, locale="ar")``: a page in its own browser context."""
    contexts = []
    problems = PageProblems()

    def _new(*, viewport: dict | None = None, locale: str = "en", **options):
        context = chromium.new_context(
            base_url=live_server.url,
            viewport=viewport or DESKTOP,
            locale=locale,  # sets Accept-Language, as a person's browser would
            **options,
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        problems.watch(page)
        return page

    yield _new
    for context in contexts:
        context.close()
    assert not problems.messages, "Problems in the page:\n" + "\n".join(problems.messages)


@pytest.fixture
def page(new_page):
    """A desktop page in English."""
    return new_page()


# ---------------------------------------------------------------------------------------------
# What a person reads: translations and mail


@pytest.fixture
def t_for(live_server) -> Callable[[str], Callable[..., str]]:
    """``t_for("ar")("Log in")``: the label a person reading Arabic sees."""
    return lambda locale: translator(live_server.app, locale)


@dataclass
class Mailbox:
    folder: Path

    def messages(self) -> list[email.message.EmailMessage]:
        files = sorted(self.folder.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)
        return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in files]

    def messages_to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m in self.messages() if address.lower() in str(m["To"]).lower()]

    def last_to(self, address: str) -> email.message.EmailMessage:
        found = self._wait(lambda: self.messages_to(address))
        assert found, f"no mail to {address}; the outbox holds {[str(m['To']) for m in self.messages()]}"
        return found[-1]

    def wait_for(self, address: str, text: str) -> email.message.EmailMessage:
        """The newest message to ``address`` whose text holds ``text``, waiting a little for it:
        mail leaves through the outbox after the answer, as a person's mail arrives after a click."""

        def matching():
            return [
                m
                for m in self.messages_to(address)
                if text in m.get_body(preferencelist=("plain", "html")).get_content()
            ]

        found = self._wait(matching)
        assert found, f"no mail to {address} saying {text!r}"
        return found[-1]

    @staticmethod
    def _wait(look, seconds: float = 10.0):
        deadline = time.monotonic() + seconds
        while True:
            found = look()
            if found or time.monotonic() > deadline:
                return found
            time.sleep(0.05)

    def link_in(self, message: email.message.EmailMessage, site_url: str, path_part: str = "") -> str:
        body = message.get_body(preferencelist=("plain", "html")).get_content()
        links = re.findall(re.escape(site_url) + r"/[^\s<>\"']*", body)
        links = [link for link in links if path_part in link]
        assert links, f"no link containing {path_part!r} in:\n{body}"
        return links[0]


@pytest.fixture
def mailbox(live_server) -> Mailbox:
    return Mailbox(live_server.outbox)


# ---------------------------------------------------------------------------------------------
# The checkers from the npm registry


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE_JS.exists():
        unavailable(f"{AXE_JS.relative_to(ROOT)} is missing: run `make node-deps` (npm ci)")
    return AXE_JS.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def vnu_command() -> list[str]:
    java = shutil.which("java")
    if not java:
        unavailable("java is missing: the Nu HTML checker needs a Java runtime")
    if not VNU_JAR.exists():
        unavailable(f"{VNU_JAR.relative_to(ROOT)} is missing: run `make node-deps` (npm ci)")
    # The schema needs a deep stack; the client compiler starts the short-lived JVM twice as fast.
    return [java, "-Xss4m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-jar", str(VNU_JAR)]

"""Redirect targets from the request never lead off the site (open-redirect checks).

The bad URLs are Django's test list for ``url_has_allowed_host_and_scheme`` plus the
browser quirks it guards against: backslashes read as slashes, tabs and newlines
dropped from URLs, scheme-relative ``//host``, and ``scheme:host`` without slashes.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from app.extensions import db
from app.urls import is_safe_redirect_target
from tests.builders import DEFAULT_PASSWORD, make_user
from tests.conftest import app_context

BAD_TARGETS = [
    "http://example.com",
    "http:///example.com",
    "https://example.com",
    "ftp://example.com",
    r"\\example.com",
    r"\\\example.com",
    r"/\\/example.com",
    r"\\//example.com",
    r"/\/example.com",
    r"\/example.com",
    r"/\example.com",
    r"http:/\//example.com",
    r"http:\/example.com",
    r"http:/\example.com",
    'javascript:alert("XSS")',
    "\njavascript:alert(x)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "\x08//example.com",
    r"http://otherserver\@example.com",
    r"http:\\testserver\@example.com",
    r"http://testserver\me:pass@example.com",
    r"http:\\testserver\confirm\me@example.com",
    "http:999999999",
    "ftp:9999999999",
    "\n",
    "http://[2001:cdba:0000:0000:0000:0000:3257:9652/",
    "http://2001:cdba:0000:0000:0000:0000:3257:9652]/",
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "https:evil.example",
    "https:/evil.example",
    " //evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r/evil.example",
    "/\x00/evil.example",
    "/\u200b/evil.example",
    "/\u202e/evil.example",
    "",
    None,
]

GOOD_TARGETS = [
    "/",
    "/campaigns/",
    "/campaigns/save-the-tigris?lang=ar",
    "/view/?param=http://example.com",
    "/view/?param=https://example.com",
    "/view?param=ftp://example.com",
    "/url%20with%20spaces/",
    "/organizations/?country=IQ&page=2#results",
    "/منظمات",
]


@pytest.mark.parametrize("target", BAD_TARGETS, ids=repr)
def test_off_site_or_malformed_targets_are_refused(target):
    assert is_safe_redirect_target(target) is False


@pytest.mark.parametrize("target", GOOD_TARGETS, ids=repr)
def test_paths_on_this_site_are_allowed(target):
    assert is_safe_redirect_target(target) is True


def stays_on_site(location: str) -> bool:
    parts = urlsplit(location)
    return parts.netloc in ("", "localhost") and not parts.path.startswith(("//", "/\\"))


@pytest.fixture
def member_email(app) -> str:
    with app_context(app):
        make_user(email="amal@example.org")
        db.session.commit()
    return "amal@example.org"


@pytest.mark.parametrize("target", [t for t in BAD_TARGETS if t], ids=repr)
def test_login_never_redirects_off_site(client, member_email, target):
    response = client.post(
        "/auth/login",
        query_string={"next": target},
        data={"email": member_email, "password": DEFAULT_PASSWORD},
    )
    if "\x00" in target:
        assert response.status_code == 400  # NUL is refused before any view runs
        return
    assert response.status_code == 302
    assert stays_on_site(response.headers["Location"]), response.headers["Location"]
    assert response.headers["Location"].endswith("/account/")


@pytest.mark.parametrize("target", [t for t in BAD_TARGETS if t][:10], ids=repr)
def test_login_ignores_a_bad_next_in_the_form_too(client, member_email, target):
    response = client.post(
        "/auth/login", data={"email": member_email, "password": DEFAULT_PASSWORD, "next": target}
    )
    assert response.status_code == 302
    assert stays_on_site(response.headers["Location"])


def test_login_follows_a_next_on_this_site(client, member_email):
    response = client.post(
        "/auth/login",
        query_string={"next": "/campaigns/?page=2"},
        data={"email": member_email, "password": DEFAULT_PASSWORD},
    )
    assert response.headers["Location"] == "/campaigns/?page=2"


def test_every_redirect_in_the_app_is_on_site(app, client, member_email):
    """Visiting login-only pages as a visitor: the login redirect carries a safe `next`."""
    for path in ("/account/", "/account/profile", "/moderation/"):
        response = client.get(path)
        assert response.status_code == 302
        assert stays_on_site(response.headers["Location"])

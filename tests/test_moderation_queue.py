"""The moderator's queue: where a moderator lands, the header's count, the application cards."""

from __future__ import annotations

import re

import pytest

from app.extensions import db
from app.models import OrganizationStatus
from tests.builders import make_moderator, make_organization, make_user


@pytest.fixture
def moderator(auth):
    user = make_moderator(email="mod@example.org")
    db.session.commit()
    return user


def test_a_moderator_lands_on_the_queue_after_logging_in(client, auth, moderator):
    response = auth.login("mod@example.org")
    assert response.status_code == 302
    assert response.headers["Location"] == "/moderation/"


def test_a_member_still_lands_on_the_dashboard(client, auth):
    make_user(email="amal@example.org")
    db.session.commit()
    assert auth.login("amal@example.org").headers["Location"] == "/account/"


def header_of(page: str) -> str:
    return page[page.index('<nav class="site-nav"') : page.index("</nav>", page.index('<nav class="site-nav"'))]


def test_the_header_shows_moderators_how_many_applications_wait(client, auth, moderator):
    for n in range(3):
        make_organization(f"Waiting {n}", status=OrganizationStatus.PENDING)
    make_organization("Approved one")
    db.session.commit()
    auth.login("mod@example.org")
    header = header_of(client.get("/campaigns/").get_data(as_text=True))
    assert re.search(r'class="count-badge" aria-hidden="true">3<', header)
    assert "(3 applications wait)" in header


def test_no_badge_when_nothing_waits(client, auth, moderator):
    auth.login("mod@example.org")
    assert "count-badge" not in client.get("/campaigns/").get_data(as_text=True)


def test_members_see_no_count(client, auth):
    make_organization("Waiting", status=OrganizationStatus.PENDING)
    make_user(email="amal@example.org")
    db.session.commit()
    auth.login("amal@example.org")
    assert "count-badge" not in client.get("/campaigns/").get_data(as_text=True)

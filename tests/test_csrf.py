"""Every state-changing route refuses a request without this session's CSRF token.

The suite runs with CSRF off for convenience; here it is on, as in production. Each
POST route of ``app.url_map`` is sent a forged request (no token, a made-up token,
another session's token) by a visitor, a member and an admin: 400 every time, and
not one row changes.
"""

from __future__ import annotations

import pytest

from tests.builders import DEFAULT_PASSWORD
from tests.conftest import app_context, csrf_token_from, log_in
from tests.test_access_matrix import World, build_world, snapshot, url_for_rule, walked_rules

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


@pytest.fixture
def csrf_app(make_app, app):
    # Not pushed: each request then gets an app context of its own, as in production (a pushed
    # context would share flask.g, and so one cached CSRF token, between the test's clients).
    return make_app(WTF_CSRF_ENABLED=True)


@pytest.fixture
def world(app) -> World:
    """The access matrix's world, built in a short block of its own."""
    with app_context(app):
        return build_world()


def table_rows(application):
    return snapshot(application)


def logged_in_client(application, world: World, actor: str):
    client = application.test_client()
    user = world.users[actor]
    if user is not None:
        token = csrf_token_from(client, "/auth/login")
        response = log_in(client, user.email, DEFAULT_PASSWORD, csrf_token=token)
        assert response.status_code == 302, "the control: with its token, the login form works"
    return client


def state_changing_rules(application):
    return [rule for rule in walked_rules(application) if rule.methods & STATE_CHANGING]


def test_there_are_state_changing_routes_to_check(csrf_app):
    assert len(state_changing_rules(csrf_app)) >= 20


@pytest.mark.parametrize("actor", ["visitor", "member_a", "admin"])
@pytest.mark.parametrize("forgery", ["no token", "made-up token", "another session's token"])
def test_every_post_without_this_sessions_token_is_refused_and_writes_nothing(
    csrf_app, world, actor, forgery
):
    client = logged_in_client(csrf_app, world, actor)
    other_token = csrf_token_from(csrf_app.test_client(), "/auth/login")
    token = {
        "no token": None,
        "made-up token": "IjEyMzQ1Njc4OTAi.ZZZZZZ.forged",
        "another session's token": other_token,
    }[forgery]
    before = table_rows(csrf_app)
    accepted = []
    for rule in state_changing_rules(csrf_app):
        url = url_for_rule(csrf_app, rule, world)
        data = {"csrf_token": token} if token else {}
        response = client.post(url, data=data)
        if response.status_code != 400:
            accepted.append(f"POST {url}: {response.status_code}")
    assert not accepted, "accepted without this session's CSRF token:\n" + "\n".join(accepted)
    assert table_rows(csrf_app) == before


def test_a_logout_link_on_another_site_cannot_log_a_member_out(csrf_app, world):
    client = logged_in_client(csrf_app, world, "member_a")
    assert client.post("/auth/logout").status_code == 400
    assert client.get("/account/").status_code == 200


def test_the_token_header_works_for_scripts(csrf_app, world):
    client = logged_in_client(csrf_app, world, "member_a")
    token = csrf_token_from(client, "/account/")
    response = client.post("/auth/logout", headers={"X-CSRFToken": token})
    assert response.status_code == 302

"""Behind PROXY_HOPS trusted proxies the application sees each visitor's own address and scheme;
with no proxy (PROXY_HOPS=0, the default) the X-Forwarded-* headers anyone can send change nothing."""

from __future__ import annotations

import logging

import pytest

from tests.conftest import empty_all_tables

PROXY = "10.0.0.2"  # the reverse proxy, as gunicorn sees it
LOGIN = {"email": "nobody@example.org", "password": "a wrong guess here"}


@pytest.fixture
def app_with_hops(make_app):
    made = []

    def _make(hops: int):
        application = make_app(PROXY_HOPS=hops, RATELIMIT_ENABLED=True, AUTH_RATE_LIMIT="2 per minute")
        made.append(application)
        return application

    yield _make
    for application in made:
        with application.app_context():
            empty_all_tables()


def through_proxy(client, client_address: str, *, proto: str = "http"):
    """A login attempt as the proxy forwards it: the proxy's own address, the visitor's in the header."""
    return client.post(
        "/auth/login",
        data=LOGIN,
        headers={"X-Forwarded-For": client_address, "X-Forwarded-Proto": proto},
        environ_base={"REMOTE_ADDR": PROXY},
    )


def test_behind_one_proxy_each_visitor_has_a_rate_limit_of_their_own(app_with_hops):
    client = app_with_hops(1).test_client()
    assert [through_proxy(client, "203.0.113.7").status_code for _ in range(3)] == [200, 200, 429]
    # Another visitor behind the same proxy is not limited by the first one's attempts.
    assert through_proxy(client, "198.51.100.23").status_code == 200


def test_behind_one_proxy_only_the_address_the_proxy_added_counts(app_with_hops):
    client = app_with_hops(1).test_client()
    # A visitor who sends their own X-Forwarded-For gets the proxy's entry appended: the last one counts.
    for forged in ("1.1.1.1, 203.0.113.7", "2.2.2.2, 203.0.113.7"):
        through_proxy(client, forged)
    assert through_proxy(client, "3.3.3.3, 203.0.113.7").status_code == 429


def test_without_a_proxy_forwarded_headers_are_ignored(app_with_hops):
    client = app_with_hops(0).test_client()
    answers = [through_proxy(client, f"203.0.113.{n}").status_code for n in range(3)]
    # A client that invents a new address for each attempt still shares one bucket.
    assert answers == [200, 200, 429]


@pytest.mark.parametrize(("hops", "secure"), [(1, True), (0, False)])
def test_the_scheme_comes_from_the_proxy_only_when_one_is_trusted(app_with_hops, hops, secure):
    client = app_with_hops(hops).test_client()
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
    response = client.get("/", headers=forwarded, environ_base={"REMOTE_ADDR": PROXY})
    assert ("Strict-Transport-Security" in response.headers) is secure


@pytest.mark.parametrize(("hops", "logged"), [(1, "203.0.113.7"), (0, PROXY)])
def test_the_log_of_a_limited_client_names_the_real_address(app_with_hops, caplog, hops, logged):
    client = app_with_hops(hops).test_client()
    caplog.set_level(logging.INFO)
    for _ in range(3):
        through_proxy(client, "203.0.113.7")
    refusals = [record.getMessage() for record in caplog.records if "answered 429" in record.getMessage()]
    assert refusals and refusals[-1].endswith(f"from {logged}")


def test_a_negative_number_of_hops_is_refused(make_app):
    with pytest.raises(ValueError, match="PROXY_HOPS"):
        make_app(PROXY_HOPS=-1)

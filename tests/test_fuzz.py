"""Property-based tests: hostile input never causes a 500, and a refusal writes nothing.

Hypothesis feeds every query parameter, every form field (found by reading the page's
own forms) and every URL argument: empty, huge (20,000 characters), NUL bytes, emoji,
right-to-left marks and Arabic, numbers far beyond 64 bits, markup and SQL fragments, and
numbers as an attacker writes them (other scripts' digits, superscripts, signs, spaces, mixes).
The answer must be one of 2xx/3xx/400/404/405/409/413/422; when it is a refusal the
database is unchanged. Arabic text sent in a form comes back exactly as written.

Example counts stay small (``FUZZ_EXAMPLES``, default 5 per route) so the suite stays fast;
raise it locally for a deeper search: ``FUZZ_EXAMPLES=200 pytest tests/test_fuzz.py``.
"""

from __future__ import annotations

import os
import re
import unicodedata
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.models import Organization, Pledge
from app.services.text import slugify
from tests.conftest import app_context, scalar
from tests.test_access_matrix import (
    EXPECTED,
    World,
    build_world,
    client_for,
    snapshot,
    url_for_rule,
    walked_rules,
)

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "5"))
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
ALLOWED = {200, 201, 204, 301, 302, 303, 307, 308, 400, 404, 405, 409, 413, 422}
# 409: a rule of the network refused the change (for example "already pledged"), nothing written.

HOSTILE = st.sampled_from(
    [
        "",
        " ",
        "\x00",
        "a\x00b",
        "x" * 20_000,
        "مرحبا بكم في تضامن",
        "\u202e\u200fevil\u202c",
        "😀🏳️‍🌈👩🏽‍🔬" * 20,
        "-1",
        "0",
        "99999999999999999999999999",
        "-99999999999999999999999999",
        "1e309",
        "NaN",
        "<script>alert(1)</script>",
        "'; DROP TABLE users; --",
        "{{ 7*7 }}",
        "%s%n%x",
        "../../etc/passwd",
        "javascript:alert(1)",
        "\r\nSet-Cookie: x=y",
        "\t\n\r\x0b\x0c",
    ]
)
# Numbers as an attacker writes them: other scripts' digits, signs, spaces, beyond any column.
MAX_ID = 2**31 - 1
# Superscripts, a subscript, Arabic-Indic, Persian, Devanagari, Bengali, Thai, full-width and
# mathematical digits: Python's int() and str.isdigit() take most of them for numbers.
OTHER_DIGITS = (
    "\u00b2\u00b3\u00b9\u2070\u2074\u2079\u2082\u0663\u0661\u0662"
    "\u06f3\u06f4\u0966\u0969\u09e9\u0e53\uff13\U0001d7d1"
)
SIGNS = "+-\u2212\uff0d\ufe63"  # plus, hyphen-minus, minus sign, full-width and small hyphen-minus
SPACES = [" ", "\t", "\n", "\u00a0", "\u2003", "\u200b", "\u202e"]

ASCII_NUMBERS = st.one_of(
    st.integers(0, 2**40),
    st.integers(MAX_ID - 2, MAX_ID + 2),
    st.integers(2**63 - 2, 2**63 + 2),
    st.integers(2**64, 10**40),
).map(str)
MIXED = st.lists(
    st.sampled_from([*"0123456789", *OTHER_DIGITS, *SIGNS, *SPACES, "_", ".", "e", "x"]),
    min_size=1,
    max_size=20,
).map("".join)
CRAFTED_NUMBERS = st.one_of(
    ASCII_NUMBERS,
    st.text(alphabet=OTHER_DIGITS, min_size=1, max_size=12),
    st.tuples(st.sampled_from(SIGNS), ASCII_NUMBERS).map("".join),
    st.tuples(st.sampled_from(SPACES), ASCII_NUMBERS, st.sampled_from(["", *SPACES])).map("".join),
    MIXED,
    st.sampled_from(["9" * 30, "9" * 5000, "1e3", "0x1F", "1_000", "0", "00000000001", "NaN", "\u221e"]),
)
CURSORS = st.one_of(
    CRAFTED_NUMBERS,
    st.tuples(CRAFTED_NUMBERS, CRAFTED_NUMBERS).map(".".join),
    st.tuples(ASCII_NUMBERS, ASCII_NUMBERS).map(".".join),
)
VALUES = st.one_of(HOSTILE, st.text(max_size=60), st.integers(-(2**80), 2**80).map(str), CRAFTED_NUMBERS)

QUERY_NAMES = ["q", "page", "lang", "campaign", "country", "kind", "type", "status", "show", "role",
               "organization", "after", "next", "sort"]  # fmt: skip

# Who may use each area's forms: the fuzz must get past the door to reach the form.
# Gatherings: the organizer (an admin here) reaches every page of the area, public ones too.
ACTOR_FOR = {
    "auth": "visitor",
    "moderation": "admin",
    "gatherings": "admin",
    # Moderators' pages of other areas, by endpoint (looked up before the area): joint
    # statements, abuse reports, campaign coordinators.
    "solidarity.new_statement": "admin",
    "solidarity.revise_statement": "admin",
    "solidarity.reports": "admin",
    # The project's organization (A) removes a co-sponsor (the sample: B, invited).
    "solidarity.remove_cosponsor": "member_a",
    "updates.coordinators": "admin",
    "updates.remove_coordinator": "admin",
    # Anyone with an account chooses their notifications; a moderator has other kinds.
    "notifications.settings": "moderator",
}


def actor_for(endpoint: str) -> str:
    return ACTOR_FOR.get(endpoint, ACTOR_FOR.get(endpoint.partition(".")[0], "member_a"))


SKIPPED_FORMS = {
    "auth.logout": "logs the fuzzing client out; has no fields",
    "account.change_password": "a success would log the fuzzing client out",
}
FIELD = re.compile(r"<(?:input|select|textarea)\b[^>]*\bname=\"([^\"]+)\"", re.IGNORECASE)


def answered_well(response) -> bool:
    return response.status_code in ALLOWED


def get_rules(app):
    return [rule for rule in walked_rules(app) if "GET" in rule.methods and rule.endpoint in EXPECTED]


def post_rules(app):
    return [
        rule
        for rule in walked_rules(app)
        if "POST" in rule.methods and rule.endpoint in EXPECTED and rule.endpoint not in SKIPPED_FORMS
    ]


def form_fields(client, url: str, rule) -> list[str]:
    """The names of the fields the page's own forms send (plus a few a forger would try)."""
    names = {"status", "role", "organization_id", "reason", "next"}
    if "GET" in rule.methods or rule.endpoint == "campaigns.pledge":
        html = client.get(url).get_data(as_text=True)
        names |= set(FIELD.findall(html))
    return sorted(names - {"csrf_token", "submit"})


def endpoints(rules) -> list[str]:
    return [rule.endpoint for rule in rules]


@pytest.fixture
def world(app) -> World:
    """The access matrix's world, built in a short block of its own."""
    with app_context(app):
        return build_world()


def table_rows(app):
    """Every row of every table (``snapshot``), read in a context of its own."""
    return snapshot(app)


@pytest.fixture
def rules_by_endpoint(app):
    return {rule.endpoint: rule for rule in walked_rules(app)}


@pytest.fixture
def clients(app, world: World):
    """One logged-in client per actor, made on first use and kept for all examples."""
    made = {}

    def _client(actor: str):
        if actor not in made:
            made[actor] = client_for(app, actor, world)
        return made[actor]

    return _client


def _endpoint_ids():
    from app import create_app

    application = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with_arguments = [r for r in get_rules(application) + post_rules(application) if r.arguments]
    return (
        endpoints(get_rules(application)),
        endpoints(post_rules(application)),
        sorted(set(endpoints(with_arguments))),
    )


GET_ENDPOINTS, POST_ENDPOINTS, ARGUMENT_ENDPOINTS = _endpoint_ids()


@pytest.mark.parametrize("endpoint", GET_ENDPOINTS)
@FUZZ_SETTINGS
@given(data=st.data())
def test_query_parameters_never_cause_a_server_error(
    app, world: World, clients, rules_by_endpoint, endpoint, data
):
    rule = rules_by_endpoint[endpoint]
    client = clients(actor_for(endpoint))
    names = data.draw(st.lists(st.sampled_from(QUERY_NAMES), min_size=1, max_size=4, unique=True))
    params = {name: data.draw(VALUES) for name in names}
    before = table_rows(app)

    response = client.get(url_for_rule(app, rule, world), query_string=params)

    # The test schema is built without migrations, so /readyz rightly answers 503 (test_readiness.py).
    ready_probe = endpoint == "main.readyz" and response.status_code == 503
    assert answered_well(response) or ready_probe, f"GET {endpoint} {params!r:.300}: {response.status_code}"
    assert table_rows(app) == before


@pytest.mark.parametrize("endpoint", POST_ENDPOINTS)
@FUZZ_SETTINGS
@given(data=st.data())
def test_form_fields_never_cause_a_server_error_and_refusals_write_nothing(
    app, world: World, clients, rules_by_endpoint, endpoint, data
):
    rule = rules_by_endpoint[endpoint]
    client = clients(actor_for(endpoint))
    url = url_for_rule(app, rule, world)
    fields = form_fields(client, url, rule)
    form = {name: data.draw(VALUES, label=name) for name in fields}
    before = table_rows(app)

    response = client.post(url, data=form)

    assert answered_well(response), f"POST {endpoint} {form!r:.300}: {response.status_code}"
    if response.status_code >= 400:
        assert table_rows(app) == before, f"POST {endpoint} was refused ({response.status_code}) but wrote"


INTEGER_ARGUMENTS = {"campaign_id", "organization_id", "pledge_id", "project_id", "user_id"}


@pytest.mark.parametrize("endpoint", ARGUMENT_ENDPOINTS)
@FUZZ_SETTINGS
@given(value=st.one_of(HOSTILE, st.integers(-(2**80), 2**80).map(str), CRAFTED_NUMBERS))
def test_url_arguments_never_cause_a_server_error(
    app, world: World, clients, rules_by_endpoint, endpoint, value
):
    rule = rules_by_endpoint[endpoint]
    client = clients(actor_for(endpoint))
    url = url_for_rule(app, rule, world)
    for argument in rule.arguments:
        sample = str(
            world.values.get(argument, world.values.get(f"{argument}:{endpoint.partition('.')[0]}", ""))
        )
        if sample and f"/{sample}" in url:
            url = url.replace(f"/{sample}", "/" + quote(value, safe=""), 1)
    before = table_rows(app)

    response = client.get(url) if "GET" in rule.methods else client.post(url)

    assert answered_well(response), f"{endpoint} {url[:200]!r}: {response.status_code}"
    if response.status_code >= 400:
        assert table_rows(app) == before


# Arabic text is kept exactly ------------------------------------------------------------------

ARABIC = (
    st.text(
        alphabet=st.characters(
            min_codepoint=0x0600, max_codepoint=0x06FF, categories=("Lo", "Mn", "Nd", "Po")
        ),
        min_size=1,
        max_size=200,
    )
    .map(lambda text: unicodedata.normalize("NFC", text).strip())
    .filter(lambda text: bool(text))
)


@FUZZ_SETTINGS
@given(message=ARABIC)
def test_arabic_pledge_messages_round_trip_unchanged(app, world: World, clients, message):
    client = clients("member_b")
    member_b = world.users["member_b"]

    response = client.post(
        "/campaigns/save-the-tigris/pledge",
        data={"kinds": ["endorsement"], "message": message, "visibility": "public"},
    )

    assert response.status_code == 302
    stored = scalar(
        app,
        sa.select(Pledge.message).where(
            Pledge.organization_id == member_b.organization_id, Pledge.withdrawn_at.is_(None)
        ),
    )
    assert stored == message
    page = client.get("/campaigns/save-the-tigris").get_data(as_text=True)
    assert message in page or message not in stored  # shown as written (escaped HTML keeps Arabic)


@FUZZ_SETTINGS
@given(description=ARABIC)
def test_arabic_profile_text_round_trips_unchanged(app, world: World, clients, description):
    client = clients("member_a")
    org_id = world.users["member_a"].organization_id
    html = client.get("/account/profile").get_data(as_text=True)
    form = {name: value for name, value in re.findall(r'name="([^"]+)"[^>]*value="([^"]*)"', html)}
    form.pop("csrf_token", None)
    form.update(
        name="Organization A",
        kind="ngo",
        country="IQ",
        city="البصرة",
        description=description,
        contact_email_visibility="public",
        contact_phone_visibility="hidden",
        address_visibility="members",
        contact_person_visibility="members",
    )

    response = client.post("/account/profile", data=form)

    assert response.status_code in (200, 302, 400)
    if response.status_code == 302:
        organization = scalar(app, sa.select(Organization).where(Organization.id == org_id))
        assert organization.description == description
        assert organization.city == "البصرة"


# Regressions found by the fuzzing ------------------------------------------------------------


@pytest.mark.parametrize("number", ["2147483648", "9223372036854775808", "99999999999999999999999999"])
def test_an_id_beyond_any_database_column_is_a_404(client, number):
    assert client.get(f"/moderation/organizations/{number}").status_code in (302, 404)
    assert client.get(f"/projects/{number}/edit").status_code in (302, 404)


def test_a_nul_character_anywhere_is_a_400_and_writes_nothing(app, world: World, clients):
    client = clients("member_b")
    before = table_rows(app)
    assert client.get("/campaigns/save\x00the-tigris").status_code == 400
    assert client.get("/search", query_string={"q": "water\x00"}).status_code == 400
    response = client.post(
        "/campaigns/save-the-tigris/pledge",
        data={"kinds": ["endorsement"], "message": "In\x00solidarity", "visibility": "public"},
    )
    assert response.status_code == 400
    assert table_rows(app) == before


@pytest.mark.parametrize("page", ["100001", "461168601842738792", "9223372036854775807", "9" * 40])
def test_a_page_number_beyond_any_list_is_a_404(app, world: World, clients, page):
    client = clients("admin")
    for path in (
        "/campaigns/",
        "/organizations/",
        "/projects/",
        "/moderation/log",
        "/campaigns/save-the-tigris",
    ):
        assert client.get(path, query_string={"page": page}).status_code == 404, path


# Crafted numbers: ids in paths, ids and cursors in query strings -------------------------------------
#
# Every id and cursor is read by one parser: ASCII digits only, within the column's range (ids are
# 32-bit INTEGER columns: 1 to 2**31 - 1). Anything else is a 404 in a path, a 400 in a query string.

NUMBER_SETTINGS = settings(FUZZ_SETTINGS, max_examples=EXAMPLES * 8)
LAST_MICROSECOND = 253_402_300_799_999_999  # 9999-12-31 23:59:59.999999 after 1970: Python's last instant


def is_id(text: str) -> bool:
    return re.fullmatch(r"[0-9]{1,10}", text) is not None and 1 <= int(text) <= MAX_ID


def is_cursor(text: str) -> bool:
    micros, dot, pledge_id = text.partition(".")
    if not dot or re.fullmatch(r"[0-9]{1,18}", micros) is None:
        return False
    return int(micros) <= LAST_MICROSECOND and is_id(pledge_id)


def could_be_a_slug(text: str) -> bool:
    """``?organization=`` also takes a slug: Arabic names keep their letters and digits in theirs."""
    return re.fullmatch(r"[0-9]+", text) is None and slugify(text) == text


PATHS_WITH_IDS = [
    ("visitor", "/projects/{}"),
    ("member_a", "/projects/{}/edit"),
    ("admin", "/moderation/organizations/{}"),
    ("admin", "/moderation/campaigns/{}/edit"),
]


@NUMBER_SETTINGS
@given(number=CRAFTED_NUMBERS)
def test_a_crafted_number_in_a_path_is_a_404(app, world: World, clients, number):
    for actor, path in PATHS_WITH_IDS:
        response = clients(actor).get(path.format(quote(number, safe="")))
        if is_id(number):
            assert response.status_code in (200, 404), (path, number, response.status_code)
        else:
            assert response.status_code == 404, (path, number, response.status_code)


@NUMBER_SETTINGS
@given(number=CRAFTED_NUMBERS)
def test_a_crafted_organization_in_the_moderation_log_is_a_name_search(app, world: World, clients, number):
    # What is not an organization's number or address name is searched as part of a name: an
    # answer (maybe an empty list), never an error.
    response = clients("admin").get("/moderation/log", query_string={"organization": number})
    assert response.status_code == 200, (number, response.status_code)


@NUMBER_SETTINGS
@given(cursor=CURSORS)
def test_a_crafted_supporters_cursor_is_a_400(app, world: World, clients, cursor):
    response = clients("visitor").get("/campaigns/save-the-tigris", query_string={"after": cursor})

    if is_cursor(cursor):
        assert response.status_code in (200, 404), (cursor, response.status_code)
    else:
        assert response.status_code == 400, (cursor, response.status_code)


CRAFTED_EXAMPLES = [
    "\u00b2",  # superscript two: the tester's /projects/%C2%B2
    "\u0663",  # Arabic-Indic three
    "\uff13",  # full-width three
    "2147483648",  # one beyond a 32-bit id
    "9223372036854775808",  # one beyond a 64-bit integer
    "9" * 30,
    "-1",
    "+1",
    " 1",
    "1 ",
    "1_0",
    "0",
]


@pytest.mark.parametrize("number", CRAFTED_EXAMPLES)
def test_the_crafted_numbers_the_tester_sent_are_refused_without_a_server_error(
    app, world: World, clients, number
):
    project = clients("visitor").get(f"/projects/{quote(number, safe='')}")
    log = clients("admin").get("/moderation/log", query_string={"organization": number})
    cursors = [f"1.{number}", f"{number}.{number}", number]
    supporters = [
        clients("visitor").get("/campaigns/save-the-tigris", query_string={"after": cursor})
        for cursor in cursors
    ]

    assert project.status_code == 404
    assert log.status_code == 200  # searched as part of a name: an empty list, no error
    assert [response.status_code for response in supporters] == [400, 400, 400]


def test_a_cursor_beyond_the_last_instant_python_holds_is_a_400(app, world: World, clients):
    client = clients("visitor")
    for micros in (str(LAST_MICROSECOND + 1), "999999999999999999", "9" * 19):
        assert client.get(f"/campaigns/save-the-tigris?after={micros}.1").status_code == 400
    # Well formed: every supporter is older than the last instant; none is older than 1970.
    assert client.get(f"/campaigns/save-the-tigris?after={LAST_MICROSECOND}.{MAX_ID}").status_code == 200
    assert client.get("/campaigns/save-the-tigris?after=0.1").status_code == 404

"""A member's pledge panel on the campaign page is kept among the shared parts (app/chrome.py,
``shared_part``) under everything it shows: rendered once per pledge state, language, time zone
and address, with each reader's CSRF token filled in per request. An organization's pledge is
shown to its own members only; a change shows at once."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app import chrome
from app.extensions import db
from app.models import Campaign, CampaignStatus, PledgeVisibility, SupportKind
from tests.builders import make_campaign, make_organization, make_pledge, make_user
from tests.conftest import app_context, csrf_token_from, log_in

CAMPAIGN = "/campaigns/save-the-tigris"
PLEDGE_FORM = re.compile(
    r'action="/campaigns/save-the-tigris/pledge".*?name="csrf_token" type="hidden" value="([^"]+)"', re.S
)
WITHDRAW_FORM = re.compile(
    r'action="/campaigns/save-the-tigris/pledge/withdraw">\s*'
    r'<input type="hidden" name="csrf_token" value="([^"]+)"'
)
MESSAGE = "Our boats carry the water samples to Basra"


@pytest.fixture
def network(app):
    """Amal Association pledged (with a message, counted only), with two members; Basim and Carim
    Associations have not pledged."""
    with app_context(app):
        campaign = make_campaign("Save the Tigris", slug="save-the-tigris")
        amal = make_organization("Amal Association")
        # Counted only: the message is shown nowhere but in Amal's own panel.
        make_pledge(
            amal,
            campaign,
            kinds=(SupportKind.VOLUNTEERS,),
            message=MESSAGE,
            visibility=PledgeVisibility.COUNTED,
        )
        make_user(amal, email="amal@example.org")
        make_user(amal, email="amal.second@example.org")
        make_user(make_organization("Basim Association"), email="basim@example.org")
        make_user(make_organization("Carim Association"), email="carim@example.org")
        db.session.commit()
    return app


def member(app, email: str):
    client = app.test_client()
    assert log_in(client, email).status_code == 302
    return client


def panel_renders(monkeypatch) -> list[tuple]:
    """The keys of the pledge panels rendered from their template from now on."""
    rendered: list[tuple] = []
    real = chrome.PartCache.put

    def put(cache, key, html):
        if key[0] == "campaigns/_pledge_panel.html":
            rendered.append(key)
        real(cache, key, html)

    monkeypatch.setattr(chrome.PartCache, "put", put)
    return rendered


def test_a_panel_is_rendered_once_for_one_pledge_state(network, monkeypatch):
    basim, carim, amal = (member(network, f"{name}@example.org") for name in ("basim", "carim", "amal"))
    rendered = panel_renders(monkeypatch)

    for client in (basim, carim, basim, amal, amal):
        html = client.get(CAMPAIGN).get_data(as_text=True)
        assert 'id="pledge-heading"' in html and chrome.CSRF_SLOT not in html

    # Basim's empty panel serves Carim and Basim again; Amal's pledge gets one of its own.
    assert ["own" if "own" in key else "none" for key in rendered] == ["none", "own"]


def test_each_member_gets_their_own_token_in_the_panel_and_it_works(make_app, network):
    protected = make_app(WTF_CSRF_ENABLED=True)
    tokens = {}
    for email in ("basim@example.org", "carim@example.org"):
        client = protected.test_client()
        assert log_in(client, email, csrf_token=csrf_token_from(client, "/auth/login")).status_code == 302
        html = client.get(CAMPAIGN).get_data(as_text=True)
        tokens[email] = (client, PLEDGE_FORM.search(html).group(1))

    (_basim, basim_token), (carim, carim_token) = tokens.values()
    assert basim_token != carim_token
    fields = {"kinds": "advocacy", "message": "", "visibility": "public"}
    assert carim.post(f"{CAMPAIGN}/pledge", data={**fields, "csrf_token": basim_token}).status_code == 400
    assert carim.post(f"{CAMPAIGN}/pledge", data={**fields, "csrf_token": carim_token}).status_code == 302
    # Carim's panel now has a pledge to withdraw, with a token of Carim's session.
    withdraw_token = WITHDRAW_FORM.search(carim.get(CAMPAIGN).get_data(as_text=True)).group(1)
    confirmed = {"confirm": "yes"}
    assert (
        carim.post(f"{CAMPAIGN}/pledge/withdraw", data={**confirmed, "csrf_token": basim_token}).status_code
        == 400
    )
    assert (
        carim.post(
            f"{CAMPAIGN}/pledge/withdraw", data={**confirmed, "csrf_token": withdraw_token}
        ).status_code
        == 302
    )


def test_an_organizations_pledge_is_shown_to_its_own_members_only(network):
    amal, colleague, basim = (
        member(network, email)
        for email in ("amal@example.org", "amal.second@example.org", "basim@example.org")
    )
    for client in (amal, colleague):
        html = client.get(CAMPAIGN).get_data(as_text=True)
        assert MESSAGE in html and "Your organization's pledge" in html
    html = basim.get(CAMPAIGN).get_data(as_text=True)
    assert MESSAGE not in html and "Pledge your organization's support" in html
    assert "Withdraw the pledge" not in html


def test_a_changed_pledge_shows_at_once(network):
    amal = member(network, "amal@example.org")
    assert MESSAGE in amal.get(CAMPAIGN).get_data(as_text=True)
    changed = {"kinds": "funding", "message": "Now we also fund the boats", "visibility": "members"}
    assert amal.post(f"{CAMPAIGN}/pledge", data=changed).status_code == 302

    html = amal.get(CAMPAIGN).get_data(as_text=True)
    assert "Your pledge has been updated." in html  # the confirmation: rendered, not shared
    html = amal.get(CAMPAIGN).get_data(as_text=True)
    assert "Now we also fund the boats" in html and MESSAGE not in html
    checked = re.findall(
        r'<input checked id="kinds-\d" name="kinds" required type="checkbox" value="(\w+)"', html
    )
    assert checked == ["funding"]


def test_the_shared_panel_is_the_panel_rendered_for_the_reader(make_app, network):
    """The same page, byte for byte (tokens aside), with the shared parts and without them."""
    rendered_each_time = make_app(CHROME_CACHE=False)
    for email in ("amal@example.org", "basim@example.org"):
        pages = []
        for application in (network, rendered_each_time):
            client = member(application, email)
            client.get(CAMPAIGN)  # the second visit comes from the shared parts
            html = client.get(CAMPAIGN).get_data(as_text=True)
            pages.append(re.sub(r'(name="csrf_token"[^>]*value=")[^"]+', r"\1TOKEN", html))
        assert pages[0] == pages[1]


def test_each_campaign_has_its_own_panel(network):
    """The empty panel of one campaign is never another's: its form pledges to its own campaign,
    and an archived campaign takes no pledge."""
    with app_context(network):
        make_campaign("Freedom of Expression", slug="freedom-of-expression")
        make_campaign("Stop Private Military Companies", slug="stop-pmscs", status=CampaignStatus.ARCHIVED)
        db.session.commit()
    basim = member(network, "basim@example.org")
    basim.get(CAMPAIGN)

    html = basim.get("/campaigns/freedom-of-expression").get_data(as_text=True)
    assert 'action="/campaigns/freedom-of-expression/pledge"' in html
    assert "/campaigns/save-the-tigris/pledge" not in html
    archived = basim.get("/campaigns/stop-pmscs").get_data(as_text=True)
    assert "This campaign is archived and takes no new pledges." in archived
    assert 'action="/campaigns/stop-pmscs/pledge"' not in archived


def test_an_archived_campaign_shows_a_pledge_without_its_form(network):
    amal = member(network, "amal@example.org")
    assert 'action="/campaigns/save-the-tigris/pledge"' in amal.get(CAMPAIGN).get_data(as_text=True)
    with app_context(network):
        campaign = db.session.scalar(sa.select(Campaign).where(Campaign.slug == "save-the-tigris"))
        campaign.status = CampaignStatus.ARCHIVED
        db.session.commit()

    html = amal.get(CAMPAIGN).get_data(as_text=True)
    assert "This campaign is archived and takes no new pledges." in html
    assert 'action="/campaigns/save-the-tigris/pledge"' not in html and "Withdraw the pledge" in html

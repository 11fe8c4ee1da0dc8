"""Journey 1: a visitor browses the campaigns, opens one, follows a supporter to its profile and
filters the directory, on a desktop, on a phone and in Arabic, without an account."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import (
    JOURNEY_VARIANTS,
    campaign_title,
    expect_language,
    locale_of,
    open_site,
    title_pattern,
)

pytestmark = pytest.mark.browser

CAMPAIGN = "save-the-tigris"
A_NUMBER = re.compile(r"[0-9\u0660-\u0669]")  # Western or Arabic-Indic digits


@pytest.mark.parametrize("variant", list(JOURNEY_VARIANTS))
def test_a_visitor_finds_a_campaign_its_supporters_and_filters_the_directory(
    variant, new_page, live_server, t_for
):
    t = t_for(locale_of(variant))
    title = campaign_title(live_server.app, CAMPAIGN, locale_of(variant))
    any_title = title_pattern(live_server.app, CAMPAIGN, locale_of(variant))
    page = open_site(new_page, variant)

    # The campaigns, from the main navigation.
    main_nav = page.get_by_role("navigation", name=t("Main"))
    main_nav.get_by_role("link", name=t("Campaigns"), exact=True).click()
    expect(page.get_by_role("heading", level=1, name=t("Campaigns"))).to_be_visible()

    # One campaign: what it wants, and who stands with it.
    page.get_by_role("link", name=title, exact=True).click()
    expect(page.get_by_role("heading", level=1, name=title)).to_be_visible()
    expect(page.get_by_role("heading", name=t("What the campaign wants"))).to_be_visible()
    supporters = page.get_by_role("region", name=t("Who stands with it"))
    first_supporter = supporters.get_by_role("listitem").first.get_by_role("link").first
    supporter = first_supporter.inner_text().strip()
    assert supporter, "the campaign page names no supporter"

    # The supporter's profile says what it is and what it supports.
    first_supporter.click()
    expect(page.get_by_role("heading", level=1, name=supporter)).to_be_visible()
    # (Lists may show a campaign under its original English title when not yet translated.)
    expect(page.get_by_role("link", name=any_title).first).to_be_visible()

    # The directory, filtered to the campaign's supporters.
    main_nav.get_by_role("link", name=t("Directory"), exact=True).click()
    expect(page.get_by_role("heading", level=1, name=t("Member directory"))).to_be_visible()
    everyone = page.get_by_role("status").filter(has_text=A_NUMBER).inner_text()
    campaign_filter = page.get_by_label(t("Supports the campaign"))
    if not campaign_filter.is_visible():  # the filters are folded away until asked for
        page.get_by_text(t("Filter the directory"), exact=True).click()
    shown = [text.strip() for text in campaign_filter.locator("option").all_inner_texts()]
    campaign_filter.select_option(label=next(text for text in shown if any_title.match(text)))
    page.get_by_role("button", name=t("Show organizations")).click()

    expect(page).to_have_url(re.compile(r"campaign=" + CAMPAIGN))
    expect(page.get_by_role("link", name=supporter, exact=True)).to_be_visible()
    filtered = page.get_by_role("status").filter(has_text=A_NUMBER).inner_text()
    assert filtered != everyone, "filtering by campaign should narrow the directory"
    expect(page.get_by_label(t("Supports the campaign"))).to_have_value(CAMPAIGN)
    expect_language(page, locale_of(variant))

"""The site answers in a real browser, in English and in Arabic."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_home_page_opens_in_a_real_browser(page, t_for):
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("link", name=t_for("en")("Skip to content"))).to_be_attached()


def test_a_reader_of_arabic_gets_the_page_right_to_left(new_page, t_for):
    page = new_page(locale="ar")
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.get_by_role("link", name=t_for("ar")("Skip to content"))).to_be_attached()

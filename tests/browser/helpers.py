"""What the browser tests do often, the way a person does it: log in, find a page's address."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from flask import Flask, url_for
from playwright.sync_api import Page, expect

from app.extensions import db
from app.models import (
    Campaign,
    CampaignStatus,
    Organization,
    OrganizationStatus,
    Pledge,
    PledgeVisibility,
    Project,
)
from app.templating import LANGUAGE_NAMES
from tests import builders
from tests.browser.live import DESKTOP, PHONE

PASSWORD = builders.DEFAULT_PASSWORD
MEMBER_EMAIL = "member@tadamun.test"


def log_in(page: Page, t: Callable[..., str], email: str, password: str = PASSWORD) -> None:
    """Log in through the login form, as a person would, and land on the dashboard."""
    page.goto("/auth/login")
    page.get_by_label(t("Email"), exact=True).fill(email)
    page.get_by_label(t("Password"), exact=True).fill(password)
    page.get_by_role("button", name=t("Log in"), exact=True).click()
    expect(page.get_by_role("button", name=t("Log out"))).to_be_visible()


def log_out(page: Page, t: Callable[..., str]) -> None:
    page.get_by_role("button", name=t("Log out")).click()
    expect(page.get_by_role("link", name=t("Log in"), exact=True)).to_be_visible()


def add_member(app: Flask, email: str = MEMBER_EMAIL) -> str:
    """An approved organization with one member account; returns the organization's name."""
    with app.app_context():
        organization = builders.make_organization("Tigris Friends Collective", slug="tigris-friends")
        builders.make_user(organization, email=email)
        campaign = db.session.scalars(
            sa.select(Campaign).where(Campaign.status == CampaignStatus.ACTIVE).order_by(Campaign.id)
        ).first()
        if campaign is not None:
            builders.make_pledge(organization, campaign, message="We stand with the rivers.")
        name = organization.name
        db.session.commit()
        db.session.remove()
        return name


@dataclass
class SitePages:
    """The address of one page of each type, found in the current demo data."""

    home: str
    campaigns: str
    campaign: str | None
    directory: str
    organization: str | None
    projects: str
    project: str | None
    login: str
    register: str
    dashboard: str
    moderation_queue: str
    moderation_log: str | None
    missing: str = "/this-page-does-not-exist"


def endpoint_url(app: Flask, endpoint: str, **values) -> str | None:
    try:
        return url_for(endpoint, **values)
    except Exception:  # the page is not there (yet): the test says so
        return None


def site_pages(app: Flask) -> SitePages:
    with app.test_request_context():
        campaign = db.session.scalars(
            sa.select(Campaign)
            .where(Campaign.status == CampaignStatus.ACTIVE)
            .order_by(Campaign.supporter_count.desc(), Campaign.id)
        ).first()
        # An organization with a public pledge: its profile has the most to show.
        organization = db.session.scalars(
            sa.select(Organization)
            .join(Pledge, Pledge.organization_id == Organization.id)
            .where(
                Organization.status == OrganizationStatus.APPROVED,
                Pledge.visibility == PledgeVisibility.PUBLIC,
                Pledge.withdrawn_at.is_(None),
            )
            .order_by(Organization.id)
        ).first()
        project = db.session.scalars(
            sa.select(Project)
            .join(Organization, Project.organization_id == Organization.id)
            .where(Project.hidden_at.is_(None), Organization.status == OrganizationStatus.APPROVED)
            .order_by(Project.id)
        ).first()
        pages = SitePages(
            home=url_for("main.home"),
            campaigns=url_for("campaigns.index"),
            campaign=url_for("campaigns.detail", slug=campaign.slug) if campaign else None,
            directory=url_for("organizations.index"),
            organization=url_for("organizations.detail", slug=organization.slug) if organization else None,
            projects=url_for("projects.index"),
            project=url_for("projects.detail", key=project.slug) if project else None,
            login=url_for("auth.login"),
            register=url_for("auth.register"),
            dashboard=url_for("account.dashboard"),
            moderation_queue=url_for("moderation.queue"),
            moderation_log=endpoint_url(app, "moderation.log"),
        )
        db.session.remove()
        return pages


# ---------------------------------------------------------------------------------------------
# The ways a person comes to the site: a desktop or a phone, in English or in Arabic.

JOURNEY_VARIANTS = {
    "desktop": {"viewport": DESKTOP, "locale": "en"},
    "phone": {"viewport": PHONE, "locale": "en", "is_mobile": True, "has_touch": True},
    "arabic": {"viewport": DESKTOP, "locale": "ar"},
    "arabic-phone": {"viewport": PHONE, "locale": "ar", "is_mobile": True, "has_touch": True},
}


def open_site(new_page, variant: str) -> Page:
    """A new person's browser on the home page; Arabic readers pick Arabic in the switcher."""
    options = dict(JOURNEY_VARIANTS[variant])
    locale = options.pop("locale")
    page = new_page(**options)  # the browser itself speaks English: the switcher does the work
    page.goto("/")
    if locale != "en":
        switcher = page.get_by_role("navigation", name="Language")  # the page is still in English
        switcher.get_by_role("link", name=LANGUAGE_NAMES[locale]).click()
        expect(page.locator("html")).to_have_attribute("lang", locale)
    return page


def locale_of(variant: str) -> str:
    return JOURNEY_VARIANTS[variant]["locale"]


def campaign_title(app: Flask, slug: str, locale: str) -> str:
    """The campaign's title as the page shows it in ``locale`` (its translation, if written)."""
    from app.services.translations import localized_campaign

    with app.test_request_context():
        campaign = db.session.scalars(sa.select(Campaign).where(Campaign.slug == slug)).one()
        title = localized_campaign(campaign, locale).title
        db.session.remove()
        return title

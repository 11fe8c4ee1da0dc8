"""What the browser tests do often, the way a person does it: log in, find a page's address."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass

import pyotp
import sqlalchemy as sa
from flask import Flask, url_for
from playwright.sync_api import Page, expect

from app.extensions import db
from app.models import (
    Campaign,
    CampaignStatus,
    Gathering,
    GatheringStatus,
    Organization,
    OrganizationStatus,
    Pledge,
    PledgeVisibility,
    Project,
)
from app.templating import LANGUAGE_NAMES
from tests import builders
from tests.browser.live import DESKTOP, PHONE, TOTP_SECRETS, TOTP_USED_STEPS

PASSWORD = builders.DEFAULT_PASSWORD
MEMBER_EMAIL = "member@tadamun.test"


def log_in(page: Page, t: Callable[..., str], email: str, password: str = PASSWORD) -> None:
    """Log in through the login form, as a person would, and land on the dashboard; an account
    with an authenticator app (the moderator) types the code the app shows in the second step."""
    page.goto("/auth/login")
    page.get_by_label(t("Email"), exact=True).fill(email)
    page.get_by_label(t("Password"), exact=True).fill(password)
    page.get_by_role("button", name=t("Log in"), exact=True).click()
    if email in TOTP_SECRETS:
        page.get_by_label(t("Code from your authenticator app, or a recovery code")).fill(fresh_code(email))
        page.get_by_role("button", name=t("Log in"), exact=True).click()
    expect(page.get_by_role("button", name=t("Log out"))).to_be_visible()


def fresh_code(email: str) -> str:
    """The app's code of a time step not typed yet (the site accepts each step once): this
    step's, else the next one's, else wait for the clock to move on."""
    while True:
        step = int(time.time()) // 30
        chosen = max(step, TOTP_USED_STEPS.get(email, -1) + 1)
        if chosen <= step + 1:
            TOTP_USED_STEPS[email] = chosen
            return pyotp.TOTP(TOTP_SECRETS[email]).generate_otp(chosen)
        time.sleep(1)


def log_out(page: Page, t: Callable[..., str]) -> None:
    page.get_by_role("button", name=t("Log out")).click()
    expect(page.get_by_role("link", name=t("Log in"), exact=True)).to_be_visible()


def add_member(app: Flask, email: str = MEMBER_EMAIL, *, pledge: bool = True) -> str:
    """An approved organization with one member account (and, unless ``pledge=False``, a public
    pledge to the first active campaign); returns the organization's name."""
    with app.app_context():
        organization = builders.make_organization("Tigris Friends Collective", slug="tigris-friends")
        builders.make_user(organization, email=email)
        campaign = db.session.scalars(
            sa.select(Campaign).where(Campaign.status == CampaignStatus.ACTIVE).order_by(Campaign.id)
        ).first()
        if pledge and campaign is not None:
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
    search: str | None = None
    pledge_form: str | None = None
    new_project: str | None = None
    edit_profile: str | None = None
    moderation_organizations: str | None = None
    moderation_campaigns: str | None = None
    new_campaign: str | None = None
    moderation_content: str | None = None
    two_factor: str | None = None
    authenticator_setup: str | None = None
    network_shape: str | None = None
    campaign_shape: str | None = None
    offers: str | None = None
    introductions: str | None = None
    cosponsorships: str | None = None
    campaign_statements: str | None = None
    gatherings: str | None = None
    gathering: str | None = None
    open_data: str | None = None
    notifications: str | None = None
    following: str | None = None
    gatherings_manage: str | None = None
    notification_settings: str | None = None
    gathering_translation: str | None = None
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
        gathering = db.session.scalars(
            sa.select(Gathering).where(Gathering.status == GatheringStatus.PUBLISHED).order_by(Gathering.id)
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
            search=endpoint_url(app, "search.results", q="Tigris"),
            pledge_form=endpoint_url(app, "campaigns.pledge_form", slug=campaign.slug) if campaign else None,
            new_project=endpoint_url(app, "projects.new"),
            edit_profile=endpoint_url(app, "account.edit_profile"),
            moderation_organizations=endpoint_url(app, "moderation.organizations"),
            moderation_campaigns=endpoint_url(app, "moderation.campaigns"),
            new_campaign=endpoint_url(app, "moderation.new_campaign"),
            moderation_content=endpoint_url(app, "moderation.content"),
            two_factor=endpoint_url(app, "account.security"),
            authenticator_setup=endpoint_url(app, "account.setup_authenticator"),
            network_shape=endpoint_url(app, "solidarity.shape"),
            campaign_shape=endpoint_url(app, "solidarity.campaign_shape", slug=campaign.slug)
            if campaign
            else None,
            offers=endpoint_url(app, "solidarity.offers_page"),
            introductions=endpoint_url(app, "solidarity.introductions"),
            cosponsorships=endpoint_url(app, "solidarity.cosponsorships"),
            campaign_statements=endpoint_url(app, "solidarity.campaign_statements", slug=campaign.slug)
            if campaign
            else None,
            gatherings=endpoint_url(app, "gatherings.index"),
            gathering=endpoint_url(app, "gatherings.detail", slug=gathering.slug) if gathering else None,
            open_data=endpoint_url(app, "opendata.dictionary"),
            notifications=endpoint_url(app, "notifications.index"),
            following=endpoint_url(app, "following.list_follows"),
            gatherings_manage=endpoint_url(app, "gatherings.manage_index"),
            notification_settings=endpoint_url(app, "notifications.settings"),
            gathering_translation=endpoint_url(
                app, "gatherings.translation", slug=gathering.slug, locale="ar"
            )
            if gathering
            else None,
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


def title_pattern(app: Flask, slug: str, locale: str) -> re.Pattern:
    """A campaign's title in ``locale`` or in English (some lists show the original title)."""
    names = {campaign_title(app, slug, locale), campaign_title(app, slug, "en")}
    return re.compile("^(" + "|".join(re.escape(n) for n in names) + ")$")


# ---------------------------------------------------------------------------------------------
# The membership steps that several journeys share


@dataclass
class Application:
    name: str
    email: str
    city: str = "Basra"
    description: str = "We plant reeds and clean the banks of the Shatt al-Arab with volunteers."
    contact_email: str = "contact@nahrain-youth.org"


def apply_for_membership(page: Page, t: Callable[..., str], application: Application) -> None:
    """Fill in the registration form, as a person would, and send it."""
    page.get_by_role("link", name=t("Join the network")).first.click()
    expect(page.get_by_role("heading", level=1, name=t("Join the network"))).to_be_visible()
    page.get_by_label(t("Name of the organization")).fill(application.name)
    page.get_by_label(t("Kind of organization")).select_option(label=t("Youth or student group"))
    page.get_by_label(t("City or governorate")).fill(application.city)
    page.get_by_label(t("What the organization does")).fill(application.description)
    page.get_by_label(t("Contact email"), exact=True).fill(application.contact_email)
    page.get_by_label(t("Who may see the contact email")).select_option(label=t("Members only"))
    page.get_by_label(t("Your email")).fill(application.email)
    page.get_by_label(t("Password"), exact=True).fill(PASSWORD)
    page.get_by_label(t("Password again")).fill(PASSWORD)
    page.get_by_role("button", name=t("Send application")).click()
    expect(page.get_by_role("heading", level=1, name=t("Check your email"))).to_be_visible()


def confirm_email_from_mail(page: Page, t: Callable[..., str], mailbox, site_url: str, email: str) -> None:
    """Open the confirmation link of the last mail to ``email`` and press the button."""
    link = mailbox.link_in(mailbox.last_to(email), site_url, "/auth/confirm/")
    page.goto(link)
    page.get_by_role("button", name=t("Confirm my email address")).click()
    expect(page.get_by_text(t("Thank you: your email address is confirmed."))).to_be_visible()


def application_in_queue(page: Page, t: Callable[..., str], name: str):
    """The moderator opens the queue; returns the list item of ``name``'s application."""
    page.get_by_role("navigation", name=t("Main")).get_by_role("link", name=t("Moderation")).click()
    expect(page.get_by_role("heading", level=1, name=t("Applications to review"))).to_be_visible()
    item = page.get_by_role("listitem").filter(has=page.get_by_role("heading", name=name))
    expect(item).to_be_visible()
    return item


def expect_language(page: Page, locale: str) -> None:
    """The page is in the person's language (the switcher's choice is remembered)."""
    expect(page.locator("html")).to_have_attribute("lang", locale)
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if locale in ("ar", "ckb") else "ltr")


# The page types every whole-site check (axe-core, the Nu HTML checker) visits, by who sees them.
VISITOR_PAGES = [
    "home",
    "campaigns",
    "campaign",
    "directory",
    "organization",
    "projects",
    "project",
    "login",
    "register",
    "search",
    "network_shape",
    "campaign_shape",
    "gatherings",
    "gathering",
    "open_data",
    "campaign_statements",
    "missing",
]
MEMBER_PAGES = [
    "dashboard",
    "campaign",
    "pledge_form",
    "new_project",
    "edit_profile",
    "two_factor",
    "authenticator_setup",
    "offers",
    "introductions",
    "cosponsorships",
    "notifications",
    "notification_settings",
    "following",
]
MODERATOR_PAGES = [
    "moderation_queue",
    "moderation_log",
    "moderation_organizations",
    "moderation_campaigns",
    "new_campaign",
    "moderation_content",
    "gatherings_manage",
    "gathering_translation",
]

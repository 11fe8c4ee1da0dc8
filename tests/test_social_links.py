"""Social links (Facebook page, Telegram, WhatsApp) are contact details like the others: typed
the way people copy them, stored in one form, each shown only to whom the organization chose,
counted in its access log and included in its export."""

from __future__ import annotations

import io
import json
import re
import zipfile

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import ContactDetailView, Organization, Visibility
from app.services import contact_details
from app.services.contact_details import InvalidContactDetail
from tests.builders import DEFAULT_PASSWORD, make_moderator, make_organization, make_user
from tests.conftest import app_context, count, log_in, scalar
from tests.membership_support import registration_data
from tests.pages import page

FACEBOOK = "https://facebook.com/basra.women"
TELEGRAM = "@basra_women"
WHATSAPP = "+9647701234567"


# Typed as people copy them -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("facebook.com/basra.women", "https://facebook.com/basra.women"),
        ("www.facebook.com/basra.women", "https://www.facebook.com/basra.women"),
        ("https://m.facebook.com/basra.women", "https://m.facebook.com/basra.women"),
        (" http://facebook.com/x ", "http://facebook.com/x"),
    ],
)
def test_a_facebook_page_is_accepted_without_https_and_stored_with_it(typed, stored):
    assert contact_details.facebook_page(typed) == stored


@pytest.mark.parametrize(
    "typed",
    [
        "example.org/basra",
        "facebook.com",
        "javascript:alert(1)",
        "ftp://facebook.com/x",
        "https://facebook.com@evil.example/x",
        "facebook.com/our page",
    ],
)
def test_what_is_not_a_facebook_page_is_refused(typed):
    with pytest.raises(InvalidContactDetail):
        contact_details.facebook_page(typed)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("amal.example.org", "https://amal.example.org"),
        ("amal.example.org:8080/about", "https://amal.example.org:8080/about"),
        ("https://amal.example.org", "https://amal.example.org"),
    ],
)
def test_a_website_is_accepted_without_https(typed, stored):
    assert contact_details.web_address(typed) == stored


@pytest.mark.parametrize(
    "typed", ["@basra_women", "basra_women", "t.me/basra_women", "https://t.me/basra_women/"]
)
def test_telegram_takes_a_handle_or_a_link(typed):
    assert contact_details.telegram_handle(typed) == TELEGRAM


@pytest.mark.parametrize(
    "typed",
    [
        "+964 770 123 4567",
        "00964-770-123-4567",
        "0770 123 4567",
        "+\u0669\u0666\u0664 \u0667\u0667\u0660 \u0661\u0662\u0663 \u0664\u0665\u0666\u0667",
        "\u06f0\u06f7\u06f7\u06f0\u06f1\u06f2\u06f3\u06f4\u06f5\u06f6\u06f7",
    ],
)
def test_whatsapp_takes_a_number_in_any_digits(typed):
    # Arabic-Indic and Persian digits, as escapes: they look like Latin letters to the linter.
    assert contact_details.whatsapp_number(typed) == WHATSAPP


@pytest.mark.parametrize("typed", ["call us", "12", "+964 770 abc", "770 123 4567"])
def test_what_is_not_a_whatsapp_number_is_refused(typed):
    with pytest.raises(InvalidContactDetail):
        contact_details.whatsapp_number(typed)


# Registration and profile ----------------------------------------------------------------------


def test_registration_stores_the_social_links_normalized_with_their_visibility(app, client):
    data = registration_data(
        website="amal.example.org",
        facebook="facebook.com/basra.women",
        facebook_visibility="public",
        telegram="t.me/basra_women",
        telegram_visibility="members",
        whatsapp="\u0660\u0667\u0667\u0660 \u0661\u0662\u0663 \u0664\u0665\u0666\u0667",
        whatsapp_visibility="hidden",
    )
    response = client.post("/auth/register", data=data)
    assert response.status_code == 302

    organization = scalar(app, sa.select(Organization))
    assert organization.website == "https://amal.example.org"
    assert (organization.facebook, organization.facebook_visibility) == (FACEBOOK, Visibility.PUBLIC)
    assert (organization.telegram, organization.telegram_visibility) == (TELEGRAM, Visibility.MEMBERS)
    assert (organization.whatsapp, organization.whatsapp_visibility) == (WHATSAPP, Visibility.HIDDEN)


def test_a_wrong_social_link_is_a_field_error_and_nothing_is_written(app, client):
    response = client.post("/auth/register", data=registration_data(facebook="example.org/page"))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'href="#facebook"' in html
    assert "The address of a Facebook page" in html
    assert count(app, Organization) == 0


def test_the_member_edits_the_social_links_on_the_profile(app, client, auth):
    with app_context(app):
        organization = make_organization("Basra Women", slug="basra-women")
        make_user(organization, email="owner@basra.example")
        db.session.commit()
        organization_id = organization.id
    auth.login("owner@basra.example")
    form = {
        "name": "Basra Women", "kind": "ngo", "country": "IQ", "description": "Literacy.",
        "facebook": "facebook.com/basra.women", "facebook_visibility": "members",
        "telegram": "@basra_women", "telegram_visibility": "public",
    }  # fmt: skip
    assert client.post("/account/profile", data=form).status_code == 302
    organization = scalar(app, sa.select(Organization).where(Organization.id == organization_id))
    assert (organization.facebook, organization.facebook_visibility) == (FACEBOOK, Visibility.MEMBERS)
    assert (organization.telegram, organization.telegram_visibility) == (TELEGRAM, Visibility.PUBLIC)
    assert organization.whatsapp is None


def test_the_visibility_sits_beside_each_detail_and_is_explained_once(client):
    html = client.get("/auth/register").get_data(as_text=True)
    assert html.count("Members only: logged-in members of approved organizations") == 1
    for name in (
        "contact_email",
        "contact_phone",
        "address",
        "contact_person",
        "facebook",
        "telegram",
        "whatsapp",
    ):
        match = re.search(rf'<select[^>]*id="{name}_visibility"', html)
        assert match, name
        # The detail's own input comes right before its visibility.
        assert html.rfind(f'id="{name}"', 0, match.start()) > html.rfind("contact-row", 0, match.start())


def test_the_error_summary_follows_the_order_of_the_form(client):
    response = client.post(
        "/auth/register",
        data=registration_data(
            name="",
            description="",
            website="not a site",
            facebook="example.org/x",
            email="",
            password="",
            confirm="",
        ),
    )
    html = response.get_data(as_text=True)
    summary = html[html.index('id="error-summary"') : html.index("</ul>", html.index('id="error-summary"'))]
    summarized = re.findall(r'href="#([a-z_]+)"', summary)
    form = html[html.index("<form", html.index('id="error-summary"')) :]
    order = [name for name in re.findall(r'\bid="([a-z_]+)"', form)]
    assert summarized[:1] == ["name"] and "email" in summarized and "facebook" in summarized
    positions = [order.index(name) for name in dict.fromkeys(summarized)]
    assert positions == sorted(positions)


# Who sees them --------------------------------------------------------------------------------


@pytest.fixture
def social(app):
    """Facebook public, Telegram members only, WhatsApp moderators only."""
    with app_context(app):
        organization = make_organization(
            "Basra Women", slug="basra-women",
            facebook=FACEBOOK, facebook_visibility=Visibility.PUBLIC,
            telegram=TELEGRAM, telegram_visibility=Visibility.MEMBERS,
            whatsapp=WHATSAPP, whatsapp_visibility=Visibility.HIDDEN,
        )  # fmt: skip
        make_user(organization, email="owner@basra.example")
        make_user(make_organization("Tigris Friends", slug="tigris-friends"), email="b@tigris.example")
        make_moderator("mod@network.example")
        db.session.commit()
    return organization


@pytest.mark.parametrize(
    ("viewer", "shown", "not_shown"),
    [
        (None, [FACEBOOK], [TELEGRAM, WHATSAPP]),
        ("b@tigris.example", [FACEBOOK, TELEGRAM], [WHATSAPP]),
        ("mod@network.example", [FACEBOOK, TELEGRAM], [WHATSAPP]),
    ],
)
def test_each_social_link_is_shown_on_the_profile_to_whom_it_may_be(app, social, viewer, shown, not_shown):
    client = app.test_client()
    if viewer:
        assert log_in(client, viewer).status_code == 302
    html = page(client, "/organizations/basra-women")
    for value in shown:
        assert value in html
    for value in not_shown:
        assert value not in html and value.lstrip("+@") not in html
    if TELEGRAM in shown:
        assert 'href="https://t.me/basra_women"' in html


def test_moderators_see_the_moderators_only_link_on_the_application(app, social):
    client = app.test_client()
    assert log_in(client, "mod@network.example").status_code == 302
    html = page(client, f"/moderation/organizations/{social.id}")
    assert WHATSAPP in html and TELEGRAM in html and FACEBOOK in html


def test_a_members_only_social_link_shown_to_an_outsider_is_in_the_access_log(app, social):
    client = app.test_client()
    assert log_in(client, "b@tigris.example").status_code == 302
    page(client, "/organizations/basra-women")
    assert scalar(app, sa.select(sa.func.sum(ContactDetailView.views))) == 1


def test_the_export_includes_the_social_links_and_their_visibility(app, social):
    client = app.test_client()
    assert log_in(client, "owner@basra.example").status_code == 302
    response = client.post("/account/export", data={"password": DEFAULT_PASSWORD})
    profile = json.loads(zipfile.ZipFile(io.BytesIO(response.data)).read("organization.json"))[0]
    assert profile["facebook"] == FACEBOOK and profile["facebook_visibility"] == "public"
    assert profile["telegram"] == TELEGRAM and profile["telegram_visibility"] == "members"
    assert profile["whatsapp"] == WHATSAPP and profile["whatsapp_visibility"] == "hidden"

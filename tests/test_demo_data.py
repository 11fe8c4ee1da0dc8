"""`flask demo-data` loads the ISF campaigns and sample members, once."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import (
    Campaign,
    CampaignTranslation,
    JointStatement,
    Offer,
    Organization,
    OrganizationStatus,
    Pledge,
    Project,
    ProjectCampaign,
    ProjectCosponsor,
    User,
)
from app.seeding import demo_data
from app.services import counters
from tests.builders import make_campaign
from tests.conftest import app_context, count, run_command, scalar, scalars

SIX_CAMPAIGNS = {
    "Save the Tigris",
    "Freedom of Expression",
    "Workers' Rights",
    "Women's Rights",
    "Sports Against Violence",
    "Stop Private Military and Security Companies",
}
NAMED_ORGANIZATIONS = (
    "ICSSI",
    "Iraqi Social Forum",
    "Un ponte per",
    "Norway Social Forum",
    "Karibu Foundation",
    "Fondation Assistance Internationale",
)


def table_counts(app) -> dict[str, int]:
    return {
        model.__tablename__: count(app, model)
        for model in (Campaign, Organization, Pledge, Project, ProjectCampaign, User)
    }


def run(app, *args: str):
    result = run_command(app, "demo-data", *args)
    assert result.exit_code == 0, result.output
    return result.output


def test_demo_data_loads_campaigns_organizations_and_accounts(app):
    output = run(app)
    assert "6 campaigns" in output
    assert "demo-password-2026" in output
    assert "moderator@tadamun.example" in output and "admin@tadamun.example" in output

    titles = set(scalars(app, sa.select(Campaign.title)))
    assert titles == SIX_CAMPAIGNS
    names = " ".join(scalars(app, sa.select(Organization.name)))
    for name in NAMED_ORGANIZATIONS:
        assert name in names
    statuses = set(scalars(app, sa.select(Organization.status)))
    assert statuses == {s for s in OrganizationStatus}
    descriptions = scalars(app, sa.select(Organization.description))
    assert sum(d.startswith("Sample organization —") for d in descriptions) >= 10
    assert any("\u0600" <= ch <= "\u06ff" for ch in names)  # some Arabic names
    visibilities = set(scalars(app, sa.select(Pledge.visibility)))
    assert len(visibilities) == 3
    roles = {role.value for role in scalars(app, sa.select(User.role))}
    assert roles == {"member", "moderator", "admin"}


def test_demo_data_keeps_counters_right(app):
    run(app)
    with app_context(app):
        assert counters.stored_counts() == counters.computed_counts()
    tigris = scalar(app, sa.select(Campaign).where(Campaign.slug == "save-the-tigris"))
    assert tigris.supporter_count > 0 and tigris.project_count > 0


def test_demo_data_twice_changes_nothing(app):
    run(app)
    before = table_counts(app)
    output = run(app)
    assert "nothing changed" in output
    assert table_counts(app) == before


def test_demo_data_if_empty_skips_a_database_with_campaigns(app):
    with app_context(app):
        make_campaign("Existing Campaign")
        db.session.commit()
    output = run(app, "--if-empty")
    assert "not loaded" in output
    assert count(app, Campaign) == 1


def test_demo_data_if_empty_loads_an_empty_database(app):
    run(app, "--if-empty")
    assert count(app, Campaign) == 6


def test_demo_accounts_can_log_in_and_every_public_page_shows_something(app, client, auth):
    run(app)
    assert auth.login("basra-women@tadamun.example", demo_data.DEMO_PASSWORD).status_code == 302
    for url in (
        "/",
        "/campaigns/",
        "/campaigns/save-the-tigris",
        "/organizations/",
        "/organizations/icssi",
        "/projects/",
        "/projects/tigris-river-walk",
    ):
        assert client.get(url).status_code == 200, url


def test_unapproved_demo_organizations_stay_off_public_pages(app, client):
    run(app)
    html = "".join(
        client.get(url).get_data(as_text=True)
        for url in ("/", "/organizations/", "/campaigns/sports-against-violence", "/projects/")
    )
    for name in (
        "Kirkuk Civic Dialogue Group",
        "Quick Profits Consulting",
        "Anbar Youth Link",
        "Anbar youth league",
    ):
        assert name not in html
    assert client.get("/organizations/anbar-youth-link").status_code == 404


def test_demo_campaigns_speak_the_networks_languages(app, client):
    run(app)
    with app_context(app):
        translations = db.session.execute(
            sa.select(Campaign.slug, CampaignTranslation.locale, CampaignTranslation.title).join(
                CampaignTranslation, CampaignTranslation.campaign_id == Campaign.id
            )
        ).all()
    assert {(slug, locale) for slug, locale, _ in translations} == {
        (slug, locale) for slug in demo_data.CAMPAIGN_TRANSLATIONS for locale in ("ar", "ckb", "fr")
    }
    assert ("save-the-tigris", "ar", "أنقذوا دجلة") in translations

    html = client.get("/campaigns/save-the-tigris?lang=ar").get_data(as_text=True)
    assert "أنقذوا دجلة" in html


def test_reloading_keeps_a_translation_a_moderator_edited(app):
    run(app)
    french = (
        sa.select(CampaignTranslation)
        .join(Campaign)
        .where(Campaign.slug == "save-the-tigris", CampaignTranslation.locale == "fr")
    )
    with app_context(app):
        db.session.scalar(french).title = "Sauver le Tigre"
        db.session.commit()

    run(app)
    assert scalar(app, french).title == "Sauver le Tigre"
    assert count(app, CampaignTranslation) == 18


def test_the_demo_shows_solidarity_in_practice_without_naming_the_counted(app, client):
    run(app)
    statements = client.get("/solidarity/campaigns/save-the-tigris/statements").get_data(as_text=True)
    assert "The Tigris must keep flowing" in statements
    in_arabic = client.get(
        "/solidarity/campaigns/save-the-tigris/statements", headers={"Accept-Language": "ar"}
    )
    assert "يجب أن يبقى دجلة جاريًا" in in_arabic.get_data(as_text=True)  # the title in the reader's language
    open_id = scalar(
        app, sa.select(JointStatement.id).join(Campaign).where(Campaign.slug == "save-the-tigris")
    )
    page = client.get(f"/solidarity/statements/{open_id}").get_data(as_text=True)
    assert "Un ponte per" in page  # signed by name
    assert "Southern Oil Workers" not in page  # signed, counted only
    frozen_id = scalar(
        app, sa.select(JointStatement.id).join(Campaign).where(Campaign.slug == "freedom-of-expression")
    )
    pdf = client.get(f"/solidarity/statements/{frozen_id}/statement.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"  # past its deadline: frozen

    profile = client.get("/organizations/un-ponte-per").get_data(as_text=True)
    assert "Water-quality test kits" in profile
    assert "Small grants for river-bank clean-ups" not in profile  # members only
    assert "Un ponte per" in client.get("/projects/tigris-river-walk").get_data(as_text=True)

    before = {model: count(app, model) for model in (Offer, ProjectCosponsor, JointStatement)}
    run(app)
    assert {model: count(app, model) for model in before} == before


def test_demo_programme_sessions_have_arabic_titles(app, client):
    from app.models import GatheringSession, GatheringSessionTranslation

    run(app)
    with app_context(app):
        sessions = db.session.scalars(sa.select(GatheringSession)).all()
        arabic = dict(
            db.session.execute(
                sa.select(GatheringSessionTranslation.session_id, GatheringSessionTranslation.title).where(
                    GatheringSessionTranslation.locale == "ar"
                )
            ).all()
        )
        slug = sessions[0].gathering.slug
    assert sessions and set(arabic) == {s.id for s in sessions}
    assert all(any("\u0600" <= ch <= "\u06ff" for ch in title) for title in arabic.values())
    html = client.get(f"/gatherings/{slug}?lang=ar").get_data(as_text=True)
    assert "الوضع في العراق: نقاش مفتوح" in html

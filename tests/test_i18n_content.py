"""Campaigns and organization descriptions in the reader's language, with fallbacks."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEntry, CampaignTranslation, OrganizationTranslation
from app.services import DomainError, NotAllowed
from app.services import translations as service
from tests import builders
from tests.conftest import app_context, count, scalar


def translation_of(app, model, owner_id: int, locale: str):
    """A campaign's or organization's translation as the database holds it, or None."""
    with app.app_context():
        return db.session.get(model, (owner_id, locale))


def add_campaign_translation(campaign, locale, title, summary="", description=""):
    db.session.add(
        CampaignTranslation(
            campaign_id=campaign.id, locale=locale, title=title, summary=summary, description=description
        )
    )
    db.session.flush()


# --- Reading: the fallbacks ----------------------------------------------------------------


def test_a_campaign_reads_in_the_readers_language_when_translated(app_ctx):
    campaign = builders.make_campaign("Water for Basra", summary="Clean water", description="Long story")
    add_campaign_translation(campaign, "ar", "الماء للبصرة", "ماء نظيف", "قصة طويلة")

    shown = service.localized_campaign(campaign, "ar")

    assert (shown.title, shown.summary, shown.description) == ("الماء للبصرة", "ماء نظيف", "قصة طويلة")
    assert shown.lang == "ar" and shown.translated
    # Everything else is the campaign's own.
    assert shown.slug == campaign.slug and shown.supporter_count == campaign.supporter_count


def test_a_campaign_falls_back_to_english_when_not_translated(app_ctx):
    campaign = builders.make_campaign("Water for Basra", summary="Clean water")
    add_campaign_translation(campaign, "ar", "الماء للبصرة", "ماء نظيف")

    shown = service.localized_campaign(campaign, "ckb")

    assert (shown.title, shown.summary) == ("Water for Basra", "Clean water")
    assert shown.lang == "en" and not shown.translated


def test_a_half_written_translation_falls_back_field_by_field(app_ctx):
    campaign = builders.make_campaign("Water for Basra", summary="Clean water", description="Long story")
    add_campaign_translation(campaign, "fr", "De l'eau pour Bassora", summary="", description="")

    shown = service.localized_campaign(campaign, "fr")

    assert shown.title == "De l'eau pour Bassora"
    assert (shown.summary, shown.description) == ("Clean water", "Long story")
    assert (shown.lang, shown.summary_lang, shown.description_lang) == ("fr", "en", "en")


def test_the_campaign_page_reads_in_the_readers_language_with_english_fallback(app, client):
    with app_context(app):
        campaign = builders.make_campaign("Water for Basra", slug="water-for-basra", summary="Clean water")
        add_campaign_translation(campaign, "ar", "الماء للبصرة", "ماء نظيف", "")
        db.session.commit()

    arabic = client.get("/campaigns/water-for-basra?lang=ar").get_data(as_text=True)
    kurdish = client.get("/campaigns/water-for-basra?lang=ckb").get_data(as_text=True)

    assert '<h1 lang="ar" dir="auto">الماء للبصرة</h1>' in arabic and "<title>الماء للبصرة" in arabic
    assert '<p class="lead" lang="ar" dir="auto">ماء نظيف</p>' in arabic
    assert 'class="prose" lang="en" dir="auto"' in arabic  # no Arabic description yet: the English one
    assert '<h1 lang="en" dir="auto">Water for Basra</h1>' in kurdish


def test_an_organization_description_falls_back_to_its_main_description(app_ctx):
    org = builders.make_organization("Tigris Friends", description="Friends of the river.")
    db.session.add(
        OrganizationTranslation(organization_id=org.id, locale="ckb", description="هاوڕێیانی دیجلە.")
    )
    db.session.flush()

    assert service.localized_organization(org, "ckb").description == "هاوڕێیانی دیجلە."
    assert service.localized_organization(org, "ckb").lang == "ckb"
    assert service.localized_organization(org, "ar").description == "Friends of the river."
    assert service.localized_organization(org, "ar").lang is None


@pytest.mark.parametrize("size", [2, 12])
def test_a_list_of_campaigns_is_localized_in_one_query_whatever_its_length(app_ctx, count_queries, size):
    campaigns = [builders.make_campaign() for _ in range(size)]
    for campaign in campaigns[::2]:
        add_campaign_translation(campaign, "ar", f"عنوان {campaign.id}", "ملخص")
    db.session.commit()
    campaigns = list(db.session.scalars(sa.select(type(campaigns[0]))))

    with count_queries() as queries:
        shown = service.localized_campaigns(campaigns, "ar")
        titles = [c.title for c in shown]

    assert queries.count == 1, queries
    assert sum(t.startswith("عنوان") for t in titles) == len(campaigns[::2])


@pytest.mark.parametrize("size", [2, 12])
def test_a_pages_campaigns_are_localized_once_each_in_one_query(app_ctx, count_queries, size):
    campaigns = [builders.make_campaign(f"Campaign {n}") for n in range(size)]
    add_campaign_translation(campaigns[0], "ckb", "هەڵمەت", "کورتە")
    db.session.commit()
    campaigns = list(db.session.scalars(sa.select(type(campaigns[0])).order_by(sa.text("id"))))

    with count_queries() as queries:
        # A page lists some campaigns twice (a pledge's, a project's): each is read once.
        texts = service.campaign_texts([*campaigns, *campaigns], "ckb")

    assert queries.count == 1, queries
    assert [texts[c.id].title for c in campaigns] == ["هەڵمەت"] + [f"Campaign {n}" for n in range(1, size)]


def test_english_pages_need_no_translation_query(app_ctx, count_queries):
    campaigns = [builders.make_campaign() for _ in range(3)]

    with count_queries() as queries:
        service.localized_campaigns(campaigns, "en")

    assert queries.count == 0


def test_the_organization_profile_shows_the_description_in_the_readers_language(app, client):
    with app_context(app):
        org = builders.make_organization(
            "Tigris Friends", slug="tigris-friends", description="Friends of the river."
        )
        db.session.add(
            OrganizationTranslation(organization_id=org.id, locale="ar", description="أصدقاء دجلة.")
        )
        db.session.commit()

    arabic = client.get("/organizations/tigris-friends?lang=ar").get_data(as_text=True)
    french = client.get("/organizations/tigris-friends?lang=fr").get_data(as_text=True)

    assert "أصدقاء دجلة." in arabic and "Friends of the river." not in arabic
    assert "Friends of the river." in french


# --- Writing: moderators translate campaigns -----------------------------------------------


def translation_url(campaign, locale):
    return f"/moderation/campaigns/{campaign.slug}/translations/{locale}"


def test_a_moderator_translates_a_campaign(app, client, auth):
    with app_context(app):
        moderator = builders.make_moderator("mod@example.org")
        campaign = builders.make_campaign("Water for Basra")
        db.session.commit()
    auth.login("mod@example.org")

    page = client.get(translation_url(campaign, "ar"))
    assert page.status_code == 200
    title_input = re.search(r'<input[^>]*name="title"[^>]*>', page.get_data(as_text=True)).group(0)
    assert 'dir="rtl"' in title_input and 'lang="ar"' in title_input  # the fields take Arabic
    response = client.post(
        translation_url(campaign, "ar"),
        data={"title": " الماء للبصرة ", "summary": "ماء نظيف", "description": ""},
    )

    assert response.status_code == 302
    row = translation_of(app, CampaignTranslation, campaign.id, "ar")
    assert (row.title, row.summary) == ("الماء للبصرة", "ماء نظيف")
    entry = scalar(app, sa.select(AuditEntry))
    assert entry.actor_id == moderator.id and entry.target_id == campaign.id
    assert "ar" in entry.reason


def test_emptying_every_field_removes_the_translation(app, client, auth):
    with app_context(app):
        builders.make_moderator("mod@example.org")
        campaign = builders.make_campaign()
        add_campaign_translation(campaign, "fr", "Titre", "Résumé")
        db.session.commit()
    auth.login("mod@example.org")

    client.post(translation_url(campaign, "fr"), data={"title": "", "summary": "", "description": ""})

    assert translation_of(app, CampaignTranslation, campaign.id, "fr") is None


def test_a_translation_without_summary_is_refused_and_nothing_is_written(app, client, auth):
    with app_context(app):
        builders.make_moderator("mod@example.org")
        campaign = builders.make_campaign()
        db.session.commit()
    auth.login("mod@example.org")

    response = client.post(translation_url(campaign, "ckb"), data={"title": "ئاو بۆ بەسرە", "summary": ""})

    assert response.status_code == 200
    assert "summary" in response.get_data(as_text=True)
    assert count(app, CampaignTranslation) == 0
    assert count(app, AuditEntry) == 0


@pytest.mark.parametrize("locale", ["en", "de", "xx"])
def test_only_the_other_interface_languages_can_be_written(app, client, auth, locale):
    with app_context(app):
        builders.make_moderator("mod@example.org")
        campaign = builders.make_campaign()
        db.session.commit()
    auth.login("mod@example.org")

    assert client.get(translation_url(campaign, locale)).status_code == 404
    assert (
        client.post(translation_url(campaign, locale), data={"title": "T", "summary": "S"}).status_code == 404
    )


def test_members_cannot_translate_campaigns(app, client, auth):
    with app_context(app):
        builders.make_user(email="member@example.org")
        campaign = builders.make_campaign()
        db.session.commit()
    auth.login("member@example.org")

    response = client.post(translation_url(campaign, "ar"), data={"title": "T", "summary": "S"})

    assert response.status_code == 403
    assert count(app, CampaignTranslation) == 0


def test_visitors_are_sent_to_log_in(app, client):
    with app_context(app):
        campaign = builders.make_campaign()
        db.session.commit()

    response = client.get(translation_url(campaign, "ar"))

    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_the_service_refuses_non_moderators(app_ctx):
    member = builders.make_user()
    campaign = builders.make_campaign()

    with pytest.raises(NotAllowed):
        service.save_campaign_translation(member, campaign, "ar", title="T", summary="S", description="")


def test_the_service_refuses_a_language_outside_the_interface(app_ctx):
    moderator = builders.make_moderator()
    campaign = builders.make_campaign()

    with pytest.raises(DomainError):
        service.save_campaign_translation(moderator, campaign, "de", title="T", summary="S", description="")


# --- Writing: members translate their organization's description -------------------------


def test_a_member_writes_the_organization_description_in_another_language(app, client, auth):
    with app_context(app):
        user = builders.make_user(email="member@example.org")
        db.session.commit()
    auth.login("member@example.org")

    assert client.get("/account/translations/ckb").status_code == 200
    response = client.post("/account/translations/ckb", data={"description": "ڕێکخراوێکی مەدەنی."})

    assert response.status_code == 302
    row = translation_of(app, OrganizationTranslation, user.organization_id, "ckb")
    assert row.description == "ڕێکخراوێکی مەدەنی."
    # Saving it empty removes it again.
    client.post("/account/translations/ckb", data={"description": "  "})
    assert translation_of(app, OrganizationTranslation, user.organization_id, "ckb") is None


def test_a_member_edits_only_their_own_organization(app_ctx):
    member = builders.make_user()
    other = builders.make_organization()

    with pytest.raises(NotAllowed):
        service.save_organization_translation(member, other, "ar", description="نص")
    assert db.session.get(OrganizationTranslation, (other.id, "ar")) is None


def test_moderators_without_an_organization_have_no_description_to_translate(app, client, auth):
    with app_context(app):
        builders.make_moderator("mod@example.org")
        db.session.commit()
    auth.login("mod@example.org")

    assert client.get("/account/translations/ar").status_code == 403


def test_an_unknown_language_for_a_description_is_not_found(app, client, auth):
    with app_context(app):
        builders.make_user(email="member@example.org")
        db.session.commit()
    auth.login("member@example.org")

    assert client.get("/account/translations/de").status_code == 404


@pytest.mark.parametrize("path", ["/", "/campaigns/"])
def test_campaign_cards_read_in_the_readers_language_at_a_constant_cost(app, client, count_queries, path):
    def queries_for(n_campaigns):
        with app_context(app):
            for n in range(n_campaigns):
                campaign = builders.make_campaign(f"Campaign {n}")
                add_campaign_translation(campaign, "ar", f"حملة {campaign.id}", "ملخص")
            db.session.commit()
        with count_queries() as queries:
            html = client.get(f"{path}?lang=ar").get_data(as_text=True)
        return queries.count, html

    few, html = queries_for(2)
    many, _ = queries_for(8)

    assert "حملة" in html and "Campaign 0" not in html
    assert many == few


def test_the_link_partials_lead_to_the_translation_pages(app, app_ctx):
    from flask import render_template

    campaign = builders.make_campaign(slug="water-for-basra")
    with app.test_request_context("/"):
        app.preprocess_request()
        moderation = render_template("moderation/translations/_links.html", campaign=campaign)
        account = render_template("account/translations/_links.html")

    assert "/moderation/campaigns/water-for-basra/translations/ckb" in moderation
    assert "/translations/en" not in moderation  # English is the campaign's own text
    assert all(f"/account/translations/{code}" in account for code in ("en", "ar", "ckb", "fr"))

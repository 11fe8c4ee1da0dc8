"""Search in the languages people type: every translation is found, Arabic words with or
without their article, Kurdish typed on any keyboard, places by their name in any of the four
languages, and numbers in Eastern digits. The same on SQLite and on PostgreSQL."""

from __future__ import annotations

import importlib.util
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Campaign, CampaignTranslation, OrganizationStatus, User
from app.search_engine import ddl, engine, folding
from app.services import translations
from app.services.places import find_place, place_name
from tests.builders import make_campaign, make_moderator, make_organization, make_project, make_user
from tests.conftest import app_context


def titles(kind: str, query: str) -> list[str]:
    """What the search engine finds (in an application context)."""
    rows = engine.find(kind, query, limit=50)
    return sorted(row.name if kind == "organizations" else row.title for row in rows)


# The three campaigns the issue names, with their texts from the demo data.
ISF_CAMPAIGNS = {
    "Save the Tigris": {
        "ar": ("أنقذوا دجلة", "لنُبقِ دجلة والأهوار على قيد الحياة: الماء للناس، لا للسدود وحدها."),
        "ckb": (
            "دیجلە ڕزگار بکەن",
            "با دیجلە و هۆرەکان زیندوو بمێننەوە: ئاو بۆ خەڵک، نەک تەنها بۆ بەنداوەکان.",
        ),
        "fr": ("Sauvons le Tigre", "Garder en vie le Tigre et les marais."),
    },
    "Workers' Rights": {
        "ar": ("حقوق العمّال", "نقابات حرّة وعمل لائق لكل عامل في العراق."),
        "ckb": ("مافەکانی کرێکاران", "سەندیکای ئازاد و کاری شایستە بۆ هەموو کرێکارێک لە عێراق."),
        "fr": ("Droits des travailleurs", "Des syndicats libres et un travail décent."),
    },
    "Women's Rights": {
        "ar": ("حقوق المرأة", "حقوق متساوية، وحماية من العنف، وصوت حقيقي للنساء."),
        "ckb": ("مافەکانی ئافرەتان", "مافی یەکسان، پاراستن لە توندوتیژی و دەنگێکی ڕاستەقینە بۆ ئافرەتان."),
        "fr": ("Droits des femmes", "Des droits égaux et une vraie voix pour les femmes."),
    },
}


@pytest.fixture
def isf_campaigns(app):
    with app_context(app):
        for title, texts in ISF_CAMPAIGNS.items():
            campaign = make_campaign(title, summary=f"{title} in English.", description="")
            for locale, (translated_title, summary) in texts.items():
                db.session.add(
                    CampaignTranslation(
                        campaign_id=campaign.id, locale=locale, title=translated_title, summary=summary
                    )
                )
        db.session.commit()


# --- every language's text -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("دجلة", ["Save the Tigris"]),
        ("حقوق", ["Women's Rights", "Workers' Rights"]),
        ("المرأة", ["Women's Rights"]),
        ("العمال", ["Workers' Rights"]),
        ("للنساء", ["Women's Rights"]),
        ("دیجلە", ["Save the Tigris"]),
        ("کرێکاران", ["Workers' Rights"]),
        ("ئافرەتان", ["Women's Rights"]),
        ("Tigre", ["Save the Tigris"]),
        ("travailleurs", ["Workers' Rights"]),
    ],
)
def test_campaigns_are_found_by_their_text_in_every_language(isf_campaigns, app_ctx, query, found):
    assert titles("campaigns", query) == found


def test_search_page_finds_the_arabic_title_of_a_campaign(app, isf_campaigns, client):
    html = client.get("/search", query_string={"q": "أنقذوا دجلة"}).get_data(as_text=True)
    with app_context(app):
        tigris = db.session.scalar(
            sa.select(CampaignTranslation).where(CampaignTranslation.title == "أنقذوا دجلة")
        )
        assert f'href="/campaigns/{tigris.campaign.slug}"' in html


def test_a_translation_saved_changed_or_removed_is_searched_at_once(app_ctx):
    moderator = make_moderator()
    campaign = make_campaign("Save the Marshes", summary="Water for the marshes.")
    db.session.commit()
    assert titles("campaigns", "الأهوار") == []

    translations.save_campaign_translation(
        moderator, campaign, "ar", title="أنقذوا الأهوار", summary="الماء للأهوار.", description=""
    )
    db.session.commit()
    assert titles("campaigns", "الأهوار") == ["Save the Marshes"]
    assert titles("campaigns", "أهوار") == ["Save the Marshes"]

    campaign.title = "Save the Mesopotamian Marshes"  # the English text changes: Arabic still found
    db.session.commit()
    assert titles("campaigns", "الأهوار") == ["Save the Mesopotamian Marshes"]

    translations.save_campaign_translation(
        moderator, campaign, "ar", title="أنقذوا البطائح", summary="الماء للبطائح.", description=""
    )
    db.session.commit()
    assert titles("campaigns", "الأهوار") == []
    assert titles("campaigns", "البطائح") == ["Save the Mesopotamian Marshes"]

    translations.save_campaign_translation(moderator, campaign, "ar", title="", summary="", description="")
    db.session.commit()
    assert titles("campaigns", "البطائح") == []
    assert titles("campaigns", "marshes") == ["Save the Mesopotamian Marshes"]


def test_two_translations_saved_at_the_same_time_are_both_searched(app):
    # Each writer computes the campaign's search text from the translations it sees; without
    # a lock, the later one would write a text without the other's.
    with app_context(app):
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite lets one writer at a time (requests that write begin IMMEDIATE)")
        moderator = make_moderator()
        campaign = make_campaign("Save the Marshes")
        db.session.commit()
    campaign_id, moderator_id = campaign.id, moderator.id
    first_flushed = threading.Event()
    errors: list[BaseException] = []

    def save(locale: str, title: str, *, hold: bool) -> None:
        try:
            with app.app_context():
                if not hold:
                    first_flushed.wait(timeout=10)
                actor, target = db.session.get(User, moderator_id), db.session.get(Campaign, campaign_id)
                translations.save_campaign_translation(
                    actor, target, locale, title=title, summary=title, description=""
                )
                if hold:
                    first_flushed.set()
                    time.sleep(0.5)  # the other writer flushes meanwhile
                db.session.commit()
        except BaseException as error:  # reported below, in the main thread
            errors.append(error)
            first_flushed.set()

    threads = [
        threading.Thread(target=save, args=("ar", "أنقذوا الأهوار"), kwargs={"hold": True}),
        threading.Thread(target=save, args=("fr", "Sauvons les marais"), kwargs={"hold": False}),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    with app_context(app):
        assert titles("campaigns", "الأهوار") == ["Save the Marshes"]
        assert titles("campaigns", "marais") == ["Save the Marshes"]


def test_organization_descriptions_in_other_languages_are_found_for_approved_members_only(app_ctx):
    approved = make_organization("Amal Association", description="We teach children to read.")
    pending = make_organization(
        "Waiting Association", description="We teach too.", status=OrganizationStatus.PENDING
    )
    for org in (approved, pending):
        member = make_user(org)
        translations.save_organization_translation(member, org, "ar", description="نعلّم الأطفال القراءة.")
        translations.save_organization_translation(member, org, "ckb", description="فێری خوێندنەوە دەکەین.")
    db.session.commit()

    assert titles("organizations", "الأطفال") == ["Amal Association"]
    assert titles("organizations", "اطفال") == ["Amal Association"]
    assert titles("organizations", "خوێندنەوە") == ["Amal Association"]

    translations.save_organization_translation(approved.users[0], approved, "ar", description="")
    db.session.commit()
    assert titles("organizations", "الأطفال") == []


def test_hidden_projects_stay_hidden_whatever_the_language(app_ctx):
    org = make_organization("River Friends")
    make_project(org, title="مدرسة النهر", summary="دروس للأطفال.")
    make_project(org, title="قوارب النهر", summary="دروس أخرى.", hidden_at=db.func.now())
    db.session.commit()
    assert titles("projects", "نهر") == ["مدرسة النهر"]


def test_demo_data_campaigns_are_found_in_arabic_and_kurdish(app_ctx):
    from app.seeding import demo_data

    demo_data.load()
    db.session.commit()
    assert titles("campaigns", "دجلة") == ["Save the Tigris"]
    assert titles("campaigns", "العمال") == ["Workers' Rights"]
    assert titles("campaigns", "المرأة") == ["Women's Rights"]
    assert titles("campaigns", "دیجلە") == ["Save the Tigris"]
    assert titles("campaigns", "کرێکاران") == ["Workers' Rights"]


# --- the Arabic article and the clitics before it -------------------------------------------


@pytest.mark.parametrize(
    ("written", "typed"),
    [
        ("جمعية النساء العاملات", "نساء"),
        ("جمعية نساء العراق", "النساء"),
        ("مكتب النجف", "نجف"),
        ("فريق نجف", "النجف"),
        ("والنساء معاً", "النساء"),
        ("رابطة بالنجف", "النجف"),
        ("كالنخيل الباسق", "نخيل"),
        ("فالعمال أولاً", "العمال"),
        ("صوت للنساء", "النساء"),
        ("صوت للنساء", "نساء"),
        ("وبالعراق نعمل", "العراق"),
        ("المرأة العاملة", "مرأة"),
    ],
)
def test_arabic_words_are_found_with_or_without_their_article(app_ctx, written, typed):
    make_organization(written, description="")
    db.session.commit()
    assert titles("organizations", typed) == [written]


def test_the_stemmer_is_light_and_a_word_being_typed_still_matches(app_ctx):
    make_organization("والده", description="")  # "his father": not و + ال + ده
    make_organization("جمعية النساء", description="")
    db.session.commit()
    assert titles("organizations", "ده") == []
    assert titles("organizations", "والده") == ["والده"]
    # Typing «النساء» letter by letter finds it all the way.
    for typed in ("ال", "الن", "النس", "النساء"):
        assert titles("organizations", typed) == ["جمعية النساء"], typed


def test_query_words_lose_the_article_as_the_index_does():
    assert folding.query_terms("والنساء في النجف") == ["نساء", "في", "نجف"]
    assert folding.index_text("بالنجف") == "بالنجف نجف"


# --- Kurdish (Sorani) typed on a Kurdish or an Arabic keyboard -------------------------------


@pytest.mark.parametrize(
    ("written", "typed"),
    [
        ("دیجلە ڕزگار بکەن", "ديجله"),  # farsi yeh, ae
        ("دیجلە ڕزگار بکەن", "رزگار"),  # ڕ/ر
        ("مافەکانی کرێکاران", "كريكاران"),  # ک/ك, ێ/ي
        ("هۆرەکان", "هورهكان"),  # ۆ/و
        ("ئاو بۆ خەڵک", "خهلك"),  # ڵ/ل
        ("بەسرە", "\u0628\u0647\u200c\u0633\u0631\u0647"),  # heh + ZWNJ, as typed on an Arabic keyboard
        ("ڤیان", "فيان"),  # ڤ/ف
        ("کوردستان", "كوردستان"),
        ("مستشفى", "مستشفي"),  # alef maqsura
    ],
)
def test_kurdish_letters_match_however_they_are_typed(app_ctx, written, typed):
    make_organization(written, description="")
    db.session.commit()
    assert titles("organizations", typed) == [written]


# --- places: one list in four languages -----------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "Basra",
        "basrah",
        "Al-Basrah",
        "Basra governorate",
        "البصرة",
        "بصرة",
        "محافظة البصرة",
        "بەسرە",
        "Bassora",
    ],
)
def test_a_typed_city_is_matched_against_the_list(typed):
    assert find_place(typed).key == "basra"


def test_cities_and_governorates_are_distinct_places():
    assert find_place("Nineveh governorate").key == "nineveh"
    assert find_place("الموصل").key == "mosul"
    assert find_place("Mosul") != find_place("Nineveh")
    assert find_place("ذي قار").key == "dhi-qar"
    assert find_place("Springfield") is None
    assert find_place("") is None


def test_place_names_read_in_the_readers_language():
    assert place_name("Basra", "ar") == "البصرة"
    assert place_name("البصرة", "en") == "Basra"
    assert place_name("basrah", "ckb") == "بەسرە"
    assert place_name("Erbil", "ckb") == "هەولێر"
    assert place_name("Mosul", "fr") == "Mossoul"
    assert place_name("Springfield", "ar") == "Springfield"
    assert place_name("", "ar") == ""


@pytest.mark.parametrize("typed", ["البصرة", "بصرة", "بالبصرة", "بەسرە", "Bassora", "basra"])
def test_an_organization_is_found_by_its_city_in_any_language(app_ctx, typed):
    make_organization("Water Watch", city="Basra", description="Clean water.")
    make_organization("مرصد المياه", city="البصرة", description="مياه نظيفة.")
    make_organization("Mosul Water", city="Mosul", description="Clean water.")
    db.session.commit()
    assert titles("organizations", typed) == ["Water Watch", "مرصد المياه"]


def test_places_are_found_in_descriptions_and_projects_and_by_several_words(app_ctx):
    org = make_organization("Marsh Friends", city="ذي قار", description="We work around الناصرية.")
    make_organization("Tikrit Youth", city="Salah al-Din", description="Sport.")
    make_project(org, title="Boat school", place="أربيل")
    db.session.commit()
    assert titles("organizations", "Nasiriyah") == ["Marsh Friends"]
    assert titles("organizations", "Dhi Qar") == ["Marsh Friends"]
    assert titles("organizations", "صلاح الدين") == ["Tikrit Youth"]
    assert titles("projects", "Erbil") == ["Boat school"]
    assert titles("projects", "هەولێر") == ["Boat school"]
    # Other words still narrow the search.
    assert titles("organizations", "Nasiriyah sport") == []


def test_directory_shows_the_city_in_the_readers_language(app, client):
    with app_context(app):
        make_organization("Water Watch", city="Basra", country="IQ", slug="water-watch")
        make_organization("Nowhere Group", city="Springfield", country="IQ")
        db.session.commit()

    arabic = client.get("/organizations/?lang=ar").get_data(as_text=True)
    assert "العراق · <bdi>البصرة</bdi>" in arabic
    assert "العراق · <bdi>Springfield</bdi>" in arabic
    assert "Basra" not in arabic
    kurdish = client.get("/organizations/?lang=ckb").get_data(as_text=True)
    assert "عێراق · <bdi>بەسرە</bdi>" in kurdish
    english = client.get("/organizations/water-watch?lang=en").get_data(as_text=True)
    assert "Iraq · <bdi>Basra</bdi>" in english
    french = client.get("/search?q=water&lang=fr").get_data(as_text=True)
    assert "Irak · <bdi>Bassora</bdi>" in french


def test_project_place_reads_in_the_readers_language(app, client):
    with app_context(app):
        make_project(make_organization(), title="Boat school", place="Erbil", slug="boat-school")
        db.session.commit()
    html = client.get("/projects/boat-school?lang=ar").get_data(as_text=True)
    assert "أربيل" in html


# --- Arabic-Indic and Persian digits --------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "typed"),
    [
        ("Founded in 2003", "٢٠٠٣"),
        ("Founded in 2003", "۲۰۰۳"),
        ("تأسست عام ٢٠٠٣", "2003"),
        ("منذ ۱۹۹۱", "١٩٩١"),
    ],
)
def test_numbers_are_found_whatever_digits_they_are_written_in(app_ctx, written, typed):
    make_organization("Year Group", description=written)
    db.session.commit()
    assert titles("organizations", typed) == ["Year Group"]


# --- the migration holds a copy of this code --------------------------------------------------


def load_migration():
    path = Path(__file__).resolve().parent.parent / "migrations" / "versions" / "0006_multilingual_search.py"
    spec = importlib.util.spec_from_file_location("migration_0006_multilingual_search", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    return migration


def test_migration_holds_the_same_ddl_and_folding_as_the_application():
    migration = load_migration()
    assert migration.revision == "0006_multilingual_search"
    assert migration.SQLITE_DDL == ddl.SQLITE_DDL
    assert migration.POSTGRESQL_DDL == ddl.POSTGRESQL_DDL
    samples = [
        "جمعية الرّافدين للثقافة", "والنساء بالنجف وللعمال", "دیجلە ڕزگار بکەن", "مافەکانی کرێکاران",
        "Société Générale ØSTER", "تأسست عام ٢٠٠٣ — ۱۹۹۱", "\u0628\u0647\u200c\u0633\u0631\u0647",
        "ﷲ", "a_b c-d", "ٱلرحمن ﻻ", "",
    ]  # fmt: skip
    for text in samples:
        assert migration.index_text(text) == folding.index_text(text), text

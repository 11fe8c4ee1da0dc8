"""Names and text in several languages: an organization's name in each language (a name like its
main one), projects in each language, lists sorted as the reader's language sorts, user-written
text isolated from the page's direction, lists joined with the locale's separators."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import (
    AuditEntry,
    Organization,
    OrganizationStatus,
    OrganizationTranslation,
    ProjectTranslation,
)
from app.services import NotAllowed
from app.services import moderation as moderation_service
from app.services import translations as service
from app.sorting import sort_key
from app.templating import format_list
from tests.builders import (
    make_campaign,
    make_moderator,
    make_organization,
    make_pledge,
    make_project,
    make_user,
)
from tests.conftest import app_context, scalars
from tests.pages import page, queries_for


def member_of(organization, email="member@example.org"):
    user = make_user(organization, email=email)
    db.session.flush()
    return user


def translation_of(app, model, key):
    """A translation row as the database holds it now (None when there is none)."""
    with app_context(app):
        return db.session.get(model, key)


# --- An organization's name in each language ----------------------------------------------


def test_the_profile_shows_the_name_in_the_readers_language_with_fallback(app, client):
    with app_context(app):
        org = make_organization("Tigris Friends", slug="tigris-friends")
        member = member_of(org)
        service.save_organization_translation(member, org, "ar", description="", name="أصدقاء دجلة")
        db.session.commit()
    # Approved: the name waits for a moderator, as a rename does.
    assert "أصدقاء دجلة" not in page(client, "/organizations/tigris-friends?lang=ar")
    with app_context(app):
        moderator = make_moderator("mod@example.org")
        moderation_service.approve_translated_name(moderator, db.session.get(Organization, org.id), "ar")
        db.session.commit()

    arabic = page(client, "/organizations/tigris-friends?lang=ar")
    assert '<h1 dir="auto">أصدقاء دجلة</h1>' in arabic
    assert "<bdi>Tigris Friends</bdi>" in arabic  # the registered name stays, said once
    french = page(client, "/organizations/tigris-friends?lang=fr")
    assert '<h1 dir="auto">Tigris Friends</h1>' in french and "أصدقاء دجلة" not in french
    assert "<bdi>أصدقاء دجلة</bdi>" in page(client, "/organizations/?lang=ar")
    assert "<bdi>Tigris Friends</bdi>" in page(client, "/organizations/?lang=en")


def test_a_pending_organizations_name_in_a_language_applies_at_once(app_ctx):
    org = make_organization("Amal", status=OrganizationStatus.PENDING)
    member = member_of(org)
    translation = service.save_organization_translation(member, org, "ar", description="", name="أمل")
    assert translation.name == "أمل" and translation.proposed_name is None
    assert org.name_in("ar") == "أمل" and org.name_in("fr") == "Amal"


def test_a_moderator_refuses_a_name_in_a_language_with_a_reason(app, client, auth):
    with app_context(app):
        org = make_organization("Tigris Friends")
        member = member_of(org)
        service.save_organization_translation(member, org, "ar", description="", name="أصدقاء دجلة")
        make_moderator("mod@example.org")
        db.session.commit()
    auth.login("mod@example.org")
    queue = page(client, "/moderation/")
    assert "أصدقاء دجلة" in queue  # the request waits on the queue with the other new names
    response = client.post(
        f"/moderation/organizations/{org.id}/name/ar/reject", data={"reason": "Not your name."}
    )
    assert response.status_code == 302
    translation = translation_of(app, OrganizationTranslation, (org.id, "ar"))
    assert translation.proposed_name is None and translation.name is None
    reasons = scalars(app, sa.select(AuditEntry.reason).where(AuditEntry.organization_id == org.id))
    assert any("[ar] أصدقاء دجلة" in (reason or "") for reason in reasons)


@pytest.mark.parametrize(
    "name",
    [
        "Tigris Fr\u0456ends",  # a Cyrillic small i: a look-alike of another organization's name
        "TIGRIS  FRIENDS",  # case and spaces do not count
        "أصدقاء\u200bدجلة",  # a zero-width space
        "Amal\u202e",  # a right-to-left override
        "...",  # no letter
    ],
)
def test_a_name_in_a_language_goes_through_the_same_name_checks(app_ctx, name):
    make_organization("Tigris Friends")
    other = make_organization("Basra Youth")
    member = member_of(other)
    db.session.add(
        OrganizationTranslation(
            organization_id=make_organization("Third").id, locale="ar", name="أصدقاء دجلة"
        )
    )
    db.session.flush()
    with pytest.raises(service.InvalidName):
        service.save_organization_translation(member, other, "fr", description="", name=name)
    assert db.session.get(OrganizationTranslation, (other.id, "fr")) is None


def test_a_main_name_too_close_to_another_organizations_name_in_a_language_is_refused(app_ctx):
    org = make_organization("Tigris Friends", status=OrganizationStatus.PENDING)
    service.save_organization_translation(member_of(org), org, "ar", description="", name="أصدقاء دجلة")
    db.session.commit()
    from app.services import membership

    with pytest.raises(membership.NameTooClose):
        membership.check_name_available("اصدقاء دجله")  # the same name, letters folded


def test_the_editor_refuses_a_look_alike_name_next_to_the_field(app, client, auth):
    with app_context(app):
        make_organization("Tigris Friends")
        org = make_organization("Basra Youth")
        member_of(org)
        db.session.commit()
    auth.login("member@example.org")
    response = client.post(
        "/account/translations/fr", data={"name": "Tigris Fr\u0456ends", "description": ""}
    )
    assert response.status_code == 200
    assert "too close" in response.get_data(as_text=True)
    assert translation_of(app, OrganizationTranslation, (org.id, "fr")) is None


def test_a_suspended_organization_cannot_give_a_name_in_a_language(app, client, auth):
    with app_context(app):
        org = make_organization("Amal", status=OrganizationStatus.SUSPENDED)
        member = member_of(org)
        db.session.commit()
        with pytest.raises(NotAllowed):
            service.save_organization_translation(member, org, "ar", description="", name="أمل")
    auth.login("member@example.org")
    assert client.post("/account/translations/ar", data={"name": "أمل", "description": ""}).status_code == 403


def test_search_finds_an_organization_by_its_name_in_another_language(app, client):
    with app_context(app):
        org = make_organization("Tigris Friends", status=OrganizationStatus.PENDING)
        service.save_organization_translation(member_of(org), org, "ar", description="", name="أصدقاء دجلة")
        org.status = OrganizationStatus.APPROVED
        db.session.commit()
    html = page(client, "/search?q=دجلة&lang=ar")
    assert "أصدقاء دجلة" in html


# --- Projects in each language --------------------------------------------------------------


def test_a_member_translates_a_project_and_readers_see_it_with_fallback(app, client, auth):
    with app_context(app):
        org = make_organization("Amal")
        member_of(org)
        project = make_project(org, title="Clean Water", summary="Wells for villages.", description="How.")
        db.session.commit()
    auth.login("member@example.org")
    editor = page(client, f"/account/projects/{project.id}/translations/ar")
    assert 'lang="ar"' in editor and 'dir="rtl"' in editor
    response = client.post(
        f"/account/projects/{project.id}/translations/ar",
        data={"title": "ماء نظيف", "summary": "", "description": "كيف نعمل."},
    )
    assert response.status_code == 302
    assert translation_of(app, ProjectTranslation, (project.id, "ar")).title == "ماء نظيف"

    arabic = page(client, f"/projects/{project.slug}?lang=ar")
    assert '<h1 dir="auto" lang="ar">ماء نظيف</h1>' in arabic
    assert '<p class="lead" dir="auto">Wells for villages.</p>' in arabic  # the summary falls back
    assert "كيف نعمل." in arabic
    assert "ماء نظيف" in page(client, "/projects/?lang=ar")
    assert "ماء نظيف" not in page(client, f"/projects/{project.slug}?lang=fr")


def test_another_organization_cannot_translate_a_project(app, client, auth):
    with app_context(app):
        project = make_project(make_organization("Amal"), title="Clean Water")
        member_of(make_organization("Other"))
        db.session.commit()
    auth.login("member@example.org")
    assert client.get(f"/account/projects/{project.id}/translations/ar").status_code == 404
    response = client.post(f"/account/projects/{project.id}/translations/ar", data={"title": "ماء"})
    assert response.status_code == 404
    assert translation_of(app, ProjectTranslation, (project.id, "ar")) is None


def test_a_suspended_organization_cannot_translate_its_project(app_ctx):
    org = make_organization("Amal")
    project = make_project(org, title="Clean Water")
    member = member_of(org)
    org.status = OrganizationStatus.SUSPENDED
    with pytest.raises(NotAllowed):
        service.save_project_translation(member, project, "ar", title="ماء")


def test_search_finds_a_project_by_its_title_in_another_language(app, client):
    with app_context(app):
        org = make_organization("Amal")
        project = make_project(org, title="Clean Water")
        service.save_project_translation(member_of(org), project, "ar", title="آبار الفرات")
        db.session.commit()
    assert "آبار الفرات" in page(client, "/search?q=الفرات&lang=ar")


def test_project_lists_in_another_language_cost_no_more_queries(app, client, count_queries):
    with app_context(app):
        org = make_organization("Amal")
        member = member_of(org)
        for n in range(3):
            project = make_project(org, title=f"Project {n}")
            service.save_project_translation(member, project, "ar", title=f"مشروع {n}")
        db.session.commit()
    english = queries_for(client, count_queries, "/projects/?lang=en").count
    assert queries_for(client, count_queries, "/projects/?lang=ar").count == english


# --- Sorted in the reader's language ---------------------------------------------------------


ARABIC_NAMES = ["بيت الحكمة", "إحسان", "Zed Group", "الأمل", "أمان", "ابتكار", "آفاق", "تجمع", "ثقافة"]


def test_arabic_names_sort_as_arabic_readers_expect():
    ordered = sorted(ARABIC_NAMES, key=lambda name: sort_key(name, "ar"))
    # Alef in all its forms together, before ب; the article does not count; Latin after Arabic.
    assert ordered == ["ابتكار", "إحسان", "آفاق", "أمان", "الأمل", "بيت الحكمة", "تجمع", "ثقافة", "Zed Group"]
    assert sorted(ARABIC_NAMES, key=lambda name: sort_key(name, "en"))[0] == "Zed Group"
    # Tashkeel and tatweel do not count; ة sorts with ت, ى with ي.
    assert sort_key("جَمعيّة", "ar") == sort_key("جمعية", "ar") == sort_key("جمعـيـة", "ar")
    assert sort_key("مصطفى", "ar") == sort_key("مصطفي", "ar")


def test_the_directory_is_sorted_in_the_readers_language(app, client):
    with app_context(app):
        for name in ARABIC_NAMES:
            make_organization(name)
        db.session.commit()
    html = page(client, "/organizations/?lang=ar")
    positions = [
        html.index(f"<bdi>{name}</bdi>")
        for name in ("ابتكار", "إحسان", "آفاق", "أمان", "الأمل", "بيت الحكمة")
    ]
    assert positions == sorted(positions)
    assert html.index("<bdi>ثقافة</bdi>") < html.index("<bdi>Zed Group</bdi>")
    english = page(client, "/organizations/?lang=en")
    assert english.index("<bdi>Zed Group</bdi>") < english.index("<bdi>آفاق</bdi>")


def test_a_name_in_a_language_sorts_the_directory_in_that_language(app, client):
    with app_context(app):
        make_organization("Basra Youth")
        org = make_organization("Zakho Friends", status=OrganizationStatus.PENDING)
        service.save_organization_translation(member_of(org), org, "ar", description="", name="أصدقاء زاخو")
        org.status = OrganizationStatus.APPROVED
        db.session.commit()
    arabic = page(client, "/organizations/?lang=ar")
    assert arabic.index("أصدقاء زاخو") < arabic.index("Basra Youth")
    english = page(client, "/organizations/?lang=en")
    assert english.index("Basra Youth") < english.index("Zakho Friends")


def test_the_directory_pages_keep_their_order(app, client):
    app.config["PAGE_SIZE"] = 10
    letters = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"
    names = [f"{first}{second} جمعية" for first in "أبت" for second in letters[:9]][:25]
    with app_context(app):
        for name in reversed(names):
            make_organization(name)
        db.session.commit()
    seen = []
    for number in (1, 2, 3):
        html = page(client, f"/organizations/?lang=ar&page={number}")
        seen += sorted((name for name in names if f"<bdi>{name}</bdi>" in html), key=lambda n: html.index(n))
    assert len(seen) == len(set(seen)) == 25
    assert seen == sorted(names, key=lambda name: sort_key(name, "ar"))


# --- Mixed directions -----------------------------------------------------------------------


class Elements(HTMLParser):
    """Each element's tag, attributes and direct text."""

    def __init__(self):
        super().__init__()
        self.stack: list[list] = []
        self.found: list[tuple[str, dict, str]] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("br", "img", "input", "meta", "link", "hr"):
            return
        self.stack.append([tag, dict(attrs), ""])

    def handle_endtag(self, tag):
        while self.stack:
            item = self.stack.pop()
            self.found.append(tuple(item))
            if item[0] == tag:
                break

    def handle_data(self, data):
        if self.stack:
            self.stack[-1][2] += data


def elements(html: str) -> list[tuple[str, dict, str]]:
    parser = Elements()
    parser.feed(html)
    return parser.found


def test_user_written_text_is_isolated_on_every_page(app, client):
    with app_context(app):
        campaign = make_campaign(slug="water", title="Water")
        org = make_organization("Iraqi Women Network", slug="iwn", description="We **work**.", city="Basra")
        make_pledge(org, campaign, message="We stand with Basra.")
        make_project(org, [campaign], title="Clean Water", summary="Wells.")
        db.session.commit()

    profile = elements(page(client, "/organizations/iwn?lang=ar"))
    assert any(
        tag == "h1" and attrs.get("dir") == "auto" and text == "Iraqi Women Network"
        for tag, attrs, text in profile
    )
    assert any(tag == "p" and attrs.get("dir") == "auto" and "We " in text for tag, attrs, text in profile)
    assert any(tag == "blockquote" and attrs.get("dir") == "auto" for tag, attrs, text in profile)

    campaign_page = elements(page(client, "/campaigns/water?lang=ar"))
    assert any(tag == "bdi" and text == "Iraqi Women Network" for tag, attrs, text in campaign_page)
    assert any(
        tag == "blockquote" and attrs.get("dir") == "auto" and text == "We stand with Basra."
        for tag, attrs, text in campaign_page
    )
    assert any(tag == "h3" and attrs.get("dir") == "auto" for tag, attrs, text in campaign_page)

    projects = elements(page(client, "/projects/?lang=ar"))
    assert any(tag == "bdi" and text == "Iraqi Women Network" for tag, attrs, text in projects)
    assert any(
        tag == "p" and attrs.get("dir") == "auto" and text == "Wells." for tag, attrs, text in projects
    )


def test_lists_use_the_locales_separators(app):
    import flask_babel

    with app.test_request_context("/?lang=ar"):
        flask_babel.refresh()
        assert format_list(["أ", "ب", "ج"]) == "أ، ب و ج"
        assert format_list(["أ"]) == "أ"
        assert format_list(["<b>", "x"]) == "&lt;b&gt; و x"  # plain text stays text
    with app.test_request_context("/?lang=fr"):
        flask_babel.refresh()
        assert format_list(["a", "b", "c"]) == "a, b et c"
    with app.test_request_context("/?lang=en"):
        flask_babel.refresh()
        assert format_list(["a", "b", "c"]) == "a, b, and c"


def test_a_projects_campaigns_are_joined_the_arabic_way(app, client):
    with app_context(app):
        org = make_organization("Amal")
        campaigns = [make_campaign(title=title) for title in ("Water", "Schools", "Clinics")]
        make_project(org, campaigns, title="Clean Water")
        db.session.commit()
    html = page(client, "/projects/?lang=ar")
    assert html.count("</a>، <a") == 1 and html.count("</a> و <a") == 1


# --- Leaving -----------------------------------------------------------------------------------


def test_erasing_an_organization_erases_its_names_in_every_language(app):
    from app.services import leaving

    with app_context(app):
        org = make_organization("Tigris Friends")
        member = member_of(org)
        project = make_project(org, title="Clean Water")
        service.save_project_translation(member, project, "ar", title="آبار الفرات")
        service.save_organization_translation(member, org, "ar", description="", name="أصدقاء دجلة")
        moderator = make_moderator("mod@example.org")
        moderation_service.approve_translated_name(moderator, org, "ar", "Fine.")
        moderation_service.suspend_organization(
            moderator, org, "A complaint about أصدقاء دجلة and آبار الفرات."
        )
        db.session.commit()
        org_id = org.id

    with app_context(app):  # as the scheduled erasure runs: in a session of its own
        leaving.erase_organization(db.session.get(Organization, org_id), "test")
        db.session.commit()

    assert scalars(app, sa.select(ProjectTranslation)) == []
    reasons = "\n".join(scalars(app, sa.select(AuditEntry.reason)) or [""])
    assert "أصدقاء دجلة" not in reasons and "آبار الفرات" not in reasons
    assert f"organization #{org_id}" in reasons

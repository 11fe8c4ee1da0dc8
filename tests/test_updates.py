"""Campaign life: coordinators, campaign and project updates, their history and feed.

Who coordinates is decided once (app/services/coordinators.py: ``may_coordinate``); what anyone
sees of an update follows the visibility rule (app/services/visibility.py).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import (
    AuditAction,
    AuditEntry,
    CampaignCoordinator,
    LinkVisibility,
    OrganizationStatus,
    Project,
    Update,
    UpdateRevision,
    UpdateText,
)
from app.models.base import utcnow
from app.services import DomainError, NotAllowed, coordinators, updates
from tests.builders import (
    make_campaign,
    make_moderator,
    make_organization,
    make_project,
    make_user,
)
from tests.conftest import app_context, count, log_in, scalar, scalars
from tests.pages import page

ATOM = "{http://www.w3.org/2005/Atom}"


def _texts(**by_locale):
    return {locale: words for locale, words in by_locale.items()}


@pytest.fixture
def network(app):
    """Save the Tigris coordinated by the River Keepers; an outsider organization; a moderator."""
    with app_context(app):
        campaign = make_campaign("Save the Tigris", slug="save-the-tigris")
        keepers = make_organization("River Keepers", slug="river-keepers")
        outsider = make_organization("Outsider Group", slug="outsider")
        coordinator = make_user(keepers, email="keeper@example.org")
        other = make_user(outsider, email="other@example.org")
        moderator = make_moderator("mod@example.org")
        db.session.add(CampaignCoordinator(campaign_id=campaign.id, organization_id=keepers.id))
        db.session.commit()
        return {
            "campaign": campaign, "keepers": keepers, "outsider": outsider,
            "coordinator": coordinator, "other": other, "moderator": moderator,
        }  # fmt: skip


def _post(app, network, *, title="Dam talks resume", body="We met the ministry.", locale="en", **extra):
    with app_context(app):
        campaign = db.session.merge(network["campaign"], load=True)
        actor = db.session.merge(network["coordinator"], load=True)
        update = updates.post_campaign_update(campaign, actor, {locale: (title, body)}, **extra)
        db.session.commit()
        return update.id


# --- Who coordinates ---------------------------------------------------------------------------


def test_may_coordinate_is_moderators_and_members_of_named_listed_organizations(app, network):
    with app_context(app):
        campaign = db.session.merge(network["campaign"])
        keeper = db.session.merge(network["coordinator"])
        assert coordinators.may_coordinate(keeper, campaign)
        assert coordinators.may_coordinate(db.session.merge(network["moderator"]), campaign)
        assert not coordinators.may_coordinate(db.session.merge(network["other"]), campaign)
        assert not coordinators.may_coordinate(None, campaign)
        # An organization out of public view (dark, suspended) no longer coordinates.
        keeper.organization.dark_at = utcnow()
        db.session.flush()
        assert not coordinators.may_coordinate(keeper, campaign)
        keeper.organization.dark_at = None
        keeper.organization.status = OrganizationStatus.SUSPENDED
        db.session.flush()
        assert not coordinators.may_coordinate(keeper, campaign)
        db.session.rollback()


def test_moderator_names_and_removes_a_coordinator_with_audit_entries(app, network, client):
    log_in(client, "mod@example.org")
    campaign_id, outsider_id = network["campaign"].id, network["outsider"].id
    url = f"/moderation/campaigns/{campaign_id}/coordinators"
    assert "Outsider Group" in page(client, url)
    response = client.post(url, data={"organization_id": str(outsider_id)})
    assert response.status_code == 302
    assert count(app, CampaignCoordinator, CampaignCoordinator.organization_id == outsider_id) == 1
    response = client.post(f"{url}/{outsider_id}/remove")
    assert response.status_code == 302
    assert count(app, CampaignCoordinator, CampaignCoordinator.organization_id == outsider_id) == 0
    actions = scalars(app, sa.select(AuditEntry.action).order_by(AuditEntry.id))
    assert actions[-2:] == [AuditAction.COORDINATOR_NAMED, AuditAction.COORDINATOR_REMOVED]


def test_only_approved_organizations_can_be_named(app, network):
    with app_context(app):
        pending = make_organization("Pending Org", status=OrganizationStatus.PENDING)
        campaign = db.session.merge(network["campaign"])
        with pytest.raises(DomainError):
            coordinators.name_coordinator(campaign, pending, db.session.merge(network["moderator"]))
        with pytest.raises(NotAllowed):
            coordinators.name_coordinator(campaign, pending, db.session.merge(network["other"]))
        db.session.rollback()


def test_members_cannot_reach_the_coordinators_page(network, client):
    log_in(client, "keeper@example.org")
    assert client.get(f"/moderation/campaigns/{network['campaign'].id}/coordinators").status_code == 403


# --- Posting -----------------------------------------------------------------------------------


def test_a_coordinator_posts_an_update_in_arabic_shown_with_fallback(app, network, client):
    log_in(client, "keeper@example.org")
    response = client.post(
        "/campaigns/save-the-tigris/updates/new",
        data={"title_ar": "عادت المياه", "body_ar": "**خبر** سار", "project_id": ""},
    )
    assert response.status_code == 302
    update = scalar(app, sa.select(Update))
    assert update.locale == "ar" and update.organization_id == network["keepers"].id
    client.get("/?lang=en")
    html = page(client, "/campaigns/save-the-tigris")
    assert "عادت المياه" in html and 'lang="ar"' in html and "<strong>خبر</strong>" in html
    assert "River Keepers" in html  # named as the coordinator and the author


def test_others_may_not_post_and_nothing_is_written(app, network, client):
    log_in(client, "other@example.org")
    response = client.post("/campaigns/save-the-tigris/updates/new", data={"title_en": "Fake news"})
    assert response.status_code == 403
    assert count(app, Update) == 0


def test_an_update_needs_words_in_one_language(app, network, client):
    log_in(client, "keeper@example.org")
    response = client.post("/campaigns/save-the-tigris/updates/new", data={"body_fr": "Sans titre"})
    assert response.status_code == 400
    response = client.post("/campaigns/save-the-tigris/updates/new", data={})
    assert response.status_code == 400
    assert "at least one language" in response.get_data(as_text=True)
    assert count(app, Update) == 0


def test_markdown_is_sanitized_as_descriptions_are(app, network, client):
    _post(app, network, body="<script>alert(1)</script> [x](javascript:alert(1)) [ok](https://example.org)")
    html = page(client, "/campaigns/save-the-tigris")
    assert "<script>alert" not in html and 'href="javascript:' not in html
    assert 'href="https://example.org"' in html


def test_a_visitor_sees_the_readers_language_and_falls_back(app, network, client):
    with app_context(app):
        campaign = db.session.merge(network["campaign"])
        updates.post_campaign_update(
            campaign, db.session.merge(network["coordinator"]),
            {"en": ("Dam talks resume", ""), "fr": ("Reprise des discussions", "")},
        )  # fmt: skip
        db.session.commit()
    assert "Reprise des discussions" in page(client, "/campaigns/save-the-tigris?lang=fr")
    html = page(client, "/campaigns/save-the-tigris?lang=ckb")
    assert "Dam talks resume" in html and "Reprise" not in html


# --- Editing, history, deleting ----------------------------------------------------------------


def test_editing_keeps_the_former_words(app, network, client):
    update_id = _post(app, network, title="First title")
    log_in(client, "keeper@example.org")
    response = client.post(
        f"/updates/{update_id}/edit", data={"title_en": "Better title", "body_en": "More."}
    )
    assert response.status_code == 302
    assert scalar(app, sa.select(UpdateText.title).where(UpdateText.update_id == update_id)) == "Better title"
    assert scalars(app, sa.select(UpdateRevision.title)) == ["First title"]
    history = page(client, f"/updates/{update_id}/history")
    assert "First title" in history


def test_deleting_hides_with_a_reason_everywhere_and_a_moderator_restores(app, network, client):
    update_id = _post(app, network, title="Wrong figures")
    assert "Wrong figures" in page(client, "/campaigns/save-the-tigris")
    log_in(client, "keeper@example.org")
    assert client.post(f"/updates/{update_id}/delete", data={"reason": ""}).status_code == 400
    response = client.post(f"/updates/{update_id}/delete", data={"reason": "The figures were wrong."})
    assert response.status_code == 302
    client.post("/auth/logout")
    visitor = client.application.test_client()
    for url in ("/campaigns/save-the-tigris", "/", "/campaigns/save-the-tigris/updates.atom"):
        assert "Wrong figures" not in visitor.get(url).get_data(as_text=True), url
    entry = scalar(app, sa.select(AuditEntry).where(AuditEntry.action == AuditAction.UPDATE_HIDDEN))
    assert entry.reason == "The figures were wrong." and entry.target_id == update_id
    # Its pages are not found by those who may not edit it.
    other = client.application.test_client()
    log_in(other, "other@example.org")
    assert other.get(f"/updates/{update_id}/history").status_code == 404
    moderator = client.application.test_client()
    log_in(moderator, "mod@example.org")
    assert "The figures were wrong." in page(moderator, f"/updates/{update_id}/history")
    assert moderator.post(f"/updates/{update_id}/restore").status_code == 302
    assert "Wrong figures" in page(visitor, "/campaigns/save-the-tigris")


# --- Visibility --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"dark_at": utcnow()},
        {"delisted_at": utcnow()},
        {"deletion_requested_at": utcnow()},
        {"status": OrganizationStatus.SUSPENDED},
    ],
    ids=["dark", "delisted", "being-deleted", "suspended"],
)
def test_updates_of_an_organization_out_of_public_view_show_nowhere(app, network, client, change):
    _post(app, network, title="Keepers report")
    with app_context(app):
        keepers = db.session.merge(network["keepers"])
        for name, value in change.items():
            setattr(keepers, name, value)
        db.session.commit()
    for url in ("/campaigns/save-the-tigris", "/", "/campaigns/save-the-tigris/updates.atom"):
        html = page(client, url)
        assert "Keepers report" not in html, url
        assert "River Keepers" not in html, url


def test_a_linked_project_shows_only_while_in_public_view(app, network, client):
    with app_context(app):
        campaign = db.session.merge(network["campaign"])
        project = make_project(
            db.session.merge(network["outsider"]), [campaign], "Clean Banks", slug="clean-banks",
            link_visibility=LinkVisibility.PUBLIC,
        )  # fmt: skip
        db.session.commit()
        project_id = project.id
    _post(app, network, title="Banks cleaned", project_id=project_id)
    assert "/projects/clean-banks" in page(client, "/campaigns/save-the-tigris")
    with app_context(app):
        hidden = db.session.get(Project, project_id)
        hidden.hidden_at = utcnow()
        hidden.hidden_reason = "Spam"
        db.session.commit()
    html = page(client, "/campaigns/save-the-tigris")
    assert "Banks cleaned" in html and "/projects/clean-banks" not in html


def test_project_updates_by_its_organization_on_the_project_page(app, network, client):
    with app_context(app):
        make_project(db.session.merge(network["keepers"]), [], "River School", slug="river-school")
        db.session.commit()
    other = client.application.test_client()
    log_in(other, "other@example.org")
    assert other.post("/projects/river-school/updates/new", data={"title_en": "x"}).status_code == 403
    log_in(client, "keeper@example.org")
    response = client.post("/projects/river-school/updates/new", data={"title_en": "Classes begin"})
    assert response.status_code == 302
    visitor = client.application.test_client()
    assert "Classes begin" in page(visitor, "/projects/river-school")
    with app_context(app):
        keepers = db.session.merge(network["keepers"])
        keepers.dark_at = utcnow()
        db.session.commit()
    assert visitor.get("/projects/river-school").status_code == 404
    with app_context(app):
        project = db.session.scalar(sa.select(Project).where(Project.slug == "river-school"))
        assert updates.project_updates(project) == []


# --- Lists and feed ----------------------------------------------------------------------------


def test_campaign_page_pages_its_updates_newest_first(app, network, client):
    for n in range(1, updates.CAMPAIGN_PAGE_SIZE + 2):
        _post(app, network, title=f"Update number {n:02d}")
    html = page(client, "/campaigns/save-the-tigris")
    assert html.index("Update number 06") < html.index("Update number 02")
    assert "Update number 01" not in html and "updates=2" in html
    older = page(client, "/campaigns/save-the-tigris?updates=2")
    assert "Update number 01" in older and "Update number 06" not in older


def test_home_page_shows_the_latest_updates(app, network, client):
    _post(app, network, title="Home worthy news")
    assert "Home worthy news" in page(client, "/")


def test_the_atom_feed_is_valid_and_newest_first(app, network, client):
    _post(app, network, title="Older news")
    _post(app, network, title="Newer news", body="*Good* news")
    response = client.get("/campaigns/save-the-tigris/updates.atom")
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    root = ET.fromstring(response.data)  # noqa: S314  # the app's own answer in a test
    assert root.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated"):
        assert root.find(f"{ATOM}{required}") is not None
    entries = root.findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}title").text for e in entries] == ["Newer news", "Older news"]
    for entry in entries:
        for required in ("id", "title", "updated", "author"):
            assert entry.find(f"{ATOM}{required}") is not None
    assert "<em>Good</em>" in entries[0].find(f"{ATOM}content").text
    html = page(client, "/campaigns/save-the-tigris")
    assert (
        'rel="alternate" type="application/atom+xml" href="/campaigns/save-the-tigris/updates.atom"' in html
    )

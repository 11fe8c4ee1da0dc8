"""Accepted co-sponsors post updates on the projects they co-sponsor (issue #20), edit and delete
their own; an invitation still open, declined or withdrawn gives no such right. The rule is
updates.may_post_on_project; the page's "Post an update" link is the reader's own (a fragment
slot) and the links to manage updates are only in the body its organization's members share."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import CosponsorStatus, Project, ProjectCosponsor, Update, User
from app.services import NotAllowed, updates
from tests import builders
from tests.conftest import app_context, empty_all_tables, log_in, scalar, scalars
from tests.test_fragments import bodies, logged_in, page, store

PROJECT = "/projects/reed-beds"


def _network():
    owner = builders.make_organization("River Keepers", slug="river-keepers")
    project = builders.make_project(owner, [], "Reed Beds", slug="reed-beds")
    builders.make_user(owner, email="owner@example.org")
    for name, slug, status in (
        ("Lawyers Abroad", "lawyers-abroad", CosponsorStatus.ACCEPTED),
        ("Declining Friends", "declining-friends", CosponsorStatus.DECLINED),
        ("Undecided Friends", "undecided-friends", CosponsorStatus.INVITED),
    ):
        organization = builders.make_organization(name, slug=slug, country="IT")
        builders.make_user(organization, email=f"{slug}@example.org")
        db.session.add(
            ProjectCosponsor(project_id=project.id, organization_id=organization.id, status=status)
        )
    builders.make_user(
        builders.make_organization("Bystanders", slug="bystanders"), email="bystanders@example.org"
    )
    db.session.flush()
    return project


@pytest.fixture
def world(app):
    with app_context(app):
        project = _network()
        db.session.commit()
        return {"project_id": project.id}


def _client(app, email):
    client = app.test_client()
    log_in(client, email)
    return client


def _html(response):
    return response.get_data(as_text=True)


def _post(client, title="From the lawyers"):
    return client.post(f"{PROJECT}/updates/new", data={"title_en": title, "body_en": "We filed the brief."})


def _update_id(app, title):
    return scalar(app, sa.select(Update.id).join(Update.texts).where(sa.text("title = :t")).params(t=title))


def test_an_accepted_cosponsor_posts_edits_and_deletes_its_own_updates(app, world):
    cosponsor = _client(app, "lawyers-abroad@example.org")
    project_page = _html(cosponsor.get(PROJECT))
    assert f'href="{PROJECT}/updates/new"' in project_page
    assert cosponsor.get(f"{PROJECT}/updates/new").status_code == 200
    assert _post(cosponsor).status_code == 302
    update_id = _update_id(app, "From the lawyers")
    with app_context(app):
        update = db.session.get(Update, update_id)
        # Posted in the co-sponsor's name, on the owner's project.
        assert update.organization.slug == "lawyers-abroad" and update.project.slug == "reed-beds"
    public = _html(app.test_client().get(PROJECT))
    assert "From the lawyers" in public and "by <bdi>Lawyers Abroad</bdi>" in public
    assert f"/updates/{update_id}/edit" not in public

    assert f"/updates/{update_id}/edit" in _html(cosponsor.get(PROJECT))
    response = cosponsor.post(
        f"/updates/{update_id}/edit", data={"title_en": "Brief filed", "body_en": "Done."}
    )
    assert response.status_code == 302
    assert "Brief filed" in _html(app.test_client().get(PROJECT))
    assert (
        cosponsor.post(f"/updates/{update_id}/delete", data={"reason": "Posted too early."}).status_code
        == 302
    )
    assert "Brief filed" not in _html(app.test_client().get(PROJECT))


def test_a_cosponsor_cannot_touch_the_owners_updates_and_the_owner_cannot_rewrite_a_cosponsors(app, world):
    owner = _client(app, "owner@example.org")
    assert _post(owner, "From the keepers").status_code == 302
    cosponsor = _client(app, "lawyers-abroad@example.org")
    assert _post(cosponsor).status_code == 302
    own, theirs = _update_id(app, "From the keepers"), _update_id(app, "From the lawyers")

    cosponsor_page = _html(cosponsor.get(PROJECT))
    assert f"/updates/{theirs}/edit" in cosponsor_page
    assert f"/updates/{own}/edit" not in cosponsor_page and f"/updates/{own}/delete" not in cosponsor_page
    for url in (f"/updates/{own}/edit", f"/updates/{own}/delete", f"/updates/{own}/history"):
        assert cosponsor.get(url).status_code == 404
    assert cosponsor.post(f"/updates/{own}/delete", data={"reason": "Not ours"}).status_code == 404

    # The owner keeps its page: it may take a co-sponsor's update down, never rewrite its words.
    owner_page = _html(owner.get(PROJECT))
    assert f"/updates/{theirs}/delete" in owner_page and f"/updates/{theirs}/edit" not in owner_page
    assert owner.post(f"/updates/{theirs}/edit", data={"title_en": "Rewritten"}).status_code == 404
    assert owner.post(f"/updates/{theirs}/delete", data={"reason": "Off topic."}).status_code == 302
    with app_context(app):
        assert db.session.get(Update, theirs).is_hidden


@pytest.mark.parametrize(
    "email", ["declining-friends@example.org", "undecided-friends@example.org", "bystanders@example.org"]
)
def test_an_organization_that_does_not_cosponsor_may_not_post(app, world, email):
    client = _client(app, email)
    assert f"{PROJECT}/updates/new" not in _html(client.get(PROJECT))
    assert client.get(f"{PROJECT}/updates/new").status_code == 403
    assert _post(client).status_code == 403
    assert scalar(app, sa.select(sa.func.count(Update.id))) == 0
    with app_context(app):
        user = db.session.scalar(sa.select(User).where(User.email == email))
        project = db.session.get(Project, world["project_id"])
        assert not updates.may_post_on_project(user, project)
        with pytest.raises(NotAllowed):
            updates.post_project_update(project, user, {"en": ("Sneaky", "")})


def test_a_cosponsor_that_withdraws_loses_the_right_to_post_and_edit(app, world):
    cosponsor = _client(app, "lawyers-abroad@example.org")
    assert _post(cosponsor).status_code == 302
    update_id = _update_id(app, "From the lawyers")
    assert "Stop co-sponsoring" in _html(cosponsor.get("/solidarity/cosponsorships"))
    response = cosponsor.post(f"/solidarity/cosponsorships/{world['project_id']}/withdraw")
    assert response.status_code == 302
    assert "Lawyers Abroad" not in _html(app.test_client().get(PROJECT)).split('id="updates"')[0]
    # Only a co-sponsor withdraws: a second time, or an invitation still open, is refused.
    assert cosponsor.post(f"/solidarity/cosponsorships/{world['project_id']}/withdraw").status_code == 302
    undecided = _client(app, "undecided-friends@example.org")
    undecided.post(f"/solidarity/cosponsorships/{world['project_id']}/withdraw")
    statuses = scalars(app, sa.select(ProjectCosponsor.status).order_by(ProjectCosponsor.organization_id))
    assert statuses.count(CosponsorStatus.ACCEPTED) == 0 and CosponsorStatus.INVITED in statuses
    assert f"{PROJECT}/updates/new" not in _html(cosponsor.get(PROJECT))
    assert _post(cosponsor, "After leaving").status_code == 403
    assert cosponsor.get(f"/updates/{update_id}/edit").status_code == 404
    assert cosponsor.post(f"/updates/{update_id}/delete", data={"reason": "x"}).status_code == 404


# --- The shared fragments ----------------------------------------------------------------


@pytest.fixture
def cached_app(make_app, tmp_path):
    application = make_app(
        PAGE_CACHE=True,
        PAGE_CACHE_GENERATION_FILE=str(tmp_path / "generation"),
        SITE_URL="http://localhost",
        WTF_CSRF_ENABLED=True,
    )
    with app_context(application):
        _network()
        db.session.commit()
    yield application
    with app_context(application):
        empty_all_tables()


def test_a_cosponsors_post_and_manage_links_never_reach_another_reader(cached_app):
    cosponsor = logged_in(cached_app, "lawyers-abroad@example.org")
    token = re.search(
        r'name="csrf_token"[^>]*value="([^"]+)"', page(cosponsor, f"{PROJECT}/updates/new")
    ).group(1)
    response = cosponsor.post(
        f"{PROJECT}/updates/new", data={"title_en": "From the lawyers", "body_en": "x", "csrf_token": token}
    )
    assert response.status_code == 302
    update_id = _update_id(cached_app, "From the lawyers")
    cosponsor_page = page(cosponsor, PROJECT)
    assert f"{PROJECT}/updates/new" in cosponsor_page and f"/updates/{update_id}/edit" in cosponsor_page

    # The post link is never in a stored body: it is the reader's own, in the slot.
    assert bodies(cached_app) and all("/updates/new" not in body for body in bodies(cached_app))
    readers = [logged_in(cached_app, f"{slug}@example.org") for slug in ("bystanders", "declining-friends")]
    readers.append(cached_app.test_client())
    for reader in readers:
        for _ in range(2):  # rendered, then from the cache
            html = page(reader, PROJECT)
            assert "From the lawyers" in html
            assert "/updates/new" not in html
            assert f"/updates/{update_id}/" not in html
    # The owner's members share a body of their own: they may delete, not edit, the update.
    owner_page = page(logged_in(cached_app, "owner@example.org"), PROJECT)
    assert f"/updates/{update_id}/delete" in owner_page and f"/updates/{update_id}/edit" not in owner_page
    assert f"{PROJECT}/updates/new" in owner_page
    names = {key.split("\x1f")[0] for key in store(cached_app)._pages}
    assert any(name.startswith("project:posting:") for name in names) and "project" in names

"""Co-sponsorship of projects (issue #20)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import CosponsorStatus, Organization, ProjectCosponsor
from app.models.base import utcnow
from tests import builders
from tests.conftest import app_context, count, log_in, scalar


@pytest.fixture
def world(app):
    with app_context(app):
        owner = builders.make_organization("River Keepers", slug="river-keepers")
        project = builders.make_project(owner, [], "Reed Beds", slug="reed-beds")
        partner = builders.make_organization("Lawyers Abroad", slug="lawyers-abroad", country="IT")
        owner_user = builders.make_user(owner, email="owner@example.org")
        partner_user = builders.make_user(partner, email="partner@example.org")
        db.session.commit()
        return {"project_id": project.id, "owner": owner_user.email, "partner": partner_user.email}


def _client(app, email):
    client = app.test_client()
    log_in(client, email)
    return client


def _text(response):
    return response.get_data(as_text=True)


def test_an_invited_organization_accepts_and_is_shown_on_both_pages(app, world, outbox):
    owner = _client(app, world["owner"])
    url = f"/solidarity/projects/{world['project_id']}/cosponsors"
    assert owner.post(url, data={"organization": "lawyers-abroad"}).status_code == 302
    assert [m for m in outbox if "co-sponsor" in m.subject and "partner@example.org" in m.recipients]
    # Not shown before it accepts.
    assert "Lawyers Abroad" not in _text(app.test_client().get("/projects/reed-beds"))
    partner = _client(app, world["partner"])
    assert "Reed Beds" in _text(partner.get("/solidarity/cosponsorships"))
    assert partner.post(f"/solidarity/cosponsorships/{world['project_id']}/accept").status_code == 302
    assert scalar(app, sa.select(ProjectCosponsor.status)) == CosponsorStatus.ACCEPTED
    visitor = app.test_client()
    assert "Lawyers Abroad" in _text(visitor.get("/projects/reed-beds"))
    assert "Reed Beds" in _text(visitor.get("/organizations/lawyers-abroad"))
    # Answered once.
    partner.post(f"/solidarity/cosponsorships/{world['project_id']}/decline")
    assert scalar(app, sa.select(ProjectCosponsor.status)) == CosponsorStatus.ACCEPTED


def test_a_declined_invitation_shows_nowhere(app, world):
    _client(app, world["owner"]).post(
        f"/solidarity/projects/{world['project_id']}/cosponsors", data={"organization": "lawyers-abroad"}
    )
    _client(app, world["partner"]).post(f"/solidarity/cosponsorships/{world['project_id']}/decline")
    assert scalar(app, sa.select(ProjectCosponsor.status)) == CosponsorStatus.DECLINED
    assert "Lawyers Abroad" not in _text(app.test_client().get("/projects/reed-beds"))
    assert "Reed Beds" not in _text(app.test_client().get("/organizations/lawyers-abroad"))


def test_a_cosponsor_out_of_public_view_disappears(app, world):
    with app_context(app):
        db.session.add(
            ProjectCosponsor(
                project_id=world["project_id"],
                organization_id=scalar_id("lawyers-abroad"),
                status=CosponsorStatus.ACCEPTED,
            )
        )
        db.session.commit()
    assert "Lawyers Abroad" in _text(app.test_client().get("/projects/reed-beds"))
    with app_context(app):
        db.session.get(Organization, scalar_id("lawyers-abroad")).dark_at = utcnow()
        db.session.commit()
    assert "Lawyers Abroad" not in _text(app.test_client().get("/projects/reed-beds"))


def scalar_id(slug):
    return db.session.scalar(sa.select(Organization.id).where(Organization.slug == slug))


def test_only_the_owner_invites_and_only_listed_organizations(app, world):
    url = f"/solidarity/projects/{world['project_id']}/cosponsors"
    assert _client(app, world["partner"]).post(url, data={"organization": "river-keepers"}).status_code == 404
    with app_context(app):
        builders.make_organization("Dark One", slug="dark-one", dark_at=utcnow())
        db.session.commit()
    owner = _client(app, world["owner"])
    for slug in ("dark-one", "river-keepers", "no-such-org", ""):
        assert owner.post(url, data={"organization": slug}).status_code == 400, slug
    assert count(app, ProjectCosponsor) == 0
    # Someone not invited cannot answer.
    assert owner.post(f"/solidarity/cosponsorships/{world['project_id']}/accept").status_code == 404


def _invite_and_accept(app, world, *, accept=True):
    _client(app, world["owner"]).post(
        f"/solidarity/projects/{world['project_id']}/cosponsors", data={"organization": "lawyers-abroad"}
    )
    if accept:
        _client(app, world["partner"]).post(f"/solidarity/cosponsorships/{world['project_id']}/accept")
    with app_context(app):
        return scalar_id("lawyers-abroad")


def test_the_owner_removes_a_cosponsor_which_can_no_longer_post_updates(app, world, outbox):
    partner_id = _invite_and_accept(app, world)
    partner = _client(app, world["partner"])
    new_update = "/projects/reed-beds/updates/new"
    assert partner.post(new_update, data={"title_en": "Our first visit"}).status_code == 302
    owner = _client(app, world["owner"])
    manage = f"/solidarity/projects/{world['project_id']}/cosponsors"
    assert "Remove co-sponsor" in _text(owner.get(manage))
    answer = owner.post(f"{manage}/{partner_id}/remove", follow_redirects=True)
    assert answer.status_code == 200 and answer.request.path == manage
    assert "Lawyers Abroad no longer co-sponsors this project." in _text(answer)
    assert count(app, ProjectCosponsor) == 0
    # The co-sponsor is told by mail, as it was invited.
    [told] = [m for m in outbox if m.recipients == ["partner@example.org"] and "changed" in m.subject]
    assert "River Keepers has taken your organization off the co-sponsors" in told.body
    assert "“Reed Beds”" in told.body and "/solidarity/cosponsorships" in told.body
    visitor = app.test_client()
    page = _text(visitor.get("/projects/reed-beds"))
    assert "Our first visit" in page  # what it posted stays
    assert "Reed Beds" not in _text(visitor.get("/organizations/lawyers-abroad"))
    assert partner.post(new_update, data={"title_en": "Another visit"}).status_code == 403
    assert "Another visit" not in _text(visitor.get("/projects/reed-beds"))
    # Gone: a second removal finds nothing; the owner may invite it again.
    assert owner.post(f"{manage}/{partner_id}/remove").status_code == 404
    assert owner.post(manage, data={"organization": "lawyers-abroad"}).status_code == 302
    assert scalar(app, sa.select(ProjectCosponsor.status)) == CosponsorStatus.INVITED


def test_the_owner_withdraws_an_open_invitation(app, world, outbox):
    partner_id = _invite_and_accept(app, world, accept=False)
    owner = _client(app, world["owner"])
    manage = f"/solidarity/projects/{world['project_id']}/cosponsors"
    assert "Withdraw the invitation" in _text(owner.get(manage))
    answer = owner.post(f"{manage}/{partner_id}/remove", follow_redirects=True)
    assert "The invitation to Lawyers Abroad is withdrawn." in _text(answer)
    assert count(app, ProjectCosponsor) == 0
    [told] = [m for m in outbox if m.recipients == ["partner@example.org"] and "changed" in m.subject]
    assert "River Keepers has taken back its invitation to co-sponsor its project “Reed Beds”" in told.body
    assert "Reed Beds" not in _text(_client(app, world["partner"]).get("/solidarity/cosponsorships"))


def test_only_the_owner_removes_and_a_declined_one_is_not_removed(app, world):
    partner_id = _invite_and_accept(app, world, accept=False)
    manage = f"/solidarity/projects/{world['project_id']}/cosponsors"
    partner = _client(app, world["partner"])
    # The invited organization cannot remove itself through the owner's door (it declines).
    assert partner.post(f"{manage}/{partner_id}/remove").status_code == 404
    assert app.test_client().post(f"{manage}/{partner_id}/remove").status_code == 302  # to log in
    assert count(app, ProjectCosponsor) == 1
    partner.post(f"/solidarity/cosponsorships/{world['project_id']}/decline")
    owner = _client(app, world["owner"])
    assert "Withdraw the invitation" not in _text(owner.get(manage))
    answer = owner.post(f"{manage}/{partner_id}/remove", follow_redirects=True)
    assert "does not co-sponsor this project and has no open invitation" in _text(answer)
    assert scalar(app, sa.select(ProjectCosponsor.status)) == CosponsorStatus.DECLINED
    with app_context(app):
        owner_id = db.session.scalar(sa.select(Organization.id).where(Organization.slug == "river-keepers"))
    assert owner.post(f"{manage}/{owner_id}/remove").status_code == 404  # never invited

"""An organization's descriptions in other languages follow the same status rules as its profile."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.models import OrganizationStatus, OrganizationTranslation
from app.services import NotAllowed
from app.services import translations as service
from tests.builders import make_moderator, make_organization, make_user
from tests.conftest import app_context


def login_member(app, auth, status) -> int:
    with app_context(app):
        organization = make_organization("Al-Amal", status=status)
        make_user(organization, email="amal@example.org")
        db.session.commit()
        organization_id = organization.id
    auth.login("amal@example.org")
    return organization_id


def translation(app, organization_id: int) -> str | None:
    with app_context(app):
        found = db.session.get(OrganizationTranslation, (organization_id, "ar"))
        return None if found is None else found.description


def test_a_suspended_organization_cannot_publish_a_translation(app, client, auth):
    organization_id = login_member(app, auth, OrganizationStatus.SUSPENDED)
    assert client.get("/account/translations/ar").status_code == 403
    response = client.post("/account/translations/ar", data={"description": "نص جديد"})
    assert response.status_code == 403
    assert translation(app, organization_id) is None


def test_the_service_refuses_a_suspended_organization(app_ctx):
    organization = make_organization(status=OrganizationStatus.SUSPENDED)
    member = make_user(organization)
    with pytest.raises(NotAllowed):
        service.save_organization_translation(member, organization, "ar", description="نص")
    assert db.session.get(OrganizationTranslation, (organization.id, "ar")) is None


@pytest.mark.parametrize("status", [OrganizationStatus.PENDING, OrganizationStatus.APPROVED])
def test_pending_and_approved_organizations_write_translations(app, client, auth, status):
    organization_id = login_member(app, auth, status)
    assert client.post("/account/translations/ar", data={"description": "نص"}).status_code == 302
    assert translation(app, organization_id) == "نص"


def test_the_moderator_reviews_an_application_with_its_translations(app, client, auth):
    with app_context(app):
        organization = make_organization("Al-Amal", status=OrganizationStatus.PENDING)
        make_user(organization)
        db.session.add(
            OrganizationTranslation(
                organization_id=organization.id, locale="ar", description="نعلّم الأطفال القراءة."
            )
        )
        make_moderator("mod@example.org")
        db.session.commit()
    auth.login("mod@example.org")
    for path in ("/moderation/", f"/moderation/organizations/{organization.id}"):
        html = client.get(path).get_data(as_text=True)
        assert "نعلّم الأطفال القراءة." in html
        assert 'lang="ar" dir="rtl"' in html

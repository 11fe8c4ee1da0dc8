"""Schemathesis against the API's own OpenAPI document (on SQLite, and on PostgreSQL when the
suite runs with TEST_DATABASE_URL): every operation, a bounded number of generated requests each,
no answer a 5xx, every answer valid against the document (status, content type, schema, headers)."""

from __future__ import annotations

import pytest
import schemathesis
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings

from app.extensions import db
from app.models import (
    GatheringCampaign,
    LinkVisibility,
    OrganizationStatus,
    PledgeVisibility,
    Project,
    Update,
    UpdateText,
    Visibility,
)
from tests.builders import make_campaign, make_organization, make_pledge, make_project
from tests.conftest import app_context
from tests.gathering_support import make_gathering


def build_network() -> None:
    tigris = make_campaign("Save the Tigris", slug="save-the-tigris")
    marsh = make_campaign("The marshes", slug="marshes")
    public = make_organization(
        "Al-Amal",
        slug="al-amal",
        contact_email="amal@example.org",
        contact_email_visibility=Visibility.PUBLIC,
    )
    quiet = make_organization(
        "Quiet",
        slug="quiet",
        country="FR",
        contact_phone="+33 1",
        contact_phone_visibility=Visibility.MEMBERS,
    )
    pending = make_organization("Pending", slug="pending", status=OrganizationStatus.PENDING)
    make_pledge(public, tigris)
    make_pledge(quiet, tigris, visibility=PledgeVisibility.MEMBERS)
    make_pledge(quiet, marsh, visibility=PledgeVisibility.COUNTED)
    make_pledge(public, marsh, message="With the marshes")
    make_project(public, [tigris], slug="clean-water")
    make_project(quiet, [marsh], slug="quiet-project", link_visibility=LinkVisibility.MEMBERS)
    make_project(pending, [tigris], slug="pending-project")
    clean = db.session.scalar(sa.select(Project).where(Project.slug == "clean-water"))
    db.session.add_all(
        [
            Update(campaign_id=tigris.id, organization_id=public.id, locale="en",
                   texts=[UpdateText(locale="en", title="Dam talks", body="News.")]),
            Update(project_id=clean.id, organization_id=public.id, locale="ar",
                   texts=[UpdateText(locale="ar", title="بدأت الدروس", body="")]),
        ]
    )  # fmt: skip
    forum = make_gathering("Forum", slug="forum", organizers=[public])
    db.session.add(GatheringCampaign(gathering_id=forum.id, campaign_id=tigris.id))
    make_gathering("Past", slug="past", days_ahead=-5, outcome="Declared.", online_url="https://x.example/")
    db.session.commit()


OPERATIONS = (
    "/api/v1/",
    "/api/v1/campaigns",
    "/api/v1/campaigns/{slug}",
    "/api/v1/organizations",
    "/api/v1/organizations/{slug}",
    "/api/v1/pledges",
    "/api/v1/projects",
    "/api/v1/projects/{slug}",
    "/api/v1/updates",
    "/api/v1/gatherings",
    "/api/v1/gatherings/{slug}",
)


def load_schema(app):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


def test_every_operation_is_checked(app):
    assert tuple(load_schema(app).raw_schema["paths"]) == OPERATIONS


@pytest.mark.parametrize("path", OPERATIONS)
def test_api_answers_match_its_schema(app, path):
    """Positive generation: zero 5xx, and every answer (200, 304, 400, 404, 429) is what the
    document says, in status, content type, headers and body."""
    with app_context(app):
        build_network()
    operation = load_schema(app)[path]["GET"]

    @given(case=operation.as_strategy())
    @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(case):
        # The WSGI transport does not decompress: ask for the plain body (real clients decode it).
        case.call_and_validate(headers={"Accept-Encoding": "identity"})

    check()

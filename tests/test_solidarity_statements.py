"""Joint statements (issue #20): published by a coordinator, signed named or counted, frozen at
the deadline, downloadable as PDF and CSV, every signature audited."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditAction, AuditEntry, JointStatement, StatementSignature
from app.models.base import utcnow
from app.services import NotAllowed, statements
from tests import builders
from tests.conftest import app_context, count, log_in, scalar, scalars


@pytest.fixture
def world(app):
    with app_context(app):
        campaign = builders.make_campaign("Save the Tigris", slug="save-the-tigris")
        moderator = builders.make_moderator("mod@example.org")
        statement = statements.publish(
            moderator, campaign, deadline=utcnow() + timedelta(days=3), allow_counted=True,
            texts={"en": ("Water is life", "We call for the Tigris to flow."),
                   "ar": ("الماء حياة", "ندعو إلى أن يجري نهر دجلة.")},
        )  # fmt: skip
        named = builders.make_organization("Named Friends", slug="named-friends")
        quiet = builders.make_organization("Quiet Friends", slug="quiet-friends", country="IT")
        emails = {
            "named": builders.make_user(named, email="named@example.org").email,
            "quiet": builders.make_user(quiet, email="quiet@example.org").email,
            "pending": builders.make_user(
                builders.make_organization("Pending", status=builders.OrganizationStatus.PENDING),
                email="pending@example.org",
            ).email,
        }
        db.session.commit()
        return {"id": statement.id, **emails}


def _client(app, email):
    client = app.test_client()
    log_in(client, email)
    return client


def _close(app, statement_id):
    with app_context(app):
        db.session.get(JointStatement, statement_id).deadline = utcnow() - timedelta(minutes=1)
        db.session.commit()


def test_named_and_counted_signatures_then_frozen_pdf_and_csv(app, world):
    url = f"/solidarity/statements/{world['id']}"
    assert _client(app, world["named"]).post(f"{url}/sign", data={"how": "named"}).status_code == 302
    assert _client(app, world["quiet"]).post(f"{url}/sign", data={"how": "counted"}).status_code == 302
    page = app.test_client().get(url).get_data(as_text=True)
    assert "Named Friends" in page
    assert "Quiet Friends" not in page
    assert "And 1 more organizations" in page
    # Not downloadable before the deadline.
    assert app.test_client().get(f"{url}/statement.pdf").status_code == 404
    _close(app, world["id"])
    # Frozen: neither signing nor withdrawing changes anything.
    _client(app, world["named"]).post(f"{url}/withdraw")
    _client(app, world["pending"]).post(f"{url}/sign", data={"how": "named"})
    assert count(app, StatementSignature, StatementSignature.withdrawn_at.is_(None)) == 2
    pdf = app.test_client().get(f"{url}/statement.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    arabic = app.test_client().get(f"{url}/statement.pdf", headers={"Cookie": "lang=ar"})
    assert arabic.status_code == 200 and arabic.data.startswith(b"%PDF")
    rows = list(
        csv.reader(io.StringIO(app.test_client().get(f"{url}/signatories.csv").get_data(as_text=True)))
    )
    assert rows[1][0] == "Named Friends"
    assert "Quiet Friends" not in str(rows)
    assert rows[-1] == ["signed without being named", "1"]
    signed = scalars(
        app, sa.select(AuditEntry.action).where(AuditEntry.action == AuditAction.STATEMENT_SIGNED)
    )
    assert len(signed) == 2


def test_withdrawing_before_the_deadline_and_audit(app, world):
    url = f"/solidarity/statements/{world['id']}"
    client = _client(app, world["named"])
    client.post(f"{url}/sign", data={"how": "named"})
    assert client.post(f"{url}/withdraw").status_code == 302
    assert "Named Friends" not in app.test_client().get(url).get_data(as_text=True)
    actions = scalars(app, sa.select(AuditEntry.action).order_by(AuditEntry.id))
    assert actions[-2:] == [AuditAction.STATEMENT_SIGNED, AuditAction.STATEMENT_WITHDRAWN]


def test_counted_only_refused_when_the_statement_is_named_only(app, world):
    with app_context(app):
        db.session.get(JointStatement, world["id"]).allow_counted = False
        db.session.commit()
    _client(app, world["quiet"]).post(f"/solidarity/statements/{world['id']}/sign", data={"how": "counted"})
    assert count(app, StatementSignature) == 0


def test_only_approved_organizations_sign_and_dark_ones_are_not_named(app, world):
    url = f"/solidarity/statements/{world['id']}"
    _client(app, world["pending"]).post(f"{url}/sign", data={"how": "named"})
    assert count(app, StatementSignature) == 0
    _client(app, world["named"]).post(f"{url}/sign", data={"how": "named"})
    with app_context(app):
        from app.models import Organization

        org = db.session.scalar(sa.select(Organization).where(Organization.slug == "named-friends"))
        org.dark_at = utcnow()
        db.session.commit()
    assert "Named Friends" not in app.test_client().get(url).get_data(as_text=True)


def test_only_coordinators_publish_and_revisions_are_versioned(app_ctx):
    campaign = builders.make_campaign("Marshes")
    member = builders.make_user(builders.make_organization("Member"))
    with pytest.raises(NotAllowed):
        statements.publish(member, campaign, deadline=utcnow() + timedelta(days=1), allow_counted=True,
                           texts={"en": ("T", "B")})  # fmt: skip
    moderator = builders.make_moderator()
    statement = statements.publish(
        moderator,
        campaign,
        deadline=utcnow() + timedelta(days=1),
        allow_counted=True,
        texts={"en": ("T", "B")},
    )
    signer = builders.make_user(builders.make_organization("Signer"))
    first = statements.sign(signer, statement, named=True)
    statements.revise(moderator, statement, {"en": ("T2", "B2")})
    assert statement.version == 2 and first.version == 1
    assert statements.text_in(statement, "fr").title == "T2"


def test_the_moderators_form_publishes(app, world):
    client = app.test_client()
    from tests.conftest import log_in as login

    login(client, "mod@example.org")
    response = client.post(
        "/solidarity/campaigns/save-the-tigris/statements/new",
        data={
            "title_fr": "L'eau",
            "body_fr": "Le Tigre doit couler.",
            "deadline": "2099-01-01T12:00",
            "allow_counted": "y",
        },
    )
    assert response.status_code == 302
    assert scalar(app, sa.select(sa.func.count()).select_from(JointStatement)) == 2
    listing = app.test_client().get("/solidarity/campaigns/save-the-tigris/statements")
    assert listing.status_code == 200

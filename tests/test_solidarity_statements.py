"""Joint statements (issue #20): published by a coordinator, signed named or counted, frozen at
the deadline, downloadable as PDF and CSV, every signature audited."""

from __future__ import annotations

import csv
import io
import re
import zlib
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


# --- Revising the text (a new version) ---------------------------------------------------


def test_a_coordinator_revises_and_signatories_see_which_version_they_signed(app, world, outbox):
    url = f"/solidarity/statements/{world['id']}"
    named = _client(app, world["named"])
    assert named.post(f"{url}/sign", data={"how": "named"}).status_code == 302
    assert "It signed version 1." in named.get(url).get_data(as_text=True)

    moderator = _client(app, "mod@example.org")
    assert "/revise" in moderator.get(url).get_data(as_text=True)
    form = moderator.get(f"{url}/revise").get_data(as_text=True)
    assert "We call for the Tigris to flow." in form and "ندعو إلى أن يجري نهر دجلة." in form  # prefilled
    # The new version in the languages chosen: English only (Arabic left empty).
    response = moderator.post(
        f"{url}/revise", data={"title_en": "Water is life, now", "body_en": "The Tigris must flow again."}
    )
    assert response.status_code == 302
    with app_context(app):
        statement = db.session.get(JointStatement, world["id"])
        assert statement.version == 2
        assert [text.locale for text in statements.texts_of(statement)] == ["en"]
        assert [text.locale for text in statements.texts_of(statement, 1)] == ["ar", "en"]
    entry = scalars(app, sa.select(AuditEntry).where(AuditEntry.target_type == "statement"))[-1]
    assert entry.action == AuditAction.STATEMENT_PUBLISHED and entry.reason == "version 2"
    # The signatory is told by mail, with the versions and where to withdraw; nobody else is.
    [told] = [m for m in outbox if "new text" in m.subject]
    assert told.recipients == ["named@example.org"]
    assert "“Water is life, now”" in told.subject
    assert "signed version 1 of its text; the text is now at version 2" in told.body
    assert url in told.body

    page = named.get(url).get_data(as_text=True)
    assert "The Tigris must flow again." in page
    assert "it signed version 1; this is version 2." in page
    assert "We call for the Tigris to flow." in page  # what it signed, kept and shown
    assert scalar(app, sa.select(StatementSignature.version)) == 1
    # Signing again endorses the new version; the notice goes.
    named.post(f"{url}/sign", data={"how": "named"})
    assert scalar(app, sa.select(StatementSignature.version)) == 2
    assert "The text has changed" not in named.get(url).get_data(as_text=True)
    # Others never see the notice, nor the revise link.
    visitor_page = app.test_client().get(url).get_data(as_text=True)
    assert "The text has changed" not in visitor_page and "/revise" not in visitor_page


def test_bad_revisions_are_form_errors_and_write_nothing(app, world):
    url = f"/solidarity/statements/{world['id']}/revise"
    moderator = _client(app, "mod@example.org")
    for data in (
        {},
        {"title_en": "Only a title"},
        {"title_fr": "x" * 201, "body_fr": "y"},
        {"title_en": "a\nb"},
    ):
        response = moderator.post(url, data=data)
        assert response.status_code == 400, data
        assert 'role="alert"' in response.get_data(as_text=True) or "field-error" in response.get_data(
            as_text=True
        )
    assert scalar(app, sa.select(JointStatement.version)) == 1


def test_only_coordinators_revise_and_only_before_the_deadline(app, world):
    url = f"/solidarity/statements/{world['id']}/revise"
    data = {"title_en": "Hijacked", "body_en": "Not ours."}
    assert app.test_client().get(url).status_code == 302  # to log in
    for email in (world["named"], world["pending"]):
        client = _client(app, email)
        assert client.get(url).status_code == 403
        assert client.post(url, data=data).status_code == 403
    _close(app, world["id"])
    moderator = _client(app, "mod@example.org")
    assert moderator.get(url).status_code == 409
    assert moderator.post(url, data=data).status_code == 409
    assert scalar(app, sa.select(JointStatement.version)) == 1
    assert "/revise" not in moderator.get(f"/solidarity/statements/{world['id']}").get_data(as_text=True)


# --- The PDF in Arabic --------------------------------------------------------------------


def _pdf_lines(pdf: bytes) -> list[tuple[float, float, list[int]]]:
    """The lines of text drawn on the PDF's pages, as (x of the first glyph, y, glyph codes in
    the order they are drawn, left to right): read from fpdf2's content streams."""
    lines: dict[float, tuple[float, list[int]]] = {}
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            content = zlib.decompress(stream)
        except zlib.error:
            continue
        for x, y, literal in re.findall(rb"([\d.]+) ([\d.]+) T[dm] \(((?:\\.|[^\\)])*)\) Tj", content, re.S):
            raw = re.sub(
                rb"\\([nrtbf()\\]|[0-7]{1,3})",
                lambda m: (
                    bytes([int(m.group(1), 8)])
                    if m.group(1)[:1].isdigit()
                    else {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}.get(
                        m.group(1), m.group(1)
                    )
                ),
                literal,
            )
            codes = [int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw), 2)]
            _first_x, drawn = lines.setdefault(float(y), (float(x), []))
            drawn.extend(codes)
    return [(x, y, codes) for y, (x, codes) in sorted(lines.items(), reverse=True)]


def _to_unicode(pdf: bytes) -> dict[int, str]:
    cmap = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", pdf, re.S):
        for code, char in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            cmap[int(code, 16)] = bytes.fromhex(char.decode()).decode("utf-16-be")
    return cmap


def test_an_arabic_statement_pdf_is_shaped_right_to_left_and_right_aligned(app_ctx):
    title = "الماء حياة: أنقذوا نهر دجلة"
    campaign = builders.make_campaign("Save the Tigris")
    statement = statements.publish(
        builders.make_moderator(), campaign, deadline=utcnow() + timedelta(days=1), allow_counted=True,
        texts={"ar": (title, "نحن منظمات المجتمع المدني ندعو إلى حماية نهر دجلة.")},
    )  # fmt: skip
    statements.sign(builders.make_user(builders.make_organization("Un ponte per")), statement, named=True)
    pdf = statements.statement_pdf(statement, "ar")
    cmap = _to_unicode(pdf)
    lines = _pdf_lines(pdf)
    x, _y, codes = lines[0]
    # Drawn left to right, an Arabic line is the text read backwards: right to left.
    assert "".join(cmap[code] for code in reversed(codes)) == title
    # Shaped: one letter drawn in several forms (lam: initial in الماء, medial in دجلة), each
    # its own glyph; without shaping every letter would have one (isolated) glyph.
    lam = {code for code in codes if cmap[code] == "\u0644"}
    assert len(lam) >= 2
    # Right-aligned: the short title starts far from the left margin (10 mm = 28.35 pt), and
    # so does the Latin signatory's name, in the Arabic page's direction.
    assert x > 200
    name = next(line for line in lines if "".join(cmap[c] for c in line[2]) == "Un ponte per")
    assert name[0] > 200

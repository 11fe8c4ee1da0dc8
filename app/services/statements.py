"""Joint statements: verified sign-on by member organizations (issue #20).

A coordinator publishes a statement on a campaign: its text in one or more of the four
languages, a deadline, and whether organizations may sign without being named. Who is a
coordinator is decided in one place, :func:`may_coordinate` (moderators here; the campaign
coordinators of issue #17 join them at merge). The text is versioned: a revision before the
deadline adds a version; each signature records the version it signed.

An approved organization signs through one of its members, named or (when allowed) counted
only, and may withdraw before the deadline. After the deadline nothing changes: the signed text
(the last version) and the signatories are frozen, and downloadable as PDF and CSV. Named
signatories are shown only while their organization is in public view; counted-only
signatures are never named anywhere, only counted (and only those of organizations in public
view). Every signature and withdrawal is in the audit log.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager

from app.extensions import db
from app.models import (
    AuditAction,
    Campaign,
    JointStatement,
    Organization,
    OrganizationStatus,
    StatementSignature,
    StatementText,
    User,
)
from app.models.base import utcnow
from app.services import DomainError, NotAllowed, audit, coordinators, mail, tokens
from app.services.visibility import publicly_listed

LANGUAGES = ("en", "ar", "ckb", "fr")
TITLE_MAX_LENGTH = 200
BODY_MAX_LENGTH = 20000
# The font the PDF is drawn with: Debian's fonts-dejavu (Latin, Arabic and Kurdish letters).
PDF_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
RTL = ("ar", "ckb")


def may_coordinate(user: Any, campaign: Campaign) -> bool:
    """Whether ``user`` may publish and revise joint statements on ``campaign``: its
    coordinators (moderators, and members of the organizations a moderator named), the one
    decision of app/services/coordinators.py."""
    return coordinators.may_coordinate(user, campaign)


def is_frozen(statement: JointStatement, now: datetime | None = None) -> bool:
    return (now or utcnow()) >= statement.deadline


def _clean_texts(texts: dict[str, tuple[str, str]]) -> dict[str, tuple[str, str]]:
    cleaned = {}
    for locale, (title, body) in texts.items():
        if locale not in LANGUAGES:
            raise DomainError(_("Unknown language."))
        title, body = (title or "").strip(), (body or "").strip()
        if not title and not body:
            continue
        if not title or not body:
            raise DomainError(_("Each language needs both a title and a text."))
        if len(title) > TITLE_MAX_LENGTH or len(body) > BODY_MAX_LENGTH:
            raise DomainError(_("The title or the text is too long."))
        cleaned[locale] = (title, body)
    if not cleaned:
        raise DomainError(_("Write the statement in at least one language."))
    return cleaned


def _add_texts(statement: JointStatement, texts: dict[str, tuple[str, str]]) -> None:
    for locale, (title, body) in texts.items():
        db.session.add(
            StatementText(
                statement_id=statement.id, version=statement.version, locale=locale, title=title, body=body
            )
        )


def publish(
    actor: User,
    campaign: Campaign,
    *,
    deadline: datetime,
    allow_counted: bool,
    texts: dict[str, tuple[str, str]],
) -> JointStatement:
    if not may_coordinate(actor, campaign):
        raise NotAllowed(_("Only the campaign's coordinators can publish joint statements."))
    if deadline <= utcnow():
        raise DomainError(_("The deadline must be in the future."))
    cleaned = _clean_texts(texts)
    statement = JointStatement(
        campaign_id=campaign.id, deadline=deadline, allow_counted=allow_counted, created_by_id=actor.id
    )
    db.session.add(statement)
    db.session.flush()
    _add_texts(statement, cleaned)
    db.session.flush()
    audit.record(actor, AuditAction.STATEMENT_PUBLISHED, target_type="statement", target_id=statement.id)
    return statement


def revise(actor: User, statement: JointStatement, texts: dict[str, tuple[str, str]]) -> JointStatement:
    """A new version of the text, before the deadline; signatures keep the version they signed."""
    if not may_coordinate(actor, statement.campaign):
        raise NotAllowed(_("Only the campaign's coordinators can revise joint statements."))
    if is_frozen(statement):
        raise DomainError(_("The deadline has passed: the statement is frozen."))
    cleaned = _clean_texts(texts)
    statement.version += 1
    db.session.flush()
    _add_texts(statement, cleaned)
    db.session.flush()
    audit.record(
        actor, AuditAction.STATEMENT_PUBLISHED, target_type="statement", target_id=statement.id,
        reason=f"version {statement.version}",
    )  # fmt: skip
    _tell_signatories_of_revision(statement)
    return statement


def _tell_signatories_of_revision(statement: JointStatement) -> None:
    """Mail the people of every organization whose signature stands: the text they put their name
    to has changed, and they may withdraw before the deadline (their signature stays otherwise,
    and the frozen statement lists them under the last version)."""
    texts = {text.locale: text for text in texts_of(statement)}
    link = tokens.external_url("solidarity.statement", statement_id=statement.id)
    people = db.session.execute(
        sa.select(User, StatementSignature.version)
        .join(StatementSignature, StatementSignature.organization_id == User.organization_id)
        .where(
            StatementSignature.statement_id == statement.id,
            StatementSignature.withdrawn_at.is_(None),
            User.email_confirmed_at.is_not(None),
        )
        .order_by(User.id)
    ).all()
    for user, signed_version in people:
        title = _in_locale(texts, user.locale).title
        mail.send_to_user(
            user,
            _l("The statement “%(title)s” that your organization signed has a new text", title=title),
            "statement_revised",
            title=title,
            signed_version=signed_version,
            version=statement.version,
            deadline=statement.deadline,
            link=link,
        )


def _signing_organization(actor: User | None) -> Organization:
    organization = actor.organization if actor is not None else None
    if organization is None or organization.status != OrganizationStatus.APPROVED:
        raise NotAllowed(_("Only members of approved organizations can sign joint statements."))
    return organization


def active_signature(
    statement: JointStatement, organization: Organization | None
) -> StatementSignature | None:
    if organization is None:
        return None
    return db.session.scalar(
        sa.select(StatementSignature).where(
            StatementSignature.statement_id == statement.id,
            StatementSignature.organization_id == organization.id,
            StatementSignature.withdrawn_at.is_(None),
        )
    )


def sign(actor: User | None, statement: JointStatement, *, named: bool) -> StatementSignature:
    organization = _signing_organization(actor)
    if is_frozen(statement):
        raise DomainError(_("The deadline has passed: the statement is frozen."))
    if not named and not statement.allow_counted:
        raise DomainError(_("This statement is signed by name only."))
    existing = active_signature(statement, organization)
    if existing is not None:
        existing.named = named
        existing.version = statement.version
        existing.signed_by_id = actor.id
        signature = existing
    else:
        signature = StatementSignature(
            statement_id=statement.id,
            organization_id=organization.id,
            signed_by_id=actor.id,
            named=named,
            version=statement.version,
        )
        try:
            with db.session.begin_nested():
                db.session.add(signature)
        except IntegrityError:
            raise DomainError(_("Your organization has just signed this statement.")) from None
    db.session.flush()
    audit.record(
        actor, AuditAction.STATEMENT_SIGNED, target_type="statement", target_id=statement.id,
        organization_id=organization.id, reason="named" if named else "counted",
    )  # fmt: skip
    return signature


def withdraw(actor: User | None, statement: JointStatement) -> None:
    organization = _signing_organization(actor)
    if is_frozen(statement):
        raise DomainError(_("The deadline has passed: the statement is frozen."))
    signature = active_signature(statement, organization)
    if signature is None:
        raise DomainError(_("Your organization has not signed this statement."))
    signature.withdrawn_at = utcnow()
    db.session.flush()
    audit.record(
        actor, AuditAction.STATEMENT_WITHDRAWN, target_type="statement", target_id=statement.id,
        organization_id=organization.id,
    )  # fmt: skip


# --- Reading -------------------------------------------------------------------------------


def get_statement(statement_id: int) -> JointStatement | None:
    return db.session.scalar(
        sa.select(JointStatement)
        .join(JointStatement.campaign)
        .options(contains_eager(JointStatement.campaign))
        .where(JointStatement.id == statement_id)
    )


def campaign_statements(campaign: Campaign) -> list[JointStatement]:
    return list(
        db.session.scalars(
            sa.select(JointStatement)
            .where(JointStatement.campaign_id == campaign.id)
            .order_by(JointStatement.deadline.desc(), JointStatement.id.desc())
            .limit(50)
        )
    )


def texts_of(statement: JointStatement, version: int | None = None) -> list[StatementText]:
    """Every language of one version of the text (the current one by default), one query."""
    return list(
        db.session.scalars(
            sa.select(StatementText)
            .where(
                StatementText.statement_id == statement.id,
                StatementText.version == (version or statement.version),
            )
            .order_by(StatementText.locale)
        )
    )


def _in_locale(by_locale: dict[str, Any], locale: str) -> Any:
    """The entry for ``locale``, else the English one, else the first: the statements' one
    fallback rule (a text, a title)."""
    return by_locale.get(locale) or by_locale.get("en") or next(iter(by_locale.values()))


def text_in(statement: JointStatement, locale: str, version: int | None = None) -> StatementText:
    """One version's text (the current one by default) in ``locale``, else English, else the
    first language (one query)."""
    texts = {text.locale: text for text in texts_of(statement, version)}
    return _in_locale(texts, locale)


def titles_in(statements: list[JointStatement], locale: str) -> dict[int, str]:
    """Each statement's current title in ``locale``, else English, else its first language, for a
    list of statements (one query)."""
    if not statements:
        return {}
    versions = {statement.id: statement.version for statement in statements}
    titles: dict[int, dict[str, str]] = {}
    text = StatementText
    for statement_id, version, text_locale, title in db.session.execute(
        sa.select(text.statement_id, text.version, text.locale, text.title)
        .where(text.statement_id.in_(versions))
        .order_by(StatementText.locale)
    ):
        if version == versions[statement_id]:
            titles.setdefault(statement_id, {})[text_locale] = title
    return {statement_id: _in_locale(texts, locale) for statement_id, texts in titles.items()}


def signed_text(
    statement: JointStatement, signature: StatementSignature | None, locale: str
) -> StatementText | None:
    """The text an organization signed when the statement was revised since (else None): a
    signatory sees that the text changed, and what it signed."""
    if signature is None or signature.version == statement.version:
        return None
    return text_in(statement, locale, signature.version)


@dataclass
class Signatories:
    named: list[Organization]
    counted: int  # signatures not named (and named ones are in ``named``)

    @property
    def total(self) -> int:
        return len(self.named) + self.counted


def signatories(statement: JointStatement) -> Signatories:
    """The active signatures of organizations in public view: named ones by name, counted-only
    ones as a number (one query)."""
    rows = db.session.execute(
        sa.select(StatementSignature.named, Organization)
        .join(Organization, Organization.id == StatementSignature.organization_id)
        .where(
            StatementSignature.statement_id == statement.id,
            StatementSignature.withdrawn_at.is_(None),
            publicly_listed(Organization),
        )
        .order_by(Organization.name, Organization.id)
    ).all()
    return Signatories(
        named=[org for named, org in rows if named], counted=sum(1 for named, _org in rows if not named)
    )


def signatories_csv(statement: JointStatement) -> str:
    """The frozen named signatories, one per line, and the count of the others."""
    people = signatories(statement)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["organization", "country", "kind", "profile"])
    for organization in people.named:
        writer.writerow([organization.name, organization.country, organization.kind.value, organization.slug])
    writer.writerow([])
    writer.writerow(["signed without being named", people.counted])
    return out.getvalue()


def statement_pdf(statement: JointStatement, locale: str) -> bytes:
    """The frozen text (last version, in ``locale`` with fallback) and the named signatories, as
    PDF: fpdf2 with Debian's DejaVu Sans and HarfBuzz shaping, so Arabic and Kurdish letters are
    joined. The whole page follows the direction of the statement's language: in Arabic or
    Kurdish every line (the signatories' names in Latin letters too) runs right to left, set
    against the right margin, and fpdf2's bidirectional algorithm keeps a Latin name or a date
    in its own order inside it."""
    from fpdf import FPDF

    text = text_in(statement, locale)
    people = signatories(statement)
    rtl = text.locale in RTL
    align = "R" if rtl else "L"
    pdf = FPDF()
    pdf.set_title(text.title)
    pdf.set_lang(text.locale)
    pdf.add_page()
    pdf.add_font("DejaVu", "", str(PDF_FONT))
    pdf.set_text_shaping(use_shaping_engine=True, direction="rtl" if rtl else "ltr")

    def line(value: str, height: float) -> None:
        pdf.multi_cell(0, height, value, align=align, new_x="LMARGIN", new_y="NEXT")

    pdf.set_font("DejaVu", size=16)
    line(text.title, 9)
    pdf.set_font("DejaVu", size=11)
    pdf.ln(3)
    line(text.body, 6)
    pdf.ln(6)
    line(
        _("Version %(num)s", num=statement.version) + f" · {statement.deadline:%Y-%m-%d %H:%M} UTC",
        6,
    )
    pdf.ln(3)
    pdf.set_font("DejaVu", size=13)
    line(_("Signatories"), 8)
    pdf.set_font("DejaVu", size=11)
    for organization in people.named:
        line(organization.name_in(locale), 6)
    if people.counted:
        line(_("And %(num)s more organizations that signed without being named.", num=people.counted), 6)
    return bytes(pdf.output())

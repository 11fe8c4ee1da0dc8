"""Everything the site holds about an organization and its people, as a ZIP of JSON and CSV.

An owner downloads it from the account page (after typing their password). The archive
holds, for each *section*, ``<name>.json`` (a list of objects) and ``<name>.csv`` (the same
rows), plus ``manifest.json`` (what each section is), a ``README.txt`` and the logo file.

Sections are a registry: each is a name, a sentence saying what it holds, and a function
``rows(organization) -> list[dict]``. Another area adds the tables it owns (sessions, an
access log...) with::

    from app.services import export

    @export.section("sessions", "where your people are logged in")
    def _sessions(organization):
        return [{"user_id": s.user_id, "started_at": s.started_at, ...} for s in ...]

at import time of its service module. What never goes in: password hashes, one-time or
recovery codes, second-factor secrets, tokens, session versions. A column whose name says
it is one of these is refused (``SecretInExport``) whichever section returns it, and a test
walks every registered section.

Moderators are named by their role only: the decisions about the organization say what was
decided, when and why, not which moderator decided (the organization's own people keep
their email addresses).
"""

from __future__ import annotations

import csv
import enum
import io
import json
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload, selectinload

from app import dates
from app.extensions import db
from app.models import (
    CONTACT_FIELDS,
    AuditEntry,
    ContactDetailView,
    LoginSession,
    Organization,
    OrganizationTranslation,
    Pledge,
    Project,
    ProjectCampaign,
    User,
)
from app.models.base import utcnow
from app.services import logos

# Column names that must never leave the site, whatever section returns them.
SECRET_COLUMN = re.compile(
    r"password|secret|token|hash|totp|otp_|recovery|private_key|session_version|credential",
    re.IGNORECASE,
)
# A spreadsheet runs a cell that starts with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class SecretInExport(RuntimeError):
    """A section returned a column that must never be exported (a programming error)."""


@dataclass(frozen=True)
class Section:
    name: str
    description: Any  # a (lazily) translated sentence, shown on the export page
    rows: Callable[[Organization], list[dict[str, Any]]]


SECTIONS: dict[str, Section] = {}


def register(section: Section) -> Section:
    if section.name in SECTIONS and SECTIONS[section.name] is not section:
        raise ValueError(f"an export section named {section.name!r} exists already")
    SECTIONS[section.name] = section
    return section


def section(name: str, description: str) -> Callable:
    """Decorator: register ``rows(organization)`` as the section ``name``."""

    def decorator(rows: Callable[[Organization], list[dict[str, Any]]]):
        register(Section(name, description, rows))
        return rows

    return decorator


# --- The sections of this module ------------------------------------------------------------------


@section("organization", _l("the profile, contact details and who may see them, status and dates"))
def _organization(organization: Organization) -> list[dict[str, Any]]:
    columns = (
        "id", "slug", "name", "proposed_name", "proposed_name_at", "kind", "country", "city",
        "description", "website", "founded_year", "logo_filename", "status", "status_reason",
        *CONTACT_FIELDS, *(f"{field}_visibility" for field in CONTACT_FIELDS),
        "public_pledge_count", "created_at", "updated_at", "submitted_at", "approved_at",
        "dark_at", "delisted_at", "deletion_requested_at",
    )  # fmt: skip
    return [{column: getattr(organization, column) for column in columns}]


@section("translations", _l("the name and description in other languages"))
def _translations(organization: Organization) -> list[dict[str, Any]]:
    rows = db.session.scalars(
        sa.select(OrganizationTranslation)
        .where(OrganizationTranslation.organization_id == organization.id)
        .order_by(OrganizationTranslation.locale)
    )
    return [
        {
            "locale": row.locale,
            "name": row.name,
            "proposed_name": row.proposed_name,
            "proposed_name_at": row.proposed_name_at,
            "description": row.description,
        }
        for row in rows
    ]


@section("users", _l("the people of the organization: their accounts, without passwords"))
def _users(organization: Organization) -> list[dict[str, Any]]:
    users = db.session.scalars(
        sa.select(User).where(User.organization_id == organization.id).order_by(User.id)
    )
    columns = (
        "id", "email", "role", "is_owner", "locale", "email_confirmed_at", "created_at",
        "last_login_at", "failed_login_count", "locked_until",
    )  # fmt: skip
    return [{column: getattr(user, column) for column in columns} for user in users]


@section("pledges", _l("every pledge to a campaign, withdrawn ones too, and how it counts"))
def _pledges(organization: Organization) -> list[dict[str, Any]]:
    pledges = db.session.scalars(
        sa.select(Pledge)
        .where(Pledge.organization_id == organization.id)
        .options(joinedload(Pledge.campaign))
        .order_by(Pledge.created_at, Pledge.id)
    )
    return [
        {
            "id": pledge.id,
            "campaign": pledge.campaign.slug,
            "campaign_title": pledge.campaign.title,
            "support_kinds": pledge.support_kinds,
            "message": pledge.message,
            "visibility": pledge.visibility,
            "message_hidden_at": pledge.message_hidden_at,
            "message_hidden_reason": pledge.message_hidden_reason,
            "counted": pledge.counted,
            "counted_iraqi": pledge.counted_iraqi,
            "created_at": pledge.created_at,
            "updated_at": pledge.updated_at,
            "withdrawn_at": pledge.withdrawn_at,
        }
        for pledge in pledges
    ]


@section("projects", _l("every project, hidden ones too"))
def _projects(organization: Organization) -> list[dict[str, Any]]:
    projects = db.session.scalars(
        sa.select(Project).where(Project.organization_id == organization.id).order_by(Project.id)
    )
    columns = (
        "id", "slug", "title", "summary", "description", "status", "start_date", "end_date",
        "place", "hidden_at", "hidden_reason", "created_at", "updated_at",
    )  # fmt: skip
    return [{column: getattr(project, column) for column in columns} for project in projects]


@section("project_campaigns", _l("which campaign each project serves, and who may see that"))
def _project_links(organization: Organization) -> list[dict[str, Any]]:
    rows = db.session.execute(
        sa.select(ProjectCampaign, Project.slug)
        .join(Project, Project.id == ProjectCampaign.project_id)
        .where(Project.organization_id == organization.id)
        .order_by(ProjectCampaign.project_id, ProjectCampaign.campaign_id)
    )
    return [
        {
            "project_id": link.project_id,
            "project": project_slug,
            "campaign": link.campaign.slug,
            "visibility": link.visibility,
            "created_at": link.created_at,
        }
        for link, project_slug in rows
    ]


@section("decisions", _l("the network's log about the organization: decisions, requests and their reasons"))
def _decisions(organization: Organization) -> list[dict[str, Any]]:
    entries = db.session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.organization_id == organization.id)
        .options(joinedload(AuditEntry.actor))
        .order_by(AuditEntry.created_at, AuditEntry.id)
    )
    rows = []
    for entry in entries:
        own = entry.actor is not None and entry.actor.organization_id == organization.id
        rows.append(
            {
                "id": entry.id,
                "created_at": entry.created_at,
                "action": entry.action,
                "target_type": entry.target_type,
                "target_id": entry.target_id,
                "by": entry.actor_email if own else "moderator",
                "reason": entry.reason,
            }
        )
    return rows


# --- The archive ----------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


@section("sessions", _l("where the organization's people are and were logged in"))
def _sessions(organization: Organization) -> list[dict[str, Any]]:
    rows = db.session.execute(
        sa.select(LoginSession, User.email)
        .join(User, User.id == LoginSession.user_id)
        .where(User.organization_id == organization.id)
        .order_by(LoginSession.id)
    ).all()
    columns = ("created_at", "last_seen_at", "ended_at", "remember", "method", "browser", "system", "country")
    return [{"user": email, **{column: getattr(row, column) for column in columns}} for row, email in rows]


@section("access_log", _l("who was shown the organization's private contact details, per day"))
def _access_log(organization: Organization) -> list[dict[str, Any]]:
    rows = db.session.scalars(
        sa.select(ContactDetailView)
        .where(ContactDetailView.organization_id == organization.id)
        .options(joinedload(ContactDetailView.viewer_organization))
        .order_by(ContactDetailView.day, ContactDetailView.id)
    )
    return [
        {
            "day": row.day,
            # As the organization's own access-log page names them: moderators are not named.
            "viewer": "moderator"
            if row.viewer_is_moderator
            else (row.viewer_organization.name if row.viewer_organization else ""),
            "views": row.views,
        }
        for row in rows
    ]


@section("second_factors", _l("the second factors of the organization's people, without their keys"))
def _second_factors(organization: Organization) -> list[dict[str, Any]]:
    users = db.session.scalars(
        sa.select(User)
        .where(User.organization_id == organization.id)
        .options(selectinload(User.passkeys))
        .order_by(User.id)
    )
    rows: list[dict[str, Any]] = []
    for user in users:
        if user.totp_enabled_at is not None:
            rows.append(
                {
                    "user": user.email,
                    "factor": "authenticator app",
                    "label": "",
                    "added_at": user.totp_enabled_at,
                }
            )
        rows.extend(
            {"user": user.email, "factor": "passkey", "label": key.name, "added_at": key.created_at}
            for key in user.passkeys
        )
    return rows


def _checked(name: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    plain = []
    for row in rows:
        for column in row:
            if SECRET_COLUMN.search(column):
                raise SecretInExport(f"the export section {name!r} returned the column {column!r}")
        plain.append({column: _plain(value) for column, value in row.items()})
    return plain


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    # A reason or message written by someone else must not run as a formula when opened.
    return "'" + text if text.startswith(_FORMULA_START) else text


def _csv(rows: list[dict[str, Any]]) -> str:
    columns: list[str] = []
    for row in rows:
        columns.extend(column for column in row if column not in columns)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_csv_cell(row.get(column)) for column in columns])
    return out.getvalue()


def _readme(organization: Organization, now: datetime) -> str:
    from flask_babel import gettext as _

    return "\n\n".join(
        [
            _(
                "Everything Tadamun holds about %(name)s (organization #%(number)s), as of %(when)s.",
                name=organization.name,
                number=organization.id,
                when=dates.format_datetime(now, "long"),  # the reader's time zone
            ),
            _(
                "Each part comes twice: NAME.json for programs and NAME.csv for spreadsheets (UTF-8). "
                "manifest.json says what each part holds. The logo, if any, is in the logo folder."
            ),
            _("Passwords are kept only as one-way hashes and are not included."),
            _("Keep this file safe: it holds contact details and email addresses you may have kept hidden."),
        ]
    )


@dataclass
class Archive:
    filename: str
    data: bytes


def build_archive(organization: Organization, *, now: datetime | None = None) -> Archive:
    """The ZIP of every registered section for ``organization``. Raises SecretInExport when a
    section returns a column that must never leave the site."""
    now = now or utcnow()
    sections = {name: _checked(name, entry.rows(organization)) for name, entry in SECTIONS.items()}
    manifest = {
        "organization_id": organization.id,
        "generated_at": now.isoformat(),
        "sections": [
            {"name": name, "description": str(SECTIONS[name].description), "rows": len(rows)}
            for name, rows in sections.items()
        ],
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", _readme(organization, now) + "\n")
        archive.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
        for name, rows in sections.items():
            archive.writestr(f"{name}.json", json.dumps(rows, ensure_ascii=False, indent=2))
            # With a byte-order mark, spreadsheets read Arabic and Kurdish text as UTF-8.
            archive.writestr(f"{name}.csv", "\ufeff" + _csv(rows))
        found = logos.logo_path(organization)
        if found is not None:
            path, _content_type = found
            archive.writestr(f"logo/{path.name}", path.read_bytes())
    return Archive(f"tadamun-{organization.slug}-{now:%Y%m%d}.zip", buffer.getvalue())

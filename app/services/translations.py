"""Content in the reader's language: campaigns, organization names and descriptions, projects.

A campaign is written in English; moderators may add its title, summary and description in Arabic,
Kurdish and French. An organization writes its name and description in the language it likes, and
may add them in more languages; so may it for each of its projects. Pages show the text in the
current locale and fall back, field by field, to the main text.

An organization's name in another language is a name like its main one (app/names.py, the rules in
docs/security.md): the same one-line and look-alike checks, and, once the organization is approved,
a new name in a language waits for a moderator's approval as a rename does (the old one, or the
main name, stays shown until then). The shown names are copied to ``organizations.translated_names``
(app/models/sort_keys.py), so pages name organizations in the reader's language with
``Organization.name_in`` at no cost in queries.

Pages never touch ``campaign.translations`` (a lazy load per row): they call ``localized_campaigns``
with the campaigns of the page, which reads the translations of all of them in one query (none when
the page is in English or the translations were eager-loaded), and get small read-only views whose
``title``/``summary``/``description`` are in the right language and whose ``lang`` says which
language that is (for a ``lang`` attribute when the fallback is shown). Every other attribute is the
campaign's own. Views build these for their page; templates only show them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from app.extensions import db
from app.models import (
    AuditAction,
    Campaign,
    CampaignTranslation,
    Organization,
    OrganizationStatus,
    OrganizationTranslation,
    Project,
    ProjectTranslation,
    User,
)
from app.models.base import utcnow
from app.names import name_skeleton
from app.services import DomainError, NotAllowed, audit
from app.services.campaigns import DESCRIPTION_MAX_LENGTH, SUMMARY_MAX_LENGTH, TITLE_MAX_LENGTH
from app.services.checks import require_moderator
from app.services.membership import check_name_available
from app.services.projects import DESCRIPTION_MAX_LENGTH as PROJECT_DESCRIPTION_MAX_LENGTH
from app.services.projects import SUMMARY_MAX_LENGTH as PROJECT_SUMMARY_MAX_LENGTH
from app.services.projects import TITLE_MAX_LENGTH as PROJECT_TITLE_MAX_LENGTH
from app.services.projects import acting_organization
from app.services.text import check_one_line

# The language campaigns are first written in.
CAMPAIGN_SOURCE_LOCALE = "en"
ORGANIZATION_DESCRIPTION_MAX_LENGTH = 10_000


def campaign_translation_locales() -> list[str]:
    """The languages a campaign can be translated into (every interface language but English)."""
    return [loc for loc in current_app.config["LANGUAGES"] if loc != CAMPAIGN_SOURCE_LOCALE]


def organization_translation_locales() -> list[str]:
    """An organization may add its description in any interface language, English included."""
    return list(current_app.config["LANGUAGES"])


# --- Reading ------------------------------------------------------------------------------


@dataclass(frozen=True)
class LocalizedCampaign:
    """A campaign as shown in one language; any other attribute is the campaign's."""

    campaign: Campaign
    title: str
    summary: str
    lang: str  # the language of the title as shown
    translated: bool
    summary_lang: str
    description_lang: str
    translated_description: str | None = field(default=None, repr=False)

    @property
    def description(self) -> str:
        # The campaign's own description is read only when asked for: lists (search results)
        # load campaigns without it, and reading it for each would cost a query per row.
        if self.translated_description is not None:
            return self.translated_description
        return self.campaign.description

    def __getattr__(self, name: str) -> Any:
        return getattr(self.campaign, name)


def project_translation_locales() -> list[str]:
    """A project's text may be added in any interface language, English included."""
    return list(current_app.config["LANGUAGES"])


@dataclass(frozen=True)
class LocalizedOrganization:
    """An organization as shown in one language; any other attribute is the organization's."""

    organization: Organization
    description: str
    lang: str | None  # None: the main description, whose language is not recorded
    translated: bool
    name: str = ""
    name_lang: str | None = None  # None: the main name

    def __getattr__(self, name: str) -> Any:
        return getattr(self.organization, name)


@dataclass(frozen=True)
class LocalizedProject:
    """A project as shown in one language; any other attribute is the project's.

    ``*_lang`` is None where the project's own text is shown (its language is not recorded).
    """

    project: Project
    title: str
    summary: str
    title_lang: str | None
    summary_lang: str | None
    description_lang: str | None
    translated_description: str | None = field(default=None, repr=False)

    @property
    def description(self) -> str:
        if self.translated_description is not None:
            return self.translated_description
        return self.project.description

    def __getattr__(self, name: str) -> Any:
        return getattr(self.project, name)


def _loaded_translations(obj: Any) -> list | None:
    """The ``translations`` collection if already loaded (eagerly or before), else None."""
    state = sa.inspect(obj)
    if "translations" not in state.mapper.relationships or "translations" in state.unloaded:
        return None
    return obj.translations


def _translations_by_owner(model: type, owner_column: str, owners: Sequence[Any], locale: str) -> dict:
    """``{owner_id: translation}`` in ``locale`` for ``owners``, in at most one query."""
    found: dict[int, Any] = {}
    missing_ids = []
    for owner in owners:
        loaded = _loaded_translations(owner)
        if loaded is None:
            missing_ids.append(owner.id)
        else:
            for row in loaded:
                if row.locale == locale:
                    found[owner.id] = row
    if missing_ids:
        column = getattr(model, owner_column)
        rows = db.session.scalars(
            sa.select(model).where(column.in_(sorted(set(missing_ids))), model.locale == locale)
        )
        for row in rows:
            found[getattr(row, owner_column)] = row
    return found


def localized_campaigns(campaigns: Iterable[Campaign], locale: str) -> list[LocalizedCampaign]:
    """The campaigns in ``locale`` (the page's, given by the view), falling back to English field
    by field.

    At most one query for the whole list; none in English.
    """
    campaigns = list(campaigns)
    if locale == CAMPAIGN_SOURCE_LOCALE or not campaigns:
        rows = {}
    else:
        rows = _translations_by_owner(CampaignTranslation, "campaign_id", campaigns, locale)
    views = []
    for campaign in campaigns:
        row = rows.get(campaign.id)
        # Each field falls back on its own, so a half-written translation never leaves a blank;
        # each says its language, for a lang attribute on the fallback text.
        shown: dict[str, Any] = {}
        for name in ("title", "summary", "description"):
            translated_text = getattr(row, name, "") if row is not None else ""
            if translated_text and translated_text.strip():
                shown[name], shown[f"{name}_lang"] = translated_text, locale
            else:
                shown[name], shown[f"{name}_lang"] = None, CAMPAIGN_SOURCE_LOCALE
        views.append(
            LocalizedCampaign(
                campaign=campaign,
                title=shown["title"] if shown["title"] is not None else campaign.title,
                summary=shown["summary"] if shown["summary"] is not None else campaign.summary,
                lang=shown["title_lang"],
                translated=row is not None,
                summary_lang=shown["summary_lang"],
                description_lang=shown["description_lang"],
                translated_description=shown["description"],
            )
        )
    return views


def localized_campaign(campaign: Campaign, locale: str) -> LocalizedCampaign:
    return localized_campaigns([campaign], locale)[0]


def localized_organizations(
    organizations: Iterable[Organization], locale: str
) -> list[LocalizedOrganization]:
    """Organizations with their description in ``locale`` when they wrote one, else the main one.

    At most one query for the whole list.
    """
    organizations = list(organizations)
    rows = (
        _translations_by_owner(OrganizationTranslation, "organization_id", organizations, locale)
        if organizations
        else {}
    )
    views = []
    for org in organizations:
        row = rows.get(org.id)
        name = org.name_in(locale)
        name_lang = locale if name != org.name else None
        if row is not None and row.description.strip():
            views.append(
                LocalizedOrganization(org, row.description, locale, True, name=name, name_lang=name_lang)
            )
        else:
            views.append(
                LocalizedOrganization(org, org.description, None, False, name=name, name_lang=name_lang)
            )
    return views


def localized_organization(organization: Organization, locale: str) -> LocalizedOrganization:
    return localized_organizations([organization], locale)[0]


def localized_projects(
    projects: Iterable[Project], locale: str, *, with_description: bool = False
) -> list[LocalizedProject]:
    """The projects in ``locale`` where their organization wrote it, falling back field by field
    to the project's own text.

    Titles and summaries come from the copy on the project row (no query); the description,
    for a project's own page, from its translation (one query when ``with_description``).
    """
    projects = list(projects)
    rows = (
        _translations_by_owner(ProjectTranslation, "project_id", projects, locale)
        if projects and with_description
        else {}
    )
    views = []
    for project in projects:
        copied = (project.translated_texts or {}).get(locale) or {}
        row = rows.get(project.id)
        shown: dict[str, Any] = {}
        for name in ("title", "summary", "description"):
            text = getattr(row, name, "") if row is not None else copied.get(name, "")
            shown[name], shown[f"{name}_lang"] = _shown_text(text, None, locale)
        views.append(
            LocalizedProject(
                project=project,
                title=shown["title"] if shown["title"] is not None else project.title,
                summary=shown["summary"] if shown["summary"] is not None else project.summary,
                title_lang=shown["title_lang"],
                summary_lang=shown["summary_lang"],
                description_lang=shown["description_lang"],
                translated_description=shown["description"],
            )
        )
    return views


def _shown_text(text: str | None, own: Any, locale: str) -> tuple[Any, str | None]:
    """A translated field where it is not blank (with ``locale``), else ``own`` (language None)."""
    if text and text.strip():
        return text, locale
    return own, None


def project_card_texts(
    title: str, summary: str, translated_texts: dict | None, locale: str
) -> tuple[str, str | None, str, str | None]:
    """A project's title and summary in ``locale`` and their languages, from its own columns and
    the copy of its translations on its row (``Project.translated_texts``): what
    :func:`localized_projects` shows, for lists read as plain columns."""
    copied = (translated_texts or {}).get(locale) or {}
    return (
        *_shown_text(copied.get("title", ""), title, locale),
        *_shown_text(copied.get("summary", ""), summary, locale),
    )


def localized_project(project: Project, locale: str) -> LocalizedProject:
    return localized_projects([project], locale, with_description=True)[0]


def project_texts(projects: Iterable[Project], locale: str) -> dict[int, LocalizedProject]:
    """The projects in ``locale`` by id (for pages that list projects): at most one query."""
    unique = {project.id: project for project in projects}
    return {view.project.id: view for view in localized_projects(unique.values(), locale)}


def project_translation(project: Project, locale: str) -> ProjectTranslation | None:
    return db.session.get(ProjectTranslation, (project.id, locale))


def campaign_texts(campaigns: Iterable[Campaign], locale: str) -> dict[int, LocalizedCampaign]:
    """The campaigns in ``locale`` by id, each once however often it is listed (the campaigns of a
    page's pledges and projects): at most one query for all of them, none in English."""
    unique = {campaign.id: campaign for campaign in campaigns}
    return {view.campaign.id: view for view in localized_campaigns(unique.values(), locale)}


def campaign_translation(campaign: Campaign, locale: str) -> CampaignTranslation | None:
    return db.session.get(CampaignTranslation, (campaign.id, locale))


def organization_translation(organization: Organization, locale: str) -> OrganizationTranslation | None:
    return db.session.get(OrganizationTranslation, (organization.id, locale))


# --- Writing ------------------------------------------------------------------------------


def save_campaign_translation(
    actor: User, campaign: Campaign, locale: str, *, title: str, summary: str, description: str
) -> CampaignTranslation | None:
    """Write (or, when every field is blank, remove) a campaign's text in ``locale``.

    Returns the translation, or None when removed. Recorded in the audit log.
    Raises NotAllowed unless ``actor`` is a moderator, DomainError for an unknown language,
    a missing title or summary, or a field too long.
    """
    require_moderator(actor, _("Only moderators translate campaigns."))
    if locale not in campaign_translation_locales():
        raise DomainError(_("Campaigns cannot be translated into this language."))
    title, summary, description = (title or "").strip(), (summary or "").strip(), (description or "").strip()
    check_one_line(title)
    existing = campaign_translation(campaign, locale)

    if not (title or summary or description):
        if existing is not None:
            db.session.delete(existing)
            audit.record(
                actor,
                AuditAction.CAMPAIGN_UPDATED,
                target_type="campaign",
                target_id=campaign.id,
                reason=f"translation {locale} removed",
            )
            db.session.flush()
        return None

    if not title:
        raise DomainError(_("Please give the title in this language."))
    if not summary:
        raise DomainError(_("Please give the summary in this language."))
    if len(title) > TITLE_MAX_LENGTH:
        raise DomainError(_("The title may be at most %(max)d characters long.", max=TITLE_MAX_LENGTH))
    if len(summary) > SUMMARY_MAX_LENGTH:
        raise DomainError(_("The summary may be at most %(max)d characters long.", max=SUMMARY_MAX_LENGTH))
    if len(description) > DESCRIPTION_MAX_LENGTH:
        raise DomainError(
            _("The description may be at most %(max)d characters long.", max=DESCRIPTION_MAX_LENGTH)
        )

    if existing is None:
        existing = CampaignTranslation(campaign_id=campaign.id, locale=locale)
        db.session.add(existing)
    existing.title, existing.summary, existing.description = title, summary, description
    audit.record(
        actor,
        AuditAction.CAMPAIGN_UPDATED,
        target_type="campaign",
        target_id=campaign.id,
        reason=f"translation {locale} saved",
    )
    db.session.flush()
    return existing


def save_organization_translation(
    actor: User, organization: Organization, locale: str, *, description: str, name: str | None = None
) -> OrganizationTranslation | None:
    """Write (or, when blank, remove) an organization's name and description in ``locale``.

    ``name`` None leaves the name in this language as it is. A name is checked as the main one
    is (one line, letters or digits, not too close to another organization's names in any
    language). A pending organization's name applies at once (its review covers it); an
    approved organization's new name waits for a moderator (``proposed_name``, recorded in the
    audit log as a rename request), while the old one (or the main name) stays shown. Removing
    the name applies at once.

    Returns the translation, or None when nothing is left of it.
    Raises NotAllowed unless ``actor`` belongs to the organization, or when it is suspended
    (the profile's rule: a suspended organization publishes nothing); InvalidName for a name
    refused (too close to another organization's, among others); DomainError for an unknown
    language or a description too long.
    """
    if actor is None or actor.organization_id != organization.id:
        raise NotAllowed(_("Only the organization's own members edit its description."))
    if organization.status == OrganizationStatus.SUSPENDED:
        raise NotAllowed(_("A suspended organization cannot change its profile."))
    if locale not in organization_translation_locales():
        raise DomainError(_("Descriptions cannot be written in this language here."))
    description = (description or "").strip()
    if len(description) > ORGANIZATION_DESCRIPTION_MAX_LENGTH:
        raise DomainError(
            _(
                "The description may be at most %(max)d characters long.",
                max=ORGANIZATION_DESCRIPTION_MAX_LENGTH,
            )
        )
    existing = organization_translation(organization, locale)
    if name is not None:
        name = _clean_translated_name(name, organization, existing)
    if existing is None:
        if not description and not name:
            return None
        existing = OrganizationTranslation(organization_id=organization.id, locale=locale)
        db.session.add(existing)
    existing.description = description
    if name is not None:
        _set_translated_name(actor, organization, existing, name)
    if not (existing.description or existing.name or existing.proposed_name):
        if existing in db.session.new:
            db.session.expunge(existing)
        else:
            db.session.delete(existing)
        db.session.flush()
        return None
    db.session.flush()
    return existing


NAME_MAX_LENGTH = 200


class InvalidName(DomainError):
    """A name in another language that is refused (the message says why): not one line, no
    letters, too long, or too close to another organization's name."""


def _clean_translated_name(
    name: str, organization: Organization, existing: OrganizationTranslation | None
) -> str:
    try:
        return _check_translated_name(name.strip(), organization, existing)
    except DomainError as error:
        raise InvalidName(str(error)) from error


def _check_translated_name(
    name: str, organization: Organization, existing: OrganizationTranslation | None
) -> str:
    if not name:
        return ""
    check_one_line(name)
    if len(name) > NAME_MAX_LENGTH:
        raise DomainError(_("The name may be at most %(max)d characters long.", max=NAME_MAX_LENGTH))
    skeleton = name_skeleton(name)
    if not skeleton:
        raise DomainError(_("The name must contain letters or digits."))
    own = {organization.name_skeleton, existing.name_skeleton if existing is not None else ""}
    if skeleton not in own:
        check_name_available(name, organization)
    return name


def _set_translated_name(
    actor: User, organization: Organization, translation: OrganizationTranslation, name: str
) -> None:
    shown = translation.name or ""
    if organization.status != OrganizationStatus.APPROVED or not name:
        # An application's names are reviewed with it; taking a name off hides nothing.
        if translation.proposed_name is not None and not name:
            translation.proposed_name = translation.proposed_name_at = None
        if organization.status != OrganizationStatus.APPROVED:
            translation.proposed_name = translation.proposed_name_at = None
        translation.name = name or None
        return
    if name == shown:
        if translation.proposed_name is not None:
            _record_name_request(actor, organization, translation, AuditAction.ORGANIZATION_RENAME_WITHDRAWN)
            translation.proposed_name = translation.proposed_name_at = None
        return
    if name == translation.proposed_name:
        return
    translation.proposed_name = name
    translation.proposed_name_at = utcnow()
    _record_name_request(actor, organization, translation, AuditAction.ORGANIZATION_RENAME_REQUESTED)


def _record_name_request(
    actor: User, organization: Organization, translation: OrganizationTranslation, action: AuditAction
) -> None:
    shown = translation.name or organization.name
    audit.record_about(
        actor, action, organization, f"[{translation.locale}] {shown} → {translation.proposed_name}"
    )


def save_project_translation(
    actor: User, project: Project, locale: str, *, title: str, summary: str = "", description: str = ""
) -> ProjectTranslation | None:
    """Write (or, when every field is blank, remove) a project's text in ``locale``.

    Returns the translation, or None when removed.
    Raises NotAllowed unless ``actor``'s approved organization runs the project (a suspended
    organization changes nothing), DomainError for an unknown language, a missing title or a
    field too long.
    """
    organization = acting_organization(actor)
    if project.organization_id != organization.id:
        raise NotAllowed(_("Only the organization that runs a project can change it."))
    if locale not in project_translation_locales():
        raise DomainError(_("Projects cannot be translated into this language."))
    title, summary, description = (title or "").strip(), (summary or "").strip(), (description or "").strip()
    check_one_line(title)
    check_one_line(summary)
    existing = project_translation(project, locale)
    if not (title or summary or description):
        if existing is not None:
            db.session.delete(existing)
            db.session.flush()
        return None
    if not title:
        raise DomainError(_("Please give the title in this language."))
    if len(title) > PROJECT_TITLE_MAX_LENGTH:
        raise DomainError(
            _("The title may be at most %(max)d characters long.", max=PROJECT_TITLE_MAX_LENGTH)
        )
    if len(summary) > PROJECT_SUMMARY_MAX_LENGTH:
        raise DomainError(
            _("The summary may be at most %(max)d characters long.", max=PROJECT_SUMMARY_MAX_LENGTH)
        )
    if len(description) > PROJECT_DESCRIPTION_MAX_LENGTH:
        raise DomainError(
            _("The description may be at most %(max)d characters long.", max=PROJECT_DESCRIPTION_MAX_LENGTH)
        )
    if existing is None:
        existing = ProjectTranslation(project_id=project.id, locale=locale)
        db.session.add(existing)
    existing.title, existing.summary, existing.description = title, summary, description
    db.session.flush()
    return existing

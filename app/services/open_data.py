"""What the network publishes as open data: one record per campaign, organization, pledge and
project, shared by the API (app/api), the Atom feeds (app/feeds) and the exports (app/opendata).

Every record is built from what app/services/directory.py returned for a visitor, and holds
only public fields: an organization's contact details only where their visibility is public
(``directory.visible_contacts`` for a visitor), a pledge only when it is public, a project's
campaigns only through public links. No record carries a database id, an email address
other than a public contact email, a moderator's reason or a pending name. New kinds of
records (campaign updates, gatherings) are added here, beside the others, so that every door
publishes them the same way and the leak test (tests/test_open_data_leaks.py) walks them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l

from app.models import Campaign, Organization, Pledge, Project
from app.models.organization import CONTACT_FIELDS
from app.services import directory
from app.services.translations import CAMPAIGN_SOURCE_LOCALE

LANGUAGES = ("en", "ar", "ckb", "fr")


def public_website(url: str | None) -> str | None:
    """A member-given website, only if it is an http(s) address (never a javascript: link): the
    rule of the profile page (app/urls.py), for every record that publishes it."""
    url = (url or "").strip()
    if url.lower().startswith(("http://", "https://")) and len(url) > len("https://"):
        return url
    return None


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment is not None else None


def campaign_path(slug: str) -> str:
    return f"/campaigns/{slug}"


def organization_path(slug: str) -> str:
    return f"/organizations/{slug}"


def project_path(slug: str) -> str:
    return f"/projects/{slug}"


# --- Records ----------------------------------------------------------------------------


def campaign_record(campaign: Campaign, base_url: str, lang: str | None = None) -> dict[str, Any]:
    """A campaign with its texts in every language it has, and its public counters."""
    texts = {CAMPAIGN_SOURCE_LOCALE: _campaign_text(campaign)}
    for translation in campaign.translations:
        texts[translation.locale] = {
            "title": translation.title,
            "summary": translation.summary,
            "description": translation.description,
        }
    shown = _in_language(texts, lang, CAMPAIGN_SOURCE_LOCALE)
    return {
        "slug": campaign.slug,
        "url": base_url + campaign_path(campaign.slug),
        "language": lang or CAMPAIGN_SOURCE_LOCALE,
        "title": shown["title"],
        "summary": shown["summary"],
        "description": shown["description"],
        "status": str(campaign.status),
        "translations": texts,
        "counts": {
            "supporters": campaign.supporter_count,
            "iraqi_supporters": campaign.iraqi_supporter_count,
            "international_supporters": campaign.international_supporter_count,
            "projects": campaign.project_count,
        },
        "created_at": _iso(campaign.created_at),
        "updated_at": _iso(campaign.updated_at),
    }


def _campaign_text(campaign: Campaign) -> dict[str, str]:
    return {"title": campaign.title, "summary": campaign.summary, "description": campaign.description}


def _in_language(texts: dict[str, dict[str, str]], lang: str | None, source: str) -> dict[str, str]:
    """The texts in ``lang``, falling back field by field to the source language's."""
    base = texts.get(source) or next(iter(texts.values()))
    wanted = texts.get(lang or source, {})
    return {field: (wanted.get(field) or value) for field, value in base.items()}


def public_contacts(organization: Organization) -> dict[str, str]:
    """The organization's contact details a visitor is shown (the profile page's rule)."""
    return directory.visible_contacts(organization, directory.VISITOR)


def organization_record(organization: Organization, base_url: str, lang: str | None = None) -> dict[str, Any]:
    """An organization in public view: its public profile and its public contact details."""
    translations: dict[str, dict[str, str]] = {}
    for translation in organization.translations:
        entry = {}
        if translation.name:  # the approved name (a proposed one waits for review)
            entry["name"] = translation.name
        if translation.description:
            entry["description"] = translation.description
        if entry:
            translations[translation.locale] = entry
    wanted = translations.get(lang or "", {})
    contacts = public_contacts(organization)
    return {
        "slug": organization.slug,
        "url": base_url + organization_path(organization.slug),
        "language": lang,
        "name": wanted.get("name") or organization.name,
        "description": wanted.get("description") or organization.description,
        "kind": str(organization.kind),
        "country": organization.country,
        "city": organization.city,
        "website": public_website(organization.website),
        "founded_year": organization.founded_year,
        "contacts": {field: contacts.get(field) for field in CONTACT_FIELDS},
        "translations": translations,
        "public_pledges": organization.public_pledge_count,
        "murmurations": base_url + murmurations_path(organization.slug)
        if organization.publishes_murmurations
        else None,
        "member_since": _iso(organization.approved_at),
    }


def pledge_record(pledge: Pledge, base_url: str) -> dict[str, Any]:
    """A public pledge: who supports which campaign, how, and their public message."""
    return {
        "campaign": pledge.campaign.slug,
        "campaign_url": base_url + campaign_path(pledge.campaign.slug),
        "organization": pledge.organization.slug,
        "organization_name": pledge.organization.name,
        "organization_url": base_url + organization_path(pledge.organization.slug),
        "country": pledge.organization.country,
        "kind": str(pledge.organization.kind),
        "support": [str(kind) for kind in pledge.kinds],
        "message": pledge.visible_message,
        "created_at": _iso(pledge.created_at),
    }


def project_record(project: Project, base_url: str, lang: str | None = None) -> dict[str, Any]:
    """A visible project of an organization in public view, with its publicly linked campaigns."""
    texts = {"": {"title": project.title, "summary": project.summary, "description": project.description}}
    translations = {}
    for translation in project.translations:
        entry = {
            field: value
            for field, value in (
                ("title", translation.title),
                ("summary", translation.summary),
                ("description", translation.description),
            )
            if value
        }
        if entry:
            translations[translation.locale] = entry
            texts[translation.locale] = entry
    shown = _in_language(texts, lang, "")
    organization = project.organization
    return {
        "slug": project.slug,
        "url": base_url + project_path(project.slug),
        "language": lang,
        "title": shown["title"],
        "summary": shown["summary"],
        "description": shown["description"],
        "status": str(project.status),
        "start_date": project.start_date.isoformat() if project.start_date else None,
        "end_date": project.end_date.isoformat() if project.end_date else None,
        "place": project.place,
        "organization": organization.slug,
        "organization_name": organization.name,
        "organization_url": base_url + organization_path(organization.slug),
        "country": organization.country,
        "campaigns": sorted(link.campaign.slug for link in project.campaign_links if link.is_public),
        "translations": translations,
        "created_at": _iso(project.created_at),
        "updated_at": _iso(project.updated_at),
    }


def update_record(update: Any, base_url: str, lang: str | None = None) -> dict[str, Any]:
    """An update anyone may see (app/services/updates.py chose it), in ``lang`` when written in
    it, else in its first language; ``project`` only while that project is in public view."""
    from app.services import updates as update_service

    shown = update_service.localized([update], lang or update.locale)[0]
    if update.campaign is not None:
        page = base_url + campaign_path(update.campaign.slug)
    else:
        page = base_url + project_path(update.project.slug)
    poster = update.organization
    return {
        "url": f"{page}#update-{update.id}",
        "kind": "campaign" if update.campaign is not None else "project",
        "campaign": update.campaign.slug if update.campaign is not None else None,
        "project": shown.project.slug if shown.project is not None else None,
        "organization": poster.slug if poster is not None else None,
        "organization_name": poster.name if poster is not None else None,
        "language": shown.lang,
        "title": shown.title,
        "body": shown.body,
        "translations": {text.locale: {"title": text.title, "body": text.body} for text in update.texts},
        "created_at": _iso(update.created_at),
        "updated_at": _iso(update.updated_at),
    }


def gathering_path(slug: str) -> str:
    return f"/gatherings/{slug}"


def gathering_outcome_path(slug: str) -> str:
    return f"/gatherings/{slug}/outcome"


def _zoned(moment: datetime, zone: str) -> str:
    """A moment in the gathering's own zone, with its offset (ISO 8601)."""
    import pytz

    return moment.astimezone(pytz.timezone(zone)).isoformat()


def _organization_ref(organization: Organization, base_url: str) -> dict[str, str]:
    return {
        "slug": organization.slug,
        "name": organization.name,
        "url": base_url + organization_path(organization.slug),
    }


def gathering_record(
    gathering: Any, base_url: str, lang: str | None = None, *, detail: bool = False
) -> dict[str, Any]:
    """A gathering anyone may see (app/services/gatherings.py chose it): its texts, times in its
    zone, place, organizing and supporting organizations in public view, campaigns; with
    ``detail``, its programme, the registered organizations named publicly (the page's rule,
    ``registrations.named_registrants``) and, once past, its outcome and projects. Never a
    registrant's needs, a person or a registration that is not public."""
    from app.services import gatherings as gathering_service
    from app.services import registrations

    texts = {"en": {name: getattr(gathering, name) for name in gathering_service.TRANSLATED_FIELDS}}
    for translation in gathering.translations:
        entry = {name: getattr(translation, name) for name in gathering_service.TRANSLATED_FIELDS}
        entry = {name: value for name, value in entry.items() if value}
        if entry:
            texts[translation.locale] = entry
    shown = _in_language(texts, lang, "en")
    outcome = gathering_service.has_outcome_page(gathering)
    record: dict[str, Any] = {
        "slug": gathering.slug,
        "url": base_url + gathering_path(gathering.slug),
        "language": lang or "en",
        "title": shown["title"],
        "description": shown["description"],
        "logistics": shown["logistics"],
        "visa_notice": shown["visa_notice"],
        "status": str(gathering.status),
        "starts_at": _zoned(gathering.starts_at, gathering.time_zone),
        "ends_at": _zoned(gathering.ends_at, gathering.time_zone),
        "time_zone": gathering.time_zone,
        "city": gathering.city,
        "country": gathering.country,
        "venue": gathering.venue,
        "online_url": gathering.online_url,
        "organizers": [
            _organization_ref(o, base_url)
            for o in gathering_service.shown_organizations(gathering, "organizer")
        ],
        "supporters": [
            _organization_ref(o, base_url)
            for o in gathering_service.shown_organizations(gathering, "supporter")
        ],
        "campaigns": [c.slug for c in gathering_service.linked_campaigns(gathering)],
        "outcome_url": base_url + gathering_outcome_path(gathering.slug) if outcome else None,
        "translations": {
            locale: {k: v for k, v in entry.items() if k != "outcome" or outcome}
            for locale, entry in texts.items()
        },
        "published_at": _iso(gathering.published_at),
    }
    if detail:
        record["sessions"] = [
            {
                "title": session.title,
                "starts_at": _zoned(session.starts_at, gathering.time_zone),
                "ends_at": _zoned(session.ends_at, gathering.time_zone),
                "room": session.room,
                "speakers": session.speakers,
                "language": session.language,
                "interpretation": session.interpretation_languages,
            }
            for session in gathering.sessions
        ]
        record["registered_organizations"] = [
            _organization_ref(o, base_url) for o in registrations.named_registrants(gathering, None)
        ]
        record["outcome"] = shown["outcome"] if outcome else None
        record["projects"] = [p.slug for p in gathering_service.shown_projects(gathering)] if outcome else []
    return record


# --- Tables (CSV and JSON exports) ------------------------------------------------------
#
# Each table: (column, HXL hashtag, what the column holds), in a fixed order that never
# changes except by adding columns at the end. The data dictionary page is built from them.

ORGANIZATION_COLUMNS = (
    ("slug", "#org+code", _l("The organization's identifier in the directory (stable).")),
    ("name", "#org+name", _l("Its name.")),
    ("kind", "#org+type", _l("Its kind (ngo, labour_union, ...).")),
    ("country", "#country+code", _l("Its country, ISO 3166-1 alpha-2.")),
    ("city", "#adm1+name", _l("Its city or governorate.")),
    ("sectors", "#sector", _l("The campaigns it publicly supports (slugs, space-separated).")),
    ("website", "#meta+url", _l("Its website.")),
    ("founded_year", "#date+year+founded", _l("The year it was founded.")),
    ("contact_email", "#contact+email", _l("Its contact email address, when public.")),
    ("contact_phone", "#contact+phone", _l("Its phone number, when public.")),
    ("address", "#contact+address", _l("Its postal address, when public.")),
    ("contact_person", "#contact+name", _l("Its contact person, when public.")),
    ("facebook", "#contact+url+facebook", _l("Its Facebook page, when public.")),
    ("telegram", "#contact+telegram", _l("Its Telegram handle, when public.")),
    ("whatsapp", "#contact+whatsapp", _l("Its WhatsApp number, when public.")),
    (
        "org_identifier",
        "#org+id",
        _l("Its registration identifier in the org-id.guide form (IQ-NGO-…), when public."),
    ),
    ("profile_url", "#meta+url+profile", _l("Its page in the directory.")),
    ("member_since", "#date+approved", _l("When it joined the network (UTC, ISO 8601).")),
)

SUPPORTER_COLUMNS = (
    ("campaign", "#sector+code", _l("The campaign's slug.")),
    ("organization", "#org+code", _l("The supporting organization's slug.")),
    ("organization_name", "#org+name", _l("Its name.")),
    ("country", "#country+code", _l("Its country, ISO 3166-1 alpha-2.")),
    ("kind", "#org+type", _l("Its kind.")),
    ("support", "#activity+type", _l("How it supports the campaign (space-separated).")),
    ("message", "#description", _l("Its public message.")),
    ("created_at", "#date+pledged", _l("When it pledged (UTC, ISO 8601).")),
)

PROJECT_COLUMNS = (
    ("slug", "#activity+code", _l("The project's identifier (stable).")),
    ("title", "#activity+name", _l("Its title.")),
    ("summary", "#description", _l("Its summary.")),
    ("status", "#status", _l("planned, running or finished.")),
    ("start_date", "#date+start", _l("Its start date.")),
    ("end_date", "#date+end", _l("Its end date.")),
    ("place", "#loc+name", _l("Where it happens.")),
    ("organization", "#org+code", _l("The slug of the organization that runs it.")),
    ("organization_name", "#org+name", _l("Its name.")),
    ("country", "#country+code", _l("The organization's country.")),
    ("campaigns", "#sector", _l("The campaigns it is publicly linked to (slugs, space-separated).")),
    ("url", "#meta+url", _l("Its page.")),
)

TABLES = {
    "organizations": ORGANIZATION_COLUMNS,
    "supporters": SUPPORTER_COLUMNS,
    "projects": PROJECT_COLUMNS,
}

BATCH = 200  # rows read per query while streaming an export


def organization_row(organization: Organization, base_url: str, sectors: Iterable[str]) -> dict[str, Any]:
    record = organization_record(organization, base_url)
    row = {
        "slug": record["slug"],
        "name": record["name"],
        "kind": record["kind"],
        "country": record["country"],
        "city": record["city"],
        "sectors": " ".join(sorted(sectors)),
        "website": record["website"] or "",
        "founded_year": record["founded_year"] or "",
        "profile_url": record["url"],
        "member_since": record["member_since"] or "",
    }
    row.update({field: value or "" for field, value in record["contacts"].items()})
    return row


def supporter_row(pledge: Pledge, base_url: str) -> dict[str, Any]:
    record = pledge_record(pledge, base_url)
    return {
        "campaign": record["campaign"],
        "organization": record["organization"],
        "organization_name": record["organization_name"],
        "country": record["country"],
        "kind": record["kind"],
        "support": " ".join(record["support"]),
        "message": record["message"],
        "created_at": record["created_at"],
    }


def project_row(project: Project, base_url: str) -> dict[str, Any]:
    record = project_record(project, base_url)
    return {name: _flat(record.get(name)) for name, _tag, _text in PROJECT_COLUMNS}


def _flat(value: Any) -> Any:
    if isinstance(value, list):
        return " ".join(value)
    return "" if value is None else value


def directory_rows(base_url: str) -> Iterator[dict[str, Any]]:
    """Every organization in public view, by slug, read in batches (constant memory)."""
    after = None
    while True:
        organizations, more = directory.open_organizations(
            directory.DirectoryFilters(), after=after, limit=BATCH
        )
        sectors = directory.public_campaign_slugs([organization.id for organization in organizations])
        for organization in organizations:
            yield organization_row(organization, base_url, sectors.get(organization.id, ()))
        if not more:
            return
        after = organizations[-1].slug


def supporter_rows(campaign: Campaign, base_url: str) -> Iterator[dict[str, Any]]:
    """The campaign's public supporters, newest first, read in batches."""
    after = None
    while True:
        pledges, more = directory.open_pledges(
            directory.PledgeFilters(campaign=campaign), after=after, limit=BATCH
        )
        for pledge in pledges:
            yield supporter_row(pledge, base_url)
        if not more:
            return
        after = directory.pledge_cursor(pledges[-1])


def project_rows(campaign: Campaign, base_url: str) -> Iterator[dict[str, Any]]:
    """The projects publicly linked to the campaign, by slug, read in batches."""
    after = None
    while True:
        found, more = directory.open_projects(
            directory.ProjectFilters(campaign=campaign), after=after, limit=BATCH
        )
        for project in found:
            yield project_row(project, base_url)
        if not more:
            return
        after = found[-1].slug


# --- Feed entries -----------------------------------------------------------------------
#
# What the Atom feeds publish, newest first: plain data, worded by the feeds' views. An entry's
# id is a tag URI built from slugs and its time, never from a database id.

FEED_ENTRIES = 30


def _tag(site_host: str, moment: datetime, path: str) -> str:
    return f"tag:{site_host},{moment:%Y-%m-%d}:{path}"


def feed_entries(
    base_url: str,
    *,
    campaign: Campaign | None = None,
    organization: Organization | None = None,
    project: Project | None = None,
    locale: str = CAMPAIGN_SOURCE_LOCALE,
    limit: int = FEED_ENTRIES,
) -> list[dict[str, Any]]:
    """The newest public events: organizations that joined and gatherings published (network
    feed only), public pledges, projects and updates (campaign and project updates; a
    campaign's own in its feed, those an organization posted in its feed); for one campaign or
    one organization when given; for one project, its updates. Updates and gatherings are
    titled in ``locale`` (or their own language)."""
    from app.services import gatherings as gathering_service
    from app.services import updates as update_service

    host = base_url.split("://", 1)[-1].split("/", 1)[0]
    entries: list[dict[str, Any]] = []
    if campaign is not None or organization is not None:
        found = update_service.open_updates(campaign=campaign, organization=organization, limit=limit)[0]
    else:
        found = update_service.newest_updates(limit, project=project)
    for shown in update_service.localized(found, locale):
        record = update_record(shown.update, base_url, shown.lang)
        entries.append(
            {
                "kind": "update",
                "id": _tag(host, shown.created_at, f"update/{shown.update.id}"),
                "when": shown.created_at,
                "updated": shown.updated_at,
                "title": shown.title,
                "lang": shown.lang,
                "organization": record["organization_name"],
                "url": record["url"],
                "summary": shown.body[:500],
            }
        )
    if project is not None:
        entries.sort(key=lambda entry: entry["when"], reverse=True)
        return entries[:limit]
    if campaign is None and organization is None:
        published = gathering_service.newest_published(limit)
        for shown in gathering_service.localized_gatherings(published, locale):
            entries.append(
                {
                    "kind": "gathering",
                    "id": _tag(host, shown.published_at, f"gathering/{shown.slug}"),
                    "when": shown.published_at,
                    "title": shown.title,
                    "lang": shown.langs["title"],
                    "url": base_url + gathering_path(shown.slug),
                    "summary": shown.description[:500],
                }
            )
    if campaign is None and organization is None:
        for member in directory.newest_listed_organizations(limit):
            entries.append(
                {
                    "kind": "member",
                    "id": _tag(host, member.approved_at, f"member/{member.slug}"),
                    "when": member.approved_at,
                    "organization": member.name,
                    "country": member.country,
                    "url": base_url + organization_path(member.slug),
                    "summary": member.description,
                }
            )
    for pledge in directory.newest_open_pledges(limit, campaign=campaign, organization=organization):
        entries.append(
            {
                "kind": "pledge",
                "id": _tag(
                    host,
                    pledge.created_at,
                    f"pledge/{pledge.organization.slug}/{pledge.campaign.slug}/{pledge.created_at:%Y%m%d%H%M%S%f}",
                ),
                "when": pledge.created_at,
                "organization": pledge.organization.name,
                "campaign": pledge.campaign,
                "url": base_url + campaign_path(pledge.campaign.slug),
                "summary": pledge.visible_message,
            }
        )
    for project in directory.newest_projects(limit, organization=organization, campaign=campaign):
        entries.append(
            {
                "kind": "project",
                "id": _tag(host, project.created_at, f"project/{project.slug}"),
                "when": project.created_at,
                "organization": project.organization.name,
                "title": project.title,
                "url": base_url + project_path(project.slug),
                "summary": project.summary,
            }
        )
    entries.sort(key=lambda entry: entry["when"], reverse=True)
    return entries[:limit]


def public_page_paths() -> Iterator[str]:
    """The path of every campaign page, of every organization and project page in public view,
    and of every gathering page anyone may see with its outcome page once past (read in
    batches), for the sitemap."""
    after = None
    while True:
        campaigns, more = directory.open_campaigns(after=after, limit=BATCH)
        yield from (campaign_path(campaign.slug) for campaign in campaigns)
        if not more:
            break
        after = campaigns[-1].slug
    after = None
    while True:
        organizations, more = directory.open_organizations(
            directory.DirectoryFilters(), after=after, limit=BATCH
        )
        yield from (organization_path(organization.slug) for organization in organizations)
        if not more:
            break
        after = organizations[-1].slug
    after = None
    while True:
        found, more = directory.open_projects(directory.ProjectFilters(), after=after, limit=BATCH)
        yield from (project_path(project.slug) for project in found)
        if not more:
            break
        after = found[-1].slug
    from app.services import gatherings as gathering_service

    for slug, has_outcome in gathering_service.public_gathering_paths(BATCH):
        yield gathering_path(slug)
        if has_outcome:
            yield gathering_outcome_path(slug)


# --- schema.org JSON-LD and share previews ----------------------------------------------
#
# The pages' machine-readable descriptions, the same for every reader (pages are cached for
# visitors, and a member's page must not publish more than a visitor's): public fields only,
# from objects the page has already loaded (no query).

SCHEMA_ORG = "https://schema.org"


def organization_jsonld(organization: Any, base_url: str, description: str | None = None) -> dict[str, Any]:
    """``NGO`` (or ``Organization`` for unions, media and movements) with its public contacts."""
    ngo_kinds = {"ngo", "international_ngo", "human_rights_association", "womens_group", "youth_group",
                 "cultural_association", "foundation"}  # fmt: skip
    contacts = public_contacts(organization)
    data: dict[str, Any] = {
        "@context": SCHEMA_ORG,
        "@type": "NGO" if str(organization.kind) in ngo_kinds else "Organization",
        "@id": base_url + organization_path(organization.slug),
        "name": organization.name,
        "url": base_url + organization_path(organization.slug),
        "description": description if description is not None else organization.description,
        "address": {
            "@type": "PostalAddress",
            "addressCountry": organization.country,
            "addressLocality": organization.city,
        },
    }
    if public_website(organization.website):
        data["sameAs"] = [public_website(organization.website)]
    if organization.founded_year:
        data["foundingDate"] = str(organization.founded_year)
    if contacts.get("contact_email"):
        data["email"] = contacts["contact_email"]
    if contacts.get("contact_phone"):
        data["telephone"] = contacts["contact_phone"]
    if contacts.get("address"):
        data["address"]["streetAddress"] = contacts["address"]
    return data


def campaign_jsonld(campaign: Any, base_url: str) -> dict[str, Any]:
    """A campaign as a schema.org ``Project`` (a collective undertaking) of the network."""
    return {
        "@context": SCHEMA_ORG,
        "@type": "Project",
        "@id": base_url + campaign_path(campaign.slug),
        "name": campaign.title,
        "description": campaign.summary,
        "url": base_url + campaign_path(campaign.slug),
        "image": base_url + card_path(campaign.slug, getattr(campaign, "lang", None)),
        "parentOrganization": {"@type": "Organization", "name": "Tadamun", "url": base_url + "/"},
    }


def project_jsonld(project: Any, base_url: str) -> dict[str, Any]:
    """A project as a schema.org ``Project``, run by its organization, for its public campaigns."""
    organization = project.organization
    data: dict[str, Any] = {
        "@context": SCHEMA_ORG,
        "@type": "Project",
        "@id": base_url + project_path(project.slug),
        "name": project.title,
        "description": project.summary,
        "url": base_url + project_path(project.slug),
        "parentOrganization": {
            "@type": "Organization",
            "name": organization.name,
            "url": base_url + organization_path(organization.slug),
        },
    }
    if project.place:
        data["location"] = {"@type": "Place", "name": project.place}
    if project.start_date:
        data["startDate"] = project.start_date.isoformat()
    if project.end_date:
        data["endDate"] = project.end_date.isoformat()
    public = [link.campaign for link in project.campaign_links if link.is_public]
    if public:
        data["isPartOf"] = [
            {"@type": "Project", "name": c.title, "url": base_url + campaign_path(c.slug)} for c in public
        ]
    return data


EVENT_STATUS = {"published": "EventScheduled", "cancelled": "EventCancelled"}


def gathering_jsonld(gathering: Any, organizers: list[Any], base_url: str) -> dict[str, Any]:
    """A gathering as a schema.org ``Event``: its times in its zone with their offset, its
    place (a city and country, and/or its online link), its organizers in public view (the
    page's ``shown_organizations``) or the network; from what the page loaded (no query)."""
    url = base_url + gathering_path(gathering.slug)
    locations: list[dict[str, Any]] = []
    if gathering.city or gathering.country:
        place: dict[str, Any] = {
            "@type": "Place",
            "name": gathering.venue or gathering.city or gathering.country,
            "address": {"@type": "PostalAddress"},
        }
        if gathering.city:
            place["address"]["addressLocality"] = gathering.city
        if gathering.country:
            place["address"]["addressCountry"] = gathering.country
        if gathering.venue:
            place["address"]["streetAddress"] = gathering.venue
        locations.append(place)
    if gathering.online_url:
        locations.append({"@type": "VirtualLocation", "url": gathering.online_url})
    if gathering.online_url and len(locations) > 1:
        mode = "MixedEventAttendanceMode"
    elif gathering.online_url:
        mode = "OnlineEventAttendanceMode"
    else:
        mode = "OfflineEventAttendanceMode"
    organizer = [
        {"@type": "Organization", "name": o.name, "url": base_url + organization_path(o.slug)}
        for o in organizers
    ] or [{"@type": "Organization", "name": "Tadamun", "url": base_url + "/"}]
    return {
        "@context": SCHEMA_ORG,
        "@type": "Event",
        "@id": url,
        "name": gathering.title,
        "description": gathering.description,
        "url": url,
        "startDate": _zoned(gathering.starts_at, gathering.time_zone),
        "endDate": _zoned(gathering.ends_at, gathering.time_zone),
        "eventStatus": f"{SCHEMA_ORG}/{EVENT_STATUS.get(str(gathering.status), 'EventScheduled')}",
        "eventAttendanceMode": f"{SCHEMA_ORG}/{mode}",
        "location": locations[0] if len(locations) == 1 else locations,
        "organizer": organizer[0] if len(organizer) == 1 else organizer,
    }


def card_path(slug: str, lang: str | None = None) -> str:
    """A campaign's share card; in ``lang`` (the language its title is shown in) but English."""
    path = f"/open-data/cards/campaigns/{slug}.png"
    return path if lang in (None, CAMPAIGN_SOURCE_LOCALE) else f"{path}?lang={lang}"


# --- Murmurations -----------------------------------------------------------------------

MURMURATIONS_SCHEMA = "organizations_schema-v1.0.0"


def murmurations_path(slug: str) -> str:
    return f"/open-data/murmurations/{slug}.json"


def murmurations_profile(organization: Organization, base_url: str) -> dict[str, Any]:
    """The organization's profile in the Murmurations organizations schema: public fields only
    (its public contact email and public registration identifier, never another detail)."""
    contacts = public_contacts(organization)
    profile_url = base_url + organization_path(organization.slug)
    sectors = directory.public_campaign_slugs([organization.id]).get(organization.id, [])
    profile: dict[str, Any] = {
        "linked_schemas": [MURMURATIONS_SCHEMA],
        "name": organization.name,
        "primary_url": public_website(organization.website) or profile_url,
        "urls": [{"name": "Tadamun", "url": profile_url}],
        "description": organization.description,
        "tags": [str(organization.kind), *sectors],
        "country_iso_3166": organization.country,
        "rss": base_url + f"/feeds/organizations/{organization.slug}.atom",
    }
    if public_website(organization.website):
        profile["urls"].append({"name": "Website", "url": public_website(organization.website)})
    if organization.city:
        profile["locality"] = organization.city
    if contacts.get("contact_email"):
        profile["contact_details"] = {"email": contacts["contact_email"]}
    if contacts.get("org_identifier"):
        profile["urls"].append({"name": contacts["org_identifier"], "url": "https://org-id.guide/"})
    return profile

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
    limit: int = FEED_ENTRIES,
) -> list[dict[str, Any]]:
    """The newest public events: organizations that joined (network feed only), public pledges
    and projects; for one campaign or one organization when given."""
    host = base_url.split("://", 1)[-1].split("/", 1)[0]
    entries: list[dict[str, Any]] = []
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
    """The path of every campaign page, and of every organization and project page in public
    view (read in batches), for the sitemap."""
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
        "image": base_url + card_path(campaign.slug),
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


def card_path(slug: str) -> str:
    return f"/open-data/cards/campaigns/{slug}.png"


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

"""A synthetic network at the size of a real one, for benchmarks and scale tests.

``generate(scale=1.0)`` writes 10,000 organizations (Iraqi and international, every
kind, Arabic and Latin names), 50 campaigns, 200,000 pledges of mixed visibility (some
withdrawn) and 20,000 projects linked to 1-3 campaigns each. The same seed gives the
same network. Rows go in with bulk inserts (COPY on PostgreSQL, executemany on SQLite),
each pledge with its current attribution and each project link with the visibility the
project form would give it; then the counters come from the one aggregate of
``app.services.counters``. Each row's search text is computed here (the session's listener
does not see bulk inserts); the index follows by itself (triggers or generated columns, see
``app.search_engine``).

Like the services it flushes and never commits: ``flask large-data`` commits once.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from app.extensions import db
from app.models import (
    ACCENTS,
    IRAQ,
    Campaign,
    CampaignStatus,
    LinkVisibility,
    Organization,
    OrganizationKind,
    OrganizationStatus,
    Pledge,
    PledgeVisibility,
    Project,
    ProjectCampaign,
    ProjectStatus,
    SupportKind,
    Visibility,
)
from app.models.sort_keys import sort_keys
from app.names import name_skeleton
from app.search_engine import engine as search_engine
from app.services import DomainError, counters

FULL_SIZE = {"organizations": 10_000, "campaigns": 50, "pledges": 200_000, "projects": 20_000}
BATCH = 5_000
PROGRESS_EVERY = 50_000  # rows between two progress lines while a long table is written
EPOCH = datetime(2026, 11, 1, tzinfo=UTC)  # fixed, so that two runs give the same rows

IRAQI_PLACES = [
    ("Baghdad", "بغداد"), ("Basra", "البصرة"), ("Mosul", "الموصل"), ("Erbil", "أربيل"),
    ("Najaf", "النجف"), ("Karbala", "كربلاء"), ("Sulaymaniyah", "السليمانية"), ("Kirkuk", "كركوك"),
    ("Nasiriyah", "الناصرية"), ("Hilla", "الحلة"), ("Duhok", "دهوك"), ("Ramadi", "الرمادي"),
    ("Amarah", "العمارة"), ("Kut", "الكوت"), ("Samawah", "السماوة"), ("Diwaniyah", "الديوانية"),
]  # fmt: skip
FOREIGN_PLACES = [
    ("IT", "Rome"), ("IT", "Venice"), ("FR", "Paris"), ("FR", "Lyon"), ("NO", "Oslo"), ("SE", "Stockholm"),
    ("DE", "Berlin"), ("GB", "London"), ("ES", "Barcelona"), ("US", "New York"), ("CA", "Montreal"),
    ("TR", "Istanbul"), ("JO", "Amman"), ("LB", "Beirut"), ("TN", "Tunis"), ("BE", "Brussels"),
    ("NL", "Amsterdam"), ("CH", "Geneva"), ("DK", "Copenhagen"), ("JP", "Tokyo"),
]  # fmt: skip
# Arabic names: a kind of body, a cause, a place. Some carry diacritics, as real names do.
ARABIC_BODIES = ["جمعية", "منظمة", "مؤسسة", "اتحاد", "شبكة", "مركز", "رابطة", "ملتقى", "نقابة", "مبادرة"]
ARABIC_CAUSES = [
    "حقوق الإنسان", "الثقافة والفنون", "تمكين المرأة", "الشباب والطلبة", "حماية البيئة", "العمّال",
    "الإعلام الحرّ", "السلام والتعايش", "الرّافدين للتنمية", "دجلة والفرات", "الأهوار", "التعليم",
]  # fmt: skip
LATIN_BODIES = [
    "Association", "Collective", "Network", "Foundation", "Committee", "Union", "Forum", "Initiative",
    "Coalition", "Centre",
]  # fmt: skip
LATIN_CAUSES = [
    "Human Rights", "Women's Solidarity", "Youth", "Water Justice", "Peace", "Free Press", "Workers'",
    "Culture", "Tigris Friends", "Refugee Support", "Mesopotamia", "Civic Education",
]  # fmt: skip
CAMPAIGN_THEMES = [
    ("Save the Tigris", "Keep the Tigris and Euphrates alive: no more dams without consent."),
    ("Women's rights in the law", "Equal rights for women in the personal status law."),
    ("Freedom of expression", "Protect journalists, bloggers and protesters."),
    ("Workers' rights", "A labour law that protects the right to organize."),
    ("Peace and reconciliation", "Dialogue across communities after years of violence."),
    ("Clean water for Basra", "Safe drinking water for every household in the south."),
    ("Protect the marshes", "Keep the Mesopotamian marshes a living world heritage site."),
    ("Education for all", "Schools and teachers for displaced children."),
    ("Against corruption", "Transparency in public spending and oil revenues."),
    ("Youth in public life", "Young people's voice in local councils."),
]
PROJECT_ACTIONS = [
    "Workshops on", "Mobile clinic for", "Radio programme on", "Legal aid for", "Summer school on",
    "Documentation of", "Tree planting for", "Training on", "Exhibition about", "Survey of",
]  # fmt: skip
PROJECT_TOPICS = [
    "river water quality", "women's legal rights", "young journalists", "displaced families",
    "labour organizing", "the marshes", "peaceful coexistence", "public budgets", "heritage sites",
]  # fmt: skip
ARABIC_PROJECTS = ["ورشة عمل حول", "حملة توعية عن", "دورة تدريبية في", "توثيق", "برنامج إذاعي عن"]
SENTENCES = [
    "We work with volunteers in {city}.",
    "Founded by activists who met at the Iraqi Social Forum.",
    "Our members campaign for {cause} and democratic participation.",
    "نعمل مع المتطوعين في {city_ar} من أجل {cause_ar}.",
    "We organize public meetings, trainings and solidarity visits.",
    "نؤمن بالعمل المدني السلمي والحوار.",
]

IRAQI_KINDS = [k for k in OrganizationKind if k != OrganizationKind.INTERNATIONAL_NGO]
INTERNATIONAL_KINDS = [
    OrganizationKind.INTERNATIONAL_NGO, OrganizationKind.SOCIAL_MOVEMENT, OrganizationKind.FOUNDATION,
    OrganizationKind.LABOUR_UNION, OrganizationKind.MEDIA_OUTLET, OrganizationKind.NGO,
]  # fmt: skip


@dataclass
class Summary:
    organizations: int = 0
    campaigns: int = 0
    pledges: int = 0
    projects: int = 0
    project_links: int = 0


def sizes(scale: float) -> dict[str, int]:
    """How many rows of each kind at ``scale`` (1.0 = the full network; always 50 campaigns)."""
    if not 0 < scale <= 10:
        raise DomainError(_("The scale must be above 0 and at most 10."))
    return {
        "organizations": max(20, round(FULL_SIZE["organizations"] * scale)),
        "campaigns": FULL_SIZE["campaigns"],
        "pledges": round(FULL_SIZE["pledges"] * scale),
        "projects": round(FULL_SIZE["projects"] * scale),
    }


def generate(scale: float = 1.0, seed: int = 2013, progress: Callable[..., None] | None = None) -> Summary:
    """Write the synthetic network into an empty database.

    Raises DomainError if the database already holds organizations or campaigns (this
    adds tens of thousands of fake rows: never on a real database). ``progress(stage,
    **counts)``, when given, hears of each stage as it ends (``flask large-data`` prints them).
    """
    progress = progress or _silent
    has_rows = db.session.scalar(sa.select(sa.func.count()).select_from(Organization)) or db.session.scalar(
        sa.select(sa.func.count()).select_from(Campaign)
    )
    if has_rows:
        raise DomainError(_("The database already holds organizations or campaigns; use an empty database."))
    n = sizes(scale)
    rng = random.Random(seed)
    summary = Summary()

    organizations = _organizations(rng, n["organizations"])
    campaigns = _campaigns(rng, n["campaigns"])
    progress(
        "organizations and campaigns made up", organizations=len(organizations), campaigns=n["campaigns"]
    )
    pledges = _pledges(rng, organizations, n["campaigns"], n["pledges"])
    progress("pledges made up", pledges=len(pledges))
    projects, links = _projects(rng, organizations, n["campaigns"], n["projects"])
    _attribute(organizations, pledges)
    progress("projects made up, pledges attributed", projects=len(projects), campaign_links=len(links))
    # Bulk inserts bypass the session, which computes the search text of rows it writes.
    for model, rows in ((Organization, organizations), (Campaign, campaigns), (Project, projects)):
        for row in rows:
            row.update(search_engine.document_columns(model, row))
    progress("search text computed", rows=len(organizations) + len(campaigns) + len(projects))

    # Ids are given here (the tables are empty), so children can point at their parents
    # without reading anything back; PostgreSQL's sequences are moved past them at the end.
    campaign_ids = _assign_ids(Campaign, campaigns)
    org_ids = _assign_ids(Organization, organizations)
    for row in pledges:
        row["organization_id"] = org_ids[row.pop("_org")]
        row["campaign_id"] = campaign_ids[row.pop("_campaign")]
    _assign_ids(Pledge, pledges)
    for row in projects:
        row["organization_id"] = org_ids[row.pop("_org")]
    project_ids = _assign_ids(Project, projects)
    # A link is public where its organization's pledge to the campaign is (the form's default).
    publicly_pledged = {
        (row["organization_id"], row["campaign_id"])
        for row in pledges
        if row["withdrawn_at"] is None and row["visibility"] == PledgeVisibility.PUBLIC.value
    }
    link_rows = [
        {
            "project_id": project_ids[p],
            "campaign_id": campaign_ids[c],
            "created_at": EPOCH,
            "visibility": (
                LinkVisibility.PUBLIC
                if (projects[p]["organization_id"], campaign_ids[c]) in publicly_pledged
                else LinkVisibility.MEMBERS
            ).value,
        }
        for p, c in links
    ]
    for model, rows in (
        (Campaign, campaigns),
        (Organization, organizations),
        (Pledge, pledges),
        (Project, projects),
        (ProjectCampaign, link_rows),
    ):
        _bulk_insert(model.__table__, rows, progress)
        progress(f"{model.__tablename__} written", rows=len(rows))
    _advance_sequences((Campaign, Organization, Pledge, Project))
    counters.recount_all(progress)
    # Fresh statistics, or the query planners guess: without them SQLite walks 200,000 pledges
    # for the home page's newest eight instead of reading the created_at index backwards.
    db.session.execute(sa.text("ANALYZE"))
    progress("statistics gathered with ANALYZE")

    summary.organizations, summary.campaigns = len(organizations), len(campaigns)
    summary.pledges, summary.projects, summary.project_links = len(pledges), len(projects), len(links)
    return summary


def _assign_ids(model, rows: list[dict]) -> list[int]:
    start = db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(model.id), 0))) + 1
    ids = list(range(start, start + len(rows)))
    for row, row_id in zip(rows, ids, strict=True):
        row["id"] = row_id
    return ids


def _silent(stage: str, **counts: int) -> None:
    pass


def _bulk_insert(table: sa.Table, rows: list[dict], progress: Callable[..., None] = _silent) -> None:
    """Insert many rows fast: COPY on PostgreSQL, executemany on SQLite; tells ``progress``
    every PROGRESS_EVERY rows of a long table.

    Every row carries every NOT NULL column (COPY applies no Python-side defaults)."""
    if not rows:
        return
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        columns = list(rows[0])
        quote = connection.dialect.identifier_preparer.quote
        copy_sql = f"COPY {quote(table.name)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
        with connection.connection.driver_connection.cursor() as cursor, cursor.copy(copy_sql) as copy:
            for number, row in enumerate(rows, 1):
                copy.write_row([row[c] for c in columns])
                if number % PROGRESS_EVERY == 0 and number < len(rows):
                    progress(f"{table.name}: writing", rows=number)
    else:
        for start in range(0, len(rows), BATCH):
            connection.execute(table.insert(), rows[start : start + BATCH])
            done = start + BATCH
            if done % PROGRESS_EVERY == 0 and done < len(rows):
                progress(f"{table.name}: writing", rows=done)


def _advance_sequences(models) -> None:
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        return
    for model in models:
        sequence = sa.func.pg_get_serial_sequence(model.__tablename__, "id")
        last_id = sa.select(sa.func.max(model.id)).scalar_subquery()
        connection.execute(sa.select(sa.func.setval(sequence, last_id)))


def _moment(rng: random.Random, max_days: int = 3 * 365) -> datetime:
    return EPOCH - timedelta(seconds=rng.randrange(max_days * 86_400))


def _organizations(rng: random.Random, count: int) -> list[dict]:
    rows = []
    statuses = [OrganizationStatus.APPROVED] * 90 + [OrganizationStatus.PENDING] * 5
    statuses += [OrganizationStatus.SUSPENDED] * 3 + [OrganizationStatus.REJECTED] * 2
    for i in range(count):
        iraqi = rng.random() < 0.6
        city, city_ar = rng.choice(IRAQI_PLACES)
        cause_ar = rng.choice(ARABIC_CAUSES)
        if iraqi:
            country, kind = IRAQ, rng.choice(IRAQI_KINDS)
            if rng.random() < 0.7:
                name = f"{rng.choice(ARABIC_BODIES)} {cause_ar} في {city_ar}"
            else:
                name = f"{city} {rng.choice(LATIN_CAUSES)} {rng.choice(LATIN_BODIES)}"
        else:
            country, city = rng.choice(FOREIGN_PLACES)
            kind = rng.choice(INTERNATIONAL_KINDS)
            name = f"{rng.choice(LATIN_CAUSES)} {rng.choice(LATIN_BODIES)} {city}"
        cause = rng.choice(LATIN_CAUSES).lower()
        description = " ".join(
            s.format(city=city, city_ar=city_ar, cause=cause, cause_ar=cause_ar)
            for s in rng.sample(SENTENCES, 3)
        )
        status = rng.choice(statuses)
        submitted = _moment(rng)
        if rng.random() < 0.05:
            name = f"{name} {i + 1}"
        visible = status in (OrganizationStatus.APPROVED, OrganizationStatus.SUSPENDED)
        rows.append(
            {
                "slug": f"org-{i + 1}",
                "name": name,
                # Written without the ORM, which keeps it in step elsewhere.
                "name_skeleton": name_skeleton(name),
                **sort_keys(name),
                "kind": kind.value,
                "country": country,
                "city": city,
                "description": description,
                "website": f"https://org-{i + 1}.example.org" if rng.random() < 0.5 else None,
                "founded_year": rng.randrange(1958, 2026),
                "status": status.value,
                "status_reason": "Synthetic data." if status == OrganizationStatus.SUSPENDED else None,
                "contact_email": f"contact@org-{i + 1}.example.org",
                "contact_email_visibility": rng.choice(list(Visibility)).value,
                "contact_phone": f"+964 770 {rng.randrange(1_000_000, 9_999_999)}" if iraqi else None,
                "contact_phone_visibility": Visibility.MEMBERS.value,
                "address": None,
                "address_visibility": Visibility.HIDDEN.value,
                "contact_person": None,
                "contact_person_visibility": Visibility.HIDDEN.value,
                "public_pledge_count": 0,
                "created_at": submitted,
                "updated_at": submitted,
                "submitted_at": submitted,
                "approved_at": submitted + timedelta(days=rng.randrange(1, 20)) if visible else None,
            }
        )
    return rows


def _campaigns(rng: random.Random, count: int) -> list[dict]:
    rows = []
    for i in range(count):
        title, summary = CAMPAIGN_THEMES[i % len(CAMPAIGN_THEMES)]
        if i >= len(CAMPAIGN_THEMES):
            title = f"{title} ({rng.choice(IRAQI_PLACES)[0]} {i // len(CAMPAIGN_THEMES) + 1})"
        created = _moment(rng, 5 * 365)
        rows.append(
            {
                "slug": f"c-{i + 1}",
                "title": title,
                "summary": summary,
                "description": f"{summary}\n\nThe campaign brings together Iraqi and international "
                "organizations of the network.\n\n**What we ask:** public hearings, open data, "
                "and the voice of the people most concerned.",
                "status": (CampaignStatus.ACTIVE if i < count * 0.8 else CampaignStatus.ARCHIVED).value,
                "accent": ACCENTS[i % len(ACCENTS)],
                "position": i + 1,
                "supporter_count": 0,
                "iraqi_supporter_count": 0,
                "project_count": 0,
                "created_at": created,
                "updated_at": created,
            }
        )
    return rows


def _pledges(rng: random.Random, organizations: list[dict], campaigns: int, total: int) -> list[dict]:
    """``total`` pledges spread unevenly: the first campaigns draw the most supporters."""
    org_count = len(organizations)
    # Linear from 7/4 of the mean down to 1/4 of it; never more than 90% of the organizations.
    mean = total / campaigns
    wanted = [mean * (1.75 - 1.5 * c / max(1, campaigns - 1)) for c in range(campaigns)]
    per_campaign = [min(round(w), int(org_count * 0.9)) for w in wanted]
    visibilities = [PledgeVisibility.PUBLIC.value] * 7 + [PledgeVisibility.MEMBERS.value] * 2
    visibilities += [PledgeVisibility.COUNTED.value]
    kinds = [k.value for k in SupportKind]
    rows = []
    for c, k in enumerate(per_campaign):
        for o in rng.sample(range(org_count), k):
            created = _moment(rng, 2 * 365)
            withdrawn = rng.random() < 0.05
            rows.append(
                {
                    "_org": o,
                    "_campaign": c,
                    "support_kinds": " ".join(rng.sample(kinds, rng.randint(1, 3))),
                    "message": "We stand with you." if rng.random() < 0.2 else "",
                    "visibility": rng.choice(visibilities),
                    "created_at": created,
                    "updated_at": created,
                    "withdrawn_at": created + timedelta(days=30) if withdrawn else None,
                }
            )
    return rows


def _projects(
    rng: random.Random, organizations: list[dict], campaigns: int, total: int
) -> tuple[list[dict], list[tuple[int, int]]]:
    owners = [
        i
        for i, org in enumerate(organizations)
        if org["status"] in (OrganizationStatus.APPROVED.value, OrganizationStatus.SUSPENDED.value)
    ]
    statuses = [s.value for s in ProjectStatus]
    rows, links = [], []
    for p in range(total):
        o = rng.choice(owners)
        city = organizations[o]["city"]
        if rng.random() < 0.3:
            title = f"{rng.choice(ARABIC_PROJECTS)} {rng.choice(ARABIC_CAUSES)}"
        else:
            title = f"{rng.choice(PROJECT_ACTIONS)} {rng.choice(PROJECT_TOPICS)}"
        created = _moment(rng, 2 * 365)
        hidden = rng.random() < 0.02
        rows.append(
            {
                "_org": o,
                "slug": f"p-{p + 1}",
                "title": f"{title} — {city}",
                "summary": f"A project in {city} with local volunteers.",
                "description": f"{title}.\n\nRun in {city} with partners of the network.",
                "status": rng.choice(statuses),
                "place": city,
                "hidden_at": created + timedelta(days=3) if hidden else None,
                "hidden_reason": "Synthetic data." if hidden else None,
                "created_at": created,
                "updated_at": created,
            }
        )
        for c in rng.sample(range(campaigns), rng.randint(1, min(3, campaigns))):
            links.append((p, c))
    return rows, links


def _attribute(organizations: list[dict], pledges: list[dict]) -> None:
    """Each pledge counts as app.services.counters would attribute it today."""
    for pledge in pledges:
        org = organizations[pledge["_org"]]
        pledge["counted"] = (
            pledge["withdrawn_at"] is None and org["status"] == OrganizationStatus.APPROVED.value
        )
        pledge["counted_iraqi"] = org["country"] == IRAQ

"""A synthetic network at the size of a real one, for benchmarks and scale tests.

``generate(scale=1.0)`` writes 10,000 organizations (Iraqi and international, every
kind, Arabic and Latin names), 50 campaigns, 200,000 pledges of mixed visibility (some
withdrawn) and 20,000 projects linked to 1-3 campaigns each; ``scale=10`` (``flask large-data
--huge``) writes ten times as many of each, and 500 campaigns. The same seed gives the
same network. Rows are made up and written a batch at a time (COPY through psycopg 3 on
PostgreSQL, ``executemany`` of plain tuples on SQLite), each pledge with its current
attribution and each project link with the visibility the project form would give it; the
tables' secondary indexes and the search index are built once, after the rows; then the
counters come from the one aggregate of ``app.services.counters``. Each row's search text is
computed here (the session's listener does not see bulk inserts).

Like the services it flushes and never commits: ``flask large-data`` commits once.
"""

from __future__ import annotations

import functools
import itertools
import random
import resource
from collections.abc import Callable, Iterable, Iterator, Sequence
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
from app.search_engine import ddl
from app.search_engine import engine as search_engine
from app.services import DomainError, counters

FULL_SIZE = {"organizations": 10_000, "campaigns": 50, "pledges": 200_000, "projects": 20_000}
HUGE_SCALE = 10.0  # ``--huge``: 100,000 organizations, 500 campaigns, 2,000,000 pledges, 200,000 projects
BATCH = 20_000  # rows per executemany / COPY
PROGRESS_EVERY = 200_000  # rows between two progress lines while a long table is written
SLOW_PROGRESS_EVERY = 40_000  # the same for rows whose search text is computed here (a few seconds)
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
    """How many rows of each kind at ``scale`` (1.0 = the full network, 10 = ``--huge``).

    50 campaigns up to scale 1, then 50 per unit of scale (500 for the huge set)."""
    if not 0 < scale <= HUGE_SCALE:
        raise DomainError(_("The scale must be above 0 and at most 10."))
    return {
        "organizations": max(20, round(FULL_SIZE["organizations"] * scale)),
        "campaigns": max(FULL_SIZE["campaigns"], round(FULL_SIZE["campaigns"] * scale)),
        "pledges": round(FULL_SIZE["pledges"] * scale),
        "projects": round(FULL_SIZE["projects"] * scale),
    }


def generate(scale: float = 1.0, seed: int = 2013, progress: Callable[..., None] | None = None) -> Summary:
    """Write the synthetic network into an empty database.

    Raises DomainError if the database already holds organizations or campaigns (this
    adds tens of thousands of fake rows: never on a real database). ``progress(stage,
    **counts)``, when given, hears of each stage as it ends and of every PROGRESS_EVERY rows
    within a long one (``flask large-data`` prints them).

    Rows are made up and written batch by batch (the huge set's 2,000,000 pledges are never in
    memory at once): what later tables need of earlier ones is kept in compact lists (each
    organization's status, country and city; a bitmap of who pledged publicly to what).
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
    tables = [model.__table__ for model in (Campaign, Organization, Pledge, Project, ProjectCampaign)]
    loader = _BulkLoader(db.session.connection(), progress)
    progress("set aside for the load", **loader.prepare(tables))

    # Ids are given here (the tables are empty), so children can point at their parents
    # without reading anything back; PostgreSQL's sequences are moved past them at the end.
    org_start, campaign_start = _next_id(Organization), _next_id(Campaign)
    pledge_start, project_start = _next_id(Pledge), _next_id(Project)
    statuses: list[str] = []
    countries: list[str] = []
    cities: list[str] = []

    def organization_rows() -> Iterator[dict]:
        for number, row in enumerate(_organizations(rng, n["organizations"])):
            statuses.append(row["status"])
            countries.append(row["country"])
            cities.append(row["city"])
            row["id"] = org_start + number
            # Bulk inserts bypass the session, which computes the search text of rows it writes.
            row.update(search_engine.document_columns(Organization, row))
            yield row

    summary.organizations = loader.write(
        Organization.__table__, organization_rows(), every=SLOW_PROGRESS_EVERY
    )
    progress("organizations written, with their search text", rows=summary.organizations)

    def campaign_rows() -> Iterator[dict]:
        for number, row in enumerate(_campaigns(rng, n["campaigns"])):
            row["id"] = campaign_start + number
            row.update(search_engine.document_columns(Campaign, row))
            yield row

    summary.campaigns = loader.write(Campaign.__table__, campaign_rows())
    progress("campaigns written, with their search text", rows=summary.campaigns)

    # Bit (organization * campaigns + campaign) is set when the organization's active pledge to
    # the campaign is public: a project link is public where such a pledge is (the form's default).
    public_pledges = bytearray((n["organizations"] * n["campaigns"] + 7) // 8)
    pledges = _pledges(rng, statuses, countries, n["campaigns"], n["pledges"], public_pledges)
    summary.pledges = loader.write(
        Pledge.__table__,
        (
            (pledge_start + number, org_start + o, campaign_start + c, *rest)
            for number, (o, c, *rest) in enumerate(pledges)
        ),
        PLEDGE_COLUMNS,
    )
    progress("pledges written", rows=summary.pledges)

    projects = _projects(rng, statuses, cities, n["campaigns"], n["projects"])
    link_rows: list[tuple] = []
    project_batch: list[dict] = []
    for number, (o, row, campaigns) in enumerate(projects):
        project_id = project_start + number
        row["id"], row["organization_id"] = project_id, org_start + o
        row.update(search_engine.document_columns(Project, row))
        project_batch.append(row)
        for c in campaigns:
            bit = o * n["campaigns"] + c
            public = public_pledges[bit >> 3] & (1 << (bit & 7))
            visibility = (LinkVisibility.PUBLIC if public else LinkVisibility.MEMBERS).value
            link_rows.append((project_id, campaign_start + c, EPOCH, visibility))
        if len(project_batch) == BATCH or number == n["projects"] - 1:
            summary.projects += loader.write(Project.__table__, project_batch, quiet=True)
            summary.project_links += loader.write(
                ProjectCampaign.__table__, link_rows, LINK_COLUMNS, quiet=True
            )
            project_batch, link_rows = [], []
            if summary.projects % SLOW_PROGRESS_EVERY == 0 and summary.projects < n["projects"]:
                progress("projects: writing", rows=summary.projects)
    progress(
        "projects written, with their search text",
        rows=summary.projects,
        campaign_links=summary.project_links,
    )

    _advance_sequences((Campaign, Organization, Pledge, Project))
    # The counters, from the one aggregate, before the indexes: rewriting 100,000 organizations'
    # counters then touches no secondary index (on PostgreSQL an update of an indexed table
    # writes every index again). The aggregates read the whole tables either way.
    db.session.execute(sa.text("ANALYZE"))
    counters.recount_all(progress)
    loader.finish()
    # Fresh statistics, or the query planners guess: without them SQLite walks 200,000 pledges
    # for the home page's newest eight instead of reading the created_at index backwards.
    db.session.execute(sa.text("ANALYZE"))
    progress("statistics gathered with ANALYZE")
    return summary


def vacuum() -> bool:
    """After the commit, on PostgreSQL: VACUUM (ANALYZE) the loaded tables, as autovacuum would
    soon. Rewriting 100,000 organizations' counters left as many dead row versions, which every
    scan would step over and a first read would stop to mark. Returns whether it ran."""
    if db.engine.dialect.name != "postgresql":
        return False
    tables = ", ".join(
        model.__tablename__ for model in (Campaign, Organization, Pledge, Project, ProjectCampaign)
    )
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql(f"VACUUM (ANALYZE) {tables}")
    return True


def peak_memory_mb() -> float:
    """The process's peak resident memory so far, in MB (``ru_maxrss``, kilobytes on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _next_id(model) -> int:
    return db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(model.id), 0))) + 1


def _silent(stage: str, **counts: int) -> None:
    pass


PLEDGE_COLUMNS = (
    "id", "organization_id", "campaign_id", "support_kinds", "message", "visibility", "created_at",
    "updated_at", "withdrawn_at", "counted", "counted_iraqi",
)  # fmt: skip
LINK_COLUMNS = ("project_id", "campaign_id", "created_at", "visibility")


class _BulkLoader:
    """Writes many rows fast into tables that were empty: COPY (psycopg 3) on PostgreSQL,
    ``executemany`` of plain tuples on SQLite; their secondary indexes (and SQLite's search
    triggers, and PostgreSQL's foreign keys) are set aside during the load and built once at the
    end, in bulk.

    Every row carries every NOT NULL column (neither COPY nor the raw insert applies the
    model's Python-side defaults)."""

    def __init__(self, connection: sa.Connection, progress: Callable[..., None]) -> None:
        self.connection = connection
        self.dialect = connection.dialect
        self.postgresql = self.dialect.name == "postgresql"
        self.progress = progress
        self.indexes: list[tuple[str, str]] = []  # (name, DDL) to run again at the end
        self.foreign_keys: list[tuple[str, str, str]] = []  # PostgreSQL: (table, name, definition)
        self.triggers: list[tuple[str, str]] = []  # SQLite: (table, DDL) of the search index's inserts
        self.sqlite_pragmas: dict[str, object] = {}

    def _driver(self):
        return self.connection.connection.driver_connection

    def prepare(self, tables: list[sa.Table]) -> dict[str, int]:
        """Set aside what is built again in :meth:`finish`; returns how many of each."""
        names = [table.name for table in tables]
        if self.postgresql:
            self.connection.exec_driver_sql("SET LOCAL maintenance_work_mem = '256MB'")
            self.connection.exec_driver_sql("SET LOCAL synchronous_commit = off")
            # Indexes that back no constraint (primary keys and UNIQUE constraints stay).
            found = self.connection.exec_driver_sql(
                "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid "
                "WHERE t.relname = ANY(%(names)s) AND t.relnamespace = current_schema()::regnamespace "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) "
                "ORDER BY c.relname",
                {"names": names},
            ).all()
            # Foreign keys too: checked row by row (a query per row and key) during COPY, checked
            # in one pass each when added back at the end, as pg_restore does.
            self.foreign_keys = [
                (table, name, definition)
                for table, name, definition in self.connection.exec_driver_sql(
                    "SELECT t.relname, k.conname, pg_get_constraintdef(k.oid) FROM pg_constraint k "
                    "JOIN pg_class t ON t.oid = k.conrelid WHERE k.contype = 'f' "
                    "AND t.relname = ANY(%(names)s) AND t.relnamespace = current_schema()::regnamespace "
                    "ORDER BY t.relname, k.conname",
                    {"names": names},
                )
            ]
            for table, name, _definition in self.foreign_keys:
                self.connection.exec_driver_sql(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
        else:
            for pragma, value in (("cache_size", -65536),):  # 64 MB of pages while the indexes are built
                self.sqlite_pragmas[pragma] = self.connection.exec_driver_sql(f"PRAGMA {pragma}").scalar()
                self.connection.exec_driver_sql(f"PRAGMA {pragma} = {value}")
            marks = ", ".join("?" * len(names))
            query = f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN ({marks})"  # noqa: S608  # nosec B608
            found = self.connection.exec_driver_sql(
                query + " AND sql IS NOT NULL ORDER BY name",
                tuple(names),
            ).all()
            for table in ddl.SQLITE_FTS_TABLES:
                if table in names:
                    trigger = f"{table}_fts_insert"
                    sql = self.connection.exec_driver_sql(
                        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", (trigger,)
                    ).scalar()
                    if sql:
                        self.triggers.append((table, sql))
                        self.connection.exec_driver_sql(f'DROP TRIGGER "{trigger}"')
        self.indexes = [(name, sql) for name, sql in found]
        for name, _sql in self.indexes:
            self.connection.exec_driver_sql(f'DROP INDEX "{name}"')
        if self.postgresql:
            return {"indexes": len(self.indexes), "foreign_keys": len(self.foreign_keys)}
        return {"indexes": len(self.indexes), "search_triggers": len(self.triggers)}

    def write(
        self,
        table: sa.Table,
        rows: Iterable,
        columns: Sequence[str] | None = None,
        quiet: bool = False,
        every: int | None = None,
    ) -> int:
        """Write ``rows`` (mappings, or tuples in the order of ``columns``) in batches; returns
        how many. Tells ``progress`` every ``every`` rows (PROGRESS_EVERY) unless ``quiet``."""
        every = every or PROGRESS_EVERY
        iterator = iter(rows)
        if columns is None:
            first = next(iterator, None)
            if first is None:
                return 0
            columns = list(first)
            iterator = (tuple(row[c] for c in columns) for row in itertools.chain([first], iterator))
        written = 0
        while batch := list(itertools.islice(iterator, BATCH)):
            self._write_batch(table, columns, batch)
            written += len(batch)
            if not quiet and written % every == 0:
                self.progress(f"{table.name}: writing", rows=written)
        return written

    def _write_batch(self, table: sa.Table, columns: Sequence[str], batch: list[tuple]) -> None:
        quote = self.dialect.identifier_preparer.quote
        names = ", ".join(quote(c) for c in columns)
        if self.postgresql:
            copy_sql = f"COPY {quote(table.name)} ({names}) FROM STDIN"
            with self._driver().cursor() as cursor, cursor.copy(copy_sql) as copy:
                for row in batch:
                    copy.write_row(row)
            return
        # The column types' own conversions (datetimes to SQLite's text, booleans to 0/1).
        processors = [
            (i, p) for i, c in enumerate(columns) if (p := table.c[c].type.bind_processor(self.dialect))
        ]
        if processors:
            converted = []
            for row in batch:
                values = list(row)
                for i, process in processors:
                    values[i] = process(values[i])
                converted.append(values)
            batch = converted
        marks = ", ".join("?" * len(columns))
        insert = f"INSERT INTO {quote(table.name)} ({names}) VALUES ({marks})"  # noqa: S608  # nosec B608
        self._driver().executemany(insert, batch)

    def finish(self) -> None:
        """Build the indexes set aside, and the search index, in bulk."""
        for _name, sql in self.indexes:
            self.connection.exec_driver_sql(sql)
        self.progress("indexes built", indexes=len(self.indexes))
        for table, name, definition in self.foreign_keys:
            self.connection.exec_driver_sql(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
        if self.foreign_keys:
            self.progress("foreign keys checked", foreign_keys=len(self.foreign_keys))
        if self.triggers:
            for table, sql in self.triggers:
                for statement in ddl.sqlite_refill(table):
                    self.connection.exec_driver_sql(statement)
                # One b-tree per index instead of one per batch: what a search reads.
                optimize = f"INSERT INTO {table}_fts({table}_fts) VALUES ('optimize')"  # noqa: S608  # nosec B608
                self.connection.exec_driver_sql(optimize)
                self.connection.exec_driver_sql(sql)
            self.progress("search index built", tables=len(self.triggers))
        for pragma, value in self.sqlite_pragmas.items():
            self.connection.exec_driver_sql(f"PRAGMA {pragma} = {value}")


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


def _organizations(rng: random.Random, count: int) -> Iterator[dict]:
    # A few thousand distinct names among 100,000 organizations: each name's collation keys
    # (a third of a millisecond for the four languages) and skeleton are computed once.
    keys_of = functools.lru_cache(maxsize=None)(sort_keys)
    skeleton_of = functools.lru_cache(maxsize=None)(name_skeleton)
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
        yield (
            {
                "slug": f"org-{i + 1}",
                "name": name,
                # Written without the ORM, which keeps it in step elsewhere.
                "name_skeleton": skeleton_of(name),
                **keys_of(name),
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


def _campaigns(rng: random.Random, count: int) -> Iterator[dict]:
    for i in range(count):
        title, summary = CAMPAIGN_THEMES[i % len(CAMPAIGN_THEMES)]
        if i >= len(CAMPAIGN_THEMES):
            title = f"{title} ({rng.choice(IRAQI_PLACES)[0]} {i // len(CAMPAIGN_THEMES) + 1})"
        created = _moment(rng, 5 * 365)
        yield (
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


def _pledges(
    rng: random.Random,
    statuses: list[str],
    countries: list[str],
    campaigns: int,
    total: int,
    public_pledges: bytearray,
) -> Iterator[tuple]:
    """``total`` pledges spread unevenly (the first campaigns draw the most supporters), as
    tuples (organization index, campaign index, then PLEDGE_COLUMNS from ``support_kinds``),
    each counted as app.services.counters would attribute it today; sets the bit of each
    active public pledge in ``public_pledges``."""
    org_count = len(statuses)
    # Linear from 7/4 of the mean down to 1/4 of it; never more than 90% of the organizations.
    mean = total / campaigns
    wanted = [mean * (1.75 - 1.5 * c / max(1, campaigns - 1)) for c in range(campaigns)]
    per_campaign = [min(round(w), int(org_count * 0.9)) for w in wanted]
    public = PledgeVisibility.PUBLIC.value
    visibilities = [public] * 7 + [PledgeVisibility.MEMBERS.value] * 2
    visibilities += [PledgeVisibility.COUNTED.value]
    kinds = [k.value for k in SupportKind]
    approved = OrganizationStatus.APPROVED.value
    month = timedelta(days=30)
    for c, k in enumerate(per_campaign):
        for o in rng.sample(range(org_count), k):
            created = _moment(rng, 2 * 365)
            withdrawn = rng.random() < 0.05
            support_kinds = " ".join(rng.sample(kinds, rng.randint(1, 3)))
            message = "We stand with you." if rng.random() < 0.2 else ""
            visibility = rng.choice(visibilities)
            if not withdrawn and visibility == public:
                bit = o * campaigns + c
                public_pledges[bit >> 3] |= 1 << (bit & 7)
            yield (
                o,
                c,
                support_kinds,
                message,
                visibility,
                created,
                created,
                created + month if withdrawn else None,
                not withdrawn and statuses[o] == approved,
                countries[o] == IRAQ,
            )


def _projects(
    rng: random.Random, statuses: list[str], cities: list[str], campaigns: int, total: int
) -> Iterator[tuple[int, dict, list[int]]]:
    """(owner's index, row, indexes of the 1-3 campaigns it is linked to) of ``total`` projects."""
    visible = (OrganizationStatus.APPROVED.value, OrganizationStatus.SUSPENDED.value)
    owners = [i for i, status in enumerate(statuses) if status in visible]
    project_statuses = [s.value for s in ProjectStatus]
    for p in range(total):
        o = rng.choice(owners)
        city = cities[o]
        if rng.random() < 0.3:
            title = f"{rng.choice(ARABIC_PROJECTS)} {rng.choice(ARABIC_CAUSES)}"
        else:
            title = f"{rng.choice(PROJECT_ACTIONS)} {rng.choice(PROJECT_TOPICS)}"
        created = _moment(rng, 2 * 365)
        hidden = rng.random() < 0.02
        row = {
            "slug": f"p-{p + 1}",
            "title": f"{title} — {city}",
            "summary": f"A project in {city} with local volunteers.",
            "description": f"{title}.\n\nRun in {city} with partners of the network.",
            "status": rng.choice(project_statuses),
            "place": city,
            "hidden_at": created + timedelta(days=3) if hidden else None,
            "hidden_reason": "Synthetic data." if hidden else None,
            "created_at": created,
            "updated_at": created,
        }
        yield o, row, rng.sample(range(campaigns), rng.randint(1, min(3, campaigns)))

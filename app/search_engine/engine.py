"""Full-text search over organizations, campaigns and projects, on SQLite or PostgreSQL.

One interface, two backends chosen by the database in use:

- SQLite: an FTS5 table per searchable table, holding *folded* text
  (:func:`app.search_engine.folding.fold`) and kept in step by triggers on the base table, so no
  service has to remember to reindex. The triggers call ``fold_arabic``, a Python function
  that :mod:`app.database` registers on every connection.
- PostgreSQL: a generated ``search_vector`` column (``tsvector``, the ``simple``
  configuration: there is no Arabic stemmer) over ``tadamun_fold(...)``, with a GIN index.

Both rank with the title weighted above the description (bm25 / ts_rank). The user's query
is folded the same way and split into words; each word is quoted, so nothing a visitor types
reaches the MATCH / tsquery syntax raw, and the last word matches as a prefix (search as you
type: ``rafid`` finds ``Rafidain``).

:func:`install` creates all of it on a connection (tests call it from
``tests.builders.create_schema``); ``migrations/versions/0002_search.py`` holds a copy of the
DDL in :mod:`app.search_engine.ddl`.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import load_only

from app.extensions import db
from app.models import Campaign, Organization, OrganizationStatus, Project
from app.search_engine import ddl
from app.search_engine.folding import query_terms

# The title counts ten times the body in the ranking.
TITLE_WEIGHT = 10.0


def install(connection: sa.Connection) -> None:
    """Create the search index (tables, triggers or columns) on ``connection`` and fill it."""
    if connection.dialect.name == "sqlite":
        for statement in ddl.SQLITE_DDL + ddl.SQLITE_REBUILD:
            connection.exec_driver_sql(statement)
    elif connection.dialect.name == "postgresql":
        for statement in ddl.POSTGRESQL_DDL:
            connection.exec_driver_sql(statement)
    else:  # pragma: no cover - only the two databases above are supported
        raise RuntimeError(f"search is not available on {connection.dialect.name}")


# --- querying ---------------------------------------------------------------------------------

_MODELS = {"organizations": Organization, "campaigns": Campaign, "projects": Project}


def _fts5_query(terms: list[str]) -> str:
    # Each word becomes a quoted string (quotes doubled), the last one a prefix: FTS5 operators
    # (OR, NOT, NEAR, column filters, ^, *) typed by a visitor are plain words here.
    quoted = ['"' + term.replace('"', '""') + '"' for term in terms]
    quoted[-1] += "*"
    return " ".join(quoted)


def _tsquery(terms: list[str]) -> str:
    quoted = ["'" + term.replace("'", "''") + "'" for term in terms]
    quoted[-1] += ":*"
    return " & ".join(quoted)


def matching(kind: str, query: str | None) -> sa.Subquery | None:
    """Rows of ``kind`` that match ``query``, as a subquery with columns ``id`` and ``rank``
    (lower rank = better match), to join with the table and its filters. None when the query
    holds no word."""
    terms = query_terms(query)
    if not terms:
        return None
    table = kind
    if db.session.get_bind().dialect.name == "postgresql":
        model = _MODELS[kind]
        vector = sa.literal_column(f"{table}.search_vector")
        tsquery = sa.func.to_tsquery(sa.literal_column("'simple'"), sa.bindparam("tsq", _tsquery(terms)))
        statement = sa.select(model.id.label("id"), (-sa.func.ts_rank(vector, tsquery)).label("rank")).where(
            vector.op("@@")(tsquery)
        )
    else:
        fts = sa.table(f"{table}_fts", sa.column("rowid"))
        statement = (
            sa.select(
                fts.c.rowid.label("id"),
                sa.literal_column(f"bm25({table}_fts, {TITLE_WEIGHT}, 1.0)").label("rank"),
            )
            .select_from(fts)
            .where(sa.literal_column(f"{table}_fts").op("MATCH")(sa.bindparam("fts", _fts5_query(terms))))
        )
    return statement.subquery(f"{kind}_match")


def visible(kind: str) -> list[sa.ColumnElement[bool]]:
    """What the public may find: approved organizations, visible projects of approved ones."""
    if kind == "organizations":
        return [Organization.status == OrganizationStatus.APPROVED]
    if kind == "projects":
        return [
            Project.hidden_at.is_(None),
            Project.organization.has(Organization.status == OrganizationStatus.APPROVED),
        ]
    return []


# Only the columns a result shows are loaded.
_RESULT_COLUMNS = {
    "organizations": (Organization.id, Organization.slug, Organization.name, Organization.kind,
                      Organization.country, Organization.city, Organization.description),
    "campaigns": (Campaign.id, Campaign.slug, Campaign.title, Campaign.summary, Campaign.status,
                  Campaign.accent, Campaign.supporter_count),
    "projects": (Project.id, Project.slug, Project.title, Project.summary, Project.status,
                 Project.place, Project.organization_id),
}  # fmt: skip


def find(kind: str, query: str | None, *, limit: int, offset: int = 0) -> list:
    """Up to ``limit`` visible rows of ``kind`` matching ``query``, best match first."""
    match = matching(kind, query)
    if match is None:
        return []
    model = _MODELS[kind]
    statement = (
        sa.select(model)
        .options(load_only(*_RESULT_COLUMNS[kind]))
        .join(match, match.c.id == model.id)
        .where(*visible(kind))
        .order_by(match.c.rank, model.id)
        .limit(limit)
        .offset(offset)
    )
    return list(db.session.scalars(statement))


@dataclass
class Section:
    kind: str
    items: list
    has_more: bool


def search(query: str | None, *, per_section: int = 5) -> list[Section]:
    """The search page: the best matches of each kind (one query per kind)."""
    sections = []
    for kind in ("organizations", "campaigns", "projects"):
        rows = find(kind, query, limit=per_section + 1)
        sections.append(Section(kind, rows[:per_section], len(rows) > per_section))
    return sections

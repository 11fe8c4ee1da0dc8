"""Full-text search over organizations, campaigns and projects, on SQLite or PostgreSQL.

What is searched: a row's own text and its text in every other language (the translation
tables), folded and stemmed in Python (:mod:`app.search_engine.folding`) into two stored columns,
``search_title`` and ``search_body``. A listener on the session computes them before every
flush that changes an indexed column or a translation, so no service has to remember to
reindex; writes that bypass the ORM (bulk loads) call :func:`document_columns` themselves, and
``flask search-index`` (:func:`reindex`) recomputes every row after the folding changes.

Why in Python: the stemmer and the Kurdish folding must be the same on the stored text and
on the query, and on both databases; PostgreSQL cannot run Python inside a generated column,
and a generated column cannot read the translation tables. The databases only split the
stored words on spaces:

- SQLite: an FTS5 table per searchable table, kept in step with the two columns by triggers.
- PostgreSQL: a generated ``search_vector`` column (``tsvector``, ``simple`` configuration)
  over the two columns, with a GIN index.

Both rank with the title weighted above the body (bm25 / ts_rank). The user's query is folded
and stemmed the same way and split into words; each word is quoted, so nothing a visitor
types reaches the MATCH / tsquery syntax raw, and the last word matches as a prefix (search
as you type: ``rafid`` finds ``Rafidain``). A word (or words) naming a place of
:mod:`app.services.places` matches any of the place's names: ``البصرة`` finds ``Basra``.

:func:`install` creates the index on a connection (tests call it from
``tests.builders.create_schema``); ``migrations/versions/0006_multilingual_search.py`` holds a
copy of the DDL in :mod:`app.search_engine.ddl` and of the folding.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, load_only

from app.extensions import db
from app.models import (
    Campaign,
    CampaignTranslation,
    Organization,
    OrganizationTranslation,
    Project,
    ProjectTranslation,
)
from app.search_engine import ddl
from app.search_engine.folding import index_text, query_terms
from app.services import places
from app.services.visibility import publicly_listed

# The title counts ten times the body in the ranking.
TITLE_WEIGHT = 10.0


def install(connection: sa.Connection) -> None:
    """Create the search index (tables, triggers or columns) on ``connection`` and fill it
    from the stored search text."""
    if connection.dialect.name == "sqlite":
        for statement in ddl.SQLITE_DDL + ddl.SQLITE_REBUILD:
            connection.exec_driver_sql(statement)
    elif connection.dialect.name == "postgresql":
        for statement in ddl.POSTGRESQL_DDL:
            connection.exec_driver_sql(statement)
    else:  # pragma: no cover - only the two databases above are supported
        raise RuntimeError(f"search is not available on {connection.dialect.name}")


# --- what is indexed --------------------------------------------------------------------------

# Each searchable model: the columns of its title, and of its body.
DOCUMENTS: dict[type, tuple[tuple[str, ...], tuple[str, ...]]] = {
    Organization: (("name",), ("city", "description")),
    Campaign: (("title",), ("summary", "description")),
    Project: (("title",), ("summary", "place", "description")),
}
# Each translation table: its owner, the column naming the owner, its title and body columns.
TRANSLATIONS: dict[type, tuple[type, str, tuple[str, ...], tuple[str, ...]]] = {
    # Only an organization's shown name in a language is indexed, not one waiting for review.
    OrganizationTranslation: (Organization, "organization_id", ("name",), ("description",)),
    CampaignTranslation: (Campaign, "campaign_id", ("title",), ("summary", "description")),
    ProjectTranslation: (Project, "project_id", ("title",), ("summary", "description")),
}


def document_columns(model: type, row: Any, translations: Iterable[Any] = ()) -> dict[str, str]:
    """``search_title`` and ``search_body`` of a row of ``model`` with its ``translations``
    (each an object, or a mapping of its columns)."""
    title_columns, body_columns = DOCUMENTS[model]
    translated = [spec for spec in TRANSLATIONS.values() if spec[0] is model]
    title = [_value(row, name) for name in title_columns]
    body = [_value(row, name) for name in body_columns]
    for translation in translations:
        for _owner, _column, translated_title, translated_body in translated:
            title += [_value(translation, name) for name in translated_title]
            body += [_value(translation, name) for name in translated_body]
    return {
        "search_title": index_text(" ".join(text for text in title if text)),
        "search_body": index_text(" ".join(text for text in body if text)),
    }


def _value(item: Any, name: str) -> Any:
    return item[name] if isinstance(item, Mapping) else getattr(item, name)


def _changed(obj: Any, names: Iterable[str]) -> bool:
    state = sa.inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


def _owner(session: Session, translation: Any) -> Any:
    """The organization or campaign a translation belongs to (without flushing)."""
    owner_model, owner_column, _title, _body = TRANSLATIONS[type(translation)]
    for relationship in sa.inspect(type(translation)).relationships:
        if relationship.mapper.class_ is owner_model:
            owner = getattr(translation, relationship.key)
            if owner is not None:
                return owner
    owner_id = getattr(translation, owner_column)
    return session.get(owner_model, owner_id) if owner_id is not None else None


def _current_translations(session: Session, owners: set) -> dict[Any, list]:
    """Each owner's translations as they will be once the session is flushed: those in the
    database (one query per translation table), less the deleted ones, plus the new ones."""
    found: dict[Any, list] = {owner: [] for owner in owners}
    for model, (owner_model, owner_column, _title, _body) in TRANSLATIONS.items():
        by_id = {owner.id: owner for owner in owners if type(owner) is owner_model and owner.id is not None}
        if by_id:
            if session.get_bind().dialect.name == "postgresql":
                # Two writers changing two translations of one campaign would each compute the
                # text without the other's: the second waits here until the first commits.
                # (SQLite lets one writer at a time.)
                session.execute(
                    sa.select(owner_model.id).where(owner_model.id.in_(sorted(by_id))).with_for_update()
                )
            column = getattr(model, owner_column)
            for translation in session.scalars(sa.select(model).where(column.in_(sorted(by_id)))):
                if translation not in session.deleted:
                    found[by_id[getattr(translation, owner_column)]].append(translation)
        for translation in session.new:
            if type(translation) is model:
                owner = _owner(session, translation)
                if owner in found and translation not in found[owner]:
                    found[owner].append(translation)
    return found


def _refresh_documents(session: Session, _flush_context: Any, _instances: Any) -> None:
    """Before a flush: recompute the search text of every row whose indexed text, or one of
    whose translations, is about to change."""
    with session.no_autoflush:
        owners = set()
        for obj in [*session.new, *session.dirty]:
            model = type(obj)
            if model in DOCUMENTS:
                if obj in session.new or _changed(
                    obj, [name for names in DOCUMENTS[model] for name in names]
                ):
                    owners.add(obj)
            elif model in TRANSLATIONS:
                _owner_model, _column, title, body = TRANSLATIONS[model]
                if obj in session.new or _changed(obj, (*title, *body)):
                    owners.add(_owner(session, obj))
        for obj in session.deleted:
            if type(obj) in TRANSLATIONS:
                owners.add(_owner(session, obj))
        owners = {owner for owner in owners if owner is not None and owner not in session.deleted}
        if not owners:
            return
        translations = _current_translations(session, owners)
        for owner in owners:
            columns = document_columns(type(owner), owner, translations[owner])
            owner.search_title, owner.search_body = columns["search_title"], columns["search_body"]


sa.event.listen(db.session, "before_flush", _refresh_documents)


PROGRESS_EVERY = 10_000  # rows between two progress lines within a table


def reindex(batch_size: int = 500, progress: Callable[..., None] | None = None) -> int:
    """Recompute the stored search text of every row (after the folding or the place list
    changed, or rows were written without the ORM). Returns the number of rows; flushes.
    ``progress(stage, **counts)``, when given, hears of each table done and of every
    10,000 rows within one."""
    session = db.session
    total = 0
    for model, (title_columns, body_columns) in DOCUMENTS.items():
        done_here = 0
        translation_specs = [(t, spec) for t, spec in TRANSLATIONS.items() if spec[0] is model]
        columns = [getattr(model, name) for name in ("id", *title_columns, *body_columns)]
        last_id = 0
        while True:
            rows = (
                session.execute(
                    sa.select(*columns).where(model.id > last_id).order_by(model.id).limit(batch_size)
                )
                .mappings()
                .all()
            )
            if not rows:
                break
            last_id = rows[-1]["id"]
            translations: dict[int, list] = {row["id"]: [] for row in rows}
            for translation_model, (_owner, owner_column, _title, _body) in translation_specs:
                owner = getattr(translation_model, owner_column)
                statement = sa.select(translation_model.__table__).where(owner.in_(list(translations)))
                for translation in session.execute(statement).mappings():
                    translations[translation[owner_column]].append(translation)
            session.execute(
                sa.update(model),
                [{"id": row["id"], **document_columns(model, row, translations[row["id"]])} for row in rows],
            )
            total += len(rows)
            done_here += len(rows)
            if progress and done_here % PROGRESS_EVERY < len(rows) and len(rows) == batch_size:
                progress(f"{model.__tablename__}: reindexing", rows=done_here)
        if progress:
            progress(f"{model.__tablename__} reindexed", rows=done_here)
    session.flush()
    return total


# --- querying ---------------------------------------------------------------------------------

_MODELS = {"organizations": Organization, "campaigns": Campaign, "projects": Project}


# A query is a list of groups, all of which must match; a group is a list of alternatives, any
# of which may match; an alternative is a list of (word, is_prefix), all of which must match.
Alternatives = list[list[tuple[str, bool]]]


def _query_groups(terms: list[str]) -> list[Alternatives]:
    groups: list[Alternatives] = []
    position = 0
    while position < len(terms):
        is_last = position == len(terms) - 1
        found = places.place_at(terms, position)
        if found is None:
            groups.append([[(terms[position], is_last)]])
            position += 1
            continue
        length, place = found
        typed = tuple(terms[position : position + length])
        group = [[(word, False) for word in name] for name in places.search_names(place) if name != typed]
        # The words as typed come first; at the end of the query, still being typed, the last of
        # them matches as a prefix (``basra`` also finds ``basrawi``).
        at_end = position + length == len(terms)
        group.insert(0, [(word, at_end and index == length - 1) for index, word in enumerate(typed)])
        groups.append(group)
        position += length
    return groups


def _fts5_query(terms: list[str], title_only: bool = False) -> str:
    # Each word becomes a quoted string (quotes doubled), the last one a prefix: FTS5 operators
    # (OR, NOT, NEAR, column filters, ^, *) typed by a visitor are plain words here.
    def word(text: str, prefix: bool) -> str:
        return '"' + text.replace('"', '""') + '"' + ("*" if prefix else "")

    def any_of(items: list[str], operator: str) -> str:
        return items[0] if len(items) == 1 else "(" + f" {operator} ".join(items) + ")"

    query = " AND ".join(
        any_of([any_of([word(*w) for w in alternative], "AND") for alternative in group], "OR")
        for group in _query_groups(terms)
    )
    return f"title : ({query})" if title_only else query


def _tsquery(terms: list[str], title_only: bool = False) -> str:
    # Weight A is the title (app.search_engine.ddl): ``'x':A`` matches it there only.
    weight = "A" if title_only else ""

    def word(text: str, prefix: bool) -> str:
        return (
            "'"
            + text.replace("'", "''")
            + "'"
            + (f":*{weight}" if prefix else f":{weight}" if weight else "")
        )

    def any_of(items: list[str], operator: str) -> str:
        return items[0] if len(items) == 1 else "(" + f" {operator} ".join(items) + ")"

    return " & ".join(
        any_of([any_of([word(*w) for w in alternative], "&") for alternative in group], "|")
        for group in _query_groups(terms)
    )


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
    """What the public may find: organizations in public view (app.services.visibility),
    visible projects of those."""
    if kind == "organizations":
        return [publicly_listed(Organization)]
    if kind == "projects":
        return [Project.hidden_at.is_(None), Project.organization.has(publicly_listed(Organization))]
    return []


# Only the columns a result shows are loaded.
_RESULT_COLUMNS = {
    "organizations": (Organization.id, Organization.slug, Organization.name, Organization.kind,
                      Organization.country, Organization.city, Organization.description,
                      Organization.translated_names),
    "campaigns": (Campaign.id, Campaign.slug, Campaign.title, Campaign.summary, Campaign.status,
                  Campaign.accent, Campaign.supporter_count),
    "projects": (Project.id, Project.slug, Project.title, Project.summary, Project.status,
                 Project.place, Project.organization_id, Project.translated_texts),
}  # fmt: skip


# How many matches of each tier (title, anywhere) the search page ranks at most.
CANDIDATES = 100


def _candidates(
    kind: str,
    terms: list[str],
    title_only: bool,
    bound: int,
    where: Sequence[sa.ColumnElement[bool]],
    dialect: str,
) -> sa.Subquery:
    """The first ``bound`` visible rows of ``kind`` whose title (``title_only``) or text matches
    (and that meet the caller's ``where``, e.g. the directory's filters), in the index's own
    order, with their rank (lower = better) computed for those rows only."""
    model = _MODELS[kind]
    number = 0 if title_only else 1
    tier = sa.literal(number).label("tier")
    name = f"{kind}_{'title' if title_only else 'text'}"
    if dialect == "postgresql":
        vector = sa.literal_column(f"{kind}.search_vector")
        simple = sa.literal_column("'simple'")
        wanted = sa.func.to_tsquery(simple, sa.bindparam(f"tsq_{number}", _tsquery(terms, title_only)))
        # The matches, as the planner would fetch them all: through the GIN index. A LIMIT in the
        # same query would tempt it into a sequential scan that stops after ``bound`` rows, but
        # reads the whole table when few rows match. MATERIALIZED keeps the two apart; the rows
        # are still pulled one at a time, so only the first ``bound`` are fetched.
        # Who may be seen is checked on each match fetched (most are: no other index is worth
        # combining with the search's).
        matches = (
            sa.select(sa.literal_column(f"{kind}.id").label("id"))
            .select_from(model.__table__)
            .where(vector.op("@@")(wanted))
            .cte(f"{name}_matches")
            .prefix_with("MATERIALIZED")
        )
        # Ranked with the whole query in both tiers, so that ranks compare.
        ranked = sa.func.to_tsquery(simple, sa.bindparam("tsq_rank", _tsquery(terms)))
        return (
            sa.select(model.id.label("id"), tier, (-sa.func.ts_rank(vector, ranked)).label("rank"))
            .join_from(matches, model, model.id == matches.c.id)
            .where(*visible(kind), *where)
            .limit(bound)
            .subquery(name)
        )
    else:
        fts = sa.table(f"{kind}_fts", sa.column("rowid"))
        statement = (
            sa.select(
                model.id.label("id"),
                tier,
                sa.literal_column(f"bm25({kind}_fts, {TITLE_WEIGHT}, 1.0)").label("rank"),
            )
            .select_from(fts)
            .join(model, model.id == fts.c.rowid)
            .where(
                sa.literal_column(f"{kind}_fts").op("MATCH")(
                    sa.bindparam(f"fts_{number}", _fts5_query(terms, title_only))
                ),
                *visible(kind),
                *where,
            )
        )
    return statement.limit(bound).subquery(name)


def ranked_candidates(
    kind: str, query: str | None, *, bound: int, where: Sequence[sa.ColumnElement[bool]] = ()
) -> sa.Subquery | None:
    """A bounded candidate set of visible rows of ``kind`` matching ``query`` (and ``where``),
    as a subquery with columns ``id``, ``tier`` (0: the title matches) and ``rank`` (lower =
    better): at most ``bound`` rows whose title matches and ``bound`` whose text does, each tier
    taken in the index's order, and ranked for those rows only. Order by ``tier, rank``. None
    when the query holds no word. When fewer than ``bound`` rows come back, they are every
    match (neither tier was cut: a title match is also a text match); ``bound`` or more means
    "at least that many", learnt at a fixed cost."""
    terms = query_terms(query)
    if not terms:
        return None
    return _ranked(kind, terms, bound, where, db.session.get_bind().dialect.name)


def _ranked(
    kind: str, terms: list[str], bound: int, where: Sequence[sa.ColumnElement[bool]], dialect: str
) -> sa.Subquery:
    tiers = [_candidates(kind, terms, title_only, bound, where, dialect) for title_only in (True, False)]
    found = sa.union_all(*(sa.select(t.c.id, t.c.tier, t.c.rank) for t in tiers)).subquery("found")
    return (
        sa.select(
            found.c.id, sa.func.min(found.c.tier).label("tier"), sa.func.min(found.c.rank).label("rank")
        )
        .group_by(found.c.id)
        .subquery("best")
    )


def find(kind: str, query: str | None, *, limit: int, offset: int = 0) -> list:
    """Up to ``limit`` visible rows of ``kind`` matching ``query``, best match first: rows
    whose title matches, then the others, each by rank (bm25 / ts_rank).

    Only a bounded candidate set is ranked: the first CANDIDATES (or ``offset + limit``) matches
    in the title and as many anywhere, taken in the index's order. Ranking every match would
    read each matching row (tens of thousands for a common word at ten times today's size);
    the cost here stays the same whatever the size of the network.

    The statement is built once per kind, database and page size (:func:`_find_statement`); the
    words of the query are its parameters (:func:`_match_params`)."""
    terms = query_terms(query)
    if not terms:
        return []
    dialect = db.session.get_bind().dialect.name
    statement = _find_statement(kind, dialect, max(CANDIDATES, offset + limit), limit, offset)
    return list(db.session.scalars(statement, _match_params(dialect, terms)))


# Words the statements of :func:`find` are built with; each search passes its own as parameters.
_PLACEHOLDER_TERMS = ["placeholder"]


@functools.lru_cache(maxsize=64)
def _find_statement(kind: str, dialect: str, bound: int, limit: int, offset: int) -> sa.Select:
    """The statement of :func:`find`, built once: building it (three subqueries, a union, the
    visibility rule) and computing its cache key cost SQLAlchemy more than the database took to
    run it (SQLite, the large set). Reused, its cache key is kept with it and its compiled form
    found in the engine's cache."""
    model = _MODELS[kind]
    best = _ranked(kind, _PLACEHOLDER_TERMS, bound, (), dialect)
    return (
        sa.select(model)
        .options(load_only(*_RESULT_COLUMNS[kind]))
        .join(best, best.c.id == model.id)
        .order_by(best.c.tier, best.c.rank, model.id)
        .limit(limit)
        .offset(offset)
    )


def _match_params(dialect: str, terms: list[str]) -> dict[str, str]:
    """The values of the bound parameters that :func:`_candidates` names, for ``terms``."""
    if dialect == "postgresql":
        return {"tsq_0": _tsquery(terms, True), "tsq_1": _tsquery(terms, False), "tsq_rank": _tsquery(terms)}
    return {"fts_0": _fts5_query(terms, True), "fts_1": _fts5_query(terms, False)}


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

"""search in every language: stored search text folded in Python

Revision ID: 0006_multilingual_search
Revises: 0005_outbox
Create Date: 2026-12-01 12:00:00

Search now reads each row's text in every language (the translation tables too), with the
Arabic article and clitics stemmed, Kurdish letters folded onto the Arabic ones and Eastern
digits folded to ASCII. The application computes that text in Python and stores it in two new
columns, search_title and search_body, of organizations, campaigns and projects; the databases
only index those columns:

SQLite: the FTS5 tables and their triggers are rebuilt over the two columns (the triggers no
longer call fold_arabic).
PostgreSQL: search_vector is generated from the two columns; tadamun_fold() is dropped.

This file holds a copy of app/search_engine/ddl.py and app/search_engine/folding.py at the time
of writing, to fill the new columns: a migration must not import the application, whose code
moves on (tests/test_search_languages.py checks that the copies agree). `flask --app wsgi search-index`
recomputes the text with the application's current folding.

The columns are added and dropped with plain ALTER TABLE (SQLite 3.35 or later): a batch
rebuild of these tables would drop the search triggers, and with foreign keys on, dropping
the old organizations table would cascade to every row that points at it.
"""

import re
import unicodedata
from pathlib import Path
from importlib.util import module_from_spec, spec_from_file_location

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0006_multilingual_search"
down_revision = "0005_outbox"
branch_labels = None
depends_on = None


# --- a copy of app/search_engine/folding.py -------------------------------------------------------

MARKS_CLASS = (
    r"[\u0300-\u036F\u1AB0-\u1AFF\u1DC0-\u1DFF\u20D0-\u20FF\uFE20-\uFE2F"
    r"\u064B-\u065F\u0670\u0640\u200C-\u200F\u061C]"
)
LETTERS_FROM = "ٱةىکیەھہۆۇێڕڵڤ٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹"
LETTERS_TO = "اهيكيهههوويرلف01234567890123456789"
LATIN_FROM = "øłıđħ"
LATIN_TO = "olidh"
ARTICLE = re.compile(r"^ال(?=\w\w)|^(?:[وف][بك]?|[بك])ال(?=\w\w\w)|^[وف]?لل(?=\w\w)")

_LETTERS = str.maketrans(LETTERS_FROM, LETTERS_TO)
_LATIN = str.maketrans(LATIN_FROM, LATIN_TO)
_MARKS = re.compile(MARKS_CLASS)
_WORD = re.compile(r"[^\W_]+")


def fold(text):
    if not text:
        return ""
    text = _MARKS.sub("", unicodedata.normalize("NFKD", text))
    return text.translate(_LETTERS).lower().translate(_LATIN)


def stem(word):
    return ARTICLE.sub("", word, count=1)


def words(text):
    return _WORD.findall(fold(text))


def index_text(text):
    out = []
    for word in words(text):
        out.append(word)
        stemmed = stem(word)
        if stemmed != word:
            out.append(stemmed)
    return " ".join(out)


# --- a copy of app/search_engine/ddl.py -----------------------------------------------------------

SEARCHABLE_TABLES = ("organizations", "campaigns", "projects")

SQLITE_DDL = [
    """CREATE VIRTUAL TABLE IF NOT EXISTS organizations_fts
       USING fts5(title, body, tokenize = 'unicode61 remove_diacritics 0')""",
    """CREATE TRIGGER IF NOT EXISTS organizations_fts_insert AFTER INSERT ON organizations BEGIN
         INSERT INTO organizations_fts(rowid, title, body)
           VALUES (new.id, coalesce(new.search_title, ''), coalesce(new.search_body, ''));
       END""",
    """CREATE TRIGGER IF NOT EXISTS organizations_fts_update
       AFTER UPDATE OF search_title, search_body ON organizations BEGIN
         DELETE FROM organizations_fts WHERE rowid = old.id;
         INSERT INTO organizations_fts(rowid, title, body)
           VALUES (new.id, coalesce(new.search_title, ''), coalesce(new.search_body, ''));
       END""",
    """CREATE TRIGGER IF NOT EXISTS organizations_fts_delete AFTER DELETE ON organizations BEGIN
         DELETE FROM organizations_fts WHERE rowid = old.id;
       END""",
    """CREATE VIRTUAL TABLE IF NOT EXISTS campaigns_fts
       USING fts5(title, body, tokenize = 'unicode61 remove_diacritics 0')""",
    """CREATE TRIGGER IF NOT EXISTS campaigns_fts_insert AFTER INSERT ON campaigns BEGIN
         INSERT INTO campaigns_fts(rowid, title, body)
           VALUES (new.id, coalesce(new.search_title, ''), coalesce(new.search_body, ''));
       END""",
    """CREATE TRIGGER IF NOT EXISTS campaigns_fts_update
       AFTER UPDATE OF search_title, search_body ON campaigns BEGIN
         DELETE FROM campaigns_fts WHERE rowid = old.id;
         INSERT INTO campaigns_fts(rowid, title, body)
           VALUES (new.id, coalesce(new.search_title, ''), coalesce(new.search_body, ''));
       END""",
    """CREATE TRIGGER IF NOT EXISTS campaigns_fts_delete AFTER DELETE ON campaigns BEGIN
         DELETE FROM campaigns_fts WHERE rowid = old.id;
       END""",
    """CREATE VIRTUAL TABLE IF NOT EXISTS projects_fts
       USING fts5(title, body, tokenize = 'unicode61 remove_diacritics 0')""",
    """CREATE TRIGGER IF NOT EXISTS projects_fts_insert AFTER INSERT ON projects BEGIN
         INSERT INTO projects_fts(rowid, title, body)
           VALUES (new.id, coalesce(new.search_title, ''), coalesce(new.search_body, ''));
       END""",
    """CREATE TRIGGER IF NOT EXISTS projects_fts_update
       AFTER UPDATE OF search_title, search_body ON projects BEGIN
         DELETE FROM projects_fts WHERE rowid = old.id;
         INSERT INTO projects_fts(rowid, title, body)
           VALUES (new.id, coalesce(new.search_title, ''), coalesce(new.search_body, ''));
       END""",
    """CREATE TRIGGER IF NOT EXISTS projects_fts_delete AFTER DELETE ON projects BEGIN
         DELETE FROM projects_fts WHERE rowid = old.id;
       END""",
]

# Refill the SQLite index from the stored columns (repairs an index the triggers missed).
SQLITE_REBUILD = [
    "DELETE FROM organizations_fts",
    """INSERT INTO organizations_fts(rowid, title, body)
       SELECT id, coalesce(search_title, ''), coalesce(search_body, '') FROM organizations""",
    "DELETE FROM campaigns_fts",
    """INSERT INTO campaigns_fts(rowid, title, body)
       SELECT id, coalesce(search_title, ''), coalesce(search_body, '') FROM campaigns""",
    "DELETE FROM projects_fts",
    """INSERT INTO projects_fts(rowid, title, body)
       SELECT id, coalesce(search_title, ''), coalesce(search_body, '') FROM projects""",
]

SQLITE_DROP = [
    "DROP TABLE IF EXISTS organizations_fts",
    "DROP TABLE IF EXISTS campaigns_fts",
    "DROP TABLE IF EXISTS projects_fts",
    "DROP TRIGGER IF EXISTS organizations_fts_insert",
    "DROP TRIGGER IF EXISTS organizations_fts_update",
    "DROP TRIGGER IF EXISTS organizations_fts_delete",
    "DROP TRIGGER IF EXISTS campaigns_fts_insert",
    "DROP TRIGGER IF EXISTS campaigns_fts_update",
    "DROP TRIGGER IF EXISTS campaigns_fts_delete",
    "DROP TRIGGER IF EXISTS projects_fts_insert",
    "DROP TRIGGER IF EXISTS projects_fts_update",
    "DROP TRIGGER IF EXISTS projects_fts_delete",
]

POSTGRESQL_DDL = [
    """ALTER TABLE organizations ADD COLUMN IF NOT EXISTS search_vector tsvector GENERATED ALWAYS AS (
         setweight(to_tsvector('simple', coalesce(search_title, '')), 'A')
         || setweight(to_tsvector('simple', coalesce(search_body, '')), 'B')
       ) STORED""",
    "CREATE INDEX IF NOT EXISTS ix_organizations_search_vector ON organizations USING gin (search_vector)",
    """ALTER TABLE campaigns ADD COLUMN IF NOT EXISTS search_vector tsvector GENERATED ALWAYS AS (
         setweight(to_tsvector('simple', coalesce(search_title, '')), 'A')
         || setweight(to_tsvector('simple', coalesce(search_body, '')), 'B')
       ) STORED""",
    "CREATE INDEX IF NOT EXISTS ix_campaigns_search_vector ON campaigns USING gin (search_vector)",
    """ALTER TABLE projects ADD COLUMN IF NOT EXISTS search_vector tsvector GENERATED ALWAYS AS (
         setweight(to_tsvector('simple', coalesce(search_title, '')), 'A')
         || setweight(to_tsvector('simple', coalesce(search_body, '')), 'B')
       ) STORED""",
    "CREATE INDEX IF NOT EXISTS ix_projects_search_vector ON projects USING gin (search_vector)",
]

POSTGRESQL_DROP = [
    "DROP INDEX IF EXISTS ix_organizations_search_vector",
    "ALTER TABLE organizations DROP COLUMN IF EXISTS search_vector",
    "DROP INDEX IF EXISTS ix_campaigns_search_vector",
    "ALTER TABLE campaigns DROP COLUMN IF EXISTS search_vector",
    "DROP INDEX IF EXISTS ix_projects_search_vector",
    "ALTER TABLE projects DROP COLUMN IF EXISTS search_vector",
]


# --- what is indexed (app/search_engine/engine.py) ------------------------------------------------

DOCUMENTS = {
    "organizations": (("name",), ("city", "description")),
    "campaigns": (("title",), ("summary", "description")),
    "projects": (("title",), ("summary", "place", "description")),
}
TRANSLATIONS = {
    "organizations": ("organization_translations", "organization_id", (), ("description",)),
    "campaigns": ("campaign_translations", "campaign_id", ("title",), ("summary", "description")),
}
BATCH = 1000


def _fill_search_text(connection):
    for table, (title_columns, body_columns) in DOCUMENTS.items():
        translation = TRANSLATIONS.get(table)
        last_id = 0
        while True:
            rows = connection.execute(
                sa.text(
                    f"SELECT id, {', '.join(title_columns + body_columns)} FROM {table} "
                    "WHERE id > :last_id ORDER BY id LIMIT :batch"
                ),
                {"last_id": last_id, "batch": BATCH},
            ).mappings().all()
            if not rows:
                break
            last_id = rows[-1]["id"]
            titles = {row["id"]: [row[name] for name in title_columns] for row in rows}
            bodies = {row["id"]: [row[name] for name in body_columns] for row in rows}
            if translation is not None:
                translation_table, owner, translated_title, translated_body = translation
                translated = connection.execute(
                    sa.text(
                        f"SELECT {', '.join((owner, *translated_title, *translated_body))} "
                        f"FROM {translation_table} WHERE {owner} BETWEEN :first AND :last"
                    ),
                    {"first": rows[0]["id"], "last": last_id},
                ).mappings()
                for found in translated:
                    titles[found[owner]] += [found[name] for name in translated_title]
                    bodies[found[owner]] += [found[name] for name in translated_body]
            connection.execute(
                sa.text(f"UPDATE {table} SET search_title = :title, search_body = :body WHERE id = :id"),
                [
                    {
                        "id": row_id,
                        "title": index_text(" ".join(text for text in titles[row_id] if text)),
                        "body": index_text(" ".join(text for text in bodies[row_id] if text)),
                    }
                    for row_id in titles
                ],
            )


def _run(statements):
    for statement in statements:
        op.execute(statement)


def _release_0002():
    """The released migration 0002_search, whose index the downgrade puts back."""
    path = Path(__file__).with_name("0002_search.py")
    spec = spec_from_file_location("tadamun_migration_0002_search", path)
    module = module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def upgrade():
    dialect = op.get_bind().dialect.name
    # The index of 0002_search: triggers and FTS tables (SQLite), generated columns over
    # tadamun_fold() (PostgreSQL).
    if dialect == "sqlite":
        _run(SQLITE_DROP)
    elif dialect == "postgresql":
        _run(POSTGRESQL_DROP + ["DROP FUNCTION IF EXISTS tadamun_fold(text)"])
    for table in SEARCHABLE_TABLES:
        op.add_column(table, sa.Column("search_title", sa.Text(), nullable=True))
        op.add_column(table, sa.Column("search_body", sa.Text(), nullable=True))
    _fill_search_text(op.get_bind())
    if dialect == "sqlite":
        _run(SQLITE_DDL + SQLITE_REBUILD)
    elif dialect == "postgresql":
        _run(POSTGRESQL_DDL)


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _run(SQLITE_DROP)
    elif dialect == "postgresql":
        _run(POSTGRESQL_DROP)
    for table in SEARCHABLE_TABLES:
        op.drop_column(table, "search_body")
        op.drop_column(table, "search_title")
    release = _release_0002()
    if dialect == "sqlite":
        _run(release.SQLITE_DDL + release.SQLITE_REBUILD)
    elif dialect == "postgresql":
        _run(release.POSTGRESQL_DDL)

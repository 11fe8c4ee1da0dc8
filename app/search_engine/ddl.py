"""The search index's DDL, as plain SQL: the migration ``0006_multilingual_search`` holds a copy.

The text to index is computed in Python (:mod:`app.search_engine.engine`) and stored in each row's
``search_title`` and ``search_body``: folded, stemmed words separated by spaces, in every
language the row is written in. The databases only index those two columns:

SQLite: one FTS5 table per searchable table (rowid = the row's id), kept in step by triggers
that copy the two columns. Updates fire only when they change, so counter updates never
rewrite the index.

PostgreSQL: a generated ``search_vector`` column per table (``simple`` configuration: the
words are already folded), title weighted A and body B, with a GIN index.

Beware, SQLite: a later migration that rebuilds ``organizations``, ``campaigns`` or ``projects``
in batch mode (copy to a new table) drops these triggers with the old table. Such a migration
must run this DDL again (``flask --app wsgi search-index`` repairs a database by hand).
"""

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

SQLITE_FTS_TABLES = ("organizations", "campaigns", "projects")


def sqlite_refill(table: str) -> list[str]:
    """Refill ``table``'s SQLite index from its stored columns, in bulk."""
    # ``table`` is one of SQLITE_FTS_TABLES, never user input.
    columns = "id, coalesce(search_title, ''), coalesce(search_body, '')"
    return [
        f"DELETE FROM {table}_fts",  # noqa: S608  # nosec B608
        f"INSERT INTO {table}_fts(rowid, title, body) SELECT {columns} FROM {table}",  # noqa: S608  # nosec B608
    ]


# Refill the SQLite index from the stored columns (repairs an index the triggers missed).
SQLITE_REBUILD = [statement for table in SQLITE_FTS_TABLES for statement in sqlite_refill(table)]

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

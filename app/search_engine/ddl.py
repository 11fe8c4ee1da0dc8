"""The search index's DDL, as plain SQL: the migration ``0002_search`` holds a copy of it.

SQLite: one FTS5 table per searchable table, holding folded text (rowid = the row's id),
kept in step by triggers that call ``fold_arabic`` (registered on every connection by
``app.database``). Updates fire only when an indexed column changes, so counter updates
never rewrite the index.

PostgreSQL: ``tadamun_fold`` (IMMUTABLE) and a generated ``search_vector`` column per table,
title weighted A and body B, with a GIN index.

Beware, SQLite: a later migration that rebuilds ``organizations``, ``campaigns`` or ``projects``
in batch mode (copy to a new table) drops these triggers with the old table. Such a migration
must run this DDL again (``flask --app wsgi search-index`` repairs a database by hand).
"""

from app.search_engine.folding import POSTGRES_FOLD_FUNCTION

SQLITE_DDL = [
    """CREATE VIRTUAL TABLE IF NOT EXISTS organizations_fts
       USING fts5(title, body, tokenize = 'unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER IF NOT EXISTS organizations_fts_insert AFTER INSERT ON organizations BEGIN
         INSERT INTO organizations_fts(rowid, title, body) VALUES (new.id, fold_arabic(new.name),
           fold_arabic(coalesce(new.city, '') || ' ' || coalesce(new.description, '')));
       END""",
    """CREATE TRIGGER IF NOT EXISTS organizations_fts_update
       AFTER UPDATE OF name, city, description ON organizations BEGIN
         DELETE FROM organizations_fts WHERE rowid = old.id;
         INSERT INTO organizations_fts(rowid, title, body) VALUES (new.id, fold_arabic(new.name),
           fold_arabic(coalesce(new.city, '') || ' ' || coalesce(new.description, '')));
       END""",
    """CREATE TRIGGER IF NOT EXISTS organizations_fts_delete AFTER DELETE ON organizations BEGIN
         DELETE FROM organizations_fts WHERE rowid = old.id;
       END""",
    """CREATE VIRTUAL TABLE IF NOT EXISTS campaigns_fts
       USING fts5(title, body, tokenize = 'unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER IF NOT EXISTS campaigns_fts_insert AFTER INSERT ON campaigns BEGIN
         INSERT INTO campaigns_fts(rowid, title, body) VALUES (new.id, fold_arabic(new.title),
           fold_arabic(coalesce(new.summary, '') || ' ' || coalesce(new.description, '')));
       END""",
    """CREATE TRIGGER IF NOT EXISTS campaigns_fts_update
       AFTER UPDATE OF title, summary, description ON campaigns BEGIN
         DELETE FROM campaigns_fts WHERE rowid = old.id;
         INSERT INTO campaigns_fts(rowid, title, body) VALUES (new.id, fold_arabic(new.title),
           fold_arabic(coalesce(new.summary, '') || ' ' || coalesce(new.description, '')));
       END""",
    """CREATE TRIGGER IF NOT EXISTS campaigns_fts_delete AFTER DELETE ON campaigns BEGIN
         DELETE FROM campaigns_fts WHERE rowid = old.id;
       END""",
    """CREATE VIRTUAL TABLE IF NOT EXISTS projects_fts
       USING fts5(title, body, tokenize = 'unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER IF NOT EXISTS projects_fts_insert AFTER INSERT ON projects BEGIN
         INSERT INTO projects_fts(rowid, title, body) VALUES (new.id, fold_arabic(new.title),
           fold_arabic(coalesce(new.summary, '') || ' ' || coalesce(new.place, '') || ' '
                       || coalesce(new.description, '')));
       END""",
    """CREATE TRIGGER IF NOT EXISTS projects_fts_update
       AFTER UPDATE OF title, summary, place, description ON projects BEGIN
         DELETE FROM projects_fts WHERE rowid = old.id;
         INSERT INTO projects_fts(rowid, title, body) VALUES (new.id, fold_arabic(new.title),
           fold_arabic(coalesce(new.summary, '') || ' ' || coalesce(new.place, '') || ' '
                       || coalesce(new.description, '')));
       END""",
    """CREATE TRIGGER IF NOT EXISTS projects_fts_delete AFTER DELETE ON projects BEGIN
         DELETE FROM projects_fts WHERE rowid = old.id;
       END""",
]

# Refill the SQLite index from the rows (after a bulk load with the triggers in place this is
# not needed; it repairs an index after rows were written without fold_arabic available).
SQLITE_REBUILD = [
    "DELETE FROM organizations_fts",
    """INSERT INTO organizations_fts(rowid, title, body)
       SELECT id, fold_arabic(name), fold_arabic(coalesce(city, '') || ' ' || coalesce(description, ''))
       FROM organizations""",
    "DELETE FROM campaigns_fts",
    """INSERT INTO campaigns_fts(rowid, title, body)
       SELECT id, fold_arabic(title), fold_arabic(coalesce(summary, '') || ' ' || coalesce(description, ''))
       FROM campaigns""",
    "DELETE FROM projects_fts",
    """INSERT INTO projects_fts(rowid, title, body)
       SELECT id, fold_arabic(title), fold_arabic(coalesce(summary, '') || ' ' || coalesce(place, '') || ' '
                                                  || coalesce(description, ''))
       FROM projects""",
]

SQLITE_DROP = [
    "DROP TABLE IF EXISTS organizations_fts",
    "DROP TABLE IF EXISTS campaigns_fts",
    "DROP TABLE IF EXISTS projects_fts",
]  # dropping an FTS table drops its triggers' target; the triggers are dropped below
SQLITE_DROP += [
    f"DROP TRIGGER IF EXISTS {table}_fts_{event}"
    for table in ("organizations", "campaigns", "projects")
    for event in ("insert", "update", "delete")
]

POSTGRESQL_DDL = [
    POSTGRES_FOLD_FUNCTION,
    """ALTER TABLE organizations ADD COLUMN IF NOT EXISTS search_vector tsvector GENERATED ALWAYS AS (
         setweight(to_tsvector('simple', tadamun_fold(name)), 'A')
         || setweight(to_tsvector('simple',
              tadamun_fold(coalesce(city, '') || ' ' || coalesce(description, ''))), 'B')
       ) STORED""",
    "CREATE INDEX IF NOT EXISTS ix_organizations_search_vector ON organizations USING gin (search_vector)",
    """ALTER TABLE campaigns ADD COLUMN IF NOT EXISTS search_vector tsvector GENERATED ALWAYS AS (
         setweight(to_tsvector('simple', tadamun_fold(title)), 'A')
         || setweight(to_tsvector('simple',
              tadamun_fold(coalesce(summary, '') || ' ' || coalesce(description, ''))), 'B')
       ) STORED""",
    "CREATE INDEX IF NOT EXISTS ix_campaigns_search_vector ON campaigns USING gin (search_vector)",
    """ALTER TABLE projects ADD COLUMN IF NOT EXISTS search_vector tsvector GENERATED ALWAYS AS (
         setweight(to_tsvector('simple', tadamun_fold(title)), 'A')
         || setweight(to_tsvector('simple',
              tadamun_fold(coalesce(summary, '') || ' ' || coalesce(place, '') || ' '
                           || coalesce(description, ''))), 'B')
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
    "DROP FUNCTION IF EXISTS tadamun_fold(text)",
]

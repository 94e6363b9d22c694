"""Search that finds "bread" for "breads", on both databases.

- PostgreSQL: the note's tsvector holds each word twice, as written
  (``simple``: names, brands, any language) and stemmed (``english``), so a
  query matches in either form (``community.selectors.search``).
- SQLite (the embedded default): an FTS5 index with the Porter stemmer,
  external-content over ``community_note`` and kept by triggers, ranked with
  bm25. Skipped if this SQLite was built without FTS5 (search then falls
  back to substrings, as before).
"""

from django.db import migrations

PG_SQL = """
CREATE OR REPLACE FUNCTION community_note_search_vector() RETURNS trigger AS $$
BEGIN
  NEW.search_vector :=
    setweight(to_tsvector('pg_catalog.simple', coalesce(NEW.title, '')), 'A') ||
    setweight(to_tsvector('pg_catalog.english', coalesce(NEW.title, '')), 'A') ||
    setweight(to_tsvector('pg_catalog.simple', coalesce(NEW.body, '')), 'B') ||
    setweight(to_tsvector('pg_catalog.english', coalesce(NEW.body, '')), 'B');
  RETURN NEW;
END
$$ LANGUAGE plpgsql;
UPDATE community_note SET title = title;
"""

PG_BACK_SQL = """
CREATE OR REPLACE FUNCTION community_note_search_vector() RETURNS trigger AS $$
BEGIN
  NEW.search_vector :=
    setweight(to_tsvector('pg_catalog.simple', coalesce(NEW.title, '')), 'A') ||
    setweight(to_tsvector('pg_catalog.simple', coalesce(NEW.body, '')), 'B');
  RETURN NEW;
END
$$ LANGUAGE plpgsql;
UPDATE community_note SET title = title;
"""

from community.migrations._fts import SQLITE_BACK_SQL, SQLITE_SQL, has_fts5

def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        schema_editor.execute(PG_SQL)
    elif connection.vendor == "sqlite" and has_fts5(connection):
        for statement in SQLITE_SQL:
            schema_editor.execute(statement)


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        schema_editor.execute(PG_BACK_SQL)
    elif connection.vendor == "sqlite":
        for statement in SQLITE_BACK_SQL:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("community", "0003_alter_notification_verb")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]

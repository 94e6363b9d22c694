"""The notes' FTS5 index on SQLite (migration 0004), kept in one place:
migrations that rebuild ``community_note`` on SQLite (adding a NOT NULL
column remakes the table, and its triggers go with it) call
:func:`triggers_remake` afterwards. The loader skips modules starting with
``_``: this is not a migration."""

from typing import Any

SQLITE_SQL = [
    """CREATE VIRTUAL TABLE community_note_fts USING fts5(
         title, body, content='community_note', content_rowid='id',
         tokenize='porter unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER community_note_fts_ai AFTER INSERT ON community_note BEGIN
         INSERT INTO community_note_fts(rowid, title, body) VALUES (new.id, new.title, new.body);
       END""",
    """CREATE TRIGGER community_note_fts_ad AFTER DELETE ON community_note BEGIN
         INSERT INTO community_note_fts(community_note_fts, rowid, title, body)
         VALUES ('delete', old.id, old.title, old.body);
       END""",
    """CREATE TRIGGER community_note_fts_au AFTER UPDATE OF title, body ON community_note BEGIN
         INSERT INTO community_note_fts(community_note_fts, rowid, title, body)
         VALUES ('delete', old.id, old.title, old.body);
         INSERT INTO community_note_fts(rowid, title, body) VALUES (new.id, new.title, new.body);
       END""",
    "INSERT INTO community_note_fts(community_note_fts) VALUES ('rebuild')",
]

SQLITE_BACK_SQL = [
    "DROP TRIGGER IF EXISTS community_note_fts_ai",
    "DROP TRIGGER IF EXISTS community_note_fts_ad",
    "DROP TRIGGER IF EXISTS community_note_fts_au",
    "DROP TABLE IF EXISTS community_note_fts",
]


def _has_fts5(connection) -> bool:  # type: ignore[no-untyped-def]
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA compile_options")
        return any("FTS5" in row[0] for row in cursor.fetchall())



TRIGGERS_SQL = [statement for statement in SQLITE_SQL if "CREATE TRIGGER" in statement]


def has_fts5(connection: Any) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA compile_options")
        return any("FTS5" in row[0] for row in cursor.fetchall())


def has_index(connection: Any) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'community_note_fts'"
        )
        return cursor.fetchone() is not None


def triggers_remake(apps: Any, schema_editor: Any) -> None:
    """After a migration remade ``community_note`` on SQLite: its FTS
    triggers again, and the index rebuilt from the table."""
    connection = schema_editor.connection
    if connection.vendor != "sqlite" or not has_index(connection):
        return
    for statement in SQLITE_BACK_SQL[:3]:
        schema_editor.execute(statement)
    for statement in TRIGGERS_SQL:
        schema_editor.execute(statement)
    schema_editor.execute("INSERT INTO community_note_fts(community_note_fts) VALUES ('rebuild')")

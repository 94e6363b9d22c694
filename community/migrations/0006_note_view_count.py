"""Note.view_count: reads of a published note by others than its author.

On SQLite, adding a NOT NULL column rebuilds ``community_note`` (create a
copy, move the rows, drop the old table, rename), and the search index's
triggers (``0004_search_stemming``) go with the old table: they are made
again here (and after the column is removed, going back), and the index
rebuilt. PostgreSQL adds the column in place.
"""

import importlib

from django.db import migrations, models


def _restore_search_triggers(apps, schema_editor):  # type: ignore[no-untyped-def]
    connection = schema_editor.connection
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'community_note_fts'"
        )
        if cursor.fetchone() is None:
            return  # no FTS5 in this SQLite: search falls back to substrings
    stemming = importlib.import_module("community.migrations.0004_search_stemming")
    for statement in stemming.SQLITE_SQL:
        if "CREATE TRIGGER" in statement:
            schema_editor.execute(
                statement.replace("CREATE TRIGGER", "CREATE TRIGGER IF NOT EXISTS")
            )
    schema_editor.execute("INSERT INTO community_note_fts(community_note_fts) VALUES ('rebuild')")


class Migration(migrations.Migration):
    dependencies = [
        ("community", "0005_user_email_verified_at"),
    ]

    operations = [
        # Backwards, removing the column rebuilds the table too: this runs last.
        migrations.RunPython(migrations.RunPython.noop, _restore_search_triggers, elidable=False),
        migrations.AddField(
            model_name="note",
            name="view_count",
            field=models.PositiveBigIntegerField(default=0),
        ),
        migrations.RunPython(_restore_search_triggers, migrations.RunPython.noop, elidable=False),
    ]

"""Note.view_count: reads of a published note by others than its author.

On SQLite, adding a NOT NULL column remakes ``community_note`` and its
search triggers go with it: ``_fts.triggers_remake`` makes them again
afterwards (and, going back, after the column is removed)."""

from django.db import migrations, models

from community.migrations._fts import triggers_remake


class Migration(migrations.Migration):
    dependencies = [
        ("community", "0006_note_hidden_reason"),
    ]

    operations = [
        # Backwards, removing the column remakes the table too: this runs last.
        migrations.RunPython(migrations.RunPython.noop, triggers_remake, elidable=False),
        migrations.AddField(
            model_name="note",
            name="view_count",
            field=models.PositiveBigIntegerField(default=0),
        ),
        migrations.RunPython(triggers_remake, migrations.RunPython.noop, elidable=False),
    ]

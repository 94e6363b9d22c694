"""PostgreSQL full-text search for notes (a weighted tsvector kept by a
trigger, GIN-indexed) and the Moderators group with just the permissions the
report queue needs. On SQLite the search part is skipped: search falls back to
LIKE there."""

from django.db import migrations

MODERATOR_PERMISSIONS = [
    ("community", "view_user"),
    ("community", "view_note"),
    ("community", "change_note"),
    ("community", "moderate_note"),
    ("community", "view_photo"),
    ("community", "view_comment"),
    ("community", "change_comment"),
    ("community", "moderate_comment"),
    ("community", "view_report"),
    ("community", "change_report"),
    ("community", "view_topic"),
]

SEARCH_SQL = """
CREATE OR REPLACE FUNCTION community_note_search_vector() RETURNS trigger AS $$
BEGIN
  NEW.search_vector :=
    setweight(to_tsvector('pg_catalog.simple', coalesce(NEW.title, '')), 'A') ||
    setweight(to_tsvector('pg_catalog.simple', coalesce(NEW.body, '')), 'B');
  RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER community_note_search_vector_trg
  BEFORE INSERT OR UPDATE OF title, body ON community_note
  FOR EACH ROW EXECUTE FUNCTION community_note_search_vector();
CREATE INDEX community_note_search_gin ON community_note USING gin (search_vector);
UPDATE community_note SET title = title;
"""

DROP_SEARCH_SQL = """
DROP INDEX IF EXISTS community_note_search_gin;
DROP TRIGGER IF EXISTS community_note_search_vector_trg ON community_note;
DROP FUNCTION IF EXISTS community_note_search_vector();
"""


def add_search(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SEARCH_SQL)


def drop_search(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_SEARCH_SQL)


def create_moderators(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Moderators")
    perms = [
        Permission.objects.get(content_type__app_label=app, codename=codename)
        for app, codename in MODERATOR_PERMISSIONS
    ]
    group.permissions.add(*perms)


def remove_moderators(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Moderators").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("community", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(add_search, drop_search),
        migrations.RunPython(create_moderators, remove_moderators),
    ]

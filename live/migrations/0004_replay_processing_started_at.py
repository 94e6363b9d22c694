"""Replays: the claim of a running finishing attempt
(``processing_started_at``, see ``live.services.replays``), and the
Moderators group sees replays in the admin (hiding one is moderation:
``live.moderate_room``, which they have)."""

from django.db import migrations, models

MODERATOR_PERMISSIONS = [("live", "view_replay")]


def forwards(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Moderators")
    group.permissions.add(
        *[
            Permission.objects.get(content_type__app_label=app, codename=codename)
            for app, codename in MODERATOR_PERMISSIONS
        ]
    )


def backwards(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name="Moderators").first()
    if group is None:
        return
    for app, codename in MODERATOR_PERMISSIONS:
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label=app, codename=codename)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("live", "0003_replays"),
    ]

    operations = [
        migrations.AddField(
            model_name="replay",
            name="processing_started_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(forwards, backwards),
    ]

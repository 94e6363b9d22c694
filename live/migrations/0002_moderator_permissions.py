"""Live rooms' permissions for the Moderators group: see rooms, broadcasts,
chat and restrictions in the admin, change a room (slow mode, blocked words,
its moderators) and moderate any room (end it, delete messages, mute, ban,
lift): ``live.moderate_room``. Nothing is deleted from the admin: messages
are hidden through ``live.chat``, rooms end through ``live.services``."""

from django.db import migrations

MODERATOR_PERMISSIONS = [
    ("live", "view_room"),
    ("live", "change_room"),
    ("live", "moderate_room"),
    ("live", "view_livesession"),
    ("live", "view_chatmessage"),
    ("live", "view_roomrestriction"),
]


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
        ("live", "0001_initial"),
        ("community", "0002_search_and_moderators"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]

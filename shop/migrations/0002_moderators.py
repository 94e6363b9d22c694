"""The shop's permissions for the Moderators group: seeing shops and
products, hiding / restoring products and closing / reopening shops
(``shop.moderate_shop``)."""

from django.db import migrations

MODERATOR_PERMISSIONS = [
    ("shop", "view_shop"),
    ("shop", "view_product"),
    ("shop", "view_productimage"),
    ("shop", "view_productvariant"),
    ("shop", "moderate_shop"),
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
    if group is not None:
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="shop"))


class Migration(migrations.Migration):
    dependencies = [
        ("shop", "0001_initial"),
        ("community", "0002_search_and_moderators"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]

"""The Moderators group sees orders and refunds them with a reason
(``shop.refund_order``): nothing else of the orders' (they change only
through ``shop.services``)."""

from django.db import migrations

MODERATOR_PERMISSIONS = [
    ("shop", "view_order"),
    ("shop", "view_orderline"),
    ("shop", "refund_order"),
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
        group.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="shop",
                codename__in=[codename for _, codename in MODERATOR_PERMISSIONS],
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("shop", "0003_orders_pins_flash_sales"),
        ("shop", "0002_moderators"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]

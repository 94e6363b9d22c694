"""Moderators see flash sales in the admin (and cancel them with
``shop.moderate_shop``, which they have)."""

from django.db import migrations


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
        Permission.objects.get(content_type__app_label="shop", codename="view_flashsale")
    )


def backwards(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name="Moderators").first()
    if group is not None:
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="shop", codename="view_flashsale")
        )


class Migration(migrations.Migration):
    # After the orders part's 0004 (the two were written side by side): one chain.
    dependencies = [("shop", "0004_order_moderators")]

    operations = [migrations.RunPython(forwards, backwards)]

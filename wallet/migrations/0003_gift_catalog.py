"""The default gift catalog (staff edit it in the admin afterwards), and the
Moderators group may add and change gifts (SPEC.md: moderators keep the gift
catalog). Existing gifts with these slugs are left as they are."""

from django.db import migrations

DEFAULT_CATALOG = [
    # slug, name, coins, animation tier, emoji
    ("rose", "Rose", 1, 1, "🌹"),
    ("heart", "Heart", 5, 1, "❤️"),
    ("coffee", "Coffee", 10, 1, "☕"),
    ("sprout", "Sprout", 52, 2, "🌱"),
    ("rocket", "Rocket", 199, 3, "🚀"),
    ("castle", "Castle", 520, 3, "🏰"),
]
MODERATOR_PERMISSIONS = ["add_gift", "change_gift"]


def add_default_catalog(apps, schema_editor):
    Gift = apps.get_model("wallet", "Gift")
    for position, (slug, name, coins, tier, emoji) in enumerate(DEFAULT_CATALOG, start=1):
        Gift.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "coins": coins,
                "animation_tier": tier,
                "emoji": emoji,
                "position": position,
                "is_active": True,
            },
        )


def remove_default_catalog(apps, schema_editor):
    Gift = apps.get_model("wallet", "Gift")
    # Gifts that were sent stay: the ledger's history points at them.
    Gift.objects.filter(slug__in=[row[0] for row in DEFAULT_CATALOG], sends__isnull=True).delete()


def moderators_keep_the_catalog(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Moderators")
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="wallet", codename__in=MODERATOR_PERMISSIONS
        )
    )


def moderators_leave_the_catalog(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name="Moderators").first()
    if group is not None:
        group.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="wallet", codename__in=MODERATOR_PERMISSIONS
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("wallet", "0002_ledger_guards"),
    ]

    operations = [
        migrations.RunPython(add_default_catalog, remove_default_catalog),
        migrations.RunPython(moderators_keep_the_catalog, moderators_leave_the_catalog),
    ]

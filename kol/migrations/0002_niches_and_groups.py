"""The managed list of niches, the creator pool's permissions for the
Moderators group, and an "Agency managers" group whose members see their own
agency's roster in the admin (kol.admin scopes every list to it)."""

from django.db import migrations

NICHES = [
    ("skincare", "Skincare", "Routines, ingredients, honest reviews"),
    ("makeup", "Makeup", "Looks, tutorials, swatches"),
    ("fashion", "Fashion", "Outfits, capsule wardrobes, thrift finds"),
    ("home-cooking", "Home cooking", "Everyday recipes and meal prep"),
    ("baking", "Baking", "Bread, cakes, pastry"),
    ("coffee-tea", "Coffee & tea", "Brewing, cafés, latte art"),
    ("travel", "Travel", "Trips, itineraries, hidden spots"),
    ("fitness", "Fitness", "Workouts, running, strength"),
    ("yoga-wellness", "Yoga & wellness", "Yoga, mindfulness, sleep"),
    ("home-interior", "Home & interior", "Decor, small spaces, renovation"),
    ("plants-garden", "Plants & garden", "House plants, balconies, gardens"),
    ("parenting", "Parenting", "Family life, kids' activities"),
    ("pets", "Pets", "Dogs, cats and their people"),
    ("tech-gadgets", "Tech & gadgets", "Desk setups, apps, devices"),
    ("books-study", "Books & study", "Reading lists, study methods"),
]

MODERATOR_PERMISSIONS = [
    ("kol", "view_niche"),
    ("kol", "view_creatorprofile"),
    ("kol", "change_creatorprofile"),
    ("kol", "view_agency"),
    ("kol", "view_agencymembership"),
    ("kol", "view_revenuesharechange"),
    ("kol", "view_application"),
    ("kol", "review_application"),
    ("kol", "view_invitation"),
    ("kol", "send_invitation"),
    ("kol", "view_creatordailystat"),
]

AGENCY_MANAGER_PERMISSIONS = [
    ("kol", "view_agency"),
    ("kol", "view_agencymembership"),
    ("kol", "view_revenuesharechange"),
    ("kol", "view_creatorprofile"),
    ("kol", "view_creatordailystat"),
]


def forwards(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Niche = apps.get_model("kol", "Niche")
    for position, (slug, name, description) in enumerate(NICHES):
        Niche.objects.get_or_create(
            slug=slug, defaults={"name": name, "description": description, "position": position}
        )
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    def grant(group_name, permissions):
        group, _ = Group.objects.get_or_create(name=group_name)
        group.permissions.add(
            *[
                Permission.objects.get(content_type__app_label=app, codename=codename)
                for app, codename in permissions
            ]
        )

    grant("Moderators", MODERATOR_PERMISSIONS)
    grant("Agency managers", AGENCY_MANAGER_PERMISSIONS)


def backwards(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Agency managers").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("kol", "0001_initial"),
        ("community", "0002_search_and_moderators"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]

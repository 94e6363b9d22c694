"""Database guards of the ledger on PostgreSQL: an entry's lines must sum to
zero when the transaction commits (a deferred constraint trigger), and lines
are immutable (no DELETE, no change of amount, account or entry) — only the
``rolled_up`` flag moves. SQLite relies on wallet.ledger and reconcile_ledger.
Also: the Moderators group may see the ledger and review payouts."""

from django.db import migrations

GUARDS = """
CREATE OR REPLACE FUNCTION wallet_entry_balanced() RETURNS trigger AS $$
DECLARE total bigint;
BEGIN
  SELECT COALESCE(SUM(amount), 0) INTO total FROM wallet_line WHERE entry_id = NEW.entry_id;
  IF total <> 0 THEN
    RAISE EXCEPTION 'ledger entry % does not balance (its lines sum to %)', NEW.entry_id, total
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER wallet_line_entry_balanced
  AFTER INSERT ON wallet_line
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION wallet_entry_balanced();

CREATE OR REPLACE FUNCTION wallet_line_immutable() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'ledger lines are never deleted' USING ERRCODE = 'restrict_violation';
  END IF;
  IF NEW.amount <> OLD.amount OR NEW.account_id <> OLD.account_id
     OR NEW.entry_id <> OLD.entry_id THEN
    RAISE EXCEPTION 'ledger lines are never changed' USING ERRCODE = 'restrict_violation';
  END IF;
  RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER wallet_line_immutable
  BEFORE UPDATE OR DELETE ON wallet_line
  FOR EACH ROW EXECUTE FUNCTION wallet_line_immutable();
"""

DROP_GUARDS = """
DROP TRIGGER IF EXISTS wallet_line_immutable ON wallet_line;
DROP FUNCTION IF EXISTS wallet_line_immutable();
DROP TRIGGER IF EXISTS wallet_line_entry_balanced ON wallet_line;
DROP FUNCTION IF EXISTS wallet_entry_balanced();
"""

MODERATOR_PERMISSIONS = [
    ("wallet", "view_account"),
    ("wallet", "view_entry"),
    ("wallet", "view_line"),
    ("wallet", "view_payment"),
    ("wallet", "view_gift"),
    ("wallet", "view_giftsend"),
    ("wallet", "view_payoutrun"),
    ("wallet", "view_payout"),
    ("wallet", "review_payout"),
]


def add_guards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(GUARDS, params=None)


def drop_guards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_GUARDS, params=None)


def moderators(apps, schema_editor):
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


class Migration(migrations.Migration):
    dependencies = [
        ("wallet", "0001_initial"),
        ("community", "0002_search_and_moderators"),
    ]

    operations = [
        migrations.RunPython(add_guards, drop_guards),
        migrations.RunPython(moderators, migrations.RunPython.noop),
    ]

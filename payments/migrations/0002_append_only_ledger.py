from django.db import migrations

TRIGGER = """
CREATE OR REPLACE FUNCTION payments_trustentry_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'trust ledger entries are append-only: record an adjustment instead';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER payments_trustentry_append_only
    BEFORE UPDATE OR DELETE ON payments_trustentry
    FOR EACH ROW EXECUTE FUNCTION payments_trustentry_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS payments_trustentry_append_only ON payments_trustentry;
DROP FUNCTION IF EXISTS payments_trustentry_append_only();
"""


def forwards(apps, schema_editor):
    # The database itself refuses to edit or delete a ledger entry (PostgreSQL; SQLite relies on
    # the model's own refusal).
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGER)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("payments", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]

"""A staff member who acted can still be deleted: the log entry's actor becomes NULL (auditlog's
SET_NULL) and the entry keeps the actor's email address (actor_email). That one change is the
only UPDATE the append-only trigger lets through; any other is refused, as every DELETE is."""

from django.db import migrations

from core.migration_steps import postgresql_only

FORWARD = [
    """
    CREATE OR REPLACE FUNCTION portal_audit_log_append_only() RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND OLD.actor_id IS NOT NULL AND NEW.actor_id IS NULL
           AND (to_jsonb(NEW) - 'actor_id') = (to_jsonb(OLD) - 'actor_id') THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION USING MESSAGE = 'the audit log is append-only: ' || TG_OP || ' refused';
    END;
    $$ LANGUAGE plpgsql
    """,
]
BACKWARD = [
    """
    CREATE OR REPLACE FUNCTION portal_audit_log_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION USING MESSAGE = 'the audit log is append-only: ' || TG_OP || ' refused';
    END;
    $$ LANGUAGE plpgsql
    """,
]


class Migration(migrations.Migration):
    dependencies = [("portal", "0001_audit_log_append_only")]

    operations = [postgresql_only(FORWARD, BACKWARD)]

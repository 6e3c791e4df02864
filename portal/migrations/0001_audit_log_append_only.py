"""The audit log is append-only in the database itself (PostgreSQL): an UPDATE or DELETE of a
log entry is refused whoever asks, the portal's own code included."""

from django.db import migrations

from core.migration_steps import postgresql_only

FORWARD = [
    """
    CREATE OR REPLACE FUNCTION portal_audit_log_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION USING MESSAGE = 'the audit log is append-only: ' || TG_OP || ' refused';
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER audit_log_append_only
    BEFORE UPDATE OR DELETE ON auditlog_logentry
    FOR EACH ROW EXECUTE FUNCTION portal_audit_log_append_only()
    """,
]
BACKWARD = [
    "DROP TRIGGER IF EXISTS audit_log_append_only ON auditlog_logentry",
    "DROP FUNCTION IF EXISTS portal_audit_log_append_only()",
]


class Migration(migrations.Migration):
    dependencies = [("auditlog", "0017_add_actor_email")]

    operations = [postgresql_only(FORWARD, BACKWARD)]

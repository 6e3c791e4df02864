"""The audit trail: who changed what, field by field, in admin and through the services, for
the records a city answers for. django-auditlog (Jazzband) writes a LogEntry with each field's
before and after on every save and delete of these models, and the actor from the request
(AuditlogMiddleware); a job or import has no actor and is recorded as the portal's.

Chosen over django-pghistory because the demo and a bare machine run on SQLite, where
pghistory's PostgreSQL triggers cannot run; auditlog's signals run on every database. Bulk
writes (imports' batches, the benchmark's COPY) are not seen: imports record their moves in
the status histories instead. On PostgreSQL the log is append-only in the database itself
(portal migration 0001: a trigger refuses UPDATE and DELETE)."""

from auditlog.registry import auditlog
from django.apps import apps

# Each audited model and the fields left out of its entries (kept by the database, or noise).
AUDITED: dict[str, list[str]] = {
    "permits.Permit": ["updated_at", "address_search"],
    "permits.Fee": [],
    "licenses.License": ["updated_at"],
    "licenses.LicenseLink": [],
    "licenses.Membership": [],
    "payments.Payment": [],
    "payments.TrustAccount": [],
    "payments.TrustEntry": [],
    "inspections.Inspection": [],
}


def register_audited_models() -> None:
    for label, exclude in AUDITED.items():
        model = apps.get_model(label)
        if not auditlog.contains(model):
            auditlog.register(model, exclude_fields=exclude)

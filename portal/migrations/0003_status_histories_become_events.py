"""The two status histories (core's StatusChange, every model's moves; permits'
PermitStatusChange, a permit's) become the event record (core.Event, issue 22): each move one
event of the type its model now records, with who, when and why, linked to its record and, for a
fee, an inspection or a payment, to its permit(s). Nothing is lost; the old tables are dropped by
the migrations after this one. In the portal app because it reads every app's tables."""

from django.db import migrations

# As the models name their moves' events today (STATUS_EVENTS), frozen here.
SUBJECTS = {
    ("permits", "permit"): (
        "permit",
        {
            "issued": "permit.issued",
            "expired": "permit.expired",
            "finaled": "permit.finaled",
            "cancelled": "permit.cancelled",
        },
    ),
    ("permits", "fee"): ("fee", {"paid": "fee.paid", "waived": "fee.waived"}),
    ("payments", "payment"): (
        "payment",
        {"confirmed": "payment.completed", "refunded": "payment.refunded"},
    ),
    ("inspections", "inspection"): (
        "inspection",
        {"completed": "inspection.resulted", "cancelled": "inspection.cancelled"},
    ),
    ("licenses", "license"): ("license", {}),
    ("licenses", "licenselink"): (
        "license_link",
        {"approved": "license_link.decided", "rejected": "license_link.decided"},
    ),
    ("applications", "applicationtemplate"): ("application_form", {}),
    ("applications", "application"): (
        "application",
        {
            "submitted": "application.submitted",
            "accepted": "application.accepted",
            "returned": "application.returned",
            "withdrawn": "application.withdrawn",
        },
    ),
    ("applications", "review"): (
        "review",
        {
            "approved": "review.decided",
            "approved_with_conditions": "review.decided",
            "corrections_required": "review.decided",
        },
    ),
}
BATCH = 5000


def event_type(key, to_status: str) -> str:
    prefix, named = SUBJECTS[key]
    return named.get(to_status) or f"{prefix}.status_changed"


def forward(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    StatusChange = apps.get_model("core", "StatusChange")
    PermitStatusChange = apps.get_model("permits", "PermitStatusChange")
    Event = apps.get_model("core", "Event")
    EventLink = apps.get_model("core", "EventLink")
    Fee = apps.get_model("permits", "Fee")
    Inspection = apps.get_model("inspections", "Inspection")
    PaymentLine = apps.get_model("payments", "PaymentLine")

    def content_type(app_label, model):
        return ContentType.objects.get_or_create(app_label=app_label, model=model)[0]

    permit_type = content_type("permits", "permit")
    # The permit(s) each subject belongs to, by its content type.
    permits_of = {
        content_type("permits", "fee").pk: lambda ids: Fee.objects.filter(pk__in=ids).values_list(
            "pk", "permit_id"
        ),
        content_type("inspections", "inspection").pk: lambda ids: Inspection.objects.filter(
            pk__in=ids
        ).values_list("pk", "permit_id"),
        content_type("payments", "payment").pk: lambda ids: PaymentLine.objects.filter(
            payment_id__in=ids
        )
        .values_list("payment_id", "fee__permit_id")
        .distinct(),
    }

    def write(rows):
        """rows: (content_type_id, object_id, type, actor_id, at, payload)."""
        events = Event.objects.bulk_create(
            [
                Event(
                    type=kind,
                    content_type_id=ct,
                    object_id=pk,
                    actor_id=actor,
                    occurred_at=at,
                    payload=payload,
                )
                for ct, pk, kind, actor, at, payload in rows
            ]
        )
        links = []
        by_type: dict[int, set[int]] = {}
        for event in events:
            links.append(
                EventLink(
                    event_id=event.pk,
                    content_type_id=event.content_type_id,
                    object_id=event.object_id,
                )
            )
            by_type.setdefault(event.content_type_id, set()).add(event.object_id)
        parents: dict[tuple[int, int], set[int]] = {}
        for ct, ids in by_type.items():
            if ct in permits_of:
                for pk, permit_id in permits_of[ct](ids):
                    parents.setdefault((ct, pk), set()).add(permit_id)
        for event in events:
            for permit_id in sorted(parents.get((event.content_type_id, event.object_id), ())):
                links.append(
                    EventLink(
                        event_id=event.pk, content_type_id=permit_type.pk, object_id=permit_id
                    )
                )
        EventLink.objects.bulk_create(links)

    types = {ct.pk: (ct.app_label, ct.model) for ct in ContentType.objects.all()}
    batch = []
    for change in StatusChange.objects.order_by("pk").iterator(chunk_size=BATCH):
        key = types.get(change.content_type_id)
        if key not in SUBJECTS:
            continue
        batch.append(
            (
                change.content_type_id,
                change.object_id,
                event_type(key, change.to_status),
                change.changed_by_id,
                change.changed_at,
                {"from": change.from_status, "to": change.to_status, "note": change.note},
            )
        )
        if len(batch) == BATCH:
            write(batch)
            batch = []
    for change in PermitStatusChange.objects.order_by("pk").iterator(chunk_size=BATCH):
        batch.append(
            (
                permit_type.pk,
                change.permit_id,
                event_type(("permits", "permit"), change.to_status),
                change.changed_by_id,
                change.changed_at,
                {"from": change.from_status, "to": change.to_status, "note": change.note},
            )
        )
        if len(batch) == BATCH:
            write(batch)
            batch = []
    if batch:
        write(batch)


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0002_audit_log_keeps_a_deleted_actor"),
        ("core", "0003_events"),
        ("permits", "0014_fee_adjustment"),
        ("inspections", "0007_inspectiontype_is_final"),
        ("payments", "0005_constraint_messages"),
        ("licenses", "0003_constraint_messages"),
        ("applications", "0004_myreview_name"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]

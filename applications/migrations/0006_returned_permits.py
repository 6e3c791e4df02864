"""Permits of applications already returned as incomplete become Returned for Correction, as
intake's return now moves them (issue 23, requirement 8). Historical models have no status
machine: the column is updated directly (on PostgreSQL the triggers keep PermitLicense's copy
and the per-license counts), and the history keeps the application's own "returned" event."""

from django.db import migrations


def forward(apps, schema_editor):
    Application = apps.get_model("applications", "Application")
    Permit = apps.get_model("permits", "Permit")
    returned = Application.objects.filter(status="returned", permit__isnull=False)
    Permit.objects.filter(
        pk__in=returned.values("permit_id"), status="submitted"
    ).update(status="returned")


def backward(apps, schema_editor):
    Permit = apps.get_model("permits", "Permit")
    Permit.objects.filter(status="returned").update(status="submitted")


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0005_plan_review_moves_to_reviews"),
        ("permits", "0017_permit_returned_for_correction"),
    ]

    operations = [migrations.RunPython(forward, backward)]

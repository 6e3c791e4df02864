"""What the permits naming some licenses add up to (how many, how many active, the fees due),
for the review of a license link: approving may open every license of a business to the
applicant, so the reviewer sees them all (licenses.selectors.approval_preview)."""

from django.db.models import Count, Q, Sum

from core.money import as_money
from licenses.selectors import LicenseFigures

from .models import ACTIVE_STATUSES, Fee, FeeStatus, Permit, PermitLicense


def license_figures(license_ids: list[int]) -> tuple[dict[int, LicenseFigures], LicenseFigures]:
    """Each license's figures, and all of them together (a permit naming two of the licenses
    counts once, and so do its fees). Four queries whatever the number of licenses."""
    if not license_ids:
        return {}, LicenseFigures()
    counted = (
        PermitLicense.objects.filter(license_id__in=license_ids)
        .values("license_id")
        .annotate(
            permits=Count("id"), active=Count("id", filter=Q(permit__status__in=ACTIVE_STATUSES))
        )
        .order_by()
    )
    due = dict(
        Fee.objects.filter(status=FeeStatus.DUE, permit__permitlicense__license_id__in=license_ids)
        .values("permit__permitlicense__license_id")
        .annotate(total=Sum("amount"))
        .order_by()
        .values_list("permit__permitlicense__license_id", "total")
    )
    each = {
        row["license_id"]: LicenseFigures(
            permits=row["permits"],
            active=row["active"],
            fees_due=as_money(due.get(row["license_id"])),
        )
        for row in counted
    }
    named = PermitLicense.objects.filter(license_id__in=license_ids).values("permit_id")
    together = Permit.objects.filter(pk__in=named).aggregate(
        permits=Count("id"), active=Count("id", filter=Q(status__in=ACTIVE_STATUSES))
    )
    total_due = Fee.objects.filter(status=FeeStatus.DUE, permit_id__in=named).aggregate(
        total=Sum("amount")
    )["total"]
    return each, LicenseFigures(
        permits=together["permits"],
        active=together["active"],
        fees_due=as_money(total_due),
    )

"""Requesting, assigning, cancelling and resulting inspections.

A request is saved in one transaction with its assignment; its confirmation email goes out only
after the commit. The database refuses a second open request for the same inspection on the
same permit, and a second save of the same Finish click.
"""

import datetime
import uuid

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.events import event_record
from core.money import format_money
from licenses.models import LicenseStatus
from permits.checks import final_inspection_blockers
from permits.models import Fee, FeeStatus, Permit, PermitStatus
from policy.inspections import can_record_inspection_result
from policy.permits import can_cancel_inspection, can_request_inspection, inactive_license_status
from policy.staff import inspector_filter

from .exceptions import InspectionError
from .models import (
    Inspection,
    InspectionArea,
    InspectionResult,
    InspectionStatus,
    InspectionType,
    Inspector,
    TimePreference,
)
from .scheduling import allowed_days, can_cancel_online, day_label
from .selectors import in_route_order, inspection_types_for

# Stored as the fee's description (data: the receipt keeps it as it was).
RE_INSPECTION_FEE = gettext_noop("Re-inspection Fee")
# Results after which the same inspection is made again (as the contractor's page offers).
REINSPECTED_RESULTS = (
    InspectionResult.FAILED,
    InspectionResult.PARTIAL,
    InspectionResult.NOT_READY,
)


def inspection_request_check(*, user, permit: Permit) -> None:
    """Raise InspectionError, with the message for the page, when the user may not request an
    inspection on this permit now."""
    if not can_request_inspection(user, permit):
        # The policy said no; the message says which half of its rule failed.
        if permit.status != PermitStatus.ISSUED:
            raise InspectionError(not_issued(permit))
        inactive = inactive_license_status(user, permit)
        if inactive:
            raise InspectionError(
                _(
                    "Your license on permit %(number)s is %(status)s: inspections can be "
                    "requested only through an active license."
                )
                % {"number": permit.number, "status": LicenseStatus(inactive).label.lower()}
            )
        raise InspectionError(
            _(
                "Requesting inspections on this permit needs the Inspections role at its "
                "contractor, or an approved license on the permit."
            )
        )
    if settings.INSPECTION_REQUIRE_FEES_PAID:
        due = Fee.objects.filter(permit=permit, status=FeeStatus.DUE).aggregate(total=Sum("amount"))
        if due["total"]:
            raise InspectionError(
                _(
                    "Permit %(number)s has %(amount)s in fees due: pay them before requesting an "
                    "inspection."
                )
                % {"number": permit.number, "amount": format_money(due["total"])}
            )


def not_issued(permit: Permit) -> str:
    return _(
        "Permit %(number)s is %(status)s: inspections can be requested only on an issued permit."
    ) % {"number": permit.number, "status": permit.get_status_display()}


def open_request_type_ids(permit: Permit) -> set[int]:
    return set(
        Inspection.objects.filter(permit=permit, status=InspectionStatus.SCHEDULED).values_list(
            "inspection_type_id", flat=True
        )
    )


def area_for(permit: Permit) -> InspectionArea | None:
    zip_code = (permit.zip_code or "")[:5]
    if not zip_code:
        return None
    for area in InspectionArea.objects.all():
        if zip_code in area.zip_list:
            return area
    return None


def inspector_for(*, area: InspectionArea | None, day: datetime.date) -> Inspector | None:
    """The least-loaded inspector of the area on that day (ties: by user name); when the area
    has no inspector, the least-loaded of all."""
    inspectors = Inspector.objects.filter(inspector_filter("user__")).annotate(
        load=Count(
            "inspections",
            filter=Q(
                inspections__scheduled_for=day, inspections__status=InspectionStatus.SCHEDULED
            ),
        )
    )
    in_area = inspectors.filter(area=area) if area is not None else inspectors.none()
    pool = in_area if in_area.exists() else inspectors
    # Two requests at once must not both take the same least-loaded inspector: the pool is
    # locked until this request commits, and the loads are counted once the lock is held.
    pool_ids = list(pool.values_list("pk", flat=True))
    list(Inspector.objects.select_for_update().filter(pk__in=pool_ids).order_by("pk"))
    return pool.order_by("load", "user__username").first()


@transaction.atomic
def inspection_request_create(
    *,
    user,
    permit: Permit,
    inspection_type: InspectionType,
    day: datetime.date,
    time_preference: str = TimePreference.ANY,
    contact_name: str,
    contact_phone: str,
    notes: str = "",
    token: uuid.UUID | None = None,
    now: datetime.datetime | None = None,
    reinspection_of: Inspection | None = None,
) -> Inspection:
    """Save a request and assign it at once. With the same `token` twice (a double-clicked
    Finish), the first request is returned and nothing new is made.

    With `reinspection_of` (a failed or partial visit), staff request it again for the same
    inspection (`inspection_reinspection_request`): its requester is told as of their own
    request, the type's re-inspection fee is charged on the permit, and a second request for the
    same visit returns the first."""
    if (existing := _made_with(token, user, reinspection_of)) is not None:
        return existing
    permit = Permit.objects.select_for_update().get(pk=permit.pk)
    # The first click may have committed while this one waited for the permit.
    if (existing := _made_with(token, user, reinspection_of)) is not None:
        return existing
    if reinspection_of is None:
        inspection_request_check(user=user, permit=permit)
    else:
        reinspection_check(user=user, inspection=reinspection_of, permit=permit)
        inspection_type = reinspection_of.inspection_type
    if not inspection_types_for(permit.permit_type_id).filter(pk=inspection_type.pk).exists():
        raise InspectionError(_("Choose one of the inspections of this permit's type."))
    if inspection_type.is_final and (waiting := final_inspection_blockers(permit)):
        raise InspectionError(
            _(
                "The %(inspection)s inspection of permit %(number)s cannot be requested yet: "
                "%(reasons)s."
            )
            % {
                "inspection": inspection_type.name,
                "number": permit.number,
                "reasons": "; ".join(waiting),
            }
        )
    if inspection_type.pk in open_request_type_ids(permit):
        raise InspectionError(
            _(
                "%(inspection)s is already requested on permit %(number)s. Cancel that request "
                "first, or choose another inspection."
            )
            % {"inspection": inspection_type, "number": permit.number}
        )
    if day not in allowed_days(now):
        raise InspectionError(
            _(
                "%(day)s cannot be requested. Choose one of the days offered: business days "
                "only, from the next available day."
            )
            % {"day": day_label(day)}
        )
    if time_preference not in TimePreference.values:
        raise InspectionError(_("Choose AM, PM or no preference."))
    area = area_for(permit)
    inspection = Inspection(
        permit=permit,
        inspection_type=inspection_type,
        scheduled_for=day,
        time_preference=time_preference,
        requested_by=user,
        contact_name=contact_name.strip()[:150],
        contact_phone=contact_phone.strip()[:30],
        request_notes=notes.strip(),
        request_token=token,
        area=area,
        inspector=inspector_for(area=area, day=day),
        reinspection_of=reinspection_of,
    )
    if reinspection_of is not None:
        # Whoever asked for the failed visit hears of this one and its result.
        inspection.requested_by = reinspection_of.requested_by
    try:
        with transaction.atomic():
            inspection.save()
    except IntegrityError:
        if (existing := _made_with(token, user, reinspection_of)) is not None:
            return existing
        raise InspectionError(
            _("%(inspection)s is already requested on permit %(number)s.")
            % {"inspection": inspection_type, "number": permit.number}
        ) from None
    event_record("inspection.requested", subject=inspection, actor=user, about=[inspection.permit])
    if reinspection_of is not None and inspection_type.reinspection_fee:
        _charge_reinspection(inspection=inspection, by=user)
    return inspection


def _made_with(
    token: uuid.UUID | None, user, reinspection_of: Inspection | None
) -> Inspection | None:
    """The request this user's click with `token` made already (or the re-inspection of that
    visit), if any."""
    if reinspection_of is not None:
        return Inspection.objects.filter(reinspection_of=reinspection_of).first()
    if token is None:
        return None
    return Inspection.objects.filter(request_token=token, requested_by=user).first()


def reinspection_check(*, user, inspection: Inspection, permit: Permit) -> None:
    """Raise InspectionError, with the message for the page, when the user may not request the
    re-inspection of this visit."""
    if not can_record_inspection_result(user, inspection):
        raise InspectionError(
            _(
                "A re-inspection is requested here by the inspection's inspector or the permit "
                "office."
            )
        )
    if inspection.status != InspectionStatus.COMPLETED or inspection.result not in (
        REINSPECTED_RESULTS
    ):
        raise InspectionError(
            _(
                "%(number)s did not fail: only a failed, partial or not ready inspection is "
                "requested again."
            )
            % {"number": inspection.number}
        )
    if permit.status != PermitStatus.ISSUED:
        raise InspectionError(not_issued(permit))


def _charge_reinspection(*, inspection: Inspection, by) -> Fee:
    amount = inspection.inspection_type.reinspection_fee
    fee = Fee.objects.create(permit=inspection.permit, description=RE_INSPECTION_FEE, amount=amount)
    event_record(
        "fee.assessed",
        subject=inspection.permit,
        actor=by,
        about=[inspection],
        inspection=inspection.pk,
        total=str(amount),
    )
    return fee


@transaction.atomic
def inspection_reinspection_request(
    *, inspection: Inspection, by, day: datetime.date, now: datetime.datetime | None = None
) -> Inspection:
    """The failed (or partial) `inspection` requested again, for `day`, by its inspector or the
    office: the same inspection, site contact and time preference, through the request service
    (the city's days, the assignment, the requester's confirmation), with the type's
    re-inspection fee charged on the permit. Fees already due do not hold it: the office sends
    the inspector back for a visit it asked for."""
    inspection = Inspection.objects.select_related("inspection_type", "permit").get(
        pk=inspection.pk
    )
    return inspection_request_create(
        user=by,
        permit=inspection.permit,
        inspection_type=inspection.inspection_type,
        day=day,
        time_preference=inspection.time_preference,
        contact_name=inspection.contact_name,
        contact_phone=inspection.contact_phone,
        notes=f"Re-inspection of {inspection.number}.",
        now=now,
        reinspection_of=inspection,
    )


@transaction.atomic
def inspection_cancel(
    *, inspection: Inspection, user, now: datetime.datetime | None = None
) -> Inspection:
    inspection = (
        Inspection.objects.select_for_update().select_related("permit").get(pk=inspection.pk)
    )
    if not can_cancel_inspection(user, inspection):
        inactive = inactive_license_status(user, inspection.permit)
        if inactive:
            raise InspectionError(
                _(
                    "Your license on permit %(number)s is %(status)s: inspections can be "
                    "cancelled online only through an active license. Call the permit office to "
                    "cancel it."
                )
                % {
                    "number": inspection.permit.number,
                    "status": LicenseStatus(inactive).label.lower(),
                }
            )
        raise InspectionError(_("Cancelling this inspection needs the Inspections role."))
    if inspection.status != InspectionStatus.SCHEDULED:
        raise InspectionError(
            _("This inspection is %(status)s.")
            % {"status": inspection.get_status_display().lower()}
        )
    if inspection.scheduled_for is None or not can_cancel_online(inspection.scheduled_for, now):
        raise InspectionError(
            _(
                "It is too late to cancel online: the cut-off was the business day before the "
                "inspection. Call the permit office at %(phone)s."
            )
            % {"phone": settings.CITY_OFFICE_PHONE}
        )
    inspection.move_to(
        InspectionStatus.CANCELLED,
        by=user,
        note=gettext_noop("Cancelled online"),
        changes={"cancelled_by": user, "cancelled_at": now or timezone.now()},
        # Heard by whoever requested it (a colleague may have cancelled it), and the
        # inspector whose day it was on (inspections.subscribers).
        how="online",
    )
    return inspection


@transaction.atomic
def inspection_record_result(
    *,
    inspection: Inspection,
    result: str,
    public_comments: str = "",
    internal_notes: str = "",
    by,
    on: datetime.date | None = None,
) -> Inspection:
    """Staff record a result; the contractor is emailed it. A failed or partial inspection can
    then be requested again. A visit is resulted from its day on (cancelling it is a result any
    day)."""
    inspection = Inspection.objects.select_for_update().get(pk=inspection.pk)
    if not can_record_inspection_result(by, inspection):
        raise InspectionError(
            _("The result of %(number)s is recorded by its inspector or the permit office.")
            % {"number": inspection.number}
        )
    if inspection.status != InspectionStatus.SCHEDULED:
        raise InspectionError(
            _("%(number)s is already %(status)s.")
            % {"number": inspection.number, "status": inspection.get_status_display().lower()}
        )
    if result not in InspectionResult.values:
        raise InspectionError(
            _("Choose a result: Passed, Failed, Partial, Not Ready or Cancelled.")
        )
    day = inspection.scheduled_for
    if result != InspectionResult.CANCELLED and day and day > timezone.localdate():
        raise InspectionError(
            _(
                "%(number)s is not due yet: it is scheduled for %(day)s, and its result can be "
                "recorded from that day."
            )
            % {"number": inspection.number, "day": day_label(day)}
        )
    target = (
        InspectionStatus.CANCELLED
        if result == InspectionResult.CANCELLED
        else InspectionStatus.COMPLETED
    )
    # The history keeps its note as written, in English, whoever's language the page is in.
    with translation.override("en"):
        note = f"Result: {InspectionResult(result).label}"
    inspection.move_to(
        target,
        by=by,
        note=note,
        changes={
            "result": result,
            "result_comments": public_comments.strip(),
            "inspector_notes": internal_notes.strip(),
            "completed_on": on or timezone.localdate(),
            "resulted_by": by,
            "resulted_at": timezone.now(),
        },
        how="result",  # the contractor hears the result (inspections.subscribers)
    )
    return inspection


@transaction.atomic
def inspection_scheduled(*, inspection: Inspection, by) -> None:
    """Staff gave the inspection another day or inspector (admin): recorded, for whoever hears
    of it (the inspector whose day it is now on)."""
    event_record(
        "inspection.scheduled",
        subject=inspection,
        actor=by,
        about=[inspection.permit],
        day=inspection.scheduled_for.isoformat() if inspection.scheduled_for else None,
        inspector=inspection.inspector_id,
    )


@transaction.atomic
def inspections_cancel_for_ended_permit(*, permit: Permit, reason: str) -> list[Inspection]:
    """A permit that expired or was cancelled is not inspected: its scheduled inspections are
    cancelled, each requester told why."""
    cancelled = []
    scheduled = Inspection.objects.select_for_update().filter(
        permit=permit, status=InspectionStatus.SCHEDULED
    )
    for inspection in scheduled.order_by("pk"):
        inspection.move_to(
            InspectionStatus.CANCELLED,
            note=reason,
            changes={
                "result": InspectionResult.CANCELLED,
                "result_comments": f"Cancelled: {reason}.",
                "cancelled_at": timezone.now(),
            },
            how="permit_ended",  # the requester is told why (inspections.subscribers)
        )
        cancelled.append(inspection)
    return cancelled


def inspections_route(*, inspector: Inspector, day: datetime.date) -> list[Inspection]:
    """One inspector's stops for a day in driving order: AM requests first, then no preference,
    then PM; within each, by ZIP code and street."""
    return in_route_order(
        Inspection.objects.filter(
            inspector=inspector, scheduled_for=day, status=InspectionStatus.SCHEDULED
        ).select_related("permit", "inspection_type")
    )

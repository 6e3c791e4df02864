from celery import shared_task
from django.conf import settings
from django.urls import reverse

from core.mail import MAIL_RETRY, absolute_url, send_templated_email

from .models import Inspection


def _inspection(inspection_id: int) -> Inspection:
    return Inspection.objects.select_related(
        "permit", "inspection_type", "requested_by", "inspector__user"
    ).get(pk=inspection_id)


def _email_requester(inspection_id: int, template: str, links=lambda inspection: {}) -> None:
    """Email the contractor who requested the inspection, with its page and any other links
    (`links` of the inspection)."""
    inspection = _inspection(inspection_id)
    if inspection.requested_by is None or not inspection.requested_by.email:
        return  # not requested on the portal: the admin's message says so
    url = absolute_url(reverse("inspections:detail", args=[inspection.pk]))
    send_templated_email(
        template=template,
        to=[inspection.requested_by.email],
        context={"inspection": inspection, "url": url, **links(inspection)},
    )


@shared_task(**MAIL_RETRY)
def send_inspection_confirmation(inspection_id: int) -> None:
    _email_requester(inspection_id, "inspection_confirmation")


@shared_task(**MAIL_RETRY)
def send_inspection_cancelled(inspection_id: int, reason: str) -> None:
    """The requester of an inspection the city cancelled (e.g. its permit expired)."""

    def why(inspection: Inspection) -> dict[str, str]:
        return {"reason": reason, "office_phone": settings.CITY_OFFICE_PHONE}

    _email_requester(inspection_id, "inspection_cancelled", why)


@shared_task(**MAIL_RETRY)
def send_inspection_cancelled_to_inspector(inspection_id: int, cancelled_by: str) -> None:
    """The inspector assigned to an inspection its contractor cancelled: a stop off their day."""
    inspection = _inspection(inspection_id)
    inspector = inspection.inspector
    if inspector is None or not inspector.user.email:
        return
    send_templated_email(
        template="inspection_cancelled_inspector",
        to=[inspector.user.email],
        context={
            "inspection": inspection,
            "cancelled_by": cancelled_by,
            "url": absolute_url(
                reverse("admin:inspections_inspection_change", args=[inspection.pk])
            ),
        },
    )


@shared_task(**MAIL_RETRY)
def send_inspection_result(inspection_id: int) -> None:
    def request_again(inspection: Inspection) -> dict[str, str]:
        url = reverse("inspections:request", args=[inspection.permit.number])
        return {"request_again_url": absolute_url(url)}

    _email_requester(inspection_id, "inspection_result", request_again)

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
def send_inspection_result(inspection_id: int) -> None:
    def request_again(inspection: Inspection) -> dict[str, str]:
        url = reverse("inspections:request", args=[inspection.permit.number])
        return {"request_again_url": absolute_url(url)}

    _email_requester(inspection_id, "inspection_result", request_again)

from celery import shared_task
from django.urls import reverse

from licenses.mail import absolute_url, send_templated_email
from licenses.tasks import MAIL_RETRY

from .models import Inspection


def _inspection(inspection_id: int) -> Inspection:
    return Inspection.objects.select_related(
        "permit", "inspection_type", "requested_by", "inspector__user"
    ).get(pk=inspection_id)


@shared_task(**MAIL_RETRY)
def send_inspection_confirmation(inspection_id: int) -> None:
    inspection = _inspection(inspection_id)
    if inspection.requested_by is None:
        return
    send_templated_email(
        template="inspection_confirmation",
        to=[inspection.requested_by.email],
        context={
            "inspection": inspection,
            "url": absolute_url(reverse("inspections:detail", args=[inspection.pk])),
        },
    )


@shared_task(**MAIL_RETRY)
def send_inspection_result(inspection_id: int) -> None:
    inspection = _inspection(inspection_id)
    if inspection.requested_by is None:
        return
    send_templated_email(
        template="inspection_result",
        to=[inspection.requested_by.email],
        context={
            "inspection": inspection,
            "url": absolute_url(reverse("inspections:detail", args=[inspection.pk])),
            "request_again_url": absolute_url(
                reverse("inspections:request", args=[inspection.permit.number])
            ),
        },
    )

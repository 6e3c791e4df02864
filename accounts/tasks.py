from celery import shared_task
from django.urls import reverse

from core.mail import MAIL_RETRY, absolute_url, send_templated_email
from licenses.models import LicenseLink

from .models import User


@shared_task(**MAIL_RETRY)
def send_registration_received(user_id: int) -> None:
    user = User.objects.get(pk=user_id)
    links = LicenseLink.objects.filter(user=user).select_related(
        "license__holder", "license__license_type"
    )
    send_templated_email(
        template="registration_received",
        to=[user.email],
        context={
            "user": user,
            "links": list(links),
            "account_url": absolute_url(reverse("accounts:manage")),
        },
    )

"""Who hears what happens to accounts (core.events): the new contractor, when their
registration is received."""

from django.urls import reverse

from core.events import subscriber
from core.mail import absolute_url, send_templated_email
from core.models import Event
from licenses.models import LicenseLink

from .models import User


@subscriber("account.registered")
def send_registration_received(event: Event) -> None:
    """The new contractor: what they asked for, and that staff will decide."""
    user = User.objects.get(pk=event.object_id)
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

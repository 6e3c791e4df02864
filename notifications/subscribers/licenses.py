"""Who hears what happens to license links (core.events): the contractor when one is decided.
(The license reviewers, told when one is requested, are city staff: who they are is the policy's
to say, so the accounts app, above it, tells them.)"""

from django.urls import reverse

from core.events import subscriber
from core.mail import absolute_url
from core.models import Event
from licenses.models import LicenseLink, LicenseLinkStatus

from ..catalogue import ACCOUNT_HOLDER
from ..services import notify


def verification_url(user) -> str:
    """A fresh email-verification link for a user whose address is not verified yet, or ""."""
    from allauth.account.models import EmailAddress, EmailConfirmationHMAC

    address = EmailAddress.objects.filter(user=user, email__iexact=user.email).first()
    if address is None or address.verified:
        return ""
    key = EmailConfirmationHMAC(address).key
    return absolute_url(reverse("account_confirm_email", args=[key]))


@subscriber("license_link.decided")
def send_license_link_decision(event: Event) -> None:
    """The contractor who asked: approved (and, if their address is not verified yet, a link
    to verify it) or rejected with the reason."""
    link = LicenseLink.objects.select_related(
        "user", "license__holder", "license__license_type"
    ).get(pk=event.object_id)
    approved = link.status == LicenseLinkStatus.APPROVED
    notify(
        event,
        to=[link.user],
        roles=[ACCOUNT_HOLDER],
        link=absolute_url(reverse("accounts:manage")),
        template="license_approved" if approved else "license_rejected",
        context={
            "link": link,
            "user": link.user,
            "verify_url": verification_url(link.user) if approved else "",
            "account_url": absolute_url(reverse("accounts:manage")),
        },
    )

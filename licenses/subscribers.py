"""Who hears what happens to license links (core.events): the license reviewers when one is
requested, the contractor when it is decided."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse

from core.events import subscriber
from core.mail import absolute_url, send_templated_email
from core.models import Event

from .models import LicenseLink, LicenseLinkStatus

REVIEWERS_GROUP = "License Reviewers"


def license_reviewer_addresses() -> list[str]:
    """The staff group "License Reviewers", and any addresses in LICENSE_REVIEWER_EMAILS. On a
    city that has set up neither (a fresh install), every active staff member who may decide
    (the permission to change license links, superusers included): someone is always told."""
    active_staff = get_user_model().objects.filter(is_active=True, is_staff=True).exclude(email="")
    users = active_staff.filter(groups__name=REVIEWERS_GROUP)
    addresses = {*users.values_list("email", flat=True), *settings.LICENSE_REVIEWER_EMAILS}
    if not addresses:
        deciders = get_user_model().objects.with_perm(
            "licenses.change_licenselink",
            include_superusers=True,
            backend="django.contrib.auth.backends.ModelBackend",
        )
        addresses = set(active_staff.filter(pk__in=deciders).values_list("email", flat=True))
    return sorted(addresses)


@subscriber("license_link.requested")
def notify_license_reviewers(event: Event) -> None:
    """The license reviewers: a link to decide, with its page in admin."""
    link = LicenseLink.objects.select_related(
        "user", "license__holder", "license__license_type"
    ).get(pk=event.object_id)
    send_templated_email(
        template="license_link_review",
        to=license_reviewer_addresses(),
        context={
            "link": link,
            "review_url": absolute_url(
                reverse("admin:licenses_licenselink_change", args=[link.pk])
            ),
            "queue_url": absolute_url(reverse("admin:licenses_licenselink_changelist")),
        },
    )


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
    send_templated_email(
        template="license_approved" if approved else "license_rejected",
        to=[link.user.email],
        context={
            "link": link,
            "user": link.user,
            "verify_url": verification_url(link.user) if approved else "",
            "account_url": absolute_url(reverse("accounts:manage")),
        },
    )

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse

from core.mail import MAIL_RETRY, absolute_url, send_templated_email

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


@shared_task(**MAIL_RETRY)
def notify_license_reviewers(link_id: int) -> None:
    link = LicenseLink.objects.select_related(
        "user", "license__holder", "license__license_type"
    ).get(pk=link_id)
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


@shared_task(**MAIL_RETRY)
def send_license_link_decision(link_id: int) -> None:
    link = LicenseLink.objects.select_related(
        "user", "license__holder", "license__license_type"
    ).get(pk=link_id)
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

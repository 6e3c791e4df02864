"""Who hears what happens to accounts (core.events): the new contractor, when their
registration is received; the license reviewers (city staff, policy.staff), when a user asks to
act for a license."""

from datetime import datetime

from django.conf import settings
from django.urls import reverse

from accounts.models import AuthenticatorEnrolment, User
from accounts.services import enrolment_token
from core.events import subscriber
from core.mail import absolute_url
from core.models import Event
from licenses.models import LicenseLink
from policy.staff import license_link_decider_filter, license_reviewer_filter

from ..catalogue import ACCOUNT_HOLDER, LICENSE_REVIEWERS
from ..services import notify


@subscriber("account.registered")
def send_registration_received(event: Event) -> None:
    """The new contractor: what they asked for, and that staff will decide."""
    user = User.objects.get(pk=event.object_id)
    links = LicenseLink.objects.filter(user=user).select_related(
        "license__holder", "license__license_type"
    )
    notify(
        event,
        to=[user],
        roles=[ACCOUNT_HOLDER],
        link=absolute_url(reverse("accounts:manage")),
        template="registration_received",
        context={
            "user": user,
            "links": list(links),
            "account_url": absolute_url(reverse("accounts:manage")),
        },
    )


def license_reviewer_addresses() -> list[str]:
    """The staff group "License Reviewers", and any addresses in LICENSE_REVIEWER_EMAILS. On a
    city that has set up neither (a fresh install), every active staff member who may decide
    (the permission to change license links, superusers included): someone is always told."""
    users = User.objects.filter(license_reviewer_filter()).exclude(email="")
    addresses = {*users.values_list("email", flat=True), *settings.LICENSE_REVIEWER_EMAILS}
    if not addresses:
        deciders = User.objects.filter(license_link_decider_filter()).exclude(email="")
        addresses = set(deciders.values_list("email", flat=True))
    return sorted(addresses)


@subscriber("license_link.requested")
def notify_license_reviewers(event: Event) -> None:
    """The license reviewers: a link to decide, with its page in admin."""
    link = LicenseLink.objects.select_related(
        "user", "license__holder", "license__license_type"
    ).get(pk=event.object_id)
    notify(
        event,
        to=license_reviewer_addresses(),
        roles=[LICENSE_REVIEWERS],
        link=absolute_url(reverse("admin:licenses_licenselink_change", args=[link.pk])),
        template="license_link_review",
        context={
            "link": link,
            "review_url": absolute_url(
                reverse("admin:licenses_licenselink_change", args=[link.pk])
            ),
            "queue_url": absolute_url(reverse("admin:licenses_licenselink_changelist")),
        },
    )


@subscriber("account.second_factor_locked")
def send_second_factor_locked(event: Event) -> None:
    """The account's owner, once a lock-out: someone has their password and is guessing codes
    (or they mistyped many times)."""
    user = User.objects.get(pk=event.object_id)
    notify(
        event,
        to=[user],
        roles=[ACCOUNT_HOLDER],
        link=absolute_url(reverse("account_change_password")),
        template="second_factor_locked",
        context={
            "user": user,
            "wrong_codes": event.payload["wrong_codes"],
            "locked_until": datetime.fromisoformat(event.payload["locked_until"]),
            "password_url": absolute_url(reverse("account_change_password")),
        },
    )


@subscriber("account.authenticator_link_sent")
def send_authenticator_link(event: Event) -> None:
    """The staff member: the one-time link that sets up their first authenticator app."""
    enrolment = AuthenticatorEnrolment.objects.select_related("user").get(
        pk=event.payload["enrolment"]
    )
    if enrolment.used_at or enrolment.replaced_at:
        return  # a newer link went out meanwhile (a retried delivery must not send a dead one)
    notify(
        event,
        to=[enrolment.user],
        roles=[ACCOUNT_HOLDER],
        template="authenticator_link",
        context={
            "user": enrolment.user,
            "link": absolute_url(
                reverse("accounts:authenticator_link", args=[enrolment_token(enrolment)])
            ),
            "expires_at": enrolment.expires_at,
        },
    )

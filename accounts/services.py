"""Writes about accounts that span apps: finishing a registration, adding a license."""

from django.db import transaction

from core.mail import enqueue_after_commit
from licenses.models import License, LicenseLink
from licenses.services import license_link_request

from .models import User
from .tasks import send_registration_received


@transaction.atomic
def registration_complete(*, user: User, licenses: list[License]) -> list[LicenseLink]:
    """The last step of Contractor Registration: request a link to each chosen license (staff
    are told of each) and send the "registration received" email, all after the commit."""
    links = [license_link_request(user=user, license=license) for license in licenses]
    enqueue_after_commit(send_registration_received, user.pk)
    return links

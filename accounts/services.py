"""Writes about accounts that span apps: finishing a registration, adding a license, and company
users (joining a business by its PIN, roles, leaving, the PIN itself).

Each company-user write asks the policy (policy.businesses) itself, as the views do, and raises
LicenseError when it refuses. The "last manager" rule locks the business row before it counts
its managers, so two requests at once cannot both remove one.
"""

from django.db import transaction

from core.events import event_record
from core.text import with_period
from licenses.exceptions import LastManagerError, LicenseError
from licenses.models import (
    ROLE_FIELDS,
    Contractor,
    License,
    LicenseLink,
    Membership,
    Role,
    generate_pin,
    normalize_pin,
)
from licenses.services import license_link_request
from policy.businesses import can_join_business, can_manage_business, can_remove_member

from .models import User


@transaction.atomic
def registration_complete(*, user: User, licenses: list[License]) -> list[LicenseLink]:
    """The last step of Contractor Registration: request a link to each chosen license (staff
    are told of each) and send the "registration received" email, all after the commit."""
    links = [license_link_request(user=user, license=license) for license in licenses]
    event_record("account.registered", subject=user, actor=user, links=[link.pk for link in links])
    return links


# Company users --------------------------------------------------------------------------------


@transaction.atomic
def membership_associate(*, user: User, pin: str) -> Membership:
    """Join a business by its PIN, with no roles until a manager grants some."""
    if not can_join_business(user):
        raise LicenseError("Sign in to associate with a business.")
    contractor = Contractor.objects.filter(pin=normalize_pin(pin)).first()
    if contractor is None:
        raise LicenseError(
            "No business has that PIN. Check it with your company's portal manager; a PIN is "
            "eight letters and digits."
        )
    membership, created = Membership.objects.get_or_create(user=user, contractor=contractor)
    if not created:
        raise LicenseError(
            f"You are already associated with {with_period(contractor.business_name)}"
        )
    return membership


def _lock_business(contractor_id: int) -> Contractor:
    return Contractor.objects.select_for_update().get(pk=contractor_id)


def _require_manager(*, contractor: Contractor, by: User) -> None:
    if not can_manage_business(by, contractor.pk):
        raise LicenseError("Only a manager of this business can do that.")


def _other_managers(membership: Membership) -> int:
    return (
        Membership.objects.filter(contractor_id=membership.contractor_id, can_manage=True)
        .exclude(pk=membership.pk)
        .count()
    )


@transaction.atomic
def membership_set_roles(*, membership: Membership, by: User, roles: set[str]) -> Membership:
    """A manager grants and revokes roles. The last manager cannot lose Manage."""
    contractor = _lock_business(membership.contractor_id)
    _require_manager(contractor=contractor, by=by)
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    unknown = set(roles) - set(Role.values)
    if unknown:
        raise LicenseError(f"Unknown role: {', '.join(sorted(unknown))}.")
    if membership.can_manage and Role.MANAGE not in roles and _other_managers(membership) == 0:
        raise LastManagerError("There must always be a Manager.")
    for role, field in ROLE_FIELDS.items():
        setattr(membership, field, role in roles)
    membership.save(update_fields=list(ROLE_FIELDS.values()))
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, by: User) -> None:
    """A manager removes a member, or a member leaves. The last manager cannot go."""
    _lock_business(membership.contractor_id)
    if not can_remove_member(by, membership):
        if membership.user_id == by.pk:
            raise LicenseError("Verify your email address to act for this business.")
        raise LicenseError("Only a manager of this business can do that.")
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.can_manage and _other_managers(membership) == 0:
        raise LastManagerError("There must always be a Manager.")
    membership.delete()


@transaction.atomic
def contractor_regenerate_pin(*, contractor: Contractor, by: User) -> str:
    """A new PIN; the old one stops working at once (members already joined stay)."""
    contractor = _lock_business(contractor.pk)
    _require_manager(contractor=contractor, by=by)
    while True:
        pin = generate_pin()
        if not Contractor.objects.filter(pin=pin).exists():
            break
    contractor.pin = pin
    contractor.save(update_fields=["pin", "updated_at"])
    return pin

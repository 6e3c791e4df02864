"""Writes about license links and business memberships.

Every rule here that two requests at once could break is backed by a database constraint or a
row lock: a live link per user and license is unique; the "last manager" rule locks the business
row before it counts its managers.
"""

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.mail import enqueue_after_commit

from .exceptions import LicenseError
from .models import (
    LIVE_LINK_STATUSES,
    ROLE_FIELDS,
    Contractor,
    License,
    LicenseLink,
    LicenseLinkStatus,
    Membership,
    Role,
    generate_pin,
    normalize_pin,
)
from .tasks import notify_license_reviewers, send_license_link_decision


class LastManagerError(LicenseError):
    pass


def license_addable(license: License) -> None:
    """Raise LicenseError when a license cannot be requested: only an active one can."""
    if not license.is_active:
        raise LicenseError(
            f"License {license.number} is {license.get_status_display().lower()} and cannot be "
            "added. Call the permit office if the city's record is wrong."
        )


@transaction.atomic
def license_link_request(*, user, license: License) -> LicenseLink:
    """A user asks to act for a license; staff decide. Several people may ask for the same
    license (employees of one business); one person may not ask twice while a request stands."""
    license_addable(license)
    if LicenseLink.objects.filter(
        user=user, license=license, status__in=LIVE_LINK_STATUSES
    ).exists():
        raise LicenseError(f"License {license.number} is already on your account.")
    try:
        with transaction.atomic():
            link = LicenseLink.objects.create(user=user, license=license)
    except IntegrityError:
        raise LicenseError(f"License {license.number} is already on your account.") from None
    enqueue_after_commit(notify_license_reviewers, link.pk)
    return link


def _locked_pending(link: LicenseLink) -> LicenseLink:
    link = LicenseLink.objects.select_for_update().select_related("license", "user").get(pk=link.pk)
    if link.status != LicenseLinkStatus.PENDING:
        raise LicenseError(
            f"The request of {link.user} for {link.license.number} was already "
            f"{link.get_status_display().lower()}; a decision is not changed afterwards."
        )
    return link


@transaction.atomic
def license_link_approve(*, link: LicenseLink, by) -> LicenseLink:
    """Approve a pending request. The user joins the license holder's business; the first user
    approved on any of its licenses becomes its Manager. The user is emailed."""
    link = _locked_pending(link)
    license = License.objects.select_related("holder").get(pk=link.license_id)
    if not license.is_active:
        raise LicenseError(
            f"License {license.number} is {license.get_status_display().lower()}: a link to it "
            "cannot be approved."
        )
    link.move_to(
        LicenseLinkStatus.APPROVED,
        by=by,
        note="Approved",
        changes={"decided_by": by, "decided_at": timezone.now()},
    )
    _join_on_approval(user=link.user, contractor=license.holder)
    enqueue_after_commit(send_license_link_decision, link.pk)
    return link


def _join_on_approval(*, user, contractor: Contractor) -> Membership:
    # Lock the business so two approvals at once cannot both make a first Manager.
    Contractor.objects.select_for_update().get(pk=contractor.pk)
    has_manager = contractor.memberships.filter(can_manage=True).exists()
    membership, _ = Membership.objects.get_or_create(user=user, contractor=contractor)
    if not has_manager and not membership.can_manage:
        membership.can_manage = True
        membership.save(update_fields=["can_manage"])
    return membership


@transaction.atomic
def license_link_reject(*, link: LicenseLink, by, reason: str) -> LicenseLink:
    reason = reason.strip()
    if not reason:
        raise LicenseError("Give the reason for the rejection: the user is told it.")
    link = _locked_pending(link)
    link.move_to(
        LicenseLinkStatus.REJECTED,
        by=by,
        note="Rejected",
        changes={"decided_by": by, "decided_at": timezone.now(), "reason": reason},
    )
    enqueue_after_commit(send_license_link_decision, link.pk)
    return link


@transaction.atomic
def license_link_remove(*, link: LicenseLink, user) -> LicenseLink:
    """The user takes a license off their account ("Remove my license"). Refused for the only
    license they have left: an account without one is no contractor's account."""
    link = LicenseLink.objects.select_for_update().get(pk=link.pk, user=user)
    if link.status not in LIVE_LINK_STATUSES:
        raise LicenseError("That license is no longer on your account.")
    # Lock every live link of the user: two removals at once cannot remove the last two.
    live = list(
        LicenseLink.objects.select_for_update()
        .filter(user=user, status__in=LIVE_LINK_STATUSES)
        .values_list("pk", flat=True)
    )
    if len(live) <= 1:
        raise LicenseError(
            "This is the only license on your account, so it cannot be removed. Add another "
            "license first, or call the permit office to close the account."
        )
    removed_at = timezone.now()
    link.move_to(
        LicenseLinkStatus.REMOVED,
        by=user,
        note="Removed by its user",
        changes={"removed_at": removed_at, "decided_at": link.decided_at or removed_at},
    )
    return link


@transaction.atomic
def membership_associate(*, user, pin: str) -> Membership:
    """Join a business by its PIN, with no roles until a manager grants some."""
    contractor = Contractor.objects.filter(pin=normalize_pin(pin)).first()
    if contractor is None:
        raise LicenseError(
            "No business has that PIN. Check it with your company's portal manager; a PIN is "
            "eight letters and digits."
        )
    membership, created = Membership.objects.get_or_create(user=user, contractor=contractor)
    if not created:
        raise LicenseError(f"You are already associated with {contractor.business_name}.")
    return membership


def _lock_business(contractor_id: int) -> Contractor:
    return Contractor.objects.select_for_update().get(pk=contractor_id)


def _require_manager(*, contractor: Contractor, by) -> None:
    """A manager of the business, with a verified email address (as every contractor right)."""
    from .access import can_manage_business

    if not can_manage_business(by, contractor.pk):
        raise LicenseError("Only a manager of this business can do that.")


def _other_managers(membership: Membership) -> int:
    return (
        Membership.objects.filter(contractor_id=membership.contractor_id, can_manage=True)
        .exclude(pk=membership.pk)
        .count()
    )


@transaction.atomic
def membership_set_roles(*, membership: Membership, by, roles: set[str]) -> Membership:
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
def membership_remove(*, membership: Membership, by) -> None:
    """A manager removes a member, or a member leaves. The last manager cannot go."""
    contractor = _lock_business(membership.contractor_id)
    if membership.user_id != by.pk:
        _require_manager(contractor=contractor, by=by)
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.can_manage and _other_managers(membership) == 0:
        raise LastManagerError("There must always be a Manager.")
    membership.delete()


@transaction.atomic
def contractor_regenerate_pin(*, contractor: Contractor, by) -> str:
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

"""Writes about license links (and the membership an approval brings).

Every rule here that two requests at once could break is backed by a database constraint or a
row lock: a live link per user and license is unique; an approval locks the business row before
it looks for a first manager. Company users (PIN, roles, leaving) are accounts.services: they
ask the policy (the `policy` package), which sits above this app.
"""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.events import event_record

from .exceptions import LicenseError
from .models import (
    LIVE_LINK_STATUSES,
    Contractor,
    License,
    LicenseLink,
    LicenseLinkStatus,
    Membership,
)


def license_addable(license: License) -> None:
    """Raise LicenseError when a license cannot be requested: only an active one can."""
    if not license.is_active:
        raise LicenseError(
            _(
                "License %(number)s is %(status)s and cannot be added. Call the permit office if "
                "the city's record is wrong."
            )
            % {"number": license.number, "status": license.get_status_display().lower()}
        )


@transaction.atomic
def license_link_request(*, user, license: License) -> LicenseLink:
    """A user asks to act for a license; staff decide. Several people may ask for the same
    license (employees of one business); one person may not ask twice while a request stands."""
    license_addable(license)
    if LicenseLink.objects.filter(
        user=user, license=license, status__in=LIVE_LINK_STATUSES
    ).exists():
        raise LicenseError(already_yours(license))
    try:
        with transaction.atomic():
            link = LicenseLink.objects.create(user=user, license=license)
    except IntegrityError:
        raise LicenseError(already_yours(license)) from None
    event_record("license_link.requested", subject=link, actor=user, about=[license])
    return link


def already_yours(license: License) -> str:
    return _("License %(number)s is already on your account.") % {"number": license.number}


def _locked_pending(link: LicenseLink) -> LicenseLink:
    link = LicenseLink.objects.select_for_update().select_related("license", "user").get(pk=link.pk)
    if link.status != LicenseLinkStatus.PENDING:
        raise LicenseError(
            _(
                "The request of %(user)s for %(number)s was already %(status)s; a decision is "
                "not changed afterwards."
            )
            % {
                "user": link.user,
                "number": link.license.number,
                "status": link.get_status_display().lower(),
            }
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
            _("License %(number)s is %(status)s: a link to it cannot be approved.")
            % {"number": license.number, "status": license.get_status_display().lower()}
        )
    link.move_to(
        LicenseLinkStatus.APPROVED,
        by=by,
        note=gettext_noop("Approved"),
        changes={"decided_by": by, "decided_at": timezone.now()},
    )
    _join_on_approval(user=link.user, contractor=license.holder)
    # The user hears it from a subscriber of the move's event (license_link.decided).
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
        raise LicenseError(_("Give the reason for the rejection: the user is told it."))
    link = _locked_pending(link)
    link.move_to(
        LicenseLinkStatus.REJECTED,
        by=by,
        note=gettext_noop("Rejected"),
        changes={"decided_by": by, "decided_at": timezone.now(), "reason": reason},
    )
    return link


@transaction.atomic
def license_link_remove(*, link: LicenseLink, user) -> LicenseLink:
    """The user takes a license off their account ("Remove my license"). Refused for the only
    license they have left: an account without one is no contractor's account."""
    link = LicenseLink.objects.select_for_update().get(pk=link.pk, user=user)
    if link.status not in LIVE_LINK_STATUSES:
        raise LicenseError(_("That license is no longer on your account."))
    # Lock every live link of the user: two removals at once cannot remove the last two.
    live = list(
        LicenseLink.objects.select_for_update()
        .filter(user=user, status__in=LIVE_LINK_STATUSES)
        .values_list("pk", flat=True)
    )
    if len(live) <= 1:
        raise LicenseError(
            _(
                "This is the only license on your account, so it cannot be removed. Add another "
                "license first, or call the permit office to close the account."
            )
        )
    removed_at = timezone.now()
    link.move_to(
        LicenseLinkStatus.REMOVED,
        by=user,
        note=gettext_noop("Removed by its user"),
        changes={"removed_at": removed_at, "decided_at": link.decided_at or removed_at},
    )
    return link

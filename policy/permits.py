"""Permit rules: the permit's licenses and contacts decide.

- `can_view_private` (its private details, documents, inspection details): registered for one of
  its licenses, any role at a holder, or named on the permit as a contact;
- `can_pay` (its fees): Pay at a holder;
- `can_request_inspection`: the permit is issued, and the user is registered for one of its
  licenses or holds Inspections at a holder (whether fees must be paid first is the request
  service's own check, INSPECTION_REQUIRE_FEES_PAID);
- `can_cancel_inspection`: registered for one of the inspection's permit's licenses, or
  Inspections at a holder (the online cut-off is the inspections app's scheduling);
- `can_upload` (documents): Upload Files at a holder;
- `can_apply` (add or remove the permit's contacts, invite them): Apply at a holder;
- `can_answer_condition` (answer its conditions of approval online: how each is met, with a
  document): registered for one of its licenses, or Apply or Upload Files at a holder (the
  document itself needs Upload Files, `can_upload`);
- `can_accept_contact_invitation`: the invited account itself (an invitation names one user), while
  whoever invited them still passes `can_apply` (an invitation carries no more than its sender's
  right).

A license that is suspended, revoked or expired keeps its history visible (`can_view_private`)
and its fees payable (`can_pay`: what is owed is still owed), but acts on nothing: requesting or
cancelling inspections, uploading and the permit's contacts need the permit's license (the one
the user is registered for, or the one their business holds) to be active.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from licenses.models import LicenseStatus, Role
from licenses.scope import ContractorScope, contractor_scope

from .facts import PermitParties, permit_parties

if TYPE_CHECKING:
    from inspections.models import Inspection
    from permits.invitations import ContactInvitation
    from permits.models import Permit


def _registered_for(scope: ContractorScope, parties: PermitParties, *, acting: bool) -> bool:
    """Registered for one of the permit's licenses; to act on the permit, an active one."""
    licenses = scope.license_ids & parties.license_ids
    return bool(scope.active(licenses) if acting else licenses)


def _role_at_holder(
    scope: ContractorScope, parties: PermitParties, role: str | None, *, acting: bool
) -> bool:
    """`role` (any role when None) at a business holding one of the permit's licenses; to act
    on the permit, an active one."""
    licenses = scope.licenses_held_with(role) & parties.license_ids
    return bool(scope.active(licenses) if acting else licenses)


def can_view_private(user, permit: Permit) -> bool:
    scope = contractor_scope(user)
    if not scope.verified:
        return False
    parties = permit_parties(permit)
    return (
        _registered_for(scope, parties, acting=False)
        or _role_at_holder(scope, parties, None, acting=False)
        or user.pk in parties.contact_user_ids
    )


def can_pay(user, permit: Permit) -> bool:
    scope = contractor_scope(user)
    # Fees owed are paid whatever became of the license since: paying is not acting on the
    # permit, and a city wants what it is owed.
    return scope.verified and _role_at_holder(scope, permit_parties(permit), Role.PAY, acting=False)


def _acts_on_inspections(user, permit: Permit) -> bool:
    scope = contractor_scope(user)
    if not scope.verified:
        return False
    parties = permit_parties(permit)
    return _registered_for(scope, parties, acting=True) or _role_at_holder(
        scope, parties, Role.INSPECTIONS, acting=True
    )


def can_request_inspection(user, permit: Permit) -> bool:
    return permit.is_issued and _acts_on_inspections(user, permit)


def can_cancel_inspection(user, inspection: Inspection) -> bool:
    """Read of the inspection: only its permit."""
    return _acts_on_inspections(user, inspection.permit)


def can_upload(user, permit: Permit) -> bool:
    scope = contractor_scope(user)
    return scope.verified and _role_at_holder(
        scope, permit_parties(permit), Role.UPLOAD, acting=True
    )


def can_apply(user, permit: Permit) -> bool:
    scope = contractor_scope(user)
    return scope.verified and _role_at_holder(
        scope, permit_parties(permit), Role.APPLY, acting=True
    )


def can_answer_condition(user, permit: Permit) -> bool:
    scope = contractor_scope(user)
    if not scope.verified:
        return False
    parties = permit_parties(permit)
    return (
        _registered_for(scope, parties, acting=True)
        or _role_at_holder(scope, parties, Role.APPLY, acting=True)
        or _role_at_holder(scope, parties, Role.UPLOAD, acting=True)
    )


def can_accept_contact_invitation(user, invitation: ContactInvitation, inviter) -> bool:
    """`invitation` is a permits.invitations.ContactInvitation; `inviter` its sender (None
    when that account is gone)."""
    if not (user.is_authenticated and invitation.user_id == user.pk):
        return False
    return inviter is not None and can_apply(inviter, invitation.permit)


def is_invited(user, invitation: ContactInvitation) -> bool:
    """Whether the invitation is this user's to see (anyone else gets a 404)."""
    return bool(user.is_authenticated and invitation.user_id == user.pk)


def payable_license_ids(user) -> frozenset[int]:
    """The licenses whose permits' fees the user may pay (`can_pay` for every permit naming one
    of them): those of the businesses where they hold Pay. "Pay All Fees Due" reads this."""
    scope = contractor_scope(user)
    if not scope.verified:
        return frozenset()
    return scope.licenses_held_with(Role.PAY)


def uploadable_license_ids(user) -> frozenset[int]:
    """The licenses through which the user may upload to a permit (`can_upload` for every permit
    naming one of them): the active licenses of the businesses where they hold Upload Files."""
    scope = contractor_scope(user)
    if not scope.verified:
        return frozenset()
    return scope.active(scope.licenses_held_with(Role.UPLOAD))


def appliable_license_ids(user) -> frozenset[int]:
    """The licenses through which the user may act for the applicant (`can_apply` for every
    permit naming one of them: answering plan review's corrections): the active licenses of
    the businesses where they hold Apply."""
    scope = contractor_scope(user)
    if not scope.verified:
        return frozenset()
    return scope.active(scope.licenses_held_with(Role.APPLY))


def condition_answerable_license_ids(user) -> frozenset[int]:
    """The licenses through which the user may answer a permit's conditions of approval
    (`can_answer_condition` for every permit naming one of them): the active licenses they are
    registered for, and those of the businesses where they hold Apply or Upload Files."""
    scope = contractor_scope(user)
    if not scope.verified:
        return frozenset()
    return (
        scope.active(scope.license_ids) | appliable_license_ids(user) | uploadable_license_ids(user)
    )


def inactive_license_status(user, permit: Permit) -> str | None:
    """Why the user can act on nothing on this permit, when that is the reason: they stand on
    it (registered for one of its licenses, or a role at a business holding one) only through
    licenses that are suspended, revoked or expired. The status (LicenseStatus) of one of them,
    for the page to say so; None when they stand on an active one, or not at all."""
    scope = contractor_scope(user)
    if not scope.verified:
        return None
    standing = (scope.license_ids | scope.licenses_held_with(None)) & permit_parties(
        permit
    ).license_ids
    if not standing or scope.active(standing):
        return None
    statuses = {scope.license_statuses[license_id] for license_id in standing}
    # The gravest, when there are several.
    for status in (LicenseStatus.REVOKED, LicenseStatus.SUSPENDED, LicenseStatus.EXPIRED):
        if status in statuses:
            return status
    return min(statuses)

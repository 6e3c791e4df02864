"""The one place that answers "may this user do this with this permit?".

A user acts for a permit through the permit's license professional:
- as a registered contractor for one of its licenses (an approved license link and a verified
  email address), or
- as a member of a business that holds one of its licenses, with the roles the business's
  managers granted (Manage brings every role).

| action                          | who                                                        |
|---------------------------------|------------------------------------------------------------|
| view private details            | registered for one of its licenses, or any role at a holder |
| pay fees                        | Pay (or Manage) at a holder                                 |
| request or cancel inspections   | registered for one of its licenses, or Inspections at a holder |
| upload files                    | Upload Files (or Manage) at a holder                        |
| add or remove contacts, apply   | Apply (or Manage) at a holder                               |

Staff act in Django admin, not here. Views call these functions; none of them writes.
"""

from dataclasses import dataclass

from licenses.access import ContractorScope, contractor_scope
from licenses.models import Role

from .models import Permit, PermitLicense


@dataclass(frozen=True)
class PermitParties:
    """Which licenses, and which businesses through them, are the permit's license professional."""

    license_ids: frozenset[int]
    holder_ids: frozenset[int]


PARTIES_CACHE_ATTRIBUTE = "_portal_parties"


def permit_parties(permit: Permit) -> PermitParties:
    cached = getattr(permit, PARTIES_CACHE_ATTRIBUTE, None)
    if cached is not None:
        return cached
    rows = PermitLicense.objects.filter(permit=permit).values_list(
        "license_id", "license__holder_id"
    )
    parties = PermitParties(
        license_ids=frozenset(license_id for license_id, _ in rows),
        holder_ids=frozenset(holder_id for _, holder_id in rows),
    )
    setattr(permit, PARTIES_CACHE_ATTRIBUTE, parties)
    return parties


def _registered_for(scope: ContractorScope, parties: PermitParties) -> bool:
    return bool(scope.license_ids & parties.license_ids)


def _role_at_holder(scope: ContractorScope, parties: PermitParties, role: str | None) -> bool:
    return bool(scope.businesses_with(role) & parties.holder_ids)


def can_view_private(user, permit: Permit) -> bool:
    scope = contractor_scope(user)
    if not scope.verified:
        return False
    parties = permit_parties(permit)
    return _registered_for(scope, parties) or _role_at_holder(scope, parties, None)


def can_pay(user, permit: Permit) -> bool:
    scope = contractor_scope(user)
    return scope.verified and _role_at_holder(scope, permit_parties(permit), Role.PAY)


def can_request_inspection(user, permit: Permit) -> bool:
    scope = contractor_scope(user)
    if not scope.verified:
        return False
    parties = permit_parties(permit)
    return _registered_for(scope, parties) or _role_at_holder(scope, parties, Role.INSPECTIONS)


def can_upload(user, permit: Permit) -> bool:
    scope = contractor_scope(user)
    return scope.verified and _role_at_holder(scope, permit_parties(permit), Role.UPLOAD)


def can_apply(user, permit: Permit) -> bool:
    scope = contractor_scope(user)
    return scope.verified and _role_at_holder(scope, permit_parties(permit), Role.APPLY)

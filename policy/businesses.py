"""Business rules (the user's membership of that business decides):

- `can_join_business` (by its PIN): any signed-in user; a membership gives nothing until the
  address is verified and a manager grants roles;
- `can_view_business` (be a member: its page, licenses and members): a member, with or without
  roles;
- `can_manage_business` (grant and revoke roles, remove members, regenerate the PIN, set the
  trust account's low-balance alert): Manage there;
- `can_see_pin`: as `can_manage_business`;
- `can_remove_member`: a manager removes anyone; a member removes only themselves (leaving). The
  last manager cannot go either way: that is the service's count, under the business's lock;
- `can_remove_license_link` ("Remove my license"): the link's own user;
- `can_use_trust_account` (see its ledger and pay from it): Pay there; and, for a payment, the
  business holds a license on every permit paid for (an account pays for its own permits);
- `can_deposit_to_trust_account` (put money in it online, by card or e-check): Manage there. A
  deposit is the business's money going to the city, so it is the managers' call (as the
  low-balance alert is); a manager may give nobody else this.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from licenses.models import Role
from licenses.scope import contractor_scope

from .facts import holders_of_all

if TYPE_CHECKING:
    from licenses.models import LicenseLink, Membership


def can_join_business(user) -> bool:
    return bool(user.is_authenticated)


def can_view_business(user, contractor_id: int) -> bool:
    # The scope holds every membership of a verified user, with roles or without.
    return contractor_id in contractor_scope(user).roles


def can_manage_business(user, contractor_id: int) -> bool:
    return contractor_scope(user).has_role(contractor_id, Role.MANAGE)


def can_see_pin(user, contractor_id: int) -> bool:
    # Whoever has the PIN can join the business: only those who decide who works there.
    return can_manage_business(user, contractor_id)


def can_remove_member(user, membership: Membership) -> bool:
    if membership.user_id == user.pk:
        return can_view_business(user, membership.contractor_id)
    return can_manage_business(user, membership.contractor_id)


def can_remove_license_link(user, link: LicenseLink) -> bool:
    return bool(user.is_authenticated and link.user_id == user.pk)


def trust_account_businesses(user, *, permit_ids: Iterable[int] | None = None) -> frozenset[int]:
    """The businesses whose trust account the user may use: Pay there. With `permit_ids` (a
    cart's permits), only those holding a license on every one of them; none for no permits."""
    businesses = contractor_scope(user).businesses_with(Role.PAY)
    if permit_ids is not None:
        businesses &= holders_of_all(permit_ids)
    return businesses


def can_use_trust_account(
    user, contractor_id: int, *, permit_ids: Iterable[int] | None = None
) -> bool:
    return contractor_id in trust_account_businesses(user, permit_ids=permit_ids)


def can_deposit_to_trust_account(user, contractor_id: int) -> bool:
    return can_manage_business(user, contractor_id)

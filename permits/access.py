"""The one place that answers "may this user do this with this permit?".

A user acts for a permit through the permit's license professional:
- as a registered contractor for one of its licenses (an approved license link and a verified
  email address), or
- as a member of a business that holds one of its licenses, with the roles the business's
  managers granted (Manage brings every role).

- view private details: registered for one of its licenses, any role at a holder, or named on
  the permit as a contact;
- pay fees: Pay (or Manage) at a holder;
- request or cancel inspections: registered for one of its licenses, or Inspections at a holder;
- upload files: Upload Files (or Manage) at a holder;
- add or remove contacts (apply): Apply (or Manage) at a holder.

Staff act in Django admin, not here. Views call these functions; none of them writes.
"""

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from django.db import connection
from django.db.models import BigIntegerField, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from core.pagination import Countable
from core.sql import typed_null
from licenses.access import ContractorScope, contractor_scope, register_scope_flag
from licenses.models import Role

from .models import LicensePermitCount, Permit, PermitContact, PermitLicense


@dataclass(frozen=True)
class PermitParties:
    """Which licenses, and which businesses through them, are the permit's license professional,
    and who is named on it as a contact."""

    license_ids: frozenset[int]
    holder_ids: frozenset[int]
    contact_user_ids: frozenset[int]


PARTIES_CACHE_ATTRIBUTE = "_portal_parties"


def prefetch_parties(permits: Iterable[Permit]) -> None:
    """Read the parties of many permits in one query, so that a page of permits can ask
    "may this user..." of each without a query per row."""
    permits = [permit for permit in permits if not hasattr(permit, PARTIES_CACHE_ATTRIBUTE)]
    if not permits:
        return
    ids = [permit.pk for permit in permits]
    licenses, holders, contacts = defaultdict(set), defaultdict(set), defaultdict(set)
    # The page's license professionals (with each license's holder), then its contacts.
    by_license = (
        PermitLicense.objects.filter(permit_id__in=ids)
        .order_by()
        .values_list("permit_id", "license_id", "license__holder_id", typed_null(BigIntegerField()))
    )
    as_contact = (
        PermitContact.objects.filter(permit_id__in=ids)
        .order_by()
        .values_list(
            "permit_id", typed_null(BigIntegerField()), typed_null(BigIntegerField()), "user_id"
        )
    )
    for permit_id, license_id, holder_id, user_id in by_license.union(as_contact, all=True):
        if user_id is None:
            licenses[permit_id].add(license_id)
            holders[permit_id].add(holder_id)
        else:
            contacts[permit_id].add(user_id)
    for permit in permits:
        parties = PermitParties(
            license_ids=frozenset(licenses[permit.pk]),
            holder_ids=frozenset(holders[permit.pk]),
            contact_user_ids=frozenset(contacts[permit.pk]),
        )
        setattr(permit, PARTIES_CACHE_ATTRIBUTE, parties)


def permit_parties(permit: Permit) -> PermitParties:
    prefetch_parties([permit])
    return getattr(permit, PARTIES_CACHE_ATTRIBUTE)


def forget_parties(permit: Permit) -> None:
    if hasattr(permit, PARTIES_CACHE_ATTRIBUTE):
        delattr(permit, PARTIES_CACHE_ATTRIBUTE)


def _registered_for(scope: ContractorScope, parties: PermitParties) -> bool:
    return bool(scope.license_ids & parties.license_ids)


def _role_at_holder(scope: ContractorScope, parties: PermitParties, role: str | None) -> bool:
    return bool(scope.businesses_with(role) & parties.holder_ids)


def can_view_private(user, permit: Permit) -> bool:
    scope = contractor_scope(user)
    if not scope.verified:
        return False
    parties = permit_parties(permit)
    return (
        _registered_for(scope, parties)
        or _role_at_holder(scope, parties, None)
        or user.pk in parties.contact_user_ids
    )


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


CONTACT_FLAG = "contact"


def register_contact_flag() -> None:
    """Read "named as a contact on some permit" with the user's scope, in the same query
    (PermitsConfig.ready)."""
    register_scope_flag(
        CONTACT_FLAG, "EXISTS (SELECT 1 FROM permits_permitcontact WHERE user_id = %s)"
    )


def record_license_ids(user) -> frozenset[int]:
    """Licenses whose permits are the user's records: those they are registered for, and every
    license of a business where they hold a role."""
    scope = contractor_scope(user)
    if not scope.verified:
        return frozenset()
    return scope.license_ids | scope.held_license_ids


def is_a_contact(user) -> bool:
    """Whether the user is named as a contact on any permit."""
    return CONTACT_FLAG in contractor_scope(user).flags


def permits_visible_to(user) -> QuerySet[Permit]:
    """The user's records ("My Records"): every permit whose private details they may see.
    Agrees with can_view_private permit by permit."""
    if not contractor_scope(user).verified:
        return Permit.objects.none()
    license_ids = record_license_ids(user)
    by_license = PermitLicense.objects.filter(license_id__in=license_ids).values("permit_id")
    as_contact = PermitContact.objects.filter(user=user).values("permit_id")
    if not is_a_contact(user):
        # One semi-join, not an OR of two: PostgreSQL can then count 50,000 records by index.
        return Permit.objects.filter(pk__in=by_license)
    return Permit.objects.filter(Q(pk__in=by_license) | Q(pk__in=as_contact))


def record_columns() -> tuple[str, str]:
    """Where PermitLicense finds its permit's status and applied date: its own copies on
    PostgreSQL (kept by triggers, indexed), the permit's columns elsewhere."""
    if connection.vendor == "postgresql":
        return "status", "applied_on"
    return "permit__status", "permit__applied_on"


def record_rows(user, statuses: Iterable[str] | None = None) -> QuerySet:
    """{"applied": ..., "permit_id": ...} of the user's records, newest first, one row per
    permit: the same set as permits_visible_to, read from PermitLicense's index (and the user's
    contact entries) without touching the permits, so that a contractor with 50,000 permits is
    counted and paged in milliseconds. `statuses` keeps only permits in those statuses."""
    if not contractor_scope(user).verified:
        return PermitLicense.objects.none().values("permit_id", applied=F("applied_on"))
    status_column, applied_column = record_columns()
    license_ids = record_license_ids(user)
    rows = PermitLicense.objects.filter(license_id__in=license_ids)
    contacts = PermitContact.objects.filter(user=user)
    if statuses is not None:
        rows = rows.filter(**{f"{status_column}__in": statuses})
        contacts = contacts.filter(permit__status__in=statuses)
    rows = rows.order_by().values("permit_id", applied=F(applied_column))
    if is_a_contact(user):
        contact_rows = contacts.order_by().values("permit_id", applied=F("permit__applied_on"))
        return rows.union(contact_rows).order_by("-applied", "-permit_id")
    if len(license_ids) > 1:
        # A permit can name two of the user's licenses; one license names a permit once.
        rows = rows.distinct()
    return rows.order_by("-applied", "-permit_id")


def record_countables(user, groups: dict[str, Collection[str]]) -> dict[str, Countable | int]:
    """What to count for how many of the user's records are in each group of statuses, e.g.
    {"active": [...], "expired": ["expired"]}: PermitLicense's rows where the user's records
    all come through licenses (count them with others in one query, `count_each`); counted
    one by one otherwise. (The dashboard reads PostgreSQL's per-license counts instead:
    portal.dashboard.)"""
    if not contractor_scope(user).verified:
        return dict.fromkeys(groups, 0)
    if is_a_contact(user):
        return {name: record_rows(user, statuses).count() for name, statuses in groups.items()}
    status_column, _ = record_columns()
    license_ids = record_license_ids(user)
    by_license = PermitLicense.objects.filter(license_id__in=license_ids)
    # A permit can name two of the user's licenses; one license names it once.
    distinct = "permit_id" if len(license_ids) > 1 else None
    return {
        name: Countable(by_license.filter(**{f"{status_column}__in": statuses}), distinct)
        for name, statuses in groups.items()
    }


def record_total(user) -> int | None:
    """How many records the user has, read from LicensePermitCount where that answers (on
    PostgreSQL, for a contractor whose records all come through one license): a few rows
    instead of counting 50,000. None where the rows must be counted."""
    if connection.vendor != "postgresql" or not contractor_scope(user).verified:
        return None
    license_ids = record_license_ids(user)
    if len(license_ids) != 1 or is_a_contact(user):
        return None
    counts = LicensePermitCount.objects.filter(license_id__in=license_ids)
    return counts.aggregate(total=Coalesce(Sum("permits"), 0))["total"]


def record_permit_ids(user) -> QuerySet:
    """The ids of the user's records, as a subquery on PermitLicense (and contact entries)
    that never reads the permits table."""
    if not contractor_scope(user).verified:
        return PermitLicense.objects.none().values("permit_id")
    by_license = PermitLicense.objects.filter(license_id__in=record_license_ids(user))
    if is_a_contact(user):
        contacts = PermitContact.objects.filter(user=user)
        return (
            by_license.order_by().values("permit_id").union(contacts.order_by().values("permit_id"))
        )
    return by_license.values("permit_id")


def has_records(user) -> bool:
    """Whether the user has anything to call "my records": the search page offers "Search my
    records only" to them."""
    scope = contractor_scope(user)
    if not scope.verified:
        return False
    if scope.license_ids or scope.businesses_with(None):
        return True
    return is_a_contact(user)

"""The policy: the one place that answers "may this user ...?". One function per question;
views, services and templates (`{% may %}`, permits.templatetags.policy) ask it, never derive
the answer themselves.

Everything a contractor may do needs a verified email address first. A user then acts for a
permit through the permit's license professional:
- as a registered contractor for one of its licenses (an approved license link), or
- as a member of a business that holds one of its licenses ("a holder"), with the roles the
  business's managers granted (Manage brings every role).

Permit rules (the permit's licenses and contacts decide):
- `can_view_private` (its private details, documents, inspection details): registered for
  one of its licenses, any role at a holder, or named on the permit as a contact;
- `can_pay` (its fees): Pay at a holder;
- `can_request_inspection`: the permit is issued, and the user is registered for one of its
  licenses or holds Inspections at a holder (whether fees must be paid first is the request
  service's own check, INSPECTION_REQUIRE_FEES_PAID);
- `can_cancel_inspection`: registered for one of the inspection's permit's licenses, or
  Inspections at a holder (the online cut-off is the inspections app's scheduling);
- `can_upload` (documents): Upload Files at a holder;
- `can_apply` (add or remove the permit's contacts): Apply at a holder.

Application rules (an online application, before it is a permit):
- `can_start_application`: Apply at a business holding an active license;
- `can_view_application`: its applicant (a draft is nobody else's; colleagues see the permit
  it becomes);
- `can_work_on_application` (change, submit, withdraw): its applicant, with Apply at its
  business, which holds an active license;
- `can_upload_to_application`: the same, with Upload Files there.
- `can_decide_review` (staff): start and decide a plan review: its reviewer, or staff with the
  "decide any review" permission;
- `can_reassign_review` (staff): give a review to another reviewer: staff with that permission.

Business rules (the user's membership of that business decides):
- `can_join_business` (by its PIN): any signed-in user; a membership gives nothing until the
  address is verified and a manager grants roles;
- `can_view_business` (be a member: its page, licenses and members, and leave it): a member,
  with or without roles;
- `can_manage_business` (grant and revoke roles, remove members, regenerate the PIN, set the
  trust account's low-balance alert): Manage there;
- `can_see_pin`: as `can_manage_business`;
- `can_use_trust_account` (see its ledger and pay from it): Pay there; and, for a payment, the
  business holds a license on every permit paid for (an account pays for its own permits).

Nobody else passes any rule: not anonymous visitors, not a user whose address is unverified,
not a pending or rejected license link, not a role at another business.

A license that is suspended, revoked or expired keeps its history visible (`can_view_private`)
and its fees payable (`can_pay`: what is owed is still owed), but acts on nothing: requesting
or cancelling inspections, uploading and the permit's contacts need the permit's license (the
one the user is registered for, or the one their business holds) to be active. Staff act in Django
admin, whose model permissions decide there; being staff passes no rule here (a staff member
who is also a contractor passes as that contractor).

`permits_visible_to` and the record_* reads below answer `can_view_private` for many permits at
once, and `trust_account_businesses` answers `can_use_trust_account` for every business; each
agrees with its rule (tests/permits/test_policy.py). None of these functions writes.
"""

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from django.db import connection
from django.db.models import F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from core.pagination import Countable
from core.sql import expand
from licenses.access import ContractorScope, contractor_scope, register_scope_flag
from licenses.models import LicenseStatus, Role

from .models import LicensePermitCount, Permit, PermitContact, PermitLicense, PermitStatus


@dataclass(frozen=True)
class PermitParties:
    """Which licenses are the permit's license professional, and who is named on it as a
    contact. (A license's holder and status are the user's scope's to know: licenses.access.)"""

    license_ids: frozenset[int]
    contact_user_ids: frozenset[int]


PARTIES_CACHE_ATTRIBUTE = "_portal_parties"


def prefetch_parties(permits: Iterable[Permit]) -> None:
    """Read the parties of many permits in one query, so that a page of permits can ask
    "may this user..." of each without a query per row."""
    permits = [permit for permit in permits if not hasattr(permit, PARTIES_CACHE_ATTRIBUTE)]
    if not permits:
        return
    licenses, contacts = defaultdict(set), defaultdict(set)
    for permit_id, license_id, user_id in party_rows([permit.pk for permit in permits]):
        if user_id is None:
            licenses[permit_id].add(license_id)
        else:
            contacts[permit_id].add(user_id)
    for permit in permits:
        parties = PermitParties(
            license_ids=frozenset(licenses[permit.pk]),
            contact_user_ids=frozenset(contacts[permit.pk]),
        )
        setattr(permit, PARTIES_CACHE_ATTRIBUTE, parties)


# The parties of a page of permits: every contractor page asks the policy of each of its rows.
# The ORM took about 3 ms to build this UNION, longer than PostgreSQL took to answer it
# (docs/performance.md); tests/permits/test_policy.py holds it to `party_rows_by_orm`.
PARTY_ROWS_SQL = """
SELECT permit_id, license_id, CAST(NULL AS bigint) FROM permits_permitlicense
 WHERE permit_id IN %s
UNION ALL
SELECT permit_id, CAST(NULL AS bigint), user_id FROM permits_permitcontact
 WHERE permit_id IN %s
"""


def party_rows(permit_ids: list[int]) -> list[tuple[int, int | None, int | None]]:
    """(permit id, license id, None) for each license professional of the permits, and
    (permit id, None, user id) for each user named on them as a contact."""
    if not permit_ids:
        return []
    with connection.cursor() as cursor:
        cursor.execute(*expand(PARTY_ROWS_SQL, [permit_ids, permit_ids]))
        return cursor.fetchall()


def prefetch_for_rules(user, permits: Iterable[Permit]) -> None:
    """Before a page of permits asks the rules of each row (`{% may %}`): read their parties
    in one query. Nothing to read when no permit rule can pass for this user."""
    if contractor_scope(user).verified:
        prefetch_parties(permits)


def permit_parties(permit: Permit) -> PermitParties:
    prefetch_parties([permit])
    return getattr(permit, PARTIES_CACHE_ATTRIBUTE)


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


# Permit rules ---------------------------------------------------------------------------------


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
    return permit.status == PermitStatus.ISSUED and _acts_on_inspections(user, permit)


def can_cancel_inspection(user, inspection) -> bool:
    """`inspection` is an inspections.Inspection (this layer reads only its permit)."""
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


def payable_license_ids(user) -> frozenset[int]:
    """The licenses whose permits' fees the user may pay (`can_pay` for every permit naming one
    of them): those of the businesses where they hold Pay. "Pay All Fees Due" reads this."""
    scope = contractor_scope(user)
    if not scope.verified:
        return frozenset()
    return scope.licenses_held_with(Role.PAY)


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


# Application rules (an application is an applications.Application; this layer reads only its
# applicant, business and status) ---------------------------------------------------------------


def application_businesses(user) -> dict[int, frozenset[int]]:
    """The businesses the user may apply for (Apply there), each with its active licenses: the
    license professionals an application may name."""
    scope = contractor_scope(user)
    if not scope.verified:
        return {}
    return {
        contractor_id: scope.active(scope.held_by.get(contractor_id, frozenset()))
        for contractor_id in scope.businesses_with(Role.APPLY)
    }


def can_start_application(user) -> bool:
    """Apply at a business that holds an active license."""
    return any(application_businesses(user).values())


def can_view_application(user, application) -> bool:
    """An application (a draft above all) is its applicant's own; colleagues see the permit it
    became, through the permit rules."""
    return bool(
        contractor_scope(user).verified
        and application.applicant_id is not None
        and application.applicant_id == user.pk
    )


def can_work_on_application(user, application) -> bool:
    """Change, submit, withdraw or copy it: its applicant, while they hold Apply at its
    business (any business where they hold Apply, before one is chosen)."""
    if not can_view_application(user, application):
        return False
    if application.business_id is None:
        return can_start_application(user)
    return bool(application_businesses(user).get(application.business_id))


def can_upload_to_application(user, application) -> bool:
    """Its documents: as `can_work_on_application`, with Upload Files at its business."""
    if not can_work_on_application(user, application) or application.business_id is None:
        return False
    return contractor_scope(user).has_role(application.business_id, Role.UPLOAD)


def can_reassign_review(user, review) -> bool:
    """Give a plan review to another reviewer: supervisors (staff allowed to decide any
    review), never a reviewer for themselves or a colleague."""
    return bool(user.is_active and user.is_staff and user.has_perm("reviews.decide_any_review"))


def can_decide_review(user, review) -> bool:
    """Start and decide a plan review: its reviewer (staff), or staff allowed to decide any
    review (a supervisor covering an absence)."""
    if not (user.is_active and user.is_staff):
        return False
    return review.reviewer_id == user.pk or user.has_perm("reviews.decide_any_review")


# Business rules -------------------------------------------------------------------------------


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


def trust_account_businesses(user, *, permit_ids: Iterable[int] | None = None) -> frozenset[int]:
    """The businesses whose trust account the user may use: Pay there. With `permit_ids` (a
    cart's permits), only those holding a license on every one of them; none for no permits."""
    businesses = contractor_scope(user).businesses_with(Role.PAY)
    if permit_ids is not None:
        businesses &= _holders_of_all(permit_ids)
    return businesses


def can_use_trust_account(
    user, contractor_id: int, *, permit_ids: Iterable[int] | None = None
) -> bool:
    return contractor_id in trust_account_businesses(user, permit_ids=permit_ids)


def _holders_of_all(permit_ids: Iterable[int]) -> frozenset[int]:
    """The businesses holding a license on every one of these permits (one query)."""
    holders: dict[int, set[int]] = {permit_id: set() for permit_id in permit_ids}
    if not holders:
        return frozenset()
    rows = PermitLicense.objects.filter(permit_id__in=list(holders)).values_list(
        "permit_id", "license__holder_id"
    )
    for permit_id, holder_id in rows:
        holders[permit_id].add(holder_id)
    return frozenset(set.intersection(*holders.values()))


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

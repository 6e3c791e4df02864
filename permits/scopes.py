"""Query scopes of the permits: reads that answer a policy rule for many permits at once, and the
facts the policy reads of a permit (its parties).

- `prefetch_parties` / `prefetch_for_rules`: the parties of a page of permits in one query, so
  that `{% may %}` on each row costs nothing more; provided to the policy at start-up
  (PermitsConfig.ready, policy.facts);
- `holders_of_all`: the businesses holding a license on every one of some permits (the trust
  account rule's fact);
- `permits_visible_to` and the `record_*` reads: the user's records ("My Records"), the permits
  whose private details they may see; each agrees with `policy.permits.can_view_private`
  permit by permit (tests/policy/test_rules.py).

None of these functions writes, and none decides a rule: the policy package does.
"""

from collections import defaultdict
from collections.abc import Collection, Iterable

from django.db import connection
from django.db.models import F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from core.pagination import Countable
from core.sql import expand
from licenses.scope import contractor_scope, register_scope_flag
from policy.facts import PARTIES_CACHE_ATTRIBUTE, PermitParties, provide_permit_facts

from .models import LicensePermitCount, Permit, PermitContact, PermitLicense


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
# (docs/performance.md); tests/policy/test_rules.py holds it to `party_rows_by_orm`.
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


def holders_of_all(permit_ids: Iterable[int]) -> frozenset[int]:
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


def provide_facts_to_policy() -> None:
    """PermitsConfig.ready: the policy reads a permit's parties and its holders from here."""
    provide_permit_facts(prefetch_parties=prefetch_parties, holders_of_all=holders_of_all)

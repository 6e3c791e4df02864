"""A user's records, as each page reads them, are exactly the permits whose private details
the policy lets them see (`can_view_private`): My Records, the dashboard's four lists with
their totals, and whether the search offers "Search my records only". Those pages read the
records in bulk (permits.scopes: record_rows, record_countables, record_permit_ids,
has_records) from PermitLicense and the user's contact entries; here each kind of user is held
to the rule, permit by permit, newest first.

The world: business "Holder" holds licenses L1 and L2, business "Other" holds M.

  permit       licenses  status       applied      inspections
  shared       L1, L2    issued       5 days ago   one scheduled
  newest       L1        in review    1 day ago    one completed 3 days ago
  tied         L2        expired      5 days ago
  old          L1        expired      9 days ago
  finaled      L1        finaled      2 days ago
  named        M         issued       3 days ago   one scheduled, one completed yesterday
  named-old    M         expired      5 days ago
  theirs       M         issued       4 days ago   one scheduled (nobody's here)

A contact is named on "named" and "named-old"; the licensed contact on those two and on
"shared" (which their license names too). Each permit is made in the order above, so that an
id's order is not the applied date's, and three permits share an applied date.

Unmarked tests run on SQLite and, in CI, on PostgreSQL, where the same pages read
PostgreSQL's per-license copies and counts instead (record_columns, record_total,
portal.dashboard): the answers must not change.
"""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from inspections.models import Inspection, InspectionStatus
from licenses import scope as scope_access
from licenses.scope import contractor_scope
from permits import scopes
from permits.models import ACTIVE_STATUSES, Permit, PermitContact, PermitStatus
from policy import permits as permit_rules
from portal.dashboard import PERMIT_LISTS
from tests.factories import (
    ContractorFactory,
    InspectionFactory,
    LicenseFactory,
    LicenseLinkFactory,
    MembershipFactory,
    PermitFactory,
    UserFactory,
    verify_email,
)

pytestmark = pytest.mark.django_db

MY_RECORDS = reverse("permits:my_records")
DASHBOARD = reverse("dashboard")
SEARCH = reverse("permits:search")
OFFER = "Search my records only"

PERMITS = [
    # name, licenses, status, applied days ago
    ("shared", ("L1", "L2"), PermitStatus.ISSUED, 5),
    ("newest", ("L1",), PermitStatus.IN_REVIEW, 1),
    ("tied", ("L2",), PermitStatus.EXPIRED, 5),
    ("old", ("L1",), PermitStatus.EXPIRED, 9),
    ("finaled", ("L1",), PermitStatus.FINALED, 2),
    ("named", ("M",), PermitStatus.ISSUED, 3),
    ("named-old", ("M",), PermitStatus.EXPIRED, 5),
    ("theirs", ("M",), PermitStatus.ISSUED, 4),
]

# Each kind of user: the permits that are their records (as the table in
# tests/policy/test_rules.py reads the rule), and whether the search offers "my records".
L1_PERMITS = {"shared", "newest", "old", "finaled"}
HOLDER_PERMITS = L1_PERMITS | {"tied"}
EXPECTED: dict[str, tuple[set[str], bool]] = {
    "unverified": (set(), False),
    "stranger": (set(), False),
    "pending": (set(), False),
    "no-roles": (set(), False),
    "registered-L1": (L1_PERMITS, True),
    "registered-L1-L2": (HOLDER_PERMITS, True),
    "Pay-at-Holder": (HOLDER_PERMITS, True),
    "contact": ({"named", "named-old"}, True),
    "registered-L2-contact": ({"shared", "tied", "named", "named-old"}, True),
}


class World:
    def __init__(self):
        today = timezone.localdate()
        self.holder = ContractorFactory(business_name="Holder")
        self.other = ContractorFactory(business_name="Other")
        self.licenses = {
            "L1": LicenseFactory(holder=self.holder),
            "L2": LicenseFactory(holder=self.holder),
            "M": LicenseFactory(holder=self.other),
        }
        self.permits: dict[str, Permit] = {}
        for name, licenses, status, days in PERMITS:
            self.permits[name] = PermitFactory(
                status=status,
                applied_on=today - datetime.timedelta(days=days),
                licenses=[self.licenses[license] for license in licenses],
            )
        self.names = {permit.pk: name for name, permit in self.permits.items()}
        for name in ("shared", "named", "theirs"):
            InspectionFactory(permit=self.permits[name])  # scheduled, in two days
        for name, days in (("newest", 3), ("named", 1)):
            InspectionFactory(
                permit=self.permits[name],
                status=InspectionStatus.COMPLETED,
                completed_on=today - datetime.timedelta(days=days),
            )

    def name(self, contact, *permits: str) -> None:
        for permit in permits:
            PermitContact.objects.create(
                permit=self.permits[permit], user=contact, contact_type="owner"
            )


def verified_user():
    user = UserFactory()
    verify_email(user)
    return user


def approve(user, license) -> None:
    LicenseLinkFactory(user=user, license=license, status="approved", decided_at=timezone.now())


def make_user(kind: str, world: World):
    licenses = world.licenses
    if kind == "unverified":
        user = UserFactory()
        verify_email(user, verified=False)
        approve(user, licenses["L1"])
        MembershipFactory(user=user, contractor=world.holder, can_manage=True)
        world.name(user, "named")
        return user
    user = verified_user()
    if kind == "pending":
        LicenseLinkFactory(user=user, license=licenses["L1"])
    elif kind == "no-roles":
        MembershipFactory(user=user, contractor=world.holder)
    elif kind == "registered-L1":
        approve(user, licenses["L1"])
    elif kind == "registered-L1-L2":
        approve(user, licenses["L1"])
        approve(user, licenses["L2"])
    elif kind == "Pay-at-Holder":
        MembershipFactory(user=user, contractor=world.holder, can_pay=True)
    elif kind == "contact":
        world.name(user, "named", "named-old")
    elif kind == "registered-L2-contact":
        approve(user, licenses["L2"])
        world.name(user, "named", "named-old", "shared")
    return user


def fresh(user):
    return type(user).objects.get(pk=user.pk)


def newest_first(permits) -> list[Permit]:
    return sorted(permits, key=lambda permit: (permit.applied_on, permit.pk), reverse=True)


@pytest.fixture
def world(settings):
    settings.MY_RECORDS_PAGE_SIZE = settings.DASHBOARD_PAGE_SIZE = 50
    return World()


@pytest.mark.parametrize("kind", list(EXPECTED))
def test_the_rule_sees_each_kinds_records(world, kind):
    """The oracle of the tests below, read from the rule itself: which permits the kind of
    user may see the private details of."""
    user = make_user(kind, world)
    visible = {
        name
        for name, permit in world.permits.items()
        if permit_rules.can_view_private(fresh(user), permit)
    }
    assert visible == EXPECTED[kind][0]


def records_by_rule(user, world: World) -> list[Permit]:
    return newest_first(
        permit
        for permit in world.permits.values()
        if permit_rules.can_view_private(fresh(user), permit)
    )


@pytest.mark.parametrize("kind", list(EXPECTED))
def test_my_records_lists_exactly_what_the_rule_lets_them_see_newest_first(client, world, kind):
    user = make_user(kind, world)
    expected = records_by_rule(user, world)
    client.force_login(user)
    response = client.get(MY_RECORDS)
    page = response.context["page"]
    assert [world.names[permit.pk] for permit in page.object_list] == [
        world.names[permit.pk] for permit in expected
    ]
    count = len(expected)
    assert page.paginator.count == count
    assert f"{count} record{'' if count == 1 else 's'}" in response.text


@pytest.mark.parametrize("kind", list(EXPECTED))
def test_the_dashboards_lists_and_totals_are_the_rules_records(client, world, kind):
    user = make_user(kind, world)
    mine = records_by_rule(user, world)
    today = timezone.localdate()
    inspections = Inspection.objects.filter(permit__in=mine)
    want = {
        "active": [p.pk for p in mine if p.status in ACTIVE_STATUSES],
        "expired": [p.pk for p in mine if p.status == PermitStatus.EXPIRED],
        "inspections": list(
            inspections.filter(status=InspectionStatus.SCHEDULED, scheduled_for__gte=today)
            .order_by("scheduled_for", "id")
            .values_list("pk", flat=True)
        ),
        "completed": list(
            inspections.filter(status=InspectionStatus.COMPLETED)
            .order_by("-completed_on", "-id")
            .values_list("pk", flat=True)
        ),
    }
    client.force_login(user)
    context = client.get(DASHBOARD).context
    for name, ids in want.items():
        assert context[name].paginator.count == len(ids), name
        assert [row.pk for row in context[name].object_list] == ids, name


@pytest.mark.parametrize("kind", list(EXPECTED))
def test_the_search_offers_my_records_to_whoever_has_them(client, world, kind):
    user = make_user(kind, world)
    client.force_login(user)
    assert (OFFER in client.get(SEARCH).text) is EXPECTED[kind][1]


@pytest.mark.parametrize("url", [MY_RECORDS, DASHBOARD])
def test_a_page_of_records_asks_the_rules_of_its_rows_without_a_query_each(
    client, django_assert_max_num_queries, url
):
    """Each row asks the policy (is it mine, may I pay it): the page reads its rows' parties
    once (prefetch_for_rules), so 12 records take the queries 1 does."""
    license = LicenseFactory()
    user = verified_user()
    approve(user, license)
    MembershipFactory(user=user, contractor=license.holder, can_pay=True)
    client.force_login(user)

    def queries() -> int:
        client.get(url)  # warm: what the page keeps in the cache
        with django_assert_max_num_queries(40) as captured:
            assert client.get(url).status_code == 200
        return len(captured.captured_queries)

    PermitFactory(licenses=[license])
    one = queries()
    for _ in range(11):
        PermitFactory(licenses=[license])
    assert queries() == one


def test_a_registered_contractor_without_permits_yet_is_offered_my_records(client):
    """ "My records" are the license's permits, the ones to come included."""
    user = verified_user()
    approve(user, LicenseFactory())
    client.force_login(user)
    assert OFFER in client.get(SEARCH).text
    assert "0 records" in client.get(MY_RECORDS).text


def test_an_unverified_users_records_count_zero_in_each_group(world):
    """Nothing to count until the address is verified: zeros, whatever the links and the
    contact entries say."""
    user = make_user("unverified", world)
    assert scopes.record_countables(fresh(user), PERMIT_LISTS) == {"active": 0, "expired": 0}
    assert not scopes.record_rows(fresh(user)).exists()
    assert not scopes.record_permit_ids(fresh(user)).exists()


def test_a_permit_named_by_two_of_the_users_licenses_counts_once(world):
    user = make_user("registered-L1-L2", world)
    rows = list(scopes.record_rows(fresh(user), ACTIVE_STATUSES))
    assert [row["permit_id"] for row in rows] == [
        world.permits[name].pk for name in ("newest", "shared")
    ]
    assert [row["applied"] for row in rows] == [
        world.permits[name].applied_on for name in ("newest", "shared")
    ]


def test_the_permits_app_reads_whether_a_user_is_named_as_a_contact(world, monkeypatch):
    """permits registers the "contact" fact with the contractor scope (PermitsConfig.ready):
    the scope's one query then tells a contact from everyone else."""
    monkeypatch.setattr(scope_access, "SCOPE_FLAGS", {})
    contact, nobody = make_user("contact", world), verified_user()
    assert scopes.CONTACT_FLAG not in contractor_scope(fresh(contact)).flags

    scopes.register_contact_flag()

    assert contractor_scope(fresh(contact)).flags == {scopes.CONTACT_FLAG}
    assert scopes.is_a_contact(fresh(contact))
    assert contractor_scope(fresh(nobody)).flags == frozenset()
    assert not scopes.is_a_contact(fresh(nobody))


@pytest.mark.postgres
def test_a_one_license_contractors_total_is_zero_before_their_first_permit(client):
    """On PostgreSQL a one-license contractor's total is read from the per-license counts
    (record_total): a license no permit names yet has no count rows, and the total is 0."""
    license = LicenseFactory()
    PermitFactory(licenses=[LicenseFactory()])  # someone else's
    user = verified_user()
    approve(user, license)
    assert scopes.record_total(fresh(user)) == 0
    client.force_login(user)
    assert client.get(MY_RECORDS).context["page"].paginator.count == 0
    PermitFactory(licenses=[license], status=PermitStatus.EXPIRED)
    assert scopes.record_total(fresh(user)) == 1


@pytest.mark.postgres
def test_on_postgresql_a_contractors_records_are_read_without_the_permits_table(world):
    """PermitLicense keeps copies of its permit's status and applied date on PostgreSQL (kept
    by triggers, indexed): a contractor's records are listed, filtered and counted from it
    alone, never joining 50,000 permits (record_columns)."""
    user = make_user("registered-L1-L2", world)
    for statuses in (None, ACTIVE_STATUSES):
        rows = scopes.record_rows(fresh(user), statuses)
        assert '"permits_permit"' not in str(rows.query), statuses
    for name, countable in scopes.record_countables(fresh(user), PERMIT_LISTS).items():
        assert '"permits_permit"' not in str(countable.queryset.query), name
    # The copies answer as the permits do.
    assert [row["permit_id"] for row in scopes.record_rows(fresh(user))] == [
        permit.pk for permit in records_by_rule(user, world)
    ]


@pytest.mark.postgres
def test_only_a_one_license_contractor_without_contact_entries_is_counted_per_license(world):
    """Two licenses (a permit can name both) or a contact entry: the rows are counted."""
    assert scopes.record_total(fresh(make_user("registered-L1", world))) == 4
    for kind in ("registered-L1-L2", "Pay-at-Holder", "registered-L2-contact", "contact"):
        assert scopes.record_total(fresh(make_user(kind, world))) is None, kind
    for kind in ("unverified", "stranger"):
        assert scopes.record_total(make_user(kind, world)) is None, kind

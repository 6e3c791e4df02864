"""The dashboard's two ways of reading its lists (portal.dashboard) give the same answers as
the plain definition of a user's records, page by page."""

import datetime

import pytest
from django.contrib.messages.storage.cookie import CookieStorage
from django.utils import timezone

from inspections.models import Inspection, InspectionStatus
from permits.models import ACTIVE_STATUSES, Collection, Permit, PermitContact, PermitStatus
from permits.scopes import permits_visible_to
from portal.actions import ACTION_ROWS, choose_rows
from portal.dashboard import PAGE_PARAMS, read_dashboard, reads_by_license
from tests.factories import (
    InspectionFactory,
    LicenseFactory,
    MembershipFactory,
    PermitFactory,
    contractor_user,
    set_status,
)

from .action_permits import ActionPermits, acting_business, days_ago, expected_actions

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

SIZE = 3


def expected(user) -> dict[str, list[int]]:
    """Each list by the definition: the user's records, filtered and ordered by the ORM."""
    mine = permits_visible_to(user)
    today = timezone.localdate()
    permits = Permit.objects.filter(pk__in=mine).order_by("-applied_on", "-id")
    inspections = Inspection.objects.filter(permit__in=mine)
    return {
        "active": list(permits.filter(status__in=ACTIVE_STATUSES).values_list("pk", flat=True)),
        "expired": list(permits.filter(status=PermitStatus.EXPIRED).values_list("pk", flat=True)),
        "upcoming": list(
            inspections.filter(status=InspectionStatus.SCHEDULED, scheduled_for__gte=today)
            .order_by("scheduled_for", "id")
            .values_list("pk", flat=True)
        ),
        "completed": list(
            inspections.filter(
                status=InspectionStatus.COMPLETED,
                completed_on__gte=today - datetime.timedelta(days=30),
            )
            .order_by("-completed_on", "-id")
            .values_list("pk", flat=True)
        ),
    }


def assert_both_ways_agree(rf, user):
    want = expected(user)
    assert all(want.values()), "every list should have rows for this test to mean anything"
    pages = max(len(ids) for ids in want.values()) // SIZE + 1
    for by_license in (True, False):
        for number in range(1, pages + 1):
            request = rf.get("/dashboard/", dict.fromkeys(PAGE_PARAMS.values(), number))
            request._messages = CookieStorage(request)  # "there is no page N" for short lists
            fresh = type(user).objects.get(pk=user.pk)
            lists = read_dashboard(request, fresh, by_license=by_license)
            for name, ids in want.items():
                page = getattr(lists, name)
                last = (len(ids) - 1) // SIZE + 1
                shown = min(number, last)
                assert page.paginator.count == len(ids), (by_license, name)
                assert [obj.pk for obj in page.object_list] == ids[
                    (shown - 1) * SIZE : shown * SIZE
                ], (by_license, name, number)
            assert lists.collection_count == 1 and lists.cart_count == 0


@pytest.fixture
def city(settings):
    settings.DASHBOARD_PAGE_SIZE = SIZE
    today = timezone.localdate()
    linked, held, other = LicenseFactory(), LicenseFactory(), LicenseFactory()
    ago = [today - datetime.timedelta(days=days) for days in (1, 5, 5, 5, 9, 20, 40, 90)]
    active = [PermitFactory(licenses=[linked], applied_on=day) for day in ago]
    set_status(active[1], PermitStatus.IN_REVIEW)
    # Permits naming two of the user's licenses appear once in every list.
    both = [PermitFactory(licenses=[linked, held], applied_on=ago[2]) for _ in range(2)]
    expired = [
        PermitFactory(licenses=[license], status=PermitStatus.EXPIRED, applied_on=day)
        for license, day in zip([linked, linked, held, held, linked], ago, strict=False)
    ]
    PermitFactory(licenses=[linked], status=PermitStatus.FINALED)
    strangers = PermitFactory(licenses=[other])
    for days, permit in enumerate([*active[:4], *both, both[0], strangers]):
        InspectionFactory(permit=permit, scheduled_for=today + datetime.timedelta(days=days % 3))
    for days, permit in enumerate([*active[4:], *both, expired[0], strangers]):
        InspectionFactory(
            permit=permit,
            status=InspectionStatus.COMPLETED,
            result="passed",
            completed_on=today - datetime.timedelta(days=days % 4),
        )
    InspectionFactory(
        permit=active[0],
        status=InspectionStatus.COMPLETED,
        completed_on=today - datetime.timedelta(days=45),
    )
    InspectionFactory(permit=active[0], status=InspectionStatus.CANCELLED)
    return linked, held


def test_a_contractor_with_one_license(rf, city):
    linked, _ = city
    user = contractor_user(linked)
    Collection.objects.create(owner=user, name="Mine")
    assert reads_by_license(user)
    assert_both_ways_agree(rf, user)


def test_a_contractor_with_a_license_and_a_business_holding_another(rf, city):
    linked, held = city
    user = contractor_user(linked)
    MembershipFactory(user=user, contractor=held.holder, can_pay=True)
    Collection.objects.create(owner=user, name="Mine")
    assert reads_by_license(user)
    assert_both_ways_agree(rf, user)


# "Needs your action" (portal.actions): each kind's total and the rows the section shows.


@pytest.fixture
def acting(settings):
    settings.DASHBOARD_PAGE_SIZE = SIZE
    return acting_business()


@pytest.mark.parametrize("who", ["manager", "colleague", "payer", "registered"])
def test_needs_your_action_reads_the_same_both_ways(rf, acting, who):
    user = acting[who]
    want = expected_actions(user)
    if who == "manager":
        assert all(want.values()), "every kind should have rows for this test to mean anything"
        assert len(want["ready"]) > ACTION_ROWS
    chosen = choose_rows(want)
    assert reads_by_license(user)
    for by_license in (True, False):
        request = rf.get("/dashboard/")
        lists = read_dashboard(request, type(user).objects.get(pk=user.pk), by_license=by_license)
        for name, ids in want.items():
            page = lists.actions[name]
            assert page.paginator.count == len(ids), (by_license, name)
            assert [permit.pk for permit in page.object_list] == chosen[name], (by_license, name)


def test_a_ready_to_issue_permit_on_a_later_page_is_at_the_top(client, settings):
    """The newcomer's case: one permit Ready to Issue among many newer ones, on page 5 of My
    Active Permits, is the first row of "Needs your action", on both ways of reading."""
    settings.DASHBOARD_PAGE_SIZE = SIZE
    license = LicenseFactory()
    user = contractor_user(license, can_manage=True)
    waiting = ActionPermits(license).ready(days=400)
    for days in range(SIZE * 4 + 1):
        PermitFactory(licenses=[license], applied_on=days_ago(days))
    client.force_login(user)
    for as_contact in (False, True):
        if as_contact:  # a contact on someone else's permit reads through the ORM
            PermitContact.objects.create(permit=PermitFactory(), user=user, contact_type="owner")
        assert reads_by_license(type(user).objects.get(pk=user.pk)) is not as_contact
        response = client.get("/dashboard/")
        assert waiting not in response.context["active"].object_list
        assert response.context["active"].paginator.num_pages == 5
        section = response.context["actions"]
        assert [row.permit.pk for row in section.rows] == [waiting.pk]
        text = response.text
        assert text.index('id="action-heading"') < text.index('id="active-heading"')
        assert text.index(waiting.number) < text.index('id="active-heading"')
        assert f'Pay Fees Due<span class="visually-hidden"> on {waiting.number}' in text

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError

from permits.exceptions import InvalidPermitStatusMove
from permits.models import Permit, PermitStatus
from permits.selectors import fee_totals, with_fees_due
from tests.factories import FeeFactory, PermitFactory, UserFactory, moves

pytestmark = pytest.mark.django_db


def test_every_allowed_move_is_recorded_with_who_and_when():
    clerk = UserFactory(username="clerk", is_staff=True)
    permit = PermitFactory(status=PermitStatus.SUBMITTED)
    path = [
        PermitStatus.IN_REVIEW,
        PermitStatus.PENDING_APPROVAL,
        PermitStatus.READY_TO_ISSUE,
        PermitStatus.ISSUED,
        PermitStatus.FINALED,
    ]
    for status in path:
        permit.move_to(status, by=clerk, note="step")
    permit.refresh_from_db()
    assert permit.status == PermitStatus.FINALED
    history = moves(permit)
    assert [change.to_status for change in history] == path
    assert history[0].from_status == PermitStatus.SUBMITTED
    assert all(change.changed_by == clerk and change.changed_at for change in history)


def test_issuing_sets_the_issued_date_and_finaling_the_finaled_date():
    permit = PermitFactory(status=PermitStatus.READY_TO_ISSUE, issued_on=None)
    day = datetime.date(2025, 3, 4)
    permit.move_to(PermitStatus.ISSUED, on=day)
    assert permit.issued_on == day
    permit.move_to(PermitStatus.FINALED, on=day + datetime.timedelta(days=9))
    permit.refresh_from_db()
    assert permit.finaled_on == datetime.date(2025, 3, 13)


@pytest.mark.parametrize(
    ("start", "target"),
    [
        (PermitStatus.SUBMITTED, PermitStatus.ISSUED),
        (PermitStatus.IN_REVIEW, PermitStatus.FINALED),
        (PermitStatus.FINALED, PermitStatus.ISSUED),
        (PermitStatus.CANCELLED, PermitStatus.SUBMITTED),
        (PermitStatus.EXPIRED, PermitStatus.FINALED),
        (PermitStatus.READY_TO_ISSUE, PermitStatus.EXPIRED),
    ],
)
def test_a_move_the_department_does_not_make_is_refused_and_changes_nothing(start, target):
    permit = PermitFactory(status=start)
    with pytest.raises(InvalidPermitStatusMove, match="cannot become"):
        permit.move_to(target)
    permit.refresh_from_db()
    assert permit.status == start
    assert not moves(permit)


def test_the_moves_table_covers_every_status():
    assert set(Permit.ALLOWED_MOVES) == set(PermitStatus.values)
    for targets in Permit.ALLOWED_MOVES.values():
        assert targets <= set(PermitStatus.values)


def test_permit_numbers_are_unique_and_upper_case():
    PermitFactory(number="RES24-0150")
    with pytest.raises(IntegrityError):
        PermitFactory(number="RES24-0150")


def test_a_lower_case_permit_number_is_refused_by_the_database():
    with pytest.raises(IntegrityError):
        PermitFactory(number="res24-0151")


def test_fees_due_is_the_sum_of_due_fees_only():
    permit = PermitFactory()
    FeeFactory(permit=permit, amount=Decimal("100.10"))
    FeeFactory(permit=permit, amount=Decimal("0.20"))
    FeeFactory(permit=permit, amount=Decimal("999.00"), status="paid")
    FeeFactory(permit=permit, amount=Decimal("50.00"), status="waived")
    annotated = with_fees_due(Permit.objects.filter(pk=permit.pk)).get()
    assert annotated.fees_due == Decimal("100.30")
    totals = fee_totals(permit.fees.all())
    assert totals.due == Decimal("100.30")
    assert totals.paid == Decimal("999.00")
    assert totals.assessed == Decimal("1149.30")


def test_a_permit_without_fees_has_zero_due_not_none():
    permit = PermitFactory()
    assert with_fees_due(Permit.objects.filter(pk=permit.pk)).get().fees_due == Decimal("0.00")


def test_a_negative_fee_is_refused_by_the_database():
    with pytest.raises(IntegrityError):
        FeeFactory(amount=Decimal("-1.00"))


def test_address_search_column_is_kept_by_the_database():
    permit = PermitFactory(street_number="12", street_name="Elm Ave", unit="3B", zip_code="62704")
    permit.refresh_from_db()
    assert permit.address_search == "12 ELM AVE 3B"
    permit.street_name = "Maple Ave"
    permit.save()
    permit.refresh_from_db()
    assert "MAPLE AVE" in permit.address_search
    assert permit.address == "12 Maple Ave, Unit 3B"


@pytest.mark.postgres
def test_the_records_copies_follow_the_permit_on_postgresql():
    """PermitLicense keeps copies of its permit's status and applied date (for counting a
    contractor's records by index); database triggers keep them right whatever writes."""
    from permits.models import PermitLicense
    from tests.factories import LicenseFactory

    permit = PermitFactory(
        status=PermitStatus.IN_REVIEW,
        applied_on=datetime.date(2025, 2, 3),
        licenses=[LicenseFactory()],
    )
    link = PermitLicense.objects.get(permit=permit)
    assert (link.status, link.applied_on) == (PermitStatus.IN_REVIEW, datetime.date(2025, 2, 3))
    permit.move_to(PermitStatus.PENDING_APPROVAL)
    Permit.objects.filter(pk=permit.pk).update(applied_on=datetime.date(2025, 3, 4))
    link.refresh_from_db()
    assert (link.status, link.applied_on) == (
        PermitStatus.PENDING_APPROVAL,
        datetime.date(2025, 3, 4),
    )


@pytest.mark.postgres
def test_the_permit_counts_per_license_follow_every_write_on_postgresql():
    """LicensePermitCount (the dashboard's totals) moves with every insert, status change,
    license change and delete, whatever makes it."""
    from permits.models import LicensePermitCount, PermitLicense
    from tests.factories import LicenseFactory

    first, second = LicenseFactory(), LicenseFactory()

    def counts(license) -> dict[str, int]:
        return {
            row.status: row.permits
            for row in LicensePermitCount.objects.filter(license=license)
            if row.permits
        }

    permits = [PermitFactory(status=PermitStatus.ISSUED, licenses=[first]) for _ in range(3)]
    PermitFactory(status=PermitStatus.EXPIRED, licenses=[first, second])
    assert counts(first) == {PermitStatus.ISSUED: 3, PermitStatus.EXPIRED: 1}
    permits[0].move_to(PermitStatus.FINALED)
    Permit.objects.filter(pk=permits[1].pk).update(status=PermitStatus.EXPIRED)
    assert counts(first) == {
        PermitStatus.ISSUED: 1,
        PermitStatus.FINALED: 1,
        PermitStatus.EXPIRED: 2,
    }
    PermitLicense.objects.filter(permit=permits[2]).update(license=second)
    permits[1].delete()
    assert counts(first) == {PermitStatus.FINALED: 1, PermitStatus.EXPIRED: 1}
    assert counts(second) == {PermitStatus.ISSUED: 1, PermitStatus.EXPIRED: 1}

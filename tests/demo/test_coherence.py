"""The demo city tells a story a building department could have lived: every date is on the right
side of the day it is seeded, and of the other dates it depends on; the people named on a permit
are who they say they are. Each check returns what it found wrong, so a failure names the permit."""

import datetime

import pytest
from django.db.models import Max
from django.utils import timezone

from demo.seed import seed_demo_city
from inspections.models import Holiday, Inspection, InspectionStatus
from inspections.scheduling import is_business_day
from licenses.models import LicenseLink, LicenseLinkStatus, LicenseStatus, Membership
from permits.models import ContactType, Fee, FeeStatus, Permit, PermitContact, PermitStatus

pytestmark = pytest.mark.django_db

ISSUED_ONCE = (PermitStatus.ISSUED, PermitStatus.FINALED, PermitStatus.EXPIRED)


def inspections_completed_in_the_future(today: datetime.date) -> list[str]:
    return [
        f"{i.permit.number} {i.inspection_type}: {i.status} {i.result} on {i.completed_on}"
        for i in Inspection.objects.select_related("permit", "inspection_type")
        if (i.completed_on is not None and i.completed_on > today)
        or (i.result and (i.status != InspectionStatus.COMPLETED or i.completed_on is None))
        or (i.status == InspectionStatus.COMPLETED and not i.result)
    ]


def inspections_resulted_by_nobody() -> list[str]:
    """A result names who recorded it, on the day the inspection was done."""
    return [
        f"{i.permit.number} {i.inspection_type} on {i.completed_on}"
        for i in Inspection.objects.filter(status=InspectionStatus.COMPLETED).select_related(
            "permit", "inspection_type"
        )
        if i.resulted_by_id is None
        or i.resulted_at is None
        or timezone.localdate(i.resulted_at) != i.completed_on
        or i.scheduled_for != i.completed_on
    ]


def inspections_scheduled_when_none_can_be(today: datetime.date) -> list[str]:
    """Still scheduled means today (a business day: today's stops) or still to come, on a
    business day, on a permit that is issued."""
    holidays = set(Holiday.objects.values_list("date", flat=True))
    return [
        f"{i.permit.number} ({i.permit.status}) {i.inspection_type} scheduled for "
        f"{i.scheduled_for:%a %Y-%m-%d}"
        for i in Inspection.objects.filter(status=InspectionStatus.SCHEDULED).select_related(
            "permit", "inspection_type"
        )
        if i.scheduled_for is None
        or i.scheduled_for < today
        or not is_business_day(i.scheduled_for, holidays)
        or i.permit.status != PermitStatus.ISSUED
        or i.inspector_id is None
    ]


def inspections_outside_the_permits_life() -> list[str]:
    """Inspected only once issued, and not after the permit was finaled or had expired."""
    found = []
    for i in Inspection.objects.select_related("permit", "inspection_type"):
        permit, day = i.permit, i.scheduled_for
        if permit.issued_on is None or day < permit.issued_on:
            found.append(f"{permit.number} {i.inspection_type} on {day}, issued {permit.issued_on}")
        elif permit.finaled_on is not None and day > permit.finaled_on:
            found.append(f"{permit.number} {i.inspection_type} on {day}, finaled earlier")
        elif permit.status == PermitStatus.EXPIRED and day > permit.expires_on:
            found.append(f"{permit.number} {i.inspection_type} on {day}, expired earlier")
    return found


def fees_assessed_out_of_turn(today: datetime.date) -> list[str]:
    """Assessed on or after the application, never in the future; a cancelled application owes
    nothing."""
    return [
        f"{fee.permit.number} {fee.description} ({fee.status}) assessed {fee.assessed_on}, "
        f"applied {fee.permit.applied_on}"
        for fee in Fee.objects.select_related("permit")
        if not fee.permit.applied_on <= fee.assessed_on <= today
        or (fee.permit.status == PermitStatus.CANCELLED and fee.status == FeeStatus.DUE)
    ]


def reinspection_fees_without_a_failed_inspection() -> list[str]:
    """A re-inspection is charged the day an inspection failed."""
    failed = set(
        Inspection.objects.filter(result="failed").values_list("permit_id", "completed_on")
    )
    return [
        f"{fee.permit.number} {fee.description} assessed {fee.assessed_on}"
        for fee in Fee.objects.filter(description="Re-inspection Fee").select_related("permit")
        if (fee.permit_id, fee.assessed_on) not in failed
    ]


def permits_with_dates_out_of_turn(today: datetime.date) -> list[str]:
    found = []
    for permit in Permit.objects.all():
        dates = (
            f"{permit.number} {permit.status}: applied {permit.applied_on}, issued "
            f"{permit.issued_on}, expires {permit.expires_on}, finaled {permit.finaled_on}"
        )
        if permit.applied_on > today:
            found.append(dates)
        elif permit.status not in ISSUED_ONCE:
            if permit.issued_on or permit.expires_on or permit.finaled_on:
                found.append(dates)
        elif (
            permit.issued_on is None
            or permit.expires_on is None
            or not permit.applied_on <= permit.issued_on <= today
            or permit.expires_on <= permit.issued_on
            or (permit.status == PermitStatus.EXPIRED and permit.expires_on >= today)
            or (permit.status == PermitStatus.ISSUED and permit.finaled_on is not None)
            or (
                permit.status == PermitStatus.FINALED
                and (permit.finaled_on is None or not permit.issued_on <= permit.finaled_on)
            )
            or (permit.finaled_on is not None and permit.finaled_on > today)
        ):
            found.append(dates)
        elif permit.number[3:5] != f"{permit.applied_on:%y}":
            found.append(f"{dates}: the number's year is not the year of application")
    return found


def issued_permits_past_their_expiry(today: datetime.date) -> list[str]:
    return [
        f"{number} expired {expires_on} and is still issued"
        for number, expires_on in Permit.objects.filter(
            status=PermitStatus.ISSUED, expires_on__lt=today
        ).values_list("number", "expires_on")
    ]


def finaled_before_the_final_inspection() -> list[str]:
    return [
        f"{permit.number} finaled {permit.finaled_on}, last inspection {permit.last}"
        for permit in Permit.objects.filter(status=PermitStatus.FINALED).annotate(
            last=Max("inspections__completed_on")
        )
        if permit.last is None or permit.finaled_on < permit.last
    ]


def licenses_not_valid_when_applied() -> list[str]:
    """A permit names a license that was in force the day the application came in."""
    found = []
    for permit in Permit.objects.prefetch_related("licenses"):
        for license in permit.licenses.all():
            expired_before = (
                license.status == LicenseStatus.EXPIRED and license.expires_on < permit.applied_on
            )
            if license.issued_on > permit.applied_on or expired_before:
                found.append(
                    f"{permit.number} applied {permit.applied_on} names {license.number} "
                    f"({license.status}, {license.issued_on} to {license.expires_on})"
                )
    return found


def contractor_users(permit: Permit) -> set[int]:
    """Users who act for the permit's license professional."""
    licenses = list(permit.licenses.all())
    linked = LicenseLink.objects.filter(
        license__in=licenses, status=LicenseLinkStatus.APPROVED
    ).values_list("user_id", flat=True)
    members = Membership.objects.filter(
        contractor__in=[license.holder_id for license in licenses]
    ).values_list("user_id", flat=True)
    return set(linked) | set(members)


def people_named_twice_or_as_someone_else() -> list[str]:
    found = []
    for permit in Permit.objects.filter(contacts__isnull=False).distinct():
        contacts = list(PermitContact.objects.filter(permit=permit).select_related("user"))
        users = [contact.user_id for contact in contacts]
        if len(users) != len(set(users)):
            found.append(f"{permit.number} names a user twice")
        contractors = contractor_users(permit)
        for contact in contacts:
            name = contact.user.get_full_name()
            if contact.contact_type == ContactType.OWNER:
                if contact.user_id in contractors:
                    found.append(f"{permit.number}: the owner {name} is its contractor")
                if name != permit.owner_name:
                    found.append(f"{permit.number}: owner {permit.owner_name}, contact {name}")
            contractor_kind = contact.contact_type in (
                ContactType.GENERAL_CONTRACTOR,
                ContactType.SUBCONTRACTOR,
            )
            if (
                contractor_kind
                and not LicenseLink.objects.filter(
                    user=contact.user, status=LicenseLinkStatus.APPROVED
                ).exists()
            ):
                found.append(f"{permit.number}: {name} is no contractor")
    return found


def site_contacts_of_another_business() -> list[str]:
    """Whoever requested a scheduled inspection acts for the permit's contractor, and the site
    contact is that person, or the contractor's own contact when the office phoned it in."""
    found = []
    for inspection in Inspection.objects.filter(status=InspectionStatus.SCHEDULED).select_related(
        "permit", "requested_by"
    ):
        permit = inspection.permit
        holders = {license.holder for license in permit.licenses.all()}
        if inspection.requested_by is not None:
            if inspection.requested_by_id not in contractor_users(permit):
                found.append(f"{permit.number}: requested by {inspection.requested_by}")
            expected = {inspection.requested_by.get_full_name()}
        else:
            expected = {holder.contact_name for holder in holders}
        if inspection.contact_name not in expected:
            found.append(f"{permit.number}: site contact {inspection.contact_name}")
    return found


@pytest.fixture
def today() -> datetime.date:
    seed_demo_city()
    return timezone.localdate()


def test_no_inspection_is_resulted_in_the_future(today):
    assert inspections_completed_in_the_future(today) == []


def test_every_result_names_who_recorded_it_that_day(today):
    assert inspections_resulted_by_nobody() == []


def test_scheduled_inspections_are_still_to_come_on_business_days(today):
    assert Inspection.objects.filter(status=InspectionStatus.SCHEDULED).exists()
    assert inspections_scheduled_when_none_can_be(today) == []


def test_inspections_fall_between_issue_and_final_or_expiry(today):
    assert inspections_outside_the_permits_life() == []


def test_fees_are_assessed_from_the_application_on(today):
    assert fees_assessed_out_of_turn(today) == []


def test_a_reinspection_fee_follows_a_failed_inspection(today):
    assert Fee.objects.filter(description="Re-inspection Fee").exists()
    assert reinspection_fees_without_a_failed_inspection() == []


def test_permit_dates_follow_each_other(today):
    assert permits_with_dates_out_of_turn(today) == []


def test_no_permit_past_its_expiry_is_still_issued(today):
    assert Permit.objects.filter(status=PermitStatus.EXPIRED).exists()
    assert issued_permits_past_their_expiry(today) == []


def test_a_finaled_permit_was_finaled_after_its_last_inspection(today):
    assert finaled_before_the_final_inspection() == []


def test_permits_name_licenses_in_force_when_applied(today):
    assert licenses_not_valid_when_applied() == []


def test_the_people_on_a_permit_are_different_people(today):
    assert PermitContact.objects.filter(contact_type=ContactType.OWNER).exists()
    assert people_named_twice_or_as_someone_else() == []


def test_a_scheduled_inspections_contact_works_for_the_permits_contractor(today):
    assert site_contacts_of_another_business() == []


# A Saturday, Christmas Eve, the first business day of a year, a leap day.
SEEDING_DAYS = [
    datetime.date(2025, 6, 7),
    datetime.date(2026, 12, 24),
    datetime.date(2027, 1, 4),
    datetime.date(2028, 2, 29),
]


@pytest.mark.parametrize("day", SEEDING_DAYS, ids=str)
def test_the_city_is_coherent_whatever_day_it_is_seeded(day):
    seed_demo_city(today=day)
    problems = {
        "completed in the future": inspections_completed_in_the_future(day),
        "resulted by nobody": inspections_resulted_by_nobody(),
        "scheduled when none can be": inspections_scheduled_when_none_can_be(day),
        "outside the permit's life": inspections_outside_the_permits_life(),
        "fees out of turn": fees_assessed_out_of_turn(day),
        "re-inspection fees": reinspection_fees_without_a_failed_inspection(),
        "permit dates out of turn": permits_with_dates_out_of_turn(day),
        "issued past expiry": issued_permits_past_their_expiry(day),
        "finaled before the final inspection": finaled_before_the_final_inspection(),
        "license not in force": licenses_not_valid_when_applied(),
        "people": people_named_twice_or_as_someone_else(),
        "site contacts": site_contacts_of_another_business(),
    }
    assert {rule: found for rule, found in problems.items() if found} == {}

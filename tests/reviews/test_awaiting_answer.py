"""AwaitingAnswer (the dashboard's "Needs your action", by license): on PostgreSQL its triggers
keep, for each license professional of a permit, the answers its contractor owes plan review,
as the plain definitions say, through a permit's whole way: corrections asked and resubmitted,
approved with a condition, issued, the condition answered; its licenses and status changing.
The statement that fills it at once (the migration, the bench) makes the same rows."""

import datetime
import importlib

import pytest
from django.db import connection

from applications import services
from permits.models import FeeStatus, Permit, PermitLicense, PermitStatus
from reviews import services as reviews
from reviews.models import AwaitingAnswer, Review, ReviewStatus
from reviews.selectors import awaiting_corrections_permit_ids, open_conditions_permit_ids
from tests.factories import LicenseFactory, set_status

from .conftest import comment, condition, pdf, reviewer

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

FILL = importlib.import_module("reviews.migrations.0003_awaiting_answer").FILL


def by_definition() -> set[tuple[int, int, str]]:
    rows = set()
    for kind, statuses, among in (
        ("corrections", [PermitStatus.IN_REVIEW], awaiting_corrections_permit_ids()),
        (
            "conditions",
            [PermitStatus.PENDING_APPROVAL, PermitStatus.ISSUED],
            open_conditions_permit_ids(),
        ),
    ):
        links = PermitLicense.objects.filter(permit__status__in=statuses, permit_id__in=among)
        rows |= {
            (permit, license, kind)
            for permit, license in links.values_list("permit_id", "license_id")
        }
    return rows


def kept() -> set[tuple[int, int, str]]:
    return set(AwaitingAnswer.objects.values_list("permit_id", "license_id", "kind"))


def assert_kept(expected: set) -> None:
    assert kept() == by_definition() == expected
    # The migration's (and the bench's) statement that fills the table at once, the other way
    # round, makes the same rows.
    AwaitingAnswer.objects.all().delete()
    with connection.cursor() as cursor:
        cursor.execute(FILL)
    assert kept() == expected


def test_the_table_follows_a_permit_through_plan_review(
    submitted, building, zoning, intake_clerk, license_
):
    permit = submitted.permit
    applicant = submitted.applicant
    builder, zoner = reviewer(building.group), reviewer(zoning.group)
    assert_kept(set())
    services.application_accept(application=submitted, by=intake_clerk)
    assert_kept(set())  # with the city
    reviews.review_decide(
        review=Review.objects.get(discipline=building), decision=ReviewStatus.APPROVED, by=builder
    )
    zoning_review = Review.objects.get(discipline=zoning)
    item = comment(zoning_review, "Show the rear setback.")
    reviews.review_decide(
        review=zoning_review, decision=ReviewStatus.CORRECTIONS_REQUIRED, by=zoner
    )
    assert_kept({(permit.pk, license_.pk, "corrections")})

    reviews.correction_respond(comment=item, by=applicant, response="Shown on A-1.")
    reviews.corrections_resubmit(application=submitted, by=applicant)
    assert_kept(set())  # cycle 2, with the city

    second = Review.objects.get(discipline=zoning, status=ReviewStatus.PENDING)
    condition(second, "Keep the alley side clear.")
    reviews.review_decide(review=second, decision=ReviewStatus.APPROVED_WITH_CONDITIONS, by=zoner)
    permit.refresh_from_db()
    assert permit.status == PermitStatus.READY_TO_ISSUE
    assert_kept(set())  # Ready to Issue is its own kind, read from the permit's status
    energy = submitted.template.document_requirements.get(name="Energy Compliance")
    reviews.issuance_document_upload(
        application=submitted, requirement_id=energy.pk, upload=pdf(), by=applicant
    )
    for fee in permit.fees.filter(status=FeeStatus.DUE):
        fee.move_to(FeeStatus.WAIVED, note="Counter payment (test)")
    permit.refresh_from_db()
    assert permit.status == PermitStatus.ISSUED
    assert_kept({(permit.pk, license_.pk, "conditions")})

    # A second license professional, then gone again; the permit expired, then back.
    other = LicenseFactory()
    permit.licenses.add(other)
    assert_kept({(permit.pk, license_.pk, "conditions"), (permit.pk, other.pk, "conditions")})
    permit.licenses.remove(other)
    set_status(permit, PermitStatus.EXPIRED)
    assert_kept(set())
    set_status(permit, PermitStatus.ISSUED)
    assert_kept({(permit.pk, license_.pk, "conditions")})

    # Its applied date corrected: the copy follows (the section's order).
    Permit.objects.filter(pk=permit.pk).update(applied_on=datetime.date(2024, 5, 6))
    assert list(AwaitingAnswer.objects.values_list("applied_on", flat=True)) == [
        datetime.date(2024, 5, 6)
    ]

    # Answered: the permit office's turn.
    reviews.condition_answer(
        condition=second.conditions.get(), by=applicant, note="Kept clear: see the survey."
    )
    assert_kept(set())

"""Plan review records what happened besides its moves (core.events), each in the permit's
history: a review assigned (and reassigned), a cycle decided, corrections resubmitted, fees
assessed, a condition met."""

import pytest

from applications import services
from core.events import events_about
from core.history import history_of
from reviews import services as reviews
from reviews.models import Review, ReviewStatus

from .conftest import comment, condition, reviewer

pytestmark = pytest.mark.django_db


def types(record) -> list[str]:
    return [event.type for event in events_about(record).order_by("id")]


def test_each_review_assigned_and_reassigned_is_recorded_with_its_reviewer(
    submitted, building, zoning, intake_clerk
):
    builder, zoner = reviewer(building.group), reviewer(zoning.group)
    services.application_accept(application=submitted, by=intake_clerk)
    assigned = {
        event.payload["reviewer"]
        for event in events_about(submitted.permit).filter(type="review.assigned")
    }
    assert assigned == {builder.pk, zoner.pk}
    supervisor = reviewer(building.group, is_superuser=True)
    other = reviewer(building.group)
    review = Review.objects.get(discipline=building)
    reviews.review_reassign(review=review, reviewer=other, by=supervisor)
    last = events_about(review).filter(type="review.assigned").latest("id")
    assert (last.actor, last.payload["reviewer"], last.payload["previous_reviewer"]) == (
        supervisor,
        other.pk,
        builder.pk,
    )


def test_a_decided_cycle_then_fees_assessed_then_a_condition_met_are_in_the_history(
    submitted, building, intake_clerk
):
    builder = reviewer(building.group)
    services.application_accept(application=submitted, by=intake_clerk)
    review = Review.objects.get()
    item = condition(review, "Recorded drainage easement before issuance.")
    reviews.review_decide(review=review, decision=ReviewStatus.APPROVED_WITH_CONDITIONS, by=builder)
    permit = submitted.permit
    recorded = types(permit)
    assert recorded.index("review.decided") < recorded.index("review_cycle.decided")
    assert recorded.index("review_cycle.decided") < recorded.index("fee.assessed")
    reviews.condition_mark_met(condition=item, by=intake_clerk)
    reviews.condition_mark_met(condition=item, by=intake_clerk)  # once is what it was
    assert types(permit).count("condition.met") == 1
    titles = [entry.title for entry in history_of(permit, for_staff=False)]
    assert {"Review cycle decided", "Fees assessed", "Condition met"} <= set(titles)


def test_resubmitting_corrections_is_recorded_with_the_cycle_it_opens(
    submitted, building, zoning, intake_clerk
):
    builder, zoner = reviewer(building.group), reviewer(zoning.group)
    services.application_accept(application=submitted, by=intake_clerk)
    building_review = Review.objects.get(discipline=building)
    zoning_review = Review.objects.get(discipline=zoning)
    reviews.review_decide(review=building_review, decision=ReviewStatus.APPROVED, by=builder)
    ask = comment(zoning_review)
    reviews.review_decide(
        review=zoning_review, decision=ReviewStatus.CORRECTIONS_REQUIRED, by=zoner
    )
    reviews.correction_respond(comment=ask, by=submitted.applicant, response="Added on A-1.")
    reviews.corrections_resubmit(application=submitted, by=submitted.applicant)
    event = events_about(submitted).get(type="corrections.resubmitted")
    assert (event.actor, event.payload["cycle"]) == (submitted.applicant, 2)

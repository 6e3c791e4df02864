"""Plan review's writes: a cycle opened with a review per discipline, each assigned to the
discipline's least-loaded reviewer; reassigning; starting and deciding a review; the cycle
decided when its last review is (the applicant and the permit's contacts get one email)."""

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from core.calendar import add_business_days
from core.mail import enqueue_after_commit
from permits.access import can_decide_review

from .exceptions import ApplicationError
from .models import (
    OPEN_REVIEW_STATUSES,
    REVIEW_DECISIONS,
    Application,
    Review,
    ReviewCycle,
    ReviewDiscipline,
    ReviewStatus,
)


def reviewers_of(discipline: ReviewDiscipline):
    """The staff who may review a discipline: active staff members of its group."""
    return get_user_model().objects.filter(
        groups=discipline.group_id, is_active=True, is_staff=True
    )


def reviewer_least_loaded(discipline: ReviewDiscipline):
    """The discipline's reviewer with the fewest open reviews (the longest-serving first when
    they are even), or None when the group has nobody."""
    return (
        reviewers_of(discipline)
        .annotate(open_reviews=Count("reviews", filter=Q(reviews__status__in=OPEN_REVIEW_STATUSES)))
        .order_by("open_reviews", "pk")
        .first()
    )


def disciplines_for(application: Application) -> list[ReviewDiscipline]:
    return list(
        ReviewDiscipline.objects.filter(
            active=True, permit_types=application.template.permit_type_id
        ).order_by("position", "name")
    )


@transaction.atomic
def review_cycle_open(
    *, application: Application, disciplines: Iterable[ReviewDiscipline] | None = None
) -> ReviewCycle | None:
    """The application's next review cycle, with a review per discipline (those of its permit
    type, or `disciplines`), each due its discipline's target in business days from today and
    assigned to the least-loaded reviewer. None when the type has no disciplines."""
    chosen = list(disciplines) if disciplines is not None else disciplines_for(application)
    if not chosen:
        return None
    number = ReviewCycle.objects.filter(application=application).count() + 1
    cycle = ReviewCycle.objects.create(application=application, number=number)
    today = timezone.localdate()
    for discipline in chosen:
        Review.objects.create(
            cycle=cycle,
            discipline=discipline,
            reviewer=reviewer_least_loaded(discipline),
            due_on=add_business_days(today, discipline.target_days),
        )
    return cycle


def _locked(review: Review) -> Review:
    return (
        Review.objects.select_for_update(no_key=True, of=("self",))
        .select_related("discipline")
        .get(pk=review.pk)
    )


def _cycle_for_decision(cycle_id: int) -> ReviewCycle:
    """The cycle's row, locked after the review's move: of two reviewers deciding its last two
    reviews at once, the second waits here for the first's commit and then sees no review
    open (without the lock, each sees the other's still open and nobody decides the cycle)."""
    return ReviewCycle.objects.select_for_update(no_key=True).get(pk=cycle_id)


@transaction.atomic
def review_reassign(*, review: Review, reviewer, by) -> Review:
    """Give an open review to another reviewer of its discipline."""
    review = _locked(review)
    if not review.is_open:
        raise ApplicationError(f"The {review.discipline} review is decided: it stays as it is.")
    if not reviewers_of(review.discipline).filter(pk=reviewer.pk).exists():
        raise ApplicationError(
            f"{reviewer.get_full_name() or reviewer.username} does not review "
            f"{review.discipline} (not in its group)."
        )
    review.reviewer = reviewer
    review.save(update_fields=["reviewer"])
    return review


@transaction.atomic
def review_start(*, review: Review, by) -> Review:
    review = _locked(review)
    if not can_decide_review(by, review):
        raise ApplicationError("Only the review's reviewer can start it.")
    review.move_to(ReviewStatus.IN_PROGRESS, by=by, note="Review started")
    return review


@transaction.atomic
def review_decide(*, review: Review, decision: str, by, note: str = "") -> Review:
    """Approve, approve with conditions, or ask for corrections. The decision of a cycle's
    last open review decides the cycle: one email to the applicant and the contacts."""
    if decision not in REVIEW_DECISIONS:
        raise ApplicationError("Choose Approve, Approve with Conditions or Request Corrections.")
    review = _locked(review)
    if not can_decide_review(by, review):
        raise ApplicationError("Only the review's reviewer can decide it.")
    review.move_to(decision, by=by, note=note[:200], changes={"decided_by": by})
    cycle = _cycle_for_decision(review.cycle_id)
    if (
        cycle.decided_at is None
        and not cycle.reviews.filter(status__in=OPEN_REVIEW_STATUSES).exists()
    ):
        cycle.decided_at = timezone.now()
        cycle.save(update_fields=["decided_at"])
        from .tasks import send_review_cycle_decided

        enqueue_after_commit(send_review_cycle_decided, cycle.pk)
    return review

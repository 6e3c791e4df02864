"""Who hears what happens in plan review: the applicant and the contacts hear a cycle's decision,
a condition met and the fees assessed (with the business's payers and managers); a reviewer hears
a review assigned to them, corrections resubmitted to them and a condition answered."""

from django.contrib.auth import get_user_model
from django.urls import reverse

from applications.models import Application
from core.events import subscriber
from core.mail import absolute_url
from core.models import Event
from core.money import as_money
from permits.models import FeeStatus
from permits.parties import parties_of
from policy.reviews import review_supervisor_filter
from reviews.models import (
    CommentKind,
    Review,
    ReviewComment,
    ReviewCondition,
    ReviewCycle,
    ReviewStatus,
)

from ..catalogue import (
    APPLICANT,
    BUSINESS_MANAGE,
    BUSINESS_PAY,
    CONTACT,
    REVIEW_SUPERVISORS,
    REVIEWER,
)
from ..services import notify


@subscriber("review_cycle.decided")
def send_review_cycle_decided(event: Event) -> None:
    """One email when a review cycle's last review is decided: to the applicant and the permit's
    contacts, with each discipline's decision and a link."""
    cycle = (
        ReviewCycle.objects.select_related("application__permit", "application__applicant")
        .filter(pk=event.object_id)
        .first()
    )
    if cycle is None:
        return
    application = cycle.application
    reviews = list(cycle.reviews.select_related("discipline").prefetch_related("conditions"))
    corrections = [r for r in reviews if r.status == ReviewStatus.CORRECTIONS_REQUIRED]
    to_answer = ReviewComment.objects.filter(
        review__cycle=cycle, kind=CommentKind.RESPONSE_REQUIRED
    ).count()
    notify(
        event,
        to=[p for p in parties_of(application.permit) if p.has(APPLICANT, CONTACT)],
        permit=application.permit,
        template="review_cycle_decided",
        context={
            "application": application,
            "permit": application.permit,
            "cycle": cycle,
            "reviews": reviews,
            "corrections": corrections,
            "to_answer": to_answer,
            # Straight to what needs doing: the Corrections, or the Reviews.
            "url": absolute_url(
                reverse(
                    "reviews:permit_corrections" if corrections else "reviews:permit_reviews",
                    args=[application.permit.number],
                )
            ),
        },
    )


@subscriber("fee.assessed")
def send_fees_assessed(event: Event) -> None:
    """Every discipline approved: the fees due, and where to pay them."""
    application = (
        Application.objects.select_related("permit", "applicant")
        .filter(pk=event.payload.get("application"))
        .first()
    )
    if application is None or application.permit is None:
        return
    fees = list(application.permit.fees.filter(status=FeeStatus.DUE).order_by("id"))
    notify(
        event,
        to=[
            p
            for p in parties_of(application.permit)
            if p.has(APPLICANT, CONTACT, BUSINESS_PAY, BUSINESS_MANAGE)
        ],
        permit=application.permit,
        template="permit_fees_assessed",
        context={
            "application": application,
            "permit": application.permit,
            "fees": fees,
            "total": as_money(sum(fee.amount for fee in fees)),
            "url": absolute_url(reverse("permits:detail", args=[application.permit.number])),
        },
    )


@subscriber("corrections.resubmitted")
def send_resubmission_to_reviewers(event: Event) -> None:
    """The applicant answered the corrections: each reviewer of the new cycle hears it, with a
    link to their review. A review that found no reviewer (its discipline's group is empty), or
    a resubmission no discipline reviews, goes to the review supervisors, so someone on the
    city side always knows the file is back with the city."""
    application = (
        Application.objects.select_related("permit", "template__permit_type", "applicant")
        .filter(pk=event.object_id)
        .first()
    )
    if application is None:
        return
    reviews = list(
        Review.objects.filter(
            cycle__application=application, cycle__number=event.payload.get("cycle")
        )
        .select_related("discipline", "reviewer", "cycle")
        .order_by("discipline__position", "pk")
    )
    context = {"application": application, "permit": application.permit}
    # A reviewer with two of the cycle's reviews hears once, of both: the notice opens the
    # first, the email links each.
    by_reviewer: dict = {}
    for review in reviews:
        if review.reviewer_id and review.reviewer.email:
            by_reviewer.setdefault(review.reviewer, []).append(review)
    for reviewer, theirs in by_reviewer.items():
        notify(
            event,
            to=[reviewer],
            roles=[REVIEWER],
            permit=application.permit,
            template="corrections_resubmitted",
            context={**context, **_review_links(theirs)},
        )
    unassigned = [review for review in reviews if not review.reviewer_id]
    if reviews and not unassigned:
        return
    supervisors = (
        get_user_model().objects.filter(review_supervisor_filter()).exclude(email="").distinct()
    )
    # The review to give a reviewer (its page has the reviewer field), or, when no discipline
    # reviews the resubmission, the application itself.
    links = (
        _review_links(unassigned)
        if unassigned
        else {
            "reviews": [],
            "url": absolute_url(
                reverse("admin:applications_application_change", args=[application.pk])
            ),
        }
    )
    notify(
        event,
        to=list(supervisors),
        roles=[REVIEW_SUPERVISORS],
        permit=application.permit,
        template="corrections_resubmitted",
        context={**context, **links, "unassigned": True},
    )


def _review_links(reviews: list[Review]) -> dict:
    """The reviews, each with its own page in admin (`review.url`), and the first one's page
    as the notice's link."""
    for review in reviews:
        review.url = absolute_url(reverse("admin:reviews_review_change", args=[review.pk]))
    return {"reviews": reviews, "url": reviews[0].url}


@subscriber("review.assigned")
def send_review_assigned(event: Event) -> None:
    """The reviewer a review is given to: when cycle 1 opens, and when staff reassign it. (A
    later cycle's reviewers hear of it as corrections resubmitted.)"""
    review = (
        Review.objects.select_related(
            "reviewer", "discipline", "cycle__application__permit", "cycle__application__template"
        )
        .filter(pk=event.object_id)
        .first()
    )
    if review is None or review.reviewer is None or not review.reviewer.email:
        return
    reassigned = event.actor_id is not None
    if review.cycle.number > 1 and not reassigned:
        return
    application = review.cycle.application
    notify(
        event,
        to=[review.reviewer],
        roles=[REVIEWER],
        permit=application.permit,
        template="review_assigned",
        context={
            "review": review,
            "application": application,
            "permit": application.permit,
            "reassigned": reassigned,
            # The review's own page: "My reviews" lists only open ones, and the link outlives
            # its decision.
            "url": absolute_url(reverse("admin:reviews_review_change", args=[review.pk])),
        },
    )


def _condition(event: Event) -> ReviewCondition | None:
    return (
        ReviewCondition.objects.select_related(
            "review__reviewer", "review__discipline", "review__cycle__application__permit"
        )
        .filter(pk=event.object_id)
        .first()
    )


@subscriber("condition.answered")
def send_condition_answered(event: Event) -> None:
    """The reviewer who set the condition (else the review supervisors): an answer to read,
    and the condition to mark met."""
    condition = _condition(event)
    if condition is None:
        return
    permit = condition.review.cycle.application.permit
    reviewer = condition.review.reviewer
    if reviewer is not None and reviewer.email:
        to, roles = [reviewer], [REVIEWER]
    else:
        to = list(get_user_model().objects.filter(review_supervisor_filter()).distinct())
        roles = [REVIEW_SUPERVISORS]
    notify(
        event,
        to=to,
        roles=roles,
        permit=permit,
        template="condition_answered",
        context={
            "condition": condition,
            "permit": permit,
            # The condition's own page: its reviewer may read it there (the answered queue
            # is for who marks conditions met), and it outlives being marked met.
            "url": absolute_url(
                reverse("admin:reviews_reviewcondition_change", args=[condition.pk])
            ),
        },
    )


@subscriber("condition.met")
def send_condition_met(event: Event) -> None:
    """The applicant and the contacts: a condition of approval is met."""
    condition = _condition(event)
    if condition is None:
        return
    permit = condition.review.cycle.application.permit
    notify(
        event,
        to=[p for p in parties_of(permit) if p.has(APPLICANT, CONTACT)],
        permit=permit,
        template="condition_met",
        context={
            "condition": condition,
            "permit": permit,
            "url": absolute_url(reverse("permits:detail", args=[permit.number]) + "#conditions"),
        },
    )

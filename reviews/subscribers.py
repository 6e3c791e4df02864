"""Plan review's part in what happens (core.events): it opens an accepted application's first
review cycle, within the acceptance's transaction; the applicant and the contacts hear a cycle's
decision and the fees assessed; the reviewers hear of corrections resubmitted to them."""

from django.contrib.auth import get_user_model
from django.urls import reverse

from applications.models import Application
from core.events import subscriber
from core.mail import absolute_url, send_templated_email
from core.models import Event
from core.money import as_money
from permits.models import FeeStatus
from permits.parties import applicant_and_contacts
from policy.reviews import review_supervisor_filter

from .models import CommentKind, Review, ReviewComment, ReviewCycle, ReviewStatus
from .services import review_cycle_open


@subscriber("application.accepted", within_transaction=True)
def open_the_first_cycle(event: Event) -> None:
    """Cycle 1: a review per discipline of the application's permit type (none: no cycle)."""
    review_cycle_open(application=Application.objects.get(pk=event.object_id))


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
    for address in applicant_and_contacts(application.permit):
        send_templated_email(
            template="review_cycle_decided",
            to=[address],
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
    for address in applicant_and_contacts(application.permit):
        send_templated_email(
            template="permit_fees_assessed",
            to=[address],
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
    for review in reviews:
        if review.reviewer_id and review.reviewer.email:
            send_templated_email(
                template="corrections_resubmitted",
                to=[review.reviewer.email],
                context={
                    **context,
                    "reviews": [review],
                    "url": absolute_url(reverse("admin:reviews_myreview_change", args=[review.pk])),
                },
            )
    unassigned = [review for review in reviews if not review.reviewer_id]
    if reviews and not unassigned:
        return
    supervisors = (
        get_user_model().objects.filter(review_supervisor_filter()).exclude(email="").distinct()
    )
    send_templated_email(
        template="corrections_resubmitted",
        to=sorted(set(supervisors.values_list("email", flat=True))),
        context={
            **context,
            "reviews": unassigned,
            "unassigned": True,
            "url": absolute_url(reverse("admin:reviews_review_changelist")),
        },
    )

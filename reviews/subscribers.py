"""Plan review's part in what happens (core.events): it opens an accepted application's first
review cycle, within the acceptance's transaction; the applicant and the contacts hear a cycle's
decision and the fees assessed."""

from django.urls import reverse

from applications.models import Application
from core.events import subscriber
from core.mail import absolute_url, send_templated_email
from core.models import Event
from core.money import as_money
from permits.models import FeeStatus
from permits.parties import applicant_and_contacts

from .models import CommentKind, ReviewComment, ReviewCycle, ReviewStatus
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

"""The applicant's emails, and drafts lapsing (Celery beat)."""

from celery import shared_task
from django.conf import settings
from django.urls import reverse

from core.mail import MAIL_RETRY, absolute_url, send_templated_email


@shared_task
def expire_application_drafts() -> tuple[int, int]:
    """Run daily by Celery beat (CELERY_BEAT_SCHEDULE)."""
    from .services import application_drafts_expire

    return application_drafts_expire()


def _application_url(application) -> str:
    return absolute_url(reverse("applications:detail", args=[application.reference]))


@shared_task(**MAIL_RETRY)
def send_application_submitted(submission_id: int) -> None:
    """To the applicant, the owner and the application's contacts: what was submitted."""
    from .models import Submission

    submission = (
        Submission.objects.select_related("application__permit", "application__applicant")
        .filter(pk=submission_id)
        .first()
    )
    if submission is None:
        return
    application = submission.application
    applicant = application.applicant
    context = {
        "application": application,
        "submission": submission,
        "permit": application.permit,
        "snapshot": submission.snapshot,
        "url": _application_url(application),
    }
    if applicant is not None and applicant.email:
        send_templated_email(
            template="application_submitted",
            to=[applicant.email],
            context={**context, "name": applicant.get_full_name() or applicant.username},
        )
    others = {
        contact["email"].lower()
        for contact in submission.snapshot["people"]["contacts"]
        if contact.get("email")
    }
    if application.owner_email:
        others.add(application.owner_email.lower())
    others.discard((applicant.email if applicant else "").lower())
    for address in sorted(others):
        send_templated_email(
            template="application_submitted",
            to=[address],
            context={**context, "name": "", "as_contact": True},
        )


@shared_task(**MAIL_RETRY)
def send_application_decision(submission_id: int) -> None:
    """To the applicant: accepted for review, or returned with the reasons."""
    from .models import Submission

    submission = (
        Submission.objects.select_related("application__permit", "application__applicant")
        .filter(pk=submission_id)
        .first()
    )
    if submission is None or submission.application.applicant is None:
        return
    application = submission.application
    applicant = application.applicant
    send_templated_email(
        template=f"application_{submission.outcome}",
        to=[applicant.email],
        context={
            "application": application,
            "submission": submission,
            "permit": application.permit,
            "name": applicant.get_full_name() or applicant.username,
            "url": _application_url(application),
        },
    )


@shared_task(**MAIL_RETRY)
def send_draft_reminder(application_id: int) -> None:
    from .models import Application, ApplicationStatus

    application = (
        Application.objects.select_related("applicant", "template__permit_type")
        .filter(pk=application_id, status=ApplicationStatus.DRAFT)
        .first()
    )
    if application is None or application.applicant is None:
        return
    applicant = application.applicant
    send_templated_email(
        template="application_draft_reminder",
        to=[applicant.email],
        context={
            "application": application,
            "name": applicant.get_full_name() or applicant.username,
            "days": settings.APPLICATION_DRAFT_DAYS,
            "url": _application_url(application),
        },
    )


@shared_task(**MAIL_RETRY)
def send_review_cycle_decided(cycle_id: int) -> None:
    """One email when a review cycle's last review is decided: to the applicant and the permit's
    contacts, with each discipline's decision and a link."""
    from .models import CommentKind, ReviewComment, ReviewCycle, ReviewStatus

    cycle = (
        ReviewCycle.objects.select_related("application__permit", "application__applicant")
        .filter(pk=cycle_id)
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
    for address in _application_parties(application):
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
                        "applications:permit_corrections"
                        if corrections
                        else "applications:permit_reviews",
                        args=[application.permit.number],
                    )
                ),
            },
        )


def _application_parties(application) -> list[str]:
    """The applicant and the permit's contacts, each address once."""
    from permits.models import PermitContact

    addresses = [application.applicant.email] if application.applicant else []
    addresses += PermitContact.objects.filter(permit=application.permit_id).values_list(
        "user__email", flat=True
    )
    return list(dict.fromkeys(address for address in addresses if address))


@shared_task(**MAIL_RETRY)
def send_fees_assessed(application_id: int) -> None:
    """Every discipline approved: the fees due, and where to pay them."""
    from core.money import as_money
    from permits.models import FeeStatus

    from .models import Application

    application = (
        Application.objects.select_related("permit", "applicant").filter(pk=application_id).first()
    )
    if application is None or application.permit is None:
        return
    fees = list(application.permit.fees.filter(status=FeeStatus.DUE).order_by("id"))
    for address in _application_parties(application):
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


@shared_task(**MAIL_RETRY)
def send_permit_issued(application_id: int) -> None:
    from .models import Application

    application = (
        Application.objects.select_related("permit", "applicant").filter(pk=application_id).first()
    )
    if application is None or application.permit is None:
        return
    for address in _application_parties(application):
        send_templated_email(
            template="permit_issued",
            to=[address],
            context={
                "application": application,
                "permit": application.permit,
                "url": absolute_url(reverse("permits:detail", args=[application.permit.number])),
            },
        )

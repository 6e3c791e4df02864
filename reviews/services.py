"""Plan review's writes: a cycle opened with a review per discipline, each assigned to the
discipline's least-loaded reviewer; reassigning; starting and deciding a review; the cycle
decided when its last review is (the applicant and the permit's contacts get one email)."""

from collections.abc import Iterable
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from applications.exceptions import ApplicationError
from applications.models import Application, ApplicationDocument, DocumentStage
from applications.selectors import template_parts
from applications.services import requirement_for, store_document
from core.calendar import add_business_days
from core.events import event_record
from core.mail import enqueue_after_commit
from permits.exceptions import PermitError
from permits.issuing import permit_issue_when_ready
from permits.models import Fee, Permit, PermitDocument, PermitStatus
from permits.services import permit_document_upload
from policy.permits import can_answer_condition, can_apply, can_upload
from policy.reviews import (
    can_decide_review,
    can_mark_condition_met,
    can_reassign_review,
    reviewer_filter,
)

from .models import (
    OPEN_REVIEW_STATUSES,
    REVIEW_DECISIONS,
    CommentKind,
    Review,
    ReviewComment,
    ReviewCondition,
    ReviewCycle,
    ReviewDiscipline,
    ReviewStatus,
)
from .selectors import APPROVED_STATUSES


def reviewers_of(discipline: ReviewDiscipline):
    """The staff who may review a discipline (policy.reviews.can_review_discipline)."""
    return get_user_model().objects.filter(reviewer_filter(discipline))


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
    about = [application, application.permit]
    for discipline in chosen:
        review = Review.objects.create(
            cycle=cycle,
            discipline=discipline,
            reviewer=reviewer_least_loaded(discipline),
            due_on=add_business_days(today, discipline.target_days),
        )
        event_record(
            "review.assigned",
            subject=review,
            about=about,
            reviewer=review.reviewer_id,
            cycle=number,
            discipline=discipline.pk,
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
    """Give an open review to another reviewer of its discipline (a supervisor's move)."""
    if not can_reassign_review(by, review):
        raise ApplicationError(_("Reassigning a review is for a supervisor of plan review."))
    review = _locked(review)
    if not review.is_open:
        raise ApplicationError(
            _("The %(discipline)s review is decided: it stays as it is.")
            % {"discipline": review.discipline}
        )
    if not reviewers_of(review.discipline).filter(pk=reviewer.pk).exists():
        raise ApplicationError(
            _("%(reviewer)s does not review %(discipline)s (not in its group).")
            % {
                "reviewer": reviewer.get_full_name() or reviewer.username,
                "discipline": review.discipline,
            }
        )
    previous = review.reviewer_id
    review.reviewer = reviewer
    review.save(update_fields=["reviewer"])
    application = review.cycle.application
    event_record(
        "review.assigned",
        subject=review,
        actor=by,
        about=[application, application.permit],
        reviewer=reviewer.pk,
        previous_reviewer=previous,
    )
    return review


@transaction.atomic
def review_start(*, review: Review, by) -> Review:
    review = _locked(review)
    if not can_decide_review(by, review):
        raise ApplicationError(_("Only the review's reviewer can start it."))
    review.move_to(ReviewStatus.IN_PROGRESS, by=by, note=_("Review started"))
    return review


@transaction.atomic
def review_decide(*, review: Review, decision: str, by, note: str = "") -> Review:
    """Approve, approve with conditions, or ask for corrections. The decision of a cycle's
    last open review decides the cycle: one email to the applicant and the contacts."""
    if decision not in REVIEW_DECISIONS:
        raise ApplicationError(_("Choose Approve, Approve with Conditions or Request Corrections."))
    review = _locked(review)
    if not can_decide_review(by, review):
        raise ApplicationError(_("Only the review's reviewer can decide it."))
    review.move_to(decision, by=by, note=note[:200], changes={"decided_by": by})
    cycle = _cycle_for_decision(review.cycle_id)
    if (
        cycle.decided_at is None
        and not cycle.reviews.filter(status__in=OPEN_REVIEW_STATUSES).exists()
    ):
        cycle.decided_at = timezone.now()
        cycle.save(update_fields=["decided_at"])
        # One email to the applicant and the contacts (applications.subscribers).
        application = cycle.application
        event_record(
            "review_cycle.decided",
            subject=cycle,
            actor=by,
            about=[application, application.permit],
            cycle=cycle.number,
        )
        if not cycle.reviews.filter(status=ReviewStatus.CORRECTIONS_REQUIRED).exists():
            application_approve(application=cycle.application, by=by)
    return review


@transaction.atomic
def application_approve(*, application: Application, by) -> Permit:
    """Every discipline approved: the permit goes to Pending Approval, the form's fee schedule
    assesses its fees from the answers, and it is Ready to Issue (the applicant is emailed the
    fees due and a Pay link; with nothing due and nothing missing it is issued). A fee the
    schedule cannot work out (an answer missing) leaves it Pending Approval for the office."""
    permit = Permit.objects.select_for_update(no_key=True).get(pk=application.permit_id)
    permit.move_to(PermitStatus.PENDING_APPROVAL, by=by, note=_("Every discipline approved"))
    # What the reviewers approved: the latest version of each document submitted.
    application.documents.filter(submitted=True, versions__isnull=True).update(approved_plans=True)
    estimate = template_parts(application.template).estimate(application.answers)
    for line in estimate.lines:
        if line.amount:
            Fee.objects.create(permit=permit, description=line.description, amount=line.amount)
    if not estimate.complete:
        return permit
    permit.move_to(
        PermitStatus.READY_TO_ISSUE, by=by, note=_("Fees assessed from the fee schedule")
    )
    event_record(
        "fee.assessed",
        subject=permit,
        actor=by,
        about=[application],
        application=application.pk,
        total=str(sum((line.amount or 0 for line in estimate.lines), 0)),
    )
    permit_issue_when_ready(permit=permit, by=by)
    return permit


@transaction.atomic
def issuance_document_upload(
    *, application: Application, requirement_id: int, upload, by
) -> PermitDocument:
    """A document the form needs before issuance, uploaded from the Reviews page: kept as the
    permit's document of that kind, the one way every page uploads it (permits.services), so
    the permit is issued if that was all it lacked."""
    permit = Permit.objects.filter(pk=application.permit_id).first()  # as it is now
    if permit is None or permit.status not in APPROVED_STATUSES:
        raise ApplicationError(_("Documents needed before issuance are uploaded once approved."))
    requirement = requirement_for(
        application,
        requirement_id,
        missing=_("That is not a document needed before issuance."),
        stage=DocumentStage.ISSUANCE,
    )
    try:
        return permit_document_upload(permit=permit, upload=upload, by=by, kind=requirement.name)
    except PermitError as error:
        raise ApplicationError(str(error)) from error


@transaction.atomic
def condition_mark_met(*, condition: ReviewCondition, by) -> ReviewCondition:
    """Staff mark a condition of approval met (the permit is issued, or its final inspection
    can be requested, if that was all it waited for)."""
    if not can_mark_condition_met(by):
        raise ApplicationError(_("Marking a condition met is for staff who may change conditions."))
    condition = ReviewCondition.objects.select_for_update(no_key=True).get(pk=condition.pk)
    application = condition.review.cycle.application
    permit = application.permit
    if condition.met_at is None:
        condition.met_at, condition.met_by = timezone.now(), by
        condition.save(update_fields=["met_at", "met_by"])
        event_record("condition.met", subject=condition, actor=by, about=[application, permit])
    if permit is not None:
        permit_issue_when_ready(permit=permit, by=by)
        from permits.tasks import refresh_permit_card

        enqueue_after_commit(refresh_permit_card, permit.pk)  # "met" is on the card
    return condition


@transaction.atomic
def condition_answer(*, condition: ReviewCondition, by, note: str, upload=None) -> ReviewCondition:
    """Someone who works on the permit answers a condition of approval online: how it is met,
    and a document (kept as the permit's, `permits.services`; it needs Upload Files). Staff
    read it in their queue and mark the condition met; answering again replaces the answer."""
    condition = (
        ReviewCondition.objects.select_for_update(no_key=True, of=("self",))
        .select_related("review__cycle__application__permit")
        .get(pk=condition.pk)
    )
    application = condition.review.cycle.application
    permit = application.permit
    if permit is None or not can_answer_condition(by, permit):
        raise ApplicationError(
            _(
                "Answering a condition of approval needs the Apply or Upload Files role at the "
                "permit's business, or your own license on it."
            )
        )
    if condition.is_met:
        raise ApplicationError(_("That condition is already met: there is nothing to answer."))
    note = note.strip()[:2000]
    if not note:
        raise ApplicationError(_("Say how the condition is met."))
    document = None
    if upload is not None:
        try:
            document = permit_document_upload(permit=permit, upload=upload, by=by)
        except PermitError as error:
            raise ApplicationError(str(error)) from error
    condition.answer, condition.answered_at, condition.answered_by = note, timezone.now(), by
    condition.answer_document = document or condition.answer_document
    condition.save(update_fields=["answer", "answered_at", "answered_by", "answer_document"])
    event_record(
        "condition.answered",
        subject=condition,
        actor=by,
        about=[application, permit],
        document=document.pk if document else None,
    )
    return condition


# The applicant's side: answering corrections and resubmitting --------------------------------


def cycle_awaiting_corrections(application: Application) -> ReviewCycle | None:
    """The application's latest cycle, when it is decided with corrections asked and not yet
    resubmitted (no later cycle): the one the applicant answers."""
    cycle = application.review_cycles.order_by("-number").first()
    if (
        cycle is None
        or cycle.decided_at is None
        or not cycle.reviews.filter(status=ReviewStatus.CORRECTIONS_REQUIRED).exists()
    ):
        return None
    return cycle


def _awaiting(application: Application) -> ReviewCycle:
    cycle = cycle_awaiting_corrections(application)
    if cycle is None:
        raise ApplicationError(
            _("Application %(reference)s has no corrections waiting for an answer.")
            % {"reference": application.reference}
        )
    return cycle


def _answerable(application: Application, by) -> ReviewCycle:
    """Corrections are answered for the permit: by anyone with Apply at a business holding
    one of its licenses (the applicant's colleagues too)."""
    if application.permit is None or not can_apply(by, application.permit):
        raise ApplicationError(
            _("Answering corrections needs the Apply role at the permit's business.")
        )
    return _awaiting(application)


@transaction.atomic
def correction_respond(*, comment: ReviewComment, by, response: str) -> ReviewComment:
    """The applicant's answer to a comment of the cycle awaiting corrections (empty: none)."""
    comment = ReviewComment.objects.select_related("review__cycle__application").get(pk=comment.pk)
    cycle = _answerable(comment.review.cycle.application, by)
    if comment.review.cycle_id != cycle.pk:
        raise ApplicationError(_("That comment belongs to an earlier cycle: it stays as it was."))
    response = response.strip()[:4000]
    comment.response = response
    comment.responded_at = timezone.now() if response else None
    comment.responded_by = by if response else None
    comment.save(update_fields=["response", "responded_at", "responded_by"])
    return comment


@transaction.atomic
def correction_document_upload(
    *,
    application: Application,
    by,
    upload,
    replaces_id: int | None = None,
    requirement_id: int | None = None,
) -> ApplicationDocument:
    """A corrected document, as a new version of one already uploaded (`replaces_id`; the
    earlier version is kept), or a new document: one the form needs before issuance
    (`requirement_id`), which the permit then has (`issuance_missing_of`), or another."""
    _awaiting(application)
    if application.permit is None or not can_upload(by, application.permit):
        raise ApplicationError(
            _("Uploading files needs the Upload Files role at the permit's business.")
        )
    replaces = None
    if replaces_id is not None:
        replaces = application.documents.filter(pk=replaces_id).first()
        if replaces is None:
            raise ApplicationError(_("That document is not one of this application's."))
        if replaces.versions.exists():
            raise ApplicationError(
                _("%(file)s already has a newer version: upload a version of the latest one.")
                % {"file": replaces.original_name}
            )
    requirement = replaces.requirement if replaces else None
    if replaces is None and requirement_id is not None:
        requirement = requirement_for(
            application,
            requirement_id,
            missing=_("That is not a document needed before issuance."),
            stage=DocumentStage.ISSUANCE,
        )
    return store_document(
        application=application,
        requirement=requirement,
        upload=upload,
        by=by,
        replaces=replaces,
    )


def unanswered(cycle: ReviewCycle) -> int:
    return ReviewComment.objects.filter(
        review__cycle=cycle, kind=CommentKind.RESPONSE_REQUIRED, response=""
    ).count()


def _application_locked(pk: int) -> Application:
    """The application's row, locked: a second Resubmit waits here, then finds the next cycle
    open and is refused (without the lock both would open cycle N+1)."""
    return Application.objects.select_for_update(no_key=True).get(pk=pk)


@transaction.atomic
def corrections_resubmit(*, application: Application, by) -> ReviewCycle:
    """Send the answered corrections back: the next cycle, with the disciplines that asked for
    corrections (every discipline of the last cycle with REVIEW_RESUBMIT_ALL_DISCIPLINES). A
    second click waits for the first on the application's row and is refused."""
    application = _application_locked(application.pk)
    cycle = _answerable(application, by)
    if missing := unanswered(cycle):
        raise ApplicationError(
            ngettext(
                "%(count)s item still needs a response before you can resubmit.",
                "%(count)s items still need a response before you can resubmit.",
                missing,
            )
            % {"count": missing}
        )
    decided = cycle.reviews.select_related("discipline")
    if not settings.REVIEW_RESUBMIT_ALL_DISCIPLINES:
        decided = decided.filter(status=ReviewStatus.CORRECTIONS_REQUIRED)
    application.documents.filter(submitted=False).update(submitted=True)
    next_cycle = review_cycle_open(
        application=application, disciplines=[review.discipline for review in decided]
    )
    event_record(
        "corrections.resubmitted",
        subject=application,
        actor=by,
        about=[application.permit],
        cycle=next_cycle.number if next_cycle else None,
    )
    _assess_revision_fee(application, next_cycle)
    return next_cycle


def _assess_revision_fee(application: Application, cycle: ReviewCycle | None) -> None:
    """From review cycle REVIEW_REVISION_FEE_FROM_CYCLE on, each resubmission is charged
    REVIEW_REVISION_FEE (0, the default: never)."""
    amount = Decimal(settings.REVIEW_REVISION_FEE)
    if cycle is None or amount <= 0 or cycle.number < settings.REVIEW_REVISION_FEE_FROM_CYCLE:
        return
    Fee.objects.create(
        permit_id=application.permit_id,
        description=_("Plan revision fee (review cycle %(number)s)") % {"number": cycle.number},
        amount=amount,
    )

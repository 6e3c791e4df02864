"""The applicant's side of plan review: the permit's Reviews page (every cycle, each
discipline's status, reviewer and due date, and the clock) and its Corrections page (answer
each item, upload corrected documents as new versions, Resubmit)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from applications.exceptions import ApplicationError
from core.uploads import upload_limit, upload_max_bytes, upload_refused_message
from permits.checks import issue_blockers
from permits.document_views import document_file_response
from permits.models import Permit, PermitStatus
from policy.permits import can_answer_condition, can_apply, can_upload, can_view_private

from .checks import issuance_documents_missing
from .forms import ConditionAnswerForm, CorrectionUploadForm, IssuanceUploadForm
from .models import CommentKind, ReviewComment, ReviewCondition
from .selectors import permit_reviews
from .services import (
    condition_answer,
    correction_document_upload,
    correction_respond,
    corrections_resubmit,
    cycle_awaiting_corrections,
    issuance_document_upload,
    unanswered,
)


def _permit_and_reviews(request: HttpRequest, number: str):
    """The permit (a 404 for anyone who may not see its private side) and its reviews (a 404
    for a permit that did not come from an online application)."""
    permit = get_object_or_404(Permit, number=number.strip().upper())
    if not can_view_private(request.user, permit):
        raise Http404(_("No permit of yours has that number."))
    reviews = permit_reviews(permit)
    if reviews is None:
        raise Http404(_("This permit was not applied for online: it has no plan review here."))
    return permit, reviews


@login_required
@require_GET
def permit_reviews_view(request: HttpRequest, number: str) -> HttpResponse:
    permit, reviews = _permit_and_reviews(request, number)
    awaiting = cycle_awaiting_corrections(reviews.application)
    approved = permit.status in (PermitStatus.PENDING_APPROVAL, PermitStatus.READY_TO_ISSUE)
    needed = issuance_documents_missing(reviews.application) if approved else []
    return render(
        request,
        "reviews/permit_reviews.html",
        {
            "permit": permit,
            "reviews": reviews,
            "awaiting": awaiting,
            "to_answer": unanswered(awaiting) if awaiting else 0,
            "issuance_needed": needed,
            "issuance_form": IssuanceUploadForm(requirements=needed) if needed else None,
            "may_upload": can_upload(request.user, permit),
            "blockers": issue_blockers(permit) if approved else [],
            "approved_plans": list(
                reviews.application.documents.filter(approved_plans=True).select_related(
                    "requirement"
                )
            ),
        },
    )


@login_required
@require_GET
def approved_plan_view(request: HttpRequest, number: str, document_id: int) -> HttpResponse:
    """An approved plan, for the permit's parties."""
    _, reviews = _permit_and_reviews(request, number)
    document = get_object_or_404(reviews.application.documents, pk=document_id, approved_plans=True)
    return document_file_response(document)


@login_required
@require_POST
# Kept as the permit's document (permits.services.permit_document_upload): the permit's limit.
@upload_limit("PERMIT_DOCUMENT_MAX_BYTES")
def issuance_upload_view(request: HttpRequest, number: str) -> HttpResponse:
    permit, reviews = _permit_and_reviews(request, number)
    application = reviews.application
    files = request.FILES
    if getattr(request, "upload_refused", False):
        messages.error(request, upload_refused_message(request))
        return redirect("reviews:permit_reviews", permit.number)
    form = IssuanceUploadForm(
        request.POST, files, requirements=issuance_documents_missing(application)
    )
    if not form.is_valid():
        messages.error(request, _("Choose which document it is, and the file."))
        return redirect("reviews:permit_reviews", permit.number)
    try:
        document = issuance_document_upload(
            application=application,
            requirement_id=form.cleaned_data["requirement"],
            upload=form.cleaned_data["file"],
            by=request.user,
        )
    except ApplicationError as error:
        messages.error(request, str(error))
    else:
        permit.refresh_from_db()
        values = {"file": document.original_name, "document": document.kind}
        if permit.status == PermitStatus.ISSUED:
            text = _("%(file)s was uploaded as the %(document)s. The permit is issued.") % values
        else:
            text = _("%(file)s was uploaded as the %(document)s.") % values
        messages.success(request, text)
    return redirect("reviews:permit_reviews", permit.number)


def _documents_latest(application):
    return [
        document
        for document in application.documents.select_related("requirement").order_by("id")
        if not document.versions.exists()
    ]


@login_required
@require_http_methods(["GET", "POST"])
@upload_limit("APPLICATION_DOCUMENT_MAX_BYTES")
def permit_corrections_view(request: HttpRequest, number: str) -> HttpResponse:
    permit, reviews = _permit_and_reviews(request, number)
    application = reviews.application
    cycle = cycle_awaiting_corrections(application)
    if cycle is None:
        messages.info(
            request,
            _("Permit %(number)s has no corrections waiting for you.") % {"number": permit.number},
        )
        return redirect("reviews:permit_reviews", permit.number)
    may_answer = can_apply(request.user, permit)
    if request.method == "POST":
        action = request.POST.get("action", "save")
        if not may_answer and action != "upload":  # uploading needs Upload Files alone
            raise Http404(_("No permit of yours to answer for."))
        comments = ReviewComment.objects.filter(
            review__cycle=cycle, kind=CommentKind.RESPONSE_REQUIRED
        )
        try:
            for comment in comments if may_answer else ():
                name = f"response-{comment.pk}"
                if name in request.POST and request.POST[name].strip() != comment.response:
                    correction_respond(
                        comment=comment, by=request.user, response=request.POST[name]
                    )
            if action == "upload":
                # The upload is in the same form: the responses typed above are saved first.
                return _upload_correction(request, permit, application)
            if action == "resubmit":
                next_cycle = corrections_resubmit(application=application, by=request.user)
                messages.success(
                    request,
                    _(
                        "Resubmitted: review cycle %(number)s has started. You are emailed when "
                        "the reviewers have decided."
                    )
                    % {"number": next_cycle.number},
                )
                return redirect("reviews:permit_reviews", permit.number)
        except ApplicationError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Your responses are saved."))
        return redirect("reviews:permit_corrections", permit.number)
    by_discipline = [
        (review, list(review.comments.all()))
        for review in next(c for c in reviews.cycles if c.pk == cycle.pk).reviews.all()
        if review.comments.all()
    ]
    return render(
        request,
        "reviews/permit_corrections.html",
        {
            "permit": permit,
            "cycle": cycle,
            "by_discipline": by_discipline,
            "to_answer": unanswered(cycle),
            "may_answer": may_answer,
            "may_upload": can_upload(request.user, permit),
            "upload_form": CorrectionUploadForm(
                documents=_documents_latest(application),
                needed=issuance_documents_missing(application),
            ),
            "documents": list(application.documents.select_related("requirement", "replaces")),
        },
    )


@login_required
@require_POST
@upload_limit("APPLICATION_DOCUMENT_MAX_BYTES")
def correction_upload_view(request: HttpRequest, number: str) -> HttpResponse:
    permit, reviews = _permit_and_reviews(request, number)
    return _upload_correction(request, permit, reviews.application)


def _upload_correction(request: HttpRequest, permit, application) -> HttpResponse:
    files = request.FILES
    if getattr(request, "upload_refused", False):
        messages.error(request, upload_refused_message(request))
        return redirect("reviews:permit_corrections", permit.number)
    form = CorrectionUploadForm(
        request.POST,
        files,
        documents=_documents_latest(application),
        needed=issuance_documents_missing(application),
    )
    if not form.is_valid():
        messages.error(
            request,
            _("Choose one of the documents listed: the latest version of each.")
            if "replaces" in form.errors
            else _("Choose a file to upload."),
        )
        return redirect("reviews:permit_corrections", permit.number)
    try:
        document = correction_document_upload(
            application=application,
            by=request.user,
            upload=form.cleaned_data["file"],
            replaces_id=form.cleaned_data["replaces"],
            requirement_id=form.cleaned_data["requirement"],
        )
    except ApplicationError as error:
        messages.error(
            request,
            _("%(file)s: %(problem)s") % {"file": form.cleaned_data["file"].name, "problem": error},
        )
    else:
        if document.replaces:
            text = _("%(file)s was uploaded as version %(version)s of %(original)s.") % {
                "file": document.original_name,
                "version": document.version,
                "original": document.replaces.original_name,
            }
        elif document.requirement:
            text = _("%(file)s was uploaded as the %(document)s.") % {
                "file": document.original_name,
                "document": document.requirement.name,
            }
        else:
            text = _("%(file)s was uploaded as a new document.") % {"file": document.original_name}
        messages.success(request, text)
    return redirect("reviews:permit_corrections", permit.number)


@login_required
@require_http_methods(["GET", "POST"])
@upload_limit("PERMIT_DOCUMENT_MAX_BYTES")
def condition_answer_view(request: HttpRequest, number: str, condition_id: int) -> HttpResponse:
    """Answer a condition of approval: how it is met, and a document. What was typed stays on
    the page when anything is refused."""
    permit, reviews = _permit_and_reviews(request, number)
    condition = get_object_or_404(
        ReviewCondition, pk=condition_id, review__cycle__application=reviews.application
    )
    back = reverse("permits:detail", args=[permit.number]) + "#conditions"
    if not can_answer_condition(request.user, permit):
        messages.error(
            request,
            _(
                "Answering a condition needs the Apply or Upload Files role at the permit's "
                "business: ask its Manager."
            ),
        )
        return redirect(back)
    if condition.is_met:
        messages.info(request, _("That condition is met: there is nothing to answer."))
        return redirect(back)
    form = ConditionAnswerForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        initial={"note": condition.answer},
        max_bytes=upload_max_bytes(request),
    )
    if request.method == "POST":
        if getattr(request, "upload_refused", False):
            form.is_valid()
            form.add_error("document", upload_refused_message(request))
        elif form.is_valid():
            try:
                condition_answer(
                    condition=condition,
                    by=request.user,
                    note=form.cleaned_data["note"],
                    upload=form.cleaned_data["document"],
                )
            except ApplicationError as error:
                form.add_error(None, str(error))
            else:
                messages.success(
                    request,
                    _(
                        "Your answer is sent: the permit office marks the condition met once it "
                        "has checked it."
                    ),
                )
                return redirect(back)
    return render(
        request,
        "reviews/condition_answer.html",
        {"permit": permit, "condition": condition, "form": form},
    )

"""Apply for a Permit: the public guide (types open online, their documents and a fee
estimator), My Applications, an application's page, its documents, submitting, withdrawing,
copying. (Its steps: step_views.py.) Every application a URL names is the user's own (the policy
module), or a 404.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.kept_forms import keeps_typed
from core.uploads import upload_limit, upload_refused_message
from permits.document_views import document_file_response
from policy.applications import (
    can_start_application,
    can_view_application,
    can_work_on_application,
    start_application_refusal,
)

from .answers import (
    AnswerError,
    check_answer,
    is_blank,
)
from .exceptions import ApplicationError, ApplicationIncomplete
from .forms import (
    ANSWER_PREFIX,
    DocumentUploadForm,
    EstimatorForm,
)
from .models import Application, ApplicationDocument
from .selectors import (
    address_suggestions,
    licenses_for_application,
    my_applications,
    open_template_for,
    open_templates_by_category,
    permit_types_not_open_online,
    template_parts,
)
from .services import (
    application_copy,
    application_delete,
    application_document_delete,
    application_document_upload,
    application_start,
    application_submit,
    application_withdraw,
)

# The public guide -----------------------------------------------------------------------------


@require_GET
def guide_view(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "applications/guide.html",
        {
            "categories": open_templates_by_category(),
            "offline_types": permit_types_not_open_online(),
            "may_apply": can_start_application(request.user),
            "why_not": start_application_refusal(request.user),
        },
    )


@require_GET
def type_view(request: HttpRequest, code: str) -> HttpResponse:
    """A type open online: what it is for, its documents, and the fee estimator (a GET form:
    the estimate is a link anyone can share)."""
    template = open_template_for(code)
    if template is None:
        raise Http404(_("That permit type is not open for online application."))
    parts = template_parts(template)
    questions = parts.estimator_questions
    form = EstimatorForm(request.GET or None, questions=questions)
    answers = form.answers() if form.is_bound else {}
    if form.is_bound and form.is_valid():
        # Each unusable answer is marked beside its field.
        for question in questions:
            raw = answers.get(question.key)
            if is_blank(raw):
                continue
            try:
                check_answer(question, raw)
            except AnswerError as error:
                form.add_error(ANSWER_PREFIX + question.key, str(error))
    estimate = parts.estimate(answers)
    return render(
        request,
        "applications/type.html",
        {
            "template": template,
            "parts": parts,
            "form": form,
            "estimate": estimate,
            "estimated": form.is_bound,
            **_may_apply_for(request.user, template.permit_type),
        },
    )


def _may_apply_for(user, permit_type) -> dict:
    """Whether the Apply button shows and, if not, why: who may apply at all (the policy),
    then whether any of their licenses may apply for this type (told here, not at the People
    step after the address is typed)."""
    if not can_start_application(user):
        return {"may_apply": False, "why_not": start_application_refusal(user)}
    offered, why = licenses_for_application(user, permit_type)
    if not offered:
        return {"may_apply": False, "why_not": why}
    return {"may_apply": True, "why_not": ""}


@login_required
@require_POST
def start_view(request: HttpRequest, code: str) -> HttpResponse:
    template = open_template_for(code)
    if template is None:
        messages.error(request, _("That permit type is not open for online application."))
        return redirect("applications:guide")
    if not (may := _may_apply_for(request.user, template.permit_type))["may_apply"]:
        messages.error(request, may["why_not"])
        return redirect("applications:type", code=template.permit_type.code)
    try:
        application = application_start(template=template, applicant=request.user)
    except ApplicationError as error:
        messages.error(request, str(error))
        return redirect("applications:type", code=template.permit_type.code)
    messages.success(
        request,
        _(
            "Application %(reference)s started. It is saved at every step: come back to it "
            "from My Applications."
        )
        % {"reference": application.reference},
    )
    return redirect("applications:step", application.reference, "location")


# My Applications ------------------------------------------------------------------------------


@login_required
@require_GET
def my_applications_view(request: HttpRequest) -> HttpResponse:
    page = Paginator(my_applications(request.user), 20).get_page(request.GET.get("page"))
    return render(
        request,
        "applications/mine.html",
        {
            "page": page,
            "may_apply": can_start_application(request.user),
            "draft_days": settings.APPLICATION_DRAFT_DAYS,
        },
    )


def application_for(request: HttpRequest, reference: str) -> Application:
    """The application the URL names, if it is the user's: otherwise a 404."""
    application = get_object_or_404(
        Application.objects.select_related("template__permit_type", "license__holder", "permit"),
        reference=reference.upper(),
    )
    if not can_view_application(request.user, application):
        raise Http404(_("No such application."))
    return application


@login_required
@require_GET
def detail_view(request: HttpRequest, reference: str) -> HttpResponse:
    """An application at a glance: where a draft stands, or what was submitted and decided."""
    application = application_for(request, reference)
    submissions = list(application.submissions.all())
    return render(
        request,
        "applications/detail.html",
        {
            "application": application,
            "submissions": submissions,
            "latest": submissions[-1] if submissions else None,
            "may_work": can_work_on_application(request.user, application),
            "may_copy": can_start_application(request.user)
            and open_template_for(application.template.permit_type.code) is not None,
        },
    )


@login_required
@require_GET
def addresses_view(request: HttpRequest) -> JsonResponse:
    """Addresses of the city's permits for the Location step's suggestions."""
    return JsonResponse({"addresses": address_suggestions(request.GET.get("q", "")[:100])})


# Actions --------------------------------------------------------------------------------------


def submit(request: HttpRequest, application: Application) -> HttpResponse:
    try:
        submission = application_submit(application=application, by=request.user)
    except ApplicationIncomplete as error:
        count = len(error.missing)
        messages.error(
            request,
            ngettext(
                "Not submitted: %(count)s item(s) still missing, listed below.",
                "Not submitted: %(count)s item(s) still missing, listed below.",
                count,
            )
            % {"count": count},
        )
        return redirect("applications:step", application.reference, "review")
    except ApplicationError as error:
        messages.info(request, str(error))
        return redirect("applications:detail", application.reference)
    application.refresh_from_db()
    messages.success(
        request,
        _(
            "Submitted: permit application %(number)s (submission %(submission)s). The city "
            "reviews it for completeness and emails you."
        )
        % {"number": application.permit.number, "submission": submission.number},
    )
    return redirect("applications:detail", application.reference)


@keeps_typed
@login_required
@require_http_methods(["GET", "POST"])
def submit_view(request: HttpRequest, reference: str) -> HttpResponse:
    application = application_for(request, reference)
    if request.method == "GET":  # a bookmarked or typed address: the page that submits
        return redirect("applications:step", application.reference, "review")
    return submit(request, application)


@login_required
@require_POST
@upload_limit("APPLICATION_DOCUMENT_MAX_BYTES")
def document_upload_view(request: HttpRequest, reference: str) -> HttpResponse:
    application = application_for(request, reference)
    back = reverse("applications:step", args=[application.reference, "documents"])
    files = request.FILES  # reads the body: core.uploads marks a file past the limit
    if getattr(request, "upload_refused", False):
        messages.error(request, upload_refused_message(request))
        return redirect(back)
    parts = template_parts(application.template)
    form = DocumentUploadForm(request.POST, files, requirements=parts.documents)
    if not form.is_valid():
        for field in form.errors:
            messages.error(
                request,
                _("Choose a file to upload.")
                if field == "file"
                else _("Choose which document it is."),
            )
        return redirect(back)
    try:
        document = application_document_upload(
            application=application,
            requirement_id=form.cleaned_data["requirement"],
            upload=form.cleaned_data["file"],
            by=request.user,
        )
    except ApplicationError as error:
        messages.error(request, str(error))
    else:
        if document.requirement:
            text = _("%(file)s was uploaded as %(document)s.") % {
                "file": document.original_name,
                "document": document.requirement.name,
            }
        else:
            text = _("%(file)s was uploaded as an extra document.") % {
                "file": document.original_name
            }
        messages.success(request, text)
    return redirect(back)


def _document_for(request: HttpRequest, reference: str, document_id: int) -> ApplicationDocument:
    application = application_for(request, reference)
    return get_object_or_404(
        ApplicationDocument.objects.select_related("application"),
        pk=document_id,
        application=application,
    )


@login_required
@require_GET
def document_download_view(request: HttpRequest, reference: str, document_id: int) -> FileResponse:
    document = _document_for(request, reference, document_id)
    return document_file_response(document)


@login_required
@require_POST
def document_delete_view(request: HttpRequest, reference: str, document_id: int) -> HttpResponse:
    document = _document_for(request, reference, document_id)
    try:
        application_document_delete(document=document, by=request.user)
    except ApplicationError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("%(file)s was removed.") % {"file": document.original_name})
    return redirect("applications:step", reference.upper(), "documents")


@login_required
@require_POST
def withdraw_view(request: HttpRequest, reference: str) -> HttpResponse:
    application = application_for(request, reference)
    try:
        application_withdraw(application=application, by=request.user)
    except ApplicationError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("Application %(reference)s was withdrawn.") % {"reference": application.reference},
        )
    return redirect("applications:detail", application.reference)


@login_required
@require_POST
def delete_view(request: HttpRequest, reference: str) -> HttpResponse:
    application = application_for(request, reference)
    try:
        application_delete(application=application, by=request.user)
    except ApplicationError as error:
        messages.error(request, str(error))
        return redirect("applications:detail", application.reference)
    messages.success(
        request, _("Draft %(reference)s was deleted.") % {"reference": application.reference}
    )
    return redirect("applications:mine")


@login_required
@require_POST
def copy_view(request: HttpRequest, reference: str) -> HttpResponse:
    application = application_for(request, reference)
    try:
        copy = application_copy(application=application, by=request.user)
    except ApplicationError as error:
        messages.error(request, str(error))
        return redirect("applications:detail", application.reference)
    messages.success(
        request,
        _(
            "Application %(reference)s was started from %(original)s: check each step, and "
            "upload its documents."
        )
        % {"reference": copy.reference, "original": application.reference},
    )
    return redirect("applications:step", copy.reference, "location")

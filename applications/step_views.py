"""The signed-in application, step by step: Type, Location, People, Details, Documents, Fees,
Review and Submit. Every step saves what was typed, valid or not, so nothing is lost to an error,
a closed tab or a session that timed out (core.kept_forms); "Save and continue" moves on only when
the step is right, "Save and finish later" always goes back to My Applications."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.kept_forms import keeps_typed
from policy.applications import (
    can_upload_to_application,
    can_work_on_application,
)

from .answers import (
    answer_errors,
    display_answer,
    problem_named,
    visible_questions,
)
from .exceptions import ApplicationError
from .forms import (
    ANSWER_PREFIX,
    AnswersForm,
    AttestationForm,
    ContactForm,
    DocumentUploadForm,
    LocationForm,
    PeopleForm,
)
from .models import Application, ApplicationContact, TemplateStatus
from .selectors import (
    STEP_SLUGS,
    STEPS,
    application_progress,
    licenses_for_application,
    template_parts,
)
from .services import (
    application_attest,
    application_contact_add,
    application_contact_remove,
    application_mark_step,
    application_save_answers,
    application_save_location,
    application_save_people,
    application_step_visited,
    application_upgrade,
)
from .views import application_for, submit

# The steps ------------------------------------------------------------------------------------


def _next_step(step: str) -> str:
    index = STEP_SLUGS.index(step)
    return STEP_SLUGS[min(index + 1, len(STEP_SLUGS) - 1)]


def _after_save(request: HttpRequest, application: Application, step: str, valid: bool):
    """Where a saved step goes: My Applications (finish later), the step before (Back), a
    step of the list (a step link clicked with changes on the page), or on to the next step
    when what was typed is right (None: the step shows its errors)."""
    action = request.POST.get("action", "")
    if action == "later":
        if application.expires_on:
            text = _(
                "Saved. Application %(reference)s is in My Applications, kept until %(date)s."
            ) % {
                "reference": application.reference,
                "date": date_format(application.expires_on, _("F j, Y")),
            }
        else:
            text = _("Saved. Application %(reference)s is in My Applications.") % {
                "reference": application.reference
            }
        messages.success(request, text)
        return redirect("applications:mine")
    if action == "back":
        index = STEP_SLUGS.index(step)
        return redirect("applications:step", application.reference, STEP_SLUGS[max(index - 1, 0)])
    if action.startswith("goto:") and action.removeprefix("goto:") in STEP_SLUGS:
        return redirect("applications:step", application.reference, action.removeprefix("goto:"))
    if valid:
        return redirect("applications:step", application.reference, _next_step(step))
    return None


def _error_summary(form) -> list[tuple[str, str]]:
    """Each error of a step's form (what is wrong, naming the field; the field's id), listed
    at the top of the page: on a phone the field can be a long way down."""
    if form is None or not form.is_bound:
        return []
    summary = []
    for name, errors in form.errors.items():
        if name in form.fields:
            bound = form[name]
            # A question's own words, not its label's "(required)".
            label = getattr(bound.field, "question_label", None) or bound.label or name
            anchor = bound.id_for_label or bound.auto_id
        else:
            label, anchor = "", ""
        summary += [
            (problem_named(label, message) if label else message, anchor) for message in errors
        ]
    return summary


@keeps_typed
@login_required
@require_http_methods(["GET", "POST"])
def step_view(request: HttpRequest, reference: str, step: str) -> HttpResponse:
    application = application_for(request, reference)
    if step not in STEP_SLUGS:
        raise Http404(_("No such step."))
    if not application.is_editable:
        messages.info(
            request,
            _("Application %(reference)s is %(status)s: it can no longer be changed.")
            % {"reference": application.reference, "status": application.get_status_display()},
        )
        return redirect("applications:detail", application.reference)
    if not can_work_on_application(request.user, application):
        messages.error(
            request,
            _(
                "Changing this application needs the Apply role at its business: ask your "
                "business's manager."
            ),
        )
        return redirect("applications:detail", application.reference)
    if application.template.status != TemplateStatus.PUBLISHED:
        changed = application_upgrade(application=application)
        application.refresh_from_db()
        if changed:
            messages.warning(
                request,
                _(
                    "The city has updated this application form. Confirm your answers to the "
                    "questions that changed: %(questions)s."
                )
                % {"questions": "; ".join(changed)},
            )
    data = request.POST if request.method == "POST" else getattr(request, "kept_post", None)
    handler = STEP_HANDLERS[step]
    response = handler(request, application, data)
    if isinstance(response, HttpResponse):
        return response
    parts, context = response
    context["error_summary"] = _error_summary(context.get("form")) + _error_summary(
        context.get("contact_form")
    )
    progress = application_progress(application, parts, user=request.user)
    application_step_visited(application=application, step=step)
    steps = [
        {
            "slug": slug,
            "label": label,
            "number": number,
            "complete": slug in application.steps_saved and progress.step_complete(slug),
        }
        for number, (slug, label) in enumerate(STEPS, start=1)
    ]
    return render(
        request,
        f"applications/step_{step}.html",
        {
            "application": application,
            "step": step,
            "steps": steps,
            # The bar shows the steps complete, not how far along the list this page is.
            "steps_complete": sum(1 for s in steps if s["complete"]),
            "step_number": STEP_SLUGS.index(step) + 1,
            "step_count": len(STEPS),
            "progress": progress,
            "parts": parts,
            # Returned as incomplete: the clerk's reasons stay in sight on every step.
            "returned": application.submissions.order_by("-pk").first()
            if application.status == "returned"
            else None,
            **context,
        },
    )


def _kept_notice(request: HttpRequest) -> None:
    if getattr(request, "kept_post", None) is not None:
        messages.success(request, _("What you typed before you were signed out was saved."))


def _type_step(request, application, data):
    parts = template_parts(application.template)
    if data is not None:
        application_mark_step(application=application, by=request.user, step="type")
        response = _after_save(request, application, "type", True)
        if response:
            return response
    return parts, {}


def _location_step(request, application, data):
    parts = template_parts(application.template)
    if data is not None:
        form = LocationForm(data)
        valid = form.is_valid()
        application_save_location(application=application, by=request.user, values=data)
        _kept_notice(request)
        response = _after_save(request, application, "location", valid)
        if response:
            return response
    else:
        form = LocationForm(
            initial={name: getattr(application, name) for name in LocationForm.base_fields}
        )
    return parts, {"form": form}


def _people_step(request, application, data):
    """One form: the license professional, the owner and the other contacts. Adding or
    removing a contact saves what was typed in the rest of the step first."""
    parts = template_parts(application.template)
    licenses, why = licenses_for_application(request.user, application.template.permit_type)
    contact_form = ContactForm(prefix="contact")
    form = None
    if data is not None:
        form = PeopleForm(data, licenses=licenses, why=why)
        valid = form.is_valid()
        license_id = form.cleaned_data.get("license") if "license" in form.cleaned_data else None
        try:
            application_save_people(
                application=application,
                by=request.user,
                license_id=license_id,
                owner_name=data.get("owner_name", ""),
                owner_email=data.get("owner_email", ""),
            )
        except ApplicationError as error:
            form.add_error("license", str(error))
            valid = False
        _kept_notice(request)
        action = data.get("action", "") or "continue"
        contacts_url = (
            reverse("applications:step", args=[application.reference, "people"]) + "#contacts"
        )
        if action.startswith("remove_contact:"):
            contact_id = action.removeprefix("remove_contact:")
            if not contact_id.isdigit():
                raise Http404(_("No such contact."))
            contact = get_object_or_404(
                ApplicationContact, pk=int(contact_id), application=application
            )
            application_contact_remove(contact=contact, by=request.user)
            messages.success(request, _("%(email)s was removed.") % {"email": contact.email})
            return redirect(contacts_url)
        # A contact typed in is added with any button (Enter, Save and continue): never lost.
        typed_contact = any(data.get(f"contact-{name}", "").strip() for name in ("name", "email"))
        if action == "add_contact" or typed_contact:
            contact_form = ContactForm(data, prefix="contact")
            if contact_form.is_valid():
                try:
                    application_contact_add(
                        application=application, by=request.user, **contact_form.cleaned_data
                    )
                except ApplicationError as error:
                    contact_form.add_error("email", str(error))
                else:
                    messages.success(
                        request,
                        _("%(email)s was added as a contact.")
                        % {"email": contact_form.cleaned_data["email"]},
                    )
                    contact_form = ContactForm(prefix="contact")
                    if action == "add_contact":
                        return redirect(contacts_url)
            if contact_form.errors:
                if action == "add_contact":
                    form = None  # the rest is saved: shown from the application, without errors
                return _people_context(application, parts, licenses, why, form, contact_form)
        response = _after_save(request, application, "people", valid)
        if response:
            return response
    return _people_context(application, parts, licenses, why, form, contact_form)


def _people_context(application, parts, licenses, why, form, contact_form):
    if form is None:
        form = PeopleForm(
            initial={
                "license": application.license_id,
                "owner_name": application.owner_name,
                "owner_email": application.owner_email,
            },
            licenses=licenses,
            why=why,
        )
    return parts, {
        "form": form,
        "contact_form": contact_form,
        "contacts": list(application.contacts.all()),
    }


def _details_step(request, application, data):
    parts = template_parts(application.template)
    questions = parts.questions
    if data is not None:
        form = AnswersForm(data, questions=questions)
        typed = form.typed_answers()
        tampered = [
            name
            for name in data
            if name.startswith(ANSWER_PREFIX) and name[len(ANSWER_PREFIX) :] not in typed
        ]
        if tampered:
            messages.warning(
                request,
                _(
                    "Some answers did not match this application's questions and were not "
                    "kept: reload the page if the form looks out of date."
                ),
            )
        dropped = application_save_answers(
            application=application, by=request.user, answers=typed, keys=set(typed)
        )
        for label in dropped:
            messages.info(
                request,
                _(
                    "Your answer to “%(question)s” was not kept: that question applies only "
                    "with another answer above it."
                )
                % {"question": label},
            )
        form.is_valid()
        # The rules of applications.answers, on what was kept (a hidden question has none).
        for key, message in answer_errors(questions, application.answers).items():
            if not form.has_error(ANSWER_PREFIX + key):
                form.add_error(ANSWER_PREFIX + key, message)
        _kept_notice(request)
        response = _after_save(request, application, "details", not form.errors)
        if response:
            return response
    else:
        initial = {ANSWER_PREFIX + key: value for key, value in application.answers.items()}
        form = AnswersForm(initial=initial, questions=questions)
    shown = {question.key for question in visible_questions(questions, application.answers)}
    sections = [
        (
            title,
            [
                {
                    "question": question,
                    "field": form[ANSWER_PREFIX + question.key],
                    "shown": question.key in shown,
                    "to_confirm": question.key in application.to_confirm,
                    "depends_on": parts.question(question.show_if_key)
                    if question.show_if_key
                    else None,
                    "depends_value": _depends_value(parts, question),
                }
                for question in section_questions
            ],
        )
        for title, section_questions in parts.sections.items()
    ]
    return parts, {"form": form, "sections": sections}


def _depends_value(parts, question) -> str:
    """The answer that shows a question, as the page says it ("Yes" in the reader's
    language)."""
    controlling = parts.question(question.show_if_key) if question.show_if_key else None
    if controlling is None:
        return question.show_if_value
    return controlling.option_label(question.show_if_value)


def _documents_step(request, application, data):
    parts = template_parts(application.template)
    if data is not None:
        application_mark_step(application=application, by=request.user, step="documents")
        response = _after_save(request, application, "documents", True)
        if response:
            return response
    documents = list(application.documents.select_related("requirement"))
    checklist = [
        {
            "requirement": requirement,
            "documents": [doc for doc in documents if doc.requirement_id == requirement.pk],
        }
        for requirement in parts.documents
    ]
    return parts, {
        "checklist": checklist,
        "extra_documents": [doc for doc in documents if doc.requirement_id is None],
        "upload_form": DocumentUploadForm(
            requirements=parts.documents,
            # Those needed to submit first, then those needed before issuance.
            missing=[
                item["requirement"].pk
                for item in sorted(
                    checklist, key=lambda item: not item["requirement"].needed_to_submit
                )
                if not item["documents"]
            ],
        ),
        "may_upload": can_upload_to_application(request.user, application),
    }


def _fees_step(request, application, data):
    parts = template_parts(application.template)
    if data is not None:
        application_mark_step(application=application, by=request.user, step="fees")
        response = _after_save(request, application, "fees", True)
        if response:
            return response
    return parts, {"estimate": parts.estimate(application.answers)}


def _review_step(request, application, data):
    parts = template_parts(application.template)
    if data is not None:
        form = AttestationForm(data, full_name=request.user.get_full_name())
        valid = form.is_valid()
        application_attest(
            application=application,
            by=request.user,
            name=data.get("attestation", "") if data.get("agree") else "",
        )
        _kept_notice(request)
        if request.POST.get("action", "continue") != "continue":
            return _after_save(request, application, "review", valid)
        if valid:
            return submit(request, application)
    else:
        form = AttestationForm(
            full_name=request.user.get_full_name(),
            initial={
                "agree": bool(application.attestation_name),
                "attestation": application.attestation_name,
            },
        )
    answers = application.answers
    shown = visible_questions(parts.questions, answers)
    sections = [
        (
            title,
            [
                (question, display_answer(question, answers.get(question.key)))
                for question in questions
                if question in shown
            ],
        )
        for title, questions in parts.sections.items()
    ]
    return parts, {
        "form": form,
        "sections": sections,
        "estimate": parts.estimate(answers),
        "documents": list(application.documents.select_related("requirement")),
        "contacts": list(application.contacts.all()),
        "missing": [
            (item.text, item.url(application))
            for item in application_progress(
                application, parts, user=request.user, attesting=False
            ).missing
        ],
    }


STEP_HANDLERS = {
    "type": _type_step,
    "location": _location_step,
    "people": _people_step,
    "details": _details_step,
    "documents": _documents_step,
    "fees": _fees_step,
    "review": _review_step,
}

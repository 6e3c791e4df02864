"""Submitting (the permit numbered and made, the submission kept as it was), withdrawing,
deleting a draft, copying an application."""

import datetime
from collections.abc import Mapping
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from permits.models import (
    ContactType,
    Permit,
    PermitContact,
    PermitLicense,
    PermitStatus,
)
from permits.scopes import record_license_ids
from permits.services import permit_number_next, registered_user
from policy.applications import (
    application_businesses,
    can_start_application,
    can_work_on_application,
)

from ..answers import display_answer, is_blank, visible_questions
from ..exceptions import ApplicationError, ApplicationIncomplete
from ..models import (
    Application,
    ApplicationContact,
    ApplicationStatus,
    QuestionFills,
    Submission,
    SubmissionOutcome,
    TemplateStatus,
)
from ..selectors import application_progress, template_parts
from .drafts import LOCATION_FIELDS, NOT_YOURS, _check_editable, application_start

# Submitting -----------------------------------------------------------------------------------


def application_snapshot(application: Application, parts, estimate) -> dict:
    """What the application says, as it is read at intake: every shown answer with its
    question as it was asked, the location, people, documents and fees."""
    contacts = list(application.contacts.all())
    shown = visible_questions(parts.questions, application.answers)
    return {
        "form": {
            "permit_type": application.template.permit_type.name,
            "code": application.template.permit_type.code,
            "version": application.template.version,
        },
        "location": {name: getattr(application, name) for name in LOCATION_FIELDS},
        "people": {
            "business": str(application.business) if application.business_id else "",
            "license": application.license.number if application.license_id else "",
            "owner_name": application.owner_name,
            "owner_email": application.owner_email,
            "contacts": [
                {
                    "name": contact.name,
                    "email": contact.email,
                    "type": contact.get_contact_type_display(),
                }
                for contact in contacts
            ],
        },
        "sections": [
            {
                "title": title,
                "answers": [
                    {
                        "key": question.key,
                        "question": question.label,
                        "answer": display_answer(question, application.answers.get(question.key)),
                    }
                    for question in questions
                    if question in shown
                ],
            }
            for title, questions in parts.sections.items()
        ],
        "documents": [
            {
                "id": document.pk,
                "requirement": document.requirement.name
                if document.requirement
                else pgettext("document", "Other"),
                "name": document.original_name,
                "size": document.size,
                "sha256": document.sha256,
                "uploaded_at": document.uploaded_at.isoformat(),
            }
            for document in application.documents.select_related("requirement")
        ],
        "fees": estimate.as_data(),
        "estimated_total": str(estimate.total),
        "attestation": application.attestation_name,
    }


def _answer_for(parts, answers: Mapping, fills: str) -> str:
    question = next((q for q in parts.questions if q.fills == fills), None)
    if question is None:
        return ""
    raw = answers.get(question.key)
    return "" if is_blank(raw) or isinstance(raw, list) else str(raw).strip()


def _permit_fields(application: Application, parts) -> dict:
    valuation = _answer_for(parts, application.answers, QuestionFills.VALUATION)
    return {
        **{name: getattr(application, name) for name in LOCATION_FIELDS},
        "state": application.state[:2],
        "description": _answer_for(parts, application.answers, QuestionFills.DESCRIPTION)
        or application.template.permit_type.name,
        "valuation": Decimal(valuation.replace(",", "").replace("$", "") or "0"),
        "owner_name": application.owner_name,
    }


@transaction.atomic
def application_submit(
    *, application: Application, by, on: datetime.date | None = None
) -> Submission:
    """Submit the application (first time, or again after it was returned): refused with the
    list of what is missing until nothing is; then, in one transaction, its permit (numbered
    from the type's scheme, in Submitted, with the license professional, owner, contacts,
    valuation and description), the submission's snapshot and fee estimate, and the emails. A
    second click waits for the first and is refused: one permit."""
    application = (
        # FOR NO KEY UPDATE: a second Submit of this application waits here, while a copy of
        # it (copied_from) can still commit (its key check would wait for FOR UPDATE:
        # deadlock, tests/applications/test_concurrency.py).
        Application.objects.select_for_update(of=("self",), no_key=True)
        .select_related("template__permit_type", "license", "business")
        .get(pk=application.pk)
    )
    if application.status not in (ApplicationStatus.DRAFT, ApplicationStatus.RETURNED):
        raise ApplicationError(
            _("Application %(reference)s was already submitted (%(status)s).")
            % {"reference": application.reference, "status": application.get_status_display()}
        )
    _check_editable(application, by)
    if application.template.status != TemplateStatus.PUBLISHED:
        raise ApplicationError(
            _(
                "The city has changed this application form: open the Details step to see what "
                "changed before submitting."
            )
        )
    parts = template_parts(application.template)
    progress = application_progress(application, parts, user=by)
    if not progress.complete:
        raise ApplicationIncomplete(progress.missing)
    estimate = parts.estimate(application.answers)
    fields = _permit_fields(application, parts)
    today = on or timezone.localdate()  # `on`: the demo city seeds its own day
    if application.permit_id is None:
        permit = Permit.objects.create(
            number=permit_number_next(permit_type=application.template.permit_type, on=today),
            permit_type=application.template.permit_type,
            applied_on=today,
            **fields,
        )
        application.permit = permit
    else:
        permit = Permit.objects.select_for_update(no_key=True).get(pk=application.permit_id)
        for name, value in fields.items():
            setattr(permit, name, value)
        permit.save()
        PermitLicense.objects.filter(permit=permit).exclude(license=application.license).delete()
    PermitLicense.objects.get_or_create(permit=permit, license=application.license)
    _name_contacts(application, permit, by)
    number = application.submissions.count() + 1
    submission = Submission.objects.create(
        application=application,
        number=number,
        snapshot=application_snapshot(application, parts, estimate),
        estimated_fees=estimate.total,
        submitted_by=by,
    )
    application.documents.update(submitted=True)
    application.estimated_fees = estimate.total
    application.save(update_fields=["permit", "estimated_fees", "updated_at"])
    if permit.status == PermitStatus.RETURNED:
        permit.move_to(
            PermitStatus.SUBMITTED,
            by=by,
            note=_("Application %(reference)s resubmitted (submission %(number)s)")
            % {"reference": application.reference, "number": number},
        )
    # Its event (application.submitted) is heard by the applicant, the owner and the contacts.
    application.move_to(
        ApplicationStatus.SUBMITTED,
        by=by,
        note=(
            _("Submission %(number)s (resubmitted)") if number > 1 else _("Submission %(number)s")
        )
        % {"number": number},
        submission=submission,
    )
    return submission


def _name_contacts(application: Application, permit: Permit, by) -> None:
    """The contacts with an account become the permit's contacts, and so does the applicant
    if the permit's license does not already make it one of their records. (It always does
    today: an applicant applies for a business where they hold Apply. A contact on a permit
    moves their dashboard and My Records off the per-license reads, which serve a contractor
    with 50,000 permits in milliseconds: docs/performance.md.)"""
    if application.license_id not in record_license_ids(by):
        PermitContact.objects.get_or_create(
            permit=permit,
            user=by,
            defaults={"contact_type": ContactType.APPLICANT, "added_by": by},
        )
    for contact in application.contacts.all():
        user = registered_user(contact.email)
        if user is not None:
            PermitContact.objects.get_or_create(
                permit=permit,
                user=user,
                defaults={"contact_type": contact.contact_type, "added_by": by},
            )


@transaction.atomic
def application_withdraw(*, application: Application, by, reason: str = "") -> Application:
    """The applicant takes a submitted (or returned) application back before review starts:
    its permit is cancelled."""
    if not can_work_on_application(by, application):
        raise ApplicationError(str(NOT_YOURS))
    application.move_to(
        ApplicationStatus.WITHDRAWN,
        by=by,
        note=reason[:200] or pgettext("application status", "Withdrawn"),
    )
    if (waiting := _waiting_submission(application)) is not None:
        waiting.move_to(
            SubmissionOutcome.WITHDRAWN,
            by=by,
            note=reason[:200] or pgettext("application status", "Withdrawn"),
            changes={"decided_at": timezone.now(), "decided_by": by},
        )
    if application.permit_id:
        Permit.objects.get(pk=application.permit_id).move_to(
            PermitStatus.CANCELLED, by=by, note=_("Application withdrawn by the applicant")
        )
    return application


@transaction.atomic
def application_delete(*, application: Application, by) -> None:
    """A draft never submitted goes, with its files."""
    if not can_work_on_application(by, application):
        raise ApplicationError(str(NOT_YOURS))
    application = Application.objects.select_for_update().get(pk=application.pk)
    if application.status != ApplicationStatus.DRAFT or application.submissions.exists():
        raise ApplicationError(_("Only a draft that was never submitted can be deleted."))
    stored = [(doc.file.storage, doc.file.name) for doc in application.documents.all()]
    application.delete()
    transaction.on_commit(lambda: [storage.delete(name) for storage, name in stored])


@transaction.atomic
def application_copy(*, application: Application, by) -> Application:
    """A new draft with this application's location, people, contacts and answers, on the
    type's form as published now (answers to questions it no longer asks are left behind).
    Documents are not copied: each application has its own."""
    from ..selectors import open_template_for

    if not can_work_on_application(by, application) and not (
        application.applicant_id == by.pk and can_start_application(by)
    ):
        raise ApplicationError(str(NOT_YOURS))
    template = open_template_for(application.template.permit_type.code)
    if template is None:
        raise ApplicationError(
            _("%(permit_type)s permits are no longer open for online application.")
            % {"permit_type": application.template.permit_type.name}
        )
    copy = application_start(template=template, applicant=by)
    for name in LOCATION_FIELDS:
        setattr(copy, name, getattr(application, name))
    allowed = application_businesses(by)
    if application.license_id and application.license_id in allowed.get(
        application.business_id, ()
    ):
        copy.business_id, copy.license_id = application.business_id, application.license_id
    copy.owner_name, copy.owner_email = application.owner_name, application.owner_email
    keys = {question.key for question in template_parts(template).questions}
    copy.answers = {key: value for key, value in application.answers.items() if key in keys}
    copy.copied_from = application
    copy.steps_saved = ["type"]
    copy.save()
    ApplicationContact.objects.bulk_create(
        ApplicationContact(
            application=copy, name=c.name, email=c.email, contact_type=c.contact_type
        )
        for c in application.contacts.all()
    )
    return copy


def _waiting_submission(application: Application) -> Submission | None:
    """The submission waiting for the clerk (none once it is decided or withdrawn: the move
    is then refused)."""
    waiting = application.submissions.filter(outcome=SubmissionOutcome.WAITING)
    return waiting.order_by("-number").first()

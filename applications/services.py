"""Every write to online applications: starting, saving each step, documents, submitting,
withdrawing, copying and deleting (the applicant); publishing forms, accepting and returning at
intake (staff); expiring drafts (Celery beat).

The applicant's writes re-ask the policy (permits.access); every status moves through the
status machine. A draft keeps what was typed, valid or not: the pages say what is wrong, and
submitting refuses until nothing is.
"""

import datetime
import hashlib
from collections.abc import Mapping
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.events import event_record
from core.uploads import document_save, upload_checked
from permits.access import (
    application_businesses,
    can_start_application,
    can_upload_to_application,
    can_work_on_application,
    record_license_ids,
)
from permits.models import (
    ADDRESS_FIELDS,
    ContactType,
    Permit,
    PermitContact,
    PermitLicense,
    PermitStatus,
)
from permits.services import permit_number_next, registered_user

from .answers import display_answer, is_blank, visible_questions
from .exceptions import ApplicationError, ApplicationIncomplete
from .models import (
    Application,
    ApplicationContact,
    ApplicationDocument,
    ApplicationStatus,
    ApplicationTemplate,
    DocumentRequirement,
    QuestionFills,
    QuestionKind,
    Submission,
    SubmissionOutcome,
    TemplateStatus,
)
from .selectors import application_progress, template_parts

NOT_YOURS = "This application is not one you can change."
NOT_EDITABLE = "This application was submitted: it changes only if the city returns it to you."

# The Location step is the permit's address (its parcel number included).
LOCATION_FIELDS = ADDRESS_FIELDS


def _check_editable(application: Application, by) -> None:
    """Refuse unless `by` may change the application and it is (in the database, row locked
    until the write commits) a draft or returned."""
    if application.pk is not None:
        application.refresh_from_db(
            fields=["status"],
            from_queryset=Application.objects.select_for_update(no_key=True),
        )
    if not can_work_on_application(by, application):
        raise ApplicationError(NOT_YOURS)
    if not application.is_editable:
        raise ApplicationError(NOT_EDITABLE)


def _clip(application: Application, name: str, value: str) -> str:
    # What was typed is kept, up to the column's size (the form says when it is too long).
    return (value or "").strip()[: application._meta.get_field(name).max_length]


def _saved(application: Application, step: str, fields: list[str]) -> Application:
    if step not in application.steps_saved:
        application.steps_saved = [*application.steps_saved, step]
    if application.status == ApplicationStatus.DRAFT:
        application.touch_expiry()
        fields += ["expires_on", "reminded_on"]
    application.save(update_fields=[*fields, "steps_saved", "updated_at"])
    return application


# Starting -------------------------------------------------------------------------------------


@transaction.atomic
def application_start(*, template: ApplicationTemplate, applicant) -> Application:
    """A new draft on the type's published form, with its reference."""
    if not can_start_application(applicant):
        raise ApplicationError(
            "Applying online needs the Apply role at a business holding an active license."
        )
    if template.status != TemplateStatus.PUBLISHED or not template.permit_type.is_active:
        raise ApplicationError(
            f"{template.permit_type.name} permits are not open for online application."
        )
    businesses = [business for business, licenses in application_businesses(applicant).items()]
    application = Application(
        template=template,
        applicant=applicant,
        state=settings.CITY_STATE,
        city=settings.CITY_NAME.removeprefix("City of ").strip(),
        steps_saved=["type"],
    )
    if len(businesses) == 1:
        application.business_id = businesses[0]
    application.touch_expiry()
    application.save()
    return application


# Saving steps ---------------------------------------------------------------------------------


@transaction.atomic
def application_save_location(*, application: Application, by, values: Mapping) -> Application:
    _check_editable(application, by)
    for name in LOCATION_FIELDS:
        if name in values:
            value = _clip(application, name, values[name])
            setattr(application, name, value.upper() if name == "state" else value)
    return _saved(application, "location", list(LOCATION_FIELDS))


@transaction.atomic
def application_save_people(
    *, application: Application, by, license_id: int | None, owner_name: str, owner_email: str
) -> Application:
    """The license professional (one of the active licenses of a business where `by` holds
    Apply: the business follows from it), and the owner as typed."""
    _check_editable(application, by)
    fields = ["owner_name", "owner_email", "business", "license"]
    if license_id is None:  # "Choose a license": none chosen any more
        application.business_id = application.license_id = None
    else:
        business = next(
            (
                business
                for business, licenses in application_businesses(by).items()
                if license_id in licenses
            ),
            None,
        )
        if business is None:
            raise ApplicationError("Choose one of your businesses' active licenses.")
        application.business_id, application.license_id = business, license_id
    application.owner_name = _clip(application, "owner_name", owner_name)
    application.owner_email = _clip(application, "owner_email", owner_email)
    return _saved(application, "people", fields)


@transaction.atomic
def application_contact_add(
    *, application: Application, by, email: str, contact_type: str, name: str = ""
) -> ApplicationContact:
    _check_editable(application, by)
    if contact_type not in dict(ApplicationContact.CONTACT_TYPES):
        raise ApplicationError("Choose a contact type.")
    email = email.strip().lower()
    if application.contacts.filter(email__iexact=email).exists():
        raise ApplicationError(f"{email} is already a contact on this application.")
    if application.contacts.count() >= 10:
        raise ApplicationError("An application names at most 10 other contacts.")
    contact = ApplicationContact.objects.create(
        application=application, email=email, contact_type=contact_type, name=name.strip()[:200]
    )
    _saved(application, "people", [])
    return contact


@transaction.atomic
def application_contact_remove(*, contact: ApplicationContact, by) -> None:
    _check_editable(contact.application, by)
    contact.delete()


def _typed(question, raw) -> str | list[str]:
    if question.kind == QuestionKind.MULTIPLE_CHOICE:
        items = raw if isinstance(raw, list) else [raw]
        return [str(item)[:200] for item in items if str(item).strip()]
    if isinstance(raw, list):
        raw = raw[-1] if raw else ""
    return str(raw).strip()[:5000]


@transaction.atomic
def application_save_answers(
    *, application: Application, by, answers: Mapping, keys: set[str] | None = None
) -> list[str]:
    """Keep the answers as typed to the questions of the application's form (`keys`: the
    questions the page showed; their answers left out are cleared). An answer to a question
    its conditions hide is not kept: returns the labels of those dropped. Questions the city
    changed are confirmed by saving them."""
    _check_editable(application, by)
    parts = template_parts(application.template)
    known = {question.key: question for question in parts.questions}
    stored = {key: value for key, value in application.answers.items() if key in known}
    for key in keys if keys is not None else set(answers):
        if key not in known:
            continue
        raw = answers.get(key, "")
        typed = _typed(known[key], raw)
        if is_blank(typed):
            stored.pop(key, None)
        else:
            stored[key] = typed
    shown = {question.key for question in visible_questions(parts.questions, stored)}
    dropped = [known[key].label for key in list(stored) if key not in shown]
    stored = {key: value for key, value in stored.items() if key in shown}
    application.answers = stored
    confirmed = keys if keys is not None else set(answers)
    application.to_confirm = [key for key in application.to_confirm if key not in confirmed]
    _saved(application, "details", ["answers", "to_confirm"])
    return dropped


@transaction.atomic
def application_mark_step(*, application: Application, by, step: str) -> Application:
    """A step with nothing to type (type, documents, fees) seen and passed."""
    _check_editable(application, by)
    return _saved(application, step, [])


@transaction.atomic
def application_attest(*, application: Application, by, name: str) -> Application:
    _check_editable(application, by)
    application.attestation_name = _clip(application, "attestation_name", name)
    return _saved(application, "review", ["attestation_name"])


# Documents ------------------------------------------------------------------------------------


def application_upload_limit() -> int:
    return settings.APPLICATION_DOCUMENT_MAX_BYTES


@transaction.atomic
def application_document_upload(
    *, application: Application, requirement_id: int | None, upload, by
) -> ApplicationDocument:
    """A file for one of the form's required documents (or an extra one: `requirement_id`
    None), in a format the requirement accepts, checked by its content."""
    _check_editable(application, by)
    if not can_upload_to_application(by, application):
        raise ApplicationError("Uploading files needs the Upload Files role at your business.")
    requirement = None
    if requirement_id is not None:
        requirement = requirement_for(
            application,
            requirement_id,
            missing="That document is not one this application asks for.",
        )
    document = store_document(
        application=application, requirement=requirement, upload=upload, by=by
    )
    _saved(application, "documents", [])
    return document


def requirement_for(
    application: Application, requirement_id: int, *, missing: str, **only
) -> DocumentRequirement:
    """One of the documents the application's form asks for (`only`: e.g. stage=...), or
    ApplicationError with `missing`."""
    requirement = application.template.document_requirements.filter(
        pk=requirement_id, **only
    ).first()
    if requirement is None:
        raise ApplicationError(missing)
    return requirement


def store_document(
    *,
    application: Application,
    requirement: DocumentRequirement | None,
    upload,
    by,
    replaces: ApplicationDocument | None = None,
) -> ApplicationDocument:
    """Check an upload (size, format by content) and keep it: the application's storage."""
    name, content_type = upload_checked(
        upload,
        limit=application_upload_limit(),
        error=ApplicationError,
        accepted=requirement.content_types if requirement else set(ApplicationDocument.EXTENSIONS),
        formats=requirement.formats_label if requirement else "PDF, PNG or JPEG",
    )
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    document = ApplicationDocument(
        application=application,
        requirement=requirement,
        replaces=replaces,
        version=replaces.version + 1 if replaces else 1,
        original_name=name,
        content_type=content_type,
        size=upload.size,
        sha256=digest.hexdigest(),
        uploaded_by=by,
    )
    document_save(document, upload, name)
    return document


@transaction.atomic
def application_document_delete(*, document: ApplicationDocument, by) -> None:
    application = document.application
    _check_editable(application, by)
    if document.submitted:
        raise ApplicationError(
            f"{document.original_name} was submitted: it stays with the application. Upload a "
            "corrected file beside it."
        )
    stored = document.file.name
    storage = document.file.storage
    document.delete()
    transaction.on_commit(lambda: storage.delete(stored))


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
                "requirement": document.requirement.name if document.requirement else "Other",
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
            f"Application {application.reference} was already submitted "
            f"({application.get_status_display()})."
        )
    _check_editable(application, by)
    if application.template.status != TemplateStatus.PUBLISHED:
        raise ApplicationError(
            "The city has changed this application form: open the Details step to see what "
            "changed before submitting."
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
    # Its event (application.submitted) is heard by the applicant, the owner and the contacts.
    application.move_to(
        ApplicationStatus.SUBMITTED,
        by=by,
        note=f"Submission {number}" + (" (resubmitted)" if number > 1 else ""),
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
        raise ApplicationError(NOT_YOURS)
    application.move_to(ApplicationStatus.WITHDRAWN, by=by, note=reason[:200] or "Withdrawn")
    if (waiting := _waiting_submission(application)) is not None:
        waiting.move_to(
            SubmissionOutcome.WITHDRAWN,
            by=by,
            note=reason[:200] or "Withdrawn",
            changes={"decided_at": timezone.now(), "decided_by": by},
        )
    if application.permit_id:
        Permit.objects.get(pk=application.permit_id).move_to(
            PermitStatus.CANCELLED, by=by, note="Application withdrawn by the applicant"
        )
    return application


@transaction.atomic
def application_delete(*, application: Application, by) -> None:
    """A draft never submitted goes, with its files."""
    if not can_work_on_application(by, application):
        raise ApplicationError(NOT_YOURS)
    application = Application.objects.select_for_update().get(pk=application.pk)
    if application.status != ApplicationStatus.DRAFT or application.submissions.exists():
        raise ApplicationError("Only a draft that was never submitted can be deleted.")
    stored = [(doc.file.storage, doc.file.name) for doc in application.documents.all()]
    application.delete()
    transaction.on_commit(lambda: [storage.delete(name) for storage, name in stored])


@transaction.atomic
def application_copy(*, application: Application, by) -> Application:
    """A new draft with this application's location, people, contacts and answers, on the
    type's form as published now (answers to questions it no longer asks are left behind).
    Documents are not copied: each application has its own."""
    from .selectors import open_template_for

    if not can_work_on_application(by, application) and not (
        application.applicant_id == by.pk and can_start_application(by)
    ):
        raise ApplicationError(NOT_YOURS)
    template = open_template_for(application.template.permit_type.code)
    if template is None:
        raise ApplicationError(
            f"{application.template.permit_type.name} permits are no longer open for online "
            "application."
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


# A newer version of the form ------------------------------------------------------------------


@transaction.atomic
def application_upgrade(*, application: Application) -> list[str]:
    """Move an editable application from a form the city has since replaced to the type's
    published one: answers carry over by question key; the questions that changed (or are
    new) are to be confirmed; documents follow their requirement by name. Returns the labels
    of the questions to confirm. Nothing happens when the application is on the published
    form, or the type is closed."""
    from .selectors import open_template_for

    application = Application.objects.select_for_update(no_key=True).get(pk=application.pk)
    current = application.template
    if not application.is_editable or current.status == TemplateStatus.PUBLISHED:
        return []
    newer = open_template_for(current.permit_type.code)
    if newer is None or newer.pk == current.pk:
        return []
    old, new = template_parts(current), template_parts(newer)
    old_by_key = {question.key: question for question in old.questions}
    changed = [
        question
        for question in new.questions
        if question.key not in old_by_key
        or old_by_key[question.key].signature() != question.signature()
    ]
    keys = {question.key for question in new.questions}
    application.answers = {k: v for k, v in application.answers.items() if k in keys}
    application.to_confirm = sorted({*application.to_confirm, *(q.key for q in changed)} & keys)
    application.template = newer
    application.save(update_fields=["answers", "to_confirm", "template", "updated_at"])
    by_name = {requirement.name.lower(): requirement for requirement in new.documents}
    for document in application.documents.select_related("requirement"):
        if document.requirement is not None:
            document.requirement = by_name.get(document.requirement.name.lower())
            document.save(update_fields=["requirement"])
    return [question.label for question in changed]


@transaction.atomic
def template_publish(*, template: ApplicationTemplate, by) -> ApplicationTemplate:
    """Publish a draft version: it is frozen, and the version it replaces is retired (drafts on
    it move to the new one when next opened, re-confirming only what changed)."""
    template = ApplicationTemplate.objects.select_for_update().get(pk=template.pk)
    previous = ApplicationTemplate.objects.select_for_update().filter(
        permit_type=template.permit_type, status=TemplateStatus.PUBLISHED
    )
    for old in previous:
        old.move_to(TemplateStatus.RETIRED, by=by, note=f"Replaced by version {template.version}")
    template.move_to(TemplateStatus.PUBLISHED, by=by, note="Published")
    return template


@transaction.atomic
def template_new_version(*, template: ApplicationTemplate, by) -> ApplicationTemplate:
    """A draft copy of a version (its questions, documents and fees), to change and publish."""
    copy = ApplicationTemplate.objects.create(
        permit_type=template.permit_type, category=template.category, summary=template.summary
    )
    for related in (template.questions, template.document_requirements, template.fee_rules):
        rows = list(related.all())
        for row in rows:
            row.pk = None
            row.template = copy
        related.model.objects.bulk_create(rows)
    return copy


# Intake (staff) -------------------------------------------------------------------------------


def _waiting_submission(application: Application) -> Submission | None:
    """The submission waiting for the clerk (none once it is decided or withdrawn: the move
    is then refused)."""
    waiting = application.submissions.filter(outcome=SubmissionOutcome.WAITING)
    return waiting.order_by("-number").first()


@transaction.atomic
def application_accept(*, application: Application, by) -> Application:
    """The clerk accepts a submitted application for review: its permit moves to In Review."""
    submission = _waiting_submission(application)
    application.move_to(
        ApplicationStatus.ACCEPTED, by=by, note="Accepted for review", submission=submission
    )
    submission.move_to(
        SubmissionOutcome.ACCEPTED,
        by=by,
        note="Accepted for review",
        changes={"decided_at": timezone.now(), "decided_by": by},
    )
    Permit.objects.get(pk=application.permit_id).move_to(
        PermitStatus.IN_REVIEW, by=by, note=f"Application {application.reference} accepted"
    )
    # Plan review (the reviews app) opens cycle 1 as it hears application.accepted.
    return application


@transaction.atomic
def application_return(*, application: Application, by, reasons: str) -> Application:
    """The clerk returns a submitted application as incomplete, with the reasons: the
    applicant is emailed them, fixes the application and submits it again."""
    reasons = reasons.strip()
    if not reasons:
        raise ApplicationError("Give the reasons: the applicant is told them.")
    submission = _waiting_submission(application)
    application.move_to(
        ApplicationStatus.RETURNED, by=by, note=reasons[:200], submission=submission
    )
    submission.move_to(
        SubmissionOutcome.RETURNED,
        by=by,
        note=reasons[:200],
        changes={"reasons": reasons, "decided_at": timezone.now(), "decided_by": by},
    )
    return application


# Drafts that lapse ----------------------------------------------------------------------------

REMINDER_DAYS_BEFORE = 5


@transaction.atomic
def application_drafts_expire(*, today: datetime.date | None = None) -> tuple[int, int]:
    """Daily (Celery beat): remind the applicants of drafts lapsing in 5 days, and expire the
    drafts past their day. Returns (reminded, expired)."""
    today = today or timezone.localdate()
    drafts = Application.objects.filter(status=ApplicationStatus.DRAFT)
    soon = drafts.filter(
        expires_on__lte=today + datetime.timedelta(days=REMINDER_DAYS_BEFORE),
        expires_on__gt=today,
        reminded_on__isnull=True,
    ).select_for_update(skip_locked=True)
    reminded = 0
    for application in soon:
        application.reminded_on = today
        # Not `save()`: a reminder is not the applicant's activity (updated_at stays).
        Application.objects.filter(pk=application.pk).update(reminded_on=today)
        event_record(
            "application.draft_lapsing", subject=application, expires_on=str(application.expires_on)
        )
        reminded += 1
    expired = 0
    for application in drafts.filter(expires_on__lte=today).select_for_update(skip_locked=True):
        application.move_to(
            ApplicationStatus.EXPIRED,
            by=None,
            note=f"Not saved for {settings.APPLICATION_DRAFT_DAYS} days",
        )
        expired += 1
    return reminded, expired

"""The applicant's draft: starting it, saving each step (what was typed, valid or not), its
documents. Every write re-asks the policy (policy.applications)."""

import hashlib
from collections.abc import Mapping

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.uploads import document_save, upload_checked
from licenses.models import License
from permits.models import (
    ADDRESS_FIELDS,
)
from policy.applications import (
    application_businesses,
    can_upload_to_application,
    can_work_on_application,
    start_application_refusal,
)

from ..answers import is_blank, visible_questions
from ..exceptions import ApplicationError
from ..models import (
    Application,
    ApplicationContact,
    ApplicationDocument,
    ApplicationStatus,
    ApplicationTemplate,
    DocumentRequirement,
    QuestionKind,
    TemplateStatus,
)
from ..selectors import template_parts

NOT_YOURS = gettext_lazy("This application is not one you can change.")
NOT_EDITABLE = gettext_lazy(
    "This application was submitted: it changes only if the city returns it to you."
)

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
        raise ApplicationError(str(NOT_YOURS))
    if not application.is_editable:
        raise ApplicationError(str(NOT_EDITABLE))


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
    if refusal := start_application_refusal(applicant):
        raise ApplicationError(refusal)
    if template.status != TemplateStatus.PUBLISHED or not template.permit_type.is_active:
        raise ApplicationError(
            _("%(permit_type)s permits are not open for online application.")
            % {"permit_type": template.permit_type.name}
        )
    businesses = [business for business, licenses in application_businesses(applicant).items()]
    application = Application(
        template=template,
        applicant=applicant,
        state=settings.CITY_STATE,
        city=settings.CITY_NAME.removeprefix("City of ").strip(),
        steps_saved=["type"],
        last_step="location",
    )
    if len(businesses) == 1:
        application.business_id = businesses[0]
    application.touch_expiry()
    application.save()
    return application


@transaction.atomic
def application_step_visited(*, application: Application, step: str) -> None:
    """Remember the step the applicant has open, so Resume brings them back to it. Only a
    pointer, written when it changes: what was typed, the draft's last change and its expiry
    stay as they were, so merely looking at a step never keeps a draft from lapsing."""
    if application.last_step != step:
        Application.objects.filter(pk=application.pk).update(last_step=step)
        application.last_step = step


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
            raise ApplicationError(_("Choose one of your businesses' active licenses."))
        license = License.objects.select_related("license_type").get(pk=license_id)
        if refusal := application.template.permit_type.license_refusal(license):
            raise ApplicationError(refusal)
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
        raise ApplicationError(_("Choose a contact type."))
    email = email.strip().lower()
    if application.contacts.filter(email__iexact=email).exists():
        raise ApplicationError(
            _("%(email)s is already a contact on this application.") % {"email": email}
        )
    if application.contacts.count() >= 10:
        raise ApplicationError(_("An application names at most 10 other contacts."))
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
        raise ApplicationError(_("Uploading files needs the Upload Files role at your business."))
    requirement = None
    if requirement_id is not None:
        requirement = requirement_for(
            application,
            requirement_id,
            missing=_("That document is not one this application asks for."),
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
        formats=requirement.formats_label if requirement else _("PDF, PNG or JPEG"),
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
            _(
                "%(document)s was submitted: it stays with the application. Upload a corrected "
                "file beside it."
            )
            % {"document": document.original_name}
        )
    stored = document.file.name
    storage = document.file.storage
    document.delete()
    transaction.on_commit(lambda: storage.delete(stored))

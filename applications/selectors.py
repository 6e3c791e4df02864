"""Reads for online applications: the types open online, a form's parts, an application's
progress and what it still lacks, the user's applications, and addresses to offer."""

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Count, Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.addresses import street_address
from core.sql import Part
from core.validators import STATE, ZIP
from licenses.models import License
from licenses.scope import contractor_scope
from permits.models import ADDRESS_FIELDS, Permit, PermitStatus, PermitType
from permits.pages import PermitNotice
from policy.applications import (
    application_businesses,
    can_upload_to_application,
    can_work_on_application,
    workable_business_ids,
)

from .answers import answer_errors, problem_named, signature_problem, visible_questions
from .fees import FeeEstimate, estimate_fees
from .models import (
    Application,
    ApplicationStatus,
    ApplicationTemplate,
    DocumentRequirement,
    DocumentStage,
    FeeRule,
    Question,
    SubmissionOutcome,
    TemplateStatus,
)

# The wizard's steps, in order: (slug, label).
STEPS = (
    ("type", gettext_lazy("Type")),
    ("location", gettext_lazy("Location")),
    ("people", gettext_lazy("People")),
    ("details", gettext_lazy("Details")),
    ("documents", gettext_lazy("Documents")),
    ("fees", gettext_lazy("Fees")),
    ("review", gettext_lazy("Review and Submit")),
)
STEP_SLUGS = tuple(slug for slug, _ in STEPS)


@dataclass
class TemplateParts:
    """A form version's questions, required documents and fee rules, read once."""

    template: ApplicationTemplate
    questions: list[Question]
    documents: list[DocumentRequirement]
    fee_rules: list[FeeRule]

    @property
    def sections(self) -> "OrderedDict[str, list[Question]]":
        sections: OrderedDict[str, list[Question]] = OrderedDict()
        for question in self.questions:
            sections.setdefault(question.section, []).append(question)
        return sections

    def question(self, key: str) -> Question | None:
        return next((q for q in self.questions if q.key == key), None)

    def estimate(self, answers: dict) -> FeeEstimate:
        return estimate_fees(self.fee_rules, self.questions, answers)

    @property
    def estimator_questions(self) -> list[Question]:
        """The questions the fee schedule reads: the valuation, the numbers its rules count,
        and the answers its rules depend on (the public estimator asks only these)."""
        keys = {rule.basis_key for rule in self.fee_rules if rule.basis_key}
        keys |= {rule.only_if_key for rule in self.fee_rules if rule.only_if_key}
        return [
            question
            for question in self.questions
            if question.key in keys or question.fills == "valuation"
        ]


def template_parts(template: ApplicationTemplate) -> TemplateParts:
    return TemplateParts(
        template=template,
        questions=list(template.questions.all()),
        documents=list(template.document_requirements.all()),
        fee_rules=list(template.fee_rules.all()),
    )


def open_templates() -> QuerySet[ApplicationTemplate]:
    """The published forms of the types open for online application."""
    return (
        ApplicationTemplate.objects.filter(
            status=TemplateStatus.PUBLISHED, permit_type__is_active=True
        )
        .select_related("permit_type")
        .prefetch_related(Prefetch("document_requirements"))
        .order_by("category", "permit_type__name")
    )


def open_templates_by_category() -> "OrderedDict[str, list[ApplicationTemplate]]":
    grouped: OrderedDict[str, list[ApplicationTemplate]] = OrderedDict()
    for template in open_templates():
        grouped.setdefault(template.category, []).append(template)
    return grouped


def permit_types_not_open_online() -> list[PermitType]:
    """The city's active permit types with no published form: applied for at the permit office
    (the guide lists them too, so nobody wonders whether a type exists)."""
    return list(
        PermitType.objects.filter(is_active=True)
        .exclude(application_templates__status=TemplateStatus.PUBLISHED)
        .order_by("name")
    )


def open_template_for(code: str) -> ApplicationTemplate | None:
    """The published form of the permit type with this code, if it is open online."""
    return (
        ApplicationTemplate.objects.filter(
            status=TemplateStatus.PUBLISHED,
            permit_type__is_active=True,
            permit_type__code__iexact=code,
        )
        .select_related("permit_type")
        .first()
    )


def applications_visible_to(user) -> QuerySet[Application]:
    """The applications the user may see: `policy.applications.can_view_application`, for many
    at once (tests/policy/test_rules.py holds the two together)."""
    if not contractor_scope(user).verified:
        return Application.objects.none()
    return Application.objects.filter(applicant=user)


def my_applications(user) -> QuerySet[Application]:
    """The user's applications, last changed first (drafts and submitted alike)."""
    return (
        applications_visible_to(user)
        .select_related("template__permit_type", "permit")
        .order_by("-updated_at", "-id")
    )


def my_application_counts(user) -> dict[str, int]:
    return applications_visible_to(user).aggregate(
        drafts=Count("id", filter=Q(status__in=[ApplicationStatus.DRAFT])),
        returned=Count("id", filter=Q(status=ApplicationStatus.RETURNED)),
        submitted=Count("id", filter=Q(status=ApplicationStatus.SUBMITTED)),
    )


@dataclass(frozen=True)
class MissingItem:
    step: str
    text: str
    anchor: str = ""

    def url(self, application: Application) -> str:
        url = reverse("applications:step", args=[application.reference, self.step])
        return f"{url}#{self.anchor}" if self.anchor else url


@dataclass
class Progress:
    """What each step still lacks, for the progress bar and the review page."""

    missing: list[MissingItem] = field(default_factory=list)

    def step_complete(self, step: str) -> bool:
        return not any(item.step == step for item in self.missing)

    def for_step(self, step: str) -> list[MissingItem]:
        return [item for item in self.missing if item.step == step]

    @property
    def complete(self) -> bool:
        return not self.missing


def application_progress(
    application: Application, parts: TemplateParts, *, user=None, attesting: bool = True
) -> Progress:
    """Everything the application lacks before it can be submitted, by step."""
    missing: list[MissingItem] = []
    if not application.street_name.strip():
        missing.append(
            MissingItem("location", _("Give the site's street address."), "id_street_name")
        )
    if not application.license_id:
        missing.append(
            MissingItem("people", _("Choose the business and license professional."), "id_license")
        )
    elif refusal := application.template.permit_type.license_refusal(application.license):
        # Staff may have narrowed the permit type's license types since it was chosen.
        missing.append(MissingItem("people", refusal, "id_license"))
    if not application.owner_name.strip():
        missing.append(MissingItem("people", _("Give the property owner's name."), "id_owner_name"))
    # What the Location and People steps check as typed (a draft keeps it even when wrong).
    for step, label, value, validator, anchor in (
        ("location", _("State"), application.state, STATE, "id_state"),
        ("location", _("ZIP"), application.zip_code, ZIP, "id_zip_code"),
        ("people", _("Owner's email"), application.owner_email, validate_email, "id_owner_email"),
    ):
        if value.strip() and (problem := _invalid(validator, value.strip())):
            text = _("%(field)s “%(value)s”: %(problem)s") % {
                "field": label,
                "value": value,
                "problem": problem,
            }
            missing.append(MissingItem(step, text, anchor))
    errors = answer_errors(parts.questions, application.answers)
    for question in visible_questions(parts.questions, application.answers):
        if question.key in errors:
            missing.append(
                MissingItem(
                    "details", problem_named(question.label, errors[question.key]), question.key
                )
            )
        elif question.key in application.to_confirm:
            missing.append(
                MissingItem(
                    "details",
                    _("“%(question)s”: the city changed this question; confirm your answer.")
                    % {"question": question.label},
                    question.key,
                )
            )
    uploaded = {doc.requirement_id for doc in application.documents.all()}
    for requirement in parts.documents:
        if requirement.needed_to_submit and requirement.pk not in uploaded:
            if user is not None and not can_upload_to_application(user, application):
                text = _(
                    "Upload the %(document)s. (Uploading needs the Upload Files role at your "
                    "business.)"
                ) % {"document": requirement.name}
            else:
                text = _("Upload the %(document)s.") % {"document": requirement.name}
            missing.append(MissingItem("documents", text, f"requirement-{requirement.pk}"))
    if attesting and not application.attestation_name.strip():
        missing.append(
            MissingItem("review", _("Sign the attestation with your full name."), "id_attestation")
        )
    elif attesting:
        # Only its applicant works on an application: the signer (`user`) is them.
        signer = user or application.applicant
        full_name = signer.get_full_name() if signer is not None else ""
        if problem := signature_problem(application.attestation_name, full_name):
            missing.append(MissingItem("review", problem, "id_attestation"))
    return Progress(missing)


def _invalid(validator, value: str) -> str:
    try:
        validator(value)
    except ValidationError as error:
        return " ".join(error.messages)
    return ""


def address_suggestions(text: str, *, limit: int = 8) -> list[dict]:
    """Addresses of the city's permits that contain what was typed (at least 3 characters),
    each with its parcel, newest permit first: offered on the Location step."""
    text = " ".join(text.split()).upper()
    if len(text) < 3:
        return []
    rows = (
        Permit.objects.filter(address_search__contains=text)
        .order_by("-applied_on", "-id")
        .values(*ADDRESS_FIELDS)[: limit * 4]
    )
    seen, suggestions = set(), []
    for row in rows:
        key = (row["street_number"], row["street_name"].upper(), row["unit"].upper())
        if key in seen:
            continue
        seen.add(key)
        row["label"] = street_address(row["street_number"], row["street_name"], row["unit"])
        suggestions.append(row)
        if len(suggestions) == limit:
            break
    return suggestions


def returned_permit_notices(permit: Permit, user) -> list[PermitNotice]:
    """The permit page's notice of an application returned as incomplete: the clerk's
    reasons, and for whoever may work on the application, the way to fix and resubmit it.
    Nothing (and no query) for a permit in any other status."""
    if permit.status != PermitStatus.RETURNED:
        return []
    application = Application.objects.filter(permit=permit).first()
    if application is None or application.status != ApplicationStatus.RETURNED:
        return []
    returned = (
        application.submissions.filter(outcome=SubmissionOutcome.RETURNED)
        .order_by("-number")
        .first()
    )
    link = None
    if can_work_on_application(user, application):
        url = reverse("applications:step", args=[application.reference, "review"])
        link = (_("Fix and resubmit"), url)
    return [
        PermitNotice(
            title=_("Application %(reference)s was returned as incomplete")
            % {"reference": application.reference},
            text=returned.reasons if returned else "",
            at=returned.decided_at if returned else None,
            link=link,
        )
    ]


# The dashboard's "Needs your action" (portal.actions): the permits whose applications were
# returned to the user, for the permits app's reads to keep (`among`). Hand-written for
# PostgreSQL's per-license reads, with the same answers through the ORM for the general path
# (tests/portal/test_dashboard_paths.py).

_RETURNED_PERMITS = """
SELECT permit_id FROM applications_application
 WHERE applicant_id = %s AND status = %s AND business_id IN %s AND permit_id IS NOT NULL"""


def returned_permits_part(*, user) -> Part:
    """`SELECT permit_id` of the permits whose applications, returned as incomplete, the user
    may fix and resubmit: their own (`can_work_on_application`, through
    `workable_business_ids`)."""
    return Part(
        _RETURNED_PERMITS,
        (user.pk, ApplicationStatus.RETURNED, sorted(workable_business_ids(user))),
    )


def returned_permit_ids(*, user) -> QuerySet:
    """`returned_permits_part` through the ORM."""
    return Application.objects.filter(
        applicant_id=user.pk,
        status=ApplicationStatus.RETURNED,
        business_id__in=workable_business_ids(user),
        permit__isnull=False,
    ).values("permit_id")


# Plan review's one read of what permits still need before issuance
# (reviews.selectors.issuance_missing_of), in parts each of its own app's tables: here, each
# document the form of each permit's application needs before issuance (an application whose
# form needs none, once, without one), and whether the application has it.
_ISSUANCE_DOCUMENTS = """
SELECT %s, a.permit_id, a.id, r.id, CAST(r.name AS text), CAST(r.formats AS text), r.position,
       CASE WHEN EXISTS (SELECT 1 FROM applications_applicationdocument d
                          WHERE d.application_id = a.id AND d.requirement_id = r.id)
            THEN 1 ELSE 0 END
  FROM applications_application a
  LEFT JOIN applications_documentrequirement r ON r.template_id = a.template_id AND r.stage = %s
 WHERE a.permit_id IN %s"""


def issuance_documents_part(*, label: str, permit_ids: list[int]) -> Part:
    """(label, permit id, application id, requirement id, name, formats, position, 1 when the
    application has a document for it) of the permits' applications."""
    return Part(_ISSUANCE_DOCUMENTS, (label, DocumentStage.ISSUANCE, permit_ids))


def applications_of_permits_part(*, permit_ids: list[int]) -> Part:
    """`SELECT id` of the permits' applications, for a higher app's part to keep to."""
    return Part("SELECT id FROM applications_application WHERE permit_id IN %s", (permit_ids,))


def application_references(permit_ids: Iterable[int]) -> dict[int, str]:
    """By permit id, the reference of the application it came from (one query)."""
    return dict(
        Application.objects.filter(permit_id__in=list(permit_ids)).values_list(
            "permit_id", "reference"
        )
    )


def licenses_for_application(user, permit_type: PermitType) -> tuple[list[License], str]:
    """The licenses the People step offers (the active licenses of the user's businesses where
    they hold Apply, of a type that may apply for this permit type), and why others are not
    offered ("" when none is left out)."""
    ids = set().union(*application_businesses(user).values()) if user else set()
    licenses = list(
        License.objects.filter(pk__in=ids)
        .select_related("holder", "license_type")
        .order_by("holder__business_name", "number")
    )
    accepted = permit_type.accepted_license_types()
    offered = [lic for lic in licenses if permit_type.accepts(lic, accepted)]
    left_out = [lic for lic in licenses if lic not in offered]
    if not left_out:
        return offered, ""
    names = ", ".join(
        _("%(number)s (%(type)s)") % {"number": lic.number, "type": lic.license_type.name}
        for lic in left_out
    )
    why = _("%(rule)s Not offered: %(licenses)s.") % {
        "rule": permit_type.license_rule(accepted),
        "licenses": names,
    }
    if not offered:
        why += " " + _("Ask the permit office if your business should apply under another license.")
    return offered, why

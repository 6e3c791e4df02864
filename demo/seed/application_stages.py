"""Online applications at every stage of their way (submitted, returned as incomplete, in
review, corrections asked, approved, issued), made through the services the pages call, then
dated as of the seeding day: each step, its history and its reviews on the business day the data
gives it."""

import datetime
import uuid

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from applications import services as app_services
from applications.models import Application
from applications.selectors import open_template_for, template_parts
from payments.models import TrustAccount
from payments.services.cart import cart_add_permit
from payments.services.trust import trust_pay
from permits.cards import permit_card_refresh
from permits.models import Permit, PermitStatus
from reviews import services as review_services
from reviews.models import (
    Review,
    ReviewComment,
    ReviewCondition,
    ReviewCycle,
    ReviewStatus,
)

from .data import Seeding

DEMO_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
STAGES = ("submitted", "returned", "in_review", "corrections", "approved", "issued")
# Each stage's days, in business days before the seeding day: applied, accepted, decided,
# issued (a stage that has not got that far ignores the rest).
STAGE_DAYS = {
    "submitted": (-1, None, None, None),
    "returned": (-3, None, -2, None),  # decided: the day intake returned it
    "in_review": (-6, -5, None, None),
    "corrections": (-16, -15, -8, None),
    "approved": (-20, -19, -4, None),
    # Paid from the trust account, and so issued, on the seeding day itself: the ledger is
    # append-only (a database trigger), its entry is dated when it is written.
    "issued": (-20, -19, -6, 0),
}


def _demo_upload(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, DEMO_PDF, content_type="application/pdf")


def seed_application_stages(seeding: Seeding) -> None:
    """Online applications of `demo` at every stage of their way, made as people make them
    (the services the pages call): submitted and waiting at intake; returned as incomplete,
    with the clerk's reasons; in review; corrections
    asked (Zoning); approved with fees due; issued (paid from the trust account), with its
    permit card."""
    demo, clerk = seeding.users["demo"], seeding.users["clerk"]
    reviewers = {"Building": seeding.users["plans"], "Zoning": seeding.users["zoning"]}
    for spec in seeding.city["application_stages"]:
        exists = Application.objects.filter(
            applicant=demo, street_number=spec["street_number"], street_name=spec["street_name"]
        ).exists()
        seeding.report.count("applications at every stage", not exists)
        if exists:
            continue
        application = _seed_application_stage(seeding, spec, demo, clerk, reviewers)
        _date_application_stage(seeding, application, STAGE_DAYS[spec["stage"]])


def _date_application_stage(seeding: Seeding, application, days) -> None:
    """Made through the services today; dated as of the seeding day, each step on its day."""
    from django.contrib.contenttypes.models import ContentType

    from core.models import Event

    applied, accepted, decided, issued = days
    application.refresh_from_db()

    def at(offset: int, time: datetime.time) -> datetime.datetime:
        if offset == 0:
            return timezone.make_aware(datetime.datetime.combine(seeding.calendar.today, time))
        return seeding.calendar.at(offset, time)

    nine, ten, three = datetime.time(9), datetime.time(10), datetime.time(15)
    Application.objects.filter(pk=application.pk).update(
        created_at=at(applied, datetime.time(8, 30)),
        updated_at=at(applied, nine),
        submitted_at=at(applied, nine),
        expires_on=None,
    )
    application.documents.update(uploaded_at=at(applied, datetime.time(8, 45)))
    # Intake's decision: accepted, or (no acceptance) returned as incomplete on the decided day.
    intake_day = accepted if accepted is not None else decided
    application.submissions.update(
        submitted_at=at(applied, nine),
        decided_at=at(intake_day, ten) if intake_day is not None else None,
    )
    permit = Permit.objects.get(pk=application.permit_id)
    permit_days = {"applied_on": seeding.calendar.day(applied)}
    if issued is not None:
        issued_on = seeding.calendar.today if issued == 0 else seeding.calendar.day(issued)
        permit_days |= {
            "issued_on": issued_on,
            "expires_on": issued_on + datetime.timedelta(days=settings.PERMIT_EXPIRY_DAYS),
        }
    Permit.objects.filter(pk=permit.pk).update(**permit_days)
    when = {
        PermitStatus.SUBMITTED: applied,
        PermitStatus.RETURNED: decided,
        PermitStatus.IN_REVIEW: accepted,
        PermitStatus.PENDING_APPROVAL: decided,
        PermitStatus.READY_TO_ISSUE: decided,
        PermitStatus.ISSUED: issued,
    }
    # The history (core.events) as of those days too: each move of the permit on its day.
    permit_moves = Event.objects.filter(
        content_type=ContentType.objects.get_for_model(Permit), object_id=permit.pk
    )
    for event in permit_moves:
        if when.get(event.payload.get("to")) is not None:
            Event.objects.filter(pk=event.pk).update(
                occurred_at=at(when[event.payload["to"]], three)
            )
    Event.objects.filter(
        content_type=ContentType.objects.get_for_model(Application), object_id=application.pk
    ).update(occurred_at=at(applied, nine))
    for cycle in ReviewCycle.objects.filter(application=application):
        ReviewCycle.objects.filter(pk=cycle.pk).update(
            opened_at=at(accepted, ten), decided_at=at(decided, three) if cycle.decided_at else None
        )
        for review in cycle.reviews.select_related("discipline"):
            Review.objects.filter(pk=review.pk).update(
                due_on=seeding.calendar.day(accepted + review.discipline.target_days)
                if accepted + review.discipline.target_days
                else seeding.calendar.today,
                decided_at=at(decided, three) if review.decided_at else None,
            )
    if decided is not None:
        permit.fees.update(assessed_on=seeding.calendar.day(decided))
    if issued is not None:
        # Its card, as of its (seeded) issue date: made here, not after the seed commits.
        permit_card_refresh(permit=permit)


def _seed_application_stage(seeding, spec, demo, clerk, reviewers) -> Application:
    template = open_template_for("RES")
    license = seeding.licenses[spec["license"]]
    application = app_services.application_start(template=template, applicant=demo)
    app_services.application_save_location(
        application=application,
        by=demo,
        values={
            "street_number": spec["street_number"],
            "street_name": spec["street_name"],
            "city": seeding.city["city"]["name"],
            "state": seeding.city["city"]["state"],
            "zip_code": spec["zip"],
            "parcel_number": spec["parcel"],
        },
    )
    app_services.application_save_people(
        application=application,
        by=demo,
        license_id=license.pk,
        owner_name=spec["owner"],
        owner_email=spec["owner_email"],
    )
    app_services.application_save_answers(application=application, by=demo, answers=spec["answers"])
    for requirement in template_parts(template).documents:
        if requirement.needed_to_submit:
            app_services.application_document_upload(
                application=application,
                requirement_id=requirement.pk,
                upload=_demo_upload(f"{requirement.name.lower().replace(' ', '-')}.pdf"),
                by=demo,
            )
    app_services.application_attest(application=application, by=demo, name="Dana Builder")
    app_services.application_submit(
        application=application,
        by=demo,
        on=seeding.calendar.day(STAGE_DAYS[spec["stage"]][0]),
    )
    if spec["stage"] == "returned":
        app_services.application_return(application=application, by=clerk, reasons=spec["reasons"])
        return application
    stage = STAGES.index(spec["stage"])
    if stage < STAGES.index("in_review"):
        return application
    app_services.application_accept(application=application, by=clerk)
    reviews = {
        review.discipline.name: review
        for review in Review.objects.filter(cycle__application=application).select_related(
            "discipline"
        )
    }
    review_services.review_start(review=reviews["Building"], by=reviewers["Building"])
    if stage < STAGES.index("corrections"):
        return application
    review_services.review_decide(
        review=reviews["Building"], decision=ReviewStatus.APPROVED, by=reviewers["Building"]
    )
    zoning = reviews["Zoning"]
    if spec["stage"] == "corrections":
        for reference, text in spec["corrections"]:
            ReviewComment.objects.create(review=zoning, reference=reference, text=text)
        review_services.review_decide(
            review=zoning, decision=ReviewStatus.CORRECTIONS_REQUIRED, by=reviewers["Zoning"]
        )
        return application
    if spec.get("condition"):
        ReviewCondition.objects.create(review=zoning, text=spec["condition"])
        decision = ReviewStatus.APPROVED_WITH_CONDITIONS
    else:
        decision = ReviewStatus.APPROVED
    review_services.review_decide(review=zoning, decision=decision, by=reviewers["Zoning"])
    if spec["stage"] == "approved":
        return application
    application.refresh_from_db()
    permit = Permit.objects.get(pk=application.permit_id)
    energy = template.document_requirements.get(stage="issuance")
    review_services.issuance_document_upload(
        application=application,
        requirement_id=energy.pk,
        upload=_demo_upload("rescheck-report.pdf"),
        by=demo,
    )
    cart_add_permit(user=demo, permit=permit)
    trust_pay(
        user=demo, account=TrustAccount.objects.get(contractor=license.holder), key=uuid.uuid4()
    )
    return application

"""Online applications' set-up in the demo city: each permit type's application form
(questions, required documents, fee schedule) published, plan review's disciplines and comment
reasons, and drafts contractors have in progress."""

from decimal import Decimal
from typing import Any

from django.contrib.auth.models import Group

from applications.models import (
    Application,
    ApplicationTemplate,
    DocumentRequirement,
    FeeRule,
    Question,
    TemplateStatus,
)
from permits.models import PermitType
from reviews.models import ReviewDiscipline, ReviewReason

from .data import Seeding


def seed_application_forms(seeding: Seeding) -> None:
    """Each form of `application_forms`, as version 1 of its type's form, published."""
    clerk = seeding.users.get("clerk")
    for spec in seeding.city["application_forms"]:
        permit_type = seeding.permit_types[spec["type"]]
        if ApplicationTemplate.objects.filter(permit_type=permit_type).exists():
            seeding.report.count("application forms", False)
            continue
        publish_application_form(permit_type, spec, by=clerk)
        seeding.report.count("application forms", True)


def publish_application_form(
    permit_type: PermitType, spec: dict[str, Any], *, by=None
) -> ApplicationTemplate:
    """A form of city.json's `application_forms` (questions, documents, fee schedule) as a new
    version of the type's form, published (the benchmark's city takes the demo's forms too)."""
    template = ApplicationTemplate.objects.create(
        permit_type=permit_type, category=spec["category"], summary=spec["summary"]
    )
    for position, question in enumerate(spec["questions"], start=1):
        show_if = question.get("show_if", ["", ""])
        Question.objects.create(
            template=template,
            position=position * 10,
            section=question["section"],
            key=question["key"],
            label=question["label"],
            kind=question["kind"],
            required=question["required"],
            help_text=question.get("help", ""),
            unit=question.get("unit", ""),
            whole_number=question.get("whole", False),
            min_value=question.get("min"),
            max_value=question.get("max"),
            choices="\n".join(question.get("choices", [])),
            show_if_key=show_if[0],
            show_if_value=show_if[1],
            fills=question.get("fills", ""),
        )
    for position, document in enumerate(spec["documents"], start=1):
        DocumentRequirement.objects.create(
            template=template,
            position=position,
            name=document["name"],
            stage=document["stage"],
            formats=document["formats"],
            help_text=document["help"],
        )
    for position, fee in enumerate(spec["fees"], start=1):
        only_if = fee.get("only_if", ["", ""])
        FeeRule.objects.create(
            template=template,
            position=position,
            description=fee["description"],
            kind=fee["kind"],
            amount=Decimal(fee.get("amount", "0")),
            rate=Decimal(fee.get("rate", "0")),
            minimum=Decimal(fee.get("minimum", "0")),
            basis_key=fee.get("basis", ""),
            brackets=fee.get("brackets", ""),
            only_if_key=only_if[0],
            only_if_value=only_if[1],
        )
    template.move_to(TemplateStatus.PUBLISHED, by=by, note="From the demo city's forms")
    return template


def seed_review_disciplines(seeding: Seeding) -> None:
    """Plan review's disciplines, each with its reviewers' group and the types it reviews."""
    for position, spec in enumerate(seeding.city["review_disciplines"], start=1):
        discipline, created = ReviewDiscipline.objects.get_or_create(
            name=spec["name"],
            defaults={
                "group": Group.objects.get(name=spec["group"]),
                "target_days": spec["target_days"],
                "position": position,
            },
        )
        discipline.permit_types.add(*(seeding.permit_types[code] for code in spec["types"]))
        seeding.report.count("review disciplines", created)


def seed_review_reasons(seeding: Seeding) -> None:
    """The reasons plan reviewers give their comments (a reviewer picks one per comment)."""
    for name in seeding.city["review_reasons"]:
        _, created = ReviewReason.objects.get_or_create(name=name)
        seeding.report.count("review reasons", created)


def seed_application_drafts(seeding: Seeding) -> None:
    """Drafts in progress, found by their applicant, type and street."""
    for spec in seeding.city["application_drafts"]:
        user = seeding.users[spec["user"]]
        template = ApplicationTemplate.objects.get(
            permit_type=seeding.permit_types[spec["type"]], status=TemplateStatus.PUBLISHED
        )
        exists = Application.objects.filter(
            applicant=user,
            template__permit_type=template.permit_type,
            street_name=spec["street_name"],
        ).exists()
        if not exists:
            license = seeding.licenses[spec["license"]]
            saved = seeding.calendar.day(spec["saved"])
            application = Application.objects.create(
                template=template,
                applicant=user,
                street_number=spec["street_number"],
                street_name=spec["street_name"],
                city=seeding.city["city"]["name"],
                state=seeding.city["city"]["state"],
                zip_code=spec["zip"],
                parcel_number=spec["parcel"],
                business=license.holder,
                license=license,
                owner_name=spec["owner"],
                owner_email=spec["owner_email"],
                answers=spec["answers"],
                steps_saved=spec["steps"],
                last_step=spec.get("last_step", ""),
            )
            application.touch_expiry(saved)
            application.save(update_fields=["expires_on", "reminded_on"])
        seeding.report.count("application drafts", not exists)

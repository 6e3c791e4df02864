"""A Residential Building form (published) and a contractor who may apply, for the
applications tests."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from applications import services as application_services
from applications.models import (
    ApplicationTemplate,
    DocumentRequirement,
    FeeRule,
    Question,
    TemplateStatus,
)
from tests.factories import (
    LicenseFactory,
    LicenseTypeFactory,
    PermitTypeFactory,
    UserFactory,
    contractor_user,
)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def pdf(name: str = "plans.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def make_form(code: str = "RES", *, publish: bool = True) -> ApplicationTemplate:
    permit_type = PermitTypeFactory(code=code, name="Residential Building")
    template = ApplicationTemplate.objects.create(
        permit_type=permit_type, category="Building", summary="Homes and additions."
    )
    questions = [
        (
            "The work",
            "description",
            "Describe the work",
            "long_text",
            True,
            {"fills": "description"},
        ),
        ("The work", "valuation", "Valuation of the work", "money", True, {"fills": "valuation"}),
        ("The work", "floor_area", "Floor area", "number", True, {"unit": "sq ft"}),
        ("Systems", "new_service", "New electrical service?", "yes_no", True, {}),
        (
            "Systems",
            "service_amps",
            "Service size",
            "number",
            True,
            {"unit": "A", "show_if_key": "new_service", "show_if_value": "Yes"},
        ),
        ("Systems", "fixtures", "Plumbing fixtures", "number", False, {}),
    ]
    for position, (section, key, label, kind, required, extra) in enumerate(questions):
        Question.objects.create(
            template=template,
            position=position,
            section=section,
            key=key,
            label=label,
            kind=kind,
            required=required,
            **extra,
        )
    DocumentRequirement.objects.create(template=template, name="Site Plan", stage="submittal")
    DocumentRequirement.objects.create(
        template=template, name="Energy Compliance", stage="issuance", position=2
    )
    FeeRule.objects.create(
        template=template,
        description="Plan review",
        kind="valuation_rate",
        rate=Decimal("2.50"),
        minimum=Decimal("75.00"),
    )
    FeeRule.objects.create(
        template=template,
        description="Fixtures",
        kind="per_unit",
        amount=Decimal("12.00"),
        basis_key="fixtures",
        position=2,
    )
    FeeRule.objects.create(
        template=template,
        description="Electrical service",
        kind="flat",
        amount=Decimal("85.00"),
        only_if_key="new_service",
        only_if_value="Yes",
        position=3,
    )
    if publish:
        template.move_to(TemplateStatus.PUBLISHED, note="test")
    return template


@pytest.fixture
def form(db) -> ApplicationTemplate:
    return make_form()


@pytest.fixture
def license_(db):
    return LicenseFactory(license_type=LicenseTypeFactory(prefix="RC"))


@pytest.fixture
def applicant(license_):
    """A verified contractor with Apply and Upload Files at the business holding `license_`."""
    return contractor_user(license_, can_apply=True, can_upload=True)


COMPLETE_ANSWERS = {
    "description": "Rear addition",
    "valuation": "120,000.00",
    "floor_area": "480",
    "new_service": "No",
}


def fill_in(application, license, *, by, answers=None, document=True):
    """Every step of `application` filled in, the attestation signed."""
    from applications import services

    services.application_save_location(
        application=application,
        by=by,
        values={"street_number": "12", "street_name": "Oak St", "zip_code": "62704"},
    )
    services.application_save_people(
        application=application,
        by=by,
        license_id=license.pk,
        owner_name="Jordan Baker",
        owner_email="owner@example.com",
    )
    services.application_save_answers(
        application=application, by=by, answers=answers or COMPLETE_ANSWERS
    )
    if document:
        requirement = application.template.document_requirements.get(name="Site Plan")
        services.application_document_upload(
            application=application, requirement_id=requirement.pk, upload=pdf(), by=by
        )
    services.application_attest(application=application, by=by, name=by.get_full_name())
    application.refresh_from_db()
    return application


# Plan review ----------------------------------------------------------------------------------


@pytest.fixture
def submitted(form, applicant, license_):
    application = fill_in(
        application_services.application_start(template=form, applicant=applicant),
        license_,
        by=applicant,
    )
    application_services.application_submit(application=application, by=applicant)
    application.refresh_from_db()
    return application


@pytest.fixture
def intake_clerk(db):
    from django.contrib.auth.models import Permission

    clerk = UserFactory(is_staff=True, username="intake-clerk")
    # Conditions of approval are marked met in admin by staff who may change them.
    clerk.user_permissions.add(Permission.objects.get(codename="change_reviewcondition"))
    return clerk

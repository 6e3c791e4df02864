"""Starting, saving, submitting, withdrawing, copying and deleting applications; the clerk's
intake (accept for review, return as incomplete); drafts that lapse."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from applications import services
from applications.exceptions import ApplicationError, ApplicationIncomplete
from applications.models import (
    Application,
    ApplicationStatus,
    Submission,
    SubmissionOutcome,
)
from permits.models import ContactType, Permit, PermitContact, PermitStatus
from permits.scopes import is_a_contact, permits_visible_to
from tests.factories import PermitFactory, UserFactory, contractor_user, verify_email

from .conftest import fill_in

pytestmark = pytest.mark.django_db


def yy() -> str:
    return f"{timezone.localdate().year % 100:02d}"


def test_starting_needs_the_apply_role_at_a_business_with_an_active_license(form, license_):
    no_role = contractor_user(license_)
    with pytest.raises(ApplicationError, match="Apply role"):
        services.application_start(template=form, applicant=no_role)
    applicant = contractor_user(license_, can_apply=True)
    application = services.application_start(template=form, applicant=applicant)
    assert application.status == ApplicationStatus.DRAFT
    assert application.business_id == license_.holder_id
    assert application.reference.startswith("A-")
    assert application.expires_on == timezone.localdate() + datetime.timedelta(days=30)


def test_a_step_keeps_what_was_typed_even_when_it_is_wrong(form, applicant):
    application = services.application_start(template=form, applicant=applicant)
    services.application_save_location(
        application=application, by=applicant, values={"street_name": "Oak St", "zip_code": "6270"}
    )
    services.application_save_answers(
        application=application, by=applicant, answers={"valuation": "a lot", "floor_area": "480"}
    )
    application.refresh_from_db()
    assert application.zip_code == "6270"
    assert application.answers == {"valuation": "a lot", "floor_area": "480"}


def test_an_answer_to_a_hidden_question_is_not_kept(form, applicant):
    application = services.application_start(template=form, applicant=applicant)
    dropped = services.application_save_answers(
        application=application,
        by=applicant,
        answers={"new_service": "No", "service_amps": "200", "not_a_question": "x"},
    )
    application.refresh_from_db()
    assert dropped == ["Service size"]
    assert application.answers == {"new_service": "No"}


def test_submit_is_refused_with_the_list_of_what_is_missing(form, applicant):
    application = services.application_start(template=form, applicant=applicant)
    with pytest.raises(ApplicationIncomplete) as refused:
        services.application_submit(application=application, by=applicant)
    steps = {item.step for item in refused.value.missing}
    assert steps == {"location", "people", "details", "documents", "review"}
    assert "Upload the Site Plan." in [item.text for item in refused.value.missing]
    assert not Permit.objects.exists()
    application.refresh_from_db()
    assert application.status == ApplicationStatus.DRAFT


def test_submit_makes_the_permit_the_snapshot_and_the_emails(
    form, applicant, license_, django_capture_on_commit_callbacks
):
    application = services.application_start(template=form, applicant=applicant)
    fill_in(application, license_, by=applicant)
    services.application_contact_add(
        application=application,
        by=applicant,
        email="architect@example.com",
        contact_type=ContactType.CONTACT,
        name="Ana Architect",
    )
    architect = UserFactory(email="architect@example.com")
    verify_email(architect)

    with django_capture_on_commit_callbacks(execute=True):
        submission = services.application_submit(application=application, by=applicant)

    application.refresh_from_db()
    permit = application.permit
    assert permit.number == f"RES{yy()}-0001"
    assert permit.status == PermitStatus.SUBMITTED
    assert (permit.street_number, permit.street_name) == ("12", "Oak St")
    assert permit.description == "Rear addition"
    assert permit.valuation == Decimal("120000.00")
    assert permit.owner_name == "Jordan Baker"
    assert list(permit.licenses.all()) == [license_]
    contacts = dict(PermitContact.objects.filter(permit=permit).values_list("user", "contact_type"))
    assert contacts == {architect.pk: ContactType.CONTACT}
    # The applicant has the permit through its license (one of their business's), not as a
    # contact: their dashboard keeps its per-license reads.
    assert permit in permits_visible_to(applicant)
    assert not is_a_contact(applicant)
    assert application.status == ApplicationStatus.SUBMITTED
    # Plan review 2.50 x 120 = 300 (no fixtures, no new service).
    assert submission.estimated_fees == application.estimated_fees == Decimal("300.00")
    snapshot = submission.snapshot
    assert snapshot["location"]["street_name"] == "Oak St"
    assert snapshot["sections"][0]["answers"][1] == {
        "key": "valuation",
        "question": "Valuation of the work",
        "answer": "$120,000.00",
    }
    assert [doc["requirement"] for doc in snapshot["documents"]] == ["Site Plan"]
    assert application.documents.get().submitted
    recipients = sorted(address for message in mail.outbox for address in message.to)
    assert recipients == sorted([applicant.email, "architect@example.com", "owner@example.com"])
    assert permit.number in mail.outbox[0].subject


def test_a_submission_stays_as_it_was_submitted(form, applicant, license_):
    application = fill_in(
        services.application_start(template=form, applicant=applicant), license_, by=applicant
    )
    submission = services.application_submit(application=application, by=applicant)
    submission.snapshot["attestation"] = "Someone else"
    with pytest.raises(ApplicationError, match="stays as it was"):
        submission.save()


def test_numbers_follow_the_highest_already_in_use_for_the_type_and_year(form, applicant, license_):
    PermitFactory(number=f"RES{yy()}-0150", permit_type=form.permit_type)
    application = fill_in(
        services.application_start(template=form, applicant=applicant), license_, by=applicant
    )
    services.application_submit(application=application, by=applicant)
    application.refresh_from_db()
    assert application.permit.number == f"RES{yy()}-0151"


@pytest.mark.parametrize(
    ("in_use", "expected"),
    [
        # An import's six-digit numbers: the sequence keeps six digits (never RES26-13324, a
        # second "13324" beside RES26-013324's neighbours).
        (["013323", "000007"], "013324"),
        # 9999 is the highest, not 100 (a longer number is a higher one).
        (["0100", "9999", "0999"], "10000"),
        # Numbers of another shape under the prefix are not the sequence's.
        (["0041", "0042-A", "X0900"], "0042"),
    ],
)
def test_numbers_keep_the_width_already_in_use(form, applicant, license_, in_use, expected):
    for tail in in_use:
        PermitFactory(number=f"RES{yy()}-{tail}", permit_type=form.permit_type)
    application = fill_in(
        services.application_start(template=form, applicant=applicant), license_, by=applicant
    )
    services.application_submit(application=application, by=applicant)
    application.refresh_from_db()
    assert application.permit.number == f"RES{yy()}-{expected}"


def test_a_submitted_application_is_not_submitted_again(form, applicant, license_):
    application = fill_in(
        services.application_start(template=form, applicant=applicant), license_, by=applicant
    )
    services.application_submit(application=application, by=applicant)
    with pytest.raises(ApplicationError, match="already submitted"):
        services.application_submit(application=application, by=applicant)
    assert Permit.objects.count() == 1
    with pytest.raises(ApplicationError, match="was submitted"):
        services.application_save_answers(application=application, by=applicant, answers={})


def test_the_clerk_accepts_and_the_permit_goes_into_review(
    form, applicant, license_, django_capture_on_commit_callbacks
):
    clerk = UserFactory(is_staff=True)
    application = fill_in(
        services.application_start(template=form, applicant=applicant), license_, by=applicant
    )
    services.application_submit(application=application, by=applicant)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.application_accept(application=application, by=clerk)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.ACCEPTED
    assert application.permit.status == PermitStatus.IN_REVIEW
    assert application.submissions.get().outcome == SubmissionOutcome.ACCEPTED
    assert [message.to for message in mail.outbox] == [[applicant.email]]
    assert "accepted for review" in mail.outbox[0].subject


def test_a_returned_application_is_fixed_and_resubmitted_as_a_new_version(
    form, applicant, license_, django_capture_on_commit_callbacks
):
    clerk = UserFactory(is_staff=True)
    application = fill_in(
        services.application_start(template=form, applicant=applicant), license_, by=applicant
    )
    services.application_submit(application=application, by=applicant)
    with pytest.raises(ApplicationError, match="Give the reasons"):
        services.application_return(application=application, by=clerk, reasons="  ")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.application_return(
            application=application, by=clerk, reasons="The site plan has no setbacks."
        )
    assert "The site plan has no setbacks." in mail.outbox[0].body
    application.refresh_from_db()
    assert application.status == ApplicationStatus.RETURNED
    services.application_save_answers(
        application=application, by=applicant, answers={"floor_area": "500"}
    )
    second = services.application_submit(application=application, by=applicant)
    application.refresh_from_db()
    assert second.number == 2
    assert Permit.objects.count() == 1
    first = Submission.objects.get(application=application, number=1)
    assert first.outcome == SubmissionOutcome.RETURNED
    assert first.snapshot["sections"][0]["answers"][2]["answer"] == "480 sq ft"
    assert second.snapshot["sections"][0]["answers"][2]["answer"] == "500 sq ft"


def test_withdrawing_cancels_the_permit(form, applicant, license_):
    application = fill_in(
        services.application_start(template=form, applicant=applicant), license_, by=applicant
    )
    services.application_submit(application=application, by=applicant)
    services.application_withdraw(application=application, by=applicant)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.WITHDRAWN
    assert application.permit.status == PermitStatus.CANCELLED
    with pytest.raises(ApplicationError):
        services.application_accept(application=application, by=UserFactory(is_staff=True))


def test_a_draft_is_deleted_and_a_submitted_one_is_not(form, applicant, license_):
    draft = services.application_start(template=form, applicant=applicant)
    services.application_delete(application=draft, by=applicant)
    assert not Application.objects.filter(pk=draft.pk).exists()
    submitted = fill_in(
        services.application_start(template=form, applicant=applicant), license_, by=applicant
    )
    services.application_submit(application=submitted, by=applicant)
    with pytest.raises(ApplicationError, match="Only a draft"):
        services.application_delete(application=submitted, by=applicant)


def test_copy_to_a_new_application_takes_everything_but_the_documents(form, applicant, license_):
    original = fill_in(
        services.application_start(template=form, applicant=applicant), license_, by=applicant
    )
    services.application_submit(application=original, by=applicant)
    copy = services.application_copy(application=original, by=applicant)
    assert copy.status == ApplicationStatus.DRAFT
    assert copy.copied_from == original
    assert (copy.street_name, copy.license, copy.owner_name) == ("Oak St", license_, "Jordan Baker")
    assert copy.answers == original.answers
    assert not copy.documents.exists()
    assert copy.reference != original.reference


def test_someone_else_cannot_touch_an_application(form, applicant, license_):
    application = services.application_start(template=form, applicant=applicant)
    colleague = contractor_user(license_, can_apply=True, can_upload=True)
    with pytest.raises(ApplicationError, match="not one you can change"):
        services.application_save_location(
            application=application, by=colleague, values={"street_name": "Elm"}
        )
    with pytest.raises(ApplicationError):
        services.application_submit(application=application, by=colleague)


def test_losing_the_apply_role_stops_the_work(form, applicant, license_):
    from licenses.models import Membership
    from licenses.scope import forget_scope

    application = services.application_start(template=form, applicant=applicant)
    Membership.objects.filter(user=applicant).update(can_apply=False)
    forget_scope(applicant)
    with pytest.raises(ApplicationError):
        services.application_save_location(
            application=application, by=applicant, values={"street_name": "Elm"}
        )


def test_drafts_are_reminded_five_days_before_and_expire_after_thirty(
    form, applicant, django_capture_on_commit_callbacks
):
    application = services.application_start(template=form, applicant=applicant)
    day = application.expires_on
    assert services.application_drafts_expire(today=day - datetime.timedelta(days=6)) == (0, 0)
    with django_capture_on_commit_callbacks(execute=True):
        reminded = services.application_drafts_expire(today=day - datetime.timedelta(days=5))
    assert reminded == (1, 0)
    assert "lapses on" in mail.outbox[-1].subject
    assert services.application_drafts_expire(today=day - datetime.timedelta(days=4)) == (0, 0)
    assert services.application_drafts_expire(today=day) == (0, 1)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.EXPIRED


def test_saving_a_step_keeps_a_draft_longer(form, applicant):
    application = services.application_start(template=form, applicant=applicant)
    Application.objects.filter(pk=application.pk).update(
        expires_on=timezone.localdate() + datetime.timedelta(days=2),
        reminded_on=timezone.localdate(),
    )
    application.refresh_from_db()
    services.application_save_location(
        application=application, by=applicant, values={"street_name": "Oak"}
    )
    application.refresh_from_db()
    assert application.expires_on == timezone.localdate() + datetime.timedelta(days=30)
    assert application.reminded_on is None

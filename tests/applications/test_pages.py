"""The pages: the public guide and estimator, the steps (errors beside their fields, nothing
typed lost), bad input refused cleanly, someone else's application a 404, and intake in admin."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from applications import services
from applications.exceptions import ApplicationIncomplete
from applications.models import Application, ApplicationDocument, ApplicationStatus
from permits.models import PermitStatus
from tests.factories import PermitTypeFactory, UserFactory, contractor_user

from .conftest import PNG, fill_in, make_form, pdf

pytestmark = pytest.mark.django_db


def step_url(application, step):
    return reverse("applications:step", args=[application.reference, step])


def test_the_guide_lists_the_types_open_online_to_anyone(client, form):
    make_form("ROF", publish=False)
    page = client.get(reverse("applications:guide")).content.decode()
    assert "Residential Building" in page
    assert "Site Plan" in page
    assert reverse("applications:type", args=["RES"]) in page
    assert reverse("applications:type", args=["ROF"]) not in page


def test_the_guide_says_how_to_apply_for_a_type_not_open_online(client, form, settings):
    settings.CITY_OFFICE_PHONE = "(217) 555-0199"
    PermitTypeFactory(code="SGN", name="Sign")
    PermitTypeFactory(code="OLD", name="Retired Type", is_active=False)
    response = client.get(reverse("applications:guide"))
    offline = response.context["offline_types"]
    assert [permit_type.code for permit_type in offline] == ["SGN"]
    page = response.content.decode()
    section = page[page.index('id="offline-types"') :]
    assert "Sign" in section and "(217) 555-0199" in section
    assert "Retired Type" not in page
    assert reverse("applications:type", args=["SGN"]) not in page


def test_the_estimator_gives_the_fees_before_anyone_applies(client, form):
    response = client.get(
        reverse("applications:type", args=["RES"]),
        {"q_valuation": "120000", "q_fixtures": "3", "q_new_service": "Yes"},
    )
    page = response.content.decode()
    # 300 plan review + 36 fixtures + 85 service.
    assert re.search(r'data-testid="estimated-total">\$421\.00<', page)
    assert "Energy Compliance" in page


def test_the_estimator_says_what_a_line_still_needs(client, form):
    page = client.get(
        reverse("applications:type", args=["RES"]), {"q_fixtures": "many"}
    ).content.decode()
    assert "Answer “Valuation of the work”" in page
    assert "Answer “Plumbing fixtures”" in page
    assert "Enter a number." in page


def test_a_type_not_open_online_is_a_404_and_cannot_be_started(client, applicant, db):
    make_form("ROF", publish=False)
    assert client.get(reverse("applications:type", args=["ROF"])).status_code == 404
    client.force_login(applicant)
    response = client.post(reverse("applications:start", args=["ROF"]), follow=True)
    assert "not open for online application" in response.content.decode()
    assert not Application.objects.exists()


def test_start_and_every_step_renders(client, form, applicant):
    client.force_login(applicant)
    response = client.post(reverse("applications:start", args=["RES"]))
    application = Application.objects.get()
    assert response["Location"] == step_url(application, "location")
    for step in ("type", "location", "people", "details", "documents", "fees", "review"):
        assert client.get(step_url(application, step)).status_code == 200, step


def test_an_error_is_shown_beside_its_field_and_what_was_typed_is_saved(client, form, applicant):
    application = services.application_start(template=form, applicant=applicant)
    client.force_login(applicant)
    response = client.post(
        step_url(application, "location"),
        {"street_name": "Oak St", "zip_code": "627", "action": "continue"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Enter a 5-digit ZIP code" in page
    application.refresh_from_db()
    assert (application.street_name, application.zip_code) == ("Oak St", "627")


def test_save_and_finish_later_goes_to_my_applications(client, form, applicant):
    application = services.application_start(template=form, applicant=applicant)
    client.force_login(applicant)
    response = client.post(
        step_url(application, "details"),
        {"q_valuation": "lots", "action": "later"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("applications:mine")
    assert application.reference in response.content.decode()
    application.refresh_from_db()
    assert application.answers == {"valuation": "lots"}


def test_details_errors_and_a_hidden_answer_and_a_tampered_question(client, form, applicant):
    application = services.application_start(template=form, applicant=applicant)
    client.force_login(applicant)
    response = client.post(
        step_url(application, "details"),
        {
            "q_valuation": "12.345",
            "q_new_service": "No",
            "q_service_amps": "200",
            "q_nonexistent": "x",
            "action": "continue",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Enter an amount in dollars and cents." in page
    assert "Answer this question." in page
    assert "was not kept" in page
    assert "did not match this application" in page
    application.refresh_from_db()
    assert application.answers == {"valuation": "12.345", "new_service": "No"}


def test_continue_moves_on_when_the_step_is_right(client, form, applicant, license_):
    application = services.application_start(template=form, applicant=applicant)
    client.force_login(applicant)
    response = client.post(
        step_url(application, "people"),
        {"license": license_.pk, "owner_name": "Jordan Baker", "action": "continue"},
    )
    assert response["Location"] == step_url(application, "details")


def test_a_license_the_user_may_not_apply_with_is_refused_beside_the_field(client, form, applicant):
    from tests.factories import LicenseFactory

    other = LicenseFactory()
    application = services.application_start(template=form, applicant=applicant)
    client.force_login(applicant)
    response = client.post(
        step_url(application, "people"),
        {"license": other.pk, "owner_name": "J", "action": "continue"},
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    application.refresh_from_db()
    assert application.license_id is None


def test_adding_a_contact_keeps_what_was_typed_in_the_rest_of_the_step(
    client, form, applicant, license_
):
    application = services.application_start(template=form, applicant=applicant)
    client.force_login(applicant)
    typed = {"license": license_.pk, "owner_name": "Jordan Baker", "owner_email": "jb@mail.test"}
    response = client.post(
        step_url(application, "people"),
        {
            **typed,
            "contact-email": "Architect@Studio.test",
            "contact-contact_type": "project_manager",
            "action": "add_contact",
        },
    )
    assert response["Location"] == step_url(application, "people") + "#contacts"
    application.refresh_from_db()
    assert (application.license_id, application.owner_name) == (license_.pk, "Jordan Baker")
    assert list(application.contacts.values_list("email", flat=True)) == ["architect@studio.test"]
    # A bad contact: its error beside its field; the owner as typed, not lost, and no error for
    # the rest of the step.
    response = client.post(
        step_url(application, "people"),
        {
            **typed,
            "owner_name": "Jordan B. Baker",
            "contact-email": "nope",
            "action": "add_contact",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert re.search(r'id="error_1_id_contact-email"[^>]*>.*Enter a valid email', page, re.S)
    assert 'value="Jordan B. Baker"' in page
    assert "This field is required" not in page.split('id="contacts"')[0]
    application.refresh_from_db()
    assert application.owner_name == "Jordan B. Baker"
    assert application.contacts.count() == 1


def test_removing_a_contact_checks_it_is_this_applications(client, form, applicant, license_):
    application = services.application_start(template=form, applicant=applicant)
    other = services.application_start(template=form, applicant=applicant)
    mine = services.application_contact_add(
        application=application, by=applicant, email="a@studio.test", contact_type="contact"
    )
    theirs = services.application_contact_add(
        application=other, by=applicant, email="b@studio.test", contact_type="contact"
    )
    client.force_login(applicant)
    url = step_url(application, "people")
    for tampered in (f"remove_contact:{theirs.pk}", "remove_contact:x", "remove_contact:"):
        assert client.post(url, {"owner_name": "J", "action": tampered}).status_code == 404
    assert other.contacts.count() == 1
    response = client.post(url, {"owner_name": "J", "action": f"remove_contact:{mine.pk}"})
    assert response["Location"] == url + "#contacts"
    assert not application.contacts.exists()


def test_someone_elses_application_is_a_404_everywhere(client, form, applicant, license_):
    application = fill_in(
        services.application_start(template=form, applicant=applicant), license_, by=applicant
    )
    document = application.documents.get()
    colleague = contractor_user(license_, can_apply=True, can_upload=True)
    client.force_login(colleague)
    ref = application.reference
    for url in (
        reverse("applications:detail", args=[ref]),
        step_url(application, "details"),
        reverse("applications:document_download", args=[ref, document.pk]),
    ):
        assert client.get(url).status_code == 404, url
    for url in (
        reverse("applications:submit", args=[ref]),
        reverse("applications:delete", args=[ref]),
        reverse("applications:copy", args=[ref]),
        reverse("applications:withdraw", args=[ref]),
        reverse("applications:document_delete", args=[ref, document.pk]),
    ):
        assert client.post(url).status_code == 404, url
    assert Application.objects.get(pk=application.pk).status == ApplicationStatus.DRAFT


def test_a_document_of_another_application_is_a_404(client, form, applicant, license_):
    first = fill_in(
        services.application_start(template=form, applicant=applicant), license_, by=applicant
    )
    second = services.application_start(template=form, applicant=applicant)
    client.force_login(applicant)
    document = first.documents.get()
    url = reverse("applications:document_delete", args=[second.reference, document.pk])
    assert client.post(url).status_code == 404
    assert ApplicationDocument.objects.filter(pk=document.pk).exists()


def test_an_unknown_step_is_a_404(client, form, applicant):
    application = services.application_start(template=form, applicant=applicant)
    client.force_login(applicant)
    assert client.get(step_url(application, "payment")).status_code == 404


def test_uploads_check_the_format_the_requirement_accepts(client, form, applicant):
    application = services.application_start(template=form, applicant=applicant)
    client.force_login(applicant)
    site_plan = form.document_requirements.get(name="Site Plan")
    upload = reverse("applications:document_upload", args=[application.reference])
    response = client.post(
        upload,
        {"requirement": site_plan.pk, "file": pdf("photo.pdf", PNG)},
        follow=True,
    )
    assert "Upload a PDF file (this one is not)." in response.content.decode()
    response = client.post(
        upload, {"requirement": site_plan.pk, "file": pdf("site.pdf")}, follow=True
    )
    assert "site.pdf was uploaded as Site Plan." in response.content.decode()
    document = application.documents.get()
    download = client.get(
        reverse("applications:document_download", args=[application.reference, document.pk])
    )
    assert download["Content-Disposition"].startswith('attachment; filename="site.pdf"')


def test_a_requirement_of_another_form_is_refused(client, form, applicant):
    other = make_form("ROF")
    application = services.application_start(template=form, applicant=applicant)
    client.force_login(applicant)
    response = client.post(
        reverse("applications:document_upload", args=[application.reference]),
        {"requirement": other.document_requirements.first().pk, "file": pdf()},
        follow=True,
    )
    assert "Choose which document it is." in response.content.decode()
    assert not application.documents.exists()


def test_uploading_needs_the_upload_files_role(client, form, license_):
    applicant = contractor_user(license_, can_apply=True)
    application = services.application_start(template=form, applicant=applicant)
    client.force_login(applicant)
    page = client.get(step_url(application, "documents")).content.decode()
    assert "needs the <strong>Upload Files</strong> role" in page
    response = client.post(
        reverse("applications:document_upload", args=[application.reference]),
        {"requirement": "", "file": pdf()},
        follow=True,
    )
    assert "needs the Upload Files role" in response.content.decode()


def test_a_file_over_the_application_limit_is_refused_before_it_is_read(
    client, form, applicant, settings
):
    settings.APPLICATION_DOCUMENT_MAX_BYTES = 1_000
    application = services.application_start(template=form, applicant=applicant)
    client.force_login(applicant)
    response = client.post(
        reverse("applications:document_upload", args=[application.reference]),
        {"requirement": "", "file": pdf(content=b"%PDF-" + b"x" * 5_000)},
        follow=True,
    )
    assert "That file is larger than the limit of 1 kB: nothing was uploaded." in (
        response.content.decode()
    )
    assert not application.documents.exists()


def test_the_application_limit_is_its_own_setting(settings, rf):
    from core.uploads import upload_max_bytes

    settings.APPLICATION_DOCUMENT_MAX_BYTES = 100_000_000
    settings.UPLOAD_MAX_BYTES = 25_000_000
    upload = rf.post("/applications/A-2345ABCD/documents/upload/")
    permit = rf.post("/permits/RES26-0001/documents/")
    assert upload_max_bytes(upload) == 100_000_000
    assert upload_max_bytes(permit) == 25_000_000


def test_review_lists_what_is_missing_with_links_and_submit_refuses(client, form, applicant):
    application = services.application_start(template=form, applicant=applicant)
    client.force_login(applicant)
    page = client.get(step_url(application, "review")).content.decode()
    assert "Upload the Site Plan." in page
    assert step_url(application, "documents") + "#requirement-" in page
    response = client.post(
        step_url(application, "review"),
        {"agree": "on", "attestation": applicant.get_full_name(), "action": "continue"},
        follow=True,
    )
    assert "Not submitted" in response.content.decode()
    application.refresh_from_db()
    assert application.status == ApplicationStatus.DRAFT
    assert application.attestation_name == applicant.get_full_name()


def test_sign_and_submit_from_the_review_page(client, form, applicant, license_):
    application = fill_in(
        services.application_start(template=form, applicant=applicant), license_, by=applicant
    )
    client.force_login(applicant)
    response = client.post(
        step_url(application, "review"),
        {"agree": "on", "attestation": applicant.get_full_name(), "action": "continue"},
        follow=True,
    )
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED
    assert f"Submitted: permit application {application.permit.number}" in (
        response.content.decode()
    )
    # A second click arrives after the first: refused, one permit.
    again = client.post(reverse("applications:submit", args=[application.reference]), follow=True)
    assert "already submitted" in again.content.decode()
    assert application.submissions.count() == 1


def test_the_signature_must_be_the_applicants_name_and_what_was_typed_stays(
    client, form, applicant, license_
):
    """The attestation is signed with the signed-in applicant's full name (issue 23's newcomer
    walk: any name was taken); another name is an error beside the field, kept as typed."""
    application = fill_in(
        services.application_start(template=form, applicant=applicant), license_, by=applicant
    )
    client.force_login(applicant)
    refused = client.post(
        step_url(application, "review"),
        {"agree": "on", "attestation": "Mickey Mouse", "action": "continue"},
    )
    assert refused.status_code == 200
    errors = refused.context["form"].errors["attestation"]
    assert errors == [
        f"Sign with your full name as it is on your account: {applicant.get_full_name()}."
    ]
    page = refused.content.decode()
    field = re.search(r'<input type="text" name="attestation"[^>]*>', page).group(0)
    assert 'value="Mickey Mouse"' in field
    assert 'aria-invalid="true"' in field
    assert f"As on your account: {applicant.get_full_name()}." in page
    application.refresh_from_db()
    assert application.status == ApplicationStatus.DRAFT
    assert application.attestation_name == "Mickey Mouse"  # the draft keeps what was typed
    # A service called without the page refuses it too.
    with pytest.raises(ApplicationIncomplete):
        services.application_submit(application=application, by=applicant)
    # Case and spacing are not the signer's name.
    typed = "  " + applicant.get_full_name().upper().replace(" ", "   ") + " "
    accepted = client.post(
        step_url(application, "review"),
        {"agree": "on", "attestation": typed, "action": "continue"},
    )
    assert accepted.status_code == 302
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED
    assert application.submissions.get().snapshot["attestation"] == typed.strip()


def test_what_was_typed_survives_a_session_that_timed_out(client, form, applicant, settings):
    from accounts.middleware import LAST_ACTIVITY_SESSION_KEY

    application = services.application_start(template=form, applicant=applicant)
    client.force_login(applicant)
    session = client.session
    session[LAST_ACTIVITY_SESSION_KEY] = (
        timezone.now() - datetime.timedelta(minutes=settings.CONTRACTOR_IDLE_MINUTES + 1)
    ).timestamp()
    session.save()
    response = client.post(
        step_url(application, "details"),
        {"q_description": "Rear addition, typed for an hour", "action": "continue"},
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    application.refresh_from_db()
    assert application.answers == {}
    client.force_login(applicant)
    page = client.get(step_url(application, "details")).content.decode()
    assert "What you typed before you were signed out was saved." in page
    assert "Rear addition, typed for an hour" in page
    application.refresh_from_db()
    assert application.answers == {"description": "Rear addition, typed for an hour"}


def test_a_submitted_application_shows_its_submission(client, form, applicant, license_):
    application = fill_in(
        services.application_start(template=form, applicant=applicant), license_, by=applicant
    )
    services.application_submit(application=application, by=applicant)
    client.force_login(applicant)
    page = client.get(reverse("applications:detail", args=[application.reference])).content
    page = page.decode()
    assert "Withdraw application" in page
    assert "Copy to a new application" in page
    assert "Rear addition" in page
    step = client.get(step_url(application, "details"), follow=True).content.decode()
    assert "can no longer be changed" in step


def test_the_dashboard_lists_my_applications(client, form, applicant):
    application = services.application_start(template=form, applicant=applicant)
    client.force_login(applicant)
    page = client.get(reverse("dashboard")).content.decode()
    assert "My Applications" in page
    assert application.reference in page
    assert "Resume" in page


def test_the_address_suggestions_come_from_the_citys_permits(client, applicant):
    from tests.factories import PermitFactory

    PermitFactory(street_number="2403", street_name="Wabash Ave", parcel_number="22-11")
    client.force_login(applicant)
    data = client.get(reverse("applications:addresses"), {"q": "2403 wab"}).json()
    assert data["addresses"][0]["label"] == "2403 Wabash Ave"
    assert data["addresses"][0]["parcel_number"] == "22-11"
    assert client.get(reverse("applications:addresses"), {"q": "24"}).json() == {"addresses": []}


# Intake in admin --------------------------------------------------------------------------------


@pytest.fixture
def clerk(db):
    from django.contrib.auth.models import Permission

    user = UserFactory(is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="applications"))
    return user


def submitted(form, applicant, license_):
    application = fill_in(
        services.application_start(template=form, applicant=applicant), license_, by=applicant
    )
    services.application_submit(application=application, by=applicant)
    application.refresh_from_db()
    return application


def test_the_intake_queue_lists_submitted_applications_oldest_first(
    client, clerk, form, applicant, license_
):
    first = submitted(form, applicant, license_)
    second = submitted(form, applicant, license_)
    Application.objects.filter(pk=first.pk).update(
        submitted_at=timezone.now() - datetime.timedelta(days=3)
    )
    client.force_login(clerk)
    page = client.get(reverse("admin:applications_intakequeue_changelist")).content.decode()
    assert page.index(first.reference) < page.index(second.reference)
    assert "3 days" in page


def test_the_intake_queue_marks_a_resubmission(client, clerk, form, applicant, license_):
    """From the newcomer walk: a resubmitted application looked like any new one in the
    queue, so the clerk could not tell to check the reasons it was returned for."""
    first = submitted(form, applicant, license_)
    again = submitted(form, applicant, license_)
    services.application_return(application=again, by=clerk, reasons="No site plan.")
    again.refresh_from_db()
    services.application_submit(application=again, by=applicant)
    client.force_login(clerk)
    page = client.get(reverse("admin:applications_intakequeue_changelist")).content.decode()
    row_of = {app.reference: page[page.index(app.reference) :][:1500] for app in (first, again)}
    assert "Resubmitted (2nd)" in row_of[again.reference]
    assert "First" in row_of[first.reference].split("</tr>")[0]
    assert "Resubmitted" not in row_of[first.reference].split("</tr>")[0]


def test_the_clerk_accepts_on_the_applications_page(client, clerk, form, applicant, license_):
    application = submitted(form, applicant, license_)
    client.force_login(clerk)
    page = client.get(
        reverse("admin:applications_intakequeue_change", args=[application.pk])
    ).content.decode()
    assert "Accept for review" in page
    assert "Rear addition" in page
    assert "plans.pdf" in page
    client.post(reverse("admin:applications_intakequeue_accept", args=[application.pk]))
    application.refresh_from_db()
    assert application.status == ApplicationStatus.ACCEPTED
    assert application.permit.status == PermitStatus.IN_REVIEW


def test_the_clerk_returns_with_reasons(client, clerk, form, applicant, license_):
    application = submitted(form, applicant, license_)
    client.force_login(clerk)
    page = client.get(reverse("admin:applications_intakequeue_change", args=[application.pk])).text
    # The browser sends an empty reason (issue 23: it used to stop it without a word) and the
    # page says what to do.
    assert re.search(r'<form [^>]*class="review-reject" novalidate>', page)
    url = reverse("admin:applications_application_return", args=[application.pk])
    refused = client.post(url, {"reasons": ""}, follow=True)
    assert "Give the reasons: the applicant is told them." in refused.text
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED
    client.post(url, {"reasons": "No setbacks on the site plan."})
    application.refresh_from_db()
    assert application.status == ApplicationStatus.RETURNED
    assert application.submissions.get().reasons == "No setbacks on the site plan."


def test_staff_without_the_permission_cannot_decide(client, form, applicant, license_):
    application = submitted(form, applicant, license_)
    client.force_login(UserFactory(is_staff=True))
    response = client.post(reverse("admin:applications_application_accept", args=[application.pk]))
    assert response.status_code == 403
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED


def test_the_form_admin_publishes_a_draft_version(client, clerk, db):
    template = make_form("DEM", publish=False)
    client.force_login(clerk)
    page = client.get(
        reverse("admin:applications_applicationtemplate_change", args=[template.pk])
    ).content.decode()
    assert "Publish version 1" in page
    client.post(reverse("admin:applications_applicationtemplate_publish", args=[template.pk]))
    template.refresh_from_db()
    assert template.status == "published"
    page = client.get(
        reverse("admin:applications_applicationtemplate_change", args=[template.pk])
    ).content.decode()
    assert "New draft version from this one" in page

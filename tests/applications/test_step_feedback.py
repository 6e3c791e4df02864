"""What a newcomer's walk through the wizard on a phone found: a wrong ZIP, state or owner email
reaching a permit, a typed contact or a Back press losing what was typed, a long answer cut
without a word, a license that could not be unchosen, errors far below the fold, uploads filed
as "Other document" by default."""

import re

import pytest
from django.urls import reverse

from applications import services
from applications.exceptions import ApplicationIncomplete

from .conftest import fill_in

pytestmark = pytest.mark.django_db


def step_url(application, step):
    return reverse("applications:step", args=[application.reference, step])


@pytest.fixture
def draft(form, applicant):
    return services.application_start(template=form, applicant=applicant)


def test_a_wrong_zip_state_or_owner_email_is_listed_and_refused_at_submit(
    client, draft, applicant, license_
):
    application = fill_in(draft, license_, by=applicant)
    services.application_save_location(
        application=application, by=applicant, values={"zip_code": "6270", "state": "I1"}
    )
    services.application_save_people(
        application=application,
        by=applicant,
        license_id=license_.pk,
        owner_name="Jordan Baker",
        owner_email="jordan@example",
    )
    client.force_login(applicant)
    page = client.get(step_url(application, "review")).text
    assert "ZIP “6270”: Enter a 5-digit ZIP code" in page
    assert "State “I1”: Use the two-letter state code" in page
    assert "Owner&#x27;s email “jordan@example”: Enter a valid email address." in page
    assert f'href="{step_url(application, "location")}#id_zip_code"' in page
    with pytest.raises(ApplicationIncomplete) as refused:
        services.application_submit(application=application, by=applicant)
    assert {item.step for item in refused.value.missing} == {"location", "people"}
    assert application.permit is None


def test_a_contact_typed_in_is_added_by_save_and_continue(client, draft, applicant, license_):
    client.force_login(applicant)
    response = client.post(
        step_url(draft, "people"),
        {
            "license": license_.pk,
            "owner_name": "Jordan Baker",
            "contact-email": "pm@build.test",
            "contact-contact_type": "project_manager",
            "action": "continue",
        },
    )
    assert response["Location"] == step_url(draft, "details")
    assert list(draft.contacts.values_list("email", flat=True)) == ["pm@build.test"]


def test_a_contact_typed_wrong_stops_the_step_and_keeps_what_was_typed(
    client, draft, applicant, license_
):
    client.force_login(applicant)
    response = client.post(
        step_url(draft, "people"),
        {
            "license": license_.pk,
            "owner_name": "Jordan Baker",
            "contact-name": "Sam Site",
            "contact-email": "sam@",
            "action": "continue",
        },
    )
    assert response.status_code == 200
    page = response.text
    assert 'value="Sam Site"' in page and 'value="sam@"' in page
    assert "Choose the contact&#x27;s type." in page
    assert not draft.contacts.exists()
    draft.refresh_from_db()
    assert draft.owner_name == "Jordan Baker"  # the rest of the step is saved


def test_the_contacts_box_is_not_marked_required(client, draft, applicant):
    client.force_login(applicant)
    page = client.get(step_url(draft, "people")).text
    contacts = page.split('id="contacts"')[1]
    assert "asteriskField" not in contacts


def test_save_and_go_back_saves_then_goes_to_the_step_before(client, draft, applicant):
    client.force_login(applicant)
    response = client.post(
        step_url(draft, "details"),
        {"q_description": "Deck", "q_valuation": "lots", "action": "back"},
    )
    assert response["Location"] == step_url(draft, "people")
    draft.refresh_from_db()
    assert draft.answers["description"] == "Deck"
    assert draft.answers["valuation"] == "lots"  # kept as typed, listed on Review


def test_a_step_link_clicked_with_changes_saves_them_first(client, draft, applicant):
    client.force_login(applicant)
    response = client.post(
        step_url(draft, "details"), {"q_description": "Deck", "action": "goto:fees"}
    )
    assert response["Location"] == step_url(draft, "fees")
    draft.refresh_from_db()
    assert draft.answers["description"] == "Deck"
    # An unknown step is not followed: the step is shown with its errors.
    response = client.post(step_url(draft, "details"), {"action": "goto:payment"})
    assert response.status_code == 200


def test_back_from_review_saves_the_signature_and_does_not_submit(
    client, draft, applicant, license_
):
    application = fill_in(draft, license_, by=applicant)
    client.force_login(applicant)
    response = client.post(
        step_url(application, "review"),
        {"agree": "on", "attestation": "Pat Q. Tester", "action": "back"},
    )
    assert response["Location"] == step_url(application, "fees")
    application.refresh_from_db()
    assert application.permit is None
    assert application.attestation_name == "Pat Q. Tester"


def test_a_long_answer_over_the_limit_is_an_error_not_a_silent_cut(client, draft, applicant):
    client.force_login(applicant)
    page = client.get(step_url(draft, "details")).text
    assert re.search(r'<textarea[^>]*maxlength="5000"[^>]*name="q_description"', page) or (
        re.search(r'<textarea[^>]*name="q_description"[^>]*maxlength="5000"', page)
    )
    response = client.post(
        step_url(draft, "details"), {"q_description": "x" * 20_000, "action": "continue"}
    )
    assert response.status_code == 200
    assert "at most 5000 characters (it has 20000)" in response.text


def test_choose_a_license_unchooses_it(client, draft, applicant, license_):
    client.force_login(applicant)
    client.post(
        step_url(draft, "people"),
        {"license": license_.pk, "owner_name": "J", "action": "continue"},
    )
    client.post(step_url(draft, "people"), {"license": "", "owner_name": "J", "action": "later"})
    draft.refresh_from_db()
    assert (draft.license_id, draft.business_id) == (None, None)


def test_errors_are_listed_at_the_top_with_links_to_their_fields(client, draft, applicant):
    client.force_login(applicant)
    response = client.post(
        step_url(draft, "location"),
        {"street_name": "Oak St", "zip_code": "627", "state": "I1", "action": "continue"},
    )
    page = response.text
    summary = page.split('id="error-summary"')[1].split("</div>")[0]
    assert "2 things to fix on this step" in summary
    assert '<a class="alert-link" href="#id_zip_code">ZIP: Enter a 5-digit ZIP code' in summary
    assert 'href="#id_state"' in summary
    assert page.index('id="error-summary"') < page.index('name="zip_code"')


def test_the_upload_form_starts_on_the_first_missing_document(client, draft, applicant):
    client.force_login(applicant)
    site_plan = draft.template.document_requirements.get(name="Site Plan")
    page = client.get(step_url(draft, "documents")).text
    assert re.search(rf'<option value="{site_plan.pk}" selected>Site Plan</option>', page)
    assert 'accept=".pdf,.png,.jpg,.jpeg"' in page


def test_the_submit_address_opened_in_the_browser_goes_to_review(client, draft, applicant):
    client.force_login(applicant)
    response = client.get(reverse("applications:submit", args=[draft.reference]))
    assert response["Location"] == step_url(draft, "review")

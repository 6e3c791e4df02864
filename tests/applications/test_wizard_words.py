"""Issue 23, requirement 14: Resume opens the step the applicant left, the progress bar counts
the steps complete, a missing answer is named whole away from its field, and a date answer
reads as the portal's other dates."""

import pytest
from django.urls import reverse

from applications import services
from applications.answers import display_answer, problem_named
from applications.models import Application, Question

from .conftest import COMPLETE_ANSWERS

pytestmark = pytest.mark.django_db


def step_url(application, step):
    return reverse("applications:step", args=[application.reference, step])


@pytest.fixture
def draft(form, applicant):
    return services.application_start(template=form, applicant=applicant)


def save_location_and_people(draft, applicant, license_):
    services.application_save_location(
        application=draft,
        by=applicant,
        values={"street_number": "12", "street_name": "Oak St", "zip_code": "62704"},
    )
    services.application_save_people(
        application=draft,
        by=applicant,
        license_id=license_.pk,
        owner_name="Jordan Baker",
        owner_email="owner@example.com",
    )


def test_resume_opens_the_step_the_applicant_left(client, draft, applicant, license_):
    client.force_login(applicant)
    save_location_and_people(draft, applicant, license_)
    assert client.get(step_url(draft, "details")).status_code == 200
    draft.refresh_from_db()
    assert draft.last_step == "details"
    resume = f'href="{step_url(draft, "details")}">Resume'
    assert resume in client.get(reverse("applications:detail", args=[draft.reference])).text
    assert resume in client.get(reverse("dashboard")).text
    # Looking at a step is no change to the draft: its expiry is kept from its last save.
    before = Application.objects.values_list("updated_at", "expires_on").get(pk=draft.pk)
    client.get(step_url(draft, "fees"))
    assert Application.objects.values_list("updated_at", "expires_on").get(pk=draft.pk) == before
    assert Application.objects.get(pk=draft.pk).last_step == "fees"


def test_a_new_draft_resumes_at_its_first_step_to_fill(draft):
    assert draft.resume_step == "location"


def test_the_progress_bar_counts_the_steps_complete_not_the_page(
    client, draft, applicant, license_
):
    client.force_login(applicant)
    save_location_and_people(draft, applicant, license_)
    page = client.get(step_url(draft, "review")).text
    bar = page[page.index('data-testid="progress"') - 400 : page.index('data-testid="progress"')]
    # Type, Location and People: 3 of 7, though the page is step 7.
    assert 'aria-valuenow="3"' in bar
    assert "3 of 7 steps complete; this is step 7" in bar
    assert "progress-done-3" in page and "progress-done-7" not in page


def test_a_missing_answer_is_named_whole_on_the_review_and_atop_the_step(
    client, draft, applicant, license_
):
    client.force_login(applicant)
    save_location_and_people(draft, applicant, license_)
    answers = {key: value for key, value in COMPLETE_ANSWERS.items() if key != "new_service"}
    services.application_save_answers(application=draft, by=applicant, answers=answers)
    review = client.get(step_url(draft, "review")).text
    assert "Answer “New electrical service?”." in review
    assert "?: Answer this question." not in review
    response = client.post(
        step_url(draft, "details"),
        {f"q_{key}": value for key, value in answers.items()} | {"action": "continue"},
    )
    summary = response.text[response.text.index('id="error-summary"') :]
    summary = summary[: summary.index("</div>")]
    assert "Answer “New electrical service?”." in summary
    assert "?: " not in summary


def test_problems_are_said_in_sentences():
    assert problem_named("Is there electrical service?", "Answer this question.") == (
        "Answer “Is there electrical service?”."
    )
    assert problem_named("Floor area", "Enter a number.") == "Floor area: Enter a number."
    assert problem_named("How many stories?", "Enter a number.") == (
        "“How many stories?”: Enter a number."
    )


def test_a_date_answer_reads_as_the_portals_us_dates():
    question = Question(key="start_date", label="Expected start date", kind="date")
    assert display_answer(question, "2027-01-15") == "01/15/2027"
    assert display_answer(question, "soon") == "soon"

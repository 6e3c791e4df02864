"""Conditions of approval for the contractor (issue 23, requirement 2): the permit page lists
them and whether each is met; someone who works on the permit answers one online (a note and a
document); staff see the answered ones in their queue and mark them met; a final inspection a
condition holds is shown unavailable, with the reason, when the inspection is chosen, and a
refusal at Finish keeps what was typed."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from applications import services
from applications.exceptions import ApplicationError
from core.models import Event
from inspections.models import InspectionType
from inspections.scheduling import allowed_days
from permits.models import FeeStatus
from reviews import services as reviews
from reviews.models import Review, ReviewCondition, ReviewStatus
from tests.factories import UserFactory, contractor_user

from .conftest import condition, pdf, reviewer

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(submitted, building, intake_clerk):
    """Approved with a condition before the final, fees settled, its issuance document in:
    issued; its type has a Framing and a Final inspection."""
    permit = submitted.permit
    for code, name, final in (("105", "Framing", False), ("199", "Final", True)):
        InspectionType.objects.create(
            permit_type=permit.permit_type, code=code, name=name, is_final=final
        )
    builder = reviewer(building.group)
    services.application_accept(application=submitted, by=intake_clerk)
    review = Review.objects.get()
    condition(review, "Smoke alarms interconnected.")
    reviews.review_decide(review=review, decision=ReviewStatus.APPROVED_WITH_CONDITIONS, by=builder)
    energy = submitted.template.document_requirements.get(name="Energy Compliance")
    reviews.issuance_document_upload(
        application=submitted, requirement_id=energy.pk, upload=pdf(), by=submitted.applicant
    )
    for fee in permit.fees.filter(status=FeeStatus.DUE):
        fee.move_to(FeeStatus.WAIVED, note="Counter payment (test)")
    permit.refresh_from_db()
    assert permit.is_issued
    return permit


@pytest.fixture
def item(issued):
    return ReviewCondition.objects.get()


def page_of(client, permit) -> str:
    return " ".join(client.get(reverse("permits:detail", args=[permit.number])).text.split())


def test_the_permit_page_lists_its_conditions_and_whether_each_is_met(
    client, issued, item, submitted
):
    client.force_login(submitted.applicant)
    page = page_of(client, issued)
    assert 'id="conditions-heading">Conditions of approval</h2>' in page
    assert "Smoke alarms interconnected." in page
    assert "Not met yet</span> · to meet before the final inspection" in page
    answer = reverse("reviews:condition_answer", args=[issued.number, item.pk])
    assert f'href="{answer}">Answer' in page


def test_a_condition_is_answered_online_with_a_note_and_a_document(client, issued, item, submitted):
    client.force_login(submitted.applicant)
    url = reverse("reviews:condition_answer", args=[issued.number, item.pk])
    assert "How the condition is met" in client.get(url).text
    response = client.post(
        url,
        {"note": "Interconnected, see the electrician's letter.", "document": pdf("letter.pdf")},
    )
    assert response.status_code == 302 and response.url.endswith("#conditions")
    item.refresh_from_db()
    assert item.answer == "Interconnected, see the electrician's letter."
    assert item.answered_by == submitted.applicant and item.answered_at is not None
    assert item.met_at is None  # staff mark it met
    document = item.answer_document
    assert document.permit == issued and document.original_name == "letter.pdf"
    event = Event.objects.get(type="condition.answered")
    assert event.actor == submitted.applicant and event.payload["document"] == document.pk
    page = page_of(client, issued)
    assert "Answered " in page and "waiting for the permit office to mark it met" in page
    assert "Interconnected, see the electrician&#x27;s letter." in page
    assert "Change the answer" in page


def test_a_refused_answer_keeps_the_note_on_the_page(client, issued, item, submitted):
    client.force_login(submitted.applicant)
    url = reverse("reviews:condition_answer", args=[issued.number, item.pk])
    response = client.post(url, {"note": "Done, letter attached.", "document": pdf("x.pdf", b"no")})
    assert response.status_code == 200
    assert "Upload a PDF, PNG or JPEG file (this one is not)." in response.text
    assert "Done, letter attached.</textarea>" in response.text
    response = client.post(url, {"note": "  "})
    assert "Say how the condition is met." in response.text
    item.refresh_from_db()
    assert item.answered_at is None and not issued.documents.filter(original_name="x.pdf")


def test_only_who_works_on_the_permit_answers(client, issued, item, license_):
    payer = contractor_user(license_, can_pay=True)
    payer.license_links.update(status="rejected")  # Pay only, at the holder
    with pytest.raises(ApplicationError, match="Apply or Upload Files"):
        reviews.condition_answer(condition=item, by=payer, note="Done")
    client.force_login(payer)
    page = page_of(client, issued)
    assert "Smoke alarms interconnected." in page and "Answer<span" not in page
    response = client.post(
        reverse("reviews:condition_answer", args=[issued.number, item.pk]), {"note": "Done"}
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.answered_at is None


def test_a_met_condition_is_not_answered(issued, item, submitted, intake_clerk):
    reviews.condition_mark_met(condition=item, by=intake_clerk)
    with pytest.raises(ApplicationError, match="already met"):
        reviews.condition_answer(condition=item, by=submitted.applicant, note="Done")


def test_staff_see_answered_conditions_in_their_queue_and_mark_them_met(
    client, issued, item, submitted, building
):
    reviews.condition_answer(condition=item, by=submitted.applicant, note="Alarms are in.")
    waiting = condition(Review.objects.get(), "Not answered yet: not in the queue.")
    clerk = UserFactory(is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="change_reviewcondition"))
    client.force_login(clerk)
    queue = reverse("admin:reviews_answeredcondition_changelist")
    page = client.get(queue).text
    assert "Alarms are in." in page and issued.number in page
    assert waiting.text not in page
    client.post(queue, {"action": "mark_met", "_selected_action": [item.pk]})
    item.refresh_from_db()
    assert item.met_by == clerk
    assert "Alarms are in." not in client.get(queue).text  # met: out of the queue
    # A reviewer who may not mark conditions met has no queue.
    client.force_login(reviewer(building.group))
    assert client.get(queue).status_code == 403


def request_type_page(client, permit):
    return client.get(reverse("inspections:request", args=[permit.number])).text


def test_a_held_final_inspection_is_shown_unavailable_with_the_reason_when_chosen(
    client, issued, item, submitted
):
    client.force_login(submitted.applicant)
    page = request_type_page(client, issued)
    final = InspectionType.objects.get(code="199")
    framing = InspectionType.objects.get(code="105")
    radio = next(tag for tag in page.split("<input") if f'value="{final.pk}"' in tag)
    assert "disabled" in radio.split(">")[0]
    assert (
        "Final: not available yet, the condition “Smoke alarms interconnected.” is to be met"
        in (page)
    )
    response = client.post(
        reverse("inspections:request", args=[issued.number]), {"inspection_type": final.pk}
    )
    assert response.status_code == 200
    assert "Not available yet: the condition “Smoke alarms interconnected.”" in response.text
    response = client.post(
        reverse("inspections:request", args=[issued.number]), {"inspection_type": framing.pk}
    )
    assert response.status_code == 302  # the others are offered as before


def test_once_met_the_final_is_offered(client, issued, item, submitted, intake_clerk):
    reviews.condition_mark_met(condition=item, by=intake_clerk)
    client.force_login(submitted.applicant)
    assert "not available yet" not in request_type_page(client, issued)


def test_refused_at_finish_the_date_and_notes_stay_on_the_page(
    client, issued, item, submitted, intake_clerk
):
    """The final was chosen while nothing held it; a condition holds it by Finish."""
    reviews.condition_mark_met(condition=item, by=intake_clerk)
    client.force_login(submitted.applicant)
    final = InspectionType.objects.get(code="199")
    day = allowed_days()[0]
    client.post(reverse("inspections:request", args=[issued.number]), {"inspection_type": final.pk})
    client.post(reverse("inspections:request_date", args=[issued.number]), {"day": day.isoformat()})
    client.post(
        reverse("inspections:request_contact", args=[issued.number]) + "?change=1",
        {"change": "1", "contact_name": "Dana", "contact_phone": "217-555-0100"},
    )
    ReviewCondition.objects.filter(pk=item.pk).update(met_at=None, met_by=None)
    response = client.post(
        reverse("inspections:request_notes", args=[issued.number]),
        {"notes": "Gate code 4411, dog in the yard."},
    )
    assert response.status_code == 200
    text = response.text
    assert "Gate code 4411, dog in the yard.</textarea>" in text
    assert f"{day:%m/%d/%Y}" in text
    assert "cannot be requested yet: the condition “Smoke alarms interconnected.”" in text


def test_an_answered_condition_is_marked_met_from_its_own_page(
    client, issued, item, submitted, building
):
    """From the newcomer walk: the answered condition's page showed Save buttons over fields
    that cannot change, and no Mark met."""
    reviews.condition_answer(condition=item, by=submitted.applicant, note="Alarms are in.")
    clerk = UserFactory(is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="change_reviewcondition"))
    client.force_login(clerk)
    page_url = reverse("admin:reviews_answeredcondition_change", args=[item.pk])
    page = client.get(page_url).text
    assert 'name="_mark_met"' in page and 'name="_save"' not in page
    response = client.post(page_url, {"_mark_met": "1"}, follow=True)
    assert "Condition marked met" in response.text
    item.refresh_from_db()
    assert item.met_by == clerk
    # Met: the page says so, with no button.
    page = client.get(reverse("admin:reviews_reviewcondition_change", args=[item.pk])).text
    assert 'name="_mark_met"' not in page and "Met " in page

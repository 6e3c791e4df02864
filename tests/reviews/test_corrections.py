"""Plan review, the applicant's side (issue 15, requirements 3 and 4): the permit's Reviews page,
the Corrections page (a response on each item that needs one, corrected documents as new
versions), Resubmit opening the next cycle with the disciplines that asked, earlier cycles kept
as they were, and the clock that counts only the days the city holds the file."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from applications import services
from applications.exceptions import ApplicationError
from reviews import services as reviews
from reviews.checks import issuance_documents_missing
from reviews.models import CommentKind, Review, ReviewComment, ReviewCycle, ReviewStatus
from reviews.selectors import permit_reviews
from tests.factories import PermitFactory, UserFactory, contractor_user

from .conftest import PDF, comment, pdf, reviewer

pytestmark = pytest.mark.django_db


@pytest.fixture
def corrections(submitted, building, zoning, intake_clerk):
    """Cycle 1 decided: Building approved, Zoning asked for two corrections (and said one
    thing for information)."""
    builder, zoner = reviewer(building.group), reviewer(zoning.group)
    services.application_accept(application=submitted, by=intake_clerk)
    reviews.review_decide(
        review=Review.objects.get(discipline=building), decision=ReviewStatus.APPROVED, by=builder
    )
    zoning_review = Review.objects.get(discipline=zoning)
    first = comment(zoning_review, "Show the rear setback.", reference="Sheet A-1")
    second = comment(zoning_review, "Give the lot coverage.")
    comment(zoning_review, "A fence needs its own permit.", kind=CommentKind.INFO)
    reviews.review_decide(
        review=zoning_review, decision=ReviewStatus.CORRECTIONS_REQUIRED, by=zoner
    )
    return submitted, first, second


def url(name, application):
    return reverse(f"reviews:{name}", args=[application.permit.number])


def test_the_reviews_page_shows_each_discipline_to_the_permits_parties(client, corrections):
    application, _, _ = corrections
    client.force_login(application.applicant)
    page = client.get(url("permit_reviews", application)).text
    assert "Cycle 1" in page and "Building" in page and "Zoning" in page
    assert "Approved" in page and "Corrections Required" in page
    assert "Show the rear setback." in page and "Sheet A-1" in page
    assert "2 items still need your response." in page
    stranger = UserFactory()
    client.force_login(stranger)
    assert client.get(url("permit_reviews", application)).status_code == 404
    assert client.get(url("permit_corrections", application)).status_code == 404


def test_a_permit_not_applied_for_online_has_no_reviews_page(client, applicant, license_):
    permit = PermitFactory(licenses=[license_])
    client.force_login(applicant)
    response = client.get(reverse("reviews:permit_reviews", args=[permit.number]))
    assert response.status_code == 404


def test_resubmit_needs_every_response_then_opens_the_next_cycle_with_zoning(
    client, corrections, zoning
):
    application, first, second = corrections
    client.force_login(application.applicant)
    page = client.get(url("permit_corrections", application)).text
    assert f'name="response-{first.pk}"' in page and f'name="response-{second.pk}"' in page
    assert re.search(r'<button[^>]*value="resubmit"[^>]*disabled', page)  # not yet
    assert "A fence needs its own permit." in page
    response = client.post(
        url("permit_corrections", application),
        {f"response-{first.pk}": "Added on A-1: 25 ft.", "action": "resubmit"},
        follow=True,
    )
    assert "1 item still needs a response before you can resubmit." in response.text
    first.refresh_from_db()
    assert first.response == "Added on A-1: 25 ft."  # saved all the same
    assert ReviewCycle.objects.count() == 1
    response = client.post(
        url("permit_corrections", application),
        {f"response-{second.pk}": "32%, on A-1.", "action": "resubmit"},
        follow=True,
    )
    assert "Resubmitted: review cycle 2 has started." in response.text
    # (Once every item had a response the page offered Resubmit: a plain button.)
    cycle = ReviewCycle.objects.get(number=2)
    assert [review.discipline for review in cycle.reviews.all()] == [zoning]
    # Cycle 1 stays as it was, and its comments can no longer be answered.
    with pytest.raises(ApplicationError, match="no corrections waiting"):
        reviews.correction_respond(comment=first, by=application.applicant, response="Changed")
    assert client.get(url("permit_corrections", application)).status_code == 302


def test_with_the_setting_every_discipline_reviews_again(corrections, settings, building, zoning):
    settings.REVIEW_RESUBMIT_ALL_DISCIPLINES = True
    application, first, second = corrections
    for item in (first, second):
        reviews.correction_respond(comment=item, by=application.applicant, response="Done")
    cycle = reviews.corrections_resubmit(application=application, by=application.applicant)
    assert {review.discipline for review in cycle.reviews.all()} == {building, zoning}


def test_a_corrected_document_is_a_new_version_and_the_first_is_kept(client, corrections):
    application, _, _ = corrections
    original = application.documents.get()
    client.force_login(application.applicant)
    upload = url("correction_upload", application)
    response = client.post(
        upload, {"replaces": original.pk, "file": pdf("plans-rev1.pdf")}, follow=True
    )
    assert "plans-rev1.pdf was uploaded as version 2 of plans.pdf." in response.text
    version = application.documents.get(replaces=original)
    assert (version.version, version.requirement_id) == (2, original.requirement_id)
    assert not version.submitted and original.submitted
    # A version of the replaced one is refused: versions follow the latest.
    response = client.post(upload, {"replaces": original.pk, "file": pdf("x.pdf")}, follow=True)
    assert "Choose one of the documents listed: the latest version of each." in response.text
    with pytest.raises(ApplicationError, match="already has a newer version"):
        reviews.correction_document_upload(
            application=application,
            by=application.applicant,
            upload=pdf("y.pdf"),
            replaces_id=original.pk,
        )
    response = client.post(upload, {"replaces": "", "file": pdf("soils.pdf")}, follow=True)
    assert "soils.pdf was uploaded as a new document." in response.text


def test_a_colleague_with_apply_answers_one_without_it_cannot(client, corrections, license_):
    application, first, _ = corrections
    colleague = contractor_user(license_, can_apply=True)
    client.force_login(colleague)
    client.post(
        url("permit_corrections", application),
        {f"response-{first.pk}": "By a colleague", "action": "save"},
    )
    first.refresh_from_db()
    assert first.response == "By a colleague"
    viewer = contractor_user(license_, can_pay=True)
    client.force_login(viewer)
    page = client.get(url("permit_corrections", application)).text
    assert "needs the <strong>Apply</strong> role" in page
    response = client.post(
        url("permit_corrections", application),
        {f"response-{first.pk}": "Not mine to say", "action": "save"},
    )
    assert response.status_code == 404
    first.refresh_from_db()
    assert first.response == "By a colleague"
    response = client.post(
        url("correction_upload", application), {"replaces": "", "file": pdf()}, follow=True
    )
    assert "needs the Upload Files role" in response.text


def test_the_clock_counts_only_the_days_the_city_holds_the_file(corrections):
    application, first, second = corrections
    cycle = ReviewCycle.objects.get()
    monday = timezone.make_aware(datetime.datetime(2027, 3, 1, 9))
    # Cycle 1: Monday to Friday of the same week (4 business days after Monday).
    ReviewCycle.objects.filter(pk=cycle.pk).update(
        opened_at=monday, decided_at=monday + datetime.timedelta(days=4)
    )
    # With the applicant for a week; cycle 2 opened two Mondays later, decided on Wednesday.
    for item in (first, second):
        reviews.correction_respond(comment=item, by=application.applicant, response="Done")
    second_cycle = reviews.corrections_resubmit(application=application, by=application.applicant)
    ReviewCycle.objects.filter(pk=second_cycle.pk).update(
        opened_at=monday + datetime.timedelta(days=14),
        decided_at=monday + datetime.timedelta(days=16),
    )
    assert permit_reviews(application.permit).days_in_review == 4 + 2


def test_responses_to_information_items_are_not_asked_for(corrections):
    application, first, second = corrections
    info = ReviewComment.objects.get(kind=CommentKind.INFO)
    assert reviews.unanswered(info.review.cycle) == 2
    for item in (first, second):
        reviews.correction_respond(comment=item, by=application.applicant, response="Done")
    assert reviews.unanswered(info.review.cycle) == 0


def test_the_pdf_helper_is_a_pdf():
    assert PDF.startswith(b"%PDF-")


def test_the_permit_page_links_to_its_reviews(client, corrections, applicant, license_):
    application, _, _ = corrections
    client.force_login(application.applicant)
    page = client.get(reverse("permits:detail", args=[application.permit.number])).text
    assert f'href="{url("permit_reviews", application)}">Reviews</a>' in page
    counter = PermitFactory(licenses=[license_])
    page = client.get(reverse("permits:detail", args=[counter.number])).text
    assert "/reviews/" not in page


def test_a_revision_fee_from_the_cycle_the_city_sets(corrections, settings, zoning):
    settings.REVIEW_REVISION_FEE = "75.00"
    settings.REVIEW_REVISION_FEE_FROM_CYCLE = 2
    application, first, second = corrections
    for item in (first, second):
        reviews.correction_respond(comment=item, by=application.applicant, response="Done")
    reviews.corrections_resubmit(application=application, by=application.applicant)
    fee = application.permit.fees.get()
    assert (fee.description, fee.amount) == ("Plan revision fee (review cycle 2)", Decimal("75"))


def test_no_revision_fee_by_default(corrections):
    application, first, second = corrections
    for item in (first, second):
        reviews.correction_respond(comment=item, by=application.applicant, response="Done")
    reviews.corrections_resubmit(application=application, by=application.applicant)
    assert not application.permit.fees.exists()


def test_admin_sorts_reviews_by_the_days_in_review(client, corrections, zoning):
    application, first, second = corrections
    ReviewCycle.objects.filter(application=application).update(
        opened_at=timezone.now() - datetime.timedelta(days=21),
        decided_at=timezone.now() - datetime.timedelta(days=7),
    )
    for item in (first, second):
        reviews.correction_respond(comment=item, by=application.applicant, response="Done")
    reviews.corrections_resubmit(application=application, by=application.applicant)
    boss = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(boss)
    changelist = reverse("admin:reviews_review_changelist")
    page = client.get(changelist, {"o": "8"})  # the column "days in review" (from 0)
    assert page.status_code == 200
    changelist_ = page.context["cl"]
    rows = changelist_.result_list
    assert dict(changelist_.get_ordering_field_columns()) == {8: "asc"}
    assert "held" in changelist_.get_ordering(page.wsgi_request, rows)

    # Cycle 1 held 10 business days (3 weeks ago to a week ago); cycle 2 started today.
    assert {review.held.days for review in rows} == {14}
    assert "Days in review" in page.text
    assert '<td class="field-days_in_review">10</td>' in page.text


def test_uploading_on_the_corrections_page_keeps_the_responses_typed(client, corrections):
    application, first, _ = corrections
    original = application.documents.get()
    client.force_login(application.applicant)
    response = client.post(
        url("permit_corrections", application),
        {
            f"response-{first.pk}": "Setback shown on A-1, rev 2.",
            "replaces": original.pk,
            "file": pdf("plans-rev2.pdf"),
            "action": "upload",
        },
        follow=True,
    )
    assert "plans-rev2.pdf was uploaded as version 2 of plans.pdf." in response.text
    first.refresh_from_db()
    assert first.response == "Setback shown on A-1, rev 2."
    assert "Setback shown on A-1, rev 2." in response.text  # on the page, as typed


def test_resubmit_is_enabled_once_every_item_has_a_response(client, corrections):
    application, first, second = corrections
    client.force_login(application.applicant)
    client.post(
        url("permit_corrections", application),
        {f"response-{first.pk}": "Done", f"response-{second.pk}": "Done", "action": "save"},
    )
    page = client.get(url("permit_corrections", application)).text
    button = re.search(r'<button[^>]*value="resubmit"[^>]*>', page).group(0)
    assert "disabled" not in button


def test_my_applications_shows_an_accepted_applications_permit_status(client, corrections):
    application, _, _ = corrections
    client.force_login(application.applicant)
    page = client.get(reverse("applications:mine")).text
    assert ">In Review</span>" in page and ">Accepted for review</span>" not in page
    detail = client.get(reverse("applications:detail", args=[application.reference])).text
    assert f'href="{url("permit_reviews", application)}">Reviews</a>' in detail


def test_a_document_needed_before_issuance_uploaded_with_the_corrections_counts(
    client, corrections
):
    """Issue 23, requirement 1: the Corrections page offers the documents the form needs
    before issuance; one uploaded there is not asked for again."""
    application, _, _ = corrections
    energy = application.template.document_requirements.get(name="Energy Compliance")
    client.force_login(application.applicant)
    page = client.get(url("permit_corrections", application)).text
    assert "The Energy Compliance (needed before issuance)" in page
    response = client.post(
        url("correction_upload", application),
        {"replaces": f"needed-{energy.pk}", "file": pdf("rescheck.pdf")},
        follow=True,
    )
    assert "rescheck.pdf was uploaded as the Energy Compliance." in response.text
    assert application.documents.get(original_name="rescheck.pdf").requirement == energy
    assert issuance_documents_missing(application) == []
    assert "(needed before issuance)" not in client.get(url("permit_corrections", application)).text

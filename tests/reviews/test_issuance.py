"""From approval to issuance (issue 15, requirements 5 and 6): every discipline approves, the
permit goes Pending Approval, the fee schedule assesses its fees, it is Ready to Issue and the
applicant is emailed the fees and a Pay link; once its fees are paid and the documents needed
before issuance are in (and the conditions to meet before it are met), it is issued without a
phone call, or by a clerk when the city says so."""

from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from applications import services
from applications.exceptions import ApplicationError
from permits.exceptions import InvalidPermitStatusMove
from permits.issuing import permit_issue_when_ready
from permits.models import FeeStatus, PermitStatus
from reviews import services as reviews
from reviews.checks import issuance_missing
from reviews.models import Review, ReviewCondition, ReviewStatus
from tests.applications.conftest import PNG
from tests.factories import PermitFactory, moves

from .conftest import condition, pdf, reviewer

pytestmark = pytest.mark.django_db


@pytest.fixture
def approved(submitted, building, intake_clerk, django_capture_on_commit_callbacks):
    """Building, the type's one discipline, approves: the permit is Ready to Issue."""
    builder = reviewer(building.group)
    services.application_accept(application=submitted, by=intake_clerk)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        reviews.review_decide(
            review=Review.objects.get(), decision=ReviewStatus.APPROVED, by=builder
        )
    submitted.permit.refresh_from_db()
    return submitted


def waive_fees(permit):
    for fee in permit.fees.filter(status=FeeStatus.DUE):
        fee.move_to(FeeStatus.WAIVED, note="Paid at the counter (test)")


def test_approval_assesses_the_fees_and_emails_the_pay_link(approved):
    permit = approved.permit
    assert permit.status == PermitStatus.READY_TO_ISSUE
    # The form's schedule on the answers: plan review $2.50 per $1,000 of $120,000.
    assert [(fee.description, fee.amount) for fee in permit.fees.all()] == [
        ("Plan review", Decimal("300.00"))
    ]
    history = [(move.to_status, move.note) for move in moves(permit)]
    assert history[-2:] == [
        (PermitStatus.PENDING_APPROVAL, "Every discipline approved"),
        (PermitStatus.READY_TO_ISSUE, "Fees assessed from the fee schedule"),
    ]
    fees_mail = [m for m in mail.outbox if "fees due" in m.subject]
    assert [m.to for m in fees_mail] == [[approved.applicant.email]]
    assert f"{permit.number}, {permit.address} approved: fees due $300.00" in fees_mail[0].subject
    assert reverse("permits:detail", args=[permit.number]) in fees_mail[0].body


def test_a_fee_the_schedule_cannot_work_out_leaves_it_with_the_office(
    submitted, building, intake_clerk
):
    answers = dict(submitted.answers)
    answers.pop("valuation")
    type(submitted).objects.filter(pk=submitted.pk).update(answers=answers)
    builder = reviewer(building.group)
    services.application_accept(application=submitted, by=intake_clerk)
    reviews.review_decide(review=Review.objects.get(), decision=ReviewStatus.APPROVED, by=builder)
    submitted.permit.refresh_from_db()
    assert submitted.permit.status == PermitStatus.PENDING_APPROVAL


def test_issued_once_paid_and_the_document_needed_before_issuance_is_in(
    client, approved, django_capture_on_commit_callbacks
):
    permit = approved.permit
    waive_fees(permit)
    assert not permit_issue_when_ready(permit=permit)  # the Energy Compliance is missing
    client.force_login(approved.applicant)
    page = client.get(reverse("reviews:permit_reviews", args=[permit.number])).text
    assert "The Energy Compliance is needed before issuance" in page
    # The permit's own page says what it waits for, with the button that uploads it.
    page = client.get(reverse("permits:detail", args=[permit.number])).text
    assert "<strong>Needed before issuance:</strong> Energy Compliance</p>" in page
    assert "?document=Energy%20Compliance#documents" in page
    energy = approved.template.document_requirements.get(name="Energy Compliance")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("reviews:issuance_upload", args=[permit.number]),
            {"requirement": energy.pk, "file": pdf("rescheck.pdf")},
            follow=True,
        )
    assert "rescheck.pdf was uploaded as the Energy Compliance. The permit is issued." in (
        response.text
    )
    permit.refresh_from_db()
    assert permit.status == PermitStatus.ISSUED and permit.expires_on is not None
    # The applicant and the owner, each once.
    issued = (
        f"[City of Springfield Permit Portal] Permit {permit.number} is issued: {permit.address}"
    )
    assert {m.subject for m in mail.outbox} == {issued}
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        ["owner@example.com", approved.applicant.email]
    )


def test_a_condition_before_issuance_holds_it_until_staff_mark_it_met(
    submitted, building, intake_clerk
):
    builder = reviewer(building.group)
    services.application_accept(application=submitted, by=intake_clerk)
    review = Review.objects.get()
    item = condition(review, "Recorded drainage easement before issuance.")
    ReviewCondition.objects.filter(pk=item.pk).update(stage="issuance")
    reviews.review_decide(review=review, decision=ReviewStatus.APPROVED_WITH_CONDITIONS, by=builder)
    permit = submitted.permit
    permit.refresh_from_db()
    energy = submitted.template.document_requirements.get(name="Energy Compliance")
    reviews.issuance_document_upload(
        application=submitted, requirement_id=energy.pk, upload=pdf(), by=submitted.applicant
    )
    waive_fees(permit)
    assert not permit_issue_when_ready(permit=permit)
    with pytest.raises(InvalidPermitStatusMove, match="drainage easement"):
        permit.move_to(PermitStatus.ISSUED, by=intake_clerk)
    # Only staff who may change conditions mark one met (policy.reviews), whoever calls.
    with pytest.raises(ApplicationError, match="staff who may change conditions"):
        reviews.condition_mark_met(condition=item, by=builder)
    item.refresh_from_db()
    assert item.met_at is None
    reviews.condition_mark_met(condition=item, by=intake_clerk)
    permit.refresh_from_db()
    assert permit.status == PermitStatus.ISSUED


def test_with_auto_issue_off_a_clerk_issues_it(approved, settings, intake_clerk):
    settings.PAYMENTS_AUTO_ISSUE = False
    permit = approved.permit
    energy = approved.template.document_requirements.get(name="Energy Compliance")
    reviews.issuance_document_upload(
        application=approved, requirement_id=energy.pk, upload=pdf(), by=approved.applicant
    )
    waive_fees(permit)
    permit.refresh_from_db()
    assert permit.status == PermitStatus.READY_TO_ISSUE
    permit.move_to(PermitStatus.ISSUED, by=intake_clerk, note="Issued at the counter")
    assert permit.status == PermitStatus.ISSUED


def test_a_condition_before_the_final_inspection_holds_its_request(
    submitted, building, intake_clerk, client
):
    from inspections.models import InspectionType
    from inspections.scheduling import allowed_days
    from inspections.services import InspectionError, inspection_request_create

    builder = reviewer(building.group)
    services.application_accept(application=submitted, by=intake_clerk)
    review = Review.objects.get()
    item = condition(review, "Smoke alarms interconnected.")  # before the final (the default)
    reviews.review_decide(review=review, decision=ReviewStatus.APPROVED_WITH_CONDITIONS, by=builder)
    permit = submitted.permit
    client.force_login(submitted.applicant)
    page = client.get(reverse("reviews:permit_reviews", args=[permit.number])).text
    assert "Smoke alarms interconnected." in page  # the applicant reads the condition
    energy = submitted.template.document_requirements.get(name="Energy Compliance")
    reviews.issuance_document_upload(
        application=submitted, requirement_id=energy.pk, upload=pdf(), by=submitted.applicant
    )
    waive_fees(permit)
    permit.refresh_from_db()
    assert permit.status == PermitStatus.ISSUED  # a condition before the final: issued
    final = InspectionType.objects.create(
        permit_type=permit.permit_type, code="199", name="Final", is_final=True
    )
    framing = InspectionType.objects.create(
        permit_type=permit.permit_type, code="105", name="Framing"
    )
    request = {
        "user": submitted.applicant,
        "permit": permit,
        "day": allowed_days()[0],
        "contact_name": "Dana",
        "contact_phone": "217-555-0100",
    }
    with pytest.raises(InspectionError, match=r"“Smoke alarms interconnected\.”"):
        inspection_request_create(inspection_type=final, **request)
    inspection_request_create(inspection_type=framing, **request)  # others are not held
    # Staff mark it met in admin; the final can be requested.
    staff = type(intake_clerk).objects.create_superuser("boss", "boss@city.test", "x")
    client.force_login(staff)
    client.post(
        reverse("admin:reviews_reviewcondition_changelist"),
        {"action": "mark_met", "_selected_action": [item.pk]},
    )
    item.refresh_from_db()
    assert item.met_by == staff
    assert inspection_request_create(inspection_type=final, **request).inspection_type == final


@pytest.mark.parametrize("page", ["permit", "dashboard"])
def test_the_permit_page_and_the_dashboard_say_what_is_needed_with_its_button(
    client, approved, page
):
    permit = approved.permit
    waive_fees(permit)
    client.force_login(approved.applicant)
    url = reverse("permits:detail", args=[permit.number]) if page == "permit" else "/dashboard/"
    text = client.get(url).text
    assert "Needed before issuance: Energy Compliance" in " ".join(
        text.replace("<strong>", "").replace("</strong>", "").split()
    )
    detail = reverse("permits:detail", args=[permit.number])
    target = "?document=Energy%20Compliance#documents" if page == "permit" else detail
    assert f'href="{target}' in text and "Upload Energy Compliance" in text
    # The button's page has the upload form with that document chosen.
    form = client.get(detail, {"document": "Energy Compliance"}).text
    assert '<option value="Energy Compliance" selected>' in form


def test_the_document_uploaded_on_the_permit_page_as_its_kind_issues_it(
    client, approved, django_capture_on_commit_callbacks
):
    """Issue 23, requirement 1: the permit page's own Upload Files meets the need (it said
    "uploaded" and the permit stayed Ready to Issue)."""
    permit = approved.permit
    waive_fees(permit)
    client.force_login(approved.applicant)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("permits:document_upload", args=[permit.number]),
            {"kind": "Energy Compliance", "file": pdf("rescheck.pdf")},
            follow=True,
        )
    assert "rescheck.pdf was uploaded as the Energy Compliance. The permit is issued." in (
        response.text
    )
    permit.refresh_from_db()
    assert permit.status == PermitStatus.ISSUED
    document = permit.documents.get()
    assert document.kind == "Energy Compliance"
    assert {m.subject for m in mail.outbox} == {
        f"[City of Springfield Permit Portal] Permit {permit.number} is issued: {permit.address}"
    }
    assert (
        "Needed before issuance"
        not in client.get(reverse("permits:detail", args=[permit.number])).text
    )


def test_the_reviews_page_upload_is_the_same_document_on_the_permit(client, approved):
    """Uploaded from the Reviews page, it is the permit's document of that kind too: one place."""
    permit = approved.permit
    client.force_login(approved.applicant)
    energy = approved.template.document_requirements.get(name="Energy Compliance")
    client.post(
        reverse("reviews:issuance_upload", args=[permit.number]),
        {"requirement": energy.pk, "file": pdf("rescheck.pdf")},
    )
    assert list(permit.documents.values_list("original_name", "kind")) == [
        ("rescheck.pdf", "Energy Compliance")
    ]
    assert issuance_missing(permit) == []


def test_a_kind_the_permit_does_not_need_is_refused_with_the_reason(client, approved):
    permit = approved.permit
    client.force_login(approved.applicant)
    response = client.post(
        reverse("permits:document_upload", args=[permit.number]),
        {"kind": "Site Plan", "file": pdf("plan.pdf")},
        follow=True,
    )
    assert "The permit no longer needs that document" in response.text
    assert not permit.documents.exists()


def test_a_document_of_the_kind_in_a_format_it_does_not_take_is_refused(client, approved):
    permit = approved.permit
    client.force_login(approved.applicant)
    response = client.post(
        reverse("permits:document_upload", args=[permit.number]),
        {"kind": "Energy Compliance", "file": pdf("rescheck.png", PNG)},
        follow=True,
    )
    assert "Upload a PDF file (this one is not)." in response.text
    assert not permit.documents.exists()


def test_the_needs_of_a_page_of_permits_take_the_same_queries_for_one_or_many(
    approved, django_assert_num_queries
):
    from permits.checks import issuance_needs

    with django_assert_num_queries(1) as one:
        needs = issuance_needs([approved.permit])
    assert [item.label for item in needs[approved.permit.pk]] == ["Energy Compliance"]
    others = [PermitFactory(status=PermitStatus.READY_TO_ISSUE) for _ in range(5)]
    with django_assert_num_queries(len(one.captured_queries)):
        issuance_needs([approved.permit, *others])


def test_a_permit_waiting_only_for_its_fees_says_so_at_the_top_with_its_button(
    client, approved, django_capture_on_commit_callbacks
):
    """From the newcomer walk: once the needed document was in, the top of the page said only
    "Ready to Issue"; the fees due were a section further down."""
    permit = approved.permit
    client.force_login(approved.applicant)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("permits:document_upload", args=[permit.number]),
            {"kind": "Energy Compliance", "file": pdf("rescheck.pdf")},
        )
    permit.refresh_from_db()
    assert permit.status == PermitStatus.READY_TO_ISSUE
    due = sum(fee.amount for fee in permit.fees.filter(status="due"))
    text = client.get(reverse("permits:detail", args=[permit.number])).text
    top = text[text.index('id="ready-to-pay"') :][:900]
    assert f"It is issued as soon as its fees due, ${due:,.2f}, are paid." in top
    assert "Pay now to issue" in top or "Paying needs the Pay Fees role" in top


def issuance_box(page: str) -> str:
    """The permit page's "Needed before issuance" box, to the end of its buttons, as read."""
    start = page.index('id="issuance-needs"')
    end = page.index("</div>", page.index('class="d-flex', start))
    return " ".join(page[start:end].replace("<strong>", "").replace("</strong>", "").split())


def test_the_permit_page_names_the_fees_due_with_the_documents_still_needed(client, approved):
    """From the newcomer walk: the dashboard's row named the fees and the missing document, the
    permit's own box only the document, so one upload seemed to be all it took to issue it."""
    permit = approved.permit
    client.force_login(approved.applicant)
    page = client.get(reverse("permits:detail", args=[permit.number])).text
    box = issuance_box(page)
    assert "Needed before issuance: the fees due, $300.00; Energy Compliance" in box
    assert "Upload Energy Compliance" in box
    # With the fees paid (waived here), the document alone is named, and no Pay button.
    waive_fees(permit)
    page = client.get(reverse("permits:detail", args=[permit.number])).text
    box = issuance_box(page)
    assert "Needed before issuance: Energy Compliance" in box and "Pay now" not in box

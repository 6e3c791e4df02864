"""The permit card (issue 15, requirement 7): a letter-size PDF made at issuance, with the
permit's facts, its conditions and its inspections as a grid, the city's contact line and a QR
code with a check code for the public verification page; made again as Rev n when what it shows
changes, the earlier revision kept and marked superseded."""

import io

import pytest
import segno
from django.urls import reverse

from applications import services
from inspections.models import InspectionType
from permits.cards import card_content, permit_card_refresh, render_card
from permits.models import FeeStatus, PermitCard, PermitStatus
from reviews import services as reviews
from reviews.models import Review, ReviewStatus
from tests.factories import InspectionFactory, PermitFactory, UserFactory, set_status

from .conftest import condition, pdf, reviewer

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(submitted, building, intake_clerk, django_capture_on_commit_callbacks):
    """Approved with a condition before the final, its fees settled and its issuance document
    in: issued, with card Rev 0 (made after the commit, as in production)."""
    InspectionType.objects.create(
        permit_type=submitted.permit.permit_type, code="105", name="Framing"
    )
    InspectionType.objects.create(
        permit_type=submitted.permit.permit_type, code="199", name="Final", is_final=True
    )
    builder = reviewer(building.group)
    with django_capture_on_commit_callbacks(execute=True):
        services.application_accept(application=submitted, by=intake_clerk)
        review = Review.objects.get()
        condition(review, "Smoke alarms interconnected.")
        reviews.review_decide(
            review=review, decision=ReviewStatus.APPROVED_WITH_CONDITIONS, by=builder
        )
        energy = submitted.template.document_requirements.get(name="Energy Compliance")
        reviews.issuance_document_upload(
            application=submitted, requirement_id=energy.pk, upload=pdf(), by=submitted.applicant
        )
        for fee in submitted.permit.fees.filter(status=FeeStatus.DUE):
            fee.move_to(FeeStatus.WAIVED, note="Counter payment (test)")
    submitted.permit.refresh_from_db()
    return submitted.permit


def pdf_text(data: bytes) -> str:
    """The PDF's text as drawn (fpdf2 writes the content streams compressed)."""
    import zlib

    text = []
    for chunk in data.split(b"stream")[1:]:
        body = chunk.split(b"endstream")[0].strip(b"\r\n")
        try:
            text.append(zlib.decompress(body).decode("latin-1"))
        except zlib.error:
            continue
    return "\n".join(text).replace("\\(", "(").replace("\\)", ")")


def test_issuing_makes_card_rev_0_with_everything_on_it(issued):
    assert issued.status == PermitStatus.ISSUED
    card = PermitCard.objects.get(permit=issued)
    assert card.revision == 0 and card.superseded_at is None
    data = card.file.read()
    assert data.startswith(b"%PDF-")
    assert b"/MediaBox [0 0 612.00 792.00]" in data  # letter size
    text = pdf_text(data)
    for expected in (
        "BUILDING PERMIT",
        issued.number,
        "Rev 0",
        "12 Oak St",
        "Rear addition",
        "$120,000.00",
        "Jordan Baker",
        "Smoke alarms interconnected.",
        "105 Framing",
        "199 Final",
        f"Check code {issued.check_code}",
        "(217) 555-0100",
    ):
        assert expected in text, expected


def test_the_qr_code_points_at_the_verification_page(issued):
    content = card_content(issued)
    url = f"http://127.0.0.1:8000/permits/verify/{issued.check_code}/"
    # The modules drawn are the QR code of the verification URL.
    drawn = render_card(content, revision=0, url=url)
    expected = segno.make(url, error="m")
    buffer = io.StringIO()
    expected.save(buffer, kind="txt", border=0)
    assert len(issued.check_code) == 8
    assert pdf_text(drawn).count(" re f") >= sum(
        row.count("1") for row in buffer.getvalue().split()
    )


def test_the_verification_page_shows_the_live_status_and_nothing_private(client, issued):
    response = client.get(reverse("permits:verify", args=[issued.check_code.lower()]))
    page = response.text
    assert response.status_code == 200
    assert issued.number in page and "Issued" in page
    assert "Smoke alarms interconnected." in page and "Framing" in page
    assert "Jordan Baker" not in page and "owner@example.com" not in page
    assert "Plan review" not in page  # no fees
    missing = client.get(reverse("permits:verify", args=["ZZZZ2222"]))
    assert missing.status_code == 404
    assert "No permit has the check code" in missing.text
    # The box on that page: the code as typed, spaces and case aside.
    typed = f"{issued.check_code[:4].lower()} {issued.check_code[4:]}"
    response = client.get(reverse("permits:verify_code"), {"code": typed})
    assert response["Location"] == reverse("permits:verify", args=[issued.check_code])
    assert client.get(reverse("permits:verify_code"), {"code": "<x>"}).status_code == 404
    # Opened without a code (issue 23): a box to type it in, not an error.
    for empty in ({}, {"code": "  "}):
        opened = client.get(reverse("permits:verify_code"), empty)
        assert opened.status_code == 200
        assert "Type the check code printed on the permit card" in opened.text
        assert "No permit has the check code" not in opened.text


def test_a_change_on_the_card_makes_rev_1_and_supersedes_rev_0(
    issued, django_capture_on_commit_callbacks
):
    framing = InspectionType.objects.get(code="105", permit_type=issued.permit_type)
    inspection = InspectionFactory(permit=issued, inspection_type=framing)
    with django_capture_on_commit_callbacks(execute=True):
        inspection.move_to("completed", changes={"result": "passed"}, note="Passed")
    cards = list(PermitCard.objects.filter(permit=issued).order_by("revision"))
    assert [card.revision for card in cards] == [0, 1]
    assert cards[0].superseded_at is not None and cards[1].superseded_at is None
    assert "Passed" in pdf_text(cards[1].file.read())
    # Nothing on the card changed: no new revision.
    assert permit_card_refresh(permit=issued) is None


def test_the_card_downloads_for_the_permits_parties_only(client, issued, submitted):
    client.force_login(submitted.applicant)
    page = client.get(reverse("permits:detail", args=[issued.number])).text
    assert "Permit card (Rev 0, PDF)" in page
    response = client.get(reverse("permits:card", args=[issued.number]))
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    client.force_login(UserFactory())
    assert client.get(reverse("permits:card", args=[issued.number])).status_code == 404


def test_a_permit_never_issued_has_no_card(db):
    permit = PermitFactory()
    set_status(permit, PermitStatus.IN_REVIEW)
    assert permit_card_refresh(permit=permit) is None
    assert not PermitCard.objects.exists()


def test_the_approved_documents_are_the_approved_plans_for_the_parties(client, issued, submitted):
    plans = submitted.documents.get(requirement__name="Site Plan")
    assert plans.approved_plans
    # Uploaded after approval (needed before issuance), not among what reviewers approved.
    # (it is the permit's document of that kind: issue 23's one place for it).
    assert not submitted.documents.filter(requirement__name="Energy Compliance").exists()
    assert issued.documents.filter(kind="Energy Compliance").exists()
    client.force_login(submitted.applicant)
    page = client.get(reverse("reviews:permit_reviews", args=[issued.number])).text
    url = reverse("reviews:approved_plan", args=[issued.number, plans.pk])
    assert f'href="{url}">plans.pdf</a>' in page
    assert client.get(url).status_code == 200
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404


def test_staff_download_a_cards_revision_in_admin(client, issued):
    card = PermitCard.objects.get(permit=issued)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    page = client.get(reverse("admin:permits_permitcard_changelist")).text
    url = reverse("admin:permits_permitcard_download", args=[card.pk])
    assert url in page
    response = client.get(url)
    assert b"".join(response.streaming_content).startswith(b"%PDF-")

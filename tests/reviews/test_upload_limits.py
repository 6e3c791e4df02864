"""What each upload form says of the largest file is what it takes (issue 23's newcomer walk: the
permit page said 25 MB, plans took 100 MB, and the Reviews page read a 100 MB file for a
document it then refused past 25 MB). Every page takes its words from the limit its form's view
names (`core.uploads.upload_limit`), which is the limit its service keeps too: a file of the
size stated is taken, a byte more is refused with the same words."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from applications import services
from core.uploads import megabytes
from reviews.models import ReviewCondition

from .test_conditions import issued  # noqa: F401 (fixture)
from .test_corrections import corrections  # noqa: F401 (fixture)
from .test_issuance import approved  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

STATED = re.compile(r"up to (\d[\d,.]*) MB")


@pytest.fixture(autouse=True)
def small_limits(settings):
    """Limits apart from each other (a permit's document 1 MB, an application's 2 MB), so a
    page stating the other one's is caught."""
    settings.PERMIT_DOCUMENT_MAX_BYTES = 1_000_000
    settings.UPLOAD_MAX_BYTES = 1_000_000
    settings.APPLICATION_DOCUMENT_MAX_BYTES = 2_000_000


def stated_bytes(page: str) -> int:
    found = {match.replace(",", "") for match in STATED.findall(page)}
    assert len(found) == 1, found
    return int(float(found.pop()) * 1_000_000)


def pdf_of(size: int, name: str = "plans.pdf") -> SimpleUploadedFile:
    head = b"%PDF-1.4\n"
    return SimpleUploadedFile(name, head + b"0" * (size - len(head)), "application/pdf")


def in_words(size: int) -> str:
    return f"{size // 1_000_000} MB"


def check(client, *, post_url: str, fields: dict, stated: int, taken: str):
    """A byte past the stated size refused, saying the size; the stated size taken."""
    too_large = client.post(post_url, {**fields, "file": pdf_of(stated + 1)}, follow=True)
    assert f"the limit of {in_words(stated)}: nothing was uploaded" in too_large.text
    response = client.post(post_url, {**fields, "file": pdf_of(stated)}, follow=True)
    assert taken in response.text, response.text[response.text.find("alert") :][:400]


def test_the_permit_page_says_what_it_takes(client, submitted):
    permit = submitted.permit
    client.force_login(submitted.applicant)
    page = client.get(reverse("permits:detail", args=[permit.number])).text
    stated = stated_bytes(page)
    assert stated == 1_000_000
    check(
        client,
        post_url=reverse("permits:document_upload", args=[permit.number]),
        fields={},
        stated=stated,
        taken="plans.pdf was uploaded.",
    )


def test_the_documents_step_says_what_it_takes(client, form, applicant):
    draft = services.application_start(template=form, applicant=applicant)
    client.force_login(applicant)
    page = client.get(reverse("applications:step", args=[draft.reference, "documents"])).text
    stated = stated_bytes(page)
    assert stated == 2_000_000
    site_plan = form.document_requirements.get(name="Site Plan")
    check(
        client,
        post_url=reverse("applications:document_upload", args=[draft.reference]),
        fields={"requirement": site_plan.pk},
        stated=stated,
        taken="plans.pdf",
    )
    assert draft.documents.get().size == stated


def test_the_reviews_page_says_what_a_document_needed_before_issuance_takes(client, approved):  # noqa: F811
    permit = approved.permit
    client.force_login(approved.applicant)
    page = client.get(reverse("reviews:permit_reviews", args=[permit.number])).text
    stated = stated_bytes(page)
    energy = approved.template.document_requirements.get(name="Energy Compliance")
    check(
        client,
        post_url=reverse("reviews:issuance_upload", args=[permit.number]),
        fields={"requirement": energy.pk},
        stated=stated,
        taken="plans.pdf was uploaded as the Energy Compliance.",
    )
    # It is the permit's document, so the permit's limit.
    assert stated == 1_000_000


def test_the_corrections_page_says_what_it_takes(client, corrections):  # noqa: F811
    application, _, _ = corrections
    number = application.permit.number
    client.force_login(application.applicant)
    page = client.get(reverse("reviews:permit_corrections", args=[number])).text
    stated = stated_bytes(page)
    assert stated == 2_000_000
    check(
        client,
        post_url=reverse("reviews:permit_corrections", args=[number]),
        fields={"action": "upload", "replaces": ""},
        stated=stated,
        taken="plans.pdf was uploaded as a new document.",
    )


def test_a_conditions_answer_says_what_it_takes(client, issued, submitted):  # noqa: F811
    item = ReviewCondition.objects.get()
    url = reverse("reviews:condition_answer", args=[issued.number, item.pk])
    client.force_login(submitted.applicant)
    stated = stated_bytes(client.get(url).text)
    assert stated == 1_000_000
    note = {"note": "Interconnected: the electrician's letter."}
    too_large = client.post(url, {**note, "document": pdf_of(stated + 1)})
    assert f"the limit of {in_words(stated)}: nothing was uploaded" in too_large.text
    assert "the electrician&#x27;s letter.</textarea>" in too_large.text
    taken = client.post(url, {**note, "document": pdf_of(stated, "letter.pdf")})
    assert taken.status_code == 302
    item.refresh_from_db()
    assert item.answer_document.size == stated


@pytest.mark.parametrize(
    ("size", "words"),
    [(25_000_000, "25 MB"), (100_000_000, "100 MB"), (2_500_000, "2.5 MB"), (1_000, "1 kB")],
)
def test_a_limit_in_words(size, words):
    assert megabytes(size) == words

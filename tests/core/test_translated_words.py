"""The words core writes for every app come through the catalogue (issue 25): a pseudo-translation
(every catalogue string as ⟦…⟧) tells them from data. Waits, sizes and page numbers are counted
with the language's plurals and written with its digits; a history's dates with its format."""

import re

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.test import RequestFactory

from core.admin import LabelledInlineFormSet, history_html
from core.pagination import paginate
from core.ratelimit import wait_in_words
from core.uploads import megabytes, upload_checked
from permits.models import Fee, FeeStatus, Permit, PermitStatus
from tests.factories import FeeFactory, PermitFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def pseudo(monkeypatch):
    """Every string that goes through the catalogue reads ⟦like this⟧ (placeholders kept)."""
    from django.utils import translation

    trans = translation._trans
    monkeypatch.setattr(trans, "gettext", lambda message: f"⟦{message}⟧")
    monkeypatch.setattr(trans, "ngettext", lambda one, many, n: f"⟦{one if n == 1 else many}⟧")
    monkeypatch.setattr(trans, "pgettext", lambda context, message: f"⟦{message}⟧")


@pytest.fixture
def french_formats(settings):
    """The page's language French (its formats only: 2,5 and 1 500)."""
    settings.LANGUAGE_CODE = "fr"


def test_a_wait_is_counted_with_the_languages_plurals(pseudo):
    assert wait_in_words(1) == "⟦1 second⟧"
    assert wait_in_words(45) == "⟦45 seconds⟧"
    assert wait_in_words(60) == "⟦1 minute⟧"
    assert wait_in_words(14.5 * 60) == "⟦15 minutes⟧"


def test_a_size_is_written_in_the_languages_words_and_digits(pseudo, french_formats):
    assert megabytes(2_500_000) == "⟦2,5 MB⟧"
    assert megabytes(500_000) == "⟦500 kB⟧"
    assert re.fullmatch(r"⟦1\D500 MB⟧", megabytes(1_500_000_000))


def test_a_sizes_english_is_as_before():
    assert [megabytes(size) for size in (25_000_000, 2_500_000, 1_000, 1_500_000_000)] == [
        "25 MB",
        "2.5 MB",
        "1 kB",
        "1,500 MB",
    ]


def test_a_refused_file_says_why_through_the_catalogue(pseudo):
    class Refused(Exception):
        pass

    class Upload:
        name = "plans.txt"
        size = 12

        def seek(self, offset):
            pass

        def read(self, size):
            return b"plain text"

    with pytest.raises(Refused) as refused:
        upload_checked(Upload(), limit=1_000_000, error=Refused)
    assert str(refused.value) == "⟦Upload a ⟦PDF, PNG or JPEG⟧ file (this one is not).⟧"


def page_request(number: str):
    request = RequestFactory().get("/", {"page": number})
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


def test_a_page_past_the_end_says_so_with_the_languages_plurals(pseudo):
    request = page_request("9")
    page = paginate(request, list(range(3)), per_page=10)
    assert page.number == 1
    assert [str(message) for message in get_messages(request)] == [
        "⟦There is no page 9: the results have 1 page. Showing the last page.⟧"
    ]
    request = page_request("x")
    paginate(request, list(range(3)), per_page=10)
    assert [str(m) for m in get_messages(request)] == [
        "⟦That page number is not a number; showing the first page.⟧"
    ]


def test_a_refused_move_says_why_through_the_catalogue(pseudo):
    permit = PermitFactory(number="RES25-00001")
    refused = permit.refuse(PermitStatus.ISSUED, PermitStatus.SUBMITTED)
    assert str(refused).startswith("⟦") and str(refused).endswith(".⟧")
    assert "RES25-00001" in str(refused)
    assert "cannot become" in str(refused)


def test_a_history_in_admin_reads_through_the_catalogue(pseudo):
    clerk = UserFactory(first_name="Jane", last_name="Clerk", is_staff=True)
    fee = FeeFactory(permit=PermitFactory(number="RES25-00002"))
    fee = Fee.objects.get(pk=fee.pk)
    fee.move_to(FeeStatus.WAIVED, by=clerk, note="hardship")
    shown = history_html(fee.permit)
    # The date in the language's own format (a catalogue string), the line in its words.
    assert re.search(r"<li>⟦\d\d/\d\d/\d{4} \d\d:\d\d⟧ ⟦", shown)
    assert ", by Jane Clerk (hardship)⟧</li>" in shown


def test_an_inline_rows_inputs_are_named_through_the_catalogue(pseudo):
    permit = PermitFactory(number="RES25-00003")
    Rows = forms.inlineformset_factory(
        Permit, Fee, formset=LabelledInlineFormSet, fields=["amount"], extra=1
    )
    row = Rows(instance=permit).forms[0]
    assert re.fullmatch(r"⟦.*[Aa]mount.*, row 1⟧", row.fields["amount"].widget.attrs["aria-label"])
    assert row.fields["DELETE"].widget.attrs["aria-label"] == "⟦⟦Delete⟧, row 1⟧"

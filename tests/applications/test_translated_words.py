"""The application's words in the reader's language (issue 25): what the catalogue says comes
through it (a pseudo-translation, every catalogue string as ⟦…⟧, tells it from data), while what
is kept stays as it is: a yes-or-no answer is stored as "Yes" or "No" whatever the page's
language; numbers and dates are written in the language's own way."""

import html
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from applications import services
from applications.answers import display_answer
from applications.fees import estimate_fees
from applications.models import FeeRule, Question

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
def draft(form, applicant):
    return services.application_start(template=form, applicant=applicant)


def step_url(application, step):
    return reverse("applications:step", args=[application.reference, step])


def text_of(page: str) -> str:
    return html.unescape(" ".join(page.split()))


def test_a_yes_or_no_answer_reads_in_the_pages_language_and_is_kept_as_yes_or_no(
    client, draft, applicant, pseudo
):
    client.force_login(applicant)
    page = client.get(step_url(draft, "details")).text
    radios = re.findall(
        r"<input type=\"radio\"[^>]*name=\"q_new_service\" value=\"([^\"]+)\"", page
    )
    assert radios == ["Yes", "No"]
    assert "⟦Yes⟧" in page and "⟦No⟧" in page
    # The question shown by a "Yes" says so in the reader's words.
    assert "is ⟦Yes⟧.⟧" in text_of(page)

    client.post(
        step_url(draft, "details"),
        {"q_new_service": "Yes", "q_service_amps": "200", "action": "later"},
    )
    draft.refresh_from_db()
    assert draft.answers["new_service"] == "Yes"
    assert draft.answers["service_amps"] == "200"  # kept: "Yes" still shows it
    question = draft.template.questions.get(key="new_service")
    assert display_answer(question, "Yes") == "⟦Yes⟧"


def test_a_required_question_is_named_without_its_required_mark_in_any_language(
    client, draft, applicant, pseudo
):
    client.force_login(applicant)
    response = client.post(step_url(draft, "details"), {"action": "continue"})
    summary = response.text[response.text.index('id="error-summary"') :]
    summary = text_of(summary[: summary.index("</div>")])
    assert "⟦Answer “Describe the work”.⟧" in summary
    assert "(required)" not in summary


@pytest.fixture
def french_formats(settings):
    """The page's language French (its formats only: numbers 1 000,5 and dates day first)."""
    settings.LANGUAGE_CODE = "fr"


def test_a_number_rule_is_written_with_the_languages_digits(french_formats):
    question = Question(
        key="area", label="Area", kind="number", unit="sq ft", min_value=Decimal("1000")
    )
    question.max_value = Decimal("1250.50")
    assert "1,000" not in question.limits_label
    assert re.search(r"1\D000 ", question.limits_label)
    assert "250,50 sq ft" in question.limits_label


def test_a_fee_counts_and_answers_in_the_languages_digits_and_dates(french_formats):
    fixtures = Question(key="fixtures", label="Fixtures", kind="number", required=True)
    rule = FeeRule(
        description="Fixtures", kind="per_unit", amount=Decimal("12.00"), basis_key="fixtures"
    )
    line = estimate_fees([rule], [fixtures], {"fixtures": "1500"}).lines[0]
    assert "1,500" not in line.basis and re.search(r"1\D500", line.basis)
    start = Question(key="start", label="Start", kind="date")
    assert display_answer(start, "2027-01-15") != "01/15/2027"
    assert display_answer(start, "2027-01-15").startswith("15")

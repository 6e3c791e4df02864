"""Which questions are shown and what is wrong with an answer: the same rules for the Details
page and for submitting."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from applications.answers import answer_errors, display_answer, number_answer, visible_questions
from applications.models import Question, QuestionKind

SERVICE = Question(key="new_service", label="New service?", kind=QuestionKind.YES_NO)
AMPS = Question(
    key="amps",
    label="Amps",
    kind=QuestionKind.NUMBER,
    show_if_key="new_service",
    show_if_value="Yes",
    unit="A",
)
METER = Question(
    key="meter",
    label="Meter spot",
    kind=QuestionKind.TEXT,
    show_if_key="amps",
    show_if_value="400",
)
WHEN = Question(key="when", label="Start", kind=QuestionKind.DATE, required=False)
FEE = Question(key="cost", label="Cost", kind=QuestionKind.MONEY)
KINDS = Question(
    key="kinds", label="Kinds", kind=QuestionKind.MULTIPLE_CHOICE, choices="Solar\nEV charger"
)
ALL = [SERVICE, AMPS, METER, WHEN, FEE, KINDS]


def keys(questions):
    return [question.key for question in questions]


def test_a_question_is_shown_only_with_the_answer_it_depends_on():
    assert keys(visible_questions(ALL, {"new_service": "No"})) == [
        "new_service",
        "when",
        "cost",
        "kinds",
    ]
    assert "amps" in keys(visible_questions(ALL, {"new_service": "Yes"}))


def test_a_question_that_depends_on_a_hidden_one_is_hidden_too():
    answers = {"new_service": "No", "amps": "400"}
    assert "meter" not in keys(visible_questions(ALL, answers))


def test_each_shown_question_is_checked_and_a_hidden_one_is_not():
    errors = answer_errors(
        ALL,
        {
            "new_service": "Yes",
            "amps": "lots",
            "when": "31/31/2026",
            "cost": "12.345",
            "kinds": ["Wind"],
        },
    )
    assert errors == {
        "amps": "Enter a number.",
        "when": "Enter a date, e.g. 2026-06-30.",
        "cost": "Enter an amount in dollars and cents.",
        "kinds": "Choose from the options listed.",
    }
    assert "amps" not in answer_errors(ALL, {"new_service": "No", "amps": "lots"})


def test_a_required_question_unanswered_is_listed_and_an_optional_one_is_not():
    errors = answer_errors(ALL, {})
    assert errors["new_service"] == "Answer this question."
    assert "when" not in errors


def test_answers_read_as_people_write_them():
    assert answer_errors([FEE, WHEN], {"cost": "$1,250.50", "when": "06/30/2026"}) == {}
    assert display_answer(FEE, "1250.5") == "$1,250.50"
    assert display_answer(AMPS, "200") == "200 A"
    assert display_answer(KINDS, ["Solar", "EV charger"]) == "Solar, EV charger"


FIXTURES = Question(
    key="fixtures",
    label="Fixtures",
    kind=QuestionKind.NUMBER,
    unit="fixtures",
    whole_number=True,
    min_value=Decimal("0"),
    max_value=Decimal("100"),
)
COVERAGE = Question(
    key="coverage", label="Coverage", kind=QuestionKind.NUMBER, unit="%", max_value=Decimal("100")
)


def test_a_count_is_a_whole_number_within_its_limits():
    errors = answer_errors([FIXTURES, COVERAGE], {"fixtures": "2.5", "coverage": "150"})
    assert errors == {
        "fixtures": "Enter a whole number.",
        "coverage": "Enter a number of at most 100 %.",
    }
    assert answer_errors([FIXTURES], {"fixtures": "101"}) == {
        "fixtures": "Enter a whole number from 0 to 100 fixtures."
    }
    assert answer_errors([FIXTURES, COVERAGE], {"fixtures": "6", "coverage": "35.5"}) == {}


def test_a_number_outside_its_limits_counts_for_no_fee():
    assert number_answer(FIXTURES, {"fixtures": "2.5"}) is None
    assert number_answer(FIXTURES, {"fixtures": "6"}) == Decimal("6")


def test_the_highest_below_the_lowest_is_refused_in_admin():
    question = Question(
        key="n", label="N", kind=QuestionKind.NUMBER, min_value=Decimal(5), max_value=Decimal(1)
    )
    with pytest.raises(ValidationError, match="below the lowest"):
        question.clean()

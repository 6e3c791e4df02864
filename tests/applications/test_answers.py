"""Which questions are shown and what is wrong with an answer: the same rules for the Details
page and for submitting."""

from applications.answers import answer_errors, display_answer, visible_questions
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

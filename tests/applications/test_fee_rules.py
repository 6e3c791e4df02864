"""The fee lines the applicant reads on the Fees step and in the public estimator, word for word:
each kind of rule's basis ("flat fee", "$2.50 per $1,000 of $120,000.00, at least $75.00",
"$4.00 each for 32 squares", "from the table, for ..."), what a line still needs, money rounded
half up to the cent, the rules after a skipped one still counted, a bracket table read as the
clerk wrote it (or refused with the line at fault), and the lines a submission keeps."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from applications import services
from applications.fees import (
    Bracket,
    FeeEstimate,
    FeeLine,
    FeeScheduleError,
    estimate_fees,
    parse_brackets,
    table_amount,
)
from applications.models import FeeKind, FeeRule, Question, QuestionKind

from .conftest import fill_in

VALUATION = Question(key="valuation", label="Valuation", kind=QuestionKind.MONEY, fills="valuation")
SQUARES = Question(key="squares", label="Roof area", kind=QuestionKind.NUMBER, unit="squares")
AREA = Question(key="area", label="Floor area", kind=QuestionKind.NUMBER, unit="sq ft")
STORIES = Question(key="stories", label="Stories", kind=QuestionKind.NUMBER)
FIXTURES = Question(
    key="fixtures", label="Plumbing fixtures", kind=QuestionKind.NUMBER, required=False
)
SERVICE = Question(key="new_service", label="New service?", kind=QuestionKind.YES_NO)
QUESTIONS = [VALUATION, SQUARES, AREA, STORIES, FIXTURES, SERVICE]
NO_VALUATION = [SQUARES, FIXTURES, SERVICE]  # a form that asks no valuation

TABLE = "0, 50.00, 0, 1\n2000, 50.00, 14.00, 1000\n25000, 372.00, 10.10, 1000"


def rule(description="Fee", **fields) -> FeeRule:
    return FeeRule(description=description, **fields)


def lines(rules, answers, questions=QUESTIONS) -> list[FeeLine]:
    return estimate_fees(rules, questions, answers).lines


# What each line says ----------------------------------------------------------------------------


def test_a_flat_fee_reads_flat_fee_with_its_amount_to_the_cent():
    (line,) = lines([rule("Permit issuance", kind=FeeKind.FLAT, amount=Decimal("4.5"))], {})
    assert line == FeeLine("Permit issuance", Decimal("4.50"), "flat fee")
    assert str(line.amount) == "4.50"


def test_a_valuation_rate_reads_its_rate_the_valuation_and_its_minimum():
    plan_review = rule(
        "Plan review", kind=FeeKind.VALUATION_RATE, rate=Decimal("2.50"), minimum=Decimal("75")
    )
    assert lines([plan_review], {"valuation": "120,000"}) == [
        FeeLine(
            "Plan review", Decimal("300.00"), "$2.50 per $1,000 of $120,000.00, at least $75.00"
        )
    ]
    no_minimum = rule("Plan review", kind=FeeKind.VALUATION_RATE, rate=Decimal("2.50"))
    assert lines([no_minimum], {"valuation": "120,000"}) == [
        FeeLine("Plan review", Decimal("300.00"), "$2.50 per $1,000 of $120,000.00")
    ]


def test_a_rate_finer_than_a_cent_is_shown_as_the_schedule_has_it_and_rounds_half_up():
    """$1.005 per $1,000 of $1,000 is half a cent over $1.00: the applicant owes $1.01 (never
    $1.00, as rounding half to even would give), and reads the rate as $1.005, not $1.00."""
    surcharge = rule("State surcharge", kind=FeeKind.VALUATION_RATE, rate=Decimal("1.0050"))
    assert lines([surcharge], {"valuation": "1000"}) == [
        FeeLine("State surcharge", Decimal("1.01"), "$1.005 per $1,000 of $1,000.00")
    ]


def test_an_amount_per_unit_reads_the_amount_each_and_the_count_with_its_unit():
    roofing = rule("Roofing", kind=FeeKind.PER_UNIT, amount=Decimal("4.00"), basis_key="squares")
    assert lines([roofing], {"squares": "1200"}) == [
        FeeLine("Roofing", Decimal("4800.00"), "$4.00 each for 1,200 squares")
    ]
    # A count with no unit reads as the bare number.
    fixtures = rule("Fixtures", kind=FeeKind.PER_UNIT, amount=Decimal("12"), basis_key="fixtures")
    assert lines([fixtures], {"fixtures": "3"}) == [
        FeeLine("Fixtures", Decimal("36.00"), "$12.00 each for 3")
    ]


def test_an_amount_per_unit_rounds_half_a_cent_up():
    # 2.5 squares at $4.25 is $10.625: $10.63 (half to even would give $10.62).
    roofing = rule("Roofing", kind=FeeKind.PER_UNIT, amount=Decimal("4.25"), basis_key="squares")
    assert lines([roofing], {"squares": "2.5"}) == [
        FeeLine("Roofing", Decimal("10.63"), "$4.25 each for 2.5 squares")
    ]


def test_a_table_line_reads_the_valuation_as_money_and_another_basis_with_its_unit():
    building = rule("Building permit", kind=FeeKind.TABLE, brackets=TABLE)
    assert lines([building], {"valuation": "30000"}) == [
        FeeLine("Building permit", Decimal("422.50"), "from the table, for $30,000.00")
    ]
    by_area = rule("Area fee", kind=FeeKind.TABLE, brackets=TABLE, basis_key="area")
    assert lines([by_area], {"area": "2500"}) == [
        FeeLine("Area fee", Decimal("64.00"), "from the table, for 2,500 sq ft")
    ]
    by_stories = rule(
        "Height fee", kind=FeeKind.TABLE, brackets="0, 40, 25, 1", basis_key="stories"
    )
    assert lines([by_stories], {"stories": "3"}) == [
        FeeLine("Height fee", Decimal("115.00"), "from the table, for 3")
    ]


def test_a_table_fee_with_a_fraction_of_a_cent_rounds_half_up():
    half_cent = rule("Sign fee", kind=FeeKind.TABLE, brackets="0, 0, 0.005, 1", basis_key="stories")
    assert lines([half_cent], {"stories": "1"}) == [
        FeeLine("Sign fee", Decimal("0.01"), "from the table, for 1")
    ]


# What a line still needs ------------------------------------------------------------------------


def test_a_line_whose_basis_is_unanswered_names_the_question_to_answer():
    rules = [
        rule("Plan review", kind=FeeKind.VALUATION_RATE, rate=Decimal("2.50")),
        rule("Roofing", kind=FeeKind.PER_UNIT, amount=Decimal("4"), basis_key="squares"),
        rule("Building permit", kind=FeeKind.TABLE, brackets=TABLE),
    ]
    assert lines(rules, {}) == [
        FeeLine("Plan review", None, needs="Answer “Valuation”"),
        FeeLine("Roofing", None, needs="Answer “Roof area”"),
        FeeLine("Building permit", None, needs="Answer “Valuation”"),
    ]


def test_on_a_form_that_asks_no_valuation_a_line_on_it_says_give_the_valuation():
    rules = [
        rule("Flat", kind=FeeKind.FLAT, amount=Decimal("10")),
        rule("Plan review", kind=FeeKind.VALUATION_RATE, rate=Decimal("2.50")),
        rule("Building permit", kind=FeeKind.TABLE, brackets=TABLE),
        rule("Decks", kind=FeeKind.PER_UNIT, amount=Decimal("4"), basis_key="decks"),
    ]
    estimate = estimate_fees(rules, NO_VALUATION, {})
    assert estimate.lines == [
        FeeLine("Flat", Decimal("10.00"), "flat fee"),
        FeeLine("Plan review", None, needs="Give the valuation"),
        FeeLine("Building permit", None, needs="Give the valuation"),
        FeeLine("Decks", None, needs="Give decks"),  # a rule on a question the form lacks
    ]
    assert (estimate.total, estimate.complete) == (Decimal("10.00"), False)


# Which rules give a line -------------------------------------------------------------------------


def test_a_rule_whose_condition_is_not_met_leaves_the_rules_after_it():
    rules = [
        rule(
            "Service",
            kind=FeeKind.FLAT,
            amount=Decimal("85"),
            only_if_key="new_service",
            only_if_value="Yes",
        ),
        rule("Issuance", kind=FeeKind.FLAT, amount=Decimal("10")),
    ]
    assert lines(rules, {"new_service": "No"}) == [
        FeeLine("Issuance", Decimal("10.00"), "flat fee")
    ]


def test_an_optional_count_is_charged_when_answered_and_skipped_when_empty_without_the_rest():
    rules = [
        rule("Fixtures", kind=FeeKind.PER_UNIT, amount=Decimal("12"), basis_key="fixtures"),
        rule("Fixture table", kind=FeeKind.TABLE, brackets="0, 5, 1, 1", basis_key="fixtures"),
        rule("Issuance", kind=FeeKind.FLAT, amount=Decimal("10")),
    ]
    assert lines(rules, {"fixtures": "2"}) == [
        FeeLine("Fixtures", Decimal("24.00"), "$12.00 each for 2"),
        FeeLine("Fixture table", Decimal("7.00"), "from the table, for 2"),
        FeeLine("Issuance", Decimal("10.00"), "flat fee"),
    ]
    estimate = estimate_fees(rules, QUESTIONS, {"fixtures": " "})
    assert estimate.lines == [FeeLine("Issuance", Decimal("10.00"), "flat fee")]
    assert estimate.complete


# The bracket table -------------------------------------------------------------------------------


def test_a_table_is_read_as_the_clerk_wrote_it_dollar_signs_and_blank_lines_too():
    assert parse_brackets("0, $50.00, 0, 1\n\n  \n2000, $50.00, $14.00, 1000\n") == [
        Bracket(Decimal("0"), Decimal("50.00"), Decimal("0"), Decimal("1")),
        Bracket(Decimal("2000"), Decimal("50.00"), Decimal("14.00"), Decimal("1000")),
    ]


FOUR_NUMBERS = "give four numbers, “from, base, rate, step” (e.g. 25000, 391.25, 10.10, 1000)."
NOT_NEGATIVE = "no negative numbers, and a step above 0."


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Give at least one row."),
        ("\n  \n", "Give at least one row."),
        ("0, 50, 0, 1\n2000, 50", f"Line 2: {FOUR_NUMBERS}"),
        ("0, 50, 0, 1\n\n2000, 50, x, 1000", "Line 3: “2000, 50, x, 1000” is not four numbers."),
        ("-5, 50, 0, 1", f"Line 1: {NOT_NEGATIVE}"),
        ("0, 50, 0, 1\n2000, -50, 0, 1", f"Line 2: {NOT_NEGATIVE}"),
        ("0, 50, 0, 1\n2000, 50, -14, 1000", f"Line 2: {NOT_NEGATIVE}"),
        ("0, 50, 0, 0", f"Line 1: {NOT_NEGATIVE}"),
        ("100, 50, 0, 1", "The first row starts from 0."),
        ("0, 50, 0, 1\n\n0, 60, 0, 1", "Line 3: rows go from the lowest “from” up."),
    ],
)
def test_a_table_that_cannot_be_read_is_refused_naming_the_clerks_line(text, message):
    with pytest.raises(FeeScheduleError) as refused:
        parse_brackets(text)
    assert str(refused.value) == message


def test_at_a_rows_from_that_row_applies():
    """A table need not run on: at exactly 1,000 the second row's $500 applies, not the first's
    $100 (a table whose rows join up hides which row was read)."""
    brackets = parse_brackets("0, 100, 0, 1\n1000, 500, 0, 1")
    assert table_amount(brackets, Decimal("999.99")) == Decimal("100")
    assert table_amount(brackets, Decimal("1000")) == Decimal("500")
    assert table_amount(parse_brackets("0, 40, 25, 1"), Decimal("3")) == Decimal("115")


# What the applicant and the city see --------------------------------------------------------------


@pytest.mark.django_db
def test_the_estimator_shows_each_lines_words(client, form):
    page = client.get(
        reverse("applications:type", args=["RES"]),
        {"q_valuation": "120000", "q_fixtures": "3", "q_new_service": "Yes"},
    ).content.decode()
    rows = [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()
        for row in re.findall(r"<tr>\s*<td>.*?</tr>", page, flags=re.S)
    ]
    assert rows == [
        "Plan review $2.50 per $1,000 of $120,000.00, at least $75.00 $300.00",
        "Fixtures $12.00 each for 3 $36.00",
        "Electrical service flat fee $85.00",
    ]


@pytest.mark.django_db
def test_a_submission_keeps_the_fee_lines_the_applicant_saw(form, applicant, license_):
    application = fill_in(
        services.application_start(template=form, applicant=applicant),
        license_,
        by=applicant,
        answers={
            "description": "Rear addition",
            "valuation": "120,000.00",
            "floor_area": "480",
            "new_service": "No",
            "fixtures": "3",
        },
    )
    submission = services.application_submit(application=application, by=applicant)
    assert submission.snapshot["fees"] == [
        {
            "description": "Plan review",
            "amount": "300.00",
            "basis": "$2.50 per $1,000 of $120,000.00, at least $75.00",
        },
        {"description": "Fixtures", "amount": "36.00", "basis": "$12.00 each for 3"},
    ]
    assert submission.snapshot["estimated_total"] == "336.00"


def test_a_line_not_yet_known_is_kept_with_no_amount_not_the_word_none():
    estimate = FeeEstimate([FeeLine("Plan review", None, needs="Answer “Valuation”")])
    assert estimate.as_data() == [{"description": "Plan review", "amount": None, "basis": ""}]

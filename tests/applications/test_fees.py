"""The fee schedule is data evaluated by the portal's code: each kind of rule, its minimum, its
condition, and a table that cannot be read is refused with a message (never run)."""

from decimal import Decimal

import pytest

from applications.fees import FeeScheduleError, estimate_fees, parse_brackets, table_amount
from applications.models import FeeKind, FeeRule, Question, QuestionKind

VALUATION = Question(key="valuation", label="Valuation", kind=QuestionKind.MONEY, fills="valuation")
SQUARES = Question(key="squares", label="Roof area", kind=QuestionKind.NUMBER, unit="squares")
SERVICE = Question(key="new_service", label="New service?", kind=QuestionKind.YES_NO)
QUESTIONS = [VALUATION, SQUARES, SERVICE]
TABLE = "0, 50.00, 0, 1\n2000, 50.00, 14.00, 1000\n25000, 372.00, 10.10, 1000"


def rule(**fields) -> FeeRule:
    return FeeRule(description=fields.pop("description", "Fee"), **fields)


def total(rules, answers) -> Decimal:
    return estimate_fees(rules, QUESTIONS, answers).total


def test_a_flat_fee_is_its_amount():
    assert total([rule(kind=FeeKind.FLAT, amount=Decimal("4.50"))], {}) == Decimal("4.50")


def test_a_valuation_rate_counts_each_thousand_or_part_of_one_with_its_minimum():
    plan_review = rule(kind=FeeKind.VALUATION_RATE, rate=Decimal("2.50"), minimum=Decimal("75"))
    assert total([plan_review], {"valuation": "$120,000.00"}) == Decimal("300.00")
    assert total([plan_review], {"valuation": "120001"}) == Decimal("302.50")
    assert total([plan_review], {"valuation": "10000"}) == Decimal("75.00")


def test_an_amount_per_unit_of_a_numeric_answer():
    roofing = rule(kind=FeeKind.PER_UNIT, amount=Decimal("4.00"), basis_key="squares")
    assert total([roofing], {"squares": "32"}) == Decimal("128.00")


def test_a_bracket_table_on_the_valuation():
    building = rule(kind=FeeKind.TABLE, brackets=TABLE)
    assert total([building], {"valuation": "1500"}) == Decimal("50.00")
    # 50 + 14 for each of the 3 thousands above 2,000 (2,500 is a part of one).
    assert total([building], {"valuation": "4500"}) == Decimal("92.00")
    assert total([building], {"valuation": "30000"}) == Decimal("422.50")


def test_a_fee_on_a_condition_applies_only_with_that_answer():
    service = rule(
        kind=FeeKind.FLAT, amount=Decimal("85"), only_if_key="new_service", only_if_value="Yes"
    )
    assert total([service], {"new_service": "Yes"}) == Decimal("85.00")
    assert estimate_fees([service], QUESTIONS, {"new_service": "No"}).lines == []


def test_a_line_whose_basis_is_unanswered_says_what_it_needs_and_adds_nothing():
    estimate = estimate_fees(
        [rule(kind=FeeKind.TABLE, brackets=TABLE), rule(kind=FeeKind.FLAT, amount=Decimal("5"))],
        QUESTIONS,
        {"valuation": "lots"},
    )
    assert estimate.total == Decimal("5.00")
    assert not estimate.complete
    assert estimate.lines[0].amount is None
    assert estimate.lines[0].needs == "Answer “Valuation”"


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "at least one row"),
        ("0, 50", "four numbers"),
        ("0, 50, x, 1", "is not four numbers"),
        ("__import__('os').system('id'), 0, 0, 1", "is not four numbers"),
        ("100, 50, 0, 1", "starts from 0"),
        ("0, 50, 0, 1\n0, 60, 0, 1", "lowest"),
        ("0, 50, 0, 0", "step above 0"),
    ],
)
def test_a_table_that_cannot_be_read_is_refused_with_a_message(text, message):
    with pytest.raises(FeeScheduleError, match=message):
        parse_brackets(text)


def test_a_fee_rule_is_checked_when_staff_save_it():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="four numbers"):
        rule(kind=FeeKind.TABLE, brackets="0, 1").clean()
    with pytest.raises(ValidationError, match="number question"):
        rule(kind=FeeKind.PER_UNIT).clean()


def test_table_amount_reads_the_row_at_or_below_the_value():
    brackets = parse_brackets(TABLE)
    assert table_amount(brackets, Decimal("2000")) == Decimal("50.00")
    assert table_amount(brackets, Decimal("25000")) == Decimal("372.00")


def test_an_optional_count_left_empty_charges_nothing_and_leaves_the_estimate_complete():
    fixtures = Question(key="fixtures", label="Fixtures", kind=QuestionKind.NUMBER, required=False)
    per_fixture = rule(kind=FeeKind.PER_UNIT, amount=Decimal("12"), basis_key="fixtures")
    estimate = estimate_fees([per_fixture], [*QUESTIONS, fixtures], {})
    assert (estimate.lines, estimate.complete) == ([], True)
    # A required count left empty is still asked for.
    required = Question(key="fixtures", label="Fixtures", kind=QuestionKind.NUMBER)
    estimate = estimate_fees([per_fixture], [*QUESTIONS, required], {})
    assert not estimate.complete

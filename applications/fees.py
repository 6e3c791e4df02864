"""A permit type's fee schedule, evaluated: flat amounts, a rate per $1,000 of valuation with a
minimum, an amount per unit of a numeric answer, and bracket tables. The schedule is data
(FeeRule rows) read by this code; nothing a clerk types is ever run as code.

An estimate is what the schedule gives for the answers so far. It is labelled as one
everywhere: staff assess the permit's fees in review.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from core.money import ZERO, format_money

from .answers import is_blank, matches, number_answer
from .brackets import Bracket, FeeScheduleError, parse_brackets, steps_over, table_amount
from .models import FeeKind, FeeRule, Question, QuestionFills

__all__ = [
    "Bracket",
    "FeeEstimate",
    "FeeLine",
    "FeeScheduleError",
    "estimate_fees",
    "parse_brackets",
    "steps_over",
    "table_amount",
]

CENT = Decimal("0.01")
THOUSAND = Decimal(1000)


@dataclass(frozen=True)
class FeeLine:
    description: str
    amount: Decimal | None  # None: not yet known (`needs` says what is missing)
    basis: str = ""
    needs: str = ""


@dataclass(frozen=True)
class FeeEstimate:
    lines: list[FeeLine] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines if line.amount is not None), ZERO)

    @property
    def complete(self) -> bool:
        return all(line.amount is not None for line in self.lines)

    def as_data(self) -> list[dict]:
        return [
            {
                "description": line.description,
                "amount": None if line.amount is None else str(line.amount),
                "basis": line.basis,
            }
            for line in self.lines
        ]


def valuation_question(questions: Iterable[Question]) -> Question | None:
    return next((q for q in questions if q.fills == QuestionFills.VALUATION), None)


def estimate_fees(
    rules: Iterable[FeeRule], questions: Iterable[Question], answers: Mapping
) -> FeeEstimate:
    """The fees the schedule gives for these answers (rules whose condition is not met give
    none; a line whose basis is unanswered is listed with what it needs)."""
    questions = list(questions)
    by_key = {question.key: question for question in questions}
    valuation_q = valuation_question(questions)
    valuation = number_answer(valuation_q, answers)
    lines = []
    for rule in rules:
        if rule.only_if_key and not matches(answers.get(rule.only_if_key), rule.only_if_value):
            continue
        basis_q = by_key.get(rule.basis_key)  # None for a rule on the valuation
        if (
            rule.kind in (FeeKind.PER_UNIT, FeeKind.TABLE)
            and basis_q is not None
            and not basis_q.required
            and is_blank(answers.get(basis_q.key))
        ):
            continue  # an optional count left empty is none: nothing to charge for
        lines.append(_line(rule, by_key, valuation_q, valuation, answers))
    return FeeEstimate(lines)


def _line(
    rule: FeeRule,
    by_key: dict[str, Question],
    valuation_q: Question | None,
    valuation: Decimal | None,
    answers: Mapping,
) -> FeeLine:
    if rule.kind == FeeKind.FLAT:
        return FeeLine(rule.description, rule.amount.quantize(CENT), _("flat fee"))
    if rule.kind == FeeKind.VALUATION_RATE:
        if valuation is None:
            return FeeLine(rule.description, None, needs=_needs(valuation_q, ""))
        thousands = steps_over(valuation, Decimal(0), THOUSAND)
        amount = max(thousands * rule.rate, rule.minimum)
        values = {
            "rate": _rate(rule.rate),
            "valuation": format_money(valuation),
            "minimum": format_money(rule.minimum),
        }
        if rule.minimum:
            basis = _("%(rate)s per $1,000 of %(valuation)s, at least %(minimum)s") % values
        else:
            basis = _("%(rate)s per $1,000 of %(valuation)s") % values
        return FeeLine(rule.description, _cents(amount), basis)
    basis_q = by_key.get(rule.basis_key) if rule.basis_key else valuation_q
    value = number_answer(basis_q, answers)
    if value is None:
        return FeeLine(rule.description, None, needs=_needs(basis_q, rule.basis_key))
    unit = f" {basis_q.unit}" if basis_q is not None and basis_q.unit else ""
    count = _number(value) + unit
    if rule.kind == FeeKind.PER_UNIT:
        amount = max(value * rule.amount, rule.minimum)
        basis = _("%(amount)s each for %(count)s") % {
            "amount": format_money(rule.amount),
            "count": count,
        }
        return FeeLine(rule.description, _cents(amount), basis)
    amount = table_amount(parse_brackets(rule.brackets), value)
    shown = format_money(value) if basis_q is valuation_q else count
    return FeeLine(
        rule.description, _cents(amount), _("from the table, for %(value)s") % {"value": shown}
    )


def _needs(question: Question | None, key: str) -> str:
    """What a line waits for: the answer to its question (or, with none on the form, the
    valuation, or the key the rule names)."""
    if question is not None:
        return _("Answer “%(question)s”") % {"question": question.label}
    if key:
        return _("Give %(key)s") % {"key": key}
    return _("Give the valuation")


def _number(value: Decimal) -> str:
    """An answer's number in the language's digits: 1,500 (1 500 in French)."""
    return number_format(value, use_l10n=True, force_grouping=True)


def _rate(rate: Decimal) -> str:
    """A rate per $1,000 as the schedule has it, never rounded to the cent: $2.50, $1.005."""
    places = max(2, -rate.normalize().as_tuple().exponent)
    if places == 2:
        return format_money(rate)
    # Finer than a cent: the language's money format, with every place the rate has.
    cents = rate.quantize(CENT, rounding=ROUND_DOWN)
    digits = number_format(rate, decimal_pos=places, use_l10n=True, force_grouping=True)
    shown = number_format(cents, decimal_pos=2, use_l10n=True, force_grouping=True)
    return format_money(cents).replace(shown, digits, 1)


def _cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)

"""A fee schedule's bracket tables ("from, base, rate, step" rows): read from what a clerk typed,
and the amount a table gives for a value. Nothing of the models: the models check a table with
these when it is saved, the fee schedule evaluates it."""

from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal, InvalidOperation

from django.utils.translation import gettext as _


class FeeScheduleError(ValueError):
    """A bracket table that cannot be read. Its message is for the clerk."""


@dataclass(frozen=True)
class Bracket:
    start: Decimal
    base: Decimal
    rate: Decimal
    step: Decimal


def parse_brackets(text: str) -> list[Bracket]:
    """Rows "from, base, rate, step", one per line, from ascending (the first from 0)."""
    brackets = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [part.strip().replace("$", "") for part in line.split(",")]
        if len(parts) != 4:
            raise FeeScheduleError(
                _(
                    "Line %(number)s: give four numbers, “from, base, rate, step” "
                    "(e.g. 25000, 391.25, 10.10, 1000)."
                )
                % {"number": number}
            )
        try:
            start, base, rate, step = (Decimal(part) for part in parts)
        except InvalidOperation:
            raise FeeScheduleError(
                _("Line %(number)s: “%(line)s” is not four numbers.")
                % {"number": number, "line": line.strip()}
            ) from None
        if min(start, base, rate) < 0 or step <= 0:
            raise FeeScheduleError(
                _("Line %(number)s: no negative numbers, and a step above 0.") % {"number": number}
            )
        if brackets and start <= brackets[-1].start:
            raise FeeScheduleError(
                _("Line %(number)s: rows go from the lowest “from” up.") % {"number": number}
            )
        brackets.append(Bracket(start, base, rate, step))
    if not brackets:
        raise FeeScheduleError(_("Give at least one row."))
    if brackets[0].start != 0:
        raise FeeScheduleError(_("The first row starts from 0."))
    return brackets


def steps_over(value: Decimal, start: Decimal, step: Decimal) -> Decimal:
    """How many steps (or parts of one) `value` is above `start`."""
    if value <= start:
        return Decimal(0)
    return ((value - start) / step).to_integral_value(rounding=ROUND_CEILING)


def table_amount(brackets: list[Bracket], value: Decimal) -> Decimal:
    row = brackets[0]
    for bracket in brackets:
        if value >= bracket.start:
            row = bracket
    return row.base + steps_over(value, row.start, row.step) * row.rate

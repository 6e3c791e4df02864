"""Money: a Decimal with two places, never a float; integer cents only at the Stripe boundary."""

from decimal import Decimal

from django.utils.formats import get_format, get_format_modules
from django.utils.numberformat import format as number_format
from django.utils.translation import get_language

ZERO = Decimal("0.00")  # an empty sum
CENT = Decimal("0.01")

# Every amount column: `models.DecimalField(**MONEY)`.
MONEY = {"max_digits": 12, "decimal_places": 2}


def as_money(value) -> Decimal:
    """A sum of money from the database: NULL is zero; SQLite answers SUM() with a float."""
    if value is None:
        return ZERO
    if not isinstance(value, Decimal):
        value = Decimal(str(value))
    return value.quantize(CENT)


def money_pattern(language: str | None = None) -> str:
    """How the language writes an amount: its format module's MONEY_FORMAT (portal/formats),
    with {sign} and {amount}; the active language's by default."""
    for module in get_format_modules(language or get_language()):
        if hasattr(module, "MONEY_FORMAT"):
            return module.MONEY_FORMAT
    return "{sign}${amount}"


def format_money(value) -> str:
    """An amount in the active language, never through float; "" for no value. English:
    $1,234.50 and -$12.00; Canadian French: 1 234,50 $ and -12,00 $ (non-breaking spaces)."""
    if value is None or value == "":
        return ""
    amount = Decimal(value).quantize(CENT)
    language = get_language()
    digits = number_format(
        abs(amount),
        get_format("DECIMAL_SEPARATOR", language),
        decimal_pos=2,
        grouping=get_format("NUMBER_GROUPING", language),
        thousand_sep=get_format("THOUSAND_SEPARATOR", language),
        force_grouping=True,
    )
    return money_pattern(language).format(sign="-" if amount < 0 else "", amount=digits)

"""Money: a Decimal with two places, never a float; integer cents only at the Stripe boundary."""

from decimal import Decimal

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


def format_money(value) -> str:
    """$1,234.50 (and -$12.00) for a Decimal, never through float; "" for no value."""
    if value is None or value == "":
        return ""
    amount = Decimal(value).quantize(CENT)
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,.2f}"

"""Small helpers for the few reads written as SQL by hand.

A handful of queries run on every page a contractor opens (their scope, a page's permits and
inspections, the permits' parties). Their shape never changes, and the ORM took longer to build
them than the database to answer them (docs/performance.md), so they are written out. Values
always travel as parameters; only placeholders are spliced in.
"""

from decimal import Decimal

from django.db import models

CENT = Decimal("0.01")


def with_ids(sql: str, ids: list[int]) -> str:
    """`sql` with each "IN (%s)" widened to one placeholder per id."""
    return sql.replace("IN (%s)", "IN (" + ", ".join(["%s"] * len(ids)) + ")")


def partial(model: type[models.Model], db: str, **values) -> models.Model:
    """An instance of `model` loaded with these fields only (the rest deferred, read on first
    use), as the ORM's .only() would load it."""
    names = [field.attname for field in model._meta.concrete_fields if field.attname in values]
    return model.from_db(db, names, [values[name] for name in names])


def money(value) -> Decimal:
    """A sum of money from the database: NULL is zero; SQLite answers SUM() with a float."""
    if value is None:
        return Decimal("0.00")
    if not isinstance(value, Decimal):
        value = Decimal(str(value))
    return value.quantize(CENT)


def in_order(objects, ids: list[int]) -> list:
    by_id = {obj.pk: obj for obj in objects}
    return [by_id[pk] for pk in ids if pk in by_id]

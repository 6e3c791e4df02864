"""Small helpers for the few reads written as SQL by hand.

A few queries run on every page a contractor opens (their scope, a page's permits, the
dashboard's totals and pages). Their shape never changes, and the ORM took longer to build them
than the database to answer them (measured: docs/performance.md), so they are written out, each
in the selectors of the app whose tables it reads, with a test that it answers as the plain ORM
definition does. Values always travel as parameters; only placeholders are spliced in.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection, models
from django.db.models import Value
from django.db.models.functions import Cast


def expand(sql: str, params: list) -> tuple[str, list]:
    """`sql` and `params` with each list among the parameters spread out, one placeholder per
    item: "id IN %s" with [[1, 2]] becomes "id IN (%s, %s)" with [1, 2]. An IN of one item is
    an equality to PostgreSQL, which can then read an index in its order (an array, = ANY(),
    cannot)."""
    pieces = sql.split("%s")
    if len(pieces) != len(params) + 1:
        raise ValueError(f"{len(pieces) - 1} placeholders for {len(params)} parameters")
    out, flat = [pieces[0]], []
    for param, piece in zip(params, pieces[1:], strict=True):
        if isinstance(param, list | tuple | set | frozenset):
            items = list(param)
            out.append("(" + ", ".join(["%s"] * len(items)) + ")" if items else "(NULL)")
            flat += items
        else:
            out.append("%s")
            flat.append(param)
        out.append(piece)
    return "".join(out), flat


@dataclass(frozen=True)
class Part:
    """One SELECT of a hand-written UNION ALL, with its parameters (a list among them is spread
    out: `expand`). An app writes the parts that read its own tables, in its selectors; a page
    that wants several apps' rows in one round trip joins their parts with `union_all`, never
    naming their tables itself."""

    sql: str
    params: tuple = ()


def union_all(parts: Iterable[Part]) -> list[tuple]:
    """The rows of every part, in one query. The parts agree on their columns (by convention a
    label first, saying which part a row came from)."""
    parts = list(parts)
    if not parts:
        return []
    sql = " UNION ALL ".join(part.sql for part in parts)
    params = [param for part in parts for param in part.params]
    with connection.cursor() as cursor:
        cursor.execute(*expand(sql, params))
        return cursor.fetchall()


def partial(model: type[models.Model], db: str, **values) -> models.Model:
    """An instance of `model` loaded with these fields only (the rest deferred, read on first
    use), as the ORM's .only() would load it."""
    names = [field.attname for field in model._meta.concrete_fields if field.attname in values]
    return model.from_db(db, names, [values[name] for name in names])


def in_order(objects, ids: list[int]) -> list:
    by_id = {obj.pk: obj for obj in objects}
    return [by_id[pk] for pk in ids if pk in by_id]


def typed_null(field: models.Field) -> Cast:
    """NULL of the field's type, for a column that one part of an ORM UNION leaves empty:
    PostgreSQL reads an untyped NULL in a UNION's first part as text."""
    return Cast(Value(None), field)

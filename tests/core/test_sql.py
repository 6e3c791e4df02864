"""The helpers of the hand-written reads (core.sql)."""

import pytest
from django.db.models import BigIntegerField, Value

from core.sql import Part, expand, typed_null, union_all
from permits.models import PermitType


def test_expand_spreads_each_list_into_placeholders():
    assert expand("a IN %s AND b = %s AND c IN %s", [[1, 2, 3], "x", (4,)]) == (
        "a IN (%s, %s, %s) AND b = %s AND c IN (%s)",
        [1, 2, 3, "x", 4],
    )
    # An empty list matches nothing rather than being a syntax error.
    assert expand("a IN %s", [[]]) == ("a IN (NULL)", [])
    with pytest.raises(ValueError, match="2 placeholders for 1 parameters"):
        expand("a = %s AND b = %s", [1])


@pytest.mark.django_db
def test_union_all_reads_every_part_in_one_query(django_assert_num_queries):
    for code in ("BLD", "ELE", "PLM"):
        PermitType.objects.create(code=code, name=code.title())
    parts = [
        Part(
            "SELECT %s, COUNT(*) FROM permits_permittype WHERE code IN %s", ("two", ["BLD", "ELE"])
        ),
        Part("SELECT %s, COUNT(*) FROM permits_permittype WHERE code = %s", ("one", "PLM")),
    ]
    with django_assert_num_queries(1):
        assert sorted(union_all(parts)) == [("one", 1), ("two", 2)]
    with django_assert_num_queries(0):
        assert union_all([]) == []


@pytest.mark.django_db
def test_typed_null_lets_an_orm_union_start_with_an_empty_column():
    PermitType.objects.create(code="BLD", name="Building")
    empty = PermitType.objects.values_list("code", typed_null(BigIntegerField()))
    filled = PermitType.objects.values_list("code", Value(7, output_field=BigIntegerField()))
    # (PostgreSQL would read an untyped NULL as text, and refuse to match it with a number.)
    assert set(empty.order_by().union(filled.order_by(), all=True)) == {("BLD", 7), ("BLD", None)}

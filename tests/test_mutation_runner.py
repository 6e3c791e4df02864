"""The mutation runner's own pieces (make mutation, docs/testing.md): the rewrite that lets
mutmut mutate atomic functions keeps their behaviour and their line numbers, and the list of
accepted survivors is read from docs/testing.md as written there."""

import textwrap

import pytest

from mutation.run import MODULES, accepted_survivors
from mutation.unwrap import unwrap_atomic

SOURCE = textwrap.dedent(
    '''
    from django.db import transaction


    @transaction.atomic
    def pay(*, amount):
        """Pay it."""
        if amount > 10:
            return "large"
        return "small"


    def untouched():
        return 1
    '''
)


@pytest.mark.django_db
def test_an_atomic_function_becomes_a_with_block_with_its_lines_where_they_were():
    rewritten, names = unwrap_atomic(SOURCE)
    assert names == ["pay"]
    assert "@transaction.atomic" not in rewritten
    before, after = SOURCE.splitlines(), rewritten.splitlines()
    assert len(before) == len(after)
    # The body's lines (what mutmut reports) keep their numbers; the signature moves up one.
    for line in ('return "large"', 'return "small"', "return 1"):
        assert [n for n, text in enumerate(before) if line in text] == [
            n for n, text in enumerate(after) if line in text
        ]
    assert "    with transaction.atomic():" in after
    namespace: dict = {}
    exec(compile(rewritten, "<rewritten>", "exec"), namespace)  # noqa: S102 (our own source)
    assert (namespace["pay"](amount=11), namespace["pay"](amount=3)) == ("large", "small")
    assert namespace["pay"].__doc__ == "Pay it."


def test_accepted_survivors_are_the_rows_of_docs_table_and_postgresql_ones_only_off_it():
    module = MODULES[0].name
    text = textwrap.dedent(
        f"""
        | module | function | change | why it cannot matter |
        |---|---|---|---|
        | {module} | `f` | `a \\| b` → `a` | Equivalent: the same. |
        | {module} | `g` | `x` → `y` | Only PostgreSQL: its lock test kills it. |
        | elsewhere | `h` | `x` → `y` | Not a module of the run. |
        """
    )
    assert accepted_survivors(postgres=False, text=text) == {
        (module, "f", "`a | b` → `a`"),
        (module, "g", "`x` → `y`"),
    }
    assert accepted_survivors(postgres=True, text=text) == {(module, "f", "`a | b` → `a`")}

"""Rewrite `@transaction.atomic` functions as `with transaction.atomic():` bodies, in a scratch
copy, so that mutmut (which leaves decorated functions alone) mutates them.

The behaviour is the same: the body runs in one atomic block either way. The decorator's line is
removed and the `with` line added below the signature, so every line of the body keeps its number
and a mutant's line reads the same as in the real file.
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

ATOMIC = m.Decorator(
    decorator=m.Attribute(value=m.Name("transaction"), attr=m.Name("atomic")) | m.Name("atomic")
)


class _Unwrap(cst.CSTTransformer):
    def __init__(self) -> None:
        self.unwrapped: list[str] = []

    def leave_FunctionDef(
        self, original: cst.FunctionDef, updated: cst.FunctionDef
    ) -> cst.FunctionDef:
        atomic = [d for d in updated.decorators if m.matches(d, ATOMIC)]
        if not atomic:
            return updated
        body = updated.body
        assert isinstance(body, cst.IndentedBlock)
        statements = list(body.body)
        docstring = []
        if statements and m.matches(
            statements[0], m.SimpleStatementLine(body=[m.Expr(value=m.SimpleString())])
        ):
            # The docstring stays the function's (and its lines keep their numbers too).
            docstring, statements = [statements[0]], statements[1:]
        with_block = cst.With(
            items=[
                cst.WithItem(
                    item=cst.Call(
                        func=cst.Attribute(value=cst.Name("transaction"), attr=cst.Name("atomic"))
                    )
                )
            ],
            body=cst.IndentedBlock(body=statements),
        )
        self.unwrapped.append(updated.name.value)
        return updated.with_changes(
            decorators=[d for d in updated.decorators if not m.matches(d, ATOMIC)],
            body=body.with_changes(body=[*docstring, with_block]),
        )


def unwrap_atomic(source: str) -> tuple[str, list[str]]:
    """The source with every `@transaction.atomic` function's body in a `with` block, and the
    names of the functions rewritten."""
    module = cst.parse_module(source)
    transformer = _Unwrap()
    rewritten = module.visit(transformer)
    return rewritten.code, transformer.unwrapped

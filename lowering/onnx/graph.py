"""Helpers for passes that walk the model graph (`func.func @main` blocks)."""

from __future__ import annotations

from collections.abc import Iterator

from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.rewriter import Rewriter


def functions(module: ModuleOp) -> Iterator[func.FuncOp]:
    for op in module.ops:
        if isinstance(op, func.FuncOp) and not op.is_declaration:
            yield op


def graph_ops(module: ModuleOp) -> Iterator[Operation]:
    """Every op of every function body, in order (a snapshot: safe to rewrite while iterating)."""
    for f in functions(module):
        for block in f.body.blocks:
            yield from list(block.ops)


def retype(value: SSAValue, new_type: Attribute) -> SSAValue:
    """Give `value` a new type in place of the old one (all uses follow)."""
    if value.type == new_type:
        return value
    return Rewriter.replace_value_with_new_type(value, new_type)


def update_signatures(module: ModuleOp) -> None:
    for f in functions(module):
        f.update_function_type()

"""`ncnn-insert-split`: ncnn lets a blob feed one layer only; every fan-out gets a Split."""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint

from ncc.dialects.ncnn.layers import SplitOp
from ncc.lowering.onnx.graph import functions
from ncc.lowering.rewriting import NccRewriter


def _split(value: SSAValue, insert_at: InsertPoint, order: dict) -> None:
    # deterministic order (graph position, operand index): identical input, identical output
    uses = sorted(value.uses, key=lambda u: (order.get(u.operation, len(order)), u.index))
    if len(uses) < 2:
        return
    split = SplitOp.build([value], [value.type] * len(uses))
    if isinstance(value.owner, Operation):
        split.location = value.owner.location
    rewriter = NccRewriter(insert_at)
    rewriter.insert(split)
    # each use its own copy; the tensor's name stays on the value the split copies
    for (user, index), out in zip([(u.operation, u.index) for u in uses], split.outputs, strict=True):
        rewriter.replace_uses_with_if(value, out, lambda u, op=user, i=index: u.operation is op and u.index == i)


@dataclass(frozen=True)
class NcnnInsertSplitPass(ModulePass):
    """Insert a Split after every value with more than one use (the function's return
    counts as a use)."""

    name = "ncnn-insert-split"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for f in functions(op):
            block = f.body.block
            order = {o: i for i, o in enumerate(block.ops)}
            for arg in block.args:
                _split(arg, InsertPoint.at_start(block), order)
            for o in list(block.ops):
                for res in o.results:
                    _split(res, InsertPoint.after(o), order)

"""`ncnn-insert-split`: ncnn lets a blob feed one layer only; every fan-out gets a Split."""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter

from ncc.dialects.ncnn.layers import SplitOp
from ncc.lowering.onnx.graph import functions


def _split(value: SSAValue, insert_at: InsertPoint, order: dict) -> None:
    # deterministic order (graph position, operand index): identical input, identical output
    uses = sorted(value.uses, key=lambda u: (order.get(u.operation, len(order)), u.index))
    if len(uses) < 2:
        return
    split = SplitOp.build([value], [value.type] * len(uses))
    owner = value.owner
    if hasattr(owner, "attributes") and "onnx_node" in getattr(owner, "attributes", {}):
        split.attributes["onnx_node"] = owner.attributes["onnx_node"]
    Rewriter.insert_op(split, insert_at)
    for use, out in zip(uses, split.outputs, strict=True):
        use.operation.operands[use.index] = out


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

"""`onnx-shape-inference`: compute every result type from the ops' own rules."""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass

from ncc.dialects.common import NccError

from ncc.lowering.onnx.graph import graph_ops, retype, update_signatures


def infer_shapes(module: ModuleOp) -> bool:
    """One forward sweep (the graph is in topological order); True if a type changed."""
    changed = False
    for op in graph_ops(module):
        infer = getattr(op, "infer_types", None)  # onnx ops, and layout moves
        if infer is None:
            continue
        types = infer()
        if types is None:
            continue
        if len(types) != len(op.results):
            raise NccError(f"internal: {op.name} shape rule gave {len(types)} types for {len(op.results)} results")
        for res, t in zip(list(op.results), types, strict=True):
            if res.type != t:
                retype(res, t)
                changed = True
    update_signatures(module)
    return changed


@dataclass(frozen=True)
class OnnxShapeInferencePass(ModulePass):
    """Run each onnx op's `infer_types` in graph order and refine result types. Ops whose
    inputs are still unknown keep their type (folding may resolve them on the next round)."""

    name = "onnx-shape-inference"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        infer_shapes(op)

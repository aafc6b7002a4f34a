"""`onnx-simplify`: shape inference, constant folding and canonicalisation to a fixpoint."""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass
from xdsl.transforms.dead_code_elimination import dce

from ncc.lowering.onnx.canonicalize import OnnxCanonicalizePass
from ncc.lowering.onnx.fold_constants import fold_constants
from ncc.lowering.onnx.shape_inference import infer_shapes


@dataclass(frozen=True)
class OnnxSimplifyPass(ModulePass):
    """Repeat {onnx-shape-inference, onnx-fold-constants, onnx-canonicalize, dce} until
    nothing changes: with static input shapes every Shape/ConstantOfShape/Range/Equal/Where
    on shapes folds away, since each fold can make new shapes known and vice versa."""

    name = "onnx-simplify"
    max_iterations: int = 32

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        after = sum(1 for _ in op.walk())
        for _ in range(self.max_iterations):
            count = after  # the op count at the end of the last round is this round's start
            changed = infer_shapes(op)
            changed |= fold_constants(op)
            OnnxCanonicalizePass().apply(ctx, op)
            dce(op)
            after = sum(1 for _ in op.walk())
            if not changed and after == count:
                break

"""`onnx-expand-to-tile`: Expand disappears where its consumers broadcast anyway, and becomes
Tile (an ncnn layer) where they do not.

An Expand whose every consumer broadcasts its operands (the Broadcasting trait: Add, Mul, Where, Max, …)
that computes the same result shape from the unexpanded input is dropped: ncnn's BinaryOp
broadcasts size-1 axes itself. Otherwise the input is reshaped to the output rank (leading
1s) and tiled by `out / in` along each axis.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint

from ncc.dialects.common import static_shape
from ncc.dialects.onnx import tensor as T
from ncc.dialects.onnx.traits import Broadcasting, trait_of
from ncc.lowering.onnx.builder import OnnxBuilder
from ncc.lowering.onnx.graph import graph_ops, update_signatures

def _broadcasts_anyway(user: Operation, expanded: SSAValue, source: SSAValue) -> bool:
    """Whether `user` computes the same result shape with `source` in place of `expanded`."""
    if trait_of(user, Broadcasting) is None:
        return False
    shapes = [static_shape(source.type if v is expanded else v.type) for v in user.operands]
    if any(s is None for s in shapes):
        return False
    try:
        return tuple(np.broadcast_shapes(*shapes)) == static_shape(user.results[0].type)
    except ValueError:
        return False


def expand_to_tile(module: ModuleOp) -> bool:
    changed = False
    for op in graph_ops(module):
        if not isinstance(op, T.ExpandOp):
            continue
        src, out = static_shape(op.input.type), static_shape(op.output.type)
        if src is None or out is None:
            continue
        x = op.input
        b = OnnxBuilder(InsertPoint.before(op), op.location)
        if src == out or all(_broadcasts_anyway(u.operation, op.output, x) for u in op.output.uses):
            b.rewriter.replace(op, [], [x])
        else:
            lifted = (1,) * (len(out) - len(src)) + tuple(src)
            v = b.reshape(x, lifted)
            b.rewriter.replace(op, [], [b.tile(v, [o // i for o, i in zip(out, lifted, strict=True)])])
        changed = True
    if changed:
        update_signatures(module)
    return changed


@dataclass(frozen=True)
class OnnxExpandToTilePass(ModulePass):
    """Expand → nothing when every consumer broadcasts; otherwise Reshape + Tile."""

    name = "onnx-expand-to-tile"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        expand_to_tile(op)

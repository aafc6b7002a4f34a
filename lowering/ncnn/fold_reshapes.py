"""`ncnn-fold-reshapes`: a Reshape of a Reshape is one Reshape; a Reshape that leaves the
Mat shape unchanged disappears. (Lowerings reshape locally, e.g. global pooling's 1-D result
back to (c,1,1) right before a Flatten; this pass removes the round trips.)"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import PatternRewriter, RewritePattern, op_type_rewrite_pattern

from ncc.dialects.common import static_shape
from ncc.dialects.ncnn.base import mat_shape
from ncc.dialects.ncnn.layers import ReshapeOp
from ncc.lowering.rewriting import apply_patterns

_KEYS = ("c", "d", "h", "w")


def reshape_target(op: ReshapeOp) -> tuple[int, ...] | None:
    """The Mat shape a plain Reshape produces (None if it uses -1/0/expressions/batch axes)."""
    if op.param("shape_expr") or op.param("input_batch_axis") != 233 or op.param("output_batch_axis") != 233:
        return None
    dims = [op.param(k) for k in _KEYS if k in op.params.data]
    if not dims or any(d <= 0 for d in dims):
        return None
    return tuple(dims)


def mat_of_value(v: SSAValue) -> tuple[int, ...] | None:
    if isinstance(v.owner, ReshapeOp):
        return reshape_target(v.owner)
    s = static_shape(v.type)
    return None if s is None else mat_shape(s)


class FoldReshapeChain(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: ReshapeOp, rewriter: PatternRewriter, /) -> None:
        target = reshape_target(op)
        if target is None:
            return
        src = op.inputs[0]
        if mat_of_value(src) == target:
            rewriter.replace(op, [], [src])
            return
        inner = src.owner
        if isinstance(inner, ReshapeOp) and reshape_target(inner) is not None and len(list(src.uses)) == 1:
            rewriter.replace_all_uses_with(src, inner.inputs[0])  # src's one use is op
            rewriter.erase(inner)


@dataclass(frozen=True)
class NcnnFoldReshapesPass(ModulePass):
    """Merge chained Reshapes and drop Reshapes that do not change the Mat shape."""

    name = "ncnn-fold-reshapes"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        apply_patterns(op, FoldReshapeChain())

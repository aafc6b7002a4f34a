"""`ncnn-fold-reshapes`: a Reshape of a Reshape is one Reshape; a Reshape that leaves the
Mat shape unchanged disappears. (Lowerings reshape locally, e.g. global pooling's 1-D result
back to (c,1,1) right before a Flatten; this pass removes the round trips.) A Reshape that
keeps the outermost axis and feeds only a Slice along it, whose pieces feed only Reshapes,
disappears too: the Slice cuts the Reshape's input (ViT's q/k/v split, as pnnx writes it)."""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import PatternRewriter, RewritePattern, op_type_rewrite_pattern

from ncc.dialects.common import static_shape
from ncc.dialects.ncnn.base import mat_shape
from ncc.dialects.common import tensor_type
from ncc.dialects.ncnn.layers import ReshapeOp
from ncc.dialects.ncnn.shape import SliceOp
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


class SliceBeforeReshape(RewritePattern):
    """Reshape (outer axis kept) → Slice on that axis → Reshapes  ⇒  Slice → Reshapes: pieces
    of the outermost axis are the same C-order runs of elements before and after the Reshape."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: SliceOp, rewriter: PatternRewriter, /) -> None:
        src = op.inputs[0]
        reshape = src.owner
        if not isinstance(reshape, ReshapeOp) or len(list(src.uses)) != 1:
            return
        before, after = mat_of_value(reshape.inputs[0]), reshape_target(reshape)
        if before is None or after is None or before[0] != after[0] or op.param("indices"):
            return
        if op.param("axis") not in (0, -len(after)):
            return
        if any(not isinstance(u.operation, ReshapeOp) or reshape_target(u.operation) is None
               for r in op.outputs for u in r.uses):  # fmt: skip
            return
        sizes = op.infer_mat([after])
        # a piece of p rows of the input's Mat: logical (1, p, ...) so that its Mat is that
        types = [tensor_type((1, m[0], *before[1:]), r.type.element_type) for m, r in zip(sizes, op.outputs, strict=True)]
        sl = SliceOp.build([reshape.inputs[0]], types, {"slices": op.param("slices"), "axis": 0})
        sl.location = op.location
        rewriter.replace(op, [sl], list(sl.outputs))
        rewriter.erase(reshape)


@dataclass(frozen=True)
class NcnnFoldReshapesPass(ModulePass):
    """Merge chained Reshapes and drop Reshapes that do not change the Mat shape."""

    name = "ncnn-fold-reshapes"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        apply_patterns(op, [FoldReshapeChain(), SliceBeforeReshape()])

"""`ncnn-fold-permutes`: a Permute of a Permute is one Permute, and none when the two cancel.
Lowerings transpose locally (the dynamo exporter's `k.transpose(-2, -1)` before an SDPA whose
lowering transposes k back: ViT's 24 Permutes that undo each other), so pairs meet at the ncnn
level that the ONNX graph did not show."""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.dialects.func import ReturnOp
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import PatternRewriter, RewritePattern, op_type_rewrite_pattern

from ncc.dialects.ncnn.shape import PermuteOp, permute_order_type, permute_perm
from ncc.lowering.ncnn.fold_reshapes import mat_of_value
from ncc.lowering.rewriting import apply_patterns


class FoldPermuteChain(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: PermuteOp, rewriter: PatternRewriter, /) -> None:
        src = op.inputs[0]
        inner = src.owner
        if not isinstance(inner, PermuteOp) or len(list(src.uses)) != 1:
            return
        x = inner.inputs[0]
        mat = mat_of_value(x)
        if mat is None or len(mat) < 2:
            return
        first = permute_perm(inner.param("order_type"), len(mat))
        second = permute_perm(op.param("order_type"), len(mat))
        if first is None or second is None:
            return
        # x.transpose(first).transpose(second) == x.transpose(first[second])
        both = tuple(first[a] for a in second)
        if both == tuple(range(len(mat))):
            # the same Mat, maybe under another logical shape (as `ncnn-fold-reshapes` drops a
            # Reshape that keeps the Mat); the function's result types stay as declared
            if x.type != op.outputs[0].type and any(isinstance(u.operation, ReturnOp) for u in op.outputs[0].uses):
                return
            rewriter.replace(op, [], [x])
        else:
            merged = PermuteOp.build([x], [op.outputs[0].type], {"order_type": permute_order_type(both)})
            merged.location = op.location
            rewriter.replace(op, [merged], [merged.outputs[0]])
        rewriter.erase(inner)


@dataclass(frozen=True)
class NcnnFoldPermutesPass(ModulePass):
    """Merge chained Permutes; drop a pair that cancels."""

    name = "ncnn-fold-permutes"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        apply_patterns(op, FoldPermuteChain())

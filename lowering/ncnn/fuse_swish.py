"""`ncnn-fuse-swish`: `x * sigmoid(x)` (SiLU, which both torch exporters write as a Sigmoid
and a Mul) becomes one ncnn Swish layer: one pass over the data instead of two layers and an
extra blob, as pnnx and onnx2ncnn write it. YOLO, EfficientNet and MobileViT use it after
nearly every convolution."""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import PatternRewriter, RewritePattern, op_type_rewrite_pattern

from ncc.dialects.ncnn.layers import BinaryOpOp, SigmoidOp, SwishOp
from ncc.lowering.rewriting import apply_patterns

_MUL = 2  # ncnn BinaryOp op_type


class MulBySigmoidToSwish(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: BinaryOpOp, rewriter: PatternRewriter, /) -> None:
        if op.param("op_type") != _MUL or op.param("with_scalar") or len(op.inputs) != 2:
            return
        a, b = op.inputs
        for x, s in ((a, b), (b, a)):
            sig = s.owner
            if not isinstance(sig, SigmoidOp) or sig.inputs[0] != x or len(list(s.uses)) != 1:
                continue
            if x.type != op.outputs[0].type:  # no broadcast: Swish keeps x's Mat
                continue
            swish = SwishOp.build([x], [op.outputs[0].type])
            swish.attributes.update(op.attributes)
            rewriter.replace(op, [swish], [swish.outputs[0]])
            rewriter.erase(sig)
            return


@dataclass(frozen=True)
class NcnnFuseSwishPass(ModulePass):
    """A BinaryOp Mul of x and Sigmoid(x) (the Sigmoid used only there) becomes Swish(x)."""

    name = "ncnn-fuse-swish"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        apply_patterns(op, MulBySigmoidToSwish())

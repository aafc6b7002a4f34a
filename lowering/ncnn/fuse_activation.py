"""`ncnn-fuse-activation`: fold an activation layer into the conv / linear layer before it
(ncnn's `activation_type` / `activation_params` on Convolution, ConvolutionDepthWise,
Deconvolution, DeconvolutionDepthWise and InnerProduct)."""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import PatternRewriter, PatternRewriteWalker, RewritePattern

from ncc.dialects.ncnn.base import NcnnLayer


def activation_of(layer: NcnnLayer) -> tuple[int, list[float]] | None:
    """ncnn's fused-activation code and params for an activation layer (fused_activation.h)."""
    t = layer.layer_type
    if t == "ReLU":
        slope = float(layer.param("slope"))
        return (1, []) if slope == 0.0 else (2, [slope])
    if t == "Clip":
        return 3, [float(layer.param("min")), float(layer.param("max"))]
    if t == "Sigmoid":
        return 4, []
    if t == "Mish":
        return 5, []
    if t == "HardSwish":
        return 6, [float(layer.param("alpha")), float(layer.param("beta"))]
    return None


class FuseActivation(RewritePattern):
    def match_and_rewrite(self, act, rewriter: PatternRewriter, /) -> None:
        if not isinstance(act, NcnnLayer) or len(act.inputs) != 1:
            return
        fused = activation_of(act)
        if fused is None:
            return
        producer = act.inputs[0].owner
        if not isinstance(producer, NcnnLayer) or "activation_type" not in producer.PARAMS:
            return
        if producer.param("activation_type") != 0 or len(list(producer.outputs[0].uses)) != 1:
            return
        code, params = fused
        producer.set_param("activation_type", code)
        if params:
            producer.set_param("activation_params", params)
        rewriter.replace(act, [], [producer.outputs[0]])


@dataclass(frozen=True)
class NcnnFuseActivationPass(ModulePass):
    """ReLU/LeakyReLU/Clip/Sigmoid/Mish/HardSwish after a conv or InnerProduct whose output
    has no other user becomes that layer's fused activation."""

    name = "ncnn-fuse-activation"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        PatternRewriteWalker(FuseActivation()).rewrite_module(op)

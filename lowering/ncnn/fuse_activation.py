"""`ncnn-fuse-activation`: fold an activation layer into the conv / linear layer before it
(ncnn's `activation_type` / `activation_params` on Convolution, ConvolutionDepthWise,
Deconvolution, DeconvolutionDepthWise and InnerProduct): the layers with the FusedActivation
trait, each of which says its code and params."""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import PatternRewriter, RewritePattern

from ncc.dialects.ncnn.base import NcnnLayer
from ncc.dialects.ncnn.layers import ReshapeOp
from ncc.dialects.ncnn.traits import FusedActivation
from ncc.lowering.rewriting import apply_patterns


class FuseActivation(RewritePattern):
    def match_and_rewrite(self, act, rewriter: PatternRewriter, /) -> None:
        if not isinstance(act, NcnnLayer) or len(act.inputs) != 1:
            return
        activation = act.get_trait(FusedActivation)
        if activation is None:
            return
        value = act.inputs[0]
        producer = value.owner
        if isinstance(producer, ReshapeOp) and len(list(value.uses)) == 1:
            # an elementwise activation commutes with a Reshape (a rank-3 MatMul runs as a
            # 2-D InnerProduct between two Reshapes): fuse it into the layer before it
            producer = producer.inputs[0].owner
        if not isinstance(producer, NcnnLayer) or "activation_type" not in producer.PARAMS:
            return
        if producer.param("activation_type") != 0 or len(list(producer.outputs[0].uses)) != 1:
            return
        code, params = activation.fused(act)
        producer.set_param("activation_type", code)
        if params:
            producer.set_param("activation_params", params)
        rewriter.notify_op_modified(producer)
        rewriter.replace(act, [], [value])


@dataclass(frozen=True)
class NcnnFuseActivationPass(ModulePass):
    """ReLU/LeakyReLU/Clip/Sigmoid/Mish/HardSwish after a conv or InnerProduct whose output
    has no other user becomes that layer's fused activation."""

    name = "ncnn-fuse-activation"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        apply_patterns(op, FuseActivation())

"""onnx → ncnn: Swish → the Swish layer (alpha = 1, SiLU), else x · sigmoid(alpha · x) as a
scalar BinaryOp, a Sigmoid and a BinaryOp."""

from __future__ import annotations

from ncc.dialects.ncnn import layers as L
from ncc.dialects.onnx.swish import SwishOp
from ncc.lowering.onnx_to_ncnn.common import DEFAULT_REQUIRES, LayerBuilder, OnnxToNcnnPattern, float_input


class SwishToSwish(OnnxToNcnnPattern):
    OP = SwishOp
    REQUIRES = (*DEFAULT_REQUIRES, float_input)

    def convert(self, op: SwishOp, b: LayerBuilder):
        alpha = float(op.attr("alpha"))
        if alpha == 1.0:
            return b.layer(L.SwishOp, [op.X], op.Y.type)
        scaled = b.layer(L.BinaryOpOp, [op.X], op.Y.type, {"op_type": 2, "with_scalar": 1, "b": alpha})
        gate = b.layer(L.SigmoidOp, [scaled], op.Y.type)
        return b.layer(L.BinaryOpOp, [op.X, gate], op.Y.type, {"op_type": 2})


PATTERNS = [SwishToSwish()]

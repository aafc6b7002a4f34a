"""Test-only plug-in (loaded with `--load-passes`, never shipped): adds an op ncc does not
have — ONNX `Round` — as one op class with its traits and one onnx → ncnn pattern, touching
no ncc file. The class inherits UnaryOp's traits (Elementwise, FrameLocal), so the passes
that ask for them treat it like any activation."""

from __future__ import annotations

import numpy as np
from xdsl.irdl import irdl_op_definition

from ncc.dialects.ncnn import layers as L
from ncc.dialects.onnx.elementwise import UnaryOp
from ncc.lowering.onnx_to_ncnn.common import LayerBuilder, OnnxToNcnnPattern


@irdl_op_definition
class RoundOp(UnaryOp):
    """Round half to even (numpy's and ncnn's rint)."""

    name = "onnx.Round"

    def evaluate(self, x):
        return [np.rint(x)]


class RoundToUnaryOp(OnnxToNcnnPattern):
    OP = RoundOp

    def convert(self, op: RoundOp, b: LayerBuilder):
        return b.layer(L.UnaryOpOp, [op.X], op.Y.type, {"op_type": L.UnaryOpOp.OP_TYPES["round"]})


NCC_OPS = [RoundOp]
NCC_PATTERNS = [RoundToUnaryOp()]

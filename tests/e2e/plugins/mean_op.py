"""Test-only plug-in (loaded with `--load-passes`, never shipped): ONNX `Mean`, which ncc does
not have, with two onnx → ncnn patterns of different priorities, to exercise the conversion
protocol (`ncc.lowering.dispatch`):

- `MeanAsEltwise` (priority 10): one ncnn Eltwise (sum with coefficients 1/n), which adds
  inputs of equal shapes only; it refuses broadcasting inputs with that reason;
- `MeanOfTwoAsBinaryOps` (default priority): (a + b) · 0.5 with ncnn BinaryOps, which
  broadcast; kept to two inputs so that a three-input broadcasting Mean has no lowering and
  the error shows both reasons.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from xdsl.irdl import irdl_op_definition

from ncc.dialects.common import static_shape
from ncc.dialects.ncnn import layers as L
from ncc.dialects.onnx.elementwise import VariadicOp
from ncc.lowering.dispatch import NoMatch
from ncc.lowering.onnx_to_ncnn.common import DEFAULT_REQUIRES, LayerBuilder, OnnxToNcnnPattern, float_input
from ncc.lowering.onnx_to_ncnn.elementwise import binary


@irdl_op_definition
class MeanOp(VariadicOp):
    """Element-wise mean of its inputs, numpy-broadcast."""

    name = "onnx.Mean"

    def evaluate(self, *xs):
        return [(np.add.reduce(np.broadcast_arrays(*xs)) / len(xs)).astype(xs[0].dtype)]


class MeanAsEltwise(OnnxToNcnnPattern):
    OP = MeanOp
    PRIORITY = 10
    REQUIRES = (*DEFAULT_REQUIRES, float_input)

    def convert(self, op: MeanOp, b: LayerBuilder):
        out = static_shape(op.output.type)
        shapes = [static_shape(v.type) for v in op.inputs]
        if any(s != out for s in shapes):
            raise NoMatch(f"inputs of shapes {', '.join(str(list(s)) for s in shapes)} broadcast; Eltwise adds equal shapes only")
        n = len(shapes)
        return b.layer(L.EltwiseOp, list(op.inputs), op.output.type, {"op_type": 1, "coeffs": [1.0 / n] * n})


class MeanOfTwoAsBinaryOps(OnnxToNcnnPattern):
    OP = MeanOp
    REQUIRES = (*DEFAULT_REQUIRES, float_input)

    def convert(self, op: MeanOp, b: LayerBuilder):
        if len(op.inputs) != 2:
            raise NoMatch(f"averages two inputs only (got {len(op.inputs)})")
        out = static_shape(op.output.type)
        total = binary(b, 0, op.inputs[0], op.inputs[1], out, op.output.type)
        return b.layer(L.BinaryOpOp, [total], op.output.type, {"op_type": 2, "with_scalar": 1, "b": 0.5})


NCC_OPS = [MeanOp]
# the preferred pattern is registered first: by registration order alone (later tried first)
# the fallback would win; PRIORITY decides
NCC_PATTERNS = [MeanAsEltwise(), MeanOfTwoAsBinaryOps()]

"""onnx → ncnn: Clip whose bounds are computed at run time → max(x, min) then min(·, max),
two BinaryOps (ncnn's Clip layer takes its bounds as params). Tried before `ClipToClip`, it
refuses when the bounds are constants, which that pattern lowers."""

from __future__ import annotations

from ncc.dialects.common import static_shape
from ncc.dialects.onnx import elementwise as E
from ncc.lowering.dispatch import NoMatch
from ncc.lowering.onnx_to_ncnn.common import DEFAULT_REQUIRES, LayerBuilder, OnnxToNcnnPattern, float_input
from ncc.lowering.onnx_to_ncnn.elementwise import binary

MAX, MIN = 4, 5
"""ncnn BinaryOp op_type codes."""


class ClipBoundsAtRunTime(OnnxToNcnnPattern):
    OP = E.ClipOp
    PRIORITY = 1
    REQUIRES = (*DEFAULT_REQUIRES, float_input)

    def convert(self, op: E.ClipOp, b: LayerBuilder):
        runtime = [i for i in (1, 2) if op.has_input(i) and op.in_const(i) is None]
        if not runtime:
            raise NoMatch("the bounds are constants")
        out = static_shape(op.output.type)
        y = op.input
        for i, code in ((1, MAX), (2, MIN)):
            if op.has_input(i):
                if op.in_shape(i) is None or len(op.in_shape(i)) > len(out):
                    raise NoMatch(f"bound {i} has no static shape of at most rank {len(out)}")
                y = binary(b, code, y, op.operands[i], out, op.output.type)
        return y


PATTERNS = [ClipBoundsAtRunTime()]

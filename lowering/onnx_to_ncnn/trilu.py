"""onnx → ncnn: a Trilu left for the conversion is one `onnx-canonicalize` could not rewrite
into a Where on a constant triangle (lowering/onnx/trilu.py): this pattern only says why."""

from __future__ import annotations

from ncc.dialects.onnx.trilu import TriluOp
from ncc.lowering.dispatch import NoMatch
from ncc.lowering.onnx_to_ncnn.common import LayerBuilder, OnnxToNcnnPattern


class TriluReason(OnnxToNcnnPattern):
    OP = TriluOp

    def convert(self, op: TriluOp, b: LayerBuilder):
        shape = op.in_shape(0)
        if shape is not None and len(shape) < 2:
            raise NoMatch(f"Trilu needs a rank of at least 2, got {len(shape)}")
        if op.diagonal() is None:
            raise NoMatch("k is computed at run time; ncnn needs the triangle at compile time")
        raise NoMatch("the input has no static shape")


PATTERNS = [TriluReason()]

"""ONNX `Swish` (opset 24): X · sigmoid(alpha · X), SiLU when alpha = 1 (its default)."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from xdsl.irdl import irdl_op_definition

from ncc.dialects.onnx.base import float_prop
from ncc.dialects.onnx.elementwise import UnaryOp
from ncc.dialects.onnx.versions import MAX_OPSET


@irdl_op_definition
class SwishOp(UnaryOp):
    name = "onnx.Swish"
    OPSETS: ClassVar[tuple[int, int]] = (24, MAX_OPSET)
    alpha = float_prop(1.0)

    def evaluate(self, x):
        xf = x.astype(np.float32)
        return [(xf / (1 + np.exp(-np.float32(self.attr("alpha")) * xf))).astype(x.dtype)]


OPS = [SwishOp]

__all__ = ["OPS", "SwishOp"]

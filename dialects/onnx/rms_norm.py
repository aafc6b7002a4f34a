"""ONNX `RMSNormalization` (opset 23): X / sqrt(mean(X², axes [axis, rank)) + epsilon) · scale,
as LLMs (Llama, Qwen, ...) write their norms; ncnn's RMSNorm layer computes it."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from xdsl.irdl import irdl_op_definition, operand_def, result_def

from ncc.dialects.onnx.base import OnnxOp, float_prop, int_prop
from ncc.dialects.onnx.nn import LayerNormalizationOp
from ncc.dialects.onnx.versions import MAX_OPSET


@irdl_op_definition
class RMSNormalizationOp(OnnxOp):
    name = "onnx.RMSNormalization"
    OPSETS: ClassVar[tuple[int, int]] = (23, MAX_OPSET)
    X = operand_def()
    scale = operand_def()
    Y = result_def()
    axis = int_prop(-1)
    epsilon = float_prop(1e-05)
    stash_type = int_prop(1)

    norm_axis = LayerNormalizationOp.norm_axis  # the same axis rule: [axis, rank)

    def infer_types(self):
        return None if self.in_shape(0) is None else [self.X.type]

    def evaluate(self, x, scale):
        axes = tuple(range(self.norm_axis(), x.ndim))
        xf = x.astype(np.float32)
        rms = np.sqrt((xf * xf).mean(axis=axes, keepdims=True) + np.float32(self.attr("epsilon")))
        return [((xf / rms) * scale).astype(x.dtype)]


OPS = [RMSNormalizationOp]

__all__ = ["OPS", "RMSNormalizationOp"]

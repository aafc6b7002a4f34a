"""ONNX `Attention` (opset 23): softmax(scale * Q K^T + mask) V.

Exporters up to opset 22 write attention as MatMul → Softmax → MatMul; `onnx-fuse-attention`
rewrites that pattern into this op, so models written either way take one lowering (ncnn
`SDPA`). Only the 4-D form (batch, heads, seq, head_size) is modelled here: the 3-D form
(heads folded into the hidden axis with `q_num_heads`) is refused by the lowering.
"""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np
from xdsl.dialects.builtin import FloatAttr, IntegerAttr
from xdsl.irdl import irdl_op_definition, operand_def, opt_prop_def, result_def, var_result_def

from ncc.dialects.onnx.base import OnnxOp, float_prop, int_prop, typed
from ncc.dialects.onnx.versions import MAX_OPSET


@irdl_op_definition
class AttentionOp(OnnxOp):
    name = "onnx.Attention"
    OPSETS: ClassVar[tuple[int, int]] = (23, MAX_OPSET)
    Q = operand_def()
    K = operand_def()
    V = operand_def()
    attn_mask = operand_def()
    past_key = operand_def()
    past_value = operand_def()
    Y = result_def()
    extra = var_result_def()
    is_causal = int_prop(0)
    kv_num_heads = opt_prop_def(IntegerAttr)
    q_num_heads = opt_prop_def(IntegerAttr)
    qk_matmul_output_mode = opt_prop_def(IntegerAttr)
    scale = opt_prop_def(FloatAttr)
    softcap = float_prop(0.0)
    softmax_precision = opt_prop_def(IntegerAttr)

    def scale_value(self) -> float:
        """The factor applied to Q K^T: the attribute, else 1/sqrt(head_size)."""
        s = self.attr("scale")
        if s is not None:
            return float(s)
        q = self.in_shape(0)
        if q is None or len(q) != 4:
            raise self.error("the default scale needs a 4-D Q")
        return 1.0 / math.sqrt(q[-1])

    def infer_types(self):
        q, v = self.in_shape(0), self.in_shape(2)
        if q is None or v is None:
            return None
        if len(q) != 4 or len(v) != 4:
            return None  # the 3-D form: no shape rule here (refused when lowered)
        return [typed((*q[:3], v[-1]), self.Q.type), *[r.type for r in self.extra]]

    def evaluate(self, q, k, v, mask, past_k, past_v):
        if q.ndim != 4 or past_k is not None or self.attr("is_causal") or self.attr("softcap"):
            return None
        rep = q.shape[1] // k.shape[1]
        k, v = np.repeat(k, rep, axis=1), np.repeat(v, rep, axis=1)
        s = (q @ np.swapaxes(k, -1, -2)) * np.float32(self.scale_value())
        if mask is not None:
            s = np.where(mask, s, -np.inf) if mask.dtype == bool else s + mask
        e = np.exp(s - s.max(axis=-1, keepdims=True))
        y = (e / e.sum(axis=-1, keepdims=True)) @ v
        return [y.astype(q.dtype)] + [None] * len(self.extra)


OPS = [AttentionOp]

__all__ = ["OPS", "AttentionOp"]

"""onnx → ncnn for `onnx.Attention` (written by exporters at opset 23, or fused from
MatMul → Softmax → MatMul by `onnx-fuse-attention`): ncnn `SDPA`, which has a Vulkan kernel.

Q (1, heads, Lq, d), K / V (1, groups, Lk, ·) are exactly SDPA's (heads, Lq, d) /
(groups, Lk, ·) Mats; an additive float mask goes in as a (Lq, Lk) or (heads, Lq, Lk) Mat.
The scale is always written (SDPA reads 0 as 1/sqrt(d)).
"""

from __future__ import annotations

import numpy as np

from ncc.dialects.common import numpy_dtype
from ncc.dialects.ncnn import sequence as S
from ncc.dialects.onnx.attention import AttentionOp
from ncc.lowering.dispatch import NoMatch
from ncc.lowering.onnx_to_ncnn.common import DEFAULT_REQUIRES, LayerBuilder, OnnxToNcnnPattern, float_input
from ncc.lowering.onnx_to_ncnn.nn import as_mat, input_shape, used


class AttentionToSDPA(OnnxToNcnnPattern):
    OP = AttentionOp
    REQUIRES = (*DEFAULT_REQUIRES, float_input)

    def convert(self, op: AttentionOp, b: LayerBuilder):
        q, k, v = (input_shape(op, b, i) for i in range(3))
        if not len(q) == len(k) == len(v) == 4:
            raise NoMatch("only the 4-D (batch, heads, seq, head_size) form is supported")
        if q[0] != 1 or k[0] != 1 or v[0] != 1:
            raise NoMatch(f"batch {q[0]}: ncnn SDPA runs one sample")
        if op.has_input(4) or op.has_input(5) or any(used(r) for r in op.extra):
            raise NoMatch("KV-cache inputs/outputs are not supported")
        if op.attr("is_causal"):
            raise NoMatch("is_causal is not supported (give the mask as an input)")
        if op.attr("softcap"):
            raise NoMatch("softcap is not supported by ncnn SDPA")
        heads, len_q, _ = q[1:]
        groups, len_k = k[1], k[2]
        if heads % groups:
            raise NoMatch(f"{heads} query heads are not a multiple of {groups} key/value heads")
        inputs = [op.Q, op.K, op.V]
        params = {"scale": op.scale_value()}
        if op.has_input(3):
            m = op.in_shape(3)
            if m is None or numpy_dtype(op.attn_mask.type.element_type).kind != "f":
                raise NoMatch("only an additive float attn_mask is supported")
            full = np.broadcast_shapes(m, (1, heads, len_q, len_k))
            if full != (1, heads, len_q, len_k):
                raise NoMatch(f"attn_mask of shape {list(m)} does not broadcast to the scores")
            per_head = len(m) >= 3 and m[-3] == heads and heads > 1
            if not per_head and (len(m) < 2 or tuple(m[-2:]) != (len_q, len_k)):
                raise NoMatch(f"attn_mask of shape {list(m)} is not (Lq, Lk) or (heads, Lq, Lk)")
            inputs.append(as_mat(b, op.attn_mask, (heads, len_q, len_k) if per_head else (len_q, len_k)))
            params["attn_mask"] = 1
        y = b.layer(S.SDPAOp, inputs, op.Y.type, params)
        return [y] + [None] * len(op.extra)


PATTERNS = [AttentionToSDPA()]

"""`onnx-fold-batchnorm`: fold an inference BatchNormalization into the Conv before it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    PatternRewriter,
    RewritePattern,
)

from ncc.dialects.onnx.base import ConstantOp, OnnxOp, const_value
from ncc.lowering.rewriting import apply_patterns, fuse_locations


class FoldBatchNormIntoConv(RewritePattern):
    """Conv(x, W, B) → BN(scale, bias, mean, var) becomes Conv(x, W·s, (B−mean)·s + bias)
    with s = scale / sqrt(var + eps), per output channel. Needs constant weights and a conv
    result used only by the BatchNorm."""

    def match_and_rewrite(self, bn, rewriter: PatternRewriter, /) -> None:
        if not (isinstance(bn, OnnxOp) and bn.name == "onnx.BatchNormalization"):
            return
        conv = bn.operands[0].owner
        if not (isinstance(conv, OnnxOp) and conv.name in ("onnx.Conv", "onnx.ConvTranspose")):
            return
        if len(bn.results) != 1 or len(list(conv.results[0].uses)) != 1:
            return
        w = const_value(conv.operands[1])
        params = [const_value(v) for v in bn.operands[1:5]]
        if w is None or any(p is None for p in params):
            return
        scale, bias, mean, var = (p.astype(np.float64) for p in params)
        eps = float(bn.attr("epsilon"))
        s = scale / np.sqrt(var + eps)
        b = const_value(conv.operands[2]) if len(conv.operands) > 2 else None
        b = np.zeros(s.shape) if b is None else b.astype(np.float64)
        if conv.name == "onnx.Conv":
            new_w = w * s.reshape(-1, *([1] * (w.ndim - 1)))
        else:  # ConvTranspose weight is (in, out/group, k...): scale per output channel
            group = int(conv.attr("group"))
            out_per_group = w.shape[1]
            sg = s.reshape(group, 1, out_per_group, *([1] * (w.ndim - 2)))
            new_w = (w.reshape(group, -1, *w.shape[1:]) * sg).reshape(w.shape)
        new_b = (b - mean) * s + bias
        w_op = ConstantOp.from_array(new_w.astype(np.float32), "bnfold.w")
        b_op = ConstantOp.from_array(new_b.astype(np.float32), "bnfold.b")
        rewriter.insert(w_op)
        rewriter.insert(b_op)
        operands = list(conv.operands)
        operands[1] = w_op.output
        if len(operands) > 2:
            operands[2] = b_op.output
        new_conv = conv.create(
            operands=operands,
            result_types=[bn.results[0].type],
            properties=dict(conv.properties),
            attributes=dict(conv.attributes),
        )
        new_conv.location = fuse_locations(conv.location, bn.location)  # one op for both nodes
        rewriter.insert(new_conv)
        rewriter.replace(bn, [], [new_conv.results[0]])
        rewriter.erase(conv)


@dataclass(frozen=True)
class OnnxFoldBatchNormPass(ModulePass):
    """Fold BatchNormalization into the preceding Conv/ConvTranspose (constant weights)."""

    name = "onnx-fold-batchnorm"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        apply_patterns(op, FoldBatchNormIntoConv())

"""`ncnn-innerproduct-to-gemm`: an InnerProduct on a 2-D Mat of several rows (a linear layer on
tokens: every MatMul with constant weights of a transformer) becomes ncnn's Gemm with the
weight as a constant, transposed B and the bias as a constant 1×N C, as pnnx writes it. Same
products and sums; ncnn's x86 Gemm packs the constant B once at load time and runs 1.5–1.9×
faster than InnerProduct's per-row path on ViT's shapes (one thread, best of 150: 17×192 ·
192×576 22 µs against 37; 197×384 · 384×1152 0.96 ms against 1.81), but ~5% slower on small
weights (64×64 · 64×64: 8.0 against 7.6 µs), which stay InnerProducts. An InnerProduct with a
fused activation stays (Gemm has none), as does one whose input is a vector (one row:
InnerProduct's own vector path).

Not in the default pipeline (name it in `--passes`): ncnn's Vulkan Gemm in fp16 mode is less
exact than InnerProduct (EfficientPhys's 3136-input Linear on 40 frames: 2.3-2.5e-2 of the
output range, over the 2e-2 bound, where InnerProduct stays within it), and Gemm's constantM
(`7=`) pins the row count, so a model with a symbolic frame or token count would no longer be
one model for every size."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import PatternRewriter, RewritePattern, op_type_rewrite_pattern

from ncc.dialects.ncnn.nn import GemmOp, InnerProductOp
from ncc.lowering.ncnn.fold_reshapes import mat_of_value
from ncc.lowering.rewriting import apply_patterns

_NO_C, _C_ROW = -1, 4  # Gemm constant_broadcast_type_C: none, one 1×N row for every output row
_MIN_WEIGHTS = 16384
"""Weights (N·K) from which Gemm was measured faster (192×192: 12 against 17 µs)."""


class InnerProductRowsToGemm(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: InnerProductOp, rewriter: PatternRewriter, /) -> None:
        if op.param("activation_type") or op.param("int8_scale_term") or len(op.inputs) != 1:
            return
        mat = mat_of_value(op.inputs[0])
        n = op.param("num_output")
        weight = op.weight("weight")
        if mat is None or len(mat) != 2 or weight is None or n <= 0:
            return
        m, k = mat
        if m < 2 or weight.size != n * k or n * k < _MIN_WEIGHTS:
            return
        bias = op.weight("bias") if op.param("bias_term") else None
        params = {
            "transB": 1, "constantB": 1, "constantC": 1, "constantM": m, "constantN": n, "constantK": k,
            "constant_broadcast_type_C": _NO_C if bias is None else _C_ROW,
        }  # fmt: skip
        weights = {"B": weight.reshape(n, k)}
        if bias is not None:
            weights["C"] = np.asarray(bias, np.float32).reshape(1, n)
        gemm = GemmOp.build([op.inputs[0]], [op.outputs[0].type], params, weights)
        gemm.location = op.location
        rewriter.replace(op, [gemm], [gemm.outputs[0]])


@dataclass(frozen=True)
class NcnnInnerProductToGemmPass(ModulePass):
    """InnerProduct on a 2-D Mat of several rows, without a fused activation → Gemm."""

    name = "ncnn-innerproduct-to-gemm"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        apply_patterns(op, InnerProductRowsToGemm())

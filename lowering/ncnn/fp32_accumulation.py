"""`ncnn-fp32-accumulation`: long dot products keep fp32 arithmetic under ncnn's fp16 mode.

ncnn's default Vulkan (and ARMv8.2) mode computes in fp16. A linear layer summing K products
in fp16 loses about K·2⁻¹¹ of its result in the worst case: EfficientPhys's 16384-input Linear
moved the model's output by 2.3e-2 of its range (1.5e-2 with this pass). The layer's feature
mask bit 1 (`31=1`, "no fp16 arithmetic") keeps fp16 storage but accumulates in fp32; fp32
runs are unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass

from ncc.dialects.common import static_shape
from ncc.dialects.ncnn.base import NcnnLayer
from ncc.lowering.onnx.graph import graph_ops

NO_FP16_ARITHMETIC = 1


def dot_length(layer: NcnnLayer) -> int | None:
    """How many products each output of a linear layer sums (None: not a linear layer)."""
    if layer.layer_type == "InnerProduct":
        n = layer.param("num_output")
        return layer.param("weight_data_size") // n if n else None
    if layer.layer_type in ("MatMul", "Gemm") and layer.inputs:
        a = static_shape(layer.inputs[0].type)
        if a:
            return a[-2] if layer.layer_type == "Gemm" and layer.param("transA") else a[-1]
    return None


@dataclass(frozen=True)
class NcnnFp32AccumulationPass(ModulePass):
    """Set featmask bit 1 (no fp16 arithmetic) on InnerProduct / Gemm / MatMul layers whose
    dot products are at least `min_terms` long."""

    name = "ncnn-fp32-accumulation"
    min_terms: int = 4096

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for layer in graph_ops(op):
            if not isinstance(layer, NcnnLayer):
                continue
            k = dot_length(layer)
            if k is not None and k >= self.min_terms:
                layer.set_param("featmask", layer.param("featmask") | NO_FP16_ARITHMETIC)

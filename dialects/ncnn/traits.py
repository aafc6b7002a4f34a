"""Traits of ncnn layers that passes query instead of keeping lists of layer types."""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.ir import Operation
from xdsl.traits import OpTrait


@dataclass(frozen=True)
class FusedActivation(OpTrait):
    """An activation layer that a Convolution / Deconvolution / InnerProduct can compute
    itself: ncnn's fused-activation `code` (src/fused_activation.h) and the layer params
    that become its `activation_params`, in order."""

    code: int
    params: tuple[str, ...] = ()

    def fused(self, layer: Operation) -> tuple[int, list[float]]:
        """(activation_type, activation_params) for this layer."""
        return self.code, [float(layer.param(p)) for p in self.params]


@dataclass(frozen=True)
class FusedReLU(FusedActivation):
    """ReLU fuses as code 1, a leaky ReLU (slope ≠ 0) as code 2 with its slope."""

    code: int = 1

    def fused(self, layer: Operation) -> tuple[int, list[float]]:
        slope = float(layer.param("slope"))
        return (1, []) if slope == 0.0 else (2, [slope])

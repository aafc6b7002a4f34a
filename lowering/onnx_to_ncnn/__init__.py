"""onnx → ncnn: type-dispatched patterns, grouped by category like MLIR's Conversion/.

The protocol (refusals with a reason, explicit priorities, one target, one error when no
pattern converts an op) is `ncc.lowering.dispatch`'s; the pattern base class and its shared
preconditions are in `common`. Other passes reuse or extend the patterns through
`populate_onnx_to_ncnn_patterns`, plug-ins through `register_patterns`."""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass

from ncc.lowering.dispatch import PatternTable, apply_conversion, register


_PLUGIN_PATTERNS: list = []


def register_patterns(patterns) -> None:
    """Add onnx → ncnn patterns defined outside ncc (a plug-in's `NCC_PATTERNS`). They are
    registered after ncc's own: at equal `PRIORITY` a plug-in's pattern is tried first."""
    _PLUGIN_PATTERNS.extend(patterns)


def populate_onnx_to_ncnn_patterns(table: PatternTable) -> PatternTable:
    """Register every default onnx → ncnn pattern into `table` (and return it)."""
    from ncc.lowering.onnx_to_ncnn import (
        attention, clip, elementwise, embedding, layout, logic, nn, recurrent, rms_norm, swish, tensor, trilu,
    )

    modules = (elementwise, logic, nn, tensor, layout, recurrent, attention, embedding, rms_norm, swish, clip, trilu)
    for module in modules:
        register(table, module.PATTERNS)
    register(table, _PLUGIN_PATTERNS)
    return table


@dataclass(frozen=True)
class ConvertOnnxToNcnnPass(ModulePass):
    """Convert every onnx op into ncnn layers (the target: `NCNN_TARGET`); stop at the first
    op that no pattern converts, with one error naming it and every pattern's reason. The
    constants the conversion made dead are erased, so `ncnn-legalize` only checks."""

    name = "convert-onnx-to-ncnn"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        from ncc.lowering.ncnn.legalize import NCNN_TARGET, describe_illegal

        table = populate_onnx_to_ncnn_patterns(PatternTable())
        apply_conversion(op, table, NCNN_TARGET, describe_illegal)

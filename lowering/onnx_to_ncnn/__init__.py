"""onnx → ncnn: type-dispatched patterns, grouped by category like MLIR's Conversion/.

Other passes reuse or override the patterns through `populate_onnx_to_ncnn_patterns`."""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass

from ncc.lowering.dispatch import PatternTable, TypeDispatchPattern, register
from ncc.lowering.rewriting import apply_patterns


_PLUGIN_PATTERNS: list = []


def register_patterns(patterns) -> None:
    """Add onnx → ncnn patterns defined outside ncc (a plug-in's `NCC_PATTERNS`)."""
    _PLUGIN_PATTERNS.extend(patterns)


def populate_onnx_to_ncnn_patterns(table: PatternTable) -> PatternTable:
    """Register every default onnx → ncnn pattern into `table` (and return it)."""
    from ncc.lowering.onnx_to_ncnn import attention, elementwise, embedding, layout, logic, nn, recurrent, tensor

    for module in (elementwise, logic, nn, tensor, layout, recurrent, attention, embedding):
        register(table, module.PATTERNS)
    register(table, _PLUGIN_PATTERNS)  # last: registered later, tried first
    return table


@dataclass(frozen=True)
class ConvertOnnxToNcnnPass(ModulePass):
    """Replace every onnx op that has an ncnn lowering by ncnn layers. Ops without one stay
    and are reported by `ncnn-legalize`."""

    name = "convert-onnx-to-ncnn"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        table = populate_onnx_to_ncnn_patterns({})
        apply_patterns(op, TypeDispatchPattern(table), apply_recursively=False)
        remove_dead_constants(op)


def remove_dead_constants(module: ModuleOp) -> None:
    """Erase the onnx constants (and NoValues) no op uses any more: the lowered ops took
    their data as MemoryData or params."""
    from ncc.dialects.onnx.base import ConstantOp, NoValueOp
    from ncc.lowering.onnx.graph import functions
    from ncc.lowering.rewriting import NccRewriter

    for f in functions(module):
        for o in reversed(list(f.body.block.ops)):
            if isinstance(o, ConstantOp | NoValueOp) and all(r.first_use is None for r in o.results):
                NccRewriter(o).erase(o)

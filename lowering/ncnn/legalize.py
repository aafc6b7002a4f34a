"""`ncnn-legalize`: the legality check before emission. Everything left in the graph must
be legal for `NCNN_TARGET` (the conversion target that `convert-onnx-to-ncnn` converts
to: ncnn layers and the function's return), every tensor must fit an ncnn Mat, and every layer's result Mats must be the
ones ncnn really produces from its inputs' Mats (`NcnnLayer.infer_mat`); anything else
stops the compile with an error naming the node, the op and why. A placement mismatch is a
bug in ncc (a lowering that misread where ncnn puts a tensor), reported as an internal
error instead of emitting a model that computes wrong numbers."""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import Float64Type, ModuleOp, TensorType
from xdsl.passes import ModulePass

from ncc.dialects.common import NccError, op_location, static_shape
from ncc.dialects.ncnn.base import NcnnLayer, mat_shape
from ncc.dialects.onnx.base import ConstantOp, NoValueOp
from ncc.lowering.dispatch import ConversionTarget
from ncc.lowering.onnx.graph import functions

NCNN_TARGET = ConversionTarget(
    legal_ops=(NcnnLayer, func.ReturnOp, func.FuncOp, ModuleOp),
    materialized=(ConstantOp, NoValueOp),
)
"""What is legal after the onnx → ncnn conversion (the driver and `ncnn-legalize` both ask
it): ncnn layers inside the functions. Constants are materialized by the patterns of their
users (as weights, params or MemoryData) and erased once unused."""


def describe_illegal(op) -> str:
    """Why `op`, which no pattern converts into the target, stops the compile."""
    shapes = [static_shape(v.type) for v in op.operands]
    unknown = [i for i, s in enumerate(shapes) if s is None and "none" not in str(op.operands[i].type)]
    if unknown:
        return (
            f"has no ncnn lowering: its input {unknown[0]} has no static shape "
            f"({op.operands[unknown[0]].type}); give every model input a static shape with --input-shape"
        )
    dims = ", ".join(str(list(s)) for s in shapes if s is not None)
    return f"has no ncnn lowering (inputs {dims})" if dims else "has no ncnn lowering"


def check_placement(layer: NcnnLayer) -> None:
    """Raise when the Mats of `layer`'s results (`mat_shape` of their logical types) differ from
    those ncnn computes from its inputs' Mats (`NcnnLayer.placement_mismatch`, which the
    layer's verifier also checks)."""
    mismatch = layer.placement_mismatch()
    if mismatch is not None:
        raise NccError(f"internal error: placement: {mismatch}", **op_location(layer))


_FLOAT64 = "ncnn computes in float32, which holds neither float64's range nor its precision"


def _is_float64(t) -> bool:
    return isinstance(t, TensorType) and isinstance(t.element_type, Float64Type)


@dataclass(frozen=True)
class NcnnLegalizePass(ModulePass):
    """Fail on the first op that is not an ncnn layer, a tensor with no ncnn Mat, or a layer
    whose results' Mats are not the ones ncnn computes from its inputs. Only checks: it
    changes nothing, dead ops included (the conversion removes the constants it made dead,
    `tests/unit/test_dispatch.py` checks that this pass leaves a module as it is)."""

    name = "ncnn-legalize"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for f in functions(op):
            illegal = NCNN_TARGET.illegal_ops(f.body.block.ops)
            # a constant left over only means its consumer was not lowered: blame the consumer
            culprits = [o for o in illegal if not isinstance(o, ConstantOp | NoValueOp)]
            if illegal and not culprits:
                uses = list(illegal[0].results[0].uses)
                if not uses:
                    raise NccError("internal error: the conversion left an unused constant", **op_location(illegal[0]))
                raise NccError(
                    "internal error: a lowering left a constant operand on an ncnn layer",
                    **op_location(uses[0].operation),
                )
            illegal = culprits
            if illegal:
                first = illegal[0]
                more = ""
                if len(illegal) > 1:
                    kinds = sorted({op_location(o)["op"] for o in illegal[1:]})
                    more = f" (and {len(illegal) - 1} more op(s) without lowering: {', '.join(kinds)})"
                raise NccError(describe_illegal(first) + more, **op_location(first))
            for arg in f.args:
                s = static_shape(arg.type)
                if s is None:
                    raise NccError(f"model input of type {arg.type} has no static shape")
                mat_shape(s)
                if _is_float64(arg.type):
                    raise NccError(f"model input {arg.index} is float64 ({arg.type}); {_FLOAT64}")
            for layer in f.body.block.ops:
                for v in list(layer.operands) + list(layer.results):
                    if _is_float64(v.type):
                        raise NccError(f"computes in float64 ({v.type}); {_FLOAT64}", **op_location(layer))
                    s = static_shape(v.type)
                    if s is None:
                        raise NccError(f"tensor of type {v.type} has no static shape", **op_location(layer))
                    try:
                        mat_shape(s)
                    except NccError as e:
                        raise NccError(e.message, **op_location(layer)) from None
            for layer in f.body.block.ops:
                if isinstance(layer, NcnnLayer):
                    check_placement(layer)

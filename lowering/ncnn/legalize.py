"""`ncnn-legalize`: the legality check before emission. Everything left in the graph must
be an ncnn layer whose tensors fit an ncnn Mat; anything else stops the compile with an
error naming the node, the op and why."""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass
from xdsl.transforms.dead_code_elimination import dce

from ncc.dialects.common import NccError, op_location, static_shape
from ncc.dialects.ncnn.base import NcnnLayer, mat_shape
from ncc.dialects.onnx.base import ConstantOp, NoValueOp
from ncc.lowering.onnx.graph import functions


def _describe_illegal(op) -> str:
    shapes = [static_shape(v.type) for v in op.operands]
    unknown = [i for i, s in enumerate(shapes) if s is None and "none" not in str(op.operands[i].type)]
    if unknown:
        return (
            f"has no ncnn lowering: its input {unknown[0]} has no static shape "
            f"({op.operands[unknown[0]].type}); give every model input a static shape with --input-shape"
        )
    dims = ", ".join(str(list(s)) for s in shapes if s is not None)
    return f"has no ncnn lowering (inputs {dims})" if dims else "has no ncnn lowering"


@dataclass(frozen=True)
class NcnnLegalizePass(ModulePass):
    """Fail on the first op that is not an ncnn layer, or a tensor with no ncnn Mat."""

    name = "ncnn-legalize"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        dce(op)
        for f in functions(op):
            illegal = [o for o in f.body.block.ops if not isinstance(o, NcnnLayer | func.ReturnOp)]
            # a constant left over only means its consumer was not lowered: blame the consumer
            culprits = [o for o in illegal if not isinstance(o, ConstantOp | NoValueOp)]
            if illegal and not culprits:
                user = next(iter(illegal[0].results[0].uses)).operation
                raise NccError(
                    "internal: a lowering left a constant operand on an ncnn layer", **op_location(user)
                )
            illegal = culprits
            if illegal:
                first = illegal[0]
                more = ""
                if len(illegal) > 1:
                    kinds = sorted({op_location(o)["op"] for o in illegal[1:]})
                    more = f" (and {len(illegal) - 1} more op(s) without lowering: {', '.join(kinds)})"
                raise NccError(_describe_illegal(first) + more, **op_location(first))
            for arg in f.args:
                s = static_shape(arg.type)
                if s is None:
                    raise NccError(f"model input of type {arg.type} has no static shape")
                mat_shape(s)
            for layer in f.body.block.ops:
                for v in list(layer.operands) + list(layer.results):
                    s = static_shape(v.type)
                    if s is None:
                        raise NccError(f"tensor of type {v.type} has no static shape", **op_location(layer))
                    try:
                        mat_shape(s)
                    except NccError as e:
                        raise NccError(e.message, **op_location(layer)) from None

"""`ncnn-materialize-outputs`: every model output must be the top blob of a layer of its own.

An output that is a model input (an Identity graph, a Dropout at inference) gets a `Noop`
layer, which ncnn runs in place and keeps as a separate blob; an output that folded to a
constant (shape arithmetic, a graph of constants) becomes a `MemoryData` layer holding the
values (the constant, now unused, is erased). The same value returned twice is left to `ncnn-insert-split` (the return counts as
a use, so each occurrence gets its own Split output).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import BlockArgument, Operation
from xdsl.passes import ModulePass

from ncc.dialects.common import NccError, op_location, static_shape
from ncc.dialects.ncnn import layers as L
from ncc.dialects.ncnn import shape as S
from ncc.dialects.ncnn.base import mat_shape
from ncc.dialects.onnx.base import ConstantOp
from ncc.lowering.onnx.graph import functions
from ncc.lowering.onnx_to_ncnn.common import reshape_params
from ncc.lowering.rewriting import NccRewriter

FLOAT32_EXACT_INTEGERS = 2**24
"""Every integer of magnitude up to 2^24 is exact in float32; beyond, some are rounded."""


def constant_layer(op: ConstantOp) -> Operation:
    """A MemoryData holding a constant's values (in float32, which must be exact)."""
    array = np.asarray(op.array)
    if array.size == 0:
        # ncnn has no empty Mat: an empty blob is how a layer reports a failure
        raise NccError(
            f"a constant output with no elements (shape {list(array.shape)}) cannot be an ncnn blob",
            **op_location(op),
        )
    if array.dtype.kind in "iub" and array.size and np.abs(array.astype(np.float64)).max() > FLOAT32_EXACT_INTEGERS:
        raise NccError(
            f"a constant output of {array.dtype} values beyond ±2^24 is not exact in ncnn's float32",
            **op_location(op),
        )
    shape = static_shape(op.output.type)
    mat = mat_shape(shape)
    data = array.astype(np.float32).reshape(mat)
    return L.MemoryDataOp.build([], [op.output.type], reshape_params(mat), {"data": data})


@dataclass(frozen=True)
class NcnnMaterializeOutputsPass(ModulePass):
    """A Noop for an output that is a model input, a MemoryData for a constant output."""

    name = "ncnn-materialize-outputs"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for f in functions(op):
            ret = f.body.block.last_op
            if not isinstance(ret, func.ReturnOp):
                continue
            for i, v in enumerate(list(ret.operands)):
                if isinstance(v.owner, ConstantOp):
                    layer = constant_layer(v.owner)
                elif isinstance(v, BlockArgument) and len(list(v.uses)) == 1:
                    layer = S.NoopOp.build([v], [v.type])
                else:
                    continue
                rewriter = NccRewriter(ret)
                rewriter.insert(layer)
                rewriter.replace_value(v, layer.results[0], lambda u, i=i: u.operation is ret and u.index == i)
                if isinstance(v.owner, ConstantOp) and v.owner.output.first_use is None:
                    rewriter.erase(v.owner)  # this pass made it dead: no later pass cleans up

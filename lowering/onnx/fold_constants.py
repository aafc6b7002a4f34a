"""`onnx-fold-constants`: evaluate ops whose inputs are all constants (numpy semantics on
each op), and ops whose results follow from static types (Shape, Size)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp, TensorType
from xdsl.passes import ModulePass

from ncc.dialects.common import numpy_dtype
from ncc.dialects.onnx.base import ConstantOp, NodeOp, NoValueOp, OnnxOp
from ncc.lowering.onnx.graph import graph_ops, update_signatures
from ncc.lowering.rewriting import NccRewriter


def _fold(op: OnnxOp) -> list[np.ndarray] | None:
    folded = op.fold_from_types()
    if folded is not None:
        return list(folded)
    inputs = []
    for v in op.operands:
        owner = v.owner
        if isinstance(owner, NoValueOp):
            inputs.append(None)
        elif isinstance(owner, ConstantOp) and owner.array is not None:
            inputs.append(owner.array)
        else:
            return None
    if not inputs and not isinstance(op, OnnxOp):
        return None
    out = op.evaluate(*inputs)
    return None if out is None else list(out)


def fold_constants(module: ModuleOp) -> bool:
    changed = False
    for op in graph_ops(module):
        if not isinstance(op, OnnxOp) or isinstance(op, ConstantOp | NoValueOp | NodeOp):
            continue
        arrays = _fold(op)
        if arrays is None:
            continue
        if len(arrays) != len(op.results):
            raise op.error(f"internal: folder gave {len(arrays)} arrays for {len(op.results)} results")
        new_ops = []
        for res, arr in zip(op.results, arrays, strict=True):
            arr = np.asarray(arr)
            if isinstance(res.type, TensorType):
                arr = arr.astype(numpy_dtype(res.type.element_type), copy=False)
            new_ops.append(ConstantOp.from_array(arr, "fold"))
        NccRewriter(op).replace(op, new_ops, [c.output for c in new_ops])
        changed = True
    if changed:
        update_signatures(module)
    return changed


@dataclass(frozen=True)
class OnnxFoldConstantsPass(ModulePass):
    """Replace every op computable at compile time by an `onnx.Constant`: shape arithmetic
    (Shape → Gather → Concat → Reshape chains, ConstantOfShape, Range, …) folds away once
    input shapes are static."""

    name = "onnx-fold-constants"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        fold_constants(op)

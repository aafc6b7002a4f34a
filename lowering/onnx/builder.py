"""A small builder for onnx → onnx rewrites: creates typed `onnx.*` ops (with their constant
operands) at one insertion point, so that passes write `b.slice(x, ...)` instead of
assembling operand lists and result types by hand.

Every op gets the location (the ONNX node) of the op it replaces, so that a later error
still names the ONNX node the user wrote; ops are inserted through an `NccRewriter`, so the
provenance listener sees them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from xdsl.dialects.builtin import DenseArrayBase, FloatAttr, IntegerAttr, StringAttr, UnknownLoc, f32, i64
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.rewriter import InsertPoint

from ncc.dialects.common import node_loc, numpy_dtype, static_shape
from ncc.dialects.onnx import elementwise as E
from ncc.dialects.onnx import tensor as T
from ncc.dialects.onnx.base import ConstantOp, NoValueOp, typed
from ncc.lowering.rewriting import NccRewriter


class OnnxBuilder:
    """Builds onnx ops and inserts each one at `point` as it is created."""

    def __init__(self, point: InsertPoint, node: Attribute | None = None):
        """`node`: the location new ops get (normally `op.location` of the op replaced)."""
        self.point = point
        if isinstance(node, StringAttr):  # an ONNX node name, as code before locations passed
            node = node_loc(node.data)
        self.node = node if node is not None and not isinstance(node, UnknownLoc) else None
        self.rewriter = NccRewriter(point)
        self.created: list[Operation] = []
        self._reshapes: dict[tuple[SSAValue, tuple[int, ...]], SSAValue] = {}

    def add(self, op: Operation) -> Operation:
        """Insert `op` (tagged with the node being replaced) and return it."""
        if self.node is not None and isinstance(op.location, UnknownLoc):
            op.location = self.node
        self.rewriter.insert(op, self.point)
        self.created.append(op)
        return op

    # ------------------------------------------------------------------ values
    def const(self, array: np.ndarray, hint: str = "c") -> SSAValue:
        return self.add(ConstantOp.from_array(np.asarray(array), hint)).results[0]

    def ints(self, values: Sequence[int]) -> SSAValue:
        return self.const(np.asarray(list(values), np.int64), "ints")

    def novalue(self) -> SSAValue:
        return self.add(NoValueOp()).results[0]

    # ------------------------------------------------------------------ data movement
    def reshape(self, v: SSAValue, shape: Sequence[int]) -> SSAValue:
        shape = tuple(int(d) for d in shape)
        if static_shape(v.type) == shape:
            return v
        key = (v, shape)
        if key not in self._reshapes:
            op = T.ReshapeOp.build(operands=[v, self.ints(shape)], result_types=[typed(shape, v.type)])
            self._reshapes[key] = self.add(op).results[0]
        return self._reshapes[key]

    def slice(
        self, v: SSAValue, starts: Sequence[int], ends: Sequence[int], axes: Sequence[int]
    ) -> SSAValue:
        """A unit-step Slice (`[start, end)` on each of `axes`)."""
        if not axes:
            return v
        shape = list(static_shape(v.type))
        for a, s, e in zip(axes, starts, ends, strict=True):
            shape[a] = e - s
        op = T.SliceOp.build(
            operands=[v, self.ints(starts), self.ints(ends), self.ints(axes), self.novalue()],
            result_types=[typed(shape, v.type)],
        )
        return self.add(op).results[0]

    def transpose(self, v: SSAValue, perm: Sequence[int]) -> SSAValue:
        perm = [int(p) for p in perm]
        if perm == sorted(perm):
            return v
        shape = static_shape(v.type)
        op = T.TransposeOp.build(
            operands=[v],
            result_types=[typed([shape[p] for p in perm], v.type)],
            properties={"perm": DenseArrayBase.from_list(i64, perm)},
        )
        return self.add(op).results[0]

    def concat(self, values: Sequence[SSAValue], axis: int) -> SSAValue:
        if len(values) == 1:
            return values[0]
        shapes = [static_shape(v.type) for v in values]
        out = list(shapes[0])
        out[axis] = sum(s[axis] for s in shapes)
        op = T.ConcatOp.build(
            operands=[list(values)],
            result_types=[typed(out, values[0].type)],
            properties={"axis": IntegerAttr(axis, i64)},
        )
        return self.add(op).results[0]

    def pad(self, v: SSAValue, amounts: Sequence[tuple[int, int]], value: float | int) -> SSAValue:
        """A constant-mode Pad by (begin, end) per axis."""
        shape = static_shape(v.type)
        out = [d + b + e for d, (b, e) in zip(shape, amounts, strict=True)]
        dtype = numpy_dtype(v.type.element_type)
        pads = [b for b, _ in amounts] + [e for _, e in amounts]
        op = T.PadOp.build(
            operands=[v, self.ints(pads), self.const(np.asarray(value, dtype), "pad_value"), self.novalue()],
            result_types=[typed(out, v.type)],
            properties={"mode": StringAttr("constant")},
        )
        return self.add(op).results[0]

    def expand(self, v: SSAValue, shape: Sequence[int]) -> SSAValue:
        shape = tuple(int(d) for d in shape)
        if static_shape(v.type) == shape:
            return v
        op = T.ExpandOp.build(operands=[v, self.ints(shape)], result_types=[typed(shape, v.type)])
        return self.add(op).results[0]

    def tile(self, v: SSAValue, repeats: Sequence[int]) -> SSAValue:
        shape = static_shape(v.type)
        if all(r == 1 for r in repeats):
            return v
        out = [d * r for d, r in zip(shape, repeats, strict=True)]
        op = T.TileOp.build(operands=[v, self.ints(repeats)], result_types=[typed(out, v.type)])
        return self.add(op).results[0]

    # ------------------------------------------------------------------ arithmetic
    def binary(self, cls: type[E.BinaryOp], a: SSAValue, b: SSAValue) -> SSAValue:
        shape = np.broadcast_shapes(static_shape(a.type), static_shape(b.type))
        like = a.type if static_shape(a.type) is not None else b.type
        op = cls.build(operands=[a, b], result_types=[typed(shape, like)])
        return self.add(op).results[0]

    def unary(self, cls: type, x: SSAValue, properties: dict | None = None) -> SSAValue:
        op = cls.build(operands=[x], result_types=[x.type], properties=properties or {})
        return self.add(op).results[0]

    def leaky_relu(self, x: SSAValue, alpha: float) -> SSAValue:
        return self.unary(E.LeakyReluOp, x, {"alpha": FloatAttr(float(alpha), f32)})

    def clip(self, x: SSAValue, lo: float | None, hi: float | None) -> SSAValue:
        dtype = numpy_dtype(x.type.element_type)
        lo_v = self.novalue() if lo is None else self.const(np.asarray(lo, dtype), "min")
        hi_v = self.novalue() if hi is None else self.const(np.asarray(hi, dtype), "max")
        op = E.ClipOp.build(operands=[x, lo_v, hi_v], result_types=[x.type])
        return self.add(op).results[0]

"""The `layout` dialect: moves of a data-carrying batch into and out of ncnn's batch axis.

ncnn (2026+) gives a Mat a batch `n`; a layer that does not work across the batch runs once per
batch item. `layout.dim_to_batch` turns a tensor (N, *rest) into N frames of (1, *rest), carried
in `Mat.n`; `layout.batch_to_dim` turns them back into one (N, *rest) tensor. Between the two,
the IR holds per-frame ops on (1, *rest) tensors, which lower like any batch-1 op. Both lower to
ncnn `Reshape` with params 13 / 12 (output / input batch axis).
"""

from __future__ import annotations

from xdsl.dialects.builtin import IntegerAttr, i64
from xdsl.ir import Dialect, SSAValue
from xdsl.irdl import IRDLOperation, irdl_op_definition, operand_def, prop_def, result_def, traits_def
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException

from ncc.dialects.common import NccError, op_location, static_shape
from ncc.dialects.onnx.base import typed


class BatchMoveOp(IRDLOperation):
    input = operand_def()
    output = result_def()
    batch = prop_def(IntegerAttr)
    traits = traits_def(Pure())

    @property
    def n(self) -> int:
        return self.batch.value.data

    def infer_types(self):
        s = static_shape(self.input.type)
        return None if s is None else [typed(self.frame_shape(s), self.input.type)]

    def frame_shape(self, s: tuple[int, ...]) -> tuple[int, ...]:
        raise NotImplementedError

    def error(self, message: str) -> NccError:
        return NccError(message, **op_location(self))


@irdl_op_definition
class DimToBatchOp(BatchMoveOp):
    """(N, *rest) → N frames of (1, *rest) in ncnn's batch axis."""

    name = "layout.dim_to_batch"

    @staticmethod
    def make(v: SSAValue) -> DimToBatchOp:
        s = static_shape(v.type)
        return DimToBatchOp.create(
            operands=[v],
            result_types=[typed((1, *s[1:]), v.type)],
            properties={"batch": IntegerAttr(s[0], i64)},
        )

    def frame_shape(self, s):
        return (1, *s[1:])

    def verify_(self) -> None:
        s, o = static_shape(self.input.type), static_shape(self.output.type)
        if s is not None and o is not None and (s[0] != self.n or o != (1, *s[1:])):
            raise VerifyException(f"dim_to_batch: {s} → {o} with batch {self.n}")


@irdl_op_definition
class BatchToDimOp(BatchMoveOp):
    """N frames of (1, *rest) in ncnn's batch axis → one (N, *rest) tensor."""

    name = "layout.batch_to_dim"

    @staticmethod
    def make(v: SSAValue, n: int) -> BatchToDimOp:
        s = static_shape(v.type)
        return BatchToDimOp.create(
            operands=[v],
            result_types=[typed((n, *s[1:]), v.type)],
            properties={"batch": IntegerAttr(n, i64)},
        )

    def frame_shape(self, s):
        return (self.n, *s[1:])

    def verify_(self) -> None:
        s, o = static_shape(self.input.type), static_shape(self.output.type)
        if s is not None and o is not None and (s[0] != 1 or o != (self.n, *s[1:])):
            raise VerifyException(f"batch_to_dim: {s} → {o} with batch {self.n}")


LAYOUT = Dialect("layout", [DimToBatchOp, BatchToDimOp], [])

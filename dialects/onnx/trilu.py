"""ONNX `Trilu` (opset 14): the upper (or lower) triangle of the last two axes, from the
k-th diagonal on; the rest is 0. Causal masks of exported transformers are Trilus."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from xdsl.irdl import irdl_op_definition, operand_def, result_def

from ncc.dialects.onnx.base import OnnxOp, int_prop, same_as_input
from ncc.dialects.onnx.versions import MAX_OPSET


@irdl_op_definition
class TriluOp(OnnxOp):
    name = "onnx.Trilu"
    OPSETS: ClassVar[tuple[int, int]] = (14, MAX_OPSET)
    input = operand_def()
    k = operand_def()
    output = result_def()
    upper = int_prop(1)

    def diagonal(self) -> int | None:
        """k (0 when absent), None while it is computed at run time."""
        if not self.has_input(1):
            return 0
        k = self.in_const(1)
        return None if k is None else int(np.asarray(k).reshape(-1)[0])

    def keep_mask(self, rows: int, cols: int, k: int) -> np.ndarray:
        """True where the (rows, cols) triangle keeps its element."""
        tri = np.tri(rows, cols, k - 1, dtype=bool)  # j < i + k: below diagonal k
        return ~tri if self.attr("upper") else np.tri(rows, cols, k, dtype=bool)

    def infer_types(self):
        return same_as_input(self)

    def evaluate(self, x, k):
        if x.ndim < 2:
            raise self.error(f"Trilu needs a rank of at least 2, got {x.ndim}")
        k = 0 if k is None else int(np.asarray(k).reshape(-1)[0])
        keep = self.keep_mask(x.shape[-2], x.shape[-1], k)
        return [np.where(keep, x, np.zeros((), x.dtype)).astype(x.dtype)]


OPS = [TriluOp]

__all__ = ["OPS", "TriluOp"]

"""Trilu → Where, a canonicalisation pattern of `onnx-canonicalize`: once the input's shape and
k are known, Trilu(x) is Where(triangle, x, 0) with a constant (rows, cols) mask, which
`onnx-where-to-arithmetic` (or `onnx-indexing-to-slices`, for few rectangles) lowers exactly."""

from __future__ import annotations

import numpy as np
from xdsl.pattern_rewriter import PatternRewriter, RewritePattern, op_type_rewrite_pattern

from ncc.dialects.common import numpy_dtype, static_shape
from ncc.dialects.onnx.base import ConstantOp
from ncc.dialects.onnx.elementwise import WhereOp
from ncc.dialects.onnx.trilu import TriluOp


class TriluToWhere(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: TriluOp, rewriter: PatternRewriter) -> None:
        shape = static_shape(op.input.type)
        k = op.diagonal()
        if shape is None or len(shape) < 2 or k is None or op.in_const(0) is not None:
            return  # a constant input folds; a run-time k stays (reported by the legality check)
        mask = ConstantOp.from_array(op.keep_mask(shape[-2], shape[-1], k), "trilu_mask")
        zero = ConstantOp.from_array(np.zeros((), numpy_dtype(op.input.type.element_type)), "zero")
        where = WhereOp.build(operands=[mask.output, op.input, zero.output], result_types=[op.output.type])
        rewriter.replace(op, [mask, zero, where], [where.output])  # the new ops take the Trilu's location

"""CastLike → Cast, a canonicalisation pattern of `onnx-canonicalize`: once the target's
element type is inferred, CastLike(x, t) is Cast(x, to=type of t), which has the lowering."""

from __future__ import annotations

from xdsl.dialects.builtin import IntegerAttr, i64
from xdsl.pattern_rewriter import PatternRewriter, RewritePattern, op_type_rewrite_pattern

from ncc.dialects.common import numpy_dtype
from ncc.dialects.onnx.cast_like import CastLikeOp
from ncc.dialects.onnx.dtypes import ONNX_TO_NUMPY
from ncc.dialects.onnx.elementwise import CastOp

_NUMPY_TO_ONNX = {dtype: code for code, dtype in ONNX_TO_NUMPY.items()}


class CastLikeToCast(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: CastLikeOp, rewriter: PatternRewriter) -> None:
        if not op.target_known():
            return
        dtype = numpy_dtype(op.target_type.type.element_type)
        if dtype not in _NUMPY_TO_ONNX:
            raise op.error(f"CastLike to {dtype} is not supported")
        cast = CastOp.build(
            operands=[op.input],
            result_types=[op.output.type],
            properties={"to": IntegerAttr(_NUMPY_TO_ONNX[dtype], i64), "saturate": op.properties["saturate"]},
        )
        rewriter.replace(op, [cast], [cast.output])  # the Cast takes the CastLike's location

"""onnx → ncnn: RMSNormalization → RMSNorm.

ncnn normalises each w-row of a 1-3-D Mat, or each h*w plane of a 3-D Mat (the grouping of
its LayerNorm), so any other grouping of the normalised axes [axis, rank) is read as
(outer, size) rows first. A constant scale is the layer's gamma (broadcast to the normalised
shape); a scale computed at run time (or one with axes outside the normalised ones)
multiplies the result (a BinaryOp).
"""

from __future__ import annotations

import numpy as np

from ncc.dialects.ncnn import nn as N
from ncc.dialects.ncnn.base import mat_shape
from ncc.dialects.onnx.rms_norm import RMSNormalizationOp
from ncc.lowering.dispatch import NoMatch
from ncc.lowering.onnx_to_ncnn.common import DEFAULT_REQUIRES, LayerBuilder, OnnxToNcnnPattern, float_input
from ncc.lowering.onnx_to_ncnn.elementwise import binary
from ncc.lowering.onnx_to_ncnn.nn import as_mat, emit, input_shape


def _broadcasts_to(shape: tuple[int, ...], target: tuple[int, ...]) -> bool:
    try:
        return np.broadcast_shapes(shape, target) == tuple(target)
    except ValueError:
        return False


class RMSNormalizationToRMSNorm(OnnxToNcnnPattern):
    OP = RMSNormalizationOp
    REQUIRES = (*DEFAULT_REQUIRES, float_input)

    def convert(self, op: RMSNormalizationOp, b: LayerBuilder):
        x = input_shape(op, b)
        a = op.norm_axis()
        inner = tuple(x[a:])
        size = int(np.prod(inner))
        outer = int(np.prod(x[:a]))
        scale_shape = input_shape(op, b, 1)
        if not _broadcasts_to(scale_shape, x):
            raise NoMatch(f"scale {list(scale_shape)} does not broadcast to the input {list(x)}")
        # a constant scale of the normalised shape is the layer's gamma; any other is a product
        scale = op.in_const(1) if _broadcasts_to(scale_shape, inner) else None
        params = {"affine_size": size, "eps": op.attr("epsilon"), "affine": int(scale is not None)}
        weights = {}
        if scale is not None:
            gamma = np.broadcast_to(np.asarray(scale, np.float32), inner)
            weights["gamma"] = np.ascontiguousarray(gamma).reshape(-1)
        mat = mat_shape(x)
        # ncnn normalises each w-row (1-3-D Mats), or each h*w plane of a 3-D Mat
        if (len(inner) == 1 and len(mat) <= 3) or (len(inner) == 2 and len(mat) == 3):
            y = b.layer(N.RMSNormOp, [op.X], op.Y.type, params, weights)
        else:
            rows = (outer, size) if outer > 1 else (size,)
            y = emit(b, N.RMSNormOp, [as_mat(b, op.X, rows)], rows, x, op.Y.type, params, weights)
        if scale is None:  # a BinaryOp multiplies the normalised rows
            y = binary(b, 2, y, op.scale, x, op.Y.type)
        return y


PATTERNS = [RMSNormalizationToRMSNorm()]

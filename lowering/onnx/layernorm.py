"""LayerNorm as older exporters write it, fused back into `onnx.LayerNormalization` (ncnn
`LayerNorm`): patterns of `onnx-canonicalize`.

- `d = x - ReduceMean(x)`, `d / Sqrt(ReduceMean(d ^ 2) + eps)` over the same trailing axes
  (keepdims) → LayerNormalization(x, 1, 0, axis, eps) (torch's TorchScript export below
  opset 17 writes nn.LayerNorm so).
- The affine part that follows, `· γ` then `+ β` with constants that vary only along the
  normalised axes, folds into Scale and B (γ·(x̂·s + b) = x̂·(γs) + γb, one rounding apart).
"""

from __future__ import annotations

import numpy as np
from xdsl.dialects.builtin import FloatAttr, IntegerAttr, f32, i64
from xdsl.ir import SSAValue
from xdsl.pattern_rewriter import PatternRewriter, RewritePattern, op_type_rewrite_pattern

from ncc.dialects.common import static_shape
from ncc.dialects.onnx.base import ConstantOp, const_value
from ncc.dialects.onnx.elementwise import AddOp, DivOp, MulOp, PowOp, SqrtOp, SubOp
from ncc.dialects.onnx.nn import LayerNormalizationOp
from ncc.dialects.onnx.reduce import ReduceMeanOp
from ncc.lowering.rewriting import fuse_locations


def _trailing_mean_axes(op: object, rank: int) -> int | None:
    """The first axis of a keepdims ReduceMean over the trailing axes [a, rank), else None."""
    if not isinstance(op, ReduceMeanOp) or not op.attr("keepdims"):
        return None
    axes = op.reduce_axes()
    if not axes or list(axes) != list(range(axes[0], rank)):
        return None
    return axes[0]


def _scalar(v: SSAValue) -> float | None:
    a = const_value(v)
    return None if a is None or a.size != 1 else float(a.reshape(-1)[0])


def _layernorm(x: SSAValue, scale: np.ndarray, bias: np.ndarray, axis: int, eps: float, like: SSAValue):
    s, b = ConstantOp.from_array(scale.astype(np.float32)), ConstantOp.from_array(bias.astype(np.float32))
    ln = LayerNormalizationOp.build(
        operands=[x, s.output, b.output], result_types=[like.type, []],
        properties={"axis": IntegerAttr(axis, i64), "epsilon": FloatAttr(eps, f32)},
    )  # fmt: skip
    return [s, b, ln]


class FuseDecomposedLayerNorm(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, div: DivOp, rewriter: PatternRewriter, /) -> None:
        d, sqrt = div.A, div.B.owner
        sub = d.owner
        shape = static_shape(d.type)
        if not isinstance(sub, SubOp) or not isinstance(sqrt, SqrtOp) or shape is None:
            return
        rank = len(shape)
        x, mean = sub.A, sub.B.owner
        axis = _trailing_mean_axes(mean, rank)
        if axis is None or mean.operands[0] is not x or static_shape(x.type) != shape:
            return
        add = sqrt.operands[0].owner
        if not isinstance(add, AddOp):
            return
        var, eps = (add.A, _scalar(add.B)) if _scalar(add.B) is not None else (add.B, _scalar(add.A))
        var_op = var.owner
        if eps is None or _trailing_mean_axes(var_op, rank) != axis:
            return
        pow_ = var_op.operands[0].owner
        if not isinstance(pow_, PowOp) or pow_.A is not d or _scalar(pow_.B) != 2.0:
            return
        inner = shape[axis:]
        ops = _layernorm(x, np.ones(inner), np.zeros(inner), axis, eps, div.C)
        for op in ops:  # one LayerNorm for the mean … div chain
            op.location = fuse_locations(mean.location, div.location)
        rewriter.replace(div, ops, [ops[-1].Y])


class FoldLayerNormAffine(RewritePattern):
    """LayerNormalization(x, s, b) · γ → LayerNormalization(x, γs, γb); + β → (x, s, b + β)."""

    def match_and_rewrite(self, op, rewriter: PatternRewriter, /) -> None:
        if not isinstance(op, MulOp | AddOp):
            return
        for y, c in ((op.A, op.B), (op.B, op.A)):
            ln = y.owner
            value = const_value(c)
            if isinstance(ln, LayerNormalizationOp) and value is not None and len(list(y.uses)) == 1:
                break
        else:
            return
        shape = static_shape(y.type)
        scale, bias = ln.in_const(1), ln.in_const(2)
        if shape is None or scale is None or bias is None or len(ln.stats) or static_shape(op.C.type) != shape:
            return
        axis = ln.norm_axis()
        inner = tuple(shape[axis:])
        if value.dtype != np.float32 or any(d != 1 for d in value.shape[: max(0, value.ndim - len(inner))]):
            return  # varies along the outer axes: not an affine of this LayerNorm
        core = value.reshape(value.shape[value.ndim - min(value.ndim, len(inner)) :])
        try:
            g = np.broadcast_to(core, inner)
        except ValueError:
            return
        scale, bias = np.broadcast_to(scale, inner), np.broadcast_to(bias, inner)
        new = (scale * g, bias * g) if isinstance(op, MulOp) else (scale, bias + g)
        ops = _layernorm(ln.X, new[0], new[1], axis, ln.attr("epsilon"), op.C)
        for o in ops:
            o.location = fuse_locations(ln.location, op.location)
        rewriter.replace(op, ops, [ops[-1].Y])

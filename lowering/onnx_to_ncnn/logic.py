"""onnx → ncnn: comparisons, logical ops, boolean casts and Where on masks computed at run time.

ncnn has no compare or select layer. A boolean tensor lives in an ncnn Mat as 0.0 / 1.0, and
every form below is exact for all non-NaN float inputs, ±inf included:

- `x > k` (k a scalar constant) is ncnn `Threshold` (x > k ? 1 : 0); `x < k` is the same on
  −x against −k (negation is exact); `≥` / `≤` are `1 − (the strict complement)`; `x == k` is
  `1 − ([x > k] + [−x > −k])` (the two steps never both hold). No subtraction, so no rounding
  and no flush-to-zero can change a result.
- Two tensors: `a > b` ⇔ `a − b > 0`, which IEEE subtraction preserves (a ≠ b ⇒ a − b ≠ 0;
  ∞ − ∞ is NaN and NaN > 0 is false, as `∞ > ∞` is). The one inexact case is a difference
  below 2^-126 on a runtime that flushes denormals to zero (ncnn's default on x86), which
  needs both operands below 2^-103 in magnitude.
- Not m = 1 − m, And = a·b, Or = max(a, b), Xor = |a − b|; Cast to bool = [|x| > 0];
  Cast of a boolean to a number is the same Mat; Cast of a float to an integer is trunc.
- Where(m, a, b): when both branches are finite scalar constants, `m·a + (1 − m)·b` (one term
  is exactly 0). Otherwise a select that never multiplies by 0: with S = ((m − ½)·2^100)·2^100,
  which overflows to +∞ where m = 1 and −∞ where m = 0, `where(m, a, b) = max(min(a, S),
  min(b, −S))`. So `masked_fill(mask, -inf)` stays −inf and never becomes NaN (0·∞).

NaN inputs are outside the contract (ncnn's Threshold, min and max drop or keep NaN
differently from onnxruntime's compare and select).
"""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np
from xdsl.dialects import func
from xdsl.ir import Attribute, SSAValue

from ncc.dialects.common import numpy_dtype, static_shape, tensor_type
from ncc.dialects.ncnn import layers as L
from ncc.dialects.ncnn import shape as S
from ncc.dialects.onnx import elementwise as E
from ncc.dialects.onnx.base import const_value
from ncc.lowering.dispatch import NoMatch
from ncc.lowering.onnx_to_ncnn.common import LayerBuilder, OnnxToNcnnPattern
from ncc.lowering.onnx_to_ncnn.elementwise import binary

SELECT_SCALE = 2.0**100
"""(m − ½)·2^100·2^100 overflows to ±∞ in float32 and float16 alike."""

_MIRROR = {">": "<", ">=": "<=", "<": ">", "<=": ">=", "==": "=="}  # k OP x ⇔ x MIRROR[OP] k


def _kind(v: SSAValue) -> str:
    return numpy_dtype(v.type.element_type).kind


def _scalar(v: SSAValue) -> float | None:
    a = const_value(v)
    if a is None or a.size != 1:
        return None
    return float(a.reshape(-1)[0])


def _f32(v: SSAValue) -> Attribute:
    return tensor_type(static_shape(v.type), np.float32)


def _scalar_op(b: LayerBuilder, v: SSAValue, code: int, k: float, t: Attribute | None = None) -> SSAValue:
    return b.layer(L.BinaryOpOp, [v], t or _f32(v), {"op_type": code, "with_scalar": 1, "b": float(k)})


def _unary(b: LayerBuilder, v: SSAValue, code: int, t: Attribute | None = None) -> SSAValue:
    return b.layer(L.UnaryOpOp, [v], t or _f32(v), {"op_type": code})


def step(b: LayerBuilder, x: SSAValue, threshold: float, t: Attribute | None = None) -> SSAValue:
    """[x > threshold] as 0.0 / 1.0."""
    return b.layer(L.ThresholdOp, [x], t or _f32(x), {"threshold": float(threshold)})


def complement(b: LayerBuilder, m: SSAValue, t: Attribute | None = None) -> SSAValue:
    """1 − m (BinaryOp rsub with a scalar)."""
    return _scalar_op(b, m, 7, 1.0, t)


def _mask_type(op: E.BinaryOp | E.UnaryOp | E.CastOp, result: SSAValue) -> Attribute:
    """The type of the value that replaces a boolean result: when its only user casts it to a
    number, that number type (the Cast then lowers to nothing)."""
    uses = list(result.uses)
    if len(uses) == 1 and isinstance(uses[0].operation, E.CastOp):
        cast = uses[0].operation
        if _kind(cast.output) in "fiu":
            return cast.output.type
    return result.type


def relation(b: LayerBuilder, x: SSAValue, order: str, k: float, t: Attribute) -> SSAValue:
    """[x ORDER k] for data x and a finite or infinite scalar k, without arithmetic on x
    other than negation."""
    if order == ">":
        return step(b, x, k, t)
    if order == "<=":
        return complement(b, step(b, x, k), t)
    neg = _unary(b, x, 1)
    if order == "<":
        return step(b, neg, -k, t)
    if order == ">=":
        return complement(b, step(b, neg, -k), t)
    # ==: neither x > k nor x < k
    above, below = step(b, x, k), step(b, neg, -k)
    return complement(b, b.layer(L.BinaryOpOp, [above, below], _f32(x), {"op_type": 0}), t)


class CompareToSteps(OnnxToNcnnPattern):
    """Equal / Less / LessOrEqual / Greater / GreaterOrEqual (each states its relation as
    `ORDER`) → Threshold steps; see the module docstring for why each form is exact."""

    OP = (E.EqualOp, E.LessOp, E.LessOrEqualOp, E.GreaterOp, E.GreaterOrEqualOp)

    def convert(self, op: E.BinaryOp, b: LayerBuilder):
        if _kind(op.A) == "b" or _kind(op.B) == "b":
            if op.ORDER != "==":
                raise NoMatch("orders booleans; ncc compares numbers only")
        t = _mask_type(op, op.C)
        out = static_shape(op.C.type)
        order = op.ORDER
        ka, kb = _scalar(op.A), _scalar(op.B)
        if kb is not None and ka is None and static_shape(op.A.type) == out:
            return relation(b, op.A, order, kb, t)
        if ka is not None and kb is None and static_shape(op.B.type) == out:
            return relation(b, op.B, _MIRROR[order], ka, t)
        # two tensors: the sign of a − b decides
        d = binary(b, 1, op.A, op.B, out, None)
        return relation(b, d, order, 0.0, t)


class LogicToArithmetic(OnnxToNcnnPattern):
    """And = a·b, Or = max(a, b), Xor = |a − b| on 0/1 Mats (each op states `LOGIC`); Not = 1 − m."""

    OP = (E.AndOp, E.OrOp, E.XorOp, E.NotOp)
    CODES: ClassVar = {"and": 2, "or": 4, "xor": 1}

    def convert(self, op, b: LayerBuilder):
        if isinstance(op, E.NotOp):
            return complement(b, op.X, _mask_type(op, op.Y))
        t = _mask_type(op, op.C)
        out = static_shape(op.C.type)
        if op.LOGIC == "xor":
            return _unary(b, binary(b, 1, op.A, op.B, out, None), 0, t)
        return binary(b, self.CODES[op.LOGIC], op.A, op.B, out, t)


class CastOnMat(OnnxToNcnnPattern):
    """Casts between the types ncnn holds in the same float Mat: a boolean or an integer to a
    number is the same Mat; a number to bool is [|x| > 0]; a float to an integer is trunc
    (ONNX casts float → int toward zero). float → float16 would round: refused."""

    OP = E.CastOp

    def convert(self, op: E.CastOp, b: LayerBuilder):
        same = self._same_mat(op, b)
        return same if same is not None else self._value(op, b)

    @staticmethod
    def _same_mat(op: E.CastOp, b: LayerBuilder) -> list[SSAValue] | SSAValue | None:
        """None unless the cast keeps the Mat: then the input, or a Noop carrying the cast's
        type where the result is a model output (the manifest reads its type)."""
        src, dst = _kind(op.input), _kind(op.output)
        dst_dtype = numpy_dtype(op.output.type.element_type)
        keeps = (src == "b" and dst in "bfiu") or (src in "iu" and dst in "iu") or (
            src in "iu" and dst_dtype == np.float32
        ) or (src == "f" and dst_dtype == numpy_dtype(op.input.type.element_type))
        if not keeps:
            return None
        if op.input.type != op.output.type and any(isinstance(u.operation, func.ReturnOp) for u in op.output.uses):
            return b.layer(S.NoopOp, [op.input], op.output.type)
        return [op.input]

    @staticmethod
    def _value(op: E.CastOp, b: LayerBuilder):
        src, dst = _kind(op.input), _kind(op.output)
        dst_dtype = numpy_dtype(op.output.type.element_type)
        if dst == "b":
            return step(b, _unary(b, op.input, 0), 0.0, op.output.type)
        if src == "f" and dst in "iu":
            return _unary(b, op.input, 19, op.output.type)
        raise NoMatch(f"casts {op.input.type} to {dst_dtype}, which rounds; ncnn holds float32 only")


class IsInfToStep(OnnxToNcnnPattern):
    """IsInf: [x > FLT_MAX] (+inf), [−x > FLT_MAX] (−inf), [|x| > FLT_MAX] (both); no finite
    float exceeds FLT_MAX."""

    OP = E.IsInfOp

    def convert(self, op: E.IsInfOp, b: LayerBuilder):
        pos, neg = op.attr("detect_positive"), op.attr("detect_negative")
        t = _mask_type(op, op.Y)
        if pos and neg:
            return step(b, _unary(b, op.X, 0), L.FLT_MAX, t)
        if pos:
            return step(b, op.X, L.FLT_MAX, t)
        if neg:
            return step(b, _unary(b, op.X, 1), L.FLT_MAX, t)
        return b.memory_data(np.zeros(static_shape(op.Y.type), np.float32), static_shape(op.Y.type))


class WhereToSelect(OnnxToNcnnPattern):
    """Where(m, a, b) on a mask known only at run time (see the module docstring)."""

    OP = E.WhereOp

    def convert(self, op: E.WhereOp, b: LayerBuilder):
        out = static_shape(op.output.type)
        m = op.condition
        mshape = static_shape(m.type)
        ka, kb = _scalar(op.X), _scalar(op.Y)
        if (
            ka is not None and kb is not None and math.isfinite(ka) and math.isfinite(kb)
            and tuple(mshape) == tuple(out) and const_value(m) is None
        ):  # fmt: skip
            on = _scalar_op(b, m, 2, ka)
            off = _scalar_op(b, complement(b, m), 2, kb)
            return b.layer(L.BinaryOpOp, [on, off], op.output.type, {"op_type": 0})
        half = _scalar_op(b, b.blob(m), 1, 0.5, _f32(m))
        s = _scalar_op(b, _scalar_op(b, half, 2, SELECT_SCALE), 2, SELECT_SCALE)
        neg_s = _unary(b, s, 1)
        terms = [t for t in (self._min(b, op.X, ka, s), self._min(b, op.Y, kb, neg_s)) if t is not None]
        if not terms:  # both branches −inf
            return b.memory_data(np.full(out, -np.inf, np.float32), out)
        if len(terms) == 1:
            (y,) = terms
            return b.reshape(y, out) if static_shape(y.type) != tuple(out) else y
        return binary(b, 4, terms[0], terms[1], out, op.output.type)

    @staticmethod
    def _min(b: LayerBuilder, branch: SSAValue, k: float | None, s: SSAValue) -> SSAValue | None:
        """min(branch, s); None for a −inf branch (it never wins the max). An infinite k is
        never written as a param: min(+inf, s) is s itself."""
        if k is not None:
            if k == -math.inf:
                return None
            return s if k == math.inf else _scalar_op(b, s, 5, k)
        shape = np.broadcast_shapes(static_shape(branch.type), static_shape(s.type))
        return binary(b, 5, branch, s, tuple(shape), None)


PATTERNS = [CompareToSteps(), LogicToArithmetic(), CastOnMat(), IsInfToStep(), WhereToSelect()]

"""Elementwise ONNX ops: activations, arithmetic with numpy broadcasting, comparisons."""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np
from xdsl.dialects.builtin import FloatAttr, IntegerAttr, StringAttr, i1, i64
from xdsl.irdl import irdl_op_definition, operand_def, opt_prop_def, opt_result_def, result_def, traits_def, var_operand_def

from ncc.dialects.common import numpy_dtype, static_shape
from ncc.dialects.onnx.base import NoValueOp, OnnxOp, const_value, float_prop, int_prop, same_as_input, str_prop, typed
from ncc.dialects.onnx.traits import Broadcasting, DataMovement, Elementwise, FrameLocal, Indexing, axes_avoid
from ncc.dialects.onnx.versions import (
    CONSUMED_INPUTS,
    MAX_OPSET,
    AttrsToInputs,
    CastToByName,
    CoerceTo2D,
    DefaultAttr,
    DropAttrs,
    LegacyBroadcast,
    PerChannelSlope,
    Upgrade,
)
from ncc.dialects.onnx.mat_groups import around, broadcast_cuts, group_of


def pointwise_cuts(op: OnnxOp) -> tuple[int, set[int]] | None:
    """An elementwise op tells no axis apart: its grouping is cut only where an operand's
    broadcasting changes (`mat_groups.broadcast_cuts`)."""
    out = static_shape(op.results[0].type)
    if out is None:
        return None
    shapes = [s for s in (static_shape(v.type) for v in op.operands) if s is not None]
    return len(out), broadcast_cuts(shapes, out)


class UnaryOp(OnnxOp):
    """One input, one output of the same type."""
    traits = traits_def(Elementwise(), FrameLocal())

    X = operand_def()
    Y = result_def()

    def mat_cuts(self):
        return pointwise_cuts(self)

    def infer_types(self):
        return same_as_input(self)


def _np_erf(x: np.ndarray) -> np.ndarray:
    return np.vectorize(math.erf, otypes=[x.dtype])(x)


@irdl_op_definition
class ReluOp(UnaryOp):
    name = "onnx.Relu"
    OPSETS: ClassVar[tuple[int, int]] = (6, MAX_OPSET)
    UPGRADES: ClassVar[tuple[Upgrade, ...]] = CONSUMED_INPUTS

    def evaluate(self, x):
        return [np.maximum(x, 0).astype(x.dtype)]


@irdl_op_definition
class SigmoidOp(UnaryOp):
    name = "onnx.Sigmoid"
    OPSETS: ClassVar[tuple[int, int]] = (6, MAX_OPSET)
    UPGRADES: ClassVar[tuple[Upgrade, ...]] = CONSUMED_INPUTS

    def evaluate(self, x):
        return [(1 / (1 + np.exp(-x))).astype(x.dtype)]


@irdl_op_definition
class TanhOp(UnaryOp):
    name = "onnx.Tanh"
    OPSETS: ClassVar[tuple[int, int]] = (6, MAX_OPSET)
    UPGRADES: ClassVar[tuple[Upgrade, ...]] = CONSUMED_INPUTS

    def evaluate(self, x):
        return [np.tanh(x)]


@irdl_op_definition
class ErfOp(UnaryOp):
    name = "onnx.Erf"
    OPSETS: ClassVar[tuple[int, int]] = (9, MAX_OPSET)

    def evaluate(self, x):
        return [_np_erf(x)]


@irdl_op_definition
class ExpOp(UnaryOp):
    name = "onnx.Exp"
    OPSETS: ClassVar[tuple[int, int]] = (6, MAX_OPSET)
    UPGRADES: ClassVar[tuple[Upgrade, ...]] = CONSUMED_INPUTS

    def evaluate(self, x):
        return [np.exp(x)]


@irdl_op_definition
class LogOp(UnaryOp):
    name = "onnx.Log"
    OPSETS: ClassVar[tuple[int, int]] = (6, MAX_OPSET)
    UPGRADES: ClassVar[tuple[Upgrade, ...]] = CONSUMED_INPUTS

    def evaluate(self, x):
        return [np.log(x)]


@irdl_op_definition
class SqrtOp(UnaryOp):
    name = "onnx.Sqrt"
    OPSETS: ClassVar[tuple[int, int]] = (6, MAX_OPSET)
    UPGRADES: ClassVar[tuple[Upgrade, ...]] = CONSUMED_INPUTS

    def evaluate(self, x):
        return [np.sqrt(x)]


@irdl_op_definition
class NegOp(UnaryOp):
    name = "onnx.Neg"
    OPSETS: ClassVar[tuple[int, int]] = (6, MAX_OPSET)
    UPGRADES: ClassVar[tuple[Upgrade, ...]] = CONSUMED_INPUTS

    def evaluate(self, x):
        return [-x]


@irdl_op_definition
class AbsOp(UnaryOp):
    name = "onnx.Abs"
    OPSETS: ClassVar[tuple[int, int]] = (6, MAX_OPSET)
    UPGRADES: ClassVar[tuple[Upgrade, ...]] = CONSUMED_INPUTS

    def evaluate(self, x):
        return [np.abs(x)]


@irdl_op_definition
class ReciprocalOp(UnaryOp):
    name = "onnx.Reciprocal"
    OPSETS: ClassVar[tuple[int, int]] = (6, MAX_OPSET)
    UPGRADES: ClassVar[tuple[Upgrade, ...]] = CONSUMED_INPUTS

    def evaluate(self, x):
        return [(1 / x).astype(x.dtype)]


@irdl_op_definition
class FloorOp(UnaryOp):
    name = "onnx.Floor"
    OPSETS: ClassVar[tuple[int, int]] = (6, MAX_OPSET)
    UPGRADES: ClassVar[tuple[Upgrade, ...]] = CONSUMED_INPUTS

    def evaluate(self, x):
        return [np.floor(x)]


@irdl_op_definition
class CeilOp(UnaryOp):
    name = "onnx.Ceil"
    OPSETS: ClassVar[tuple[int, int]] = (6, MAX_OPSET)
    UPGRADES: ClassVar[tuple[Upgrade, ...]] = CONSUMED_INPUTS

    def evaluate(self, x):
        return [np.ceil(x)]


@irdl_op_definition
class NotOp(UnaryOp):
    name = "onnx.Not"
    OPSETS: ClassVar[tuple[int, int]] = (1, MAX_OPSET)

    def evaluate(self, x):
        return [np.logical_not(x)]


@irdl_op_definition
class IdentityOp(UnaryOp):
    name = "onnx.Identity"
    OPSETS: ClassVar[tuple[int, int]] = (1, MAX_OPSET)
    traits = traits_def(DataMovement(operands=(0,)))

    def evaluate(self, x):
        return [x]


class MathOp(UnaryOp):
    """A unary math function with a numpy ufunc of the same meaning."""

    UFUNC: ClassVar = None

    def evaluate(self, x):
        return [type(self).UFUNC(x).astype(x.dtype)]


@irdl_op_definition
class SinOp(MathOp):
    name = "onnx.Sin"
    OPSETS: ClassVar[tuple[int, int]] = (7, MAX_OPSET)
    UFUNC: ClassVar = np.sin


@irdl_op_definition
class CosOp(MathOp):
    name = "onnx.Cos"
    OPSETS: ClassVar[tuple[int, int]] = (7, MAX_OPSET)
    UFUNC: ClassVar = np.cos


@irdl_op_definition
class TanOp(MathOp):
    name = "onnx.Tan"
    OPSETS: ClassVar[tuple[int, int]] = (7, MAX_OPSET)
    UFUNC: ClassVar = np.tan


@irdl_op_definition
class AsinOp(MathOp):
    name = "onnx.Asin"
    OPSETS: ClassVar[tuple[int, int]] = (7, MAX_OPSET)
    UFUNC: ClassVar = np.arcsin


@irdl_op_definition
class AcosOp(MathOp):
    name = "onnx.Acos"
    OPSETS: ClassVar[tuple[int, int]] = (7, MAX_OPSET)
    UFUNC: ClassVar = np.arccos


@irdl_op_definition
class AtanOp(MathOp):
    name = "onnx.Atan"
    OPSETS: ClassVar[tuple[int, int]] = (7, MAX_OPSET)
    UFUNC: ClassVar = np.arctan


@irdl_op_definition
class SinhOp(MathOp):
    name = "onnx.Sinh"
    OPSETS: ClassVar[tuple[int, int]] = (9, MAX_OPSET)
    UFUNC: ClassVar = np.sinh


@irdl_op_definition
class CoshOp(MathOp):
    name = "onnx.Cosh"
    OPSETS: ClassVar[tuple[int, int]] = (9, MAX_OPSET)
    UFUNC: ClassVar = np.cosh


@irdl_op_definition
class AsinhOp(MathOp):
    name = "onnx.Asinh"
    OPSETS: ClassVar[tuple[int, int]] = (9, MAX_OPSET)
    UFUNC: ClassVar = np.arcsinh


@irdl_op_definition
class AcoshOp(MathOp):
    name = "onnx.Acosh"
    OPSETS: ClassVar[tuple[int, int]] = (9, MAX_OPSET)
    UFUNC: ClassVar = np.arccosh


@irdl_op_definition
class AtanhOp(MathOp):
    name = "onnx.Atanh"
    OPSETS: ClassVar[tuple[int, int]] = (9, MAX_OPSET)
    UFUNC: ClassVar = np.arctanh


@irdl_op_definition
class SignOp(MathOp):
    name = "onnx.Sign"
    OPSETS: ClassVar[tuple[int, int]] = (9, MAX_OPSET)
    UFUNC: ClassVar = np.sign


@irdl_op_definition
class IsInfOp(OnnxOp):
    name = "onnx.IsInf"
    OPSETS: ClassVar[tuple[int, int]] = (10, MAX_OPSET)
    X = operand_def()
    Y = result_def()
    detect_negative = int_prop(1)
    detect_positive = int_prop(1)

    def infer_types(self):
        s = self.in_shape(0)
        return None if s is None else [typed(s, i1)]

    def evaluate(self, x):
        pos, neg = self.attr("detect_positive"), self.attr("detect_negative")
        return [(np.isposinf(x) & bool(pos)) | (np.isneginf(x) & bool(neg))]


@irdl_op_definition
class SoftsignOp(UnaryOp):
    name = "onnx.Softsign"
    OPSETS: ClassVar[tuple[int, int]] = (1, MAX_OPSET)

    def evaluate(self, x):
        return [(x / (1 + np.abs(x))).astype(x.dtype)]


@irdl_op_definition
class MishOp(UnaryOp):
    name = "onnx.Mish"
    OPSETS: ClassVar[tuple[int, int]] = (18, MAX_OPSET)

    def evaluate(self, x):
        return [(x * np.tanh(np.log1p(np.exp(x)))).astype(x.dtype)]


@irdl_op_definition
class SeluOp(UnaryOp):
    name = "onnx.Selu"
    OPSETS: ClassVar[tuple[int, int]] = (6, MAX_OPSET)
    # Selu-1: consumed_inputs, and defaults written with fewer digits
    UPGRADES: ClassVar[tuple[Upgrade, ...]] = (
        *CONSUMED_INPUTS,
        DefaultAttr(before=6, name="alpha", value=1.6732),
        DefaultAttr(before=6, name="gamma", value=1.0507),
    )
    # ONNX's defaults, written to f32 precision (the spec's 1.67326319217681884765625, ...)
    alpha = float_prop(1.67326319217681884765625)
    gamma = float_prop(1.05070102214813232421875)

    def evaluate(self, x):
        a, g = self.attr("alpha"), self.attr("gamma")
        return [np.where(x > 0, g * x, g * (a * np.exp(x) - a)).astype(x.dtype)]


@irdl_op_definition
class CeluOp(UnaryOp):
    name = "onnx.Celu"
    OPSETS: ClassVar[tuple[int, int]] = (12, MAX_OPSET)
    alpha = float_prop(1.0)

    def evaluate(self, x):
        a = self.attr("alpha")
        return [(np.maximum(x, 0) + np.minimum(0, a * (np.exp(x / a) - 1))).astype(x.dtype)]


@irdl_op_definition
class ShrinkOp(UnaryOp):
    """y = x + bias where x < -lambd, x - bias where x > lambd, else 0 (Hardshrink: bias 0;
    Softshrink: bias = lambd)."""

    name = "onnx.Shrink"
    OPSETS: ClassVar[tuple[int, int]] = (9, MAX_OPSET)
    bias = float_prop(0.0)
    lambd = float_prop(0.5)

    def evaluate(self, x):
        b, lam = self.attr("bias"), self.attr("lambd")
        return [np.where(x < -lam, x + b, np.where(x > lam, x - b, 0)).astype(x.dtype)]


@irdl_op_definition
class ThresholdedReluOp(UnaryOp):
    name = "onnx.ThresholdedRelu"
    OPSETS: ClassVar[tuple[int, int]] = (10, MAX_OPSET)
    alpha = float_prop(1.0)

    def evaluate(self, x):
        return [np.where(x > self.attr("alpha"), x, 0).astype(x.dtype)]


@irdl_op_definition
class SoftplusOp(UnaryOp):
    name = "onnx.Softplus"
    OPSETS: ClassVar[tuple[int, int]] = (1, MAX_OPSET)

    def evaluate(self, x):
        return [np.log1p(np.exp(x)).astype(x.dtype)]


@irdl_op_definition
class HardSwishOp(UnaryOp):
    name = "onnx.HardSwish"
    OPSETS: ClassVar[tuple[int, int]] = (14, MAX_OPSET)

    def evaluate(self, x):
        return [(x * np.clip(x / 6 + 0.5, 0, 1)).astype(x.dtype)]


@irdl_op_definition
class HardSigmoidOp(UnaryOp):
    name = "onnx.HardSigmoid"
    OPSETS: ClassVar[tuple[int, int]] = (6, MAX_OPSET)
    UPGRADES: ClassVar[tuple[Upgrade, ...]] = CONSUMED_INPUTS
    alpha = float_prop(0.2)
    beta = float_prop(0.5)

    def evaluate(self, x):
        a, b = self.attr("alpha"), self.attr("beta")
        return [np.clip(a * x + b, 0, 1).astype(x.dtype)]


@irdl_op_definition
class LeakyReluOp(UnaryOp):
    name = "onnx.LeakyRelu"
    OPSETS: ClassVar[tuple[int, int]] = (6, MAX_OPSET)
    UPGRADES: ClassVar[tuple[Upgrade, ...]] = CONSUMED_INPUTS
    alpha = float_prop(0.01)

    def evaluate(self, x):
        a = self.attr("alpha")
        return [np.where(x >= 0, x, a * x).astype(x.dtype)]


@irdl_op_definition
class EluOp(UnaryOp):
    name = "onnx.Elu"
    OPSETS: ClassVar[tuple[int, int]] = (6, MAX_OPSET)
    UPGRADES: ClassVar[tuple[Upgrade, ...]] = CONSUMED_INPUTS
    alpha = float_prop(1.0)

    def evaluate(self, x):
        a = self.attr("alpha")
        return [np.where(x > 0, x, a * (np.exp(x) - 1)).astype(x.dtype)]


@irdl_op_definition
class GeluOp(UnaryOp):
    name = "onnx.Gelu"
    OPSETS: ClassVar[tuple[int, int]] = (20, MAX_OPSET)
    approximate = str_prop('none')

    def evaluate(self, x):
        if self.attr("approximate") == "tanh":
            y = 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))
        else:
            y = 0.5 * x * (1 + _np_erf(x / np.sqrt(2)))
        return [y.astype(x.dtype)]


@irdl_op_definition
class SoftmaxOp(OnnxOp):
    """Softmax along `axis`: not elementwise (it mixes the elements along its axis), so it
    is no UnaryOp; it is frame-local unless it works along axis 0."""

    name = "onnx.Softmax"
    OPSETS: ClassVar[tuple[int, int]] = (13, MAX_OPSET)
    UPGRADES: ClassVar[tuple[Upgrade, ...]] = (CoerceTo2D(before=13),)
    traits = traits_def(FrameLocal())
    X = operand_def()
    Y = result_def()
    axis = int_prop(-1)

    def mat_cuts(self):
        s = static_shape(self.X.type)
        return None if s is None else (len(s), around([self.attr("axis") % max(len(s), 1)]))

    def regroup(self, b, groups, data):
        axis = group_of(groups, self.attr("axis") % groups[-1][1])
        return [b.unary(SoftmaxOp, data[0], {"axis": IntegerAttr(axis, i64)})]

    def infer_types(self):
        return same_as_input(self)

    def satisfies(self, trait) -> bool:
        if isinstance(trait, FrameLocal):
            s = self.in_shape(0)
            return s is not None and axes_avoid([self.attr("axis")], len(s))
        return True

    def evaluate(self, x):
        a = self.attr("axis")
        e = np.exp(x - x.max(axis=a, keepdims=True))
        return [(e / e.sum(axis=a, keepdims=True)).astype(x.dtype)]


@irdl_op_definition
class LogSoftmaxOp(UnaryOp):
    """log(softmax(x)) along one axis (opset 13 semantics: `axis` alone, default -1)."""

    name = "onnx.LogSoftmax"
    OPSETS: ClassVar[tuple[int, int]] = (13, MAX_OPSET)
    UPGRADES: ClassVar[tuple[Upgrade, ...]] = (CoerceTo2D(before=13),)
    axis = int_prop(-1)

    def evaluate(self, x):
        a = self.attr("axis")
        d = x - x.max(axis=a, keepdims=True)
        return [(d - np.log(np.exp(d).sum(axis=a, keepdims=True))).astype(x.dtype)]


@irdl_op_definition
class CastOp(OnnxOp):
    name = "onnx.Cast"
    OPSETS: ClassVar[tuple[int, int]] = (6, MAX_OPSET)
    UPGRADES: ClassVar[tuple[Upgrade, ...]] = (CastToByName(before=6),)
    traits = traits_def(Elementwise(), FrameLocal())
    input = operand_def()
    output = result_def()
    to = opt_prop_def(IntegerAttr)
    saturate = int_prop(1)
    round_mode = opt_prop_def(StringAttr)
    """Cast-24: rounding to FLOAT8E8M0 only, a type ncc refuses by name (`target_dtype`)."""

    def mat_cuts(self):
        return pointwise_cuts(self)

    def target_dtype(self) -> np.dtype:
        from ncc.dialects.onnx.dtypes import onnx_to_numpy

        return onnx_to_numpy(self.attr("to"))

    def infer_types(self):
        s = self.in_shape(0)
        return None if s is None else [typed(s, self.target_dtype())]

    def evaluate(self, x):
        return [x.astype(self.target_dtype())]


@irdl_op_definition
class ClipOp(OnnxOp):
    """Clip(input, min, max); min and max are optional inputs (attributes before opset 11
    are normalised to inputs by the importer)."""

    name = "onnx.Clip"
    OPSETS: ClassVar[tuple[int, int]] = (11, MAX_OPSET)
    UPGRADES: ClassVar[tuple[Upgrade, ...]] = (*CONSUMED_INPUTS, AttrsToInputs(before=11, moves=(("min", 1, "float32"), ("max", 2, "float32"))))
    traits = traits_def(Elementwise(), FrameLocal(frames=(0,)))
    input = operand_def()
    min = operand_def()
    max = operand_def()
    output = result_def()

    def mat_cuts(self):
        return pointwise_cuts(self)

    def infer_types(self):
        return same_as_input(self)

    def bounds(self) -> tuple[float | None, float | None]:
        lo, hi = self.in_const(1), self.in_const(2)
        if (self.has_input(1) and lo is None) or (self.has_input(2) and hi is None):
            raise self.error("Clip bounds must be constants")
        def scalar(a):
            return None if a is None else float(np.asarray(a).reshape(-1)[0])

        return scalar(lo), scalar(hi)

    def evaluate(self, x, lo, hi):
        return [np.clip(x, lo, hi).astype(x.dtype)]


@irdl_op_definition
class DropoutOp(OnnxOp):
    """Dropout at inference is the identity (the optional mask output is all true)."""

    name = "onnx.Dropout"
    OPSETS: ClassVar[tuple[int, int]] = (12, MAX_OPSET)
    UPGRADES: ClassVar[tuple[Upgrade, ...]] = (
        DropAttrs(before=7, names=("consumed_inputs", "is_test")),
        AttrsToInputs(before=12, moves=(("ratio", 1, "float32"),)),
    )
    traits = traits_def(Elementwise(), FrameLocal(frames=(0,)))
    data = operand_def()
    ratio = operand_def()
    training_mode = operand_def()
    output = result_def()
    mask = opt_result_def()
    seed = opt_prop_def(IntegerAttr)

    def infer_types(self):
        s = self.in_shape(0)
        if s is None:
            return None
        return [self.data.type] + ([typed(s, i1)] if self.mask is not None else [])

    def is_inference(self) -> bool:
        """Whether it is the identity: training_mode absent or a constant false, or a constant
        ratio of 0. A training_mode known only at run time may drop at random."""
        if isinstance(self.training_mode.owner, NoValueOp):
            return True
        mode, ratio = const_value(self.training_mode), const_value(self.ratio)
        if mode is not None and not bool(np.asarray(mode).reshape(-1)[0]):
            return True
        return ratio is not None and float(np.asarray(ratio).reshape(-1)[0]) == 0.0

    def evaluate(self, x, ratio, training_mode):
        if training_mode is not None and bool(np.asarray(training_mode).reshape(-1)[0]):
            return None  # training mode drops at random
        return [x] + ([np.ones(x.shape, np.bool_)] if self.mask is not None else [])


# --------------------------------------------------------------------------- binary ops


def broadcast_shapes(*shapes: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(np.broadcast_shapes(*shapes))


class BinaryOp(OnnxOp):
    """A, B → C with numpy (multidirectional) broadcasting."""
    traits = traits_def(Elementwise(), Broadcasting(), FrameLocal())

    A = operand_def()
    B = operand_def()
    C = result_def()
    RESULT_BOOL: ClassVar[bool] = False
    OPSETS: ClassVar[tuple[int, int]] = (7, MAX_OPSET)
    UPGRADES: ClassVar[tuple[Upgrade, ...]] = (*CONSUMED_INPUTS, LegacyBroadcast(before=7))
    ORDER: ClassVar[str | None] = None
    """For the comparisons, the relation A ORDER B as a Python operator ('>', '>=', '<',
    '<=', '=='); None for the other binary ops."""
    LOGIC: ClassVar[str | None] = None
    """For the logical ops on booleans: 'and', 'or', 'xor'."""

    def mat_cuts(self):
        return pointwise_cuts(self)

    def infer_types(self):
        a, b = static_shape(self.A.type), static_shape(self.B.type)
        if a is None or b is None:
            return None
        try:
            shape = broadcast_shapes(a, b)
        except ValueError:
            raise self.error(f"shapes {a} and {b} do not broadcast") from None
        return [typed(shape, i1 if self.RESULT_BOOL else self.A.type)]


@irdl_op_definition
class AddOp(BinaryOp):
    name = "onnx.Add"

    def evaluate(self, a, b):
        return [(a + b).astype(a.dtype)]


@irdl_op_definition
class SubOp(BinaryOp):
    name = "onnx.Sub"

    def evaluate(self, a, b):
        return [(a - b).astype(a.dtype)]


@irdl_op_definition
class MulOp(BinaryOp):
    name = "onnx.Mul"

    def evaluate(self, a, b):
        return [(a * b).astype(a.dtype)]


@irdl_op_definition
class DivOp(BinaryOp):
    name = "onnx.Div"

    def evaluate(self, a, b):
        if a.dtype.kind in "iu":
            # ONNX integer division truncates toward zero (C's `/`), in integers: a float
            # quotient would round int64 values above 2**53
            a, b = np.broadcast_arrays(a, b.astype(a.dtype))
            q = np.floor_divide(a, b)
            inexact = (a - q * b != 0) & ((a < 0) != (b < 0))
            return [(q + inexact).astype(a.dtype)]
        return [(a / b).astype(a.dtype)]


@irdl_op_definition
class PowOp(BinaryOp):
    name = "onnx.Pow"

    def evaluate(self, a, b):
        return [np.power(a, b).astype(a.dtype)]


@irdl_op_definition
class ModOp(BinaryOp):
    name = "onnx.Mod"
    OPSETS: ClassVar[tuple[int, int]] = (10, MAX_OPSET)
    UPGRADES: ClassVar[tuple[Upgrade, ...]] = ()
    fmod = int_prop(0)

    def evaluate(self, a, b):
        return [(np.fmod(a, b) if self.attr("fmod") else np.mod(a, b)).astype(a.dtype)]


@irdl_op_definition
class PReluOp(BinaryOp):
    """PRelu(X, slope): slope broadcasts unidirectionally onto X."""

    name = "onnx.PRelu"
    OPSETS: ClassVar[tuple[int, int]] = (7, MAX_OPSET)
    UPGRADES: ClassVar[tuple[Upgrade, ...]] = (PerChannelSlope(before=7),)

    def satisfies(self, trait) -> bool:
        return not isinstance(trait, Broadcasting)  # the slope broadcasts onto X only

    def evaluate(self, x, slope):
        return [np.where(x >= 0, x, x * slope).astype(x.dtype)]

    def _channel_slope(self) -> np.ndarray | None:
        """The slope per channel (axis 1) when it varies along no other axis."""
        x, slope = static_shape(self.A.type), const_value(self.B)
        if x is None or slope is None or len(x) < 3 or slope.ndim > len(x):
            return None
        full = np.broadcast_to(slope, (1, *x[1:]) if slope.ndim < len(x) else slope.shape)
        if full.shape[0] != 1:
            return None
        per_channel = full.reshape(x[1], -1)[:, :1]
        return per_channel[:, 0] if np.array_equal(full.reshape(x[1], -1), np.broadcast_to(per_channel, full.reshape(x[1], -1).shape)) else None

    def mat_cuts(self):
        # ncnn's PReLU takes one slope per Mat channel: batch and channel merge into the
        # outer Mat axis (the slope repeated per item), the other axes into one
        x = static_shape(self.A.type)
        if self._channel_slope() is None:
            return pointwise_cuts(self)
        return len(x), {2}

    def wants_regroup(self):
        # a batch N > 1 sits on the Mat's outer axis, where ncnn's PReLU wants the channels
        x, slope = static_shape(self.A.type), self._channel_slope()
        return x is not None and x[0] > 1 and slope is not None and len(np.unique(slope)) > 1

    def mat_data(self):
        return (0,) if self._channel_slope() is not None else (0, 1)

    def regroup(self, b, groups, data):
        slope = self._channel_slope()
        if slope is None:
            return super().regroup(b, groups, data)
        x = static_shape(self.A.type)
        if groups[0] != (0, 2):
            raise self.error(f"internal: PRelu regrouped as {list(groups)}")
        tiled = np.tile(slope, x[0]).reshape(-1, *[1] * (len(groups) - 1))
        op = PReluOp.build(operands=[data[0], b.const(tiled.astype(slope.dtype), "slope")], result_types=[data[0].type])
        return b.add(op).results


@irdl_op_definition
class EqualOp(BinaryOp):
    name = "onnx.Equal"
    RESULT_BOOL: ClassVar[bool] = True
    ORDER: ClassVar[str | None] = "=="

    def evaluate(self, a, b):
        return [np.equal(a, b)]


@irdl_op_definition
class LessOp(BinaryOp):
    name = "onnx.Less"
    RESULT_BOOL: ClassVar[bool] = True
    ORDER: ClassVar[str | None] = "<"

    def evaluate(self, a, b):
        return [np.less(a, b)]


@irdl_op_definition
class LessOrEqualOp(BinaryOp):
    name = "onnx.LessOrEqual"
    OPSETS: ClassVar[tuple[int, int]] = (12, MAX_OPSET)
    UPGRADES: ClassVar[tuple[Upgrade, ...]] = ()
    RESULT_BOOL: ClassVar[bool] = True
    ORDER: ClassVar[str | None] = "<="

    def evaluate(self, a, b):
        return [np.less_equal(a, b)]


@irdl_op_definition
class GreaterOp(BinaryOp):
    name = "onnx.Greater"
    RESULT_BOOL: ClassVar[bool] = True
    ORDER: ClassVar[str | None] = ">"

    def evaluate(self, a, b):
        return [np.greater(a, b)]


@irdl_op_definition
class GreaterOrEqualOp(BinaryOp):
    name = "onnx.GreaterOrEqual"
    OPSETS: ClassVar[tuple[int, int]] = (12, MAX_OPSET)
    UPGRADES: ClassVar[tuple[Upgrade, ...]] = ()
    RESULT_BOOL: ClassVar[bool] = True
    ORDER: ClassVar[str | None] = ">="

    def evaluate(self, a, b):
        return [np.greater_equal(a, b)]


@irdl_op_definition
class AndOp(BinaryOp):
    name = "onnx.And"
    RESULT_BOOL: ClassVar[bool] = True
    LOGIC: ClassVar[str | None] = "and"

    def evaluate(self, a, b):
        return [np.logical_and(a, b)]


@irdl_op_definition
class OrOp(BinaryOp):
    name = "onnx.Or"
    RESULT_BOOL: ClassVar[bool] = True
    LOGIC: ClassVar[str | None] = "or"

    def evaluate(self, a, b):
        return [np.logical_or(a, b)]


@irdl_op_definition
class XorOp(BinaryOp):
    name = "onnx.Xor"
    RESULT_BOOL: ClassVar[bool] = True
    LOGIC: ClassVar[str | None] = "xor"

    def evaluate(self, a, b):
        return [np.logical_xor(a, b)]


class VariadicOp(OnnxOp):
    """data_0 … data_n → one broadcast result (Max, Min, Sum, Mean)."""
    traits = traits_def(Elementwise(), Broadcasting(), FrameLocal())

    inputs = var_operand_def()

    def mat_cuts(self):
        return pointwise_cuts(self)
    output = result_def()

    def infer_types(self):
        shapes = [static_shape(v.type) for v in self.inputs]
        if any(s is None for s in shapes):
            return None
        return [typed(broadcast_shapes(*shapes), self.inputs[0].type)]


@irdl_op_definition
class MaxOp(VariadicOp):
    name = "onnx.Max"
    OPSETS: ClassVar[tuple[int, int]] = (6, MAX_OPSET)
    UPGRADES: ClassVar[tuple[Upgrade, ...]] = CONSUMED_INPUTS

    def evaluate(self, *xs):
        return [np.maximum.reduce(np.broadcast_arrays(*xs)).astype(xs[0].dtype)]


@irdl_op_definition
class MinOp(VariadicOp):
    name = "onnx.Min"
    OPSETS: ClassVar[tuple[int, int]] = (6, MAX_OPSET)
    UPGRADES: ClassVar[tuple[Upgrade, ...]] = CONSUMED_INPUTS

    def evaluate(self, *xs):
        return [np.minimum.reduce(np.broadcast_arrays(*xs)).astype(xs[0].dtype)]


@irdl_op_definition
class SumOp(VariadicOp):
    name = "onnx.Sum"
    OPSETS: ClassVar[tuple[int, int]] = (6, MAX_OPSET)
    UPGRADES: ClassVar[tuple[Upgrade, ...]] = CONSUMED_INPUTS

    def evaluate(self, *xs):
        return [np.add.reduce(np.broadcast_arrays(*xs)).astype(xs[0].dtype)]


@irdl_op_definition
class WhereOp(OnnxOp):
    name = "onnx.Where"
    OPSETS: ClassVar[tuple[int, int]] = (9, MAX_OPSET)
    traits = traits_def(Elementwise(), Broadcasting(), FrameLocal(), DataMovement(operands=(1, 2)), Indexing(indices=None))
    condition = operand_def()
    X = operand_def()
    Y = operand_def()
    output = result_def()

    def mat_cuts(self):
        return pointwise_cuts(self)

    def infer_types(self):
        shapes = [static_shape(v.type) for v in self.operands]
        if any(s is None for s in shapes):
            return None
        return [typed(broadcast_shapes(*shapes), self.X.type)]

    def evaluate(self, c, x, y):
        return [np.where(c, x, y).astype(x.dtype)]


def _is_float(op: OnnxOp, i: int = 0) -> bool:
    return numpy_dtype(op.operands[i].type.element_type).kind == "f"


OPS = [
    ReluOp, SigmoidOp, TanhOp, ErfOp, ExpOp, LogOp, SqrtOp, NegOp, AbsOp, ReciprocalOp,
    FloorOp, CeilOp, NotOp, IdentityOp, SoftplusOp, HardSwishOp, HardSigmoidOp, LeakyReluOp,
    EluOp, GeluOp, SoftmaxOp, LogSoftmaxOp, CastOp, ClipOp, DropoutOp,
    SinOp, CosOp, TanOp, AsinOp, AcosOp, AtanOp, SinhOp, CoshOp, AsinhOp, AcoshOp, AtanhOp, SignOp,
    SoftsignOp, MishOp, SeluOp, CeluOp, ShrinkOp, ThresholdedReluOp, XorOp, IsInfOp,
    AddOp, SubOp, MulOp, DivOp, PowOp, ModOp, PReluOp, EqualOp, LessOp, LessOrEqualOp,
    GreaterOp, GreaterOrEqualOp, AndOp, OrOp, MaxOp, MinOp, SumOp, WhereOp,
]  # fmt: skip

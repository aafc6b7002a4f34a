"""onnx → ncnn: activations and elementwise arithmetic.

ncnn's BinaryOp aligns a lower-rank operand to the *outer* axes (the opposite of numpy), so
every tensor operand is first given the output's Mat rank; a constant of one element becomes
the scalar form (`with_scalar=1`)."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from xdsl.ir import SSAValue

from ncc.dialects.common import numpy_dtype, static_shape, tensor_type
from ncc.dialects.ncnn import layers as L
from ncc.dialects.ncnn import nn as N
from ncc.dialects.ncnn.base import mat_shape
from ncc.dialects.onnx import elementwise as E
from ncc.dialects.onnx.base import const_value, typed
from ncc.lowering.dispatch import NoMatch
from ncc.lowering.onnx_to_ncnn.common import (
    DEFAULT_REQUIRES,
    LayerBuilder,
    OnnxToNcnnPattern,
    logical_for_mat,
    reshape_params,
)


class ActivationToLayer(OnnxToNcnnPattern):
    """One ONNX activation → one parameterless (or fixed-param) ncnn layer."""

    LAYERS: ClassVar = {
        E.ReluOp: (L.ReLUOp, lambda op: {}),
        E.SigmoidOp: (L.SigmoidOp, lambda op: {}),
        E.TanhOp: (L.TanHOp, lambda op: {}),
        E.ErfOp: (L.ErfOp, lambda op: {}),
        E.SoftplusOp: (L.SoftplusOp, lambda op: {}),
        E.LeakyReluOp: (L.ReLUOp, lambda op: {"slope": op.attr("alpha")}),
        E.EluOp: (L.ELUOp, lambda op: {"alpha": op.attr("alpha")}),
        E.HardSigmoidOp: (
            L.HardSigmoidOp,
            lambda op: {"alpha": op.attr("alpha"), "beta": op.attr("beta")},
        ),
        E.HardSwishOp: (L.HardSwishOp, lambda op: {"alpha": 1.0 / 6.0, "beta": 0.5}),
        E.GeluOp: (L.GELUOp, lambda op: {"fast_gelu": int(op.attr("approximate") == "tanh")}),
        E.MishOp: (L.MishOp, lambda op: {}),
        E.CeluOp: (L.CELUOp, lambda op: {"alpha": op.attr("alpha")}),
        E.SeluOp: (
            L.SELUOp,
            lambda op: {
                "alpha": op.attr("alpha"),
                "lambda_": op.attr("gamma"),
            },
        ),
        E.ShrinkOp: (L.ShrinkOp, lambda op: {"bias": op.attr("bias"), "lambd": op.attr("lambd")}),
    }
    OP = tuple(LAYERS)

    def convert(self, op, b: LayerBuilder):
        cls, params = self.LAYERS[type(op)]
        return b.layer(cls, [op.operands[0]], op.results[0].type, params(op))


class UnaryToUnaryOp(OnnxToNcnnPattern):
    # Asin / Acos are left out: Vulkan's asin (lavapipe) is 3e-4 off in fp32
    CODES: ClassVar = {
        E.AbsOp: 0, E.NegOp: 1, E.FloorOp: 2, E.CeilOp: 3, E.SqrtOp: 5, E.ExpOp: 7,
        E.LogOp: 8, E.SinOp: 9, E.CosOp: 10, E.TanOp: 11, E.AtanOp: 14, E.ReciprocalOp: 15,
        E.SignOp: 20, E.SinhOp: 22, E.AsinhOp: 23, E.CoshOp: 24, E.AcoshOp: 25, E.AtanhOp: 26,
    }  # fmt: skip
    OP = tuple(CODES)

    def convert(self, op, b: LayerBuilder):
        return b.layer(L.UnaryOpOp, [op.X], op.Y.type, {"op_type": self.CODES[type(op)]})


class ClipToClip(OnnxToNcnnPattern):
    """Clip(min=0) alone is ReLU (which conv layers can fuse); otherwise ncnn Clip."""

    OP = E.ClipOp

    def convert(self, op: E.ClipOp, b: LayerBuilder):
        lo, hi = op.bounds()
        if lo == 0.0 and hi is None:
            return b.layer(L.ReLUOp, [op.input], op.output.type)
        params = {}
        if lo is not None:
            params["min"] = lo
        if hi is not None:
            params["max"] = hi
        return b.layer(L.ClipOp, [op.input], op.output.type, params)


class SoftmaxToSoftmax(OnnxToNcnnPattern):
    OP = E.SoftmaxOp

    def convert(self, op: E.SoftmaxOp, b: LayerBuilder):
        axis = b.axis(op.attr("axis"))
        return b.layer(L.SoftmaxOp, [op.X], op.Y.type, {"axis": axis, "fixbug0": 1})


class LogSoftmaxToLayers(OnnxToNcnnPattern):
    """log_softmax(x) = d - log(Σ exp(d)) with d = x - max(x), along the axis: the formula
    onnxruntime evaluates, so large and very negative inputs stay finite."""

    OP = E.LogSoftmaxOp

    def convert(self, op: E.LogSoftmaxOp, b: LayerBuilder):
        x = static_shape(op.X.type)
        axis = b.axis(op.attr("axis"))
        kept = list(mat_shape(x))
        kept[axis] = 1
        logical = list(x)
        logical[op.attr("axis")] = 1
        if tuple(mat_shape(logical)) != tuple(kept):
            logical = logical_for_mat(kept)  # a reduced leading axis keeps its 1 in the Mat
        reduce_type = tensor_type(logical, np.float32)
        params = {"reduce_all": 0, "axes": [axis], "keepdims": 1, "fixbug0": 1}
        mx = b.layer(N.ReductionOp, [op.X], reduce_type, {"operation": 4, **params})
        d = b.layer(L.BinaryOpOp, [op.X, mx], op.Y.type, {"op_type": 1})
        e = b.layer(L.UnaryOpOp, [d], op.Y.type, {"op_type": 7})
        total = b.layer(N.ReductionOp, [e], reduce_type, {"operation": 0, **params})
        log = b.layer(L.UnaryOpOp, [total], reduce_type, {"op_type": 8})
        return b.layer(L.BinaryOpOp, [d, log], op.Y.type, {"op_type": 1})


class SoftsignToLayers(OnnxToNcnnPattern):
    """x / (1 + |x|), the same three float operations as onnxruntime."""

    OP = E.SoftsignOp

    def convert(self, op: E.SoftsignOp, b: LayerBuilder):
        t = op.Y.type
        a = b.layer(L.UnaryOpOp, [op.X], t, {"op_type": 0})
        d = b.layer(L.BinaryOpOp, [a], t, {"op_type": 0, "with_scalar": 1, "b": 1.0})
        return b.layer(L.BinaryOpOp, [op.X, d], t, {"op_type": 3})


class ThresholdedReluToLayers(OnnxToNcnnPattern):
    """x > alpha ? x : 0. For alpha >= 0: ReLU(Shrink(lambd=alpha)) (Shrink keeps |x| > alpha,
    ReLU drops the negative side; -inf stays 0). For alpha < 0: max(x, alpha) · [x > alpha]
    (the max keeps the product finite where the step is 0)."""

    OP = E.ThresholdedReluOp

    def convert(self, op: E.ThresholdedReluOp, b: LayerBuilder):
        t = op.Y.type
        alpha = float(op.attr("alpha"))
        if alpha >= 0:
            s = b.layer(L.ShrinkOp, [op.X], t, {"bias": 0.0, "lambd": alpha})
            return b.layer(L.ReLUOp, [s], t)
        kept = b.layer(L.BinaryOpOp, [op.X], t, {"op_type": 4, "with_scalar": 1, "b": alpha})
        step = b.layer(L.ThresholdOp, [op.X], t, {"threshold": alpha})
        return b.layer(L.BinaryOpOp, [kept, step], t, {"op_type": 2})


class DropIdentity(OnnxToNcnnPattern):
    """Identity, inference Dropout: the input itself (normally gone after canonicalize)."""

    OP = (E.IdentityOp, E.DropoutOp)

    def convert(self, op, b: LayerBuilder):
        if isinstance(op, E.DropoutOp):
            if not op.is_inference():
                raise NoMatch("training-mode Dropout (training_mode not a constant false) drops at random")
            if op.mask is not None:
                raise NoMatch("Dropout's mask output is not supported")
            return [op.data]
        return [op.X]


class PReluToPReLU(OnnxToNcnnPattern):
    OP = E.PReluOp

    def convert(self, op: E.PReluOp, b: LayerBuilder):
        slope = const_value(op.B)
        x = static_shape(op.A.type)
        if slope is None:
            raise NoMatch("the slope must be a constant (ncnn stores it as layer weights)")
        if slope.size == 1:
            return b.layer(L.PReLUOp, [op.A], op.C.type, {"num_slope": 1}, {"slope": slope.reshape(1)})
        mat = mat_shape(x)
        # per-channel slope: broadcast shape (C, 1, ...) on the Mat's outermost axis
        full = np.broadcast_to(slope, x) if slope.ndim <= len(x) else None
        if full is None or len(mat) < 2:
            raise NoMatch(f"a slope of shape {list(slope.shape)} is neither one value nor one per channel of {list(x)}")
        per_channel = full.reshape(mat)
        channel = per_channel.reshape(mat[0], -1)[:, 0]
        if not np.array_equal(per_channel, np.broadcast_to(channel.reshape(-1, *[1] * (len(mat) - 1)), mat)):
            raise NoMatch(f"a slope of shape {list(slope.shape)} varies along more than the channel axis of {list(x)}")
        return b.layer(L.PReLUOp, [op.A], op.C.type, {"num_slope": mat[0]}, {"slope": channel})


BINARY_CODES = {E.AddOp: 0, E.SubOp: 1, E.MulOp: 2, E.DivOp: 3, E.MaxOp: 4, E.MinOp: 5, E.PowOp: 6}
REVERSED = {1: 7, 3: 8, 6: 9}  # sub → rsub, div → rdiv, pow → rpow (scalar on the left)


def binary(b: LayerBuilder, code: int, lhs: SSAValue, rhs: SSAValue, out_shape: tuple[int, ...], like) -> SSAValue:
    """An ncnn BinaryOp computing numpy-broadcast `lhs <code> rhs` of logical `out_shape`."""
    out_type = tensor_type(out_shape, np.float32) if like is None else like
    lc, rc = const_value(lhs), const_value(rhs)
    for scalar, tensor, flip in ((rc, lhs, False), (lc, rhs, True)):
        if scalar is not None and scalar.size == 1 and const_value(tensor) is None:
            tshape = static_shape(tensor.type)
            op_code = REVERSED.get(code, code) if flip else code
            v = b.layer(
                L.BinaryOpOp, [tensor], typed(tshape, out_type),
                {"op_type": op_code, "with_scalar": 1, "b": float(scalar.reshape(-1)[0])},
            )  # fmt: skip
            if tuple(tshape) != tuple(out_shape):
                v = b.reshape(v, out_shape)
            return v
    out_mat = mat_shape(out_shape)
    r = len(out_mat)
    operands = []
    for v in (lhs, rhs):
        shape = static_shape(v.type)
        ext = (1,) * (len(out_shape) - len(shape)) + tuple(shape)
        target = ext[-r:] if r <= len(ext) else (1,) * (r - len(ext)) + ext
        arr = const_value(v)
        if arr is not None:
            operands.append(_memory_data_mat(b, arr, target, ext))
        elif mat_shape(shape) != tuple(target):
            t = tensor_type(_logical_of(ext, target), np.float32)
            operands.append(b.layer(L.ReshapeOp, [v], t, reshape_params(target)))
        else:
            operands.append(v)
    return b.layer(L.BinaryOpOp, operands, out_type, {"op_type": code})


def _memory_data_mat(b: LayerBuilder, arr: np.ndarray, mat: tuple[int, ...], logical) -> SSAValue:
    """A MemoryData whose Mat is exactly `mat` (which may keep a leading 1 that the logical
    shape's Mat would drop: it feeds a BinaryOp that needs equal ranks)."""
    data = np.asarray(arr, dtype=np.float32).reshape(mat)
    t = tensor_type(_logical_of(logical, mat), np.float32)
    return b.layer(L.MemoryDataOp, [], t, reshape_params(mat), {"data": data})


def _logical_of(logical: tuple[int, ...], mat: tuple[int, ...]) -> tuple[int, ...]:
    """`logical` when its Mat is `mat`, else a shape whose Mat is: an operand (1, 1, C) of a
    3-D BinaryOp is a 3-D Mat, which its logical shape alone (Mat (1, C)) would not say."""
    return tuple(logical) if mat_shape(logical) == tuple(mat) else logical_for_mat(mat)


def float_arithmetic(op) -> str | None:
    """A precondition: no integer Add/Sub/Mul/Div/Pow/Sum on values known only at run time:
    ncnn computes in float32, exact for integers only within ±2^24, and nothing bounds run-time
    values (integer arithmetic on compile-time values has been folded before the conversion)."""
    dtype = numpy_dtype(op.results[0].type.element_type)
    if dtype.kind in "iu":
        return (
            f"{dtype} arithmetic on values known only at run time: ncnn computes in float32, "
            "which is exact for integers only within ±2^24"
        )
    return None


class PowByConstant(OnnxToNcnnPattern):
    """x ** c for a constant integer exponent (or ±0.5): UnaryOp square / sqrt / rsqrt /
    reciprocal and BinaryOp mul by repeated squaring, exact for every x. ncnn's BinaryOp pow
    computes exp(y·log x), which is wrong for x <= 0 on the CPU (2.4e38 for 0 ** 1.7, for
    (-2) ** 2) and inexact for integers on Vulkan, so it is never used for these."""

    OP = E.PowOp
    REQUIRES = (*DEFAULT_REQUIRES, float_arithmetic)
    PRIORITY = 1  # before the general BinaryToBinaryOp, which it makes exact for these exponents
    UNARY: ClassVar = {2.0: 4, 0.5: 5, -0.5: 6, -1.0: 15}  # square, sqrt, rsqrt, reciprocal
    MAX_EXPONENT: ClassVar = 64

    def convert(self, op: E.PowOp, b: LayerBuilder):
        e = const_value(op.B)
        if e is None or e.size != 1 or const_value(op.A) is not None:
            raise NoMatch("the exponent is not one constant value (or the base is a constant)")
        e = float(e.reshape(-1)[0])
        if static_shape(op.A.type) != static_shape(op.C.type):
            raise NoMatch("the exponent broadcasts the base")
        if e == 1.0:
            return [op.A]
        if e in self.UNARY:
            return b.layer(L.UnaryOpOp, [op.A], op.C.type, {"op_type": self.UNARY[e]})
        if e != int(e) or not 0 < abs(e) <= self.MAX_EXPONENT:
            raise NoMatch(f"the exponent {e:g} is not an integer in ±1..{self.MAX_EXPONENT} (nor ±0.5)")
        n, acc, power = int(abs(e)), None, op.A
        while True:  # square-and-multiply over the bits of n
            if n & 1:
                acc = power if acc is None else b.layer(L.BinaryOpOp, [acc, power], op.C.type, {"op_type": 2})
            n >>= 1
            if not n:
                break
            power = b.layer(L.UnaryOpOp, [power], op.C.type, {"op_type": 4})
        if e < 0:
            acc = b.layer(L.UnaryOpOp, [acc], op.C.type, {"op_type": 15})
        return [acc]


class BinaryToBinaryOp(OnnxToNcnnPattern):
    OP = (E.AddOp, E.SubOp, E.MulOp, E.DivOp, E.PowOp)
    REQUIRES = (*DEFAULT_REQUIRES, float_arithmetic)

    def convert(self, op, b: LayerBuilder):
        if isinstance(op, E.PowOp):
            base = const_value(op.A)
            if base is None or not np.all(base > 0):
                raise NoMatch(
                    "x ** y with a base that may be <= 0 and an exponent that is not a constant integer: "
                    "ncnn's BinaryOp pow computes exp(y·log x), wrong for x <= 0 on the CPU"
                )
        return binary(b, BINARY_CODES[type(op)], op.A, op.B, static_shape(op.C.type), op.C.type)


class VariadicToBinaryOps(OnnxToNcnnPattern):
    """Max/Min/Sum of n inputs → a chain of n-1 BinaryOps (one input: itself)."""

    OP = (E.MaxOp, E.MinOp, E.SumOp)

    def convert(self, op, b: LayerBuilder):
        if isinstance(op, E.SumOp) and (reason := float_arithmetic(op)):
            raise NoMatch(reason)  # Max / Min of integers are exact
        code = {E.MaxOp: 4, E.MinOp: 5, E.SumOp: 0}[type(op)]
        values = list(op.inputs)
        acc = values[0]
        for v in values[1:]:
            shape = np.broadcast_shapes(static_shape(acc.type), static_shape(v.type))
            acc = binary(b, code, acc, v, tuple(shape), None if v is not values[-1] else op.output.type)
        return [acc]


PATTERNS = [
    ActivationToLayer(),
    UnaryToUnaryOp(),
    ClipToClip(),
    SoftmaxToSoftmax(),
    LogSoftmaxToLayers(),
    SoftsignToLayers(),
    ThresholdedReluToLayers(),
    DropIdentity(),
    PReluToPReLU(),
    BinaryToBinaryOp(),
    PowByConstant(),
    VariadicToBinaryOps(),
]

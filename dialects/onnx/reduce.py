"""Reduce* ONNX ops in the opset 18 form: `axes` is the optional second input (the importer
turns the older attribute into it), plus `keepdims` and `noop_with_empty_axes`."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from xdsl.dialects.builtin import IntegerAttr, i64
from xdsl.irdl import irdl_op_definition, operand_def, opt_prop_def, result_def, traits_def

from ncc.dialects.common import static_shape
from ncc.dialects.onnx.base import OnnxOp, int_prop, norm_axis, typed
from ncc.dialects.onnx.traits import FrameLocal, Reduction, axes_avoid
from ncc.dialects.onnx.versions import MAX_OPSET, AttrsToInputs, Upgrade

# every Reduce* but ReduceSum took `axes` as an attribute up to opset 17
AXES_BECAME_INPUT_AT_18 = (AttrsToInputs(before=18, moves=(("axes", 1, "int64"),)),)


class ReduceOp(OnnxOp):
    traits = traits_def(FrameLocal(frames=(0,)))
    data = operand_def()
    axes = operand_def()
    reduced = result_def()
    keepdims = int_prop(1)
    noop_with_empty_axes = int_prop(0)

    def satisfies(self, trait) -> bool:
        if isinstance(trait, FrameLocal):
            s = self.in_shape(0)
            return s is not None and axes_avoid(self.reduce_axes(), len(s))
        return True

    def reduce_axes(self) -> tuple[int, ...] | None:
        """The sorted, non-negative axes reduced; () means identity (noop with empty axes).
        None while the axes input is not a constant yet."""
        shape = self.in_shape(0)
        if shape is None:
            return None
        rank = len(shape)
        if self.has_input(1):
            axes = self.in_const(1)
            if axes is None:
                return None
            axes = [int(a) for a in axes.reshape(-1)]
        else:
            axes = []
        if not axes:
            return () if self.attr("noop_with_empty_axes") else tuple(range(rank))
        normed = sorted({norm_axis(a, rank, self) for a in axes})
        if len(normed) != len(axes):
            raise self.error(f"axes {axes} repeat an axis")
        return tuple(normed)

    def infer_types(self):
        shape = self.in_shape(0)
        axes = self.reduce_axes()
        if shape is None or axes is None:
            return None
        keep = self.attr("keepdims")
        out = [1 if i in axes else d for i, d in enumerate(shape)] if keep else [
            d for i, d in enumerate(shape) if i not in axes
        ]
        return [typed(out, self.data.type)]

    def evaluate(self, x, axes_in):
        axes = self.reduce_axes()
        if axes is None:
            return None
        # with noop_with_empty_axes nothing is reduced, but the elementwise part stays
        # (ReduceSumSquare squares, ReduceL1 takes abs, ...), as in onnxruntime
        y = self.numpy_reduce(x, axes, bool(self.attr("keepdims")))
        return [np.asarray(y).astype(x.dtype)]

    def numpy_reduce(self, x: np.ndarray, axes: tuple[int, ...], keepdims: bool) -> np.ndarray:
        raise NotImplementedError

    def mat_cuts(self):
        shape, axes = self.in_shape(0), self.reduce_axes()
        if shape is None or not axes:
            return None
        # adjacent reduced axes reduce as one, so do adjacent kept ones
        return len(shape), {p for p in range(1, len(shape)) if (p - 1 in axes) != (p in axes)}

    def mat_data(self):
        return (0,)

    def regroup(self, b, groups, data):
        axes = self.reduce_axes()
        reduced = [i for i, (lo, _) in enumerate(groups) if lo in axes]
        merged = static_shape(data[0].type)
        out = [1 if i in reduced else d for i, d in enumerate(merged)]
        props = {**self.properties, "keepdims": IntegerAttr(1, i64)}
        new = type(self).create(
            operands=[data[0], b.ints(reduced)], result_types=[typed(out, self.reduced.type)], properties=props
        )
        return b.add(new).results


@irdl_op_definition
class ReduceSumOp(ReduceOp):
    name = "onnx.ReduceSum"
    OPSETS: ClassVar[tuple[int, int]] = (13, MAX_OPSET)
    UPGRADES: ClassVar[tuple[Upgrade, ...]] = (AttrsToInputs(before=13, moves=(("axes", 1, "int64"),)),)
    traits = traits_def(Reduction("sum"))

    def numpy_reduce(self, x, axes, keepdims):
        return np.sum(x, axis=axes, keepdims=keepdims)


@irdl_op_definition
class ReduceSumSquareOp(ReduceOp):
    name = "onnx.ReduceSumSquare"
    OPSETS: ClassVar[tuple[int, int]] = (18, MAX_OPSET)
    UPGRADES: ClassVar[tuple[Upgrade, ...]] = AXES_BECAME_INPUT_AT_18
    traits = traits_def(Reduction("sum_square", pointwise="square"))

    def numpy_reduce(self, x, axes, keepdims):
        return np.sum(x * x, axis=axes, keepdims=keepdims)


@irdl_op_definition
class ReduceMeanOp(ReduceOp):
    name = "onnx.ReduceMean"
    OPSETS: ClassVar[tuple[int, int]] = (18, MAX_OPSET)
    UPGRADES: ClassVar[tuple[Upgrade, ...]] = AXES_BECAME_INPUT_AT_18
    traits = traits_def(Reduction("mean"))

    def numpy_reduce(self, x, axes, keepdims):
        return np.mean(x, axis=axes, keepdims=keepdims)


@irdl_op_definition
class ReduceMaxOp(ReduceOp):
    name = "onnx.ReduceMax"
    OPSETS: ClassVar[tuple[int, int]] = (18, MAX_OPSET)
    UPGRADES: ClassVar[tuple[Upgrade, ...]] = AXES_BECAME_INPUT_AT_18
    traits = traits_def(Reduction("max"))

    def numpy_reduce(self, x, axes, keepdims):
        return np.max(x, axis=axes, keepdims=keepdims)


@irdl_op_definition
class ReduceMinOp(ReduceOp):
    name = "onnx.ReduceMin"
    OPSETS: ClassVar[tuple[int, int]] = (18, MAX_OPSET)
    UPGRADES: ClassVar[tuple[Upgrade, ...]] = AXES_BECAME_INPUT_AT_18
    traits = traits_def(Reduction("min"))

    def numpy_reduce(self, x, axes, keepdims):
        return np.min(x, axis=axes, keepdims=keepdims)


@irdl_op_definition
class ReduceProdOp(ReduceOp):
    name = "onnx.ReduceProd"
    OPSETS: ClassVar[tuple[int, int]] = (18, MAX_OPSET)
    UPGRADES: ClassVar[tuple[Upgrade, ...]] = AXES_BECAME_INPUT_AT_18
    traits = traits_def(Reduction("prod"))

    def numpy_reduce(self, x, axes, keepdims):
        return np.prod(x, axis=axes, keepdims=keepdims)


@irdl_op_definition
class ReduceL1Op(ReduceOp):
    name = "onnx.ReduceL1"
    OPSETS: ClassVar[tuple[int, int]] = (18, MAX_OPSET)
    UPGRADES: ClassVar[tuple[Upgrade, ...]] = AXES_BECAME_INPUT_AT_18
    traits = traits_def(Reduction("l1", pointwise="abs"))

    def numpy_reduce(self, x, axes, keepdims):
        return np.sum(np.abs(x), axis=axes, keepdims=keepdims)


@irdl_op_definition
class ReduceL2Op(ReduceOp):
    name = "onnx.ReduceL2"
    OPSETS: ClassVar[tuple[int, int]] = (18, MAX_OPSET)
    UPGRADES: ClassVar[tuple[Upgrade, ...]] = AXES_BECAME_INPUT_AT_18
    traits = traits_def(Reduction("l2", pointwise="abs"))

    def numpy_reduce(self, x, axes, keepdims):
        return np.sqrt(np.sum(x * x, axis=axes, keepdims=keepdims))


@irdl_op_definition
class ReduceLogSumOp(ReduceOp):
    name = "onnx.ReduceLogSum"
    OPSETS: ClassVar[tuple[int, int]] = (18, MAX_OPSET)
    UPGRADES: ClassVar[tuple[Upgrade, ...]] = AXES_BECAME_INPUT_AT_18
    traits = traits_def(Reduction("log_sum", pointwise="log"))

    def numpy_reduce(self, x, axes, keepdims):
        return np.log(np.sum(x, axis=axes, keepdims=keepdims))


@irdl_op_definition
class ReduceLogSumExpOp(ReduceOp):
    name = "onnx.ReduceLogSumExp"
    OPSETS: ClassVar[tuple[int, int]] = (18, MAX_OPSET)
    UPGRADES: ClassVar[tuple[Upgrade, ...]] = AXES_BECAME_INPUT_AT_18
    traits = traits_def(Reduction("log_sum_exp"))

    def numpy_reduce(self, x, axes, keepdims):
        m = np.max(x, axis=axes, keepdims=True)
        y = np.log(np.sum(np.exp(x - m), axis=axes, keepdims=True)) + m
        return y if keepdims else np.squeeze(y, axis=axes)


@irdl_op_definition
class CumSumOp(OnnxOp):
    """Running sum along `axis` (a constant input); `exclusive` leaves each element out of its
    own sum, `reverse` runs from the end."""

    name = "onnx.CumSum"
    OPSETS: ClassVar[tuple[int, int]] = (11, MAX_OPSET)
    x = operand_def()
    axis = operand_def()
    y = result_def()
    exclusive = int_prop(0)
    reverse = int_prop(0)

    def cum_axis(self) -> int | None:
        shape, a = self.in_shape(0), self.in_const(1)
        if shape is None or a is None:
            return None
        return norm_axis(int(np.asarray(a).reshape(-1)[0]), len(shape), self)

    def infer_types(self):
        return None if self.in_shape(0) is None else [self.x.type]

    def evaluate(self, x, axis_in):
        a = self.cum_axis()
        if self.attr("reverse"):
            x = np.flip(x, a)
        y = np.cumsum(x, axis=a, dtype=x.dtype)
        if self.attr("exclusive"):
            head = np.zeros_like(np.take(x, [0], axis=a))
            y = np.concatenate([head, np.take(y, range(x.shape[a] - 1), axis=a)], axis=a)
        if self.attr("reverse"):
            y = np.flip(y, a)
        return [np.ascontiguousarray(y)]


OPS = [
    CumSumOp,
    ReduceSumOp, ReduceSumSquareOp, ReduceMeanOp, ReduceMaxOp, ReduceMinOp, ReduceProdOp,
    ReduceL1Op, ReduceL2Op, ReduceLogSumOp, ReduceLogSumExpOp,
]  # fmt: skip

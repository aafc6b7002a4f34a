"""Tensor, shape and data-movement ONNX ops: Reshape, Transpose, Slice, Concat, Gather, Pad, …

Each op has a shape rule (`infer_types`) and an exact numpy `evaluate`. Shape arithmetic
exported by torch (`Shape → Gather → Unsqueeze → Concat → Reshape`, `ConstantOfShape`,
`Range`, `Expand`) only folds away if every op on that path evaluates exactly as
onnxruntime does, so the numpy code below follows the ONNX reference semantics
(clamping, negative indices, `allowzero`, …) rather than numpy's defaults where they differ.

Ops whose output shape depends on an input's *value* (Reshape's shape, Slice's starts, …)
read it with `in_const`; while that input is not a constant yet they return None.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import ClassVar

import numpy as np
from xdsl.dialects.builtin import DenseArrayBase, DenseIntOrFPElementsAttr, IntegerAttr, StringAttr, i64
from xdsl.ir import Attribute
from xdsl.irdl import (
    irdl_op_definition,
    operand_def,
    opt_prop_def,
    result_def,
    traits_def,
    var_operand_def,
    var_result_def,
)

from ncc.dialects.common import attr_array, numpy_dtype, static_shape
from ncc.dialects.onnx.base import OnnxOp, int_prop, norm_axis, str_prop, typed
from ncc.dialects.onnx.traits import DataMovement, FrameLocal, Indexing, PerItem
from ncc.dialects.onnx.versions import MAX_OPSET, AttrsToInputs, DefaultAttr, DropAttrs, RenameAttr, Upgrade
from ncc.dialects.onnx.mat_groups import around, group_of, merge_shape

# ------------------------------------------------------------------------------ helpers


def _ints(a: np.ndarray | None) -> list[int] | None:
    return None if a is None else [int(v) for v in np.asarray(a).reshape(-1)]


def _norm_axes(op: OnnxOp, axes: Sequence[int], rank: int) -> list[int]:
    out = [norm_axis(int(a), rank, op) for a in axes]
    if len(set(out)) != len(out):
        raise op.error(f"repeated axis in {list(axes)}")
    return out


def reshape_shape(
    op: OnnxOp, src: Sequence[int], target: Sequence[int], allowzero: int
) -> tuple[int, ...]:
    """ONNX Reshape's output shape: 0 copies the input dim (unless allowzero), -1 infers."""
    out = list(int(d) for d in target)
    if allowzero and 0 in out and -1 in out:
        raise op.error("Reshape with allowzero=1 cannot have both 0 and -1 in the shape")
    for i, d in enumerate(out):
        if d == 0 and not allowzero:
            if i >= len(src):
                raise op.error(f"Reshape shape {list(target)}: 0 at index {i} has no input dim")
            out[i] = src[i]
        elif d < -1:
            raise op.error(f"Reshape shape {list(target)} has an invalid dim {d}")
    total = math.prod(src)
    if out.count(-1) > 1:
        raise op.error(f"Reshape shape {list(target)} has more than one -1")
    if -1 in out:
        known = math.prod(d for d in out if d != -1)
        if known == 0 or total % known:
            raise op.error(f"cannot reshape {list(src)} to {list(target)}")
        out[out.index(-1)] = total // known
    if math.prod(out) != total:
        raise op.error(f"cannot reshape {list(src)} to {list(target)}")
    return tuple(out)


def slice_ranges(
    op: OnnxOp,
    shape: Sequence[int],
    starts: Sequence[int],
    ends: Sequence[int],
    axes: Sequence[int] | None,
    steps: Sequence[int] | None,
) -> list[tuple[int, int, int]]:
    """Per axis (start, end, step) after ONNX Slice's normalisation and clamping, so that
    `range(start, end, step)` (end −1 meaning "past index 0") lists the selected indices."""
    rank = len(shape)
    n = len(starts)
    if len(ends) != n:
        raise op.error("Slice starts and ends differ in length")
    axes = list(range(n)) if axes is None else _norm_axes(op, axes, rank)
    steps = [1] * n if steps is None else list(steps)
    if len(axes) != n or len(steps) != n:
        raise op.error("Slice starts, axes and steps differ in length")
    out = [(0, d, 1) for d in shape]
    for a, s, e, st in zip(axes, starts, ends, steps, strict=True):
        d = shape[a]
        if st == 0:
            raise op.error("Slice step cannot be 0")
        s = s + d if s < 0 else s
        e = e + d if e < 0 else e
        if st > 0:
            s = min(max(s, 0), d)
            e = min(max(e, 0), d)
        else:
            s = min(max(s, 0), d - 1)
            e = min(max(e, -1), d - 1)
        out[a] = (s, e, st)
    return out


def _range_len(s: int, e: int, st: int) -> int:
    return max(0, -(-(e - s) // st)) if st > 0 else max(0, -(-(s - e) // -st))


def _slices(ranges: Sequence[tuple[int, int, int]]) -> tuple[slice, ...]:
    return tuple(slice(s, None if e < 0 else e, st) for s, e, st in ranges)


def pad_amounts(
    op: OnnxOp, rank: int, pads: Sequence[int], axes: Sequence[int] | None
) -> list[tuple[int, int]]:
    """ONNX Pad's `pads` ([b1, b2, …, e1, e2, …] over `axes`) as (begin, end) per axis."""
    axes = list(range(rank)) if axes is None else _norm_axes(op, axes, rank)
    if len(pads) != 2 * len(axes):
        raise op.error(f"Pad pads has {len(pads)} values for {len(axes)} axes")
    out = [(0, 0)] * rank
    k = len(axes)
    for i, a in enumerate(axes):
        out[a] = (int(pads[i]), int(pads[i + k]))
    return out


def split_sizes(
    op: OnnxOp, dim: int, split: Sequence[int] | None, num_outputs: int | None, n_results: int
) -> list[int]:
    """Split's piece sizes: the `split` input, else `num_outputs` pieces of ceil(dim / n) with
    a smaller last one (opset 18), else equal pieces, one per result."""
    if split is not None:
        if len(split) != n_results or sum(split) != dim or min(split, default=0) < 0:
            raise op.error(f"Split sizes {list(split)} do not cover a dim of {dim} in {n_results} parts")
        return list(split)
    n = num_outputs if num_outputs is not None else n_results
    if n != n_results:
        raise op.error(f"Split num_outputs={n} but the node has {n_results} outputs")
    if num_outputs is None:
        if dim % n:
            raise op.error(f"Split: dim {dim} is not divisible into {n} equal parts")
        return [dim // n] * n
    chunk = -(-dim // n)  # opset 18: ceil, the last chunk smaller
    sizes = [min(chunk, max(dim - i * chunk, 0)) for i in range(n)]
    if sum(sizes) != dim:
        raise op.error(f"Split: dim {dim} cannot be split into {n} outputs")
    return sizes


# ------------------------------------------------------------------------------ reshaping


@irdl_op_definition
class ReshapeOp(OnnxOp):
    name = "onnx.Reshape"
    OPSETS: ClassVar[tuple[int, int]] = (5, MAX_OPSET)
    UPGRADES: ClassVar[tuple[Upgrade, ...]] = (AttrsToInputs(before=5, moves=(("shape", 1, "int64"),)), DropAttrs(before=5))
    traits = traits_def(DataMovement(operands=(0,), reinterpret=True), FrameLocal(frames=(0,)))
    data = operand_def()
    shape = operand_def()
    reshaped = result_def()
    allowzero = int_prop(0)

    def satisfies(self, trait) -> bool:
        if isinstance(trait, FrameLocal):  # the leading axis stays whole
            src, out = self.in_shape(0), self.out_shape()
            return src is not None and out is not None and bool(src) and bool(out) and src[0] == out[0]
        return True

    def target_shape(self) -> tuple[int, ...] | None:
        src, target = self.in_shape(0), _ints(self.in_const(1))
        if src is None or target is None:
            return None
        return reshape_shape(self, src, target, self.attr("allowzero"))

    def infer_types(self):
        s = self.target_shape()
        return None if s is None else [typed(s, self.data.type)]

    def evaluate(self, x, shape):
        return [x.reshape(reshape_shape(self, x.shape, _ints(shape), self.attr("allowzero")))]


@irdl_op_definition
class FlattenOp(OnnxOp):
    name = "onnx.Flatten"
    OPSETS: ClassVar[tuple[int, int]] = (1, MAX_OPSET)
    traits = traits_def(DataMovement(operands=(0,), reinterpret=True), FrameLocal(frames=(0,)))
    input = operand_def()
    output = result_def()
    axis = int_prop(1)

    def satisfies(self, trait) -> bool:
        if isinstance(trait, FrameLocal):
            return self.attr("axis") != 0
        return True

    def flat_shape(self, src: Sequence[int]) -> tuple[int, int]:
        a = self.attr("axis")
        a = a + len(src) if a < 0 else a
        if not 0 <= a <= len(src):
            raise self.error(f"Flatten axis {self.attr('axis')} out of range for rank {len(src)}")
        return math.prod(src[:a]), math.prod(src[a:])

    def infer_types(self):
        s = self.in_shape(0)
        return None if s is None else [typed(self.flat_shape(s), self.input.type)]

    def evaluate(self, x):
        return [x.reshape(self.flat_shape(x.shape))]


class AxesReshapeOp(OnnxOp):
    """Squeeze / Unsqueeze: a reshape whose output dims `out_dims` derives from the axes."""

    def out_dims(self, src: Sequence[int]) -> tuple[int, ...] | None:
        raise NotImplementedError

    def infer_types(self):
        s = self.in_shape(0)
        o = None if s is None else self.out_dims(s)
        return None if o is None else [typed(o, self.operands[0].type)]

    def evaluate(self, x, axes):
        return [x.reshape(self.out_dims(x.shape))]


@irdl_op_definition
class SqueezeOp(AxesReshapeOp):
    """Squeeze(data, axes?): without axes, every dim of size 1 goes."""

    name = "onnx.Squeeze"
    OPSETS: ClassVar[tuple[int, int]] = (13, MAX_OPSET)
    UPGRADES: ClassVar[tuple[Upgrade, ...]] = (AttrsToInputs(before=13, moves=(("axes", 1, "int64"),)),)
    traits = traits_def(DataMovement(operands=(0,), reinterpret=True))
    data = operand_def()
    axes = operand_def()
    squeezed = result_def()

    def out_dims(self, src: Sequence[int]) -> tuple[int, ...] | None:
        if self.has_input(1):
            axes = _ints(self.in_const(1))
            if axes is None:
                return None
            axes = _norm_axes(self, axes, len(src))
            for a in axes:
                if src[a] != 1:
                    raise self.error(f"Squeeze axis {a} has size {src[a]}, not 1")
        else:
            axes = [i for i, d in enumerate(src) if d == 1]
        return tuple(d for i, d in enumerate(src) if i not in axes)



@irdl_op_definition
class UnsqueezeOp(AxesReshapeOp):
    """Unsqueeze(data, axes): axes count in the output rank."""

    name = "onnx.Unsqueeze"
    OPSETS: ClassVar[tuple[int, int]] = (13, MAX_OPSET)
    UPGRADES: ClassVar[tuple[Upgrade, ...]] = (AttrsToInputs(before=13, moves=(("axes", 1, "int64"),)),)
    traits = traits_def(DataMovement(operands=(0,), reinterpret=True))
    data = operand_def()
    axes = operand_def()
    expanded = result_def()

    def out_dims(self, src: Sequence[int]) -> tuple[int, ...] | None:
        axes = _ints(self.in_const(1))
        if axes is None:
            return None
        rank = len(src) + len(axes)
        axes = _norm_axes(self, axes, rank)
        it = iter(src)
        return tuple(1 if i in axes else next(it) for i in range(rank))



@irdl_op_definition
class TransposeOp(OnnxOp):
    name = "onnx.Transpose"
    OPSETS: ClassVar[tuple[int, int]] = (1, MAX_OPSET)
    traits = traits_def(DataMovement(operands=(0,)))
    data = operand_def()
    transposed = result_def()
    perm = opt_prop_def(DenseArrayBase)

    def permutation(self, rank: int) -> list[int]:
        p = self.attr("perm")
        if p is None:
            return list(range(rank))[::-1]
        p = [int(a) for a in p]
        if sorted(p) != list(range(rank)):
            raise self.error(f"Transpose perm {p} is not a permutation of rank {rank}")
        return p

    def infer_types(self):
        s = self.in_shape(0)
        if s is None:
            return None
        return [typed([s[a] for a in self.permutation(len(s))], self.data.type)]

    def evaluate(self, x):
        return [np.ascontiguousarray(x.transpose(self.permutation(x.ndim)))]

    def mat_cuts(self):
        s = self.in_shape(0)
        if s is None:
            return None
        p = self.permutation(len(s))
        kept = {p[j + 1] for j in range(len(p) - 1) if p[j + 1] == p[j] + 1}  # a stays after a-1
        return len(s), {a for a in range(1, len(s)) if a not in kept}

    def mat_result_shapes(self):
        # the result's axes are the input's, permuted: in the input's order it is the input shape
        s = self.in_shape(0)
        return [] if s is None else [tuple(s)]

    def regroup(self, b, groups, data):
        p = self.permutation(groups[-1][1])
        s = self.in_shape(0)
        position = {a: i for i, a in enumerate(p)}

        def place(g: int) -> int:
            # a group may hold axes of size 1 merged into a neighbour (the layout stage does
            # that): they can go anywhere, so the group goes where its other axes go
            lo, hi = groups[g]
            real = [a for a in range(lo, hi) if s is None or s[a] != 1] or [lo]
            return position[real[0]]

        # groups in output order: each group moves as one block
        return [b.transpose(data[0], sorted(range(len(groups)), key=place))]


# ------------------------------------------------------------------------------ joining / splitting


@irdl_op_definition
class ConcatOp(OnnxOp):
    name = "onnx.Concat"
    OPSETS: ClassVar[tuple[int, int]] = (4, MAX_OPSET)
    UPGRADES: ClassVar[tuple[Upgrade, ...]] = (DefaultAttr(before=4, name="axis", value=1),)
    traits = traits_def(DataMovement())
    inputs = var_operand_def()
    concat_result = result_def()
    axis = int_prop(0)

    def infer_types(self):
        shapes = [static_shape(v.type) for v in self.inputs]
        if not shapes or any(s is None for s in shapes):
            return None
        rank = len(shapes[0])
        a = norm_axis(self.attr("axis"), rank, self)
        for s in shapes:
            if len(s) != rank or any(d != e for i, (d, e) in enumerate(zip(s, shapes[0])) if i != a):
                raise self.error(f"Concat inputs {[list(x) for x in shapes]} differ off axis {a}")
        out = list(shapes[0])
        out[a] = sum(s[a] for s in shapes)
        return [typed(out, self.inputs[0].type)]

    def evaluate(self, *xs):
        return [np.concatenate(xs, axis=self.attr("axis"))]

    def mat_cuts(self):
        s = self.out_shape()
        return None if s is None else (len(s), around([norm_axis(self.attr("axis"), len(s), self)]))

    def regroup(self, b, groups, data):
        return [b.concat(list(data), group_of(groups, norm_axis(self.attr("axis"), groups[-1][1], self)))]


@irdl_op_definition
class SplitOp(OnnxOp):
    """Split(input, split?) → outputs; `num_outputs` (opset 18) or the result count."""

    name = "onnx.Split"
    OPSETS: ClassVar[tuple[int, int]] = (13, MAX_OPSET)
    UPGRADES: ClassVar[tuple[Upgrade, ...]] = (
        DefaultAttr(before=2, name="axis", value=0),
        AttrsToInputs(before=13, moves=(("split", 1, "int64"),)),
    )
    traits = traits_def(DataMovement(operands=(0,)))
    input = operand_def()
    split = operand_def()
    outputs = var_result_def()
    axis = int_prop(0)
    num_outputs = opt_prop_def(IntegerAttr)

    def sizes(self, src: Sequence[int]) -> list[int] | None:
        a = norm_axis(self.attr("axis"), len(src), self)
        split = None
        if self.has_input(1):
            split = _ints(self.in_const(1))
            if split is None:
                return None
        return split_sizes(self, src[a], split, self.attr("num_outputs"), len(self.outputs))

    def infer_types(self):
        s = self.in_shape(0)
        sizes = None if s is None else self.sizes(s)
        if sizes is None:
            return None
        a = norm_axis(self.attr("axis"), len(s), self)
        return [typed(s[:a] + (n,) + s[a + 1 :], self.input.type) for n in sizes]

    def mat_cuts(self):
        s = self.in_shape(0)
        return None if s is None else (len(s), around([norm_axis(self.attr("axis"), len(s), self)]))

    def mat_data(self):
        return (0,)

    def regroup(self, b, groups, data):
        axis = group_of(groups, norm_axis(self.attr("axis"), groups[-1][1], self))
        types = []
        for r in self.outputs:
            types.append(typed(merge_shape(static_shape(r.type), groups), r.type))
        props = {**self.properties, "axis": IntegerAttr(axis, i64)}
        new = SplitOp.create(operands=[data[0], self.split], result_types=types, properties=props)
        return b.add(new).results

    def evaluate(self, x, split):
        sizes = self.sizes(x.shape)
        cuts = np.cumsum(sizes)[:-1]
        return [np.ascontiguousarray(p) for p in np.split(x, cuts, axis=self.attr("axis"))]


@irdl_op_definition
class SliceOp(OnnxOp):
    name = "onnx.Slice"
    OPSETS: ClassVar[tuple[int, int]] = (10, MAX_OPSET)
    UPGRADES: ClassVar[tuple[Upgrade, ...]] = (
        AttrsToInputs(before=10, moves=(("starts", 1, "int64"), ("ends", 2, "int64"), ("axes", 3, "int64"))),
    )
    traits = traits_def(DataMovement(operands=(0,)))
    data = operand_def()
    starts = operand_def()
    ends = operand_def()
    axes = operand_def()
    steps = operand_def()
    output = result_def()

    def ranges(self, shape: Sequence[int] | None = None) -> list[tuple[int, int, int]] | None:
        """Normalised (start, end, step) per axis, or None while an input is unknown."""
        shape = self.in_shape(0) if shape is None else shape
        starts, ends = _ints(self.in_const(1)), _ints(self.in_const(2))
        axes, steps = _ints(self.in_const(3)), _ints(self.in_const(4))
        if shape is None or starts is None or ends is None:
            return None
        if (self.has_input(3) and axes is None) or (self.has_input(4) and steps is None):
            return None
        return slice_ranges(self, shape, starts, ends, axes, steps)

    def infer_types(self):
        r = self.ranges()
        if r is None:
            return None
        return [typed([_range_len(*x) for x in r], self.data.type)]

    def mat_cuts(self):
        r = self.ranges()
        if r is None or any(st != 1 for _, _, st in r):
            return None  # strided slices are rewritten by onnx-indexing-to-slices first
        s = self.in_shape(0)
        return len(s), around([a for a, (lo, hi, _) in enumerate(r) if (lo, hi) != (0, s[a])])

    def mat_data(self):
        return (0,)

    def regroup(self, b, groups, data):
        s, r = self.in_shape(0), self.ranges()
        cut = [(group_of(groups, a), lo, hi) for a, (lo, hi, _) in enumerate(r) if (lo, hi) != (0, s[a])]
        return [b.slice(data[0], [lo for _, lo, _ in cut], [hi for _, _, hi in cut], [g for g, _, _ in cut])]

    def evaluate(self, x, starts, ends, axes, steps):
        r = slice_ranges(self, x.shape, _ints(starts), _ints(ends), _ints(axes), _ints(steps))
        return [np.ascontiguousarray(x[_slices(r)])]


# ------------------------------------------------------------------------------ shape queries


@irdl_op_definition
class ShapeOp(OnnxOp):
    name = "onnx.Shape"
    OPSETS: ClassVar[tuple[int, int]] = (1, MAX_OPSET)
    data = operand_def()
    shape = result_def()
    start = int_prop(0)
    end = opt_prop_def(IntegerAttr)

    def window(self, rank: int) -> tuple[int, int]:
        def clamp(v: int) -> int:
            return min(max(v + rank if v < 0 else v, 0), rank)

        s, e = clamp(self.attr("start")), clamp(self.attr("end", rank))
        return s, max(e, s)

    def infer_types(self):
        s = self.in_shape(0)
        if s is None:
            return None
        a, b = self.window(len(s))
        return [typed([b - a], np.int64)]

    def evaluate(self, x):
        a, b = self.window(x.ndim)
        return [np.array(x.shape[a:b], dtype=np.int64)]

    def fold_from_types(self):
        s = self.in_shape(0)
        if s is None:
            return None
        a, b = self.window(len(s))
        return [np.array(s[a:b], dtype=np.int64)]


@irdl_op_definition
class SizeOp(OnnxOp):
    name = "onnx.Size"
    OPSETS: ClassVar[tuple[int, int]] = (1, MAX_OPSET)
    data = operand_def()
    size = result_def()

    def infer_types(self):
        return [typed([], np.int64)] if self.in_shape(0) is not None else None

    def evaluate(self, x):
        return [np.array(x.size, dtype=np.int64)]

    def fold_from_types(self):
        s = self.in_shape(0)
        return None if s is None else [np.array(math.prod(s), dtype=np.int64)]


@irdl_op_definition
class ConstantOfShapeOp(OnnxOp):
    """ConstantOfShape(shape) filled with `value` (a one-element tensor; default float 0)."""

    name = "onnx.ConstantOfShape"
    OPSETS: ClassVar[tuple[int, int]] = (9, MAX_OPSET)
    input = operand_def()
    output = result_def()
    value = opt_prop_def(Attribute)

    def fill(self) -> np.ndarray:
        a = self.properties.get("value")
        if a is None:
            return np.zeros((), np.float32)
        v = attr_array(a)
        if v is None:  # a blob parsed from text: the dtype is still known from the type
            raise self.error("ConstantOfShape value is an unresolved blob")
        if v.size != 1:
            raise self.error(f"ConstantOfShape value must hold one element, got {v.size}")
        return v.reshape(())

    def _dtype(self) -> np.dtype:
        a = self.properties.get("value")
        if a is None:
            return np.dtype(np.float32)
        if isinstance(a, DenseIntOrFPElementsAttr):
            return numpy_dtype(a.get_type().get_element_type())
        return self.fill().dtype

    def infer_types(self):
        shape = _ints(self.in_const(0))
        if shape is None:
            return None
        if any(d < 0 for d in shape):
            raise self.error(f"ConstantOfShape with a negative dim {shape}")
        return [typed(shape, self._dtype())]

    def evaluate(self, shape):
        return [np.full(_ints(shape), self.fill())]


@irdl_op_definition
class RangeOp(OnnxOp):
    name = "onnx.Range"
    OPSETS: ClassVar[tuple[int, int]] = (11, MAX_OPSET)
    start = operand_def()
    limit = operand_def()
    delta = operand_def()
    output = result_def()
    stash_type = opt_prop_def(IntegerAttr)
    """Range-27: float16 accumulates in this type (1: float32, its default; 11: float64);
    absent (before 27): in float16."""

    @staticmethod
    def _scalar(op: OnnxOp, v: np.ndarray) -> np.ndarray:
        v = np.asarray(v)
        if v.size != 1:
            raise op.error(f"Range inputs must be scalars, got shape {list(v.shape)}")
        return v.reshape(())

    def _count(self, start, limit, delta) -> int:
        start, limit, delta = (self._scalar(self, v) for v in (start, limit, delta))
        if delta == 0:
            raise self.error("Range delta is 0")
        # onnxruntime: ceil((double(limit) - double(start)) / double(delta)), at least 0
        return max(0, int(math.ceil((float(limit) - float(start)) / float(delta))))

    def infer_types(self):
        vals = [self.in_const(i) for i in range(3)]
        if any(v is None for v in vals):
            return None
        return [typed([self._count(*vals)], self.start.type.element_type)]

    def evaluate(self, start, limit, delta):
        n = self._count(start, limit, delta)
        start, delta = self._scalar(self, start), self._scalar(self, delta)
        dtype = start.dtype
        if n == 0:
            return [np.zeros((0,), dtype)]
        # onnxruntime accumulates (v += delta) in T; for floats that differs from the
        # reference's start + i*delta in the last bits, and folding must match the runtime
        acc = dtype
        if dtype == np.float16 and self.attr("stash_type") is not None:
            stash = {1: np.dtype(np.float32), 11: np.dtype(np.float64)}.get(self.attr("stash_type"))
            if stash is None:
                raise self.error(f"Range stash_type {self.attr('stash_type')} is not FLOAT (1) or DOUBLE (11)")
            acc = stash
        steps = np.full(n, delta, acc)
        steps[0] = start
        return [np.add.accumulate(steps, dtype=acc).astype(dtype)]


@irdl_op_definition
class NonZeroOp(OnnxOp):
    """NonZero(X) → int64 (rank, count); the count is data-dependent, so its shape is known
    only when X is a constant."""

    name = "onnx.NonZero"
    OPSETS: ClassVar[tuple[int, int]] = (9, MAX_OPSET)
    X = operand_def()
    Y = result_def()

    def infer_types(self):
        x = self.in_const(0)
        if x is None:
            return None
        return [typed(self.evaluate(x)[0].shape, np.int64)]

    def evaluate(self, x):
        if x.ndim == 0:
            return [np.zeros((0, int(x != 0)), np.int64)]
        return [np.array(np.nonzero(x), dtype=np.int64).reshape(x.ndim, -1)]


# ------------------------------------------------------------------------------ indexing


@irdl_op_definition
class GatherOp(OnnxOp):
    name = "onnx.Gather"
    OPSETS: ClassVar[tuple[int, int]] = (1, MAX_OPSET)
    traits = traits_def(DataMovement(operands=(0,)), Indexing(indices=1))
    data = operand_def()
    indices = operand_def()
    output = result_def()
    axis = int_prop(0)

    def infer_types(self):
        s, i = self.in_shape(0), self.in_shape(1)
        if s is None or i is None:
            return None
        a = norm_axis(self.attr("axis"), len(s), self)
        return [typed(s[:a] + i + s[a + 1 :], self.data.type)]

    def satisfies(self, trait) -> bool:
        if isinstance(trait, Indexing):  # a table lookup is ncnn's Embed layer
            return not self.is_table_lookup()
        return True

    def is_table_lookup(self) -> bool:
        """Rows of a constant 2-D table picked by run-time integer indices (an embedding):
        ncnn's Embed layer does exactly this, so the indices need not be constant."""
        table = self.in_shape(0)
        if self.in_const(0) is None or table is None or len(table) != 2 or self.in_const(1) is not None:
            return False
        return self.attr("axis") in (0, -2) and numpy_dtype(self.indices.type.element_type).kind in "iu"

    def evaluate(self, x, idx):
        a = norm_axis(self.attr("axis"), x.ndim, self)
        idx = np.asarray(idx).astype(np.int64)
        d = x.shape[a]
        if idx.size and (idx.min() < -d or idx.max() >= d):
            raise self.error(f"Gather index out of range for a dim of {d}")
        return [np.take(x, np.where(idx < 0, idx + d, idx), axis=a)]


@irdl_op_definition
class GatherElementsOp(OnnxOp):
    name = "onnx.GatherElements"
    OPSETS: ClassVar[tuple[int, int]] = (11, MAX_OPSET)
    traits = traits_def(DataMovement(operands=(0,)), Indexing(indices=1))
    data = operand_def()
    indices = operand_def()
    output = result_def()
    axis = int_prop(0)

    def infer_types(self):
        s, i = self.in_shape(0), self.in_shape(1)
        if s is None or i is None:
            return None
        if len(s) != len(i):
            raise self.error(f"GatherElements data rank {len(s)} != indices rank {len(i)}")
        return [typed(i, self.data.type)]

    def evaluate(self, x, idx):
        a = norm_axis(self.attr("axis"), x.ndim, self)
        idx = np.asarray(idx).astype(np.int64)
        d = x.shape[a]
        if idx.size and (idx.min() < -d or idx.max() >= d):
            raise self.error(f"GatherElements index out of range for a dim of {d}")
        return [np.take_along_axis(x, np.where(idx < 0, idx + d, idx), axis=a)]


@irdl_op_definition
class ScatterNDOp(OnnxOp):
    name = "onnx.ScatterND"
    OPSETS: ClassVar[tuple[int, int]] = (11, MAX_OPSET)
    traits = traits_def(DataMovement(operands=(0, 2)), Indexing(indices=1))
    data = operand_def()
    indices = operand_def()
    updates = operand_def()
    output = result_def()
    reduction = str_prop('none')

    def satisfies(self, trait) -> bool:
        if isinstance(trait, DataMovement):
            return self.attr("reduction") == "none"  # a reduction computes
        return True

    def infer_types(self):
        s, i, u = (self.in_shape(k) for k in range(3))
        if s is None or i is None or u is None:
            return None
        k = i[-1] if i else 0
        if not i or k > len(s) or tuple(u) != tuple(i[:-1]) + tuple(s[k:]):
            raise self.error(
                f"ScatterND shapes data {list(s)}, indices {list(i)}, updates {list(u)} do not fit"
            )
        return [self.data.type]

    def evaluate(self, x, idx, upd):
        out = x.copy()
        idx = np.asarray(idx).astype(np.int64)
        k = idx.shape[-1]
        flat_idx = idx.reshape(-1, k)
        flat_upd = upd.reshape((flat_idx.shape[0],) + x.shape[k:])
        dims = np.array(x.shape[:k], dtype=np.int64)
        if flat_idx.size and ((flat_idx < -dims).any() or (flat_idx >= dims).any()):
            raise self.error("ScatterND index out of range")
        flat_idx = np.where(flat_idx < 0, flat_idx + dims, flat_idx)
        red = self.attr("reduction")
        ops = {"add": np.add, "mul": np.multiply, "max": np.maximum, "min": np.minimum}
        if red != "none" and red not in ops:
            raise self.error(f"ScatterND reduction '{red}' is not supported")
        for j in range(flat_idx.shape[0]):  # sequential, in index order, like the reference
            t = tuple(flat_idx[j])
            out[t] = flat_upd[j] if red == "none" else ops[red](out[t], flat_upd[j])
        return [out]


@irdl_op_definition
class ExpandOp(OnnxOp):
    """Expand(input, shape): bidirectional broadcast of input to shape."""

    name = "onnx.Expand"
    OPSETS: ClassVar[tuple[int, int]] = (8, MAX_OPSET)
    traits = traits_def(DataMovement(operands=(0,)))
    input = operand_def()
    shape = operand_def()
    output = result_def()

    def out_dims(self, src: Sequence[int]) -> tuple[int, ...] | None:
        shape = _ints(self.in_const(1))
        if shape is None:
            return None
        try:
            return tuple(np.broadcast_shapes(tuple(src), tuple(shape)))
        except ValueError:
            raise self.error(f"Expand: {list(src)} does not broadcast to {shape}") from None

    def infer_types(self):
        s = self.in_shape(0)
        o = None if s is None else self.out_dims(s)
        return None if o is None else [typed(o, self.input.type)]

    def evaluate(self, x, shape):
        try:
            out = np.broadcast_shapes(x.shape, tuple(_ints(shape)))
        except ValueError:
            raise self.error(f"Expand: {list(x.shape)} does not broadcast to {_ints(shape)}") from None
        return [np.ascontiguousarray(np.broadcast_to(x, out))]


@irdl_op_definition
class TileOp(OnnxOp):
    name = "onnx.Tile"
    OPSETS: ClassVar[tuple[int, int]] = (6, MAX_OPSET)
    traits = traits_def(DataMovement(operands=(0,)))
    input = operand_def()
    repeats = operand_def()
    output = result_def()

    def infer_types(self):
        s, r = self.in_shape(0), _ints(self.in_const(1))
        if s is None or r is None:
            return None
        if len(r) != len(s) or min(r, default=0) < 0:
            raise self.error(f"Tile repeats {r} do not fit rank {len(s)}")
        return [typed([d * k for d, k in zip(s, r, strict=True)], self.input.type)]

    def evaluate(self, x, repeats):
        r = _ints(repeats)
        if len(r) != x.ndim:
            raise self.error(f"Tile repeats {r} do not fit rank {x.ndim}")
        return [np.tile(x, r)]


@irdl_op_definition
class PadOp(OnnxOp):
    """Pad(data, pads, constant_value?, axes?); modes constant, reflect, edge, wrap.
    Negative pads crop."""

    name = "onnx.Pad"
    OPSETS: ClassVar[tuple[int, int]] = (11, MAX_OPSET)
    UPGRADES: ClassVar[tuple[Upgrade, ...]] = (
        RenameAttr(before=2, old="paddings", new="pads"),
        AttrsToInputs(before=11, moves=(("pads", 1, "int64"), ("value", 2, "float32"))),
    )
    traits = traits_def(DataMovement(operands=(0, 2)))
    data = operand_def()
    pads = operand_def()
    constant_value = operand_def()
    axes = operand_def()
    output = result_def()
    mode = str_prop('constant')

    def amounts(self, rank: int) -> list[tuple[int, int]] | None:
        pads = _ints(self.in_const(1))
        axes = _ints(self.in_const(3))
        if pads is None or (self.has_input(3) and axes is None):
            return None
        return pad_amounts(self, rank, pads, axes)

    def infer_types(self):
        s = self.in_shape(0)
        p = None if s is None else self.amounts(len(s))
        if p is None:
            return None
        out = [d + b + e for d, (b, e) in zip(s, p, strict=True)]
        if min(out, default=0) < 0:
            raise self.error(f"Pad gives a negative dim {out}")
        return [typed(out, self.data.type)]

    def mat_cuts(self):
        s = self.in_shape(0)
        amounts = None if s is None else self.amounts(len(s))
        if amounts is None:
            return None
        return len(s), around([a for a, pair in enumerate(amounts) if any(pair)])

    def mat_data(self):
        return (0,)

    def regroup(self, b, groups, data):
        amounts = self.amounts(groups[-1][1])
        merged = [(0, 0)] * len(groups)
        for a, pair in enumerate(amounts):
            if any(pair):
                merged[group_of(groups, a)] = pair
        pads = [lo for lo, _ in merged] + [hi for _, hi in merged]
        out = [d + lo + hi for d, (lo, hi) in zip(static_shape(data[0].type), merged, strict=True)]
        new = PadOp.create(
            operands=[data[0], b.ints(pads), self.constant_value, b.novalue()],
            result_types=[typed(out, self.output.type)],
            properties=dict(self.properties),
        )
        return b.add(new).results

    def evaluate(self, x, pads, value, axes):
        amounts = pad_amounts(self, x.ndim, _ints(pads), _ints(axes))
        # negative pads crop first; then the positive part is padded
        crop = tuple(
            slice(max(-b, 0), d - max(-e, 0)) for d, (b, e) in zip(x.shape, amounts, strict=True)
        )
        x = x[crop]
        widths = [(max(b, 0), max(e, 0)) for b, e in amounts]
        mode = self.attr("mode")
        if mode == "constant":
            v = 0 if value is None or np.asarray(value).size == 0 else np.asarray(value).reshape(-1)[0]
            return [np.pad(x, widths, mode="constant", constant_values=v).astype(x.dtype)]
        if mode not in ("reflect", "edge", "wrap"):
            raise self.error(f"Pad mode '{mode}' is not supported")
        for (b, e), d in zip(widths, x.shape, strict=True):
            if (b or e) and d == 0:
                raise self.error(f"Pad mode '{mode}' on an empty axis")
            if mode == "reflect" and (b or e) and max(b, e) >= d and d > 0:
                # numpy repeats the reflection; ONNX (and onnxruntime) require pads < dim
                raise self.error(f"Pad mode 'reflect' needs pads smaller than the dim {d}")
        return [np.pad(x, widths, mode=mode)]


# ------------------------------------------------------------------------------ rearrangements


@irdl_op_definition
class DepthToSpaceOp(OnnxOp):
    name = "onnx.DepthToSpace"
    OPSETS: ClassVar[tuple[int, int]] = (1, MAX_OPSET)
    traits = traits_def(DataMovement(operands=(0,)), PerItem())
    input = operand_def()
    output = result_def()
    blocksize = opt_prop_def(IntegerAttr)
    mode = str_prop('DCR')

    def infer_types(self):
        s = self.in_shape(0)
        if s is None:
            return None
        bs = self.attr("blocksize")
        if len(s) != 4 or bs is None or bs < 1 or s[1] % (bs * bs):
            raise self.error(f"DepthToSpace blocksize {bs} does not fit {list(s)}")
        n, c, h, w = s
        return [typed([n, c // (bs * bs), h * bs, w * bs], self.input.type)]

    def evaluate(self, x):
        bs, mode = self.attr("blocksize"), self.attr("mode")
        n, c, h, w = x.shape
        if mode == "DCR":
            y = x.reshape(n, bs, bs, c // bs**2, h, w).transpose(0, 3, 4, 1, 5, 2)
        elif mode == "CRD":
            y = x.reshape(n, c // bs**2, bs, bs, h, w).transpose(0, 1, 4, 2, 5, 3)
        else:
            raise self.error(f"DepthToSpace mode '{mode}' is not DCR or CRD")
        return [np.ascontiguousarray(y.reshape(n, c // bs**2, h * bs, w * bs))]


@irdl_op_definition
class SpaceToDepthOp(OnnxOp):
    name = "onnx.SpaceToDepth"
    OPSETS: ClassVar[tuple[int, int]] = (1, MAX_OPSET)
    traits = traits_def(DataMovement(operands=(0,)), PerItem())
    input = operand_def()
    output = result_def()
    blocksize = opt_prop_def(IntegerAttr)
    mode = str_prop("DCR")  # SpaceToDepth-28; before it, always the DCR order

    def infer_types(self):
        s = self.in_shape(0)
        if s is None:
            return None
        bs = self.attr("blocksize")
        if self.attr("mode") not in ("DCR", "CRD"):
            raise self.error(f"SpaceToDepth mode '{self.attr('mode')}' is not DCR or CRD")
        if len(s) != 4 or bs is None or bs < 1 or s[2] % bs or s[3] % bs:
            raise self.error(f"SpaceToDepth blocksize {bs} does not fit {list(s)}")
        n, c, h, w = s
        return [typed([n, c * bs * bs, h // bs, w // bs], self.input.type)]

    def evaluate(self, x):
        bs = self.attr("blocksize")
        n, c, h, w = x.shape
        # output channel (sh·bs + sw)·C + c for DCR, c·bs² + sh·bs + sw for CRD
        order = (0, 3, 5, 1, 2, 4) if self.attr("mode") == "DCR" else (0, 1, 3, 5, 2, 4)
        y = x.reshape(n, c, h // bs, bs, w // bs, bs).transpose(*order)
        return [np.ascontiguousarray(y.reshape(n, c * bs * bs, h // bs, w // bs))]


OPS = [
    ReshapeOp, FlattenOp, SqueezeOp, UnsqueezeOp, TransposeOp,
    ConcatOp, SplitOp, SliceOp,
    ShapeOp, SizeOp, ConstantOfShapeOp, RangeOp, NonZeroOp,
    GatherOp, GatherElementsOp, ScatterNDOp, ExpandOp, TileOp, PadOp,
    DepthToSpaceOp, SpaceToDepthOp,
]  # fmt: skip

__all__ = [cls.__name__ for cls in OPS] + ["reshape_shape", "slice_ranges", "pad_amounts", "split_sizes"]

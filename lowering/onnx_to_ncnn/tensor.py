"""onnx → ncnn: reshapes, Transpose, Concat, Split, Slice, Pad, Tile, DepthToSpace, SpaceToDepth.

Every conversion works on the ncnn Mat of its operands (`mat_shape`: the logical shape with
a leading batch of 1 dropped). Two things make that more than renaming axes:

- ncnn layers keep the Mat rank (a Crop of a (3, 4) Mat to one row gives a (1, 4) Mat), but
  the logical result may drop a new leading 1 ((1, 4) → Mat (4,)). When the Mat a layer
  produces differs from `mat_shape` of the logical result, the layer's result gets a
  *carrier* type `(1, *mat)` (whose Mat is exactly `mat`) and a Reshape to the logical
  result follows.
- Size-1 axes carry no data, so a Transpose that only moves them is a Reshape, and the
  dropped batch axis may move as long as the Mat permutation of the other axes exists.

Shape-valued ops (Shape, Gather, ConstantOfShape, Range, …) have no pattern here: they
fold away, or the indexing passes rewrite them before this conversion.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from xdsl.dialects.builtin import TensorType
from xdsl.ir import Attribute, SSAValue

from ncc.dialects.common import static_shape
from ncc.dialects.ncnn import shape as S
from ncc.dialects.ncnn.base import mat_shape
from ncc.dialects.onnx import tensor as T
from ncc.dialects.onnx.base import const_value, norm_axis
from ncc.lowering.dispatch import NoMatch
from ncc.lowering.onnx_to_ncnn.common import LayerBuilder, OnnxToNcnnPattern, static_shapes

# --------------------------------------------------------------------------- helpers


def _shape(b: LayerBuilder, v: SSAValue) -> tuple[int, ...]:
    s = static_shape(v.type)
    if s is None:
        raise NoMatch(f"needs static shapes (got {v.type})")
    return s


# --------------------------------------------------------------------------- reshapes


class ReshapeLikeToReshape(OnnxToNcnnPattern):
    """Reshape, Flatten, Squeeze, Unsqueeze: a C-order reinterpretation → ncnn Reshape to the
    Mat of the result (nothing when the logical shape does not change)."""

    OP = (T.ReshapeOp, T.FlattenOp, T.SqueezeOp, T.UnsqueezeOp)
    REQUIRES = (static_shapes,)  # a C-order reinterpretation: any shape, no Mat axis per axis needed

    def convert(self, op, b: LayerBuilder):
        out = op.out_shape()
        if out is None:
            raise NoMatch("needs a static result shape (run shape inference first)")
        _shape(b, op.operands[0])
        return b.reshape(op.operands[0], out)


# --------------------------------------------------------------------------- Transpose


def mat_permutation(shape: Sequence[int], perm: Sequence[int]) -> tuple[list[int] | None, bool]:
    """How a logical Transpose runs on the Mat: (q, exact). q is a Permute over the input Mat
    axes (None: no data moves, a Reshape suffices). exact: the permuted Mat already equals
    the Mat of the logical result; otherwise a Reshape must follow."""
    shape, perm = tuple(shape), tuple(perm)
    out = tuple(shape[a] for a in perm)
    m_in, m_out = mat_shape(shape), mat_shape(out)
    d_in, d_out = len(shape) - len(m_in), len(out) - len(m_out)
    moving = [a for a in perm if shape[a] != 1]  # only axes with data define the layout
    if moving == sorted(moving):
        return None, False
    if len(m_in) == len(m_out):
        sources = list(perm[d_out:])
        spare = [a for a in range(d_in, len(shape)) if a not in sources]  # all of size 1
        q = [a - d_in if a >= d_in else spare.pop(0) - d_in for a in sources]
        assert tuple(m_in[i] for i in q) == m_out
        return q, True
    slots = [i for i, d in enumerate(m_in) if d != 1]
    q = list(range(len(m_in)))
    for slot, a in zip(slots, moving, strict=True):
        q[slot] = a - d_in
    return q, False


class TransposeToPermute(OnnxToNcnnPattern):
    OP = T.TransposeOp

    def convert(self, op: T.TransposeOp, b: LayerBuilder):
        x = op.data
        s = _shape(b, x)
        out = tuple(s[a] for a in op.permutation(len(s)))
        q, exact = mat_permutation(s, op.permutation(len(s)))
        if q is None:
            return b.settle(x, out)
        m_in = mat_shape(s)
        m_perm = [m_in[i] for i in q]
        t = op.transposed.type if exact else b.carrier(op.transposed.type, m_perm)
        y = b.layer(S.PermuteOp, [x], t, {"order_type": S.permute_order_type(q)})
        return b.settle(y, out)


# --------------------------------------------------------------------------- Concat / Split


class ConcatToConcat(OnnxToNcnnPattern):
    OP = T.ConcatOp

    def convert(self, op: T.ConcatOp, b: LayerBuilder):
        out = op.out_shape()
        if out is None:
            raise NoMatch("needs a static result shape")
        a = norm_axis(op.attr("axis"), len(out), op)
        # ncnn has no empty Mats; empty inputs contribute nothing
        inputs = [v for v in op.inputs if 0 not in _shape(b, v)]
        if not inputs:
            raise NoMatch("all inputs are empty")
        if len(inputs) == 1:
            return b.settle(inputs[0], out)
        m_out = mat_shape(out)
        dropped = len(out) - len(m_out)
        if a < dropped:
            raise NoMatch(f"concatenates along the batch axis into {list(out)}")
        inputs = [b.read_rank(v, len(m_out)) for v in inputs]
        return b.layer(S.ConcatOp, inputs, op.concat_result.type, {"axis": a - dropped})


class SplitToSlice(OnnxToNcnnPattern):
    OP = T.SplitOp

    def convert(self, op: T.SplitOp, b: LayerBuilder):
        x = op.input
        s = _shape(b, x)
        sizes = op.sizes(s)
        if sizes is None:
            raise NoMatch("Split sizes must be constants")
        if len(sizes) == 1:
            return [x]
        if 0 in sizes:
            raise NoMatch(f"Split into {sizes} gives an empty output, which ncnn cannot hold")
        a = norm_axis(op.attr("axis"), len(s), op)
        axis = b.axis(a, shape=s)
        m_in = mat_shape(s)
        types, outs = [], []
        for n, r in zip(sizes, op.outputs, strict=True):
            mat = list(m_in)
            mat[axis] = n
            logical = _shape(b, r)
            types.append(b.result_type(r.type, mat, logical))
            outs.append(logical)
        ys = b.layer(S.SliceOp, [x], types, {"slices": sizes, "axis": axis})
        return [b.settle(y, o) for y, o in zip(ys, outs, strict=True)]


# --------------------------------------------------------------------------- Slice → Crop


def _crop(
    b: LayerBuilder, x: SSAValue, ranges: Sequence[tuple[int, int]], result: Attribute
) -> SSAValue:
    """Crop `x` to [start, end) per logical axis (full ranges skipped) as a value of the
    logical type `result`."""
    s = _shape(b, x)
    out = tuple(e - st for st, e in ranges)
    if 0 in out:
        raise NoMatch(f"gives an empty tensor {list(out)}, which ncnn cannot hold")
    starts, ends, axes = [], [], []
    m = list(mat_shape(s))
    for ax, ((st, e), d) in enumerate(zip(ranges, s, strict=True)):
        if (st, e) == (0, d):
            continue
        ma = b.axis(ax, shape=s)
        # 0 < e ≤ d here: ncnn reads an end of 0 as "to the end", which never occurs
        starts.append(st)
        ends.append(e)
        axes.append(ma)
        m[ma] = e - st
    if not axes:
        return b.settle(x, out)
    y = b.layer(
        S.CropOp, [x], b.result_type(result, m, out), {"starts": starts, "ends": ends, "axes": axes}
    )
    return b.settle(y, out)


class SliceToCrop(OnnxToNcnnPattern):
    """A unit-step Slice → Crop. Other steps need the strided-slice lowering first."""

    OP = T.SliceOp

    def convert(self, op: T.SliceOp, b: LayerBuilder):
        r = op.ranges()
        if r is None:
            raise NoMatch("Slice starts/ends/axes/steps must be constants")
        steps = sorted({st for _, _, st in r})
        if steps != [1]:
            raise NoMatch(
                f"Slice with steps {[st for _, _, st in r]} has no ncnn Crop form "
                "(strided slices must be lowered by another pass first)"
            )
        return _crop(b, op.data, [(st, e) for st, e, _ in r], op.output.type)


# --------------------------------------------------------------------------- Pad → Padding

_PAD_TYPES = {"constant": 0, "edge": 1, "reflect": 2}


class PadToPadding(OnnxToNcnnPattern):
    """Pad → Padding (constant / edge / reflect); negative pads become a Crop first.
    Padding reaches w, h and the third Mat axis from the end (c of a 3-D Mat, d of a 4-D
    one). A constant pad of the c axis of a 4-D Mat (or of a batch axis that grows) becomes
    a Concat with constant MemoryData blocks instead."""

    OP = T.PadOp

    def convert(self, op: T.PadOp, b: LayerBuilder):
        x = op.data
        s = _shape(b, x)
        amounts = op.amounts(len(s))
        if amounts is None:
            raise NoMatch("Pad pads/axes must be constants")
        mode = op.attr("mode")
        if mode not in _PAD_TYPES:
            raise NoMatch(f"Pad mode '{mode}' has no ncnn Padding form")
        value = 0.0
        if mode == "constant" and op.has_input(2):
            v = op.in_const(2)
            if v is None:
                raise NoMatch("Pad constant_value must be a constant")
            if np.asarray(v).size:
                value = float(np.asarray(v).reshape(-1)[0])
        out = _shape(b, op.output)

        # crop the negative parts
        if any(p < 0 for pair in amounts for p in pair):
            ranges = [(max(-pb, 0), d - max(-pe, 0)) for d, (pb, pe) in zip(s, amounts, strict=True)]
            cropped = tuple(e - st for st, e in ranges)
            x = _crop(b, x, ranges, TensorType(op.output.type.element_type, list(cropped)))
            s = cropped
            amounts = [(max(pb, 0), max(pe, 0)) for pb, pe in amounts]
        if not any(p for pair in amounts for p in pair):
            return b.settle(x, out)

        # axes Padding reaches (from the end of the Mat: w, h, c of 3-D / d of 4-D)
        names = {1: ("left", "right"), 2: ("top", "bottom"), 3: ("front", "behind")}
        m = list(mat_shape(s))
        rank = len(m)
        dropped = len(s) - rank
        params: dict[str, int | float] = {}
        by_concat: list[int] = []
        padded = list(s)
        for ax, ((pb, pe), d) in enumerate(zip(amounts, s, strict=True)):
            if not (pb or pe):
                continue
            from_end = rank - (ax - dropped)
            if ax < dropped or from_end not in names:
                if mode != "constant":
                    raise NoMatch(
                        f"pads axis {ax} of {list(s)} in mode '{mode}': ncnn Padding cannot pad the "
                        "channel axis of a 4-D Mat or a batch axis"
                    )
                by_concat.append(ax)
                continue
            if mode == "reflect" and max(pb, pe) >= d:
                raise NoMatch(f"reflect pads {pb},{pe} must be smaller than the dim {d}")
            lo, hi = names[from_end]
            params[lo], params[hi] = pb, pe
            m[ax - dropped] = d + pb + pe
            padded[ax] = d + pb + pe
        if params:
            params["type"] = _PAD_TYPES[mode]
            if mode == "constant" and value != 0.0:
                params["value"] = value
            step = tuple(padded)
            x = b.layer(S.PaddingOp, [x], b.result_type(op.output.type, m, step), params)
            x = b.settle(x, step)
            s = step
        for ax in by_concat:
            x, s = _pad_by_concat(b, x, s, ax, amounts[ax], value, op.output.type)
        return b.settle(x, out)


def _pad_by_concat(
    b: LayerBuilder, x: SSAValue, s: tuple[int, ...], axis: int, amount: tuple[int, int], value: float, like
) -> tuple[SSAValue, tuple[int, ...]]:
    """Constant blocks concatenated before/after `x` along logical `axis`."""
    out = list(s)
    out[axis] = s[axis] + amount[0] + amount[1]
    m_out = mat_shape(out)
    rank = len(m_out)
    parts = []
    for n, where in ((amount[0], "before"), (amount[1], "after")):
        if n:
            shape = list(s)
            shape[axis] = n
            logical = shape if len(mat_shape(shape)) == rank else [1, *shape]
            parts.append((where, b.memory_data(np.full(shape, value, np.float32), logical)))
    body = b.read_rank(x, rank)
    inputs = [v for w, v in parts if w == "before"] + [body] + [v for w, v in parts if w == "after"]
    t = TensorType(like.element_type, out)
    y = b.layer(S.ConcatOp, inputs, t, {"axis": axis - (len(out) - rank)})
    return y, tuple(out)


# --------------------------------------------------------------------------- Tile


class TileToTile(OnnxToNcnnPattern):
    """Tile → ncnn Tile with numpy-style `repeats` over the Mat axes (the input is lifted to
    the output's Mat rank when a leading 1 it drops is repeated into a real axis)."""

    OP = T.TileOp

    def convert(self, op: T.TileOp, b: LayerBuilder):
        x = op.input
        s, out = _shape(b, x), _shape(b, op.output)
        m_out = mat_shape(out)
        rank = len(m_out)
        reps = [o // i for o, i in zip(out[len(out) - rank :], s[len(s) - rank :], strict=True)]
        if all(r == 1 for r in reps):
            return b.settle(x, out)
        x = b.read_rank(x, rank)
        return b.layer(S.TileOp, [x], op.output.type, {"repeats": reps})


# --------------------------------------------------------------------------- DepthToSpace / SpaceToDepth


def _chw(b: LayerBuilder, v: SSAValue) -> tuple[int, ...]:
    s = _shape(b, v)
    if len(s) != 4 or s[0] != 1:
        raise NoMatch(f"needs a (1, C, H, W) input for ncnn's 3-D layer, got {list(s)}")
    return s


class DepthToSpaceToPixelShuffle(OnnxToNcnnPattern):
    OP = T.DepthToSpaceOp

    def convert(self, op: T.DepthToSpaceOp, b: LayerBuilder):
        _chw(b, op.input)
        mode = {"CRD": 0, "DCR": 1}.get(op.attr("mode"))
        if mode is None:
            raise NoMatch(f"DepthToSpace mode '{op.attr('mode')}' is not DCR or CRD")
        params = {"upscale_factor": op.attr("blocksize"), "mode": mode}
        return b.layer(S.PixelShuffleOp, [op.input], op.output.type, params)


class SpaceToDepthToReorg(OnnxToNcnnPattern):
    OP = T.SpaceToDepthOp

    def convert(self, op: T.SpaceToDepthOp, b: LayerBuilder):
        _chw(b, op.input)
        # Reorg mode 1 orders output channels (sh·s + sw)·C + c (ONNX DCR), mode 0
        # c·s² + sh·s + sw (CRD, SpaceToDepth-28)
        mode = {"CRD": 0, "DCR": 1}.get(op.attr("mode"))
        if mode is None:
            raise NoMatch(f"SpaceToDepth mode '{op.attr('mode')}' is not DCR or CRD")
        params = {"stride": op.attr("blocksize"), "mode": mode}
        return b.layer(S.ReorgOp, [op.input], op.output.type, params)


PATTERNS = [
    ReshapeLikeToReshape(),
    TransposeToPermute(),
    ConcatToConcat(),
    SplitToSlice(),
    SliceToCrop(),
    PadToPadding(),
    TileToTile(),
    DepthToSpaceToPixelShuffle(),
    SpaceToDepthToReorg(),
]

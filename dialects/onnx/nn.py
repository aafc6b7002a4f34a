"""Neural-network ONNX ops: convolution, pooling, linear algebra, normalisation, resize.

The geometry of the spatial ops (resolved pads, output sizes) is computed once here, by
methods that both `infer_types` and the ncnn lowering call, so the shape rule and the params
the lowering writes cannot disagree.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from xdsl.dialects.builtin import (
    DenseArrayBase,
    FloatAttr,
    IntegerAttr,
    StringAttr,
    f32,
    i64,
)
from xdsl.ir import Attribute
from xdsl.irdl import (
    irdl_op_definition,
    operand_def,
    opt_prop_def,
    opt_result_def,
    prop_def,
    result_def,
    var_operand_def,
    traits_def,
    var_result_def,
)

from ncc.dialects.common import static_shape
from ncc.dialects.onnx.base import (
    OnnxOp,
    float_prop,
    int_prop,
    norm_axis,
    same_as_input,
    str_prop,
    typed,
)
from ncc.dialects.onnx.traits import FrameLocal, Image
from ncc.dialects.onnx.versions import (
    CONSUMED_INPUTS,
    MAX_OPSET,
    DropAttrs,
    InferenceOutputsOnly,
    NonSpatialBatchNorm,
    RefuseAttrValues,
    ResizeFromOpset10,
    Upgrade,
    UpsampleHeightWidth,
)

# ----------------------------------------------------------------------------- geometry


@dataclass(frozen=True)
class Window:
    """The resolved geometry of a sliding-window op over the spatial axes (ONNX order:
    outermost spatial axis first). `pads_end` already includes any extra padding that
    ceil_mode needs, so `out[i] = (in[i] + begin + end - extent) // stride + 1` holds exactly;
    `ceil_extra` says how much of `pads_end` is that extension."""

    kernel: tuple[int, ...]
    strides: tuple[int, ...]
    dilations: tuple[int, ...]
    pads_begin: tuple[int, ...]
    pads_end: tuple[int, ...]
    out: tuple[int, ...]
    ceil_extra: tuple[int, ...] = ()


def _ints(values: Sequence[int] | None, n: int, default: int, what: str, op: OnnxOp) -> tuple[int, ...]:
    if values is None or len(values) == 0:
        return (default,) * n
    if len(values) != n:
        raise op.error(f"{what} has {len(values)} values, expected {n}")
    return tuple(int(v) for v in values)


def _same_pads(
    in_: int, stride: int, extent: int, upper: bool
) -> tuple[int, int, int]:
    """(out, begin, end) of auto_pad SAME_UPPER / SAME_LOWER."""
    out = -(-in_ // stride)
    total = max(0, (out - 1) * stride + extent - in_)
    small = total // 2
    return (out, small, total - small) if upper else (out, total - small, small)


def window_geometry(
    op: OnnxOp,
    in_spatial: Sequence[int],
    kernel: Sequence[int],
    *,
    ceil_mode: bool = False,
) -> Window:
    """Resolve strides, dilations, pads and auto_pad of Conv / MaxPool / AveragePool."""
    n = len(in_spatial)
    strides = _ints(op.attr("strides"), n, 1, "strides", op)
    dilations = _ints(op.attr("dilations"), n, 1, "dilations", op)
    pads = op.attr("pads")
    if pads is None or len(pads) == 0:
        pads = [0] * (2 * n)
    if len(pads) != 2 * n:
        raise op.error(f"pads has {len(pads)} values, expected {2 * n}")
    if any(p < 0 for p in pads):
        raise op.error("negative pads are not supported")
    auto_pad = op.attr("auto_pad")
    begin, end, out, extra = [], [], [], []
    for i in range(n):
        extent = dilations[i] * (kernel[i] - 1) + 1
        if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
            o, pb, pe = _same_pads(in_spatial[i], strides[i], extent, auto_pad == "SAME_UPPER")
        elif auto_pad == "VALID":
            pb = pe = 0
            o = (in_spatial[i] - extent) // strides[i] + 1
        elif auto_pad == "NOTSET":
            pb, pe = int(pads[i]), int(pads[i + n])
            span = in_spatial[i] + pb + pe - extent
            if ceil_mode:
                o = -(-span // strides[i]) + 1
                # the last window must start inside the input or the begin padding
                if (o - 1) * strides[i] >= in_spatial[i] + pb:
                    o -= 1
            else:
                o = span // strides[i] + 1
        else:
            raise op.error(f"unknown auto_pad '{auto_pad}'")
        if o < 1:
            raise op.error(f"spatial axis {i}: window of extent {extent} does not fit input {in_spatial[i]}")
        # pad the end so that a floor division gives `o` (ceil_mode's partial window)
        need = (o - 1) * strides[i] + extent - (in_spatial[i] + pb + pe)
        ext = max(0, need)
        begin.append(pb)
        end.append(pe + ext)
        out.append(o)
        extra.append(ext)
    return Window(
        tuple(int(k) for k in kernel), strides, dilations, tuple(begin), tuple(end), tuple(out), tuple(extra)
    )


# ----------------------------------------------------------------------------- conv


def depth1_window(op: OnnxOp) -> dict[str, DenseArrayBase]:
    """Kernel, stride, dilation and pads of a 2-D window op extended with a depth of 1."""
    props = {}
    for key in ("kernel_shape", "strides", "dilations"):
        v = op.attr(key)
        if v is not None:
            props[key] = DenseArrayBase.from_list(i64, [1, *v])
    pads = op.attr("pads")
    if pads is not None:
        half = len(pads) // 2
        props["pads"] = DenseArrayBase.from_list(i64, [0, *pads[:half], 0, *pads[half:]])
    return props


def _conv_depth1_form(op: OnnxOp) -> tuple[dict[int, np.ndarray], dict[str, DenseArrayBase]]:
    w = op.in_const(1)
    if w is None:
        raise op.error("the weight must be a constant to place a batch of frames")
    return {1: w[:, :, None]}, depth1_window(op)


@irdl_op_definition
class ConvOp(OnnxOp):
    """Conv(X, W, B?): X (N, C, D1..Dn), W (M, C/group, k1..kn)."""

    name = "onnx.Conv"
    OPSETS: ClassVar[tuple[int, int]] = (1, MAX_OPSET)
    traits = traits_def(Image(per_channel=(1, 2), group="group", depth_form=True))
    X = operand_def()
    W = operand_def()
    B = operand_def()
    Y = result_def()
    auto_pad = str_prop('NOTSET')
    dilations = opt_prop_def(DenseArrayBase)
    group = int_prop(1)
    kernel_shape = opt_prop_def(DenseArrayBase)
    pads = opt_prop_def(DenseArrayBase)
    strides = opt_prop_def(DenseArrayBase)

    def depth1_form(self, frames: int) -> tuple[dict[int, np.ndarray], dict[str, Attribute]]:
        """The per-frame 3-D form (`Image.depth_form`): the weight with a depth axis of 1."""
        return _conv_depth1_form(self)

    def kernel(self) -> tuple[int, ...]:
        w = self.in_shape(1)
        ks = self.attr("kernel_shape")
        if ks:
            if w is not None and tuple(ks) != tuple(w[2:]):
                raise self.error(f"kernel_shape {list(ks)} does not match weight shape {list(w)}")
            return tuple(int(k) for k in ks)
        if w is None:
            raise self.error("the weight has no static shape")
        return tuple(w[2:])

    def geometry(self) -> Window:
        x = self.in_shape(0)
        if x is None:
            raise self.error("the input has no static shape")
        return window_geometry(self, x[2:], self.kernel())

    def infer_types(self):
        x, w = self.in_shape(0), self.in_shape(1)
        if x is None or w is None:
            return None
        if len(x) < 3 or len(w) != len(x):
            raise self.error(f"input rank {len(x)} and weight rank {len(w)} do not form a convolution")
        group = self.attr("group")
        if x[1] != w[1] * group:
            raise self.error(f"input channels {x[1]} != weight channels {w[1]} x group {group}")
        if w[0] % group:
            raise self.error(f"output channels {w[0]} not divisible by group {group}")
        g = self.geometry()
        return [typed((x[0], w[0], *g.out), self.X.type)]


@irdl_op_definition
class ConvTransposeOp(OnnxOp):
    """ConvTranspose(X, W, B?): X (N, C, D1..Dn), W (C, M/group, k1..kn)."""

    name = "onnx.ConvTranspose"
    OPSETS: ClassVar[tuple[int, int]] = (11, MAX_OPSET)
    UPGRADES: ClassVar[tuple[Upgrade, ...]] = (
        RefuseAttrValues(
            before=11, name="auto_pad", values=("SAME_UPPER", "SAME_LOWER"),
            why="put the odd padding on the other side (ONNX changed the rule at 11)",
        ),
    )
    traits = traits_def(Image(per_channel=(1, 2), group="group", depth_form=True))
    X = operand_def()
    W = operand_def()
    B = operand_def()
    Y = result_def()
    auto_pad = str_prop('NOTSET')
    dilations = opt_prop_def(DenseArrayBase)
    group = int_prop(1)
    kernel_shape = opt_prop_def(DenseArrayBase)
    output_padding = opt_prop_def(DenseArrayBase)
    output_shape = opt_prop_def(DenseArrayBase)
    pads = opt_prop_def(DenseArrayBase)
    strides = opt_prop_def(DenseArrayBase)

    def depth1_form(self, frames: int) -> tuple[dict[int, np.ndarray], dict[str, Attribute]]:
        """The per-frame 3-D form (`Image.depth_form`): the weight with a depth axis of 1; an
        explicit output size gets the depth `frames`, an output padding 0 along it."""
        replaced, props = _conv_depth1_form(self)
        for key in ("output_padding", "output_shape"):
            v = self.attr(key)
            if v is not None:
                props[key] = DenseArrayBase.from_list(i64, [0 if key == "output_padding" else frames, *v])
        return replaced, props

    def geometry(self) -> Window:
        """The window; `out` is the output size after cropping pads, and `ceil_extra` holds
        output_padding (added at the end before the crop)."""
        x, w = self.in_shape(0), self.in_shape(1)
        if x is None or w is None:
            raise self.error("input and weight need static shapes")
        n = len(x) - 2
        kernel = tuple(self.attr("kernel_shape") or w[2:])
        strides = _ints(self.attr("strides"), n, 1, "strides", self)
        dilations = _ints(self.attr("dilations"), n, 1, "dilations", self)
        opad = _ints(self.attr("output_padding"), n, 0, "output_padding", self)
        pads = self.attr("pads") or [0] * (2 * n)
        if len(pads) != 2 * n:
            raise self.error(f"pads has {len(pads)} values, expected {2 * n}")
        out_shape = self.attr("output_shape")
        if out_shape and len(out_shape) == n + 2:
            out_shape = out_shape[2:]
        auto_pad = self.attr("auto_pad")
        begin, end, out = [], [], []
        for i in range(n):
            extent = dilations[i] * (kernel[i] - 1) + 1
            full = strides[i] * (x[2 + i] - 1) + opad[i] + extent
            if out_shape:
                target = int(out_shape[i])
            elif auto_pad in ("SAME_UPPER", "SAME_LOWER"):
                target = x[2 + i] * strides[i]
            else:
                target = None
            if target is None:
                pb, pe = int(pads[i]), int(pads[i + n])
            else:
                total = full - target
                if total < 0:
                    raise self.error(f"output_shape {target} is larger than the full output {full}")
                if auto_pad == "SAME_UPPER":
                    pb, pe = total // 2, total - total // 2
                else:
                    pb, pe = total - total // 2, total // 2
            if pb < 0 or pe < 0:
                raise self.error("negative pads are not supported")
            begin.append(pb)
            end.append(pe)
            out.append(full - pb - pe)
        return Window(tuple(kernel), strides, dilations, tuple(begin), tuple(end), tuple(out), opad)

    def infer_types(self):
        x, w = self.in_shape(0), self.in_shape(1)
        if x is None or w is None:
            return None
        if len(x) < 3 or len(w) != len(x):
            raise self.error(f"input rank {len(x)} and weight rank {len(w)} do not form a convolution")
        group = self.attr("group")
        if x[1] != w[0]:
            raise self.error(f"input channels {x[1]} != weight dim 0 {w[0]}")
        if x[1] % group:
            raise self.error(f"input channels {x[1]} not divisible by group {group}")
        g = self.geometry()
        return [typed((x[0], w[1] * group, *g.out), self.X.type)]


@irdl_op_definition
class Col2ImOp(OnnxOp):
    """Col2Im(input (N, C*prod(block), L), image_shape, block_shape) → (N, C, *image_shape):
    sums each column's block back into the image (torch's F.fold)."""

    name = "onnx.Col2Im"
    OPSETS: ClassVar[tuple[int, int]] = (18, MAX_OPSET)
    input = operand_def()
    image_shape = operand_def()
    block_shape = operand_def()
    output = result_def()
    dilations = opt_prop_def(DenseArrayBase)
    pads = opt_prop_def(DenseArrayBase)
    strides = opt_prop_def(DenseArrayBase)

    def infer_types(self):
        x, image, block = self.in_shape(0), self.in_const(1), self.in_const(2)
        if x is None or image is None or block is None:
            return None
        if len(x) != 3:
            raise self.error(f"input rank {len(x)}, expected 3")
        k = int(np.prod(block))
        if x[1] % k:
            raise self.error(f"input channels {x[1]} are not a multiple of the block size {k}")
        return [typed((x[0], x[1] // k, *(int(d) for d in image)), self.input.type)]


# ----------------------------------------------------------------------------- pooling


class PoolOp(OnnxOp):
    """MaxPool / AveragePool over the spatial axes of X (N, C, D1..Dn). Subclasses declare
    X and Y themselves: IRDL orders a subclass's own fields before inherited ones, and
    MaxPool's optional Indices must come after Y."""
    traits = traits_def(Image(depth_form=True))

    def depth1_form(self, frames: int) -> tuple[dict[int, np.ndarray], dict[str, Attribute]]:
        """The per-frame 3-D form (`Image.depth_form`): a window of depth 1."""
        return {}, depth1_window(self)

    auto_pad = str_prop('NOTSET')
    ceil_mode = int_prop(0)
    dilations = opt_prop_def(DenseArrayBase)
    kernel_shape = opt_prop_def(DenseArrayBase)
    pads = opt_prop_def(DenseArrayBase)
    strides = opt_prop_def(DenseArrayBase)

    def geometry(self) -> Window:
        x = self.in_shape(0)
        if x is None:
            raise self.error("the input has no static shape")
        ks = self.attr("kernel_shape")
        if not ks or len(ks) != len(x) - 2:
            raise self.error(f"kernel_shape {ks} does not match input rank {len(x)}")
        return window_geometry(self, x[2:], ks, ceil_mode=bool(self.attr("ceil_mode")))

    def infer_types(self):
        x = self.in_shape(0)
        if x is None:
            return None
        if len(x) < 3:
            raise self.error(f"input rank {len(x)} is too small for pooling")
        g = self.geometry()
        return [typed((x[0], x[1], *g.out), self.X.type)]


@irdl_op_definition
class MaxPoolOp(PoolOp):
    name = "onnx.MaxPool"
    OPSETS: ClassVar[tuple[int, int]] = (1, MAX_OPSET)
    X = operand_def()
    Y = result_def()
    Indices = opt_result_def()
    storage_order = int_prop(0)

    def infer_types(self):
        t = super().infer_types()
        if t is None:
            return None
        if self.Indices is not None:
            from xdsl.dialects.builtin import i64

            t = [t[0], typed(static_shape(t[0]), i64)]
        return t


@irdl_op_definition
class AveragePoolOp(PoolOp):
    name = "onnx.AveragePool"
    OPSETS: ClassVar[tuple[int, int]] = (1, MAX_OPSET)
    X = operand_def()
    Y = result_def()
    count_include_pad = int_prop(0)


class GlobalPoolOp(OnnxOp):
    traits = traits_def(Image())
    X = operand_def()
    Y = result_def()
    REDUCE: ClassVar[str] = "mean"

    def infer_types(self):
        x = self.in_shape(0)
        if x is None:
            return None
        if len(x) < 3:
            raise self.error(f"input rank {len(x)} is too small for global pooling")
        return [typed((x[0], x[1]) + (1,) * (len(x) - 2), self.X.type)]

    def evaluate(self, x):
        axes = tuple(range(2, x.ndim))
        f = np.mean if self.REDUCE == "mean" else np.max
        return [f(x, axis=axes, keepdims=True).astype(x.dtype)]


@irdl_op_definition
class GlobalAveragePoolOp(GlobalPoolOp):
    name = "onnx.GlobalAveragePool"
    OPSETS: ClassVar[tuple[int, int]] = (1, MAX_OPSET)
    REDUCE: ClassVar[str] = "mean"


@irdl_op_definition
class GlobalMaxPoolOp(GlobalPoolOp):
    name = "onnx.GlobalMaxPool"
    OPSETS: ClassVar[tuple[int, int]] = (1, MAX_OPSET)
    REDUCE: ClassVar[str] = "max"


# ----------------------------------------------------------------------------- linear


@irdl_op_definition
class GemmOp(OnnxOp):
    """Y = alpha * op(A) @ op(B) + beta * C, A and B 2-D, C broadcast onto (M, N)."""

    name = "onnx.Gemm"
    OPSETS: ClassVar[tuple[int, int]] = (7, MAX_OPSET)
    UPGRADES: ClassVar[tuple[Upgrade, ...]] = (DropAttrs(before=7, names=("broadcast",)),)
    traits = traits_def(FrameLocal(frames=(0,)))
    A = operand_def()
    B = operand_def()
    C = operand_def()
    Y = result_def()
    alpha = float_prop(1.0)
    beta = float_prop(1.0)
    transA = int_prop(0)
    transB = int_prop(0)

    def satisfies(self, trait) -> bool:
        if isinstance(trait, FrameLocal):
            return not self.attr("transA")  # rows of A are the frames
        return True

    def mnk(self) -> tuple[int, int, int] | None:
        a, b = self.in_shape(0), self.in_shape(1)
        if a is None or b is None:
            return None
        if len(a) != 2 or len(b) != 2:
            raise self.error(f"Gemm needs 2-D A and B, got {list(a)} and {list(b)}")
        m, k = (a[1], a[0]) if self.attr("transA") else a
        kb, n = (b[1], b[0]) if self.attr("transB") else b
        if k != kb:
            raise self.error(f"inner dimensions {k} and {kb} differ")
        return m, n, k

    def infer_types(self):
        mnk = self.mnk()
        if mnk is None:
            return None
        m, n, _ = mnk
        if self.has_input(2):
            c = self.in_shape(2)
            if c is None:
                return None
            try:
                if np.broadcast_shapes(c, (m, n)) != (m, n):
                    raise ValueError
            except ValueError:
                raise self.error(f"C of shape {list(c)} does not broadcast to {[m, n]}") from None
        return [typed((m, n), self.A.type)]

    def evaluate(self, a, b, c):
        if self.attr("transA"):
            a = a.T
        if self.attr("transB"):
            b = b.T
        y = self.attr("alpha") * (a @ b)
        if c is not None:
            y = y + self.attr("beta") * c
        return [y.astype(a.dtype)]


def matmul_shape(a: Sequence[int], b: Sequence[int]) -> tuple[int, ...] | None:
    """numpy matmul result shape; None when the shapes do not match."""
    a, b = tuple(a), tuple(b)
    if len(a) == 0 or len(b) == 0:
        return None
    a2 = (1,) + a if len(a) == 1 else a
    b2 = b + (1,) if len(b) == 1 else b
    if a2[-1] != b2[-2]:
        return None
    try:
        batch = tuple(np.broadcast_shapes(a2[:-2], b2[:-2]))
    except ValueError:
        return None
    out = batch + (a2[-2], b2[-1])
    if len(a) == 1:
        out = out[:-2] + out[-1:]
    if len(b) == 1:
        out = out[:-1]
    return out


@irdl_op_definition
class MatMulOp(OnnxOp):
    name = "onnx.MatMul"
    OPSETS: ClassVar[tuple[int, int]] = (1, MAX_OPSET)
    traits = traits_def(FrameLocal(frames=(0,)))
    A = operand_def()
    B = operand_def()
    Y = result_def()

    def infer_types(self):
        a, b = self.in_shape(0), self.in_shape(1)
        if a is None or b is None:
            return None
        out = matmul_shape(a, b)
        if out is None:
            raise self.error(f"shapes {list(a)} and {list(b)} cannot be multiplied")
        return [typed(out, self.A.type)]

    def evaluate(self, a, b):
        return [np.matmul(a, b).astype(a.dtype)]


def parse_einsum(equation: str, shapes: Sequence[Sequence[int]]) -> tuple[list[str], str] | None:
    """The operand subscripts and the output subscript of an Einsum equation, with `...`
    replaced by fresh letters (right-aligned, as numpy broadcasts it) and the implicit output
    (`ij,jk` → the letters seen once, sorted) made explicit; None for a malformed equation."""
    eq = equation.replace(" ", "")
    lhs, arrow, out = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        return None
    used = set(eq) - set(".,->")
    fresh = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in used]
    ell_rank = max((len(sh) - len(t.replace("...", "")) for t, sh in zip(terms, shapes) if "..." in t), default=0)
    ell = "".join(fresh[:ell_rank])
    subs = []
    for t, sh in zip(terms, shapes):
        if "..." in t:
            n = len(sh) - len(t.replace("...", ""))
            t = t.replace("...", ell[ell_rank - n :] if n else "")
        if len(t) != len(sh) or not t.isalpha():
            return None
        subs.append(t)
    if arrow:
        out = out.replace("...", ell)
    else:
        counts = {c: sum(s.count(c) for s in subs) for c in set("".join(subs))}
        out = ell + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ell))
    if not out.isalpha() and out != "":
        return None
    return subs, out


@irdl_op_definition
class EinsumOp(OnnxOp):
    """Einstein summation over any number of inputs; `onnx-canonicalize` rewrites the
    matmul / transpose / reduction equations into MatMul, Transpose and ReduceSum."""

    name = "onnx.Einsum"
    OPSETS: ClassVar[tuple[int, int]] = (12, MAX_OPSET)
    Inputs = var_operand_def()
    Output = result_def()
    equation = prop_def(StringAttr)

    def subscripts(self) -> tuple[list[str], str] | None:
        shapes = [static_shape(v.type) for v in self.Inputs]
        if any(s is None for s in shapes):
            return None
        parsed = parse_einsum(self.attr("equation"), shapes)
        if parsed is None:
            raise self.error(f"malformed equation '{self.attr('equation')}' for inputs {shapes}")
        return parsed

    def infer_types(self):
        parsed = self.subscripts()
        if parsed is None:
            return None
        subs, out = parsed
        size: dict[str, int] = {}
        for sub, v in zip(subs, self.Inputs):
            for c, d in zip(sub, static_shape(v.type)):
                if size.get(c, 1) != 1 and d not in (1, size[c]):
                    raise self.error(f"index '{c}' has sizes {size[c]} and {d}")
                size[c] = max(size.get(c, 1), d)
        return [typed([size[c] for c in out], self.Inputs[0].type)]

    def evaluate(self, *xs):
        return [np.asarray(np.einsum(self.attr("equation"), *xs)).astype(xs[0].dtype)]


# ----------------------------------------------------------------------------- normalisation


@irdl_op_definition
class BatchNormalizationOp(OnnxOp):
    """Inference-mode BatchNormalization; the training outputs (running mean/var) are
    accepted in the IR but may not be used."""

    name = "onnx.BatchNormalization"
    OPSETS: ClassVar[tuple[int, int]] = (14, MAX_OPSET)
    UPGRADES: ClassVar[tuple[Upgrade, ...]] = (
        DropAttrs(before=7, names=("consumed_inputs", "is_test")),
        NonSpatialBatchNorm(before=9),
        InferenceOutputsOnly(before=14),
    )
    traits = traits_def(Image(per_channel=(1, 2, 3, 4)))
    X = operand_def()
    scale = operand_def()
    B = operand_def()
    input_mean = operand_def()
    input_var = operand_def()
    Y = result_def()
    training_outputs = var_result_def()
    epsilon = float_prop(1e-05)
    momentum = float_prop(0.9)
    training_mode = int_prop(0)

    def infer_types(self):
        x = self.in_shape(0)
        if x is None:
            return None
        if len(x) < 2:
            raise self.error(f"input rank {len(x)} has no channel axis")
        extra = [typed((x[1],), self.X.type)] * len(self.training_outputs)
        return [self.X.type, *extra]

    def evaluate(self, x, scale, b, mean, var):
        if self.attr("training_mode") or len(self.training_outputs):
            return None
        shape = (1, -1) + (1,) * (x.ndim - 2)
        eps = self.attr("epsilon")
        y = (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps)
        y = y * scale.reshape(shape) + b.reshape(shape)
        return [y.astype(x.dtype)]


@irdl_op_definition
class LayerNormalizationOp(OnnxOp):
    """Normalises over axes [axis, rank); Mean and InvStdDev are optional extra results."""

    name = "onnx.LayerNormalization"
    OPSETS: ClassVar[tuple[int, int]] = (17, MAX_OPSET)
    X = operand_def()
    Scale = operand_def()
    B = operand_def()
    Y = result_def()
    stats = var_result_def()
    axis = int_prop(-1)
    epsilon = float_prop(1e-05)
    stash_type = int_prop(1)

    def norm_axis(self) -> int:
        x = self.in_shape(0)
        if x is None:
            raise self.error("the input has no static shape")
        return norm_axis(self.attr("axis"), len(x), self)

    def infer_types(self):
        x = self.in_shape(0)
        if x is None:
            return None
        a = self.norm_axis()
        stat = typed(tuple(x[:a]) + (1,) * (len(x) - a), f32)
        return [self.X.type, *([stat] * len(self.stats))]

    def evaluate(self, x, scale, b):
        a = self.norm_axis()
        axes = tuple(range(a, x.ndim))
        xf = x.astype(np.float32)
        mean = xf.mean(axis=axes, keepdims=True)
        var = ((xf - mean) ** 2).mean(axis=axes, keepdims=True)
        inv = 1.0 / np.sqrt(var + self.attr("epsilon"))
        y = (xf - mean) * inv
        if scale is not None:
            y = y * scale
        if b is not None:
            y = y + b
        return [y.astype(x.dtype), mean, inv][: 1 + len(self.stats)]


@irdl_op_definition
class InstanceNormalizationOp(OnnxOp):
    name = "onnx.InstanceNormalization"
    OPSETS: ClassVar[tuple[int, int]] = (6, MAX_OPSET)
    UPGRADES: ClassVar[tuple[Upgrade, ...]] = CONSUMED_INPUTS
    traits = traits_def(Image(per_channel=(1, 2)))
    input = operand_def()
    scale = operand_def()
    B = operand_def()
    output = result_def()
    epsilon = float_prop(1e-05)

    def infer_types(self):
        x = self.in_shape(0)
        if x is not None and len(x) < 3:
            raise self.error(f"input rank {len(x)} has no spatial axes")
        return same_as_input(self)

    def evaluate(self, x, scale, b):
        axes = tuple(range(2, x.ndim))
        shape = (1, -1) + (1,) * (x.ndim - 2)
        mean = x.mean(axis=axes, keepdims=True)
        var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
        y = (x - mean) / np.sqrt(var + self.attr("epsilon"))
        return [(y * scale.reshape(shape) + b.reshape(shape)).astype(x.dtype)]


@irdl_op_definition
class GroupNormalizationOp(OnnxOp):
    """Normalises each of `num_groups` groups of channels over all their elements. Opset 21
    scales per channel (scale, bias of C); opset 18 per group (of num_groups): the operand's
    length tells them apart, and `channel_affine` gives both as per-channel arrays."""

    name = "onnx.GroupNormalization"
    OPSETS: ClassVar[tuple[int, int]] = (18, MAX_OPSET)
    X = operand_def()
    scale = operand_def()
    bias = operand_def()
    Y = result_def()
    num_groups = opt_prop_def(IntegerAttr)
    epsilon = float_prop(1e-05)
    stash_type = int_prop(1)

    def infer_types(self):
        x = self.in_shape(0)
        if x is not None:
            if len(x) < 2:
                raise self.error(f"input rank {len(x)} has no channel axis")
            g = self.attr("num_groups")
            if not g or x[1] % g:
                raise self.error(f"{x[1]} channels do not split into {g} groups")
        return same_as_input(self)

    def channel_affine(self, scale: np.ndarray, bias: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        c, g = self.in_shape(0)[1], self.attr("num_groups")
        scale, bias = np.asarray(scale).reshape(-1), np.asarray(bias).reshape(-1)
        if scale.size == c and bias.size == c:
            return scale, bias
        if scale.size == g and bias.size == g:
            return np.repeat(scale, c // g), np.repeat(bias, c // g)
        raise self.error(f"scale/bias of {scale.size}/{bias.size} values fit neither {c} channels nor {g} groups")

    def evaluate(self, x, scale, bias):
        g = self.attr("num_groups")
        n, c = x.shape[:2]
        xg = x.reshape(n, g, -1).astype(np.float32)
        mean = xg.mean(axis=2, keepdims=True)
        var = ((xg - mean) ** 2).mean(axis=2, keepdims=True)
        y = ((xg - mean) / np.sqrt(var + self.attr("epsilon"))).reshape(x.shape)
        s, b = self.channel_affine(scale, bias)
        shape = (1, c) + (1,) * (x.ndim - 2)
        return [(y * s.reshape(shape) + b.reshape(shape)).astype(x.dtype)]


@irdl_op_definition
class LRNOp(OnnxOp):
    """Local response normalisation across channels: x / (bias + alpha/size · Σ x²)^beta over
    the channels c − ⌊(size−1)/2⌋ … c + ⌈(size−1)/2⌉."""

    name = "onnx.LRN"
    OPSETS: ClassVar[tuple[int, int]] = (1, MAX_OPSET)
    X = operand_def()
    Y = result_def()
    alpha = float_prop(0.0001)
    beta = float_prop(0.75)
    bias = float_prop(1.0)
    size = opt_prop_def(IntegerAttr)

    def infer_types(self):
        x = self.in_shape(0)
        if x is not None and len(x) < 3:
            raise self.error(f"input rank {len(x)} has no spatial axes")
        return same_as_input(self)

    def evaluate(self, x):
        size = self.attr("size")
        lo, hi = (size - 1) // 2, -(-(size - 1) // 2)
        sq = np.square(x)
        c = x.shape[1]
        total = np.zeros_like(x)
        for ch in range(c):
            total[:, ch] = sq[:, max(0, ch - lo) : min(c, ch + hi + 1)].sum(axis=1)
        a, b, k = self.attr("alpha"), self.attr("beta"), self.attr("bias")
        return [(x / (k + a / size * total) ** b).astype(x.dtype)]


# ----------------------------------------------------------------------------- resize


@irdl_op_definition
class ResizeOp(OnnxOp):
    """Resize(X, roi?, scales?, sizes?) in the opset 11+ form (opset 18 attributes kept)."""

    name = "onnx.Resize"
    OPSETS: ClassVar[tuple[int, int]] = (11, MAX_OPSET)
    UPGRADES: ClassVar[tuple[Upgrade, ...]] = (ResizeFromOpset10(before=11, since=10),)
    traits = traits_def(Image(sizes=3))
    X = operand_def()
    roi = operand_def()
    scales = operand_def()
    sizes = operand_def()
    Y = result_def()
    antialias = int_prop(0)
    axes = opt_prop_def(DenseArrayBase)
    coordinate_transformation_mode = str_prop('half_pixel')
    cubic_coeff_a = float_prop(-0.75)
    exclude_outside = int_prop(0)
    extrapolation_value = float_prop(0.0)
    keep_aspect_ratio_policy = str_prop('stretch')
    mode = str_prop('nearest')
    nearest_mode = str_prop('round_prefer_floor')

    def _axes(self, rank: int) -> list[int]:
        axes = self.attr("axes")
        if not axes:
            return list(range(rank))
        return [norm_axis(a, rank, self) for a in axes]

    def resolved(self) -> tuple[tuple[int, ...], tuple[float, ...]] | None:
        """(output shape, per-axis scale used for coordinate mapping), or None while the
        scales/sizes inputs are not constant yet."""
        x = self.in_shape(0)
        if x is None:
            return None
        rank = len(x)
        axes = self._axes(rank)
        scales = self.in_const(2) if self.has_input(2) else None
        sizes = self.in_const(3) if self.has_input(3) else None
        if (self.has_input(2) and scales is None) or (self.has_input(3) and sizes is None):
            return None
        if scales is not None and scales.size == 0:
            scales = None
        if sizes is not None and sizes.size == 0:
            sizes = None
        if (scales is None) == (sizes is None):
            raise self.error("exactly one of scales and sizes must be given")
        out = list(x)
        scale = [1.0] * rank
        if sizes is not None:
            sizes = [int(s) for s in sizes.reshape(-1)]
            if len(sizes) != len(axes):
                raise self.error(f"sizes has {len(sizes)} values for {len(axes)} axes")
            policy = self.attr("keep_aspect_ratio_policy")
            if policy != "stretch":
                ratios = [sizes[i] / x[a] for i, a in enumerate(axes)]
                r = min(ratios) if policy == "not_larger" else max(ratios)
                sizes = [int(round(r * x[a])) for a in axes]
                for i, a in enumerate(axes):
                    scale[a] = r
                    out[a] = sizes[i]
            else:
                for i, a in enumerate(axes):
                    out[a] = sizes[i]
                    scale[a] = float(np.float32(sizes[i]) / np.float32(x[a]))
        else:
            s = [float(v) for v in scales.reshape(-1)]
            if len(s) != len(axes):
                raise self.error(f"scales has {len(s)} values for {len(axes)} axes")
            for i, a in enumerate(axes):
                if s[i] <= 0:
                    raise self.error(f"scale {s[i]} must be positive")
                scale[a] = s[i]
                out[a] = int(math.floor(x[a] * np.float32(s[i])))
        return tuple(out), tuple(scale)

    def infer_types(self):
        r = self.resolved()
        if r is None:
            return None
        return [typed(r[0], self.X.type)]


@irdl_op_definition
class UpsampleOp(OnnxOp):
    """Upsample-1/7/9 (deprecated at opset 10). It never stays in the IR: the importer reads
    it as the Resize it means (asymmetric coordinates; `ResizeFromOpset10`)."""

    name = "onnx.Upsample"
    X = operand_def()
    scales = operand_def()
    Y = result_def()
    mode = opt_prop_def(StringAttr)
    OPSETS: ClassVar[tuple[int, int]] = (7, 9)
    UPGRADES: ClassVar[tuple[Upgrade, ...]] = (UpsampleHeightWidth(before=7), ResizeFromOpset10(before=10))


OPS = [
    ConvOp, ConvTransposeOp, Col2ImOp, MaxPoolOp, AveragePoolOp, GlobalAveragePoolOp, GlobalMaxPoolOp,
    GemmOp, MatMulOp, EinsumOp, BatchNormalizationOp, LayerNormalizationOp, InstanceNormalizationOp,
    ResizeOp, UpsampleOp, GroupNormalizationOp, LRNOp,
]  # fmt: skip

__all__ = [
    "OPS",
    "Window",
    "matmul_shape",
    "parse_einsum",
    "window_geometry",
    *[c.__name__ for c in OPS],
]

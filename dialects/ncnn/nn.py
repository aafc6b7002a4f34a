"""Convolution, pooling, linear, normalisation, resize and reduction layers.

Tables transcribed from ncnn's `src/layer/<layer>.cpp` (`load_param`, `load_model`).

Many ncnn params default to *another param's value* (`kernel_h = pd.get(11, kernel_w)`,
`pad_right = pd.get(15, pad_left)`, ...). Such a param has default `None` here: no static
value equals it, so the emitter always writes it when the lowering sets it. A numeric
default would let the emitter drop e.g. `pad_right=0` when `pad_left=1`, and ncnn would then
read pad_right as 1.
"""

from __future__ import annotations

from fractions import Fraction

from typing import ClassVar

import numpy as np
from xdsl.irdl import irdl_op_definition

from ncc.dialects.ncnn.base import (
    FLOAT,
    FLOATS,
    INTS,
    STR,
    KeepsMat,
    Mat,
    MatRuleError,
    NcnnLayer,
    Param,
    Weight,
    _cdiv,
    mat_axes,
    same_pad,
    window_extent,
)
from ncc.dialects.ncnn.size_expr import fit_size_expr

_ACT = {
    "activation_type": Param(9, 0),
    "activation_params": Param(10, [], FLOATS),
}

# Convolution / ConvolutionDepthWise / Deconvolution* / Convolution3D share these ids.
_CONV_2D = {
    "num_output": Param(0, 0),
    "kernel_w": Param(1, 0),
    "kernel_h": Param(11, None),  # default: kernel_w
    "dilation_w": Param(2, 1),
    "dilation_h": Param(12, None),  # default: dilation_w
    "stride_w": Param(3, 1),
    "stride_h": Param(13, None),  # default: stride_w
    "pad_left": Param(4, 0),  # -233 SAME_UPPER, -234 SAME_LOWER
    "pad_right": Param(15, None),  # default: pad_left
    "pad_top": Param(14, None),  # default: pad_left
    "pad_bottom": Param(16, None),  # default: pad_top
    "bias_term": Param(5, 0),
    "weight_data_size": Param(6, 0),
    **_ACT,
}

_CONV_WEIGHTS = (Weight("weight", True), Weight("bias", False, optional=True))


def _need_dims(layer: NcnnLayer, mat: Mat, *dims: int) -> None:
    if len(mat) not in dims:
        raise MatRuleError(f"{layer.layer_type} takes a {' or '.join(map(str, dims))}-D Mat, got {list(mat)}")


_PAD_DEFAULTS = {
    "pad_right": "pad_left", "pad_top": "pad_left", "pad_bottom": "pad_top",
    "pad_front": "pad_left", "pad_behind": "pad_front",
}  # fmt: skip
_AXIS_PADS = {"w": ("pad_left", "pad_right"), "h": ("pad_top", "pad_bottom"), "d": ("pad_front", "pad_behind")}


def _pad(layer: NcnnLayer, key: str) -> int:
    v = layer.param(key)
    return _pad(layer, _PAD_DEFAULTS[key]) if v is None else v


def _window(layer: NcnnLayer, sizes: dict[str, int], dilated: bool, same: bool) -> dict[str, int]:
    """Output length per spatial axis (w, h[, d]) of a sliding window layer: explicit pads,
    or SAME_UPPER / SAME_LOWER padding (`make_padding`: applied when any axis needs a
    positive pad, then to every axis, even a negative one)."""
    geo = {}
    for a in sizes:
        k = layer.param_or(f"kernel_{a}", "kernel_w")
        s = layer.param_or(f"stride_{a}", "stride_w")
        d = layer.param_or(f"dilation_{a}", "dilation_w") if dilated else 1
        geo[a] = (k, s, d)
    if same:
        totals = {a: same_pad(sizes[a], *geo[a]) for a in sizes}
        if not any(t > 0 for t in totals.values()):
            totals = dict.fromkeys(sizes, 0)
        return {a: window_extent(sizes[a], *geo[a], 0, totals[a]) for a in sizes}
    return {
        a: window_extent(sizes[a], *geo[a], _pad(layer, _AXIS_PADS[a][0]), _pad(layer, _AXIS_PADS[a][1]))
        for a in sizes
    }


class _ConvolutionMat:
    """Convolution / ConvolutionDepthWise (3-D Mat) and Convolution3D (4-D Mat)."""

    SPATIAL: ClassVar[str] = "hw"
    BIAS_AXIS: ClassVar[int] = -3  # the output channels: (c, h, w)

    def infer_mat(self, in_mats: list[Mat]) -> list[Mat] | None:
        x = tuple(in_mats[0])
        _need_dims(self, x, len(self.SPATIAL) + 1)
        sizes = dict(zip(self.SPATIAL[::-1], x[:0:-1], strict=True))
        pads = [_pad(self, k) for ax in self.SPATIAL for k in _AXIS_PADS[ax]]
        same = all(p == -233 for p in pads) or all(p == -234 for p in pads)
        out = _window(self, sizes, dilated=True, same=same)
        return [(self.param("num_output"), *(out[a] for a in self.SPATIAL))]


class _DeconvolutionMat:
    """Deconvolution* : full output (n-1)*stride + extent + output_pad, then cut by the pads,
    or to output_w/h(/d) under SAME_UPPER / SAME_LOWER (`deconvolution.cpp::cut_padding`)."""

    SPATIAL: ClassVar[str] = "hw"
    BIAS_AXIS: ClassVar[int] = -3  # the output channels: (c, h, w)
    OUTPUT_PAD: ClassVar[dict[str, str]] = {"w": "output_pad_right", "h": "output_pad_bottom"}

    def infer_mat(self, in_mats: list[Mat]) -> list[Mat] | None:
        x = tuple(in_mats[0])
        _need_dims(self, x, len(self.SPATIAL) + 1)
        sizes = dict(zip(self.SPATIAL[::-1], x[:0:-1], strict=True))
        full = {}
        for a, n in sizes.items():
            k = self.param_or(f"kernel_{a}", "kernel_w")
            s = self.param_or(f"stride_{a}", "stride_w")
            d = self.param_or(f"dilation_{a}", "dilation_w")
            opad = self.param_or(self.OUTPUT_PAD[a], "output_pad_right")
            full[a] = (n - 1) * s + d * (k - 1) + 1 + opad
        pads = {a: (_pad(self, _AXIS_PADS[a][0]), _pad(self, _AXIS_PADS[a][1])) for a in sizes}
        wanted = {a: self.param_or(f"output_{a}", "output_w") for a in sizes}
        if any(p > 0 for pp in pads.values() for p in pp):
            out = {a: full[a] - sum(pads[a]) for a in sizes}
        elif all(v > 0 for v in wanted.values()) and any(p in (-233, -234) for pp in pads.values() for p in pp):
            out = wanted
        else:
            out = full
        return [(self.param("num_output"), *(out[a] for a in self.SPATIAL))]


class _PoolingMat:
    """`pooling.cpp`: global → (c); adaptive → out_w/h(/d) (-233 keeps the axis); else the
    window over pads by pad_mode (0 full: extra tail pad so the last window fits, 1 valid:
    the given pads, 2 / 3 SAME_UPPER / SAME_LOWER)."""

    SPATIAL: ClassVar[str] = "hw"

    def infer_mat(self, in_mats: list[Mat]) -> list[Mat] | None:
        x = tuple(in_mats[0])
        _need_dims(self, x, len(self.SPATIAL) + 1)
        sizes = dict(zip(self.SPATIAL[::-1], x[:0:-1], strict=True))
        if self.param("global_pooling"):
            return [(x[0],)]
        if self.param("adaptive_pooling"):
            out = {a: self.param_or(f"out_{a}", "out_w") for a in sizes}
            return [(x[0], *(sizes[a] if out[a] == -233 else out[a] for a in self.SPATIAL))]
        mode = self.param("pad_mode")
        if mode in (2, 3):
            out = _window(self, sizes, dilated=False, same=True)
        else:
            out = {}
            for a, n in sizes.items():
                k = self.param_or(f"kernel_{a}", "kernel_w")
                s = self.param_or(f"stride_{a}", "stride_w")
                padded = n + _pad(self, _AXIS_PADS[a][0]) + _pad(self, _AXIS_PADS[a][1])
                if mode == 0:
                    tail = (padded - k) - _cdiv(padded - k, s) * s  # C's %
                    padded += s - tail if tail != 0 else 0
                out[a] = _cdiv(padded - k, s) + 1
        return [(x[0], *(out[a] for a in self.SPATIAL))]


@irdl_op_definition
class ConvolutionOp(_ConvolutionMat, NcnnLayer):
    """2-D convolution on a 3-D Mat (c, h, w); weight (out, in, kh, kw) = torch's bytes."""

    name = "ncnn.Convolution"
    PARAMS: ClassVar = {
        **_CONV_2D,
        "int8_scale_term": Param(8, 0),
        "pad_value": Param(18, 0.0, FLOAT),
        "dynamic_weight": Param(19, 0),
    }
    WEIGHTS: ClassVar = _CONV_WEIGHTS


@irdl_op_definition
class ConvolutionDepthWiseOp(_ConvolutionMat, NcnnLayer):
    """Grouped convolution (any group, not only depthwise); weight (out, in/g, kh, kw)."""

    name = "ncnn.ConvolutionDepthWise"
    PARAMS: ClassVar = {
        **_CONV_2D,
        "group": Param(7, 1),
        "int8_scale_term": Param(8, 0),
        "pad_value": Param(18, 0.0, FLOAT),
        "dynamic_weight": Param(19, 0),
    }
    WEIGHTS: ClassVar = _CONV_WEIGHTS


_DECONV = {
    **_CONV_2D,
    "output_pad_right": Param(18, 0),
    "output_pad_bottom": Param(19, None),  # default: output_pad_right
    "output_w": Param(20, 0),
    "output_h": Param(21, None),  # default: output_w
    "dynamic_weight": Param(28, 0),
}


@irdl_op_definition
class DeconvolutionOp(_DeconvolutionMat, NcnnLayer):
    """Transposed convolution; weight (out, in, kh, kw), i.e. torch's (in, out, kh, kw)
    transposed. The full output ((w-1)*stride + extent + output_pad_right) is cropped by the
    pads."""

    name = "ncnn.Deconvolution"
    PARAMS: ClassVar = dict(_DECONV)
    WEIGHTS: ClassVar = _CONV_WEIGHTS


@irdl_op_definition
class DeconvolutionDepthWiseOp(_DeconvolutionMat, NcnnLayer):
    """Grouped transposed convolution; weight (g, out/g, in/g, kh, kw)."""

    name = "ncnn.DeconvolutionDepthWise"
    PARAMS: ClassVar = {**_DECONV, "group": Param(7, 1)}
    WEIGHTS: ClassVar = _CONV_WEIGHTS


@irdl_op_definition
class Convolution3DOp(_ConvolutionMat, NcnnLayer):
    """3-D convolution on a 4-D Mat (c, d, h, w); weight (out, in, kd, kh, kw) = torch's."""

    SPATIAL: ClassVar[str] = "dhw"
    BIAS_AXIS: ClassVar[int] = -4  # the output channels: (c, d, h, w)
    name = "ncnn.Convolution3D"
    VULKAN: ClassVar[bool] = False
    PARAMS: ClassVar = {
        **_CONV_2D,
        "kernel_d": Param(21, None),  # default: kernel_w
        "dilation_d": Param(22, None),  # default: dilation_w
        "stride_d": Param(23, None),  # default: stride_w
        "pad_front": Param(24, None),  # default: pad_left
        "pad_behind": Param(17, None),  # default: pad_front
        "pad_value": Param(18, 0.0, FLOAT),
    }
    WEIGHTS: ClassVar = _CONV_WEIGHTS


@irdl_op_definition
class Deconvolution3DOp(_DeconvolutionMat, NcnnLayer):
    """3-D transposed convolution on a 4-D Mat (c, d, h, w); weight (out, in, kd, kh, kw),
    i.e. torch's (in, out, kd, kh, kw) transposed. The full output ((d-1)*stride_d + extent
    + output_pad_behind, likewise h and w) is cropped by the pads. CPU only."""

    name = "ncnn.Deconvolution3D"
    VULKAN: ClassVar[bool] = False
    SPATIAL: ClassVar[str] = "dhw"
    BIAS_AXIS: ClassVar[int] = -4  # the output channels: (c, d, h, w)
    OUTPUT_PAD: ClassVar[dict[str, str]] = {
        "w": "output_pad_right", "h": "output_pad_bottom", "d": "output_pad_behind",
    }  # fmt: skip
    PARAMS: ClassVar = {
        **_CONV_2D,
        "kernel_d": Param(21, None),  # default: kernel_w
        "dilation_d": Param(22, None),  # default: dilation_w
        "stride_d": Param(23, None),  # default: stride_w
        "pad_front": Param(24, None),  # default: pad_left
        "pad_behind": Param(17, None),  # default: pad_front
        "output_pad_right": Param(18, 0),
        "output_pad_bottom": Param(19, None),  # default: output_pad_right
        "output_pad_behind": Param(20, None),  # default: output_pad_right
        # ids differ from 2-D Deconvolution's output_w (20) / output_h (21)
        "output_w": Param(25, 0),
        "output_h": Param(26, None),  # default: output_w
        "output_d": Param(27, None),  # default: output_w
    }
    WEIGHTS: ClassVar = _CONV_WEIGHTS


@irdl_op_definition
class FoldOp(NcnnLayer):
    """col2im: a (channels * kh * kw, L) Mat summed into (channels, output_h, output_w); the
    block grid is what fits the padded output (`fold.cpp`)."""

    name = "ncnn.Fold"
    VULKAN: ClassVar[bool] = False
    PARAMS: ClassVar = {
        "kernel_w": Param(1, 0),
        "kernel_h": Param(11, None),  # default: kernel_w
        "dilation_w": Param(2, 1),
        "dilation_h": Param(12, None),  # default: dilation_w
        "stride_w": Param(3, 1),
        "stride_h": Param(13, None),  # default: stride_w
        "pad_left": Param(4, 0),
        "pad_right": Param(15, None),  # default: pad_left
        "pad_top": Param(14, None),  # default: pad_left
        "pad_bottom": Param(16, None),  # default: pad_top
        "output_w": Param(20, 0),
        "output_h": Param(21, None),  # default: output_w
    }

    def infer_mat(self, in_mats: list[Mat]) -> list[Mat] | None:
        x = tuple(in_mats[0])
        kw, kh = self.param("kernel_w"), self.param_or("kernel_h", "kernel_w")
        if len(x) != 2 or x[0] % (kw * kh):
            raise MatRuleError(f"Fold reads a (channels * {kh} * {kw}, L) Mat, got {list(x)}")
        ow = self.param("output_w")
        return [(x[0] // (kw * kh), self.param_or("output_h", "output_w"), ow)]


_POOL_2D = {
    "pooling_type": Param(0, 0),  # 0 max, 1 avg
    "kernel_w": Param(1, 0),
    "kernel_h": Param(11, None),  # default: kernel_w
    "stride_w": Param(2, 1),
    "stride_h": Param(12, None),  # default: stride_w
    "pad_left": Param(3, 0),
    "pad_right": Param(14, None),  # default: pad_left
    "pad_top": Param(13, None),  # default: pad_left
    "pad_bottom": Param(15, None),  # default: pad_top
    "global_pooling": Param(4, 0),
    "pad_mode": Param(5, 0),  # 0 full (ceil), 1 valid (explicit pads only), 2 SAME_UPPER, 3 SAME_LOWER
    "avgpool_count_include_pad": Param(6, 0),
    "adaptive_pooling": Param(7, 0),
    "out_w": Param(8, 0),
    "out_h": Param(18, None),  # default: out_w
}


@irdl_op_definition
class PoolingOp(_PoolingMat, NcnnLayer):
    """2-D pooling on a 3-D Mat. Max pads with -FLT_MAX; avg without count_include_pad
    divides by the number of non-pad elements in the window."""

    name = "ncnn.Pooling"
    PARAMS: ClassVar = dict(_POOL_2D)


@irdl_op_definition
class Pooling3DOp(_PoolingMat, NcnnLayer):
    name = "ncnn.Pooling3D"
    SPATIAL: ClassVar[str] = "dhw"
    VULKAN: ClassVar[bool] = False
    PARAMS: ClassVar = {
        **_POOL_2D,
        "kernel_d": Param(21, None),  # default: kernel_w
        "stride_d": Param(22, None),  # default: stride_w
        "pad_front": Param(23, None),  # default: pad_left
        "pad_behind": Param(16, None),  # default: pad_front
        "out_d": Param(28, None),  # default: out_w
    }


@irdl_op_definition
class InnerProductOp(NcnnLayer):
    """y = W x + b; a 2-D Mat (h, w) with w == num_input and h > 1 is multiplied per row,
    any other input is flattened to one vector (output 1-D)."""

    name = "ncnn.InnerProduct"
    BIAS_AXIS: ClassVar[int] = -1  # the features: the last axis, per row of a 2-D Mat
    PARAMS: ClassVar = {
        "num_output": Param(0, 0),
        "bias_term": Param(1, 0),
        "weight_data_size": Param(2, 0),
        "int8_scale_term": Param(8, 0),
        **_ACT,
    }
    WEIGHTS: ClassVar = (Weight("weight", True), Weight("bias", False, optional=True))

    def infer_mat(self, in_mats: list[Mat]) -> list[Mat] | None:
        n = self.param("num_output")
        k = self.param("weight_data_size") // max(n, 1)
        x = tuple(in_mats[0])
        if len(x) == 2 and x[1] == k:
            return [(x[0], n)]
        return [(n,)]


@irdl_op_definition
class GemmOp(NcnnLayer):
    """Y = alpha * (A B + beta C) -- note alpha also scales C, unlike ONNX Gemm.
    Constant operands are weights (all tagged); the others are bottom blobs in A, B, C order."""

    name = "ncnn.Gemm"
    PARAMS: ClassVar = {
        "alpha": Param(0, 1.0, FLOAT),
        "beta": Param(1, 1.0, FLOAT),
        "transA": Param(2, 0),
        "transB": Param(3, 0),
        "constantA": Param(4, 0),
        "constantB": Param(5, 0),
        "constantC": Param(6, 0),
        "constantM": Param(7, 0),
        "constantN": Param(8, 0),
        "constantK": Param(9, 0),
        "constant_broadcast_type_C": Param(10, 0),  # -1 none, 0 scalar, 1 M, 2 Mx1, 3 MxN, 4 1xN
        "output_N1M": Param(11, 0),
        "output_elempack": Param(12, 0),
        "output_elemtype": Param(13, 0),
        "output_transpose": Param(14, 0),
        "int8_scale_term": Param(18, 0),
        "constant_TILE_M": Param(20, 0),
        "constant_TILE_N": Param(21, 0),
        "constant_TILE_K": Param(22, 0),
    }
    WEIGHTS: ClassVar = (
        Weight("A", True, optional=True),
        Weight("B", True, optional=True),
        Weight("C", True, optional=True),
    )

    def infer_mat(self, in_mats: list[Mat]) -> list[Mat] | None:
        """`gemm.cpp` / `x86/gemm_x86.cpp`: M is A's w when transA, else its rows (c of a 3-D
        Mat, h otherwise, 1 for a vector); N is B's rows when transB, else its w. The output
        is (M, N), (M, 1, N) with output_N1M, transposed with output_transpose. A vector A or
        B is refused: the x86 kernel counts a packed vector's rows as its elempack (a 1-D
        A of 8 is read as 8 rows, or 1 row of 1 when transposed), so an operand [1, K] must
        keep its 2-D Mat (1, K) (issue 9)."""

        def rows(m: Mat) -> int:
            ax = mat_axes(m)
            return ax["c"] if len(m) == 3 else ax["h"]

        mats = list(in_mats)
        blobs = mats[: 2 - int(bool(self.param("constantA"))) - int(bool(self.param("constantB")))]
        if any(len(m) == 1 for m in blobs):
            raise MatRuleError(f"Gemm reads a 1-D operand Mat by its packing (operands {[list(m) for m in blobs]})")
        if self.param("constantA"):
            m = self.param("constantM")
        else:
            a = tuple(mats.pop(0))
            m = a[-1] if self.param("transA") else rows(a)
        if self.param("constantB"):
            n = self.param("constantN")
        else:
            b = tuple(mats.pop(0))
            n = rows(b) if self.param("transB") else b[-1]
        if self.param("output_transpose"):
            m, n = n, m
        return [(m, 1, n) if self.param("output_N1M") else (m, n)]


@irdl_op_definition
class MatMulOp(NcnnLayer):
    """numpy-style matmul of two blobs (batch broadcast up to 4-D Mats); CPU only."""

    name = "ncnn.MatMul"
    VULKAN: ClassVar[bool] = False
    PARAMS: ClassVar = {"transB": Param(0, 0)}

    def infer_mat(self, in_mats: list[Mat]) -> list[Mat] | None:
        """`matmul.cpp::forward`: vector·vector → (1); a vector operand is one row of A or
        one column of B and its axis disappears from the result; otherwise numpy batch
        broadcasting after left-padding the lower rank (2-D + 4-D keeps the 2-D unbatched)."""
        a, b = tuple(in_mats[0]), tuple(in_mats[1])
        trans_b = self.param("transB")
        n = (b[-2] if trans_b else b[-1]) if len(b) >= 2 else None
        ka = a[-1]
        kb = (b[-1] if trans_b else b[-2]) if len(b) >= 2 else b[0]
        if ka != kb:
            raise MatRuleError(f"MatMul of Mats {list(a)} and {list(b)}: K {ka} ≠ {kb}")
        if len(a) == 1 and len(b) == 1:
            return [(1,)]
        if len(a) == 1:
            return [(n,)] if len(b) == 2 else [(b[0], n) if len(b) == 3 else (b[0], b[1], n)]
        if len(b) == 1:
            return [(a[0],)] if len(a) == 2 else [(a[0], a[-2]) if len(a) == 3 else (a[0], a[1], a[-2])]
        dims = max(len(a), len(b))
        a4 = (1,) * (dims - len(a)) + a
        b4 = (1,) * (dims - len(b)) + b
        batch = []
        for x, y in zip(a4[:-2], b4[:-2]):
            if x != y and x != 1 and y != 1:
                raise MatRuleError(f"MatMul cannot broadcast the batch of Mats {list(a)} and {list(b)}")
            batch.append(max(x, y))
        return [(*batch, a[-2], n)]


@irdl_op_definition
class BatchNormOp(KeepsMat, NcnnLayer):
    """y = slope * (x - mean) / sqrt(var + eps) + bias per channel (c of a 3/4-D Mat, h of a
    2-D Mat, w of a 1-D Mat)."""

    name = "ncnn.BatchNorm"
    PARAMS: ClassVar = {"channels": Param(0, 0), "eps": Param(1, 0.0, FLOAT)}
    WEIGHTS: ClassVar = (
        Weight("slope", False),
        Weight("mean", False),
        Weight("var", False),
        Weight("bias", False),
    )


@irdl_op_definition
class LayerNormOp(KeepsMat, NcnnLayer):
    """Normalises each row of w elements, or each channel of w*h elements when affine_size
    equals w*h (3-D Mat)."""

    name = "ncnn.LayerNorm"
    PARAMS: ClassVar = {
        "affine_size": Param(0, 0),
        "eps": Param(1, 0.001, FLOAT),
        "affine": Param(2, 1),
    }
    WEIGHTS: ClassVar = (Weight("gamma", False, optional=True), Weight("beta", False, optional=True))


@irdl_op_definition
class RMSNormOp(KeepsMat, NcnnLayer):
    """x / sqrt(mean(x²) + eps) · gamma over each row of w elements, or each channel of w*h
    elements when affine_size equals w*h (3-D Mat): LayerNorm's grouping, without the mean."""

    name = "ncnn.RMSNorm"
    PARAMS: ClassVar = {
        "affine_size": Param(0, 0),
        "eps": Param(1, 0.001, FLOAT),
        "affine": Param(2, 1),
    }
    WEIGHTS: ClassVar = (Weight("gamma", False, optional=True),)


@irdl_op_definition
class InstanceNormOp(KeepsMat, NcnnLayer):
    """Normalises each channel of a 3-D Mat over its w*h elements."""

    name = "ncnn.InstanceNorm"
    PARAMS: ClassVar = {
        "channels": Param(0, 0),
        "eps": Param(1, 0.001, FLOAT),
        "affine": Param(2, 1),
    }
    WEIGHTS: ClassVar = (Weight("gamma", False, optional=True), Weight("beta", False, optional=True))


@irdl_op_definition
class GroupNormOp(KeepsMat, NcnnLayer):
    """Normalises each group of channels/group channels (c of a 3/4-D Mat, h of a 2-D Mat,
    w of a 1-D Mat) over all their elements; gamma/beta per channel."""

    name = "ncnn.GroupNorm"
    PARAMS: ClassVar = {
        "group": Param(0, 1),
        "channels": Param(1, 0),
        "eps": Param(2, 0.001, FLOAT),
        "affine": Param(3, 1),
    }
    WEIGHTS: ClassVar = (Weight("gamma", False, optional=True), Weight("beta", False, optional=True))


@irdl_op_definition
class LRNOp(KeepsMat, NcnnLayer):
    """region_type 0 (across channels): x * (bias + alpha / local_size * Σ x²)^-beta over the
    channels q - local_size/2 … q + local_size/2 of a 3-D Mat (a window of local_size
    channels only when local_size is odd)."""

    name = "ncnn.LRN"
    PARAMS: ClassVar = {
        "region_type": Param(0, 0),
        "local_size": Param(1, 5),
        "alpha": Param(2, 1.0, FLOAT),
        "beta": Param(3, 0.75, FLOAT),
        "bias": Param(4, 1.0, FLOAT),
    }


@irdl_op_definition
class CumulativeSumOp(KeepsMat, NcnnLayer):
    """Inclusive running sum along a Mat axis (numpy order), in order. No Vulkan kernel."""

    name = "ncnn.CumulativeSum"
    VULKAN: ClassVar[bool] = False
    PARAMS: ClassVar = {"axis": Param(0, 0)}


@irdl_op_definition
class InterpOp(NcnnLayer):
    """Resize of the h/w axes. nearest: src = min(int(dst * (in/out)), in-1) in float32;
    bilinear: half-pixel centres (align_corner 0) or corner-aligned (1)."""

    name = "ncnn.Interp"
    PARAMS: ClassVar = {
        "resize_type": Param(0, 0),  # 1 nearest, 2 bilinear, 3 bicubic
        "height_scale": Param(1, 1.0, FLOAT),
        "width_scale": Param(2, 1.0, FLOAT),
        "output_height": Param(3, 0),
        "output_width": Param(4, 0),
        "dynamic_target_size": Param(5, 0),
        "align_corner": Param(6, 0),
        "size_expr": Param(9, "", STR),
    }

    @classmethod
    def generalize_params(cls, samples):
        """An output size that is the same multiple of the input's at every size becomes that
        scale (ncnn then computes int(size * scale) and maps pixels by 1/scale, as before);
        any other output size becomes a size expression of the input's (9=, w first: ncnn
        then maps pixels by in/out, as it does for a fixed size)."""
        ids = {k: cls.PARAMS[k].id for k in ("height_scale", "width_scale", "output_height", "output_width")}
        keys = set().union(*(p for p, _ in samples))
        rest = [k for k in keys if k not in ids.values() and len({p.get(k) for p, _ in samples}) > 1]
        if rest or any(m is None or len(m[0]) < 2 for _, m in samples):
            return None
        base = samples[0][0]

        def sizes(params, mat):  # (h, w) of the output, as interp.cpp computes it
            oh, ow = int(params.get(ids["output_height"], 0)), int(params.get(ids["output_width"], 0))
            if oh and ow:
                return oh, ow
            return tuple(int(np.float32(mat[axis]) * np.float32(params.get(ids[key], 1.0)))
                         for axis, key in ((-2, "height_scale"), (-1, "width_scale")))  # fmt: skip

        outs = [sizes(p, m[0]) for p, m in samples]
        out = {k: v for k, v in base.items() if k not in ids.values()}
        scales = []
        for axis, key in ((-2, "height_scale"), (-1, "width_scale")):
            ratios = {Fraction(o[axis], m[0][axis]) for o, (_, m) in zip(outs, samples, strict=True)}
            scale = ratios.pop() if len(ratios) == 1 else None
            # int(size * scale) must be the exact size in float32, and the scale exact in float
            if scale is None or float(scale) != scale or any(
                int(np.float32(m[0][axis]) * np.float32(float(scale))) != o[axis] for o, (_, m) in zip(outs, samples, strict=True)
            ):
                scales = None
                break
            scales.append((key, scale))
        if scales is not None:
            for key, scale in scales:
                out[ids[key]] = repr(float(scale))
            return out
        if len(samples[0][1]) != 1:
            return None
        exprs = [fit_size_expr([o[axis] for o in outs], [m[:1] for _, m in samples]) for axis in (-1, -2)]
        if None in exprs:
            return None
        out[cls.PARAMS["size_expr"].id] = '"' + ",".join(exprs) + '"'
        return out

    def infer_mat(self, in_mats: list[Mat]) -> list[Mat] | None:
        """`interp.cpp::forward`: output_width/height when both are set, else int(size *
        scale) in float32; a 1-D Mat of n is n channels of 1x1, a 2-D one resizes w only."""
        import numpy as np

        if self.param("size_expr") or self.param("dynamic_target_size") or len(in_mats) > 1:
            return None
        x = tuple(in_mats[0])
        _need_dims(self, x, 1, 2, 3)
        w, h = (1, 1) if len(x) == 1 else (x[-1], x[-2] if len(x) == 3 else 1)
        ow, oh = self.param("output_width"), self.param("output_height")
        if ow == 0 or oh == 0:
            ow = int(np.float32(w) * np.float32(self.param("width_scale")))
            oh = int(np.float32(h) * np.float32(self.param("height_scale")))
        if len(x) == 1:
            return [(x[0], oh, ow)]
        if len(x) == 2:
            return [(x[0], ow)]
        return [(x[0], oh, ow)]


@irdl_op_definition
class ReductionOp(NcnnLayer):
    """Reduce over Mat axes (numpy order, batch-less). fixbug0 must be 1 when axes are given
    (the loader rejects the old batch-counting axes otherwise)."""

    name = "ncnn.Reduction"
    OPERATIONS: ClassVar[dict[str, int]] = {
        "sum": 0, "asum": 1, "sum_square": 2, "mean": 3, "max": 4, "min": 5, "prod": 6,
        "l1": 7, "l2": 8, "log_sum": 9, "log_sum_exp": 10,
    }  # fmt: skip
    """`operation` by reduction kind (the kinds of the onnx Reduction trait)."""
    PARAMS: ClassVar = {
        "operation": Param(0, 0),
        "reduce_all": Param(1, 1),
        "coeff": Param(2, 1.0, FLOAT),
        "axes": Param(3, [], INTS),
        "keepdims": Param(4, 0),
        "fixbug0": Param(5, 0),
    }

    def infer_mat(self, in_mats: list[Mat]) -> list[Mat] | None:
        """`reduction.cpp::resolve_reduce_flags_and_output_shape`: keepdims keeps the rank
        with 1 on reduced axes; otherwise the kept axes in order, (1) when none is left. A
        1-D Mat is always reduced whole."""
        x = tuple(in_mats[0])
        if self.param("reduce_all"):
            axes = set(range(len(x)))
        elif len(x) == 1:
            axes = {0}
        else:
            axes = {a + len(x) if a < 0 else a for a in self.param("axes")}
        if self.param("keepdims"):
            return [tuple(1 if i in axes else d for i, d in enumerate(x))]
        return [tuple(d for i, d in enumerate(x) if i not in axes) or (1,)]


LAYERS: list[type[NcnnLayer]] = [
    ConvolutionOp, ConvolutionDepthWiseOp, DeconvolutionOp, DeconvolutionDepthWiseOp,
    Convolution3DOp, Deconvolution3DOp, FoldOp, PoolingOp, Pooling3DOp, InnerProductOp, GemmOp,
    MatMulOp, BatchNormOp, LayerNormOp, RMSNormOp, InstanceNormOp, InterpOp, ReductionOp, GroupNormOp,
    LRNOp, CumulativeSumOp,
]  # fmt: skip

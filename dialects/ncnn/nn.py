"""Convolution, pooling, linear, normalisation, resize and reduction layers.

Tables transcribed from ncnn's `src/layer/<layer>.cpp` (`load_param`, `load_model`).

Many ncnn params default to *another param's value* (`kernel_h = pd.get(11, kernel_w)`,
`pad_right = pd.get(15, pad_left)`, ...). Such a param has default `None` here: no static
value equals it, so the emitter always writes it when the lowering sets it. A numeric
default would let the emitter drop e.g. `pad_right=0` when `pad_left=1`, and ncnn would then
read pad_right as 1.
"""

from __future__ import annotations

from typing import ClassVar

from xdsl.irdl import irdl_op_definition

from ncc.dialects.ncnn.base import FLOAT, FLOATS, INTS, STR, NcnnLayer, Param, Weight

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


@irdl_op_definition
class ConvolutionOp(NcnnLayer):
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
class ConvolutionDepthWiseOp(NcnnLayer):
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
class DeconvolutionOp(NcnnLayer):
    """Transposed convolution; weight (out, in, kh, kw), i.e. torch's (in, out, kh, kw)
    transposed. The full output ((w-1)*stride + extent + output_pad_right) is cropped by the
    pads."""

    name = "ncnn.Deconvolution"
    PARAMS: ClassVar = dict(_DECONV)
    WEIGHTS: ClassVar = _CONV_WEIGHTS


@irdl_op_definition
class DeconvolutionDepthWiseOp(NcnnLayer):
    """Grouped transposed convolution; weight (g, out/g, in/g, kh, kw)."""

    name = "ncnn.DeconvolutionDepthWise"
    PARAMS: ClassVar = {**_DECONV, "group": Param(7, 1)}
    WEIGHTS: ClassVar = _CONV_WEIGHTS


@irdl_op_definition
class Convolution3DOp(NcnnLayer):
    """3-D convolution on a 4-D Mat (c, d, h, w); weight (out, in, kd, kh, kw) = torch's."""

    name = "ncnn.Convolution3D"
    VULKAN: ClassVar[bool] = False
    PARAMS: ClassVar = {
        **_CONV_2D,
        "kernel_d": Param(21, None),  # default: kernel_w
        "dilation_d": Param(22, None),  # default: dilation_w
        "stride_d": Param(23, None),  # default: stride_w
        "pad_front": Param(24, None),  # default: pad_left
        "pad_behind": Param(17, None),  # default: pad_top (sic, unlike Pooling3D)
        "pad_value": Param(18, 0.0, FLOAT),
    }
    WEIGHTS: ClassVar = _CONV_WEIGHTS


@irdl_op_definition
class Deconvolution3DOp(NcnnLayer):
    """3-D transposed convolution on a 4-D Mat (c, d, h, w); weight (out, in, kd, kh, kw),
    i.e. torch's (in, out, kd, kh, kw) transposed. The full output ((d-1)*stride_d + extent
    + output_pad_behind, likewise h and w) is cropped by the pads. CPU only."""

    name = "ncnn.Deconvolution3D"
    VULKAN: ClassVar[bool] = False
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
class PoolingOp(NcnnLayer):
    """2-D pooling on a 3-D Mat. Max pads with -FLT_MAX; avg without count_include_pad
    divides by the number of non-pad elements in the window."""

    name = "ncnn.Pooling"
    PARAMS: ClassVar = dict(_POOL_2D)


@irdl_op_definition
class Pooling3DOp(NcnnLayer):
    name = "ncnn.Pooling3D"
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
    PARAMS: ClassVar = {
        "num_output": Param(0, 0),
        "bias_term": Param(1, 0),
        "weight_data_size": Param(2, 0),
        "int8_scale_term": Param(8, 0),
        **_ACT,
    }
    WEIGHTS: ClassVar = (Weight("weight", True), Weight("bias", False, optional=True))


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


@irdl_op_definition
class MatMulOp(NcnnLayer):
    """numpy-style matmul of two blobs (batch broadcast up to 4-D Mats); CPU only."""

    name = "ncnn.MatMul"
    VULKAN: ClassVar[bool] = False
    PARAMS: ClassVar = {"transB": Param(0, 0)}


@irdl_op_definition
class BatchNormOp(NcnnLayer):
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
class LayerNormOp(NcnnLayer):
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
class InstanceNormOp(NcnnLayer):
    """Normalises each channel of a 3-D Mat over its w*h elements."""

    name = "ncnn.InstanceNorm"
    PARAMS: ClassVar = {
        "channels": Param(0, 0),
        "eps": Param(1, 0.001, FLOAT),
        "affine": Param(2, 1),
    }
    WEIGHTS: ClassVar = (Weight("gamma", False, optional=True), Weight("beta", False, optional=True))


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


@irdl_op_definition
class ReductionOp(NcnnLayer):
    """Reduce over Mat axes (numpy order, batch-less). fixbug0 must be 1 when axes are given
    (the loader rejects the old batch-counting axes otherwise)."""

    name = "ncnn.Reduction"
    PARAMS: ClassVar = {
        # 0 sum 1 asum 2 sumsq 3 mean 4 max 5 min 6 prod 7 L1 8 L2 9 logsum 10 logsumexp
        "operation": Param(0, 0),
        "reduce_all": Param(1, 1),
        "coeff": Param(2, 1.0, FLOAT),
        "axes": Param(3, [], INTS),
        "keepdims": Param(4, 0),
        "fixbug0": Param(5, 0),
    }


LAYERS: list[type[NcnnLayer]] = [
    ConvolutionOp, ConvolutionDepthWiseOp, DeconvolutionOp, DeconvolutionDepthWiseOp,
    Convolution3DOp, Deconvolution3DOp, PoolingOp, Pooling3DOp, InnerProductOp, GemmOp,
    MatMulOp, BatchNormOp, LayerNormOp, InstanceNormOp, InterpOp, ReductionOp,
]  # fmt: skip

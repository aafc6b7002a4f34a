"""onnx → ncnn for the neural-network and reduction ops.

Every conversion is exact or refuses: where ncnn cannot reproduce ONNX's numbers (a resize
coordinate mode it lacks, an average pool whose divisor differs, a weight that is not a
constant) the pattern refuses with the reason (`NoMatch`), which the conversion reports with
the node's name, instead of emitting an approximation.

Layers that produce a Mat of a different shape than the ONNX result's Mat (InnerProduct on
one row, global pooling, ncnn MatMul's batched 1-D cases, ...) get an explicit Reshape; the
value in between carries a logical type whose Mat is the one ncnn really produces.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
from xdsl.dialects.builtin import TensorType
from xdsl.ir import Attribute, SSAValue

from ncc.dialects.common import numpy_dtype, static_shape
from ncc.dialects.ncnn import layers as L
from ncc.dialects.ncnn import nn as N
from ncc.dialects.ncnn import shape as S
from ncc.dialects.ncnn.base import NcnnLayer, data_mat, mat_shape
from ncc.dialects.onnx import nn as onnx_nn
from ncc.dialects.onnx import reduce as onnx_reduce
from ncc.dialects.onnx.base import OnnxOp, typed
from ncc.dialects.onnx.traits import Reduction
from ncc.lowering.dispatch import NoMatch
from ncc.lowering.onnx_to_ncnn.common import (
    DEFAULT_REQUIRES,
    LayerBuilder,
    OnnxToNcnnPattern,
    batch_one,
    float_input,
    logical_for_mat,
)

# ------------------------------------------------------------------------------ helpers


def as_mat(b: LayerBuilder, v: SSAValue, mat: Sequence[int]) -> SSAValue:
    """`v` reshaped so that its Mat is `mat` (unchanged when it already is): `LayerBuilder.read`."""
    return b.read(v, mat)


def emit(
    b: LayerBuilder,
    cls: type[NcnnLayer],
    inputs: Sequence[SSAValue],
    produced_mat: Sequence[int],
    final_shape: Sequence[int],
    like: Attribute,
    params: dict[str, Any] | None = None,
    weights: dict[str, np.ndarray] | None = None,
) -> SSAValue:
    """Add a layer whose output Mat is `produced_mat`, as a value of the logical
    `final_shape`: `LayerBuilder.produce`."""
    return b.produce(cls, inputs, produced_mat, final_shape, like, params, weights)


def used(v: SSAValue | None) -> bool:
    return v is not None and v.first_use is not None


def const_input(op: OnnxOp, b: LayerBuilder, i: int, what: str, required: bool = True) -> np.ndarray | None:
    """The constant value of operand `i`, None when absent; a refusal when it is a
    computed tensor (ncnn stores it in the .bin)."""
    if not op.has_input(i):
        if required:
            raise NoMatch(f"{what} is required")
        return None
    value = op.in_const(i)
    if value is None:
        raise NoMatch(f"{what} must be a constant (ncnn stores it as layer weights)")
    return np.asarray(value, dtype=np.float32)


def input_shape(op: OnnxOp, b: LayerBuilder, i: int = 0) -> tuple[int, ...]:
    s = op.in_shape(i)
    if s is None:
        raise NoMatch(f"input {i} has no static shape")
    return s


def need_batch_one(b: LayerBuilder, shape: Sequence[int]) -> None:
    if shape[0] != 1:
        raise NoMatch(
            f"batch {shape[0]} of input {list(shape)}: ncnn runs this layer on one sample; "
            "the layout pass must move the batch first"
        )


# ------------------------------------------------------------------------------ conv


def _conv_hw(g: onnx_nn.Window, spatial: int) -> dict[str, int]:
    """Kernel/stride/dilation/pad params for the last two spatial axes (1-D conv is run as a
    2-D conv with h = 1)."""
    if spatial == 1:
        kh, sh, dh, pt, pb = 1, 1, 1, 0, 0
        kw, sw, dw, pl, pr = g.kernel[0], g.strides[0], g.dilations[0], g.pads_begin[0], g.pads_end[0]
    else:
        kh, kw = g.kernel[-2:]
        sh, sw = g.strides[-2:]
        dh, dw = g.dilations[-2:]
        pt, pl = g.pads_begin[-2:]
        pb, pr = g.pads_end[-2:]
    return {
        "kernel_w": kw, "kernel_h": kh, "stride_w": sw, "stride_h": sh,
        "dilation_w": dw, "dilation_h": dh,
        "pad_left": pl, "pad_right": pr, "pad_top": pt, "pad_bottom": pb,
    }  # fmt: skip


def _spatial_input(b: LayerBuilder, x: SSAValue, shape: Sequence[int]) -> SSAValue:
    """1-D ops run on a (C, 1, L) Mat."""
    if len(shape) == 3:
        return as_mat(b, x, (shape[1], 1, shape[2]))
    return x


def _spatial_mat(shape: Sequence[int]) -> tuple[int, ...]:
    """The Mat a 2-D/3-D layer produces for a logical (1, C, spatial...) result."""
    if len(shape) == 3:
        return (shape[1], 1, shape[2])
    return tuple(shape[1:])


def _has_runtime_weight(op: OnnxOp) -> bool:
    """W or B computed at run time (F.conv2d / F.conv_transpose2d with tensors as weights)."""
    return any(op.has_input(i) and op.in_const(i) is None for i in (1, 2))


def _dynamic_weight_conv(
    op: OnnxOp, b: LayerBuilder, cls: type[NcnnLayer], params: dict[str, Any], x: Sequence[int]
) -> SSAValue:
    """ncnn's `dynamic_weight` form of Convolution / Deconvolution: the weight as a bottom
    4-D Mat in torch's layout ((out, in, kh, kw), or (in, out, kh, kw) transposed, which
    ncnn's Deconvolution reorders itself) and the bias as a 1-D bottom. Group 1 only; the
    Vulkan kernels refuse dynamic weights, so these layers run on the CPU."""
    spatial = len(x) - 2
    if spatial not in (1, 2) or op.attr("group") != 1:
        raise NoMatch("a run-time weight or bias needs a 1-D / 2-D convolution with group 1 (ncnn dynamic_weight)")
    w_shape = input_shape(op, b, 1)
    w4 = (*w_shape[:2], *((1,) if spatial == 1 else ()), *w_shape[2:])
    inputs = [_spatial_input(b, op.operands[0], x)]
    for i, mat in ((1, w4), (2, (w4[1] if cls is N.DeconvolutionOp else w4[0],))):
        if not op.has_input(i):
            continue
        value = op.in_const(i)
        if value is not None:
            inputs.append(b.memory_data(np.asarray(value, np.float32).reshape(mat), logical_for_mat(mat)))
        else:
            inputs.append(as_mat(b, op.operands[i], mat))
    params = {**params, "dynamic_weight": 1, "bias_term": int(op.has_input(2)), "weight_data_size": 0}
    out = op.out_shape()
    return emit(b, cls, inputs, _spatial_mat(out), out, op.results[0].type, params)


class ConvToConvolution(OnnxToNcnnPattern):
    """Conv → Convolution (group 1), ConvolutionDepthWise (group > 1), Convolution3D (3-D);
    a run-time weight or bias → Convolution with dynamic_weight."""

    OP = onnx_nn.ConvOp
    REQUIRES = (*DEFAULT_REQUIRES, float_input, batch_one)

    def convert(self, op: onnx_nn.ConvOp, b: LayerBuilder):
        x = op.in_shape(0)
        if _has_runtime_weight(op):
            params = {"num_output": input_shape(op, b, 1)[0], **_conv_hw(op.geometry(), len(x) - 2)}
            return _dynamic_weight_conv(op, b, N.ConvolutionOp, params, x)
        w = const_input(op, b, 1, "the weight W")
        bias = const_input(op, b, 2, "the bias B", required=False)
        out = op.out_shape()
        g = op.geometry()
        group = op.attr("group")
        spatial = len(x) - 2
        params: dict[str, Any] = {
            "num_output": w.shape[0],
            "bias_term": int(bias is not None),
            "weight_data_size": int(w.size),
        }
        weights = {"weight": w}
        if bias is not None:
            weights["bias"] = bias
        if spatial in (1, 2):
            params.update(_conv_hw(g, spatial))
            cls = N.ConvolutionOp
            if group != 1:
                cls = N.ConvolutionDepthWiseOp
                params["group"] = group
            src = _spatial_input(b, op.X, x)
            return emit(b, cls, [src], _spatial_mat(out), out, op.Y.type, params, weights)
        if spatial == 3:
            if group != 1:
                raise NoMatch("grouped 3-D convolution is not supported (ncnn Convolution3D has no group)")
            params.update(_conv_hw(g, 2))
            params.update(
                kernel_d=g.kernel[0], stride_d=g.strides[0], dilation_d=g.dilations[0],
                pad_front=g.pads_begin[0], pad_behind=g.pads_end[0],
            )  # fmt: skip
            return emit(b, N.Convolution3DOp, [op.X], out[1:], out, op.Y.type, params, weights)
        raise NoMatch(f"{spatial}-D convolution is not supported")


class ConvTransposeToDeconvolution(OnnxToNcnnPattern):
    """ConvTranspose → Deconvolution / DeconvolutionDepthWise, Deconvolution3D (3-D, group 1).
    ncnn wants the weight as (group, out/g, in/g, k...) where ONNX has (in, out/g, k...)."""

    OP = onnx_nn.ConvTransposeOp
    REQUIRES = (*DEFAULT_REQUIRES, float_input, batch_one)

    def convert(self, op: onnx_nn.ConvTransposeOp, b: LayerBuilder):
        x = op.in_shape(0)
        if _has_runtime_weight(op) and len(x) in (3, 4):
            g = op.geometry()
            params = {
                "num_output": input_shape(op, b, 1)[1], **_conv_hw(g, len(x) - 2),
                "output_pad_right": g.ceil_extra[-1],
                "output_pad_bottom": g.ceil_extra[-2] if len(x) == 4 else 0,
            }  # fmt: skip
            return _dynamic_weight_conv(op, b, N.DeconvolutionOp, params, x)
        w = const_input(op, b, 1, "the weight W")
        bias = const_input(op, b, 2, "the bias B", required=False)
        out = op.out_shape()
        spatial = len(x) - 2
        if spatial not in (1, 2, 3):
            raise NoMatch(f"{spatial}-D transposed convolution is not supported")
        g = op.geometry()
        group = op.attr("group")
        if spatial == 3 and group != 1:
            raise NoMatch("grouped 3-D transposed convolution is not supported")
        cin, cout_g = w.shape[0], w.shape[1]
        k = w.shape[2:]
        wt = w.reshape(group, cin // group, cout_g, *k).swapaxes(1, 2)
        params: dict[str, Any] = {
            "num_output": cout_g * group,
            "bias_term": int(bias is not None),
            "weight_data_size": int(w.size),
            **_conv_hw(g, min(spatial, 2)),
        }
        opad = g.ceil_extra
        params["output_pad_right"] = opad[-1]
        params["output_pad_bottom"] = opad[-2] if spatial >= 2 else 0
        weights = {"weight": np.ascontiguousarray(wt).reshape(-1)}
        if bias is not None:
            weights["bias"] = bias
        if spatial == 3:
            params.update(
                kernel_d=g.kernel[0], stride_d=g.strides[0], dilation_d=g.dilations[0],
                pad_front=g.pads_begin[0], pad_behind=g.pads_end[0], output_pad_behind=opad[0],
            )  # fmt: skip
            return emit(b, N.Deconvolution3DOp, [op.X], out[1:], out, op.Y.type, params, weights)
        cls = N.DeconvolutionOp
        if group != 1:
            cls = N.DeconvolutionDepthWiseOp
            params["group"] = group
        src = _spatial_input(b, op.X, x)
        return emit(b, cls, [src], _spatial_mat(out), out, op.Y.type, params, weights)


class Col2ImToFold(OnnxToNcnnPattern):
    """Col2Im (F.fold) of a 2-D image → Fold, when the block grid ncnn derives from the padded
    output size holds exactly the input's L columns."""

    OP = onnx_nn.Col2ImOp
    REQUIRES = (*DEFAULT_REQUIRES, float_input, batch_one)

    def convert(self, op: onnx_nn.Col2ImOp, b: LayerBuilder):
        x = op.in_shape(0)
        image, block = op.in_const(1), op.in_const(2)
        if image is None or block is None or len(image) != 2 or len(block) != 2:
            raise NoMatch("only a 2-D image with constant image_shape and block_shape is supported")
        (h, w), (kh, kw) = (int(d) for d in image), (int(d) for d in block)
        dh, dw = op.attr("dilations") or (1, 1)
        sh, sw = op.attr("strides") or (1, 1)
        pt, pl, pb, pr = op.attr("pads") or (0, 0, 0, 0)
        blocks = [((n + p0 + p1 - (d * (k - 1) + 1)) // s + 1)
                  for n, p0, p1, d, k, s in ((h, pt, pb, dh, kh, sh), (w, pl, pr, dw, kw, sw))]  # fmt: skip
        if blocks[0] * blocks[1] != x[2]:
            raise NoMatch(f"{x[2]} columns do not form the {blocks[0]}x{blocks[1]} block grid of a {h}x{w} image")
        params = {
            "kernel_w": kw, "kernel_h": kh, "dilation_w": dw, "dilation_h": dh, "stride_w": sw, "stride_h": sh,
            "pad_left": pl, "pad_right": pr, "pad_top": pt, "pad_bottom": pb, "output_w": w, "output_h": h,
        }  # fmt: skip
        src = as_mat(b, op.input, (x[1], x[2]))
        out = op.out_shape()
        return emit(b, N.FoldOp, [src], out[1:], out, op.output.type, params)


# ------------------------------------------------------------------------------ pooling


def _pool_params(g: onnx_nn.Window, spatial: int) -> dict[str, int]:
    p = _conv_hw(g, spatial)
    del p["dilation_w"], p["dilation_h"]
    return p


class PoolToPooling(OnnxToNcnnPattern):
    """MaxPool / AveragePool → Pooling (Pooling3D for 3-D) with explicit pads and pad_mode 1
    ("valid": only the given pads); ceil_mode becomes extra end padding, which ncnn, like
    ONNX, leaves out of the average."""

    OP = (onnx_nn.MaxPoolOp, onnx_nn.AveragePoolOp)
    REQUIRES = (*DEFAULT_REQUIRES, float_input, batch_one)

    def convert(self, op: onnx_nn.PoolOp, b: LayerBuilder):
        x = op.in_shape(0)
        out = op.out_shape()
        g = op.geometry()
        spatial = len(x) - 2
        is_max = isinstance(op, onnx_nn.MaxPoolOp)
        if is_max and used(op.Indices):
            raise NoMatch("MaxPool's Indices output is not supported by ncnn")
        if any(d != 1 for d in g.dilations):
            if not is_max or spatial > 2:
                raise NoMatch(f"{spatial}-D pooling with dilations {list(g.dilations)}: ncnn Pooling has no dilation")
            res = self._dilated_max(b, op.X, x, g, out, op.Y.type)
            return [res, None] if op.Indices is not None else res
        include_pad = 0
        padded_shape = None
        if not is_max and op.attr("count_include_pad"):
            given_end = tuple(e - x_ for e, x_ in zip(g.pads_end, g.ceil_extra))
            explicit = any(g.pads_begin) or any(given_end)
            if explicit and any(g.ceil_extra):
                # ONNX counts the given pads but not the ceil_mode tail, while ncnn counts both
                # or neither: make the given pads real zeros, then pool without counting pads
                padded_shape = tuple(x[:2]) + tuple(
                    d + pb + pe for d, pb, pe in zip(x[2:], g.pads_begin, given_end)
                )
                pads = (g.pads_begin, given_end)
                g = replace(g, pads_begin=(0,) * spatial, pads_end=g.ceil_extra)
            else:
                include_pad = int(explicit)
        params: dict[str, Any] = {
            "pooling_type": 0 if is_max else 1,
            "pad_mode": 1,
            "avgpool_count_include_pad": include_pad,
        }
        src = op.X
        if padded_shape is not None:
            src = self._zero_pad(b, src, x, padded_shape, *pads)
            x = padded_shape
        if spatial in (1, 2):
            params.update(_pool_params(g, spatial))
            src = _spatial_input(b, src, x)
            res = emit(b, N.PoolingOp, [src], _spatial_mat(out), out, op.Y.type, params)
        elif spatial == 3:
            params.update(_pool_params(g, 2))
            params.update(
                kernel_d=g.kernel[0], stride_d=g.strides[0],
                pad_front=g.pads_begin[0], pad_behind=g.pads_end[0],
            )  # fmt: skip
            res = emit(b, N.Pooling3DOp, [src], out[1:], out, op.Y.type, params)
        else:
            raise NoMatch(f"{spatial}-D pooling is not supported")
        return [res, None] if is_max and op.Indices is not None else res

    @staticmethod
    def _dilated_max(b: LayerBuilder, v: SSAValue, x, g: onnx_nn.Window, out, like) -> SSAValue:
        """A dilated max pool, exactly: pad with -FLT_MAX (what ncnn's own max pooling pads
        with), take the max over the kernel's taps one axis at a time (each tap a Crop of the
        padded input, so every output position of stride 1 is computed), then keep every
        stride-th position with a kernel-1 max Pooling."""
        c = x[1]
        spatial = list(x[2:]) if len(x) == 4 else [1, x[2]]
        kernel = list(g.kernel) if len(x) == 4 else [1, g.kernel[0]]
        dil = list(g.dilations) if len(x) == 4 else [1, g.dilations[0]]
        stride = list(g.strides) if len(x) == 4 else [1, g.strides[0]]
        begin = list(g.pads_begin) if len(x) == 4 else [0, g.pads_begin[0]]
        end = list(g.pads_end) if len(x) == 4 else [0, g.pads_end[0]]
        def t(plane: Sequence[int]) -> Attribute:
            # the value with the result's Mat carries the result's logical type
            mat = (c, *plane) if len(x) == 4 else (c, *plane)
            return typed(out, like) if tuple(mat) == mat_shape(out) else typed(logical_for_mat(mat), like)

        src = as_mat(b, v, (c, *spatial))
        padded = [d + p + q for d, p, q in zip(spatial, begin, end, strict=True)]
        if any(begin) or any(end):
            pads = {"top": begin[0], "bottom": end[0], "left": begin[1], "right": end[1], "value": -L.FLT_MAX}
            src = b.layer(S.PaddingOp, [src], t(padded), pads)
        cur = list(padded)
        o = list(g.out) if len(x) == 4 else [1, g.out[0]]
        for axis in (1, 0):  # w, then h
            if kernel[axis] == 1:
                continue
            span = (o[axis] - 1) * stride[axis] + 1
            shape = list(cur)
            shape[axis] = span
            acc = None
            for k in range(kernel[axis]):
                lo = k * dil[axis]
                tap = b.layer(S.CropOp, [src], t(shape), {"starts": [lo], "ends": [lo + span], "axes": [axis + 1]})
                acc = tap if acc is None else b.layer(L.BinaryOpOp, [acc, tap], t(shape), {"op_type": 4})
            src, cur = acc, shape
        if cur != o:
            params = {
                "pooling_type": 0, "pad_mode": 1, "kernel_w": 1, "kernel_h": 1,
                "stride_w": stride[1], "stride_h": stride[0],
                "pad_left": 0, "pad_right": 0, "pad_top": 0, "pad_bottom": 0,
            }  # fmt: skip
            src = b.layer(N.PoolingOp, [src], t(o), params)
        return b.reshape(src, out)

    @staticmethod
    def _zero_pad(b: LayerBuilder, v: SSAValue, x, padded, begin, end) -> SSAValue:
        """Constant-0 Padding of the spatial axes (Padding pads h/w, and d of a 4-D Mat)."""
        params: dict[str, Any] = {"left": begin[-1], "right": end[-1]}
        if len(begin) >= 2:
            params.update(top=begin[-2], bottom=end[-2])
        if len(begin) == 3:
            params.update(front=begin[0], behind=end[0])
        if len(begin) == 1:
            v = as_mat(b, v, (x[1], 1, x[2]))
            mat = (padded[1], 1, padded[2])
        else:
            mat = tuple(padded[1:])
        return b.layer(S.PaddingOp, [v], typed(logical_for_mat(mat), v.type), params)


class GlobalPoolToPooling(OnnxToNcnnPattern):
    """GlobalAveragePool / GlobalMaxPool → Pooling global_pooling=1 (a 1-D Mat of C) and a
    Reshape back to (C, 1, 1...)."""

    OP = (onnx_nn.GlobalAveragePoolOp, onnx_nn.GlobalMaxPoolOp)
    REQUIRES = (*DEFAULT_REQUIRES, float_input, batch_one)

    def convert(self, op: onnx_nn.GlobalPoolOp, b: LayerBuilder):
        x = op.in_shape(0)
        out = op.out_shape()
        params = {"pooling_type": 1 if isinstance(op, onnx_nn.GlobalAveragePoolOp) else 0, "global_pooling": 1}
        if len(x) == 5:
            return emit(b, N.Pooling3DOp, [op.X], (x[1],), out, op.Y.type, params)
        src = op.X
        if len(x) != 4:
            # any other rank: pool over one (C, 1, prod(spatial)) plane
            src = as_mat(b, op.X, (x[1], 1, int(np.prod(x[2:]))))
        return emit(b, N.PoolingOp, [src], (x[1],), out, op.Y.type, params)


# ------------------------------------------------------------------------------ linear


def _inner_product(
    b: LayerBuilder,
    a: SSAValue,
    a_shape: Sequence[int],
    weight: np.ndarray,
    bias: np.ndarray | None,
    out_shape: Sequence[int],
    like: Attribute,
) -> SSAValue:
    """InnerProduct applied to the last axis of `a` (weight (N, K)): ncnn multiplies each row
    of a 2-D Mat, so `a` is viewed as (rows, K) and the result reshaped to `out_shape`."""
    n, k = weight.shape
    rows = int(np.prod(a_shape[:-1])) if len(a_shape) > 1 else 1
    src = as_mat(b, a, (rows, k) if rows > 1 else (k,))
    params: dict[str, Any] = {"num_output": n, "weight_data_size": int(weight.size), "bias_term": int(bias is not None)}
    weights = {"weight": weight}
    if bias is not None:
        weights["bias"] = bias
    produced = (rows, n) if rows > 1 else (n,)
    return emit(b, N.InnerProductOp, [src], produced, out_shape, like, params, weights)


class GemmToInnerProduct(OnnxToNcnnPattern):
    """Gemm with a constant B and transA=0 → InnerProduct (alpha folded into the weight, beta*C
    into the bias when C is constant along M); other Gemms → ncnn Gemm."""

    OP = onnx_nn.GemmOp
    REQUIRES = (*DEFAULT_REQUIRES, float_input)

    def convert(self, op: onnx_nn.GemmOp, b: LayerBuilder):
        m, n, k = op.mnk()
        out = op.out_shape()
        alpha, beta = float(op.attr("alpha")), float(op.attr("beta"))
        trans_a, trans_b = op.attr("transA"), op.attr("transB")
        bconst = op.in_const(1)
        if op.has_input(2) and op.in_const(2) is None and beta != 0.0:
            # C computed at run time (torch.addmm, F.linear with a run-time bias): a Gemm bottom
            return self._gemm_layer(op, b, m, n, k, alpha, beta, None, out, runtime_c=True)
        c = const_input(op, b, 2, "C", required=False)
        if bconst is not None and op.in_const(0) is None and not trans_a:
            w = np.asarray(bconst, dtype=np.float32)
            w = (w if trans_b else w.T) * np.float32(alpha)
            bias, c_full = None, None
            if c is not None and beta != 0.0:
                if c.ndim == 2 and c.shape[0] != 1 and m != 1:
                    c_full = np.broadcast_to(c * np.float32(beta), (m, n)).astype(np.float32)
                else:
                    bias = np.broadcast_to(c.reshape(-1) if c.ndim else c, (n,)) * np.float32(beta)
                    bias = np.ascontiguousarray(bias, dtype=np.float32)
            y = _inner_product(b, op.A, (m, k), np.ascontiguousarray(w), bias, out, op.Y.type)
            if c_full is not None:
                cv = b.memory_data(c_full)
                y = b.layer(L.BinaryOpOp, [y, cv], typed(out, op.Y.type), {"op_type": 0})
            return y
        return self._gemm_layer(op, b, m, n, k, alpha, beta, c, out)

    def _gemm_layer(self, op, b: LayerBuilder, m, n, k, alpha, beta, c, out, runtime_c: bool = False):
        if alpha == 0.0:
            raise NoMatch("Gemm with alpha=0 is not supported")
        params: dict[str, Any] = {
            "alpha": alpha, "transA": op.attr("transA"), "transB": op.attr("transB"),
        }  # fmt: skip
        weights: dict[str, np.ndarray] = {}
        inputs: list[SSAValue] = []
        for i, key in ((0, "A"), (1, "B")):
            value = op.in_const(i)
            if value is not None:
                params[f"constant{key}"] = 1
                weights[key] = np.asarray(value, dtype=np.float32)
            else:
                # rows and columns are data: a [1, K] operand stays a (1, K) Mat (ncnn Gemm
                # reads a vector by its packing)
                v = op.operands[i]
                inputs.append(as_mat(b, v, data_mat(input_shape(op, b, i))))
        if "A" in weights:
            params.update(constantM=m, constantK=k)
        if "B" in weights:
            params.update(constantN=n, constantK=k)
        if runtime_c:
            # ncnn picks the broadcast of a C bottom from its Mat: (1) scalar, (1, N) row,
            # (M, 1) column, (M, N) full (a 1-D (N) Mat would be read as per-row when M == N)
            params["beta"] = beta / alpha
            cs = input_shape(op, b, 2)
            if int(np.prod(cs)) == 1:
                c_mat: tuple[int, ...] = (1,)
            elif all(d == 1 for d in cs[:-1]) and cs[-1] == n:
                c_mat = (1, n)
            elif len(cs) == 2 and cs == (m, 1):
                c_mat = (m, 1)
            elif len(cs) == 2 and cs == (m, n):
                c_mat = (m, n)
            else:
                raise NoMatch(f"C of shape {list(cs)} has no ncnn Gemm broadcast onto {[m, n]}")
            inputs.append(as_mat(b, op.C, c_mat))
        elif c is None or beta == 0.0:
            params["constantC"] = 1
            params["constant_broadcast_type_C"] = -1
        else:
            params["constantC"] = 1
            params["beta"] = beta / alpha
            params.update(constantM=m, constantN=n)
            if c.size == 1:
                btype, data = 0, c.reshape(1)
            elif c.ndim == 2 and c.shape == (m, n) and m != 1:
                btype, data = 3, c
            elif c.ndim == 2 and c.shape == (m, 1) and m != 1:
                btype, data = 2, c
            else:
                btype, data = 4, np.broadcast_to(c.reshape(-1), (n,))
            params["constant_broadcast_type_C"] = btype
            weights["C"] = np.ascontiguousarray(data, dtype=np.float32)
        if not inputs:
            raise NoMatch("Gemm of constants should have been folded")
        return emit(b, N.GemmOp, inputs, (m, n), out, op.Y.type, params, weights)


def _matmul_supported(a: Sequence[int], bm: Sequence[int]) -> bool:
    """ncnn broadcasts a batch dim only when one side is 1, and pads lower ranks on the left."""
    if len(a) > 2 and len(bm) > 2:
        a4 = (1,) * (4 - len(a)) + tuple(a)
        b4 = (1,) * (4 - len(bm)) + tuple(bm)
        return all(x == y or x == 1 or y == 1 for x, y in zip(a4[:2], b4[:2]))
    return True


class MatMulToNcnn(OnnxToNcnnPattern):
    """MatMul with a constant 2-D right operand → InnerProduct on the last axis; a constant
    2-D left operand times a 2-D Mat → Gemm with A as weight; otherwise ncnn MatMul (CPU
    only), with constants as MemoryData."""

    OP = onnx_nn.MatMulOp
    REQUIRES = (*DEFAULT_REQUIRES, float_input)

    def convert(self, op: onnx_nn.MatMulOp, b: LayerBuilder):
        a_shape, b_shape = input_shape(op, b, 0), input_shape(op, b, 1)
        out = op.out_shape()
        bconst = op.in_const(1)
        if bconst is not None and len(b_shape) == 2 and op.in_const(0) is None:
            w = np.ascontiguousarray(np.asarray(bconst, dtype=np.float32).T)
            return _inner_product(b, op.A, a_shape, w, None, out, op.Y.type)
        aconst = op.in_const(0)
        if aconst is not None and len(a_shape) == 2 and bconst is None and len(mat_shape(b_shape)) == 2 and (
            len(out) == 2 or (len(out) == 3 and out[0] == 1)
        ):
            # constant (M, K) times a run-time (K, N): ncnn Gemm with A as weight (Gemm runs on
            # Vulkan, MatMul does not)
            (m, k), n = a_shape, b_shape[-1]
            params = {"constantA": 1, "constantM": m, "constantK": k, "constantC": 1, "constant_broadcast_type_C": -1}
            weights = {"A": np.asarray(aconst, dtype=np.float32)}
            return emit(b, N.GemmOp, [as_mat(b, op.B, (k, n))], (m, n), out, op.Y.type, params, weights)
        # ncnn reads a vector A as one row (exact), but a vector B as one column: B's rows
        # and columns are data, so a [1, N] B stays a (1, N) Mat
        am, bm = mat_shape(a_shape), data_mat(b_shape)
        if len(am) > 4 or len(bm) > 4 or not _matmul_supported(am, bm):
            raise NoMatch(f"ncnn MatMul cannot multiply Mats {list(am)} and {list(bm)}")
        layer = N.MatMulOp.build([], [])
        (produced,) = layer.infer_mat([am, bm])
        a_in, b_in = as_mat(b, op.A, am), as_mat(b, op.B, bm)
        return emit(b, N.MatMulOp, [a_in, b_in], produced, out, op.Y.type)


# ------------------------------------------------------------------------------ normalisation


class BatchNormalizationToBatchNorm(OnnxToNcnnPattern):
    """Inference BatchNormalization → BatchNorm (slope, mean, var, bias; eps as given)."""

    OP = onnx_nn.BatchNormalizationOp
    REQUIRES = (*DEFAULT_REQUIRES, float_input)

    def convert(self, op: onnx_nn.BatchNormalizationOp, b: LayerBuilder):
        x = input_shape(op, b)
        if op.attr("training_mode"):
            raise NoMatch("BatchNormalization in training mode is not supported")
        if any(used(r) for r in op.training_outputs):
            raise NoMatch("BatchNormalization's running mean/var outputs are not supported")
        if b.axis(1) != 0:
            raise NoMatch(f"the channel axis of {list(x)} is not the Mat's outer axis")
        weights = {
            "slope": const_input(op, b, 1, "scale"),
            "mean": const_input(op, b, 3, "input_mean"),
            "var": const_input(op, b, 4, "input_var"),
            "bias": const_input(op, b, 2, "B"),
        }
        params = {"channels": x[1], "eps": op.attr("epsilon")}
        y = b.layer(N.BatchNormOp, [op.X], op.Y.type, params, weights)
        return [y] + [None] * len(op.training_outputs)


class LayerNormalizationToLayerNorm(OnnxToNcnnPattern):
    """LayerNormalization → LayerNorm. ncnn normalises rows of w, or channels of h*w, so
    any other grouping of the normalised axes is reshaped to (outer, size) rows."""

    OP = onnx_nn.LayerNormalizationOp
    REQUIRES = (*DEFAULT_REQUIRES, float_input)

    def convert(self, op: onnx_nn.LayerNormalizationOp, b: LayerBuilder):
        x = input_shape(op, b)
        if any(used(r) for r in op.stats):
            raise NoMatch("LayerNormalization's Mean / InvStdDev outputs are not supported")
        a = op.norm_axis()
        inner = tuple(x[a:])
        size = int(np.prod(inner))
        outer = int(np.prod(x[:a]))
        scale = const_input(op, b, 1, "Scale", required=False)
        bias = const_input(op, b, 2, "B", required=False)
        gamma = np.ones(inner, np.float32) if scale is None else np.broadcast_to(scale, inner)
        beta = np.zeros(inner, np.float32) if bias is None else np.broadcast_to(bias, inner)
        params = {"affine_size": size, "eps": op.attr("epsilon"), "affine": 1}
        weights = {"gamma": gamma.reshape(-1), "beta": beta.reshape(-1)}
        mat = mat_shape(x)
        # ncnn normalises each w-row (1-3-D Mats), or each h*w plane of a 3-D Mat
        direct = (len(inner) == 1 and len(mat) <= 3) or (len(inner) == 2 and len(mat) == 3)
        if direct:
            y = b.layer(N.LayerNormOp, [op.X], op.Y.type, params, weights)
        else:
            rows = (outer, size) if outer > 1 else (size,)
            src = as_mat(b, op.X, rows)
            y = emit(b, N.LayerNormOp, [src], rows, x, op.Y.type, params, weights)
        return [y] + [None] * len(op.stats)


class InstanceNormalizationToInstanceNorm(OnnxToNcnnPattern):
    """InstanceNormalization → InstanceNorm over a (C, H, W) Mat (other ranks reshaped)."""

    OP = onnx_nn.InstanceNormalizationOp
    REQUIRES = (*DEFAULT_REQUIRES, float_input, batch_one)

    def convert(self, op: onnx_nn.InstanceNormalizationOp, b: LayerBuilder):
        x = op.in_shape(0)
        c = x[1]
        params = {"channels": c, "eps": op.attr("epsilon"), "affine": 1}
        weights = {"gamma": const_input(op, b, 1, "scale"), "beta": const_input(op, b, 2, "B")}
        if len(x) == 4:
            return b.layer(N.InstanceNormOp, [op.input], op.output.type, params, weights)
        plane = (c, int(np.prod(x[2:-1])) if len(x) > 3 else 1, x[-1])
        src = as_mat(b, op.input, plane)
        return emit(b, N.InstanceNormOp, [src], plane, x, op.output.type, params, weights)


class GroupNormalizationToGroupNorm(OnnxToNcnnPattern):
    """GroupNormalization → GroupNorm (groups of channels on c of a 3/4-D Mat, h of a 2-D
    one), gamma/beta per channel (opset 18's per-group values repeated)."""

    OP = onnx_nn.GroupNormalizationOp
    REQUIRES = (*DEFAULT_REQUIRES, float_input, batch_one)

    def convert(self, op: onnx_nn.GroupNormalizationOp, b: LayerBuilder):
        x = op.in_shape(0)
        gamma, beta = op.channel_affine(const_input(op, b, 1, "scale"), const_input(op, b, 2, "bias"))
        params = {"group": op.attr("num_groups"), "channels": x[1], "eps": op.attr("epsilon"), "affine": 1}
        src, mat = op.X, tuple(x[1:])
        if len(mat) > 4:
            mat = (x[1], int(np.prod(x[2:-1])), x[-1])
            src = as_mat(b, op.X, mat)
        return emit(b, N.GroupNormOp, [src], mat, x, op.Y.type, params, {"gamma": gamma, "beta": beta})


class LRNToLRN(OnnxToNcnnPattern):
    """LRN → LRN across channels of a (C, H, W) Mat (other ranks reshaped). ncnn divides alpha
    by local_size as ONNX does; its window is symmetric, so only odd sizes match."""

    OP = onnx_nn.LRNOp
    REQUIRES = (*DEFAULT_REQUIRES, float_input, batch_one)

    def convert(self, op: onnx_nn.LRNOp, b: LayerBuilder):
        x = op.in_shape(0)
        size = int(op.attr("size"))
        if size % 2 == 0:
            raise NoMatch(f"size {size} is even: ONNX sums channels c-{(size - 1) // 2}..c+{size // 2}, "
                          "ncnn LRN only a symmetric window")
        params = {
            "region_type": 0, "local_size": size, "alpha": op.attr("alpha"),
            "beta": op.attr("beta"), "bias": op.attr("bias"),
        }  # fmt: skip
        plane = (x[1], int(np.prod(x[2:-1])) if len(x) > 3 else 1, x[-1])
        src = as_mat(b, op.X, plane)
        return emit(b, N.LRNOp, [src], plane, x, op.Y.type, params)


class CumSumToCumulativeSum(OnnxToNcnnPattern):
    """CumSum → CumulativeSum along the Mat axis (a sequential sum, as onnxruntime's).
    `exclusive`: the sum of [0, x0, …, x(n-2)] (a zero MemoryData concatenated before a Crop
    of all but the last); `reverse`: Flip before and after."""

    OP = onnx_reduce.CumSumOp
    REQUIRES = (*DEFAULT_REQUIRES, float_input)

    def convert(self, op: onnx_reduce.CumSumOp, b: LayerBuilder):
        x = input_shape(op, b)
        a = op.cum_axis()
        if a is None:
            raise NoMatch("the axis must be a constant")
        axis = b.axis(a)
        mat = mat_shape(x)
        t = op.y.type
        v = op.x
        if op.attr("reverse"):
            v = b.layer(S.FlipOp, [v], t, {"axes": [axis]})
        if op.attr("exclusive") and x[a] > 1:
            head_mat = tuple(1 if i == axis else d for i, d in enumerate(mat))
            head = b.memory_data(np.zeros(head_mat, np.float32), logical_for_mat(head_mat))
            body = list(x)
            body[a] = x[a] - 1
            body_v = b.layer(S.CropOp, [v], typed(body, t), {"starts": [0], "ends": [x[a] - 1], "axes": [axis]})
            v = b.layer(S.ConcatOp, [head, body_v], t, {"axis": axis})
            v = b.layer(N.CumulativeSumOp, [v], t, {"axis": axis})
        elif op.attr("exclusive"):
            v = b.memory_data(np.zeros(mat, np.float32), x)
        else:
            v = b.layer(N.CumulativeSumOp, [v], t, {"axis": axis})
        if op.attr("reverse"):
            v = b.layer(S.FlipOp, [v], t, {"axes": [axis]})
        return v


# ------------------------------------------------------------------------------ resize


def _onnx_source_coords(mode: str, out: int, in_: int, scale: float) -> np.ndarray:
    """ONNX (onnxruntime) source coordinates of each output index, in float32."""
    x = np.arange(out, dtype=np.float32)
    s = np.float32(scale)
    if mode == "asymmetric":
        return x / s
    if mode == "half_pixel":
        return (x + np.float32(0.5)) / s - np.float32(0.5)
    if mode == "pytorch_half_pixel":
        return (x + np.float32(0.5)) / s - np.float32(0.5) if out > 1 else np.zeros(out, np.float32)
    if mode == "tf_half_pixel_for_nn":
        return (x + np.float32(0.5)) / s
    if mode == "align_corners":
        if out == 1:
            return np.zeros(out, np.float32)
        return x * np.float32(in_ - 1) / np.float32(out - 1)
    raise ValueError(mode)


def _onnx_nearest_index(coord: np.ndarray, nearest_mode: str, in_: int) -> np.ndarray:
    if nearest_mode == "floor":
        idx = np.floor(coord)
    elif nearest_mode == "ceil":
        idx = np.ceil(coord)
    elif nearest_mode == "round_prefer_floor":
        idx = np.where(coord - np.floor(coord) == 0.5, np.floor(coord), np.round(coord))
    elif nearest_mode == "round_prefer_ceil":
        idx = np.where(coord - np.floor(coord) == 0.5, np.ceil(coord), np.round(coord))
    else:
        raise ValueError(nearest_mode)
    return np.clip(idx, 0, in_ - 1).astype(np.int64)


def _ncnn_nearest_index(out: int, in_: int) -> np.ndarray:
    """ncnn Interp nearest with an explicit output size: min(int(dst * (in / out)), in - 1)."""
    s = np.float32(in_) / np.float32(out)
    idx = (np.arange(out, dtype=np.float32) * s).astype(np.int64)
    return np.minimum(idx, in_ - 1)


def _linear_align(mode: str, out: int, in_: int, scale: float) -> int | None:
    """ncnn's align_corner value reproducing ONNX linear coordinates, or None."""
    x = np.arange(out, dtype=np.float64)
    if mode in ("half_pixel", "pytorch_half_pixel"):
        if mode == "pytorch_half_pixel" and out == 1:
            return None
        onnx = (x + 0.5) / scale - 0.5
        ncnn = (x + 0.5) * (in_ / out) - 0.5
        align = 0
    elif mode == "align_corners":
        if out == 1 or in_ == 1:
            return 1 if in_ == 1 else None
        onnx = x * (in_ - 1) / (out - 1)
        ncnn = onnx
        align = 1
    else:
        return None
    # beyond the edges both clamp, so compare the clamped source coordinates
    onnx = np.clip(onnx, 0, in_ - 1)
    ncnn = np.clip(ncnn, 0, in_ - 1)
    return align if np.max(np.abs(onnx - ncnn), initial=0.0) < 1e-6 * max(in_, 1) else None


class ResizeToInterp(OnnxToNcnnPattern):
    """Resize of H/W of an (1, C, H, W) tensor → Interp with an explicit output size, when
    ncnn's sampling is exactly ONNX's: nearest when the per-pixel source indices agree,
    bilinear for half_pixel / pytorch_half_pixel (align_corner 0) and align_corners (1)."""

    OP = onnx_nn.ResizeOp
    REQUIRES = (*DEFAULT_REQUIRES, float_input)

    def convert(self, op: onnx_nn.ResizeOp, b: LayerBuilder):
        x = input_shape(op, b)
        resolved = op.resolved()
        if resolved is None:
            raise NoMatch("scales / sizes must be constants")
        out, scales = resolved
        src = op.X
        if len(x) == 3:  # (N, C, W): an image of height 1
            x, out, scales = (*x[:2], 1, x[2]), (*out[:2], 1, out[2]), (*scales[:2], 1.0, scales[2])
            src = b.reshape(op.X, x) if x[0] == 1 else src
        if len(x) != 4:
            raise NoMatch(f"only 3-D (N, C, W) and 4-D (N, C, H, W) Resize is supported, got {list(x)}")
        if out[:2] != x[:2]:
            raise NoMatch("Resize of the batch or channel axis is not supported")
        need_batch_one(b, x)
        if op.attr("antialias"):
            raise NoMatch("antialiased Resize is not supported")
        mode = op.attr("mode")
        ctm = op.attr("coordinate_transformation_mode")
        if ctm == "tf_crop_and_resize":
            raise NoMatch("coordinate_transformation_mode tf_crop_and_resize is not supported")
        params: dict[str, Any] = {"output_height": out[2], "output_width": out[3]}
        resized = [ax for ax in (2, 3) if (x[ax], out[ax]) != (1, 1)]  # a height of 1 stays
        if mode == "nearest":
            nm = op.attr("nearest_mode")
            for ax in resized:
                onnx_idx = _onnx_nearest_index(_onnx_source_coords(ctm, out[ax], x[ax], scales[ax]), nm, x[ax])
                if not np.array_equal(onnx_idx, _ncnn_nearest_index(out[ax], x[ax])):
                    raise NoMatch(
                        f"nearest Resize ({ctm}, {nm}) of axis {ax} from {x[ax]} to {out[ax]} "
                        "picks different pixels than ncnn Interp (floor of dst*in/out)"
                    )
            params["resize_type"] = 1
        elif mode == "linear":
            aligns = {_linear_align(ctm, out[ax], x[ax], scales[ax]) for ax in resized} or {0}
            if None in aligns or len(aligns) != 1:
                raise NoMatch(
                    f"linear Resize with coordinate_transformation_mode {ctm} and scales "
                    f"{list(scales[2:])} cannot be reproduced by ncnn Interp"
                )
            params["resize_type"] = 2
            params["align_corner"] = aligns.pop()
        else:
            raise NoMatch(f"Resize mode '{mode}' is not supported")
        if src is op.X:
            return b.layer(N.InterpOp, [op.X], op.Y.type, params)
        y = b.layer(N.InterpOp, [src], TensorType(op.Y.type.element_type, list(out)), params)
        return b.reshape(y, op.out_shape())


# ------------------------------------------------------------------------------ reduce


class ReduceToReduction(OnnxToNcnnPattern):
    """Reduce* → Reduction with axes on the Mat (fixbug0=1). A dropped batch axis of size 1
    reduces nothing, so it is left out of the axes."""

    OP = onnx_reduce.ReduceOp
    REQUIRES = (*DEFAULT_REQUIRES, float_input)

    def convert(self, op: onnx_reduce.ReduceOp, b: LayerBuilder):
        reduction = op.get_trait(Reduction)
        # ReduceLogSumExp is left out: ncnn's has no max shift, so exp overflows where
        # onnxruntime's does not
        if reduction is None:
            raise NoMatch("has no ncnn Reduction form")
        if reduction.kind == "log_sum_exp":
            raise NoMatch("ncnn's ReduceLogSumExp has no max shift, so exp overflows where onnxruntime's does not")
        x = input_shape(op, b)
        axes = op.reduce_axes()
        out = op.out_shape()
        keep = int(op.attr("keepdims"))
        operation = N.ReductionOp.OPERATIONS[reduction.kind]
        unary = None if reduction.pointwise is None else L.UnaryOpOp.OP_TYPES[reduction.pointwise]
        dropped = len(x) - len(mat_shape(x))
        mat_axes = sorted(b.axis(a) for a in axes if a >= dropped)
        if not mat_axes:
            # nothing (or only the batch axis of size 1) is reduced: the elementwise part only
            v = op.data
            if unary is not None:
                v = b.layer(L.UnaryOpOp, [v], typed(x, op.reduced.type), {"op_type": unary})
            if tuple(x) == tuple(out) and unary is None:
                return v
            return b.reshape(v, out)
        mat = mat_shape(x)
        params: dict[str, Any] = {
            "operation": operation,
            "reduce_all": 0,
            "axes": mat_axes,
            "keepdims": keep,
            "fixbug0": 1,
        }
        if keep:
            produced = tuple(1 if i in mat_axes else d for i, d in enumerate(mat))
        else:
            produced = tuple(d for i, d in enumerate(mat) if i not in mat_axes) or (1,)
        return emit(b, N.ReductionOp, [op.data], produced, out, op.reduced.type, params)


PATTERNS = [
    ConvToConvolution(),
    ConvTransposeToDeconvolution(),
    Col2ImToFold(),
    PoolToPooling(),
    GlobalPoolToPooling(),
    GemmToInnerProduct(),
    MatMulToNcnn(),
    BatchNormalizationToBatchNorm(),
    LayerNormalizationToLayerNorm(),
    InstanceNormalizationToInstanceNorm(),
    GroupNormalizationToGroupNorm(),
    LRNToLRN(),
    CumSumToCumulativeSum(),
    ResizeToInterp(),
    ReduceToReduction(),
]

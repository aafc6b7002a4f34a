"""Neural-network and reduction ops: shape rules and numpy evaluation checked against
onnxruntime on single-node models, the ncnn param tables checked against ncnn's loaders, the
onnx → ncnn conversions checked on the IR (layer types, params, refusals), and a few
conversions checked numerically in ncnn (CPU fp32, in a subprocess)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from xdsl.dialects.builtin import (
    DenseArrayBase,
    FloatAttr,
    IntegerAttr,
    ModuleOp,
    StringAttr,
    TensorType,
    f32,
    i64,
)
from xdsl.dialects.func import FuncOp, ReturnOp
from xdsl.ir import Block, Region

from ncc.dialects.common import NccError, static_shape
from ncc.dialects.ncnn import nn as N
from ncc.dialects.ncnn.base import mat_shape
from ncc.dialects.onnx import nn as O
from ncc.dialects.onnx import reduce as R
from ncc.dialects.onnx.base import ConstantOp, NoValueOp

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from onnx import helper, numpy_helper  # noqa: E402

RNG = np.random.default_rng(0)


def rand(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape).astype(np.float32)


def i64s(*v: int) -> np.ndarray:
    return np.array(v, dtype=np.int64)


# --------------------------------------------------------------------------- helpers


def _prop(v):
    if isinstance(v, str):
        return StringAttr(v)
    if isinstance(v, float):
        return FloatAttr(v, f32)
    if isinstance(v, list | tuple):
        return DenseArrayBase.from_list(i64, [int(x) for x in v])
    return IntegerAttr(int(v), i64)


def make_op(cls, inputs, attrs=None, n_results=1):
    """An op of `cls` whose operands are constants (None → NoValue)."""
    defs = [NoValueOp() if a is None else ConstantOp.from_array(np.asarray(a)) for a in inputs]
    op = cls.create(
        operands=[d.results[0] for d in defs],
        result_types=[TensorType(f32, [1])] * n_results,
        properties={k: _prop(v) for k, v in (attrs or {}).items()},
    )
    Block(defs + [op])
    return op


def ort_run(op_type, inputs, attrs=None, n_out=1, opset=18):
    """Run one ONNX node in onnxruntime (None inputs are absent optional inputs)."""
    names, feeds, vis = [], {}, []
    for i, a in enumerate(inputs):
        if a is None:
            names.append("")
            continue
        a = np.asarray(a)
        names.append(f"in{i}")
        feeds[f"in{i}"] = a
        vis.append(helper.make_tensor_value_info(f"in{i}", helper.np_dtype_to_tensor_dtype(a.dtype), a.shape))
    while names and names[-1] == "":
        names.pop()
    outs = [f"out{i}" for i in range(n_out)]
    node = helper.make_node(op_type, names, outs, **(attrs or {}))
    graph = helper.make_graph([node], "g", vis, [onnx.ValueInfoProto(name=o) for o in outs])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return sess.run(None, feeds)


def check_shape(cls, op_type, inputs, attrs=None, opset=18):
    """infer_types() gives onnxruntime's output shape."""
    want = ort_run(op_type, inputs, attrs, opset=opset)[0]
    types = make_op(cls, inputs, attrs).infer_types()
    assert types is not None
    assert static_shape(types[0]) == want.shape


def check_eval(cls, op_type, inputs, attrs=None, rtol=1e-5, n_out=1):
    """evaluate() and infer_types() agree with onnxruntime."""
    want = ort_run(op_type, inputs, attrs, n_out=n_out)
    op = make_op(cls, inputs, attrs, n_results=n_out)
    got = op.evaluate(*[None if a is None else np.asarray(a) for a in inputs])
    types = op.infer_types()
    for g, w, t in zip(got, want, types, strict=True):
        assert g.shape == w.shape and static_shape(t) == w.shape
        assert g.dtype == w.dtype
        np.testing.assert_allclose(g, w, rtol=rtol, atol=rtol * max(1.0, float(np.abs(w).max())))


# --------------------------------------------------------------------------- shape rules


@pytest.mark.parametrize(
    "x,w,attrs",
    [
        ((1, 3, 8, 9), (4, 3, 3, 3), {"pads": [1, 1, 1, 1]}),
        ((1, 4, 11, 13), (6, 4, 3, 2), {"strides": [2, 3], "dilations": [2, 1], "pads": [0, 1, 2, 0]}),
        ((1, 4, 10, 11), (5, 4, 4, 3), {"strides": [2, 2], "auto_pad": "SAME_UPPER"}),
        ((1, 4, 10, 11), (5, 4, 4, 3), {"strides": [3, 2], "auto_pad": "SAME_LOWER"}),
        ((1, 4, 10, 11), (5, 4, 3, 3), {"auto_pad": "VALID", "strides": [2, 2]}),
        ((2, 8, 9, 7), (12, 4, 3, 3), {"group": 2, "strides": [1, 2]}),
        ((1, 4, 17), (6, 4, 5), {"pads": [2, 1], "strides": [2]}),
        ((1, 3, 5, 6, 7), (4, 3, 3, 3, 2), {"pads": [1, 0, 1, 0, 1, 1]}),
    ],
)
def test_conv_shape(x, w, attrs):
    check_shape(O.ConvOp, "Conv", [rand(*x), rand(*w)], attrs)


@pytest.mark.parametrize(
    "x,w,attrs",
    [
        ((1, 4, 5, 6), (4, 3, 3, 3), {"strides": [2, 2], "pads": [1, 1, 1, 1], "output_padding": [1, 1]}),
        ((1, 6, 5, 4), (6, 3, 3, 3), {"group": 3, "strides": [2, 1], "pads": [0, 1, 1, 1]}),
        ((1, 3, 5, 4), (3, 2, 3, 3), {"strides": [2, 2], "output_shape": [10, 7]}),
        ((1, 3, 5, 4), (3, 2, 3, 3), {"strides": [2, 2], "auto_pad": "SAME_UPPER"}),
        ((1, 3, 5, 4), (3, 2, 3, 3), {"dilations": [2, 2]}),
        ((1, 4, 5, 3, 4), (4, 3, 3, 2, 3),
         {"strides": [2, 1, 2], "pads": [1, 0, 1, 0, 1, 0], "output_padding": [1, 0, 1], "dilations": [1, 2, 1]}),
    ],
)
def test_conv_transpose_shape(x, w, attrs):
    check_shape(O.ConvTransposeOp, "ConvTranspose", [rand(*x), rand(*w)], attrs)


@pytest.mark.parametrize("op_type,cls", [("MaxPool", O.MaxPoolOp), ("AveragePool", O.AveragePoolOp)])
@pytest.mark.parametrize(
    "x,attrs",
    [
        ((1, 3, 9, 10), {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]}),
        ((1, 3, 10, 11), {"kernel_shape": [3, 2], "strides": [2, 3], "ceil_mode": 1}),
        ((1, 3, 10, 11), {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1], "ceil_mode": 1}),
        # the last ceil_mode window would start in the end padding: ONNX drops it
        ((1, 1, 5, 5), {"kernel_shape": [2, 2], "strides": [2, 2], "pads": [1, 1, 1, 1], "ceil_mode": 1}),
        ((1, 3, 10, 11), {"kernel_shape": [3, 3], "strides": [2, 2], "auto_pad": "SAME_UPPER"}),
        ((1, 3, 10, 11), {"kernel_shape": [3, 3], "strides": [2, 2], "auto_pad": "VALID"}),
        ((1, 2, 6, 7, 8), {"kernel_shape": [2, 3, 3], "strides": [2, 2, 2]}),
    ],
)
def test_pool_shape(op_type, cls, x, attrs):
    check_shape(cls, op_type, [rand(*x)], attrs)


@pytest.mark.parametrize(
    "a,b",
    [((3, 4), (4, 5)), ((4,), (4, 5)), ((3, 4), (4,)), ((4,), (4,)), ((2, 1, 3, 4), (5, 4, 6)),
     ((1, 4), (3, 4, 5)), ((2, 3, 7, 8), (8,))],
)  # fmt: skip
def test_matmul(a, b):
    check_eval(O.MatMulOp, "MatMul", [rand(*a), rand(*b)])


@pytest.mark.parametrize(
    "attrs,c",
    [({}, (5,)), ({"transA": 1, "alpha": 0.5}, (3, 5)), ({"transB": 1, "beta": 2.0}, (1, 5)), ({}, None)],
)
def test_gemm(attrs, c):
    a = rand(4, 3) if attrs.get("transA") else rand(3, 4)
    b = rand(5, 4) if attrs.get("transB") else rand(4, 5)
    check_eval(O.GemmOp, "Gemm", [a, b, None if c is None else rand(*c)], attrs)


def test_batchnorm_eval():
    c = 4
    var = np.abs(rand(c)) + 0.1
    check_eval(O.BatchNormalizationOp, "BatchNormalization", [rand(1, c, 3, 5), rand(c), rand(c), rand(c), var], {"epsilon": 1e-3})


@pytest.mark.parametrize("axis,scale", [(-1, (6,)), (-2, (5, 6)), (1, (4, 5, 6)), (-2, (6,))])
def test_layernorm_eval(axis, scale):
    check_eval(O.LayerNormalizationOp, "LayerNormalization", [rand(2, 4, 5, 6), rand(*scale), rand(*scale)], {"axis": axis})


def test_layernorm_stats_shapes():
    op = make_op(O.LayerNormalizationOp, [rand(2, 4, 5), rand(5), None], {"axis": -1}, n_results=3)
    assert [static_shape(t) for t in op.infer_types()] == [(2, 4, 5), (2, 4, 1), (2, 4, 1)]


def test_instancenorm_eval():
    check_eval(O.InstanceNormalizationOp, "InstanceNormalization", [rand(1, 3, 4, 5), rand(3), rand(3)], {"epsilon": 1e-5})


@pytest.mark.parametrize("op_type,cls", [("GlobalAveragePool", O.GlobalAveragePoolOp), ("GlobalMaxPool", O.GlobalMaxPoolOp)])
def test_global_pool_eval(op_type, cls):
    check_eval(cls, op_type, [rand(1, 3, 4, 5)])


@pytest.mark.parametrize(
    "scales,sizes,attrs",
    [
        ([1, 1, 2, 2], None, {}),
        ([1, 1, 0.5, 1.5], None, {}),
        (None, [1, 3, 7, 9], {}),
        (None, [7, 9], {"axes": [2, 3]}),
        (None, [8, 8], {"axes": [2, 3], "keep_aspect_ratio_policy": "not_larger"}),
        (None, [8, 8], {"axes": [2, 3], "keep_aspect_ratio_policy": "not_smaller"}),
    ],
)
def test_resize_shape(scales, sizes, attrs):
    x = rand(1, 3, 5, 6)
    s = None if scales is None else np.asarray(scales, np.float32)
    z = None if sizes is None else np.asarray(sizes, np.int64)
    check_shape(O.ResizeOp, "Resize", [x, None, s, z], attrs)


REDUCE = [(c.name.split(".")[1], c) for c in R.OPS if issubclass(c, R.ReduceOp)]


@pytest.mark.parametrize("op_type,cls", REDUCE)
@pytest.mark.parametrize(
    "axes,keepdims,noop",
    [(i64s(2, 3), 1, 0), (i64s(-1), 0, 0), (None, 0, 0), (None, 1, 1), (i64s(0, 1), 1, 0)],
)
def test_reduce(op_type, cls, axes, keepdims, noop):
    x = np.abs(rand(2, 3, 4, 5)) + 0.5  # positive: ReduceLogSum / ReduceProd stay finite
    check_eval(cls, op_type, [x, axes], {"keepdims": keepdims, "noop_with_empty_axes": noop}, rtol=1e-5)


@pytest.mark.parametrize("axis,exclusive,reverse", [(1, 0, 0), (-1, 1, 0), (2, 0, 1), (3, 1, 1)])
def test_cumsum(axis, exclusive, reverse):
    check_eval(R.CumSumOp, "CumSum", [rand(2, 3, 4, 5), i64s(axis)], {"exclusive": exclusive, "reverse": reverse})


@pytest.mark.parametrize("groups,per_group", [(2, False), (3, True), (6, False)])
def test_group_norm(groups, per_group):
    """Opset 21 scales per channel, opset 18 per group: evaluate() reads both by length."""
    x = rand(1, 6, 4, 5)
    n = groups if per_group else 6
    scale, bias = rand(n), rand(n)
    attrs = {"num_groups": groups, "epsilon": 1e-3}
    (want,) = ort_run("GroupNormalization", [x, scale, bias], attrs, opset=18 if per_group else 21)
    (got,) = make_op(O.GroupNormalizationOp, [x, scale, bias], attrs).evaluate(x, scale, bias)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("size", [1, 3, 5])  # onnxruntime refuses even sizes
def test_lrn(size):
    check_eval(O.LRNOp, "LRN", [rand(1, 7, 3, 4)], {"size": size, "alpha": 0.02, "beta": 0.75, "bias": 1.5})


def test_reduce_repeated_axis():
    with pytest.raises(NccError, match="repeat"):
        make_op(R.ReduceSumOp, [rand(2, 3), i64s(1, -1)]).infer_types()


def test_conv_shape_errors():
    with pytest.raises(NccError, match="channels"):
        make_op(O.ConvOp, [rand(1, 3, 5, 5), rand(4, 2, 3, 3)]).infer_types()
    with pytest.raises(NccError, match="kernel_shape"):
        make_op(O.ConvOp, [rand(1, 3, 5, 5), rand(4, 3, 3, 3)], {"kernel_shape": [2, 2]}).infer_types()


# --------------------------------------------------------------------------- ncnn param tables


def test_param_ids_unique_and_dependent_defaults():
    for cls in N.LAYERS:
        ids = [p.id for p in cls.PARAMS.values()]
        assert len(ids) == len(set(ids)), cls.name
        assert all(0 <= i < 32 for i in ids), cls.name
    # ncnn reads these with another param as the default; a numeric default here would let
    # the emitter drop e.g. pad_right=0 next to pad_left=1
    dependent = {
        N.ConvolutionOp: ["kernel_h", "dilation_h", "stride_h", "pad_right", "pad_top", "pad_bottom"],
        N.DeconvolutionOp: ["kernel_h", "pad_right", "output_pad_bottom", "output_h"],
        N.PoolingOp: ["kernel_h", "stride_h", "pad_right", "pad_top", "pad_bottom", "out_h"],
        N.Pooling3DOp: ["kernel_d", "stride_d", "pad_front", "pad_behind", "out_d"],
        N.Convolution3DOp: ["kernel_d", "dilation_d", "stride_d", "pad_front", "pad_behind"],
        N.Deconvolution3DOp: [
            "kernel_h", "kernel_d", "dilation_d", "stride_d", "pad_right", "pad_front", "pad_behind",
            "output_pad_bottom", "output_pad_behind", "output_h", "output_d",
        ],
    }
    for cls, keys in dependent.items():
        for k in keys:
            assert cls.PARAMS[k].default is None, (cls.name, k)


def test_param_ids_match_ncnn():
    """Spot checks against src/layer/*.cpp load_param."""
    conv = N.ConvolutionOp.PARAMS
    assert [conv[k].id for k in ("pad_left", "pad_right", "pad_top", "pad_bottom", "pad_value")] == [4, 15, 14, 16, 18]
    pool = N.PoolingOp.PARAMS
    assert [pool[k].id for k in ("pad_left", "pad_right", "pad_top", "pad_bottom", "pad_mode")] == [3, 14, 13, 15, 5]
    assert pool["avgpool_count_include_pad"].id == 6
    assert N.DeconvolutionOp.PARAMS["output_pad_right"].id == 18
    assert N.DeconvolutionOp.PARAMS["dynamic_weight"].id == 28
    assert N.ConvolutionDepthWiseOp.PARAMS["group"].id == 7
    assert N.Convolution3DOp.PARAMS["pad_behind"].id == 17
    assert N.Pooling3DOp.PARAMS["pad_behind"].id == 16
    d3 = N.Deconvolution3DOp.PARAMS
    assert [d3[k].id for k in ("kernel_d", "dilation_d", "stride_d", "pad_front", "pad_behind")] == [21, 22, 23, 24, 17]
    assert [d3[k].id for k in ("output_pad_right", "output_pad_bottom", "output_pad_behind")] == [18, 19, 20]
    assert [d3[k].id for k in ("output_w", "output_h", "output_d")] == [25, 26, 27]
    assert [d3[k].id for k in ("activation_type", "activation_params")] == [9, 10]
    assert N.ReductionOp.PARAMS["fixbug0"].id == 5
    assert N.ReductionOp.PARAMS["reduce_all"].default == 1
    assert N.LayerNormOp.PARAMS["eps"].default == pytest.approx(0.001)
    assert N.InstanceNormOp.PARAMS["eps"].default == pytest.approx(0.001)
    assert N.GemmOp.PARAMS["alpha"].default == 1.0 and N.GemmOp.PARAMS["beta"].default == 1.0
    assert N.InterpOp.PARAMS["align_corner"].id == 6


def test_weight_tags_match_loaders():
    tags = lambda cls: [(w.name, w.tagged) for w in cls.WEIGHTS]  # noqa: E731
    convs = (N.ConvolutionOp, N.ConvolutionDepthWiseOp, N.DeconvolutionOp, N.Convolution3DOp, N.Deconvolution3DOp)
    for cls in (*convs, N.InnerProductOp):
        assert tags(cls) == [("weight", True), ("bias", False)], cls.name
    assert tags(N.BatchNormOp) == [("slope", False), ("mean", False), ("var", False), ("bias", False)]
    assert tags(N.GemmOp) == [("A", True), ("B", True), ("C", True)]
    assert tags(N.LayerNormOp) == tags(N.InstanceNormOp) == [("gamma", False), ("beta", False)]
    assert not N.MatMulOp.VULKAN and not N.Convolution3DOp.VULKAN and not N.Pooling3DOp.VULKAN
    assert not N.Deconvolution3DOp.VULKAN


# --------------------------------------------------------------------------- conversions on IR


def convert(build):
    """Build a @main with `build(block_args) -> (ops, results)`, run convert-onnx-to-ncnn,
    return the ncnn ops."""
    from xdsl.context import Context

    from ncc.lowering.onnx_to_ncnn import ConvertOnnxToNcnnPass

    def wrap(in_types, body):
        block = Block(arg_types=in_types)
        ops, results = body(block.args)
        block.add_ops([*ops, ReturnOp(*results)])
        f = FuncOp("main", (in_types, [r.type for r in results]), Region(block))
        return ModuleOp([f])

    module = wrap(*build)
    ConvertOnnxToNcnnPass().apply(Context(), module)
    return [op for op in module.walk() if op.name.startswith("ncnn.")]


def node(cls, operands, out_shape, attrs=None, n_extra=0):
    op = cls.create(
        operands=list(operands),
        result_types=[TensorType(f32, list(out_shape))] + [TensorType(f32, [1])] * n_extra,
        properties={k: _prop(v) for k, v in (attrs or {}).items()},
    )
    return op


def const(a):
    return ConstantOp.from_array(np.asarray(a))


def t(*shape):
    return TensorType(f32, list(shape))


def test_conv_params_asymmetric_and_dw():
    def body(args):
        w, b = const(rand(4, 1, 3, 3)), const(rand(4))
        op = node(O.ConvOp, [args[0], w.results[0], b.results[0]], (1, 4, 4, 5),
                  {"group": 4, "strides": [2, 2], "pads": [1, 0, 0, 1]})  # fmt: skip
        return [w, b, op], [op.results[0]]

    (layer,) = convert(([t(1, 4, 8, 9)], body))
    assert layer.name == "ncnn.ConvolutionDepthWise"
    p = {k: layer.param(k) for k in ("group", "pad_left", "pad_right", "pad_top", "pad_bottom", "stride_h")}
    assert p == {"group": 4, "pad_left": 0, "pad_right": 1, "pad_top": 1, "pad_bottom": 0, "stride_h": 2}
    # pad_left=0 is ncnn's real default; the other sides are written even when 0, since ncnn
    # would otherwise copy them from pad_left / pad_top
    written = {i: v for i, _, v in layer.param_items()}
    assert 4 not in written and written[14] == 1 and written[15] == 1 and written[16] == 0


def test_conv_transpose_weight_layout():
    w = rand(4, 3, 2, 2)  # (in, out/g, kh, kw), group 2 → out 6

    def body(args):
        c = const(w)
        op = node(O.ConvTransposeOp, [args[0], c.results[0], NoValueOp().results[0]], (1, 6, 5, 5),
                  {"group": 2, "strides": [2, 2], "pads": [0, 0, 1, 1], "output_padding": [1, 1]})  # fmt: skip
        return [c, op.operands[2].owner, op], [op.results[0]]

    (layer,) = convert(([t(1, 4, 3, 3)], body))
    assert layer.name == "ncnn.DeconvolutionDepthWise"
    got = layer.weight("weight").reshape(2, 3, 2, 2, 2)  # (g, out/g, in/g, kh, kw)
    np.testing.assert_array_equal(got[1, 2, 0], w[2, 2])
    assert layer.param("output_pad_right") == 1 and layer.param("output_pad_bottom") == 1


def test_conv_transpose_3d_to_deconvolution3d():
    w = rand(4, 3, 3, 2, 1)  # (in, out, kd, kh, kw)

    def body(args):
        c, bias = const(w), const(rand(3))
        op = node(O.ConvTransposeOp, [args[0], c.results[0], bias.results[0]], (1, 3, 10, 6, 5),
                  {"strides": [2, 1, 2], "pads": [1, 0, 0, 1, 0, 0], "output_padding": [1, 0, 0],
                   "dilations": [1, 2, 1]})  # fmt: skip
        return [c, bias, op], [op.results[0]]

    (layer,) = convert(([t(1, 4, 5, 4, 3)], body))
    assert layer.name == "ncnn.Deconvolution3D"
    got = layer.weight("weight").reshape(3, 4, 3, 2, 1)  # (out, in, kd, kh, kw)
    np.testing.assert_array_equal(got, w.transpose(1, 0, 2, 3, 4))
    p = {k: layer.param(k) for k in (
        "num_output", "kernel_w", "kernel_h", "kernel_d", "stride_w", "stride_h", "stride_d",
        "dilation_h", "pad_front", "pad_behind", "pad_top", "pad_bottom", "output_pad_behind",
        "output_pad_bottom", "output_pad_right", "bias_term", "weight_data_size",
    )}  # fmt: skip
    assert p == {
        "num_output": 3, "kernel_w": 1, "kernel_h": 2, "kernel_d": 3, "stride_w": 2, "stride_h": 1,
        "stride_d": 2, "dilation_h": 2, "pad_front": 1, "pad_behind": 1, "pad_top": 0, "pad_bottom": 0,
        "output_pad_behind": 1, "output_pad_bottom": 0, "output_pad_right": 0, "bias_term": 1,
        "weight_data_size": w.size,
    }  # fmt: skip
    assert mat_shape(static_shape(layer.results[0].type)) == (3, 10, 6, 5)


def test_global_pool_reshape_and_gemm_bias():
    def body(args):
        gap = node(O.GlobalAveragePoolOp, [args[0]], (1, 8, 1, 1))
        return [gap], [gap.results[0]]

    layers = convert(([t(1, 8, 5, 5)], body))
    assert [op.name for op in layers] == ["ncnn.Pooling", "ncnn.Reshape"]
    assert mat_shape(static_shape(layers[0].results[0].type)) == (8,)

    b, c = rand(5, 4), rand(1, 5)

    def body2(args):
        bc, cc = const(b), const(c)
        op = node(O.GemmOp, [args[0], bc.results[0], cc.results[0]], (3, 5), {"transB": 1, "alpha": 2.0, "beta": 0.5})
        return [bc, cc, op], [op.results[0]]

    (ip,) = convert(([t(3, 4)], body2))
    assert ip.name == "ncnn.InnerProduct"
    np.testing.assert_allclose(ip.weight("weight"), 2.0 * b)
    np.testing.assert_allclose(ip.weight("bias"), 0.5 * c[0])


def test_reduce_axes_on_mat():
    def body(args):
        ax = const(i64s(0, 2, -1))
        op = node(R.ReduceMeanOp, [args[0], ax.results[0]], (3,), {"keepdims": 0})
        return [ax, op], [op.results[0]]

    (layer,) = convert(([t(1, 3, 5, 6)], body))
    assert layer.param("axes") == [1, 2] and layer.param("fixbug0") == 1 and layer.param("reduce_all") == 0


def _refuses(build, match):
    with pytest.raises(NccError, match=match):
        convert(build)


def test_refusals():
    def dyn_weight(args):
        # a run-time weight is ncnn's dynamic_weight convolution, which has no groups
        op = node(O.ConvOp, [args[0], args[1], NoValueOp().results[0]], (1, 4, 6, 6), {"group": 2})
        return [op.operands[2].owner, op], [op.results[0]]

    _refuses(([t(1, 4, 8, 8), t(4, 2, 3, 3)], dyn_weight), "with group 1")

    def batch2(args):
        w = const(rand(4, 3, 3, 3))
        op = node(O.ConvOp, [args[0], w.results[0], NoValueOp().results[0]], (2, 4, 6, 6))
        return [w, op.operands[2].owner, op], [op.results[0]]

    _refuses(([t(2, 3, 8, 8)], batch2), "batch 2")

    def pool_dil(args):  # a dilated MaxPool is composed exactly, a dilated AveragePool is not
        op = node(O.AveragePoolOp, [args[0]], (1, 3, 4, 4), {"kernel_shape": [3, 3], "dilations": [2, 2]})
        return [op], [op.results[0]]

    _refuses(([t(1, 3, 8, 8)], pool_dil), "dilations")

    def deconv3d_group(args):
        w = const(rand(4, 1, 2, 2, 2))
        op = node(O.ConvTransposeOp, [args[0], w.results[0], NoValueOp().results[0]], (1, 2, 4, 4, 4), {"group": 2})
        return [w, op.operands[2].owner, op], [op.results[0]]

    _refuses(([t(1, 4, 3, 3, 3)], deconv3d_group), "grouped 3-D transposed")

    def resize(mode, ctm, sizes, extra=None):
        def body(args):
            z = const(np.asarray(sizes, np.int64))
            nv = NoValueOp()
            op = node(O.ResizeOp, [args[0], nv.results[0], nv.results[0], z.results[0]], sizes,
                      {"mode": mode, "coordinate_transformation_mode": ctm, **(extra or {})})  # fmt: skip
            return [z, nv, op], [op.results[0]]

        return body

    _refuses(([t(1, 3, 5, 6)], resize("nearest", "half_pixel", [1, 3, 7, 9])), "different pixels")
    _refuses(([t(1, 3, 5, 6)], resize("linear", "asymmetric", [1, 3, 10, 12])), "cannot be reproduced")
    _refuses(([t(1, 3, 5, 6)], resize("cubic", "half_pixel", [1, 3, 10, 12])), "mode 'cubic'")
    # and these are accepted
    (interp,) = convert(([t(1, 3, 5, 6)], resize("nearest", "asymmetric", [1, 3, 10, 12], {"nearest_mode": "floor"})))
    assert interp.param("resize_type") == 1
    (interp,) = convert(([t(1, 3, 5, 6)], resize("linear", "align_corners", [1, 3, 9, 14])))
    assert interp.param("resize_type") == 2 and interp.param("align_corner") == 1

    def ln_stats(args):
        g = const(rand(6))
        op = node(O.LayerNormalizationOp, [args[0], g.results[0], NoValueOp().results[0]], (1, 5, 6),
                  {"axis": -1}, n_extra=1)  # fmt: skip
        return [g, op.operands[2].owner, op], [op.results[0], op.results[1]]

    _refuses(([t(1, 5, 6)], ln_stats), "InvStdDev")


# --------------------------------------------------------------------------- numerics in ncnn

_RUNNER = textwrap.dedent(
    """
    import sys, numpy as np, ncnn
    param, binf, inp, outp = sys.argv[1:5]
    net = ncnn.Net()
    # fp32 throughout: x86 InnerProduct otherwise stores its weights as fp16
    net.opt.use_fp16_storage = net.opt.use_fp16_packed = net.opt.use_fp16_arithmetic = False
    net.opt.num_threads = 1
    assert net.load_param(param) == 0 and net.load_model(binf) == 0
    ex = net.create_extractor()
    feeds = dict(np.load(inp))
    keep = []
    for k, a in feeds.items():
        m = ncnn.Mat(np.ascontiguousarray(a)).clone(); keep.append((a, m)); ex.input(k, m)
    r, out = ex.extract("out0")
    assert r == 0
    np.save(outp, np.array(out))
    """
)


def _model(nodes, inputs, inits, opset=17):
    g = helper.make_graph(
        nodes, "g",
        [helper.make_tensor_value_info(n, onnx.TensorProto.FLOAT, s) for n, s in inputs],
        [onnx.ValueInfoProto(name="y")],
        [numpy_helper.from_array(a, n) for n, a in inits],
    )  # fmt: skip
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    return m


NUMERIC = {
    "conv_asym": lambda: _model(
        [helper.make_node("Conv", ["x", "w", "b"], ["y"], strides=[2, 1], pads=[1, 0, 2, 1], dilations=[1, 2])],
        [("x", [1, 4, 9, 10])], [("w", rand(6, 4, 3, 3)), ("b", rand(6))]),
    "deconv_group": lambda: _model(
        [helper.make_node("ConvTranspose", ["x", "w"], ["y"], group=2, strides=[2, 2], pads=[1, 0, 0, 1], output_padding=[1, 0])],
        [("x", [1, 4, 5, 4])], [("w", rand(4, 3, 3, 3))]),
    "avgpool_ceil_include_pad": lambda: _model(
        [helper.make_node("AveragePool", ["x"], ["y"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1],
                          ceil_mode=1, count_include_pad=1)],
        [("x", [1, 3, 10, 11])], []),
    "matmul_linear": lambda: _model(
        [helper.make_node("MatMul", ["x", "w"], ["y"])], [("x", [1, 2, 7, 8])], [("w", rand(8, 5))]),
    "layernorm_last2": lambda: _model(
        [helper.make_node("LayerNormalization", ["x", "s", "b"], ["y"], axis=-2)],
        [("x", [1, 3, 7, 16])], [("s", rand(7, 16)), ("b", rand(7, 16))]),
    "resize_bilinear": lambda: _model(
        [helper.make_node("Resize", ["x", "", "", "s"], ["y"], mode="linear", coordinate_transformation_mode="pytorch_half_pixel")],
        [("x", [1, 3, 5, 6])], [("s", np.array([1, 3, 9, 14], np.int64))], opset=13),
    "deconv3d": lambda: _model(
        [helper.make_node("ConvTranspose", ["x", "w", "b"], ["y"], strides=[2, 1, 2], pads=[1, 0, 1, 0, 1, 0],
                          output_padding=[1, 0, 1], dilations=[1, 2, 1])],
        [("x", [1, 4, 5, 6, 7])], [("w", rand(4, 5, 3, 2, 3)), ("b", rand(5))]),
    # the activation is fused into Convolution3D / Deconvolution3D (activation_type 3 / 2)
    "conv3d_clip": lambda: _model(
        [helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[1, 0, 1, 1, 1, 0], strides=[1, 2, 1]),
         helper.make_node("Clip", ["c", "lo", "hi"], ["y"])],
        [("x", [1, 4, 5, 6, 7])],
        [("w", rand(5, 4, 3, 2, 3)), ("b", rand(5)), ("lo", np.float32(-0.5)), ("hi", np.float32(0.7))]),
    "deconv3d_leaky": lambda: _model(
        [helper.make_node("ConvTranspose", ["x", "w"], ["c"], strides=[2, 1, 1], pads=[1, 0, 0, 1, 0, 0]),
         helper.make_node("LeakyRelu", ["c"], ["y"], alpha=0.1)],
        [("x", [1, 4, 5, 3, 4])], [("w", rand(4, 3, 4, 1, 1))]),
    "batchnorm_5d": lambda: _model(
        [helper.make_node("Elu", ["x"], ["e"]),
         helper.make_node("BatchNormalization", ["e", "s", "b", "m", "v"], ["y"], epsilon=1e-3)],
        [("x", [1, 5, 3, 7, 6])],
        [("s", rand(5)), ("b", rand(5)), ("m", rand(5)), ("v", RNG.uniform(0.5, 1.5, 5).astype(np.float32))]),
    "reduce_l2": lambda: _model(
        [helper.make_node("ReduceL2", ["x", "a"], ["y"], keepdims=0)],
        [("x", [1, 3, 5, 6])], [("a", i64s(1, 3))], opset=18),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(NUMERIC))
def test_numerics_against_onnxruntime(name, tmp_path: Path):
    pytest.importorskip("ncnn")
    from ncc.driver import compile_onnx

    model = NUMERIC[name]()
    path = tmp_path / f"{name}.onnx"
    onnx.save(model, str(path))
    res = compile_onnx(path, tmp_path / "out")
    inputs = {i.name: rand(*[d.dim_value for d in i.type.tensor_type.shape.dim]) for i in model.graph.input}
    want = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, inputs)[0]
    feeds = {e["blob"]: inputs[e["name"]].reshape(e["mat_shape"]) for e in res.manifest["inputs"]}
    np.savez(tmp_path / "in.npz", **feeds)
    proc = subprocess.run(
        [sys.executable, "-c", _RUNNER, str(res.param), str(res.bin), str(tmp_path / "in.npz"), str(tmp_path / "out.npy")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    got = np.load(tmp_path / "out.npy").reshape(want.shape)
    assert np.max(np.abs(got - want)) <= 1e-4 * max(1.0, float(np.abs(want).max()))


@pytest.mark.parametrize(
    ("name", "layer", "act"), [("conv3d_clip", "Convolution3D", 3), ("deconv3d_leaky", "Deconvolution3D", 2)]
)
def test_activation_fused_into_3d_convs(name, layer, act, tmp_path: Path):
    from ncc.driver import compile_onnx

    path = tmp_path / f"{name}.onnx"
    onnx.save(NUMERIC[name](), str(path))
    res = compile_onnx(path, tmp_path / "out")
    lines = res.param.read_text().splitlines()[2:]
    assert [ln.split()[0] for ln in lines] == ["Input", layer]
    assert f" 9={act} " in lines[1] + " "

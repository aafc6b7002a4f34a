"""Tensor / shape / data-movement ops: shape rules and numpy evaluation checked against
onnxruntime on single-node models, and the onnx → ncnn conversions checked on the IR
(layer types, params, Mat axes) and, where ncnn is importable, numerically."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from xdsl.dialects.builtin import (
    BytesAttr,
    DenseArrayBase,
    DenseIntOrFPElementsAttr,
    IntegerAttr,
    StringAttr,
    TensorType,
    f32,
    i64,
)
from xdsl.ir import Block

from ncc.dialects.common import NccError, static_shape, tensor_type
from ncc.dialects.onnx import tensor as T
from ncc.dialects.onnx.base import ConstantOp, NoValueOp

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

# --------------------------------------------------------------------------- helpers


def _prop(v):
    if isinstance(v, str):
        return StringAttr(v)
    if isinstance(v, list | tuple):
        return DenseArrayBase.from_list(i64, list(v))
    if isinstance(v, np.ndarray):  # a TENSOR attribute, as the importer gives it
        data = v.astype(np.uint8) if v.dtype == np.bool_ else v
        return DenseIntOrFPElementsAttr(tensor_type(v.shape, v.dtype), BytesAttr(data.tobytes()))
    return IntegerAttr(int(v), i64)


def make_op(cls, inputs, props=None, n_results=1):
    """An op of `cls` whose operands are constants (None → NoValue)."""
    defs = []
    for a in inputs:
        defs.append(NoValueOp() if a is None else ConstantOp.from_array(np.asarray(a)))
    op = cls.create(
        operands=[d.results[0] for d in defs],
        result_types=[TensorType(f32, [1])] * n_results,
        properties={k: _prop(v) for k, v in (props or {}).items()},
    )
    Block(defs + [op])  # keep the constants owned
    return op


def ort_run(op_type, inputs, attrs=None, n_out=1, opset=18):
    """Run one ONNX node in onnxruntime; None inputs are absent optional inputs."""
    names, feeds, vis = [], {}, []
    for i, a in enumerate(inputs):
        if a is None:
            names.append("")
            continue
        a = np.asarray(a)
        n = f"in{i}"
        names.append(n)
        feeds[n] = a
        vis.append(helper.make_tensor_value_info(n, helper.np_dtype_to_tensor_dtype(a.dtype), a.shape))
    while names and names[-1] == "":
        names.pop()
    outs = [f"out{i}" for i in range(n_out)]
    node = helper.make_node(op_type, names, outs, **(attrs or {}))
    graph = helper.make_graph(
        [node], "g", vis, [onnx.ValueInfoProto(name=o) for o in outs]
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return sess.run(None, feeds)


def check(cls, op_type, inputs, attrs=None, props=None, n_out=1):
    """evaluate() and infer_types() agree exactly with onnxruntime."""
    want = ort_run(op_type, inputs, attrs, n_out)
    op = make_op(cls, inputs, props if props is not None else attrs, n_out)
    got = op.evaluate(*[None if a is None else np.asarray(a) for a in inputs])
    assert len(got) == len(want)
    types = op.infer_types()
    assert types is not None
    for g, w, t in zip(got, want, types, strict=True):
        assert g.dtype == w.dtype, (g.dtype, w.dtype)
        assert g.shape == w.shape, (g.shape, w.shape)
        np.testing.assert_array_equal(g, w)
        assert static_shape(t) == w.shape


R = np.random.default_rng(0)
X4 = R.standard_normal((2, 3, 4, 5)).astype(np.float32)
I64 = lambda *v: np.array(v, dtype=np.int64)  # noqa: E731


# --------------------------------------------------------------------------- shape rules + evaluate


@pytest.mark.parametrize(
    "shape,allowzero",
    [((4, 0, -1), 0), ((0, 0, 20), 0), ((-1,), 0), ((2, 3, 20), 1), ((1, 2, 1, 3, 20), 0), ((6, -1), 0)],
)
def test_reshape(shape, allowzero):
    check(T.ReshapeOp, "Reshape", [X4, I64(*shape)], {"allowzero": allowzero})


def test_reshape_errors():
    op = make_op(T.ReshapeOp, [X4, I64(7, -1)])
    with pytest.raises(NccError, match="cannot reshape"):
        op.infer_types()
    op = make_op(T.ReshapeOp, [X4, I64(0, -1, 0)], {"allowzero": 1})
    with pytest.raises(NccError, match="allowzero"):
        op.infer_types()


@pytest.mark.parametrize("axis", [0, 1, 2, 4, -1, -4])
def test_flatten(axis):
    check(T.FlattenOp, "Flatten", [X4], {"axis": axis})


@pytest.mark.parametrize("perm", [None, (0, 2, 1, 3), (3, 1, 0, 2)])
def test_transpose(perm):
    attrs = {} if perm is None else {"perm": list(perm)}
    check(T.TransposeOp, "Transpose", [X4], attrs)


@pytest.mark.parametrize("axes", [None, I64(0), I64(-1, 2)])
def test_squeeze(axes):
    x = R.standard_normal((1, 3, 1, 1)).astype(np.float32)
    check(T.SqueezeOp, "Squeeze", [x, axes])


def test_squeeze_non_one_axis():
    with pytest.raises(NccError, match="not 1"):
        make_op(T.SqueezeOp, [X4, I64(1)]).infer_types()


@pytest.mark.parametrize("axes", [I64(0), I64(-1), I64(0, 4, 2), I64(1, -1)])
def test_unsqueeze(axes):
    check(T.UnsqueezeOp, "Unsqueeze", [X4[0], axes])


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_concat(axis):
    a = R.standard_normal((2, 3, 4)).astype(np.float32)
    b = R.standard_normal((2, 3, 4)).astype(np.float32)
    b = np.concatenate([b, b], axis=axis)
    check(T.ConcatOp, "Concat", [a, b, a], {"axis": axis})


def test_concat_int64_shapes():
    check(T.ConcatOp, "Concat", [I64(1, 2), I64(-1), I64(7)], {"axis": 0})


@pytest.mark.parametrize(
    "split,attrs,n",
    [
        (None, {"axis": 1, "num_outputs": 2}, 2),  # 5 → 3 + 2
        (None, {"axis": -1, "num_outputs": 3}, 3),  # 5 → 2 + 2 + 1
        (I64(1, 4), {"axis": 3}, 2),
        (I64(2, 0, 3), {"axis": 3}, 3),
        (I64(1, 1), {"axis": 0}, 2),
    ],
)
def test_split(split, attrs, n):
    x = R.standard_normal((2, 5, 4, 5)).astype(np.float32)
    check(T.SplitOp, "Split", [x, split], attrs, n_out=n)


def test_split_equal_without_num_outputs():
    x = R.standard_normal((2, 6)).astype(np.float32)
    op = make_op(T.SplitOp, [x, None], {"axis": 1}, 3)
    assert [static_shape(t) for t in op.infer_types()] == [(2, 2)] * 3
    got = op.evaluate(x, None)
    for g, w in zip(got, np.split(x, 3, axis=1), strict=True):
        np.testing.assert_array_equal(g, w)


SLICES = [
    (I64(1), I64(3), I64(1), None),
    (I64(0, 1), I64(-1, 1000), I64(2, 3), None),
    (I64(-100), I64(100), None, None),
    (I64(3, -1), I64(0, -100), I64(1, 3), I64(-1, -2)),
    (I64(0), I64(4), I64(2), I64(3)),
    (I64(-1), I64(-(2**63)), I64(-1), I64(-1)),
    (I64(2**62), I64(-(2**62)), I64(2), I64(-2)),
    (I64(5), I64(1), I64(3), I64(1)),  # empty
    (I64(1, 0), I64(2, 2), I64(0, -3), None),
]


@pytest.mark.parametrize("starts,ends,axes,steps", SLICES)
def test_slice(starts, ends, axes, steps):
    check(T.SliceOp, "Slice", [X4, starts, ends, axes, steps])


def test_shape_size():
    check(T.ShapeOp, "Shape", [X4])
    check(T.ShapeOp, "Shape", [X4], {"start": 1})
    check(T.ShapeOp, "Shape", [X4], {"start": -3, "end": -1})
    check(T.ShapeOp, "Shape", [X4], {"start": 3, "end": 1})
    check(T.ShapeOp, "Shape", [X4], {"start": -10, "end": 10})
    check(T.SizeOp, "Size", [X4])
    check(T.ShapeOp, "Shape", [np.float32(3.0)])


@pytest.mark.parametrize("idx,axis", [(I64(1), 0), (np.array(-1, np.int64), 1), (I64(0, -1, 2, 2), 2),
                                      (np.array([[0, 1], [-1, 3]], np.int32), -1)])  # fmt: skip
def test_gather(idx, axis):
    check(T.GatherOp, "Gather", [X4, idx], {"axis": axis})


def test_gather_shape_arith():
    check(T.GatherOp, "Gather", [I64(1, 3, 224, 224), np.array(0, np.int64)], {"axis": 0})


def test_gather_elements():
    idx = R.integers(-4, 4, (2, 3, 2, 5)).astype(np.int64)
    check(T.GatherElementsOp, "GatherElements", [X4, idx], {"axis": 2})
    idx = R.integers(0, 2, (1, 3, 4, 5)).astype(np.int64)
    check(T.GatherElementsOp, "GatherElements", [X4, idx], {"axis": 0})


@pytest.mark.parametrize("shape", [I64(2, 1, 6), I64(3, 1, 1), I64(1), I64(2, 3, 1, 1)])
def test_expand(shape):
    x = R.standard_normal((3, 1)).astype(np.float32)
    check(T.ExpandOp, "Expand", [x, shape])


def test_tile():
    check(T.TileOp, "Tile", [X4[0], I64(2, 1, 3)])
    check(T.TileOp, "Tile", [I64(1, 2), I64(3)])


@pytest.mark.parametrize(
    "value,shape",
    [(None, I64(2, 3)), (np.array([7], np.int64), I64(4)), (np.array([1.5], np.float32), I64(1, 2, 0)),
     (np.array([True]), I64(3)), (np.array([2], np.int32), np.zeros((0,), np.int64))],
)  # fmt: skip
def test_constant_of_shape(value, shape):
    attrs = {} if value is None else {"value": numpy_helper.from_array(value)}
    props = {} if value is None else {"value": value}
    check(T.ConstantOfShapeOp, "ConstantOfShape", [shape], attrs, props)


@pytest.mark.parametrize(
    "start,limit,delta",
    [(0, 10, 3), (10, 0, -3), (5, 5, 1), (0, -4, 2)],
)
def test_range_int(start, limit, delta):
    for dt in (np.int64, np.int32):
        check(T.RangeOp, "Range", [dt(start), dt(limit), dt(delta)])


@pytest.mark.parametrize(
    "start,limit,delta",
    [(0.0, 1.0, 0.1), (0.1, 100.0, 0.1), (-3.7, 3.3, 0.37), (1.0, -2.0, -0.3)],
)
def test_range_float(start, limit, delta):
    check(T.RangeOp, "Range", [np.float32(start), np.float32(limit), np.float32(delta)])


def test_nonzero():
    x = np.array([[1, 0, 3], [0, 0, 2]], np.float32)
    check(T.NonZeroOp, "NonZero", [x])
    check(T.NonZeroOp, "NonZero", [np.array([True, False, True])])


@pytest.mark.parametrize("mode", ["constant", "reflect", "edge", "wrap"])
@pytest.mark.parametrize(
    "pads,axes",
    [
        (I64(0, 0, 1, 2, 0, 0, 2, 1), None),
        (I64(1, 0, 0, 1), I64(1, -1)),
        (I64(0, 0, -1, 1, 0, 1, 1, -2), None),
    ],
)
def test_pad(mode, pads, axes):
    value = np.float32(1.5) if mode == "constant" else None
    check(T.PadOp, "Pad", [X4, pads, value, axes], {"mode": mode})


def test_pad_int_default_value():
    check(T.PadOp, "Pad", [I64(1, 2, 3), I64(1, 2), None, None], {"mode": "constant"})


@pytest.mark.parametrize("reduction", ["none", "add", "mul", "max", "min"])
def test_scatter_nd(reduction):
    data = R.standard_normal((4, 3, 5)).astype(np.float32)
    idx = np.array([[[0, 1]], [[3, -1]], [[2, 0]]], np.int64)  # (3,1,2)
    upd = R.standard_normal((3, 1, 5)).astype(np.float32)
    check(T.ScatterNDOp, "ScatterND", [data, idx, upd], {"reduction": reduction})
    idx = np.array([[1], [0]], np.int64)
    upd = R.standard_normal((2, 3, 5)).astype(np.float32)
    check(T.ScatterNDOp, "ScatterND", [data, idx, upd], {"reduction": reduction})


@pytest.mark.parametrize("mode", ["DCR", "CRD"])
def test_depth_to_space(mode):
    x = R.standard_normal((2, 8, 3, 4)).astype(np.float32)
    check(T.DepthToSpaceOp, "DepthToSpace", [x], {"blocksize": 2, "mode": mode})


def test_space_to_depth():
    x = R.standard_normal((2, 3, 6, 9)).astype(np.float32)
    check(T.SpaceToDepthOp, "SpaceToDepth", [x], {"blocksize": 3})


def test_unknown_inputs_give_none():
    """A shape-dependent input that is not a constant leaves the result type unknown."""
    block = Block(arg_types=[TensorType(i64, [2])])
    x = ConstantOp.from_array(X4)
    block.add_op(x)
    op = T.ReshapeOp.create(operands=[x.results[0], block.args[0]], result_types=[TensorType(f32, [1])])
    block.add_op(op)
    assert op.infer_types() is None


# --------------------------------------------------------------------------- conversions


def test_mat_permutation_matches_numpy():
    """Simulate ncnn on the Mat: reshape to the input Mat, Permute by q, reshape to the result
    Mat; this must equal the logical transpose for every perm of shapes with size-1 axes."""
    from ncc.dialects.ncnn.base import mat_shape
    from ncc.lowering.onnx_to_ncnn.tensor import mat_permutation

    shapes = [(1, 3, 4, 5), (2, 3, 4, 5), (1, 1, 4, 5), (1, 3, 1, 5), (3, 1, 5), (1, 4, 5),
              (1, 2, 3, 4, 5), (1, 2, 1, 4, 5), (4, 5), (1, 5), (1, 1, 1, 6)]  # fmt: skip
    checked = 0
    for shape in shapes:
        x = np.arange(np.prod(shape)).reshape(shape)
        for p in itertools.permutations(range(len(shape))):
            want = x.transpose(p)
            if len(want.shape) == 5 and want.shape[0] != 1:
                continue  # no Mat holds the result: the conversion reports it
            m_in, m_out = mat_shape(shape), mat_shape(want.shape)
            q, exact = mat_permutation(shape, p)
            y = x.reshape(m_in) if q is None else x.reshape(m_in).transpose(q)
            if q is not None:
                assert 2 <= len(q) <= 4
                assert exact == (y.shape == m_out)
            np.testing.assert_array_equal(y.reshape(m_out), want.reshape(m_out))
            checked += 1
    assert checked > 200


def test_permute_order_type_rule():
    from ncc.dialects.ncnn.shape import permute_order_type

    assert permute_order_type((1, 0, 2, 3)) == 6  # (d,c,h,w) → "WHCD"
    assert permute_order_type((0, 1, 2)) == 0
    assert permute_order_type((1, 0, 2)) == 2  # (h,c,w) → "WCH"
    assert permute_order_type((2, 1, 0)) == 5
    assert permute_order_type((1, 0)) == 1
    assert permute_order_type((3, 2, 1, 0)) == 23


def _model(nodes, inputs, outputs, inits=(), opset=18):
    g = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in inputs],
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n in outputs],
        initializer=[numpy_helper.from_array(np.asarray(v), n) for n, v in inits],
    )
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    return m


def _one(op, shape, inits=(), n_out=1, **attrs):
    outs = [f"y{i}" for i in range(n_out)]
    node = helper.make_node(op, ["x"] + [n for n, _ in inits], outs, **attrs)
    return _model([node], [("x", shape)], outs, inits)


def _pad(shape, pads, mode, value=None, axes=None):
    inits, ins = [("p", I64(*pads))], ["x", "p"]
    if value is not None:
        inits.append(("v", np.array(value, np.float32)))
        ins.append("v")
    elif axes is not None:
        ins.append("")
    if axes is not None:
        inits.append(("a", I64(*axes)))
        ins.append("a")
    return _model([helper.make_node("Pad", ins, ["y"], mode=mode)], [("x", shape)], ["y"], inits)


def _slice(shape, starts, ends, axes):
    return _one("Slice", shape, [("s", I64(*starts)), ("e", I64(*ends)), ("a", I64(*axes))])


CONVERSIONS = {
    "transpose_chw": (lambda: _one("Transpose", (1, 3, 4, 5), perm=[0, 3, 1, 2]), ["Permute"]),
    "transpose_4d_mat": (lambda: _one("Transpose", (2, 3, 4, 5), perm=[1, 0, 3, 2]), ["Permute"]),
    "transpose_batch_moves": (
        lambda: _one("Transpose", (1, 4, 5), perm=[2, 0, 1]), ["Permute", "Reshape"]
    ),
    "transpose_size1_only": (lambda: _one("Transpose", (1, 3, 1, 5), perm=[0, 2, 1, 3]), ["Reshape"]),
    "reshape": (lambda: _one("Reshape", (1, 3, 4, 6), [("s", I64(1, 3, 2, 2, 6))]), ["Reshape"]),
    "flatten": (lambda: _one("Flatten", (1, 3, 4, 5), axis=2), ["Reshape"]),
    "concat_batch": (
        lambda: _model([helper.make_node("Concat", ["x", "z"], ["y"], axis=0)],
                       [("x", (1, 3, 4)), ("z", (2, 3, 4))], ["y"]),
        ["Reshape", "Concat"],
    ),  # fmt: skip
    "concat_const": (
        lambda: _model([helper.make_node("Concat", ["x", "c"], ["y"], axis=2)],
                       [("x", (1, 3, 4, 5))], ["y"],
                       [("c", R.standard_normal((1, 3, 2, 5)).astype(np.float32))]),
        ["MemoryData", "Concat"],
    ),  # fmt: skip
    "split_rows": (
        lambda: _one("Split", (3, 4, 5), [("s", I64(1, 2))], n_out=2, axis=0), ["Slice", "Reshape"]
    ),
    "split_num_outputs": (
        lambda: _one("Split", (1, 5, 4, 5), n_out=3, axis=-1, num_outputs=3), ["Slice"]
    ),
    "slice_hw": (lambda: _slice((1, 6, 4, 5), [1, -3], [3, 1000], [2, 3]), ["Crop"]),
    "slice_4d_mat": (lambda: _slice((1, 3, 6, 4, 5), [2], [5], [2]), ["Crop"]),
    "slice_to_row": (lambda: _slice((3, 4, 5, 6), [1, 0], [2, 2], [0, 1]), ["Crop", "Reshape"]),
    "pad_constant": (
        lambda: _pad((1, 3, 4, 5), [0, 2, 1, 2, 0, 1, 2, 1], "constant", 1.5), ["Padding"]
    ),
    "pad_reflect_c": (lambda: _pad((1, 3, 4, 5), [0, 2, 0, 0, 0, 1, 0, 0], "reflect"), ["Padding"]),
    "pad_edge_d": (lambda: _pad((1, 3, 4, 5, 6), [0, 0, 1, 1, 2, 0, 0, 2, 1, 0], "edge"), ["Padding"]),
    "pad_negative": (
        lambda: _pad((1, 3, 6, 7), [0, 0, -1, 2, 0, 0, 1, -3], "constant", 0.5), ["Crop", "Padding"]
    ),
    "depth_to_space_dcr": (
        lambda: _one("DepthToSpace", (1, 8, 3, 4), blocksize=2, mode="DCR"), ["PixelShuffle"]
    ),
    "depth_to_space_crd": (
        lambda: _one("DepthToSpace", (1, 18, 3, 4), blocksize=3, mode="CRD"), ["PixelShuffle"]
    ),
    "space_to_depth": (lambda: _one("SpaceToDepth", (1, 3, 6, 8), blocksize=2), ["Reorg"]),
}


@pytest.mark.parametrize("name", list(CONVERSIONS))
def test_conversion_matches_onnxruntime(name, tmp_path):
    """Compile, then run on ncnn (CPU, and Vulkan fp32 where a device exists): data movement
    must reproduce onnxruntime bit for bit."""
    pytest.importorskip("ncnn")
    from ncc.driver import compile_onnx
    from ncc.verify import verify

    build, layers = CONVERSIONS[name]
    path = tmp_path / f"{name}.onnx"
    onnx.save(build(), path)
    res = compile_onnx(path, tmp_path / "out")
    got = [line.split()[0] for line in res.param.read_text().splitlines()[2:]]
    assert [t for t in got if t not in ("Input", "Split")] == layers
    report = verify(tmp_path / "out", path, modes=("cpu", "vulkan-fp32"))
    assert report.rows, report.skipped
    for row in report.rows:
        assert row.max_abs == 0, report.table()


@pytest.mark.parametrize(
    "build,message",
    [
        # a strided slice is a Reshape + Crop, or single slices; 600 of them is refused
        (lambda: _one("Slice", (1, 1, 1, 1199), [("s", I64(0)), ("e", I64(1199)), ("a", I64(3)),
                                                 ("t", I64(2))]), "steps"),
        (lambda: _slice((1, 6, 4, 5), [3], [3], [1]), "empty"),
        (lambda: _pad((1, 3, 4, 5), [0, 0, 1, 1, 0, 0, 1, 1], "wrap"), "wrap"),
        # constant pads of that axis are a Concat; edge pads have no form
        (lambda: _pad((1, 3, 4, 5, 6), [0, 1, 0, 0, 0, 0, 0, 0, 0, 0], "edge"),
         "channel axis of a 4-D Mat"),
    ],
)
def test_conversion_refuses_inexact(build, message, tmp_path):
    """What ncnn cannot do exactly is an error naming the node, never an approximation."""
    from ncc.driver import compile_onnx

    path = tmp_path / "m.onnx"
    onnx.save(build(), path)
    with pytest.raises(NccError, match=message) as e:
        compile_onnx(path, tmp_path / "out")
    assert "_0" in str(e.value)  # the node name

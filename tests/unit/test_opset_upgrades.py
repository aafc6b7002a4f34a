"""Opsets 1-28 at import: each upgrade an op class declares (ncc.dialects.onnx.versions),
checked on a one- or two-node model built with onnx.helper at the old opset.

The imported IR is run by the ops' own numpy semantics (`evaluate`, the folder's) and
compared with onnxruntime on the same model where onnxruntime runs that opset (7 and later),
else with the same computation written by hand at opset 7. The refusals (versions an op
class does not read, opsets outside 1-28, unknown operator sets) are checked by message; the
versions 24-28 by what each changed (REVIEWED_AFTER_23).
"""

from __future__ import annotations

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402
from xdsl.dialects import func  # noqa: E402

from ncc.dialects.common import NccError, op_location  # noqa: E402
from ncc.dialects.onnx import OPS_BY_TYPE  # noqa: E402
from ncc.dialects.onnx.base import ConstantOp, NodeOp, NoValueOp  # noqa: E402
from ncc.dialects.onnx.versions import MAX_OPSET  # noqa: E402
from ncc.frontends.onnx import import_model  # noqa: E402

RNG = np.random.default_rng(0)


def rand(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape).astype(np.float32)


def model(opset: int, nodes, inputs: dict, outputs=("y",), inits: dict | None = None, ir_version=None):
    """A model with float inputs of the given shapes, initializers from arrays."""
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, None if s is None else list(s)) for n, s in inputs.items()],
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n in outputs],
        initializer=[numpy_helper.from_array(a, n) for n, a in (inits or {}).items()],
    )
    ir = ir_version or (3 if opset < 8 else 7)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=ir)


def ops_of(m) -> list:
    module = import_model(m)
    f = next(o for o in module.ops if isinstance(o, func.FuncOp))
    return list(f.body.block.ops)


def run_ir(m, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
    """Run the imported IR with each op's numpy `evaluate` (shapes from the feeds)."""
    from xdsl.context import Context

    from ncc.lowering.onnx.set_input_shapes import SetInputShapesPass
    from ncc.lowering.onnx.shape_inference import infer_shapes

    module = import_model(m)
    shapes = ";".join(f"{n}:{'x'.join(map(str, a.shape))}" for n, a in feeds.items())
    SetInputShapesPass(shapes=shapes).apply(Context(), module)
    while infer_shapes(module):
        pass
    f = next(o for o in module.ops if isinstance(o, func.FuncOp))
    names = [a.data for a in f.attributes["ncc.input_names"].data]
    env = {arg: feeds[n] for arg, n in zip(f.args, names, strict=True)}
    for op in f.body.block.ops:
        if isinstance(op, func.ReturnOp):
            return [env[v] for v in op.operands]
        if isinstance(op, NoValueOp):
            env[op.results[0]] = None
            continue
        if isinstance(op, ConstantOp):
            env[op.results[0]] = op.array
            continue
        assert not isinstance(op, NodeOp), f"unsupported op left: {op_location(op)}"
        got = op.fold_from_types() or op.evaluate(*[env[v] for v in op.operands])
        assert got is not None, f"{op.name} has no numpy semantics"
        for r, a in zip(op.results, got, strict=True):
            env[r] = np.asarray(a)
    raise AssertionError("no return")


def ort_run(m, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
    so = ort.SessionOptions()
    so.log_severity_level = 3
    sess = ort.InferenceSession(m.SerializeToString(), so, providers=["CPUExecutionProvider"])
    return sess.run(None, feeds)


def check(m, feeds, reference=None, rtol=1e-5):
    """ncc's reading of `m` computes what onnxruntime computes on `m` (or on `reference`)."""
    want = ort_run(reference or m, feeds)
    got = run_ir(m, feeds)
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert g.shape == w.shape
        np.testing.assert_allclose(g, w, rtol=rtol, atol=1e-6)


def types_of(m) -> list[str]:
    return [o.name.split(".", 1)[1] for o in ops_of(m) if not isinstance(o, ConstantOp | NoValueOp | func.ReturnOp)]


# --------------------------------------------------------------------------- Softmax before 13


@pytest.mark.parametrize("opset", [1, 11, 12])
@pytest.mark.parametrize("axis", [None, 0, 1, 2, -1, -2])
def test_softmax_before_13_flattens_at_axis(opset: int, axis: int | None) -> None:
    attrs = {} if axis is None else {"axis": axis}
    if opset < 11 and axis is not None and axis < 0:
        pytest.skip("negative axes arrive at opset 11")
    m = model(opset, [helper.make_node("Softmax", ["x"], ["y"], **attrs)], {"x": (2, 3, 4)})
    x = rand(2, 3, 4)
    if opset >= 7:
        check(m, {"x": x})
    else:  # the pre-13 definition, by hand
        a = 1 if axis is None else axis
        a = a + 3 if a < 0 else a
        flat = x.reshape(int(np.prod(x.shape[:a])), -1)
        e = np.exp(flat - flat.max(1, keepdims=True))
        np.testing.assert_allclose(run_ir(m, {"x": x})[0], (e / e.sum(1, keepdims=True)).reshape(x.shape), rtol=1e-5)
    last = axis is not None and axis in (2, -1)
    assert types_of(m) == (["Softmax"] if last else ["Flatten", "Shape", "Softmax", "Reshape"])


def test_softmax_before_13_over_the_last_axis_of_an_unranked_input() -> None:
    """Without the rank at import, the last axis takes the general form too (exact)."""
    m = model(11, [helper.make_node("Softmax", ["x"], ["y"], axis=-1)], {"x": None})
    x = rand(2, 3, 4)
    check(m, {"x": x})
    assert types_of(m) == ["Flatten", "Shape", "Softmax", "Reshape"]


def test_softmax_13_is_read_as_is() -> None:
    m = model(13, [helper.make_node("Softmax", ["x"], ["y"], axis=1)], {"x": (2, 3, 4)})
    check(m, {"x": rand(2, 3, 4)})
    assert types_of(m) == ["Softmax"]


# --------------------------------------------------------------------------- attributes → inputs


@pytest.mark.parametrize(
    ("opset", "node", "shape"),
    [
        (12, helper.make_node("Squeeze", ["x"], ["y"], axes=[1, 3]), (2, 1, 3, 1)),
        (12, helper.make_node("Unsqueeze", ["x"], ["y"], axes=[0, -1]), (2, 3)),
        (12, helper.make_node("ReduceSum", ["x"], ["y"], axes=[1], keepdims=0), (2, 3, 4)),
        (17, helper.make_node("ReduceL1", ["x"], ["y"], axes=[2]), (2, 3, 4)),
        (17, helper.make_node("ReduceL2", ["x"], ["y"], axes=[0, 2]), (2, 3, 4)),
        (17, helper.make_node("ReduceSumSquare", ["x"], ["y"], axes=[1]), (2, 3, 4)),
        (17, helper.make_node("ReduceLogSumExp", ["x"], ["y"], axes=[-1]), (2, 3, 4)),
        (13, helper.make_node("ReduceLogSum", ["x"], ["y"], axes=[1]), (2, 3, 4)),
        (17, helper.make_node("ReduceMean", ["x"], ["y"], axes=[1, 2], keepdims=0), (2, 3, 4)),
        (13, helper.make_node("ReduceMax", ["x"], ["y"], axes=[1]), (2, 3, 4)),
        (11, helper.make_node("ReduceMin", ["x"], ["y"], axes=[-2]), (2, 3, 4)),
        (11, helper.make_node("ReduceProd", ["x"], ["y"], axes=[2]), (2, 3, 4)),
        (12, helper.make_node("Split", ["x"], ["y", "z"], axis=1, split=[1, 3]), (2, 4)),
        (9, helper.make_node("Slice", ["x"], ["y"], starts=[1, 0], ends=[3, -1], axes=[1, 2]), (2, 4, 5)),
        (7, helper.make_node("Slice", ["x"], ["y"], starts=[0, 1], ends=[1, 1000]), (2, 4)),
        (10, helper.make_node("Pad", ["x"], ["y"], pads=[0, 1, 2, 0, 2, 1], value=1.5), (2, 3, 4)),
        (10, helper.make_node("Pad", ["x"], ["y"], pads=[0, 0, 1, 0, 0, 2], mode="reflect"), (2, 3, 4)),
        (10, helper.make_node("Clip", ["x"], ["y"], min=-0.5, max=0.25), (2, 3)),
        (10, helper.make_node("Clip", ["x"], ["y"], max=0.1), (2, 3)),
        (11, helper.make_node("Dropout", ["x"], ["y"], ratio=0.3), (2, 3)),
        (7, helper.make_node("Dropout", ["x"], ["y"], ratio=0.9), (2, 3)),
    ],
    ids=lambda v: v.op_type if hasattr(v, "op_type") else str(v),
)
def test_attribute_becomes_input(opset: int, node, shape) -> None:
    m = model(opset, [node], {"x": shape}, outputs=tuple(node.output))
    x = rand(*shape)
    check(m, {"x": np.abs(x) + 0.1 if node.op_type == "ReduceLogSum" else x})
    typed = [o for o in ops_of(m) if o.name == f"onnx.{node.op_type}"]
    assert len(typed) == 1
    assert not {"axes", "split", "starts", "ends", "pads", "value", "min", "max", "ratio"} & set(typed[0].properties)


def test_reshape_shape_attribute_before_5() -> None:
    m = model(4, [helper.make_node("Reshape", ["x"], ["y"], shape=[3, -1], consumed_inputs=[0])], {"x": (2, 3, 2)})
    x = rand(2, 3, 2)
    np.testing.assert_array_equal(run_ir(m, {"x": x})[0], x.reshape(3, -1))


# --------------------------------------------------------------------------- legacy broadcasting


@pytest.mark.parametrize("rank_known", [True, False], ids=["ranked", "unranked"])
@pytest.mark.parametrize("op_type", ["Add", "Sub", "Mul", "Div", "Pow"])
def test_legacy_broadcast_with_axis(op_type: str, rank_known: bool) -> None:
    """Before opset 7, broadcast=1 with axis=1 puts B's (C,) on axis 1 of (N, C, H, W);
    when A's rank is unknown at import, the reshape of B is shape arithmetic that folds."""
    x, b = np.abs(rand(1, 3, 4, 5)) + 0.5, np.abs(rand(3)) + 0.5
    node = helper.make_node(op_type, ["x", "b"], ["y"], broadcast=1, axis=1)
    old = model(6, [node], {"x": x.shape if rank_known else None}, inits={"b": b})
    new = model(7, [helper.make_node(op_type, ["x", "b"], ["y"])], {"x": x.shape}, inits={"b": b.reshape(3, 1, 1)})
    check(old, {"x": x}, reference=new)


def test_legacy_broadcast_suffix_and_equal_shapes() -> None:
    x, b, c = rand(2, 3, 4), rand(4), rand(2, 3, 4)
    nodes = [
        helper.make_node("Mul", ["x", "b"], ["t"], broadcast=1),
        helper.make_node("Add", ["t", "c"], ["y"], consumed_inputs=[0, 0]),
    ]
    old = model(5, nodes, {"x": x.shape}, inits={"b": b, "c": c})
    new_nodes = [helper.make_node("Mul", ["x", "b"], ["t"]), helper.make_node("Add", ["t", "c"], ["y"])]
    check(old, {"x": x}, reference=model(7, new_nodes, {"x": x.shape}, inits={"b": b, "c": c}))


def test_legacy_broadcast_gemm_and_prelu_per_channel() -> None:
    x = rand(1, 3, 4, 4)
    slope = np.asarray([0.1, 0.2, 0.3], np.float32)
    w, c = rand(48, 5), rand(5)
    nodes = [
        helper.make_node("PRelu", ["x", "s"], ["p"]),
        helper.make_node("Flatten", ["p"], ["f"]),
        helper.make_node("Gemm", ["f", "w", "c"], ["y"], broadcast=1),
    ]
    old = model(6, nodes, {"x": x.shape}, inits={"s": slope, "w": w, "c": c})
    new_nodes = [nodes[0], nodes[1], helper.make_node("Gemm", ["f", "w", "c"], ["y"])]
    new = model(7, new_nodes, {"x": x.shape}, inits={"s": slope.reshape(3, 1, 1), "w": w, "c": c})
    check(old, {"x": x}, reference=new)


# --------------------------------------------------------------------------- BatchNorm, Dropout, Cast


def _bn_inits(shape) -> dict[str, np.ndarray]:
    return {"s": rand(*shape), "B": rand(*shape), "m": rand(*shape), "v": np.abs(rand(*shape)) + 0.5}


def test_batchnorm_is_test_consumed_inputs_before_7() -> None:
    x, inits = rand(1, 3, 4, 4), _bn_inits((3,))
    old = model(
        6,
        [helper.make_node("BatchNormalization", ["x", "s", "B", "m", "v"], ["y"], is_test=1, spatial=1, epsilon=1e-3,
                          consumed_inputs=[0, 0, 0, 1, 1])],  # fmt: skip
        {"x": x.shape},
        inits=inits,
    )
    new = model(9, [helper.make_node("BatchNormalization", ["x", "s", "B", "m", "v"], ["y"], epsilon=1e-3)],
                {"x": x.shape}, inits=inits)  # fmt: skip
    check(old, {"x": x}, reference=new)
    assert types_of(old) == ["BatchNormalization"]


def test_batchnorm_not_spatial_before_9() -> None:
    x, inits = rand(1, 3, 4, 4), _bn_inits((3, 4, 4))
    m = model(7, [helper.make_node("BatchNormalization", ["x", "s", "B", "m", "v"], ["y"], spatial=0)], {"x": x.shape},
              inits=inits)  # fmt: skip
    check(m, {"x": x})
    assert "BatchNormalization" not in types_of(m)


def test_batchnorm_training_outputs_before_14_refused() -> None:
    inits = _bn_inits((3,))
    node = helper.make_node("BatchNormalization", ["x", "s", "B", "m", "v"], ["y", "mean", "var"])
    m = model(9, [node], {"x": (1, 3, 4, 4)}, outputs=("y", "mean", "var"), inits=inits)
    with pytest.raises(NccError, match="training-mode outputs"):
        import_model(m)


def test_dropout_is_test_before_7() -> None:
    x = rand(2, 3)
    m = model(6, [helper.make_node("Dropout", ["x"], ["y"], is_test=1, ratio=0.2)], {"x": x.shape})
    np.testing.assert_array_equal(run_ir(m, {"x": x})[0], x)


def test_cast_type_name_before_6() -> None:
    x = rand(2, 3) * 10
    m = model(5, [helper.make_node("Cast", ["x"], ["y"], to="INT32")], {"x": x.shape})
    got = run_ir(m, {"x": x})[0]
    assert got.dtype == np.int32
    np.testing.assert_array_equal(got, x.astype(np.int32))


def test_concat_default_axis_before_4() -> None:
    x = rand(1, 2, 3)
    m = model(3, [helper.make_node("Concat", ["x", "x"], ["y"])], {"x": x.shape})
    np.testing.assert_array_equal(run_ir(m, {"x": x})[0], np.concatenate([x, x], 1))


def test_pad_paddings_before_2() -> None:
    x = rand(1, 2, 3)
    m = model(1, [helper.make_node("Pad", ["x"], ["y"], paddings=[0, 0, 1, 0, 0, 2])], {"x": x.shape})
    np.testing.assert_array_equal(run_ir(m, {"x": x})[0], np.pad(x, [(0, 0), (0, 0), (1, 2)]))


# --------------------------------------------------------------------------- Upsample, Resize-10


def test_upsample_7_scales_attribute() -> None:
    x = rand(1, 2, 3, 4)
    for mode in ("nearest", "linear"):
        m = model(7, [helper.make_node("Upsample", ["x"], ["y"], mode=mode, scales=[1.0, 1.0, 2.0, 3.0])], {"x": x.shape})
        ops = [o for o in ops_of(m) if o.name == "onnx.Resize"]
        assert len(ops) == 1 and ops[0].attr("coordinate_transformation_mode") == "asymmetric"
        want = ort_run(m, {"x": x})[0]
        assert want.shape == (1, 2, 6, 12)
        if mode == "nearest":  # the folder has no Resize semantics: check the index rule
            rows, cols = np.arange(6) // 2, np.arange(12) // 3
            np.testing.assert_array_equal(want, x[:, :, rows][:, :, :, cols])
            assert ops[0].attr("nearest_mode") == "floor"


@pytest.mark.parametrize(("opset", "op_type"), [(9, "Upsample"), (10, "Resize")])
def test_resize_before_11_is_asymmetric(opset: int, op_type: str) -> None:
    scales = np.asarray([1, 1, 2, 2], np.float32)
    m = model(opset, [helper.make_node(op_type, ["x", "sc"], ["y"], mode="nearest")], {"x": (1, 2, 3, 3)},
              inits={"sc": scales})  # fmt: skip
    (resize,) = [o for o in ops_of(m) if o.name == "onnx.Resize"]
    assert resize.attr("coordinate_transformation_mode") == "asymmetric"
    assert resize.attr("nearest_mode") == "floor"
    assert not resize.has_input(1) and resize.in_const(2) is not None


def test_resize_10_nearest_downsample_refused() -> None:
    scales = np.asarray([1, 1, 0.5, 0.5], np.float32)
    m = model(10, [helper.make_node("Resize", ["x", "sc"], ["y"], mode="nearest")], {"x": (1, 2, 4, 4)},
              inits={"sc": scales})  # fmt: skip
    with pytest.raises(NccError, match="downsampling before opset 11"):
        import_model(m)


def test_upsample_at_opset_10_is_deprecated() -> None:
    m = model(10, [helper.make_node("Upsample", ["x", "sc"], ["y"])], {"x": (1, 2, 4, 4)},
              inits={"sc": np.ones(4, np.float32)})  # fmt: skip
    with pytest.raises(NccError, match="Upsample is deprecated since opset 10"):
        import_model(m)


# --------------------------------------------------------------------------- refusals


def test_version_an_op_class_does_not_read() -> None:
    m = model(5, [helper.make_node("Tile", ["x", "t", "a"], ["y"])], {"x": (2, 3)},
              inits={"t": np.asarray(2, np.int64), "a": np.asarray(1, np.int64)})  # fmt: skip
    with pytest.raises(NccError, match=r"Tile version 1 \(opset 5\) is not supported: ncc reads Tile versions 6 to"):
        import_model(m)


def test_convtranspose_same_padding_before_11_refused() -> None:
    m = model(10, [helper.make_node("ConvTranspose", ["x", "w"], ["y"], auto_pad="SAME_UPPER", strides=[2, 2])],
              {"x": (1, 2, 4, 4)}, inits={"w": rand(2, 2, 3, 3)})  # fmt: skip
    with pytest.raises(NccError, match="auto_pad=SAME_UPPER before version 11"):
        import_model(m)


@pytest.mark.parametrize("opset", [0, -3, MAX_OPSET + 1, 99])
def test_opset_outside_the_range_refused(opset: int) -> None:
    m = model(13, [helper.make_node("Relu", ["x"], ["y"])], {"x": (2, 3)})
    m.opset_import[0].version = opset
    with pytest.raises(NccError, match=rf"ONNX opset {opset} \(domain ai.onnx\); ncc reads opsets 1 to {MAX_OPSET}"):
        import_model(m)


def test_unknown_operator_set_refused_when_used() -> None:
    m = model(13, [helper.make_node("FusedConv", ["x"], ["y"], domain="com.microsoft")], {"x": (2, 3)})
    m.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    with pytest.raises(NccError, match="operator set 'com.microsoft' version 1 is not supported"):
        import_model(m)


def test_unused_operator_set_and_ml_domain_import() -> None:
    m = model(13, [helper.make_node("Relu", ["x"], ["y"])], {"x": (2, 3)})
    m.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    assert types_of(m) == ["Relu"]
    ml = model(13, [helper.make_node("Normalizer", ["x"], ["y"], domain="ai.onnx.ml")], {"x": (2, 3)})
    ml.opset_import.append(helper.make_opsetid("ai.onnx.ml", 3))
    (node,) = [o for o in ops_of(ml) if isinstance(o, NodeOp)]
    assert node.op_type.data == "Normalizer" and node.onnx_opset.value.data == 3


def test_local_functions_are_inlined() -> None:
    fn = helper.make_function(
        "local", "TwiceRelu", ["a"], ["b"],
        [helper.make_node("Relu", ["a"], ["r"]), helper.make_node("Add", ["r", "r"], ["b"])],
        opset_imports=[helper.make_opsetid("", 13)],
    )  # fmt: skip
    m = model(13, [helper.make_node("TwiceRelu", ["x"], ["y"], domain="local")], {"x": (2, 3)})
    m.opset_import.append(helper.make_opsetid("local", 1))
    m.functions.append(fn)
    check(m, {"x": rand(2, 3)})


# --------------------------------------------------------------------------- the declarations


def _interface(schema):
    attrs = {n: (int(a.type), a.default_value.SerializeToString() if a.default_value.type else b"")
             for n, a in schema.attributes.items()}  # fmt: skip
    return attrs, [i.name for i in schema.inputs], [o.name for o in schema.outputs]


def _read_as_is(cls) -> bool:
    """Whether some versions are read as is (Upsample never is: it always becomes Resize)."""
    return cls.OPSETS is not None and all(s.before <= cls.OPSETS[1] for s in cls.UPGRADES)


@pytest.mark.parametrize("op_type", sorted(t for t, c in OPS_BY_TYPE.items() if _read_as_is(c)))
def test_declared_range_is_one_interface(op_type: str) -> None:
    """Within the versions a class reads as is, ONNX only added things (attributes with
    defaults, trailing inputs/outputs, types): nothing was removed, renamed or re-defaulted.
    And its first version is a real version of the op."""
    cls = OPS_BY_TYPE[op_type]
    first, last = cls.OPSETS
    assert last <= MAX_OPSET
    if first > 1:  # an opset-first version is a real version only if the op existed
        assert onnx.defs.get_schema(op_type, first).since_version == first, f"{op_type}: {first} is not a version"
    versions = sorted({onnx.defs.get_schema(op_type, v).since_version for v in range(first, last + 1)})
    for old, new in zip(versions, versions[1:]):
        a0, i0, o0 = _interface(onnx.defs.get_schema(op_type, old))
        a1, i1, o1 = _interface(onnx.defs.get_schema(op_type, new))
        for name, spec in a0.items():
            assert a1.get(name) == spec, f"{op_type}-{new} changed attribute {name} of {op_type}-{old}"
        assert i1[: len(i0)] == i0, f"{op_type}-{new} renamed inputs of {op_type}-{old}"
        assert o1[: len(o0)] == o0 or op_type == "Split", f"{op_type}-{new} renamed outputs"


# --------------------------------------------------------------------------- error locations


def test_a_rewritten_node_keeps_its_onnx_op_type_in_errors() -> None:
    """A Slice that a pass rebuilt as a Reshape (same location) is reported as the Slice."""
    from xdsl.rewriter import Rewriter

    from ncc.lowering.onnx.builder import OnnxBuilder
    from xdsl.rewriter import InsertPoint

    starts, ends = np.asarray([0], np.int64), np.asarray([2], np.int64)
    m = model(13, [helper.make_node("Slice", ["x", "s", "e"], ["y"], name="my_slice")], {"x": (2, 3)},
              inits={"s": starts, "e": ends})  # fmt: skip
    module = import_model(m)
    f = next(o for o in module.ops if isinstance(o, func.FuncOp))
    (sl,) = [o for o in f.body.block.ops if o.name == "onnx.Slice"]
    b = OnnxBuilder(InsertPoint.before(sl), sl.location)
    reshaped = b.reshape(sl.operands[0], (3, 2))
    Rewriter.replace_op(sl, [], [reshaped])
    (rs,) = [o for o in f.body.block.ops if o.name == "onnx.Reshape"]
    assert op_location(rs) == {"node": "my_slice", "op": "Slice"}
    assert "(Slice)" in str(rs.error("needs a static result shape"))


def test_softmax_upgrade_errors_name_the_softmax() -> None:
    m = model(11, [helper.make_node("Softmax", ["x"], ["y"], name="sm", axis=1)], {"x": (2, 3)})
    ops = [o for o in ops_of(m) if not isinstance(o, ConstantOp | NoValueOp | func.ReturnOp)]
    assert {op_location(o)["op"] for o in ops} == {"Softmax"}
    assert {op_location(o)["node"] for o in ops} == {"sm"}


# --------------------------------------------------------------------------- If


def _if_model(cond_from_data: bool):
    then_g = helper.make_graph([helper.make_node("Relu", ["x"], ["a"])], "t", [],
                               [helper.make_tensor_value_info("a", TensorProto.FLOAT, None)])  # fmt: skip
    else_g = helper.make_graph([helper.make_node("Neg", ["x"], ["b"])], "e", [],
                               [helper.make_tensor_value_info("b", TensorProto.FLOAT, None)])  # fmt: skip
    if cond_from_data:  # the condition is a value of the input: no compile-time answer
        cond_nodes = [helper.make_node("ReduceSum", ["x"], ["s"], keepdims=0),
                      helper.make_node("Greater", ["s", "zero"], ["cond"])]  # fmt: skip
        inits = {"zero": np.asarray(0, np.float32)}
    else:
        cond_nodes = [helper.make_node("Constant", [], ["cond"], value=numpy_helper.from_array(np.asarray(False)))]
        inits = {}
    nodes = [*cond_nodes, helper.make_node("If", ["cond"], ["y"], then_branch=then_g, else_branch=else_g, name="my_if")]
    return model(11, nodes, {"x": (2, 3)}, inits=inits)


def test_if_on_a_constant_is_inlined() -> None:
    from xdsl.context import Context

    from ncc.lowering.onnx.simplify import OnnxSimplifyPass

    m = _if_model(cond_from_data=False)
    module = import_model(m)
    OnnxSimplifyPass().apply(Context(), module)
    f = next(o for o in module.ops if isinstance(o, func.FuncOp))
    assert [o.name for o in f.body.block.ops] == ["onnx.Neg", "func.return"]


def test_if_on_data_refused_by_name(tmp_path) -> None:
    from ncc.driver import compile_onnx

    path = tmp_path / "if.onnx"
    onnx.save(_if_model(cond_from_data=True), str(path))
    with pytest.raises(NccError) as e:
        compile_onnx(path, tmp_path / "out")
    assert e.value.node == "my_if" and e.value.op == "If"
    assert "known only at run time" in str(e.value) and "values of input 'x'" in str(e.value)


def test_verify_names_a_model_onnxruntime_cannot_run(tmp_path) -> None:
    """onnxruntime runs opset 7 and later: checking an opset-6 model says so, by name."""
    from ncc.verify import onnxruntime_reference

    m = model(6, [helper.make_node("Relu", ["x"], ["y"], consumed_inputs=[0])], {"x": (2, 3)})
    path = tmp_path / "old.onnx"
    onnx.save(m, str(path))
    with pytest.raises(NccError, match="onnxruntime cannot run the model to compare against"):
        onnxruntime_reference(path)({"x": rand(2, 3)})


@pytest.mark.parametrize(
    ("op_type", "first"),
    [("LogSoftmax", 13), ("Hardmax", 13), ("Softmax", 13), ("TopK", 10), ("Resize", 11), ("LSTM", 7),
     ("BatchNormalization", 14), ("Selu", 6), ("LRN", 1), ("InstanceNormalization", 6), ("Split", 13)],
)  # fmt: skip
def test_default_range_stops_at_a_change(op_type: str, first: int) -> None:
    """An op class without OPSETS reads back only to the last change of interface: a changed
    default (Softmax-family axis at 13), a removed attribute (consumed_inputs at 6, is_test,
    output_sequence), an attribute that became an input (TopK k at 10), renamed inputs."""
    from ncc.frontends.onnx import _default_opsets

    assert _default_opsets(op_type, "") == (first, MAX_OPSET)


def test_selu_1_defaults_and_consumed_inputs() -> None:
    x = rand(2, 3)
    m = model(5, [helper.make_node("Selu", ["x"], ["y"], consumed_inputs=[0])], {"x": x.shape})
    want = 1.0507 * np.where(x > 0, x, 1.6732 * (np.exp(x) - 1))
    np.testing.assert_allclose(run_ir(m, {"x": x})[0], want, rtol=1e-5)


# --------------------------------------------------------------------------- opsets 24-28

REVIEWED_AFTER_23 = {
    "Attention": "24: optional input nonpad_kv_seqlen (refused by name when used); 25: left/right_window_size "
    "(refused when set; the default -1 is the unbounded window of 23)",
    "Cast": "24: round_mode (rounding to FLOAT8E8M0 only); 24, 25, 28: FLOAT8E8M0, INT2/UINT2, FLOAT6 types",
    "CastLike": "19: saturate, 24: round_mode (both for float8 targets only); 21, 23-25: new types",
    "Celu": "28: float16, double, bfloat16",
    "ConstantOfShape": "24, 25: new types",
    "DepthToSpace": "28: a function body, meaning unchanged",
    "Einsum": "28: bfloat16",
    "Flatten": "24, 25: new types",
    "Identity": "24, 25: new types",
    "If": "24, 25: new types",
    "Mod": "28: the text defines fmod=0 on floats as A - floor(A / B) * B, what onnxruntime computed",
    "Pad": "24, 25: new types",
    "Range": "27: float16 / bfloat16 and stash_type (float16 accumulates in float32 by default)",
    "ReduceLogSum": "28: the integer types removed",
    "ReduceLogSumExp": "28: the integer types removed",
    "Reshape": "24, 25: new types",
    "Shape": "24, 25: new types",
    "Size": "24, 25: new types",
    "SpaceToDepth": "28: mode (DCR, the order of 1-13, by default; CRD)",
    "Squeeze": "24, 25: new types",
    "Swish": "24: a new op (X · sigmoid(alpha · X))",
    "Transpose": "24, 25: new types",
    "Unsqueeze": "24, 25: new types",
}
"""The op classes that read a schema version newer than 23, and what changed: each was read
against the schemas (type constraints, attributes, inputs, text) when MAX_OPSET went to 28."""


def _versions_after_23(op_type: str) -> list[int]:
    return sorted({s.since_version for s in onnx.defs.get_all_schemas_with_history()
                   if s.name == op_type and s.domain == "" and 23 < s.since_version <= MAX_OPSET})  # fmt: skip


def test_every_version_after_23_that_a_class_reads_was_reviewed() -> None:
    """Raising MAX_OPSET makes every class whose OPSETS end at it read the new versions:
    each such version must have been read for a change of meaning (REVIEWED_AFTER_23)."""
    from ncc.frontends.onnx import _default_opsets

    unreviewed = []
    for op_type, cls in OPS_BY_TYPE.items():
        if op_type == "Constant":
            continue  # read by its value's type alone
        first, last = cls.OPSETS or _default_opsets(op_type, "")
        newer = [v for v in _versions_after_23(op_type) if first <= v <= last]
        if newer and op_type not in REVIEWED_AFTER_23:
            unreviewed.append(f"{op_type}-{newer}")
    assert not unreviewed, f"versions after 23 read without review: {unreviewed}"
    assert all(_versions_after_23(t) for t in REVIEWED_AFTER_23), "a reviewed op has no version after 23"


def _model28(nodes, inputs, outputs=("y",), inits=(), elem=TensorProto.FLOAT):
    graph = helper.make_graph(
        nodes, "g", inputs, [helper.make_tensor_value_info(n, elem, None) for n in outputs], list(inits)
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 28)], ir_version=10)


NEW_TYPES = ["FLOAT8E8M0", "UINT2", "INT2", "FLOAT6E2M3", "FLOAT6E3M2"]


@pytest.mark.parametrize("type_name", NEW_TYPES)
def test_types_of_opsets_24_to_28_refused_by_name(type_name: str) -> None:
    t = getattr(TensorProto, type_name)
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])
    cast_to = _model28([helper.make_node("Cast", ["x"], ["c"], to=t), helper.make_node("Cast", ["c"], ["y"], to=1)], [x])
    with pytest.raises(NccError, match=type_name):
        run_ir(cast_to, {"x": rand(2, 3)})
    typed_input = _model28([helper.make_node("Cast", ["i"], ["y"], to=1)], [helper.make_tensor_value_info("i", t, [2])])
    with pytest.raises(NccError, match=type_name):
        import_model(typed_input)


@pytest.mark.parametrize("type_name", NEW_TYPES)
def test_constants_of_new_types_refused(type_name: str) -> None:
    t = getattr(TensorProto, type_name)
    w = helper.make_tensor("w", t, [1], [1.0] if "FLOAT" in type_name else [1])
    nodes = [helper.make_node("Cast", ["w"], ["wc"], to=1), helper.make_node("Add", ["x", "wc"], ["y"])]
    m = _model28(nodes, [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])], inits=[w])
    with pytest.raises(NccError, match="unsupported element type"):
        import_model(m)


@pytest.mark.parametrize("mode", ["DCR", "CRD", None])
def test_space_to_depth_28_modes(mode: str | None) -> None:
    from onnx.reference import ReferenceEvaluator

    attrs = {"blocksize": 2} | ({"mode": mode} if mode else {})
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 4, 6])
    m = _model28([helper.make_node("SpaceToDepth", ["x"], ["y"], **attrs)], [x])
    feed = rand(1, 3, 4, 6)
    np.testing.assert_array_equal(run_ir(m, {"x": feed})[0], ReferenceEvaluator(m).run(None, {"x": feed})[0])


def test_space_to_depth_before_28_is_dcr() -> None:
    """SpaceToDepth-13 (no mode) orders channels as 28's DCR."""
    feed = rand(1, 3, 4, 6)
    m13 = model(13, [helper.make_node("SpaceToDepth", ["x"], ["y"], blocksize=2)], {"x": feed.shape})
    m28 = _model28([helper.make_node("SpaceToDepth", ["x"], ["y"], blocksize=2, mode="DCR")],
                   [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(feed.shape))])  # fmt: skip
    np.testing.assert_array_equal(run_ir(m13, {"x": feed})[0], run_ir(m28, {"x": feed})[0])
    check(m13, {"x": feed})


def _range16(opset: int, **attrs):
    consts = [helper.make_node("Constant", [], [n], value=helper.make_tensor(n, TensorProto.FLOAT16, [], [v]))
              for n, v in (("a", 1000.0), ("b", 1040.0), ("d", 0.3))]  # fmt: skip
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT16, [134])
    nodes = [*consts, helper.make_node("Range", ["a", "b", "d"], ["r"], **attrs), helper.make_node("Add", ["x", "r"], ["y"])]
    graph = helper.make_graph(nodes, "g", [x], [helper.make_tensor_value_info("y", TensorProto.FLOAT16, None)])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=10)


@pytest.mark.parametrize(("opset", "attrs"), [(27, {}), (27, {"stash_type": 11}), (23, {})])
def test_range_27_accumulates_float16_in_its_stash_type(opset: int, attrs: dict) -> None:
    """Range-27 on float16 adds in float32 (stash_type 1, the default) or float64 (11) and
    rounds once; before 27 (as onnxruntime does) it adds in float16."""
    zeros = np.zeros(134, np.float16)
    got = run_ir(_range16(opset, **attrs), {"x": zeros})[0]
    acc = {1: np.float32, 11: np.float64}[attrs.get("stash_type", 1)] if opset >= 27 else np.float16
    steps = np.full(134, np.float16(0.3), acc)
    steps[0] = np.float16(1000.0)
    np.testing.assert_array_equal(got, np.add.accumulate(steps, dtype=acc).astype(np.float16))
    if opset >= 27:  # the two readings differ here: the test tells them apart
        assert not np.array_equal(got, run_ir(_range16(23), {"x": zeros})[0])


def test_attention_24_and_25_additions_refused_by_name() -> None:
    q = helper.make_tensor_value_info("q", TensorProto.FLOAT, [1, 2, 4, 8])
    lens = helper.make_tensor_value_info("n", TensorProto.INT64, [1])
    nonpad = _model28([helper.make_node("Attention", ["q", "q", "q", "", "", "", "n"], ["y"])], [q, lens])
    with pytest.raises(NccError, match="input 'nonpad_kv_seqlen' is not supported"):
        import_model(nonpad)
    window = _model28([helper.make_node("Attention", ["q", "q", "q"], ["y"], left_window_size=2)], [q])
    with pytest.raises(NccError, match="attribute 'left_window_size' is not supported"):
        import_model(window)
    assert types_of(_model28([helper.make_node("Attention", ["q", "q", "q"], ["y"])], [q])) == ["Attention"]


def test_cast_24_round_mode_is_read_for_other_targets() -> None:
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])
    m = _model28([helper.make_node("Cast", ["x"], ["y"], to=TensorProto.FLOAT16, round_mode="nearest")], [x],
                 elem=TensorProto.FLOAT16)  # fmt: skip
    feed = rand(2, 3)
    np.testing.assert_array_equal(run_ir(m, {"x": feed})[0], feed.astype(np.float16))


def test_empty_constant_output_refused(tmp_path) -> None:
    """Shape(start > end) folds to an empty constant: no ncnn blob can hold it (an empty Mat
    is a layer's failure), so the output is refused by name (node suite, opset 28)."""
    from ncc.driver import compile_onnx

    m = model(21, [helper.make_node("Shape", ["x"], ["y"], start=3, end=1, name="shape")], {"x": (1, 2, 3, 4)})
    onnx.save(m, str(tmp_path / "m.onnx"))
    with pytest.raises(NccError, match=r"'shape' \(Shape\): a constant output with no elements"):
        compile_onnx(tmp_path / "m.onnx", tmp_path / "out")


@pytest.mark.parametrize("axis", [-1, -2, 1])
def test_rms_normalization_23_numpy_semantics(axis: int) -> None:
    x = rand(2, 3, 4)
    inner = x.shape[axis % 3:]
    m = model(23, [helper.make_node("RMSNormalization", ["x", "g"], ["y"], axis=axis, epsilon=1e-3)],
              {"x": x.shape}, inits={"g": rand(*inner)})  # fmt: skip
    m.ir_version = 10
    check(m, {"x": x})


@pytest.mark.parametrize("upper", [0, 1])
@pytest.mark.parametrize("k", [None, -2, 0, 1, 7])
def test_trilu_14_numpy_semantics(upper: int, k: int | None) -> None:
    x = rand(2, 3, 5)
    inits = {} if k is None else {"k": np.asarray(k, np.int64)}
    node = helper.make_node("Trilu", ["x"] + ([] if k is None else ["k"]), ["y"], upper=upper)
    check(model(14, [node], {"x": x.shape}, inits=inits), {"x": x})

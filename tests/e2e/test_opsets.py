"""End-to-end: models written with onnx.helper at old opsets (6, 7, 9, 10, 11) and at the
newest (28) compile with no options and match onnxruntime on ncnn CPU, Vulkan fp32 and
Vulkan fp16.

The CNN uses the forms older exporters wrote: attributes that later became inputs (Reshape
shape, Slice, Pad, Clip, Squeeze/Unsqueeze axes, Reduce axes, Dropout ratio), Upsample,
BatchNormalization with `spatial` (and `is_test` / `consumed_inputs` at opset 6), legacy
broadcasting (`broadcast=1, axis=1`) at opset 6, and a pre-13 Softmax. onnxruntime runs
opset 7 and later; the opset-6 model is checked against the same network written at opset 7.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from paramfile import read_param  # noqa: E402

TOLERANCE = {"cpu": 1e-4, "vulkan-fp32": 1e-4, "vulkan-fp16": 2e-2}


def _rand(rng: np.random.Generator, *shape: int, positive: bool = False) -> np.ndarray:
    a = rng.standard_normal(shape).astype(np.float32)
    return np.abs(a) + 0.5 if positive else a


def cnn(opset: int, legacy: bool | None = None) -> onnx.ModelProto:
    """Conv → BN → Clip → Dropout → Pad → MaxPool → Upsample/Resize → Slice → bias Add →
    ReduceMean → Squeeze/Unsqueeze → Reshape → Gemm → Softmax, each in the form of `opset`
    (`legacy`: the opset-6 forms, also readable as opset 7 with legacy=False for the
    reference)."""
    legacy = opset < 7 if legacy is None else legacy
    rng = np.random.default_rng(7)
    inits = {
        "w": _rand(rng, 4, 3, 3, 3) * 0.5,
        "wb": _rand(rng, 4),
        "s": _rand(rng, 4),
        "B": _rand(rng, 4),
        "m": _rand(rng, 4) * 0.1,
        "v": _rand(rng, 4, positive=True),
        "gw": _rand(rng, 32, 10) * 0.3,
        "gc": _rand(rng, 10),
    }
    # per-channel bias on (1, 4, 8, 8): legacy broadcast at axis 1, else a (4, 1, 1) tensor
    inits["cb"] = _rand(rng, 4) if legacy else _rand(rng, 4).reshape(4, 1, 1)
    bn_attrs: dict[str, Any] = {"epsilon": 1e-3}
    if opset < 9:
        bn_attrs["spatial"] = 1
    if legacy:
        bn_attrs.update(is_test=1, consumed_inputs=[0, 0, 0, 1, 1])
    nodes = [
        helper.make_node("Conv", ["x", "w", "wb"], ["c"], pads=[1, 1, 1, 1], name="conv"),
        helper.make_node("BatchNormalization", ["c", "s", "B", "m", "v"], ["bn"], name="bn", **bn_attrs),
    ]
    if opset < 11:
        nodes.append(helper.make_node("Clip", ["bn"], ["clip"], min=0.0, max=6.0, name="clip"))
    else:
        inits["lo"], inits["hi"] = np.asarray(0, np.float32), np.asarray(6, np.float32)
        nodes.append(helper.make_node("Clip", ["bn", "lo", "hi"], ["clip"], name="clip"))
    drop = {"is_test": 1, "ratio": 0.3} if legacy else {"ratio": 0.3}
    nodes.append(helper.make_node("Dropout", ["clip"], ["drop"], name="drop", **drop))
    if opset < 11:
        nodes.append(helper.make_node("Pad", ["drop"], ["pad"], pads=[0, 0, 1, 1, 0, 0, 1, 1], name="pad"))
    else:
        inits["pads"] = np.asarray([0, 0, 1, 1, 0, 0, 1, 1], np.int64)
        nodes.append(helper.make_node("Pad", ["drop", "pads"], ["pad"], name="pad"))
    nodes.append(helper.make_node("MaxPool", ["pad"], ["pool"], kernel_shape=[2, 2], strides=[2, 2], name="pool"))
    # (1, 4, 5, 5) → (1, 4, 10, 10)
    if opset < 7:
        nodes.append(helper.make_node("Upsample", ["pool"], ["up"], height_scale=2.0, width_scale=2.0, name="up"))
    elif opset < 9:
        nodes.append(helper.make_node("Upsample", ["pool"], ["up"], scales=[1.0, 1.0, 2.0, 2.0], name="up"))
    else:
        inits["scales"] = np.asarray([1, 1, 2, 2], np.float32)
        inits["roi"] = np.zeros(0, np.float32)
        up_inputs = ["pool", "scales"] if opset < 11 else ["pool", "roi", "scales"]
        op_type = {9: "Upsample"}.get(opset, "Resize")
        attrs = {"mode": "nearest"}
        if opset >= 11:
            attrs.update(coordinate_transformation_mode="asymmetric", nearest_mode="floor")
        nodes.append(helper.make_node(op_type, up_inputs, ["up"], name="up", **attrs))
    if opset < 10:
        nodes.append(helper.make_node("Slice", ["up"], ["sl"], starts=[1, 1], ends=[9, 9], axes=[2, 3], name="slice"))
    else:
        inits["st"], inits["en"], inits["ax"] = (np.asarray(v, np.int64) for v in ([1, 1], [9, 9], [2, 3]))
        nodes.append(helper.make_node("Slice", ["up", "st", "en", "ax"], ["sl"], name="slice"))
    add_attrs = {"broadcast": 1, "axis": 1} if legacy else {}
    nodes.append(helper.make_node("Add", ["sl", "cb"], ["biased"], name="bias", **add_attrs))
    # (1, 4, 8, 8) → mean over W → (1, 4, 8, 1) → squeeze → (1, 4, 8) → unsqueeze → (1, 1, 4, 8)
    if opset < 13:
        nodes += [
            helper.make_node("ReduceMean", ["biased"], ["mean"], axes=[3], name="mean"),
            helper.make_node("Squeeze", ["mean"], ["sq"], axes=[3], name="squeeze"),
            helper.make_node("Unsqueeze", ["sq"], ["unsq"], axes=[1], name="unsqueeze"),
        ]
    if legacy and opset < 5:
        nodes.append(helper.make_node("Reshape", ["unsq"], ["flat"], shape=[1, 32], name="reshape"))
    else:
        inits["shape"] = np.asarray([1, 32], np.int64)
        nodes.append(helper.make_node("Reshape", ["unsq", "shape"], ["flat"], name="reshape"))
    gemm_attrs = {"broadcast": 1} if legacy else {}
    nodes += [
        helper.make_node("Gemm", ["flat", "gw", "gc"], ["logits"], name="fc", **gemm_attrs),
        helper.make_node("Softmax", ["logits"], ["y"], name="softmax"),
    ]
    graph = helper.make_graph(
        nodes,
        "cnn",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10])],
        initializer=[numpy_helper.from_array(a, n) for n, a in inits.items()],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=3 if opset < 8 else 7)


def softmax3d(opset: int) -> onnx.ModelProto:
    """Softmax over a (1, 4, 6) input at axis 1 (pre-13: over the flattened 4x6 block) and
    at the last axis, plus a conv-free scale so the graph is not only the op."""
    nodes = [
        helper.make_node("Mul", ["x", "k"], ["t"], name="scale"),
        helper.make_node("Softmax", ["t"], ["y1"], axis=1, name="softmax_axis1"),
        helper.make_node("Softmax", ["t"], ["y2"], axis=-1, name="softmax_last"),
    ]
    graph = helper.make_graph(
        nodes,
        "softmax3d",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 6])],
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, [1, 4, 6]) for n in ("y1", "y2")],
        initializer=[numpy_helper.from_array(np.asarray(1.7, np.float32), "k")],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=7)


def shape_if(opset: int) -> onnx.ModelProto:
    """TorchScript's shape test: If(Equal(Gather(Shape(x), 1), 4)) choosing between two
    subgraphs that use outer values (x, a weight) and their own initializer."""
    k = numpy_helper.from_array(np.asarray(0.5, np.float32), "k")
    then_branch = helper.make_graph(
        [helper.make_node("Mul", ["x", "k"], ["t0"]), helper.make_node("Add", ["t0", "w"], ["then_out"])],
        "then", [], [helper.make_tensor_value_info("then_out", TensorProto.FLOAT, None)], initializer=[k],
    )  # fmt: skip
    else_branch = helper.make_graph(
        [helper.make_node("Neg", ["x"], ["else_out"])],
        "else", [], [helper.make_tensor_value_info("else_out", TensorProto.FLOAT, None)],
    )  # fmt: skip
    nodes = [
        helper.make_node("Shape", ["x"], ["s"], name="shape"),
        helper.make_node("Gather", ["s", "i1"], ["c"], axis=0, name="gather"),
        helper.make_node("Equal", ["c", "four"], ["cond"], name="equal"),
        helper.make_node("If", ["cond"], ["b"], then_branch=then_branch, else_branch=else_branch, name="if"),
        helper.make_node("Sigmoid", ["b"], ["y"], name="sigmoid"),
    ]
    inits = [
        numpy_helper.from_array(np.asarray(1, np.int64), "i1"),
        numpy_helper.from_array(np.asarray(4, np.int64), "four"),
        numpy_helper.from_array(np.random.default_rng(3).standard_normal((4, 1, 1)).astype(np.float32), "w"),
    ]
    graph = helper.make_graph(
        nodes, "shape_if", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 5, 5])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], initializer=inits,
    )  # fmt: skip
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=7)


def opset28(opset: int = 28) -> onnx.ModelProto:
    """Ops whose schema has a version in 24-28, at opset 28: Celu-28, SpaceToDepth-28 in both
    modes (CRD is new), DepthToSpace-28, Pad-25, Transpose-25, Cast-28, Range-27 (folded),
    Reshape-25, Squeeze/Unsqueeze-25. At `opset` 23 (the reference onnxruntime runs) the
    CRD SpaceToDepth is written as Reshape → Transpose → Reshape."""
    rng = np.random.default_rng(5)
    inits = {
        "pads": np.asarray([0, 0, 1, 1, 0, 0, 1, 1], np.int64),
        "r0": np.asarray(0, np.float32), "r1": np.asarray(10, np.float32), "rd": np.asarray(1, np.float32),
        "flat": np.asarray([1, 4, 100], np.int64), "ax0": np.asarray([0], np.int64),
        "w": rng.standard_normal((1, 16, 1, 1)).astype(np.float32),
    }  # fmt: skip
    nodes = [helper.make_node("Celu", ["x"], ["a"], alpha=0.7, name="celu")]
    if opset >= 28:
        nodes += [
            helper.make_node("SpaceToDepth", ["a"], ["d"], blocksize=2, mode="DCR", name="s2d_dcr"),
            helper.make_node("SpaceToDepth", ["a"], ["c"], blocksize=2, mode="CRD", name="s2d_crd"),
        ]
    else:
        inits["s6"], inits["s4"] = np.asarray([1, 4, 4, 2, 4, 2], np.int64), np.asarray([1, 16, 4, 4], np.int64)
        nodes += [
            helper.make_node("SpaceToDepth", ["a"], ["d"], blocksize=2, name="s2d_dcr"),
            helper.make_node("Reshape", ["a", "s6"], ["c6"], name="crd_split"),
            helper.make_node("Transpose", ["c6"], ["c6t"], perm=[0, 1, 3, 5, 2, 4], name="crd_order"),
            helper.make_node("Reshape", ["c6t", "s4"], ["c"], name="s2d_crd"),
        ]
    nodes += [
        helper.make_node("Mul", ["c", "w"], ["cw"], name="scale"),
        helper.make_node("Add", ["d", "cw"], ["s"], name="add"),
        helper.make_node("DepthToSpace", ["s"], ["u"], blocksize=2, mode="CRD", name="d2s"),
        helper.make_node("Pad", ["u", "pads"], ["p"], name="pad"),
        helper.make_node("Transpose", ["p"], ["t"], perm=[0, 1, 3, 2], name="transpose"),
        helper.make_node("Cast", ["t"], ["ct"], to=TensorProto.FLOAT, name="cast"),
        helper.make_node("Range", ["r0", "r1", "rd"], ["r"], name="range"),
        helper.make_node("Add", ["ct", "r"], ["tr"], name="add_range"),
        helper.make_node("Reshape", ["tr", "flat"], ["f"], name="reshape"),
        helper.make_node("Unsqueeze", ["f", "ax0"], ["f4"], name="unsqueeze"),
        helper.make_node("Squeeze", ["f4", "ax0"], ["y"], name="squeeze"),
    ]
    graph = helper.make_graph(
        nodes,
        "opset28",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 100])],
        initializer=[numpy_helper.from_array(a, n) for n, a in inits.items()],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=10)


def cast_like(opset: int = 21) -> onnx.ModelProto:
    """CastLike as torch's dynamo exporter writes it: a constant, a comparison's boolean and
    the data itself each cast to the data's type."""
    nodes = [
        helper.make_node("CastLike", ["k"], ["kf"], name="k_like_x"),
        helper.make_node("Mul", ["x", "kf"], ["scaled"], name="scale"),
        helper.make_node("Greater", ["x", "zero"], ["pos"], name="positive"),
        helper.make_node("CastLike", ["pos", "x"], ["mask"], name="mask_like_x"),
        helper.make_node("Mul", ["scaled", "mask"], ["relu3"], name="gate"),
        helper.make_node("CastLike", ["relu3", "x"], ["y"], name="noop_cast"),
    ]
    nodes[0].input.append("x")
    graph = helper.make_graph(
        nodes,
        "cast_like",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 8])],
        initializer=[numpy_helper.from_array(np.asarray(3, np.int64), "k"),
                     numpy_helper.from_array(np.asarray(0, np.float32), "zero")],
    )  # fmt: skip
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=10)


def rms_norm(opset: int = 23) -> onnx.ModelProto:
    """RMSNormalization as an LLM block writes it (last axis, a constant scale), over the
    last two axes with a scale that broadcasts, and with a scale computed at run time."""
    rng = np.random.default_rng(11)
    nodes = [
        helper.make_node("RMSNormalization", ["x", "g"], ["n1"], epsilon=1e-6, name="rms_last"),
        helper.make_node("Reshape", ["n1", "s4"], ["x4"], name="to_4d"),
        helper.make_node("RMSNormalization", ["x4", "g8"], ["n2"], axis=-2, name="rms_last_two"),
        helper.make_node("Sigmoid", ["x"], ["gate"], name="gate"),
        helper.make_node("RMSNormalization", ["n2", "gate4"], ["y"], axis=1, name="rms_runtime_scale"),
        helper.make_node("Reshape", ["gate", "s3"], ["gate4"], name="gate_3d"),
    ]
    nodes[3:] = [nodes[3], nodes[5], nodes[4]]
    inits = {
        "g": rng.standard_normal(48).astype(np.float32),
        "g8": rng.standard_normal(8).astype(np.float32),
        "s4": np.asarray([1, 4, 6, 8], np.int64),
        "s3": np.asarray([4, 6, 8], np.int64),
    }
    graph = helper.make_graph(
        nodes,
        "rms_norm",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 48])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 6, 8])],
        initializer=[numpy_helper.from_array(a, n) for n, a in inits.items()],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=10)


def swish(opset: int = 24) -> onnx.ModelProto:
    """Swish-24 with its default alpha (SiLU) and with alpha 1.702 (sigmoid-GELU)."""
    nodes = [
        helper.make_node("Swish", ["x"], ["s1"], name="silu"),
        helper.make_node("Swish", ["s1"], ["y"], alpha=1.702, name="swish_alpha"),
    ]
    graph = helper.make_graph(
        nodes, "swish", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 6, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 6, 8])],
    )  # fmt: skip
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=10)


def trilu(opset: int = 14) -> onnx.ModelProto:
    """Trilu on data: the upper triangle from diagonal 1 (a causal mask's complement) and the
    lower triangle from diagonal -1 of a non-square matrix, without and with a given k."""
    nodes = [
        helper.make_node("Trilu", ["x", "k1"], ["u"], name="triu_1"),
        helper.make_node("Trilu", ["x", "km1"], ["l"], upper=0, name="tril_m1"),
        helper.make_node("Trilu", ["x"], ["d"], upper=0, name="tril_0"),
        helper.make_node("Sum", ["u", "l", "d"], ["y"], name="sum"),
    ]
    graph = helper.make_graph(
        nodes, "trilu", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 6, 9])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 6, 9])],
        initializer=[numpy_helper.from_array(np.asarray(1, np.int64), "k1"),
                     numpy_helper.from_array(np.asarray(-1, np.int64), "km1")],
    )  # fmt: skip
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=8)


def clip_runtime(opset: int = 13) -> onnx.ModelProto:
    """Clip to bounds computed from the data (±half the largest |x|), and to a constant
    lower bound with a computed upper one."""
    nodes = [
        helper.make_node("Abs", ["x"], ["a"], name="abs"),
        helper.make_node("ReduceMax", ["a"], ["m"], keepdims=0, name="max_abs"),
        helper.make_node("Mul", ["m", "half"], ["hi"], name="half"),
        helper.make_node("Neg", ["hi"], ["lo"], name="neg"),
        helper.make_node("Clip", ["x", "lo", "hi"], ["c"], name="clip_both"),
        helper.make_node("Clip", ["c", "zero", "hi"], ["y"], name="clip_max_only"),
    ]
    graph = helper.make_graph(
        nodes, "clip_runtime", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 6])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 6])],
        initializer=[numpy_helper.from_array(np.asarray(0.5, np.float32), "half"),
                     numpy_helper.from_array(np.asarray(-0.1, np.float32), "zero")],
    )  # fmt: skip
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=8)


MODELS = {
    "cnn-opset6": lambda: cnn(6),
    "cnn-opset7": lambda: cnn(7),
    "cnn-opset9": lambda: cnn(9),
    "cnn-opset10": lambda: cnn(10),
    "cnn-opset11": lambda: cnn(11),
    "softmax3d-opset11": lambda: softmax3d(11),
    "shape-if-opset11": lambda: shape_if(11),
    "opset28": lambda: opset28(28),
    "cast-like-opset21": lambda: cast_like(21),
    "rms-norm-opset23": lambda: rms_norm(23),
    "swish-opset24": lambda: swish(24),
    "trilu-opset14": lambda: trilu(14),
    "clip-runtime-opset13": lambda: clip_runtime(13),
}
# onnxruntime does not run opset 6 (Add-6 has no kernel): the same network at opset 7; nor
# SpaceToDepth-28's CRD mode: the network at opset 23, CRD written as Reshape/Transpose
REFERENCES = {"cnn-opset6": lambda: cnn(7, legacy=False), "opset28": lambda: opset28(23)}


@dataclass
class Result:
    path: Path
    param: Path
    report: Any


@pytest.fixture(scope="module")
def opset_result(tmp_path_factory: pytest.TempPathFactory):
    cache: dict[str, Result | str] = {}

    def get(name: str) -> Result:
        if name not in cache:
            from ncc.driver import compile_onnx
            from ncc.verify import onnxruntime_reference, verify

            folder = tmp_path_factory.mktemp(name)
            path = folder / "model.onnx"
            onnx.save(MODELS[name](), str(path))
            reference = None
            if name in REFERENCES:
                ref_path = folder / "reference.onnx"
                onnx.save(REFERENCES[name](), str(ref_path))
                reference = onnxruntime_reference(ref_path)
            try:
                res = compile_onnx(path, folder / "out")
                cache[name] = Result(path, res.param, verify(folder / "out", path, reference=reference))
            except Exception as e:  # noqa: BLE001
                cache[name] = f"ncc could not compile {name}: {type(e).__name__}: {e}"
        got = cache[name]
        if isinstance(got, str):
            pytest.fail(got, pytrace=False)
        return got

    return get


@pytest.mark.parametrize("name", list(MODELS))
def test_matches_onnxruntime(opset_result, name: str) -> None:
    r = opset_result(name)
    table = r.report.table()
    assert r.report.skipped == {}, f"Vulkan modes did not run (lavapipe missing?):\n{table}"
    assert r.report.modes() == list(TOLERANCE), table
    for mode_name, tol in TOLERANCE.items():
        worst = max(row.max_rel for row in r.report.rows if row.mode == mode_name)
        assert worst <= tol, f"{mode_name}: max relative error {worst:.3g} > {tol:g}\n{table}"


def test_softmax_before_13_normalises_the_flattened_block(opset_result) -> None:
    """The pre-13 Softmax over axis 1 of (1, 4, 6) sums to 1 over all 24 values, not per
    column: ncnn's result must be that, not the opset-13 reading."""
    import onnxruntime as ort

    r = opset_result("softmax3d-opset11")
    x = np.random.default_rng(0).standard_normal((1, 4, 6)).astype(np.float32)
    y1 = ort.InferenceSession(str(r.path), providers=["CPUExecutionProvider"]).run(["y1"], {"x": x})[0]
    assert abs(float(y1.sum()) - 1.0) < 1e-5  # onnxruntime itself reads opset 11
    types = read_param(r.param).types()
    assert types.get("Softmax") == 2, types


def test_legacy_cnn_has_no_leftovers(opset_result) -> None:
    """The opset-6 CNN lowers to ordinary layers: BN folded into the conv, Dropout gone."""
    types = read_param(opset_result("cnn-opset6").param).types()
    assert "BatchNorm" not in types and "Dropout" not in types, types
    assert types.get("Convolution") == 1 and types.get("Interp") == 1, types


def test_if_on_a_shape_is_inlined(opset_result) -> None:
    """The If folds to its then-branch: a Mul/Add (BinaryOp) and the Sigmoid, nothing else."""
    types = read_param(opset_result("shape-if-opset11").param).types()
    assert set(types) <= {"Input", "BinaryOp", "Sigmoid", "MemoryData"}, types


def test_opset28_space_to_depth_modes(opset_result) -> None:
    """SpaceToDepth-28's two channel orders are two Reorg layers: mode 1 (DCR), mode 0 (CRD)."""
    layers = [layer for layer in read_param(opset_result("opset28").param).layers if layer.type == "Reorg"]
    assert sorted(layer.int_param(1, 0) for layer in layers) == [0, 1], layers


def test_cast_like_is_a_cast(opset_result) -> None:
    """CastLike lowers as the Cast it stands for: the casts to float are no layers at all."""
    types = read_param(opset_result("cast-like-opset21").param).types()
    assert set(types) <= {"Input", "BinaryOp", "Threshold", "ReLU", "Split", "MemoryData", "Noop"}, types


def test_rms_norm_layers(opset_result) -> None:
    """Each RMSNormalization is one RMSNorm layer; the run-time scale adds one BinaryOp."""
    types = read_param(opset_result("rms-norm-opset23").param).types()
    assert types.get("RMSNorm") == 3 and types.get("BinaryOp") == 1, types


def test_swish_layers(opset_result) -> None:
    """SiLU is one Swish layer; another alpha is a scale, a Sigmoid and a product."""
    types = read_param(opset_result("swish-opset24").param).types()
    assert types.get("Swish") == 1 and types.get("Sigmoid") == 1 and types.get("BinaryOp") == 2, types

"""Found by the conformance tier (tests/conformance): lowerings that gave wrong numbers or
crashed the compiler, each now exact or a named refusal; and the batched ncnn runner
(`ncc.verify.run_ncnn_many`) and output check (`ncc.verify.check_output`) the tier uses."""

from __future__ import annotations

import numpy as np
import pytest

from ncc.errors import NccError
from ncc.verify import DEFAULT_RTOL, NcnnFailure, check_output, run_ncnn_many

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402


def _model(nodes, inputs, outputs, inits=(), opset=17):
    graph = helper.make_graph(nodes, "g", inputs, outputs, list(inits))
    return helper.make_model(graph, opset_imports=[helper.make_operatorsetid("", opset)])


def _f32(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def _compile(model, tmp_path):
    from ncc.driver import compile_onnx_model

    return compile_onnx_model(model, tmp_path / "out", stem="model")


def _pow_model(exponent: float, dtype=np.float32):
    e = numpy_helper.from_array(np.array(exponent, dtype=dtype), "e")
    return _model([helper.make_node("Pow", ["x", "e"], ["y"])], [_f32("x", [2, 3, 4])], [_f32("y", [2, 3, 4])], [e])


@pytest.mark.parametrize("exponent", [3.0, 4.0, 5.0, -2.0, 2.0, 0.5])
def test_pow_by_constant_is_exact_for_negative_and_zero_bases(tmp_path, exponent):
    """ncnn's BinaryOp pow is exp(y·log x): 2.4e38 for 0 ** 3 or (-2) ** 4 on the CPU. Integer
    exponents go through square-and-multiply instead, on every backend."""
    result = _compile(_pow_model(exponent), tmp_path)
    lines = result.param.read_text().splitlines()
    assert not any(ln.startswith("BinaryOp") and " 0=6" in ln for ln in lines)  # no BinaryOp pow
    x = np.random.default_rng(0).standard_normal((2, 3, 4)).astype(np.float32)
    x[0, 0, :2] = 0.0
    x[1, 2, 3] = -2.0
    if exponent == 0.5:
        x = np.abs(x)
    if exponent < 0:
        # ncnn's CPU division and reciprocal give NaN for 1 / 0 (IEEE: inf): not this test's subject
        x[x == 0] = 0.5
    with np.errstate(divide="ignore"):
        want = np.power(x.astype(np.float64), exponent).astype(np.float32)
    runs = {m: run_ncnn_many([(result.manifest, result.out_dir, {"x": x})], m) for m in ("cpu", "vulkan-fp32")}
    for mode, got in runs.items():
        if got is None:
            continue  # no Vulkan device
        assert not isinstance(got[0], NcnnFailure), got[0]
        ok = check_output(want, got[0]["y"], DEFAULT_RTOL)
        assert ok[2], (mode, ok)


def test_pow_with_runtime_exponent_is_refused(tmp_path):
    model = _model(
        [helper.make_node("Pow", ["x", "y"], ["z"])], [_f32("x", [3]), _f32("y", [3])], [_f32("z", [3])]
    )  # fmt: skip
    with pytest.raises(NccError) as e:
        _compile(model, tmp_path)
    assert e.value.op == "Pow" and "<= 0" in e.value.message


@pytest.mark.parametrize("op", ["Div", "Pow"])
def test_integer_division_and_power_are_refused(tmp_path, op):
    """ncnn divides in float: 7 / 2 would be 3.5, not 3."""
    ints = [helper.make_tensor_value_info(n, TensorProto.INT32, [4]) for n in ("a", "b", "c")]
    with pytest.raises(NccError) as e:
        _compile(_model([helper.make_node(op, ["a", "b"], ["c"])], ints[:2], ints[2:]), tmp_path)
    assert e.value.op == op and "integer" in e.value.message


def test_an_op_after_an_unlowered_op_names_the_unlowered_one(tmp_path):
    """Round has no lowering and no shape rule; the Div after it used to crash the
    conversion (TypeError in mat_shape) instead of naming Round (CastLike, the op this
    test was written with, lowers now)."""
    model = _model(
        [helper.make_node("Round", ["x"], ["a"]), helper.make_node("Div", ["x", "a"], ["y"])],
        [_f32("x", [3])], [_f32("y", [3])],
    )  # fmt: skip
    with pytest.raises(NccError) as e:
        _compile(model, tmp_path)
    assert e.value.op == "Round" and "internal" not in str(e.value)


def test_run_ncnn_many_reports_a_broken_model_and_runs_the_rest(tmp_path):
    model = _model([helper.make_node("Relu", ["x"], ["y"])], [_f32("x", [4])], [_f32("y", [4])])
    good = _compile(model, tmp_path / "good")
    bad = _compile(model, tmp_path / "bad")
    bad.param.write_text(bad.param.read_text().replace("ReLU", "NoSuchLayer"))
    x = np.array([-1, 0, 1, 2], dtype=np.float32)
    got = run_ncnn_many([(bad.manifest, bad.out_dir, {"x": x}), (good.manifest, good.out_dir, {"x": x})], "cpu")
    assert isinstance(got[0], NcnnFailure)
    assert np.array_equal(got[1]["y"], np.maximum(x, 0))


def test_check_output_non_finite_and_integers():
    ref = np.array([1.0, np.nan, -np.inf], dtype=np.float32)
    assert check_output(ref, np.array([1.0, np.nan, -np.inf], dtype=np.float32), 1e-4)[2]
    assert not check_output(ref, np.array([1.0, 0.0, -np.inf], dtype=np.float32), 1e-4)[2]
    assert not check_output(np.array([1.0, 2.0]), np.array([1.0, np.inf]), 1e-4)[2]
    ints = np.array([3, 1000], dtype=np.int64)
    assert check_output(ints, np.array([3.0, 1000.0], dtype=np.float32), 1e-4)[2]
    assert not check_output(ints, np.array([3.0, 1000.01], dtype=np.float32), 1e-4)[2]


@pytest.mark.parametrize("perm", [(0, 1, 4, 2, 5, 3), (1, 0, 3, 5, 2, 4), (0, 1, 2, 4, 3, 5)])
def test_transpose_with_leading_unit_axes(tmp_path, perm):
    """PixelShuffle's rank-6 Transpose: the layout stage joins the unit axes 0, 1 to axis 2's
    group, which must still move to where axis 2 goes (it moved to the front: wrong data)."""
    shape = [1, 1, 3, 3, 4, 5]
    out = [shape[p] for p in perm]
    model = _model(
        [helper.make_node("Transpose", ["x"], ["y"], perm=list(perm))], [_f32("x", shape)], [_f32("y", out)]
    )  # fmt: skip
    result = _compile(model, tmp_path)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    for mode in ("cpu", "vulkan-fp32"):
        got = run_ncnn_many([(result.manifest, result.out_dir, {"x": x})], mode)
        if got is not None:
            assert np.array_equal(got[0]["y"], np.transpose(x, perm)), mode


def test_dropout_with_a_run_time_training_mode_is_refused(tmp_path):
    """training_mode given as an input may be true: Dropout then drops at random (it was
    compiled as the identity)."""
    mode = helper.make_tensor_value_info("t", TensorProto.BOOL, [])
    ratio = numpy_helper.from_array(np.array(0.5, dtype=np.float32), "r")
    model = _model(
        [helper.make_node("Dropout", ["x", "r", "t"], ["y"])], [_f32("x", [3, 4]), mode], [_f32("y", [3, 4])], [ratio]
    )  # fmt: skip
    with pytest.raises(NccError) as e:
        _compile(model, tmp_path)
    assert e.value.op == "Dropout" and "training" in e.value.message


def test_log_softmax_over_a_leading_axis(tmp_path):
    """The reduced leading axis keeps its 1 in the Mat (was an internal placement error)."""
    model = _model(
        [helper.make_node("LogSoftmax", ["x"], ["y"], axis=0)], [_f32("x", [3, 4, 5])], [_f32("y", [3, 4, 5])]
    )  # fmt: skip
    result = _compile(model, tmp_path)
    x = np.random.default_rng(0).standard_normal((3, 4, 5)).astype(np.float32)
    want = x - np.max(x, axis=0) - np.log(np.sum(np.exp(x - np.max(x, axis=0)), axis=0))
    for mode in ("cpu", "vulkan-fp32"):
        got = run_ncnn_many([(result.manifest, result.out_dir, {"x": x})], mode)
        if got is not None:
            assert check_output(want, got[0]["y"], DEFAULT_RTOL)[2], mode

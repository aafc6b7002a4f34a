"""`ncc compile` (the installed command, in a subprocess) on inputs it must refuse: exit code
≠ 0, exactly one `ncc: error:` line on stderr naming the file (and the node and op where one
is to blame), no traceback, and no output folder or temp folder left behind."""

from __future__ import annotations

import copy
import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

IR_VERSION = 8  # onnxruntime here reads up to 13
OPSET = 13


def _model(nodes, inputs, outputs, initializers=()) -> onnx.ModelProto:
    graph = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(initializers))
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=IR_VERSION)
    onnx.checker.check_model(m, full_check=True)
    return m


def _vi(name: str, shape, dtype=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, dtype, shape)


def _weighted_model() -> onnx.ModelProto:
    """y = sigmoid(x * w + b) with (1, 64) weights: big enough that cutting the file lands
    inside a tensor, and with initializers to move to external data."""
    rng = np.random.default_rng(0)
    w = numpy_helper.from_array(rng.standard_normal((1, 64)).astype(np.float32), "w")
    b = numpy_helper.from_array(rng.standard_normal((1, 64)).astype(np.float32), "b")
    nodes = [
        helper.make_node("Mul", ["x", "w"], ["t"], name="mul0"),
        helper.make_node("Add", ["t", "b"], ["u"], name="add0"),
        helper.make_node("Sigmoid", ["u"], ["y"], name="sig0"),
    ]
    return _model(nodes, [_vi("x", [1, 64])], [_vi("y", [1, 64])], [w, b])


def _save_external(m: onnx.ModelProto, path: Path, location: str = "weights.bin") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # save_model converts the proto in place; keep the caller's model intact
    onnx.save_model(
        copy.deepcopy(m), str(path), save_as_external_data=True, all_tensors_to_one_file=True,
        location=location, size_threshold=0,
    )  # fmt: skip


def _ncc(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "NCC_DEBUG"}
    return subprocess.run(["ncc", *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=120)


def _listing(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def _assert_refused(model: Path, tmp_path: Path, *must_name: str, extra_args: tuple[str, ...] = ()) -> str:
    """Run `ncc compile model -o <dest>/out`; check the failure contract; return the line."""
    dest = tmp_path / "dest"
    dest.mkdir()
    out = dest / "out"
    model_dir_before = _listing(model.parent)
    proc = _ncc("compile", str(model), "-o", str(out), *extra_args, cwd=tmp_path)
    assert proc.returncode != 0, proc.stdout
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, f"stderr should be one line:\n{proc.stderr}"
    line = lines[0]
    assert line.startswith("ncc: error:"), line
    assert str(model) in line, f"the error does not name the file {model}: {line}"
    for text in must_name:
        assert text in line, f"the error does not mention {text!r}: {line}"
    assert not out.exists(), "a failed compile left the output folder"
    assert list(dest.iterdir()) == [], f"stray files beside the output: {list(dest.iterdir())}"
    assert _listing(model.parent) == model_dir_before, "the compile wrote beside the model"
    return line


# --------------------------------------------------------------------------- no lowering


def test_op_without_lowering_hardmax(tmp_path: Path) -> None:
    nodes = [
        helper.make_node("Relu", ["x"], ["r"], name="relu0"),
        helper.make_node("Hardmax", ["r"], ["y"], name="my_hardmax", axis=-1),
    ]
    path = tmp_path / "hardmax.onnx"
    onnx.save(_model(nodes, [_vi("x", [1, 4, 8])], [_vi("y", [1, 4, 8])]), str(path))
    _assert_refused(path, tmp_path, "my_hardmax", "Hardmax")


def test_op_without_lowering_topk(tmp_path: Path) -> None:
    k = numpy_helper.from_array(np.array([3], np.int64), "k")
    nodes = [helper.make_node("TopK", ["x", "k"], ["v", "i"], name="my_topk", axis=-1)]
    outputs = [_vi("v", [1, 4, 3]), _vi("i", [1, 4, 3], TensorProto.INT64)]
    path = tmp_path / "topk.onnx"
    onnx.save(_model(nodes, [_vi("x", [1, 4, 8])], outputs, [k]), str(path))
    _assert_refused(path, tmp_path, "my_topk", "TopK")


# --------------------------------------------------------------------------- broken files


def test_truncated_file(tmp_path: Path) -> None:
    whole = tmp_path / "whole.onnx"
    onnx.save(_weighted_model(), str(whole))
    data = whole.read_bytes()
    path = tmp_path / "cut" / "truncated.onnx"
    path.parent.mkdir()
    path.write_bytes(data[: len(data) // 2])
    _assert_refused(path, tmp_path)


def test_garbage_file(tmp_path: Path) -> None:
    path = tmp_path / "in" / "garbage.onnx"
    path.parent.mkdir()
    path.write_bytes(np.random.default_rng(7).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    _assert_refused(path, tmp_path)


def test_missing_external_data(tmp_path: Path) -> None:
    path = tmp_path / "m" / "model.onnx"
    _save_external(_weighted_model(), path)
    (path.parent / "weights.bin").unlink()
    _assert_refused(path, tmp_path, "weights.bin")


def test_external_data_outside_model_folder(tmp_path: Path) -> None:
    path = tmp_path / "m" / "model.onnx"
    _save_external(_weighted_model(), path)
    # the escaping target exists and holds valid bytes: refused for where it is, not for
    # being missing
    os.replace(path.parent / "weights.bin", tmp_path / "secret.bin")
    m = onnx.load(str(path), load_external_data=False)
    for t in m.graph.initializer:
        for entry in t.external_data:
            if entry.key == "location":
                entry.value = "../secret.bin"
    onnx.save(m, str(path))
    _assert_refused(path, tmp_path, "../secret.bin")


# --------------------------------------------------------------------------- dynamic shapes


def _dynamic_model() -> onnx.ModelProto:
    w = numpy_helper.from_array(
        np.random.default_rng(3).standard_normal((1, 3, 1, 1)).astype(np.float32), "w"
    )
    nodes = [
        helper.make_node("Mul", ["x", "w"], ["t"], name="mul0"),
        helper.make_node("Sigmoid", ["t"], ["y"], name="sig0"),
    ]
    return _model(nodes, [_vi("x", ["N", 3, "H", "W"])], [_vi("y", ["N", 3, "H", "W"])], [w])


def test_dynamic_input_without_input_shape(tmp_path: Path) -> None:
    path = tmp_path / "m" / "dynamic.onnx"
    path.parent.mkdir()
    onnx.save(_dynamic_model(), str(path))
    _assert_refused(path, tmp_path, "'x'", "--input-shape")


def test_input_shape_for_unknown_input(tmp_path: Path) -> None:
    path = tmp_path / "m" / "dynamic.onnx"
    path.parent.mkdir()
    onnx.save(_dynamic_model(), str(path))
    _assert_refused(path, tmp_path, "nosuch", extra_args=("--input-shape", "nosuch=1x3x8x8"))


def test_dynamic_input_with_input_shape(tmp_path: Path) -> None:
    path = tmp_path / "m" / "dynamic.onnx"
    path.parent.mkdir()
    onnx.save(_dynamic_model(), str(path))
    out = tmp_path / "out"
    proc = _ncc("compile", str(path), "-o", str(out), "--input-shape", "x=1x3x12x10", "--verify", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stderr == ""
    assert proc.stdout.splitlines()[-1] == "verify: PASS"
    for mode in ("cpu", "vulkan-fp32", "vulkan-fp16"):
        assert any(ln.split()[1:2] == [mode] and ln.endswith("ok") for ln in proc.stdout.splitlines()), proc.stdout
    manifest = json.loads((out / "dynamic.ncnn.json").read_text())
    assert manifest["inputs"][0]["name"] == "x"
    assert manifest["inputs"][0]["shape"] == [1, 3, 12, 10]
    assert manifest["inputs"][0]["mat_shape"] == [3, 12, 10]
    assert manifest["outputs"][0]["shape"] == [1, 3, 12, 10]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m", "out"], "stray temp folder"


# --------------------------------------------------------------------------- opsets and messages


def test_opset_99_refused_naming_the_opset(tmp_path: Path) -> None:
    m = _model([helper.make_node("Relu", ["x"], ["y"], name="relu0")], [_vi("x", [1, 4])], [_vi("y", [1, 4])])
    m.opset_import[0].version = 99
    path = tmp_path / "m" / "future.onnx"
    path.parent.mkdir()
    onnx.save(m, str(path))
    from ncc.dialects.onnx.versions import MAX_OPSET

    line = _assert_refused(path, tmp_path, "opset 99", f"1 to {MAX_OPSET}")
    assert "node" not in line  # the whole model is refused, not a node


def test_unknown_operator_set_refused(tmp_path: Path) -> None:
    nodes = [helper.make_node("FusedGelu", ["x"], ["y"], name="fg", domain="com.example")]
    m = helper.make_model(
        helper.make_graph(nodes, "g", [_vi("x", [1, 4])], [_vi("y", [1, 4])]),
        opset_imports=[helper.make_opsetid("", OPSET), helper.make_opsetid("com.example", 2)],
        ir_version=IR_VERSION,
    )
    path = tmp_path / "m" / "custom.onnx"
    path.parent.mkdir()
    onnx.save(m, str(path))
    _assert_refused(path, tmp_path, "operator set 'com.example' version 2", "FusedGelu")


@pytest.mark.parametrize("op_type", ["MyMadeUpOp", "Det"])
def test_first_unsupported_op_is_named_not_its_consumer(tmp_path: Path, op_type: str) -> None:
    """An op ncc has no class for leaves the shapes after it unknown; the error must name
    that op (its real type), not the Squeeze / Softmax that first needs a shape."""
    nodes = [
        helper.make_node("Relu", ["x"], ["r"], name="relu0"),
        helper.make_node(op_type, ["r"], ["u"], name="the_culprit"),
        helper.make_node("Unsqueeze", ["u", "axes"], ["q"], name="unsq0"),
        helper.make_node("Softmax", ["q"], ["y"], name="softmax0"),
    ]
    axes = numpy_helper.from_array(np.array([0], np.int64), "axes")
    m = helper.make_model(
        helper.make_graph(nodes, "g", [_vi("x", [2, 3, 3])], [_vi("y", None)], initializer=[axes]),
        opset_imports=[helper.make_opsetid("", OPSET)],
        ir_version=IR_VERSION,
    )
    path = tmp_path / "m" / "unsupported.onnx"
    path.parent.mkdir()
    onnx.save(m, str(path))
    line = _assert_refused(path, tmp_path, "'the_culprit'", f"({op_type})", f"ONNX op {op_type}")
    assert "Unsqueeze" not in line and "Softmax" not in line


def _minus_one_model() -> onnx.ModelProto:
    """Input dims -1 (an exporter's "any"), unset and named: `-1x3x?xW`."""
    nodes = [helper.make_node("Sigmoid", ["x"], ["y"], name="sig0")]
    m = _model(nodes, [_vi("x", [-1, 3, None, "W"])], [_vi("y", [-1, 3, None, "W"])])
    return m


def test_minus_one_dims_ask_for_input_shape(tmp_path: Path) -> None:
    path = tmp_path / "m" / "minus_one.onnx"
    path.parent.mkdir()
    onnx.save(_minus_one_model(), str(path))
    line = _assert_refused(path, tmp_path, "'x'", "?x3x?x?", "--input-shape x=Nx3xNxN")
    message = line.split("minus_one.onnx: ", 1)[1]  # the temp path may hold "-1"
    assert "-1" not in message and "9223372036854775808" not in message


def test_minus_one_dims_with_input_shape_compile(tmp_path: Path) -> None:
    path = tmp_path / "m" / "minus_one.onnx"
    path.parent.mkdir()
    onnx.save(_minus_one_model(), str(path))
    out = tmp_path / "out"
    proc = _ncc("compile", str(path), "-o", str(out), "--input-shape", "x=1x3x5x7", "--verify", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "contradicts" not in proc.stderr
    assert proc.stdout.splitlines()[-1] == "verify: PASS"
    # a static dim of the model is still checked, and shown as the model has it
    proc = _ncc("compile", str(path), "-o", str(tmp_path / "o2"), "--input-shape", "x=1x4x5x7", cwd=tmp_path)
    assert proc.returncode == 1
    assert "contradicts the model's shape ?x3x?x? (dim 1 is 3)" in proc.stderr, proc.stderr

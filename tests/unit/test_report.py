"""`ncc compile --report FILE.json` and `--stats`: per pass the op counts by dialect and op
before and after and the time; for the emitted model the layer histogram, the layers that
fall back to CPU under Vulkan, and the .bin size."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from ncc.cli import main  # noqa: E402
from ncc.report import param_layers, runs_on_vulkan  # noqa: E402


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    """conv → relu (fused by ncnn-fuse-activation) → reshape → MatMul with a second input
    (ncnn's MatMul has no Vulkan kernel)."""
    rng = np.random.default_rng(0)
    w = numpy_helper.from_array(rng.standard_normal((4, 3, 3, 3)).astype(np.float32), "W")
    shape = numpy_helper.from_array(np.array([1, 4, 64], np.int64), "shape")
    nodes = [
        helper.make_node("Conv", ["x", "W"], ["c"], name="conv", pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c"], ["r"], name="relu"),
        helper.make_node("Reshape", ["r", "shape"], ["f"], name="flat"),
        helper.make_node("MatMul", ["f", "b"], ["y"], name="mm"),
    ]
    graph = helper.make_graph(
        nodes, "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8]),
         helper.make_tensor_value_info("b", TensorProto.FLOAT, [1, 64, 5])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 5])], initializer=[w, shape],
    )  # fmt: skip
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)
    path = tmp_path_factory.mktemp("report-model") / "mm.onnx"
    onnx.save(m, str(path))
    return path


@pytest.fixture(scope="module")
def compiled(model, tmp_path_factory) -> tuple[Path, dict, str]:
    """(out dir, the JSON report, what --stats printed)."""
    import contextlib
    import io

    tmp = tmp_path_factory.mktemp("report")
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(["compile", str(model), "-o", str(tmp / "out"), "--report", str(tmp / "r.json"), "--stats"]) == 0
    return tmp / "out", json.loads((tmp / "r.json").read_text()), buf.getvalue()


def test_report_per_pass(compiled):
    out, report, _ = compiled
    manifest = json.loads((out / "mm.ncnn.json").read_text())
    assert report["format"] == "ncc-compile-report" and report["version"] == 1
    assert report["pipeline"] == manifest["pipeline"]
    assert [p["pass"] for p in report["passes"]] == [s.split("{")[0] for s in manifest["pipeline"].split(",")]
    for p in report["passes"]:
        assert p["seconds"] >= 0
        for side in ("ops_before", "ops_after"):
            assert all(isinstance(n, int) and n > 0 for d in p[side].values() for n in d.values())
    conv = next(p for p in report["passes"] if p["pass"] == "convert-onnx-to-ncnn")
    assert conv["ops_before"]["onnx"]["Conv"] == 1 and conv["ops_before"]["onnx"]["MatMul"] == 1
    assert "ncnn" not in conv["ops_before"]
    assert conv["ops_after"]["ncnn"]["Convolution"] == 1 and conv["ops_after"]["ncnn"]["ReLU"] == 1
    assert conv["ops_changed"]["onnx.Conv"] == -1 and conv["ops_changed"]["ncnn.MatMul"] == 1
    fuse = next(p for p in report["passes"] if p["pass"] == "ncnn-fuse-activation")
    assert fuse["ops_changed"] == {"ncnn.ReLU": -1}
    assert report["total_pass_seconds"] == pytest.approx(sum(p["seconds"] for p in report["passes"]), abs=1e-5)


def test_report_ncnn_summary(compiled):
    out, report, _ = compiled
    m = report["ncnn"]
    layers = param_layers(out / "mm.ncnn.param")
    assert m["layers"] == len(layers) == 5
    assert m["layer_histogram"] == {"Input": 2, "Convolution": 1, "MatMul": 1, "Reshape": 1}
    assert m["vulkan_cpu_fallback"] == [{"layer": "mm", "type": "MatMul"}]
    assert m["bin_bytes"] == (out / "mm.ncnn.bin").stat().st_size == 4 + 4 * 108  # tag + conv weight
    assert m["param_bytes"] == (out / "mm.ncnn.param").stat().st_size


def test_stats_table(compiled):
    _, report, printed = compiled
    lines = printed.splitlines()
    assert lines[1].split()[:2] == ["pass", "ms"]
    for p in report["passes"]:
        assert any(line.startswith(p["pass"] + " ") for line in lines)
    fuse = next(line for line in lines if line.startswith("ncnn-fuse-activation"))
    assert "ncnn.ReLU -1" in fuse
    assert "ncnn layers: 5 (Input 2, Convolution 1, MatMul 1, Reshape 1)" in printed
    assert "CPU fallback under Vulkan: 1 layer(s): mm (MatMul)" in printed
    assert f".bin: {report['ncnn']['bin_bytes']} bytes" in printed


def test_report_with_stop_after_has_no_ncnn_part(model, tmp_path, capsys):
    args = ["compile", str(model), "-o", str(tmp_path / "ir"), "--stop-after", "onnx-fold-batchnorm", "--report", str(tmp_path / "r.json")]
    assert main(args) == 0
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["passes"][-1]["pass"] == "onnx-fold-batchnorm" and report["ncnn"] is None


def test_vulkan_flags():
    assert runs_on_vulkan("Input") and runs_on_vulkan("Convolution")
    assert not runs_on_vulkan("MatMul") and not runs_on_vulkan("Convolution3D")
    assert not runs_on_vulkan("NoSuchLayer")
    # ncnn's Vulkan convolutions refuse dynamic_weight (param 19; 28 for Deconvolution)
    assert not runs_on_vulkan("Convolution", ("0=6", "19=1"))
    assert not runs_on_vulkan("Deconvolution", ("28=1",)) and runs_on_vulkan("Deconvolution", ("19=1",))


def test_stop_after_ir_has_locations(model, tmp_path):
    """The IR `--stop-after` writes names each op's ONNX node(s) as its location (fused
    ones after a fusion), and ncc-opt's parser reads it back with them."""
    from xdsl.parser import Parser

    from ncc.dialects.common import node_names
    from ncc.driver import make_context

    assert main(["compile", str(model), "-o", str(tmp_path / "ir"), "--stop-after", "ncnn-fuse-activation"]) == 0
    text = (tmp_path / "ir" / "mm.mlir").read_text()
    conv = next(line for line in text.splitlines() if '"ncnn.Convolution"' in line)
    assert conv.endswith('loc(fused["conv", "relu"])')  # the ReLU fused into the convolution
    module = Parser(make_context(), text).parse_module()
    nodes = {op.name: node_names(op) for op in module.walk() if op.name.startswith("ncnn.")}
    assert nodes["ncnn.Convolution"] == ["conv", "relu"] and nodes["ncnn.MatMul"] == ["mm"]

"""An op added from outside ncc: tests/e2e/plugins/round_op.py defines ONNX `Round` (one op
class with its traits, one onnx → ncnn pattern) and is loaded with `--load-passes`; a model
using it compiles and matches onnxruntime on ncnn CPU, Vulkan fp32 and Vulkan fp16."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from ncc.cli import main  # noqa: E402

PLUGIN = Path(__file__).parent / "plugins" / "round_op.py"
TOLERANCE = {"cpu": 1e-4, "vulkan-fp32": 1e-4, "vulkan-fp16": 2e-2}


def _run(args: list[str]) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = main(args)
    return code, out.getvalue()


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    """x·4 → Round → ·0.25: quantisation to quarters."""
    graph = helper.make_graph(
        [
            helper.make_node("Mul", ["x", "four"], ["s"], name="scale"),
            helper.make_node("Round", ["s"], ["r"], name="round"),
            helper.make_node("Mul", ["r", "quarter"], ["y"], name="unscale"),
        ],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 5, 5])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, 5, 5])],
        [numpy_helper.from_array(np.float32(4.0), "four"), numpy_helper.from_array(np.float32(0.25), "quarter")],
    )
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)
    path = tmp_path_factory.mktemp("plugin-op") / "round.onnx"
    onnx.save(m, str(path))
    return path


def test_an_op_from_a_plugin_compiles_and_matches(model, tmp_path) -> None:
    from ncc.verify import verify

    code, out = _run(["compile", str(model), "-o", str(tmp_path / "out"), "--load-passes", str(PLUGIN)])
    assert code == 0, out
    param = (tmp_path / "out" / "round.ncnn.param").read_text()
    assert "UnaryOp round" in param and " 0=18" in param
    x = np.random.default_rng(0).uniform(-3, 3, (1, 3, 5, 5)).astype(np.float32)
    report = verify(tmp_path / "out", model, inputs={"x": x})
    assert not report.skipped, report.skipped
    assert set(report.modes()) == set(TOLERANCE)
    for row in report.rows:
        assert row.max_rel <= TOLERANCE[row.mode], f"{row.mode}: {row.max_rel:.3g}\n{report.table()}"

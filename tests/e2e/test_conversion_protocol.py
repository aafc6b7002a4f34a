"""The conversion protocol end to end, through a test-only plug-in (tests/e2e/plugins/mean_op.py:
ONNX `Mean` with a priority-10 Eltwise pattern and a default-priority BinaryOp fallback):

- the preferred pattern refuses a broadcasting Mean with a reason, the fallback converts it,
  and the model matches onnxruntime on ncnn CPU, Vulkan fp32 and Vulkan fp16;
- an equal-shape Mean takes the preferred pattern (priority, not registration order);
- a Mean no pattern converts fails `ncc compile` with one line naming the file, the node, the
  op and each pattern's reason, no traceback, and no output folder.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper  # noqa: E402

from ncc.cli import main  # noqa: E402

PLUGIN = Path(__file__).parent / "plugins" / "mean_op.py"
TOLERANCE = {"cpu": 1e-5, "vulkan-fp32": 1e-5, "vulkan-fp16": 2e-2}


def _run(args: list[str]) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = main(args)
    return code, out.getvalue()


def _mean_model(path: Path, shapes: list[list[int]]) -> Path:
    names = [f"x{i}" for i in range(len(shapes))]
    out = list(np.broadcast_shapes(*map(tuple, shapes)))
    graph = helper.make_graph(
        [helper.make_node("Mean", names, ["y"], name="avg")],
        "g",
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in zip(names, shapes)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, out)],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)
    onnx.checker.check_model(model, full_check=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    return path


def _compile_and_verify(model: Path, out: Path, shapes: list[list[int]]) -> str:
    from ncc.verify import verify

    code, text = _run(["compile", str(model), "-o", str(out), "--load-passes", str(PLUGIN)])
    assert code == 0, text
    rng = np.random.default_rng(0)
    inputs = {f"x{i}": rng.uniform(-3, 3, s).astype(np.float32) for i, s in enumerate(shapes)}
    report = verify(out, model, inputs=inputs)
    assert not report.skipped, report.skipped
    assert set(report.modes()) == set(TOLERANCE)
    for row in report.rows:
        assert row.max_rel <= TOLERANCE[row.mode], f"{row.mode}: {row.max_rel:.3g}\n{report.table()}"
    return (out / f"{model.stem}.ncnn.param").read_text()


def test_a_refusing_pattern_falls_back_to_a_lower_priority_one(tmp_path) -> None:
    shapes = [[1, 3, 4, 5], [1, 3, 1, 5]]  # broadcast: Eltwise refuses, BinaryOps convert
    param = _compile_and_verify(_mean_model(tmp_path / "bcast.onnx", shapes), tmp_path / "out", shapes)
    assert "BinaryOp" in param and "Eltwise" not in param


def test_the_higher_priority_pattern_is_tried_first(tmp_path) -> None:
    shapes = [[1, 3, 4, 5], [1, 3, 4, 5]]  # equal shapes: both apply, priority 10 wins
    param = _compile_and_verify(_mean_model(tmp_path / "equal.onnx", shapes), tmp_path / "out", shapes)
    assert "Eltwise" in param and "BinaryOp" not in param


def test_no_match_names_the_node_and_every_reason_in_one_line(tmp_path) -> None:
    model = _mean_model(tmp_path / "three.onnx", [[1, 3, 4, 5], [1, 3, 1, 5], [1, 3, 4, 1]])
    out = tmp_path / "out"
    code, text = _run(["compile", str(model), "-o", str(out), "--load-passes", str(PLUGIN)])
    assert code != 0
    lines = text.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in text, text
    line = lines[0]
    assert str(model) in line and "node 'avg' (Mean)" in line, line
    assert "no lowering applies: MeanAsEltwise: inputs of shapes" in line, line
    assert "Eltwise adds equal shapes only; MeanOfTwoAsBinaryOps: averages two inputs only (got 3)" in line, line
    assert not out.exists() or not any(out.iterdir())

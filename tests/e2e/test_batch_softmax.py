"""End-to-end: a Softmax whose axis is the frames axis of a data-carrying batch.

A Softmax over axis 0 mixes the frames, so `onnx-batch-layout{strategy=batch-axis}` must not
push the frames into ncnn's batch axis through it (it once did: Softmax subclassed the
elementwise UnaryOp, so the per-frame rule matched it and the softmax ran over a size-1
axis). Under every strategy the model must compile and match onnxruntime on ncnn CPU, Vulkan
fp32 and Vulkan fp16; a Softmax over the channel axis (frame-local) is the control, and
there the batch-axis strategy must keep the frames in the batch axis through it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from paramfile import read_param  # noqa: E402

STRATEGIES = ("grouped", "conv3d", "batch-axis")
TOLERANCE = {"cpu": 1e-4, "vulkan-fp32": 1e-4, "vulkan-fp16": 2e-2}
FRAMES = 4


def softmax_after_conv(axis: int, path: Path) -> Path:
    """(4, 3, 6, 6) → Conv 3→5 (3x3, pad 1) → Softmax(axis) → (4, 5, 6, 6)."""
    rng = np.random.default_rng(0)
    w = numpy_helper.from_array(rng.uniform(-1, 1, (5, 3, 3, 3)).astype(np.float32), "w")
    b = numpy_helper.from_array(rng.uniform(-1, 1, (5,)).astype(np.float32), "b")
    graph = helper.make_graph(
        [
            helper.make_node("Conv", ["x", "w", "b"], ["c"], name="conv", pads=[1, 1, 1, 1]),
            helper.make_node("Softmax", ["c"], ["y"], name="softmax", axis=axis),
        ],
        "softmax_over_frames",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [FRAMES, 3, 6, 6])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [FRAMES, 5, 6, 6])],
        [w, b],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    return path


@pytest.mark.parametrize("axis", [0, 1], ids=["frames-axis", "channel-axis"])
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_softmax_on_a_batch_of_frames(strategy: str, axis: int, tmp_path: Path) -> None:
    from ncc.driver import compile_onnx, with_batch_strategy
    from ncc.verify import verify

    model = softmax_after_conv(axis, tmp_path / "model.onnx")
    result = compile_onnx(model, tmp_path / "out", passes=with_batch_strategy(None, strategy))
    assert result.manifest["batch_layout"] == {"frames": FRAMES, "strategy": strategy}
    x = np.random.default_rng(1).uniform(-1, 1, (FRAMES, 3, 6, 6)).astype(np.float32)
    report = verify(tmp_path / "out", model, inputs={"x": x})
    assert not report.skipped, report.skipped
    assert set(report.modes()) == set(TOLERANCE)
    for row in report.rows:
        assert row.max_rel <= TOLERANCE[row.mode], f"{row.mode}: {row.max_rel:.3g}\n{report.table()}"
    if strategy == "batch-axis":
        # the frames leave ncnn's batch axis (Reshape with 12=input_batch_axis) before a
        # softmax over them, and after a softmax that runs frame by frame
        layers = read_param(result.param).layers
        order = [layer.type for layer in layers]
        back = [i for i, layer in enumerate(layers) if layer.type == "Reshape" and 12 in layer.params]
        assert len(back) == 1, order
        assert (back[0] > order.index("Softmax")) == (axis == 1), order

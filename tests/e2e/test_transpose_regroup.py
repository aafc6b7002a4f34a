"""Rank-5/6 Transposes with axes of size 1: the layout stage merges those axes into a neighbour,
and the permuted groups must still land where the permutation puts their other axes; a unit
axis that the permutation moves (Swin's q/k/v split) must not stop the merge.

Found by ONNX's `pytorch-converted/test_PixelShuffle` (1x9x4x4 → 1x1x3x3x4x4 → perm
0,1,4,2,5,3), which compiled and returned wrong numbers. Each case here is a model written with
onnx.helper (Reshape → Transpose → Reshape back to rank 4), compiled with no options and
verified against onnxruntime on ncnn CPU, Vulkan fp32 and Vulkan fp16.
"""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from ncc.driver import compile_onnx
from ncc.verify import verify

CASES = [
    # (input shape, view, perm): pixel shuffle as PyTorch's converter writes it
    ((1, 9, 4, 4), (1, 1, 3, 3, 4, 4), (0, 1, 4, 2, 5, 3)),
    # unit axes in the middle and at the end of the view
    ((2, 3, 4, 5), (2, 1, 3, 4, 1, 5), (5, 1, 0, 3, 2, 4)),
    ((1, 6, 4, 4), (1, 2, 3, 1, 4, 4), (0, 2, 4, 1, 5, 3)),
    ((1, 8, 6, 6), (1, 2, 4, 6, 6), (0, 3, 1, 4, 2)),
    ((1, 4, 3, 5), (1, 1, 4, 3, 5), (0, 3, 2, 1, 4)),
    # Swin's q/k/v split (TorchScript export): the unit axis moves inside, the result is rank 5
    ((1, 16, 72, 32), (1, 16, 3, 24, 32), (2, 0, 3, 1, 4)),
]


def _model(shape, view, perm):
    out = tuple(view[p] for p in perm)
    flat = (1, int(np.prod(out[:-2])), out[-2], out[-1])
    nodes = [
        helper.make_node("Reshape", ["x", "view"], ["v"]),
        helper.make_node("Transpose", ["v"], ["t"], perm=list(perm)),
        helper.make_node("Reshape", ["t", "flat"], ["y"]),
    ]
    graph = helper.make_graph(
        nodes, "transpose_regroup",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, flat)],
        [helper.make_tensor("view", TensorProto.INT64, [len(view)], list(view)),
         helper.make_tensor("flat", TensorProto.INT64, [4], list(flat))],
    )  # fmt: skip
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


@pytest.mark.parametrize("shape,view,perm", CASES, ids=[f"{'x'.join(map(str, c[1]))}-{''.join(map(str, c[2]))}" for c in CASES])
def test_rank6_transpose_with_unit_axes_matches(tmp_path, shape, view, perm):
    path = tmp_path / "m.onnx"
    onnx.save(_model(shape, view, perm), path)
    compile_onnx(path, tmp_path / "out")
    report = verify(tmp_path / "out", path)
    assert report.passed, report.table()
    assert {r.mode for r in report.rows} | set(report.skipped) == {"cpu", "vulkan-fp32", "vulkan-fp16"}

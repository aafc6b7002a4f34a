"""End-to-end: operands whose axis 0 is data keep it in ncnn (issue 9's silently wrong
placements). `mat_shape` drops a leading 1 of any tensor, which is right for a batch but
wrong for a MatMul / Gemm operand: a [1, N] B became a vector that ncnn MatMul reads as a
column, and a [1, K] A of Gemm(transA=1) a vector whose rows the x86 kernel counts by its
packing (a quarter of them). Each model is built with onnx.helper, compiled with no options
and run on ncnn CPU, Vulkan fp32 and Vulkan fp16 against onnxruntime."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

RNG = np.random.default_rng(3)


def _model(node: onnx.NodeProto, inputs: dict[str, list[int]], output: list[int],
           consts: dict[str, np.ndarray] | None = None) -> onnx.ModelProto:
    graph = helper.make_graph(
        [node], "placement",
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in inputs.items()],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, output)],
        [numpy_helper.from_array(v.astype(np.float32), n) for n, v in (consts or {}).items()],
    )  # fmt: skip
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])


def _matmul(a: list[int], b: list[int], out: list[int]) -> onnx.ModelProto:
    return _model(helper.make_node("MatMul", ["a", "b"], ["y"], name="mm"), {"a": a, "b": b}, out)


def _gemm(a: list[int], b: list[int], out: list[int], const_b: bool = False, **attrs) -> onnx.ModelProto:
    inputs = {"a": a} if const_b else {"a": a, "b": b}
    consts = {"b": RNG.standard_normal(b)} if const_b else None
    return _model(helper.make_node("Gemm", ["a", "b"], ["y"], name="gemm", **attrs), inputs, out, consts)


MODELS = {
    # the issue's two cases
    "matmul_4x1_1x5": _matmul([4, 1], [1, 5], [4, 5]),
    "gemm_transA_1xK": _gemm([1, 8], [1, 5], [8, 5], transA=1),
    # the same class: a [1, N] operand whose leading 1 is data
    "gemm_transA_1xK_constB": _gemm([1, 12], [1, 6], [12, 6], const_b=True, transA=1),
    "gemm_1xK_runtime": _gemm([1, 8], [8, 5], [1, 5]),
    "gemm_transB_1xK": _gemm([3, 8], [1, 8], [3, 1], transB=1),
    "gemm_transA_transB": _gemm([1, 4], [6, 1], [4, 6], transA=1, transB=1),
    "matmul_1xK_Kx1": _matmul([1, 4], [4, 1], [1, 1]),
    "matmul_batched_1xN": _matmul([2, 4, 1], [1, 5], [2, 4, 5]),
    "matmul_1x1_1xN": _matmul([3, 1], [1, 8], [3, 8]),
    # a broadcast operand (1, 1, C) of a 3-D BinaryOp is a 3-D Mat: its value's type says so
    "add_bias_T1C": _model(helper.make_node("Add", ["a", "b"], ["y"], name="add"), {"a": [5, 1, 16]}, [5, 1, 16],
                           {"b": RNG.standard_normal(16)}),
    "add_runtime_T1C": _model(helper.make_node("Add", ["a", "b"], ["y"], name="add"), {"a": [5, 1, 16], "b": [16]},
                              [5, 1, 16]),
}


@pytest.fixture(scope="module")
def verified(tmp_path_factory: pytest.TempPathFactory):
    cache: dict[str, object] = {}

    def get(name: str):
        if name not in cache:
            from ncc.driver import compile_onnx
            from ncc.verify import verify

            folder = tmp_path_factory.mktemp(name)
            path = folder / f"{name}.onnx"
            onnx.save(MODELS[name], path)
            compile_onnx(path, folder / "out")
            cache[name] = verify(folder / "out", path)
        return cache[name]

    return get


@pytest.mark.parametrize("name", sorted(MODELS))
def test_matches_onnxruntime_on_cpu_and_vulkan(verified, name: str) -> None:
    report = verified(name)
    assert report.passed, report.table()
    assert report.modes() == ["cpu", "vulkan-fp32", "vulkan-fp16"] or report.skipped, report.table()


def test_issue_models_ran_in_every_mode(verified) -> None:
    for name in ("matmul_4x1_1x5", "gemm_transA_1xK"):
        report = verified(name)
        assert set(report.modes()) == {"cpu", "vulkan-fp32", "vulkan-fp16"}, report.table()

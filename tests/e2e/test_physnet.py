"""End-to-end: the PhysNet-like 3-D CNN of `examples/efficientphys.py` at its published size
(1, 3, T=32, 64, 64) → ONNX (TorchScript exporter, opset 13; dynamo exporter) →
`ncc.driver.compile_onnx` (no options) → ncnn CPU / Vulkan fp32 / Vulkan fp16 against
onnxruntime, plus what the graph must compile to: Convolution3D with the ReLU fused,
Deconvolution3D for the temporal ConvTranspose3d, no BatchNorm left, Pooling3D.

torch 2.13's dynamo exporter has no translation for `aten._adaptive_avg_pool3d` (torch has a
decomposition for the 2-D op only, and onnxscript removed its own), so the dynamo export first
decomposes `AdaptiveAvgPool3d` with ncc's torch frontend's decomposition (the `avg_pool3d` it
equals when every output size divides its input size), as `ncc compile file.py:NAME` does.

Each export is made once per session and compiled once; the tests share the results.
"""

from __future__ import annotations

import importlib.util
import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ncc.frontends.torch import adaptive_avg_pool3d_as_avg_pool
from paramfile import read_param

REPO = Path(__file__).resolve().parents[2]
INPUT_SHAPE = (1, 3, 32, 64, 64)
TOLERANCE = {"cpu": 1e-4, "vulkan-fp32": 1e-4, "vulkan-fp16": 2e-2}
# "onnx13-bn" keeps the BatchNormalization nodes in the graph (TrainingMode.PRESERVE on an
# eval model), so that ncc's onnx-fold-batchnorm, not torch, folds them into the 5-D convs
MODES = ("onnx13", "dynamo", "onnx13-bn")


def _physnet() -> Any:
    """PhysNet from the example file, seeded, eval mode, with random BatchNorm statistics (the
    defaults would make a wrong BatchNorm fold invisible)."""
    import torch

    spec = importlib.util.spec_from_file_location("ncc_example_efficientphys", REPO / "examples" / "efficientphys.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    torch.manual_seed(0)
    model = module.PhysNet(frames=INPUT_SHAPE[2])
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm3d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)
    return model.eval()


def _export(mode: str, path: Path) -> Path:
    import torch

    model = _physnet()
    x = torch.randn(INPUT_SHAPE, generator=torch.Generator().manual_seed(1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if mode == "dynamo":
            program = torch.export.export(model, (x,))
            program = program.run_decompositions(
                {torch.ops.aten.adaptive_avg_pool3d.default: adaptive_avg_pool3d_as_avg_pool}
            )
            torch.onnx.export(program, (x,), str(path), input_names=["x"], dynamo=True, verbose=False)
        else:
            training = torch.onnx.TrainingMode.PRESERVE if mode == "onnx13-bn" else torch.onnx.TrainingMode.EVAL
            torch.onnx.export(
                model, (x,), str(path), input_names=["x"], dynamo=False, opset_version=13, training=training
            )
    return path


@dataclass
class Compiled:
    model: Path
    out_dir: Path
    result: Any  # ncc.driver.CompileResult


@pytest.fixture(scope="session")
def physnet(tmp_path_factory: pytest.TempPathFactory):
    """`physnet(mode) → Compiled`: exported and compiled once per session; a failure is
    remembered and fails every test that asks for it, with its message."""
    import dataclasses

    root = tmp_path_factory.mktemp("physnet")
    cache: dict[str, Compiled | BaseException] = {}

    def get(mode: str) -> Compiled:
        if mode not in cache:
            try:
                d = root / mode
                d.mkdir()
                model = _export(mode, d / "model.onnx")
            except Exception as e:  # noqa: BLE001 - remembered so a failing export runs once
                cache[mode] = RuntimeError(f"torch export ({mode}) failed: {type(e).__name__}: {e}")
            else:
                try:
                    from ncc.driver import compile_onnx

                    result = compile_onnx(model, d / "out")
                    cache[mode] = Compiled(model, d / "out", dataclasses.replace(result, module=None))
                except Exception as e:  # noqa: BLE001
                    cache[mode] = RuntimeError(f"ncc could not compile PhysNet ({mode}): {type(e).__name__}: {e}")
        got = cache[mode]
        if isinstance(got, BaseException):
            pytest.fail(str(got), pytrace=False)
        return got

    return get


@pytest.fixture(scope="session")
def physnet_report(physnet):
    """`physnet_report(mode) → VerifyReport`, verified once per session."""
    reports: dict[str, Any] = {}

    def get(mode: str):
        if mode not in reports:
            from ncc.verify import verify

            c = physnet(mode)
            reports[mode] = verify(c.out_dir, c.model)
        return reports[mode]

    return get


@pytest.mark.parametrize("mode", MODES)
def test_physnet_matches_onnxruntime(physnet, physnet_report, mode: str) -> None:
    c = physnet(mode)
    report = physnet_report(mode)
    table = report.table()
    assert report.skipped == {}, f"Vulkan modes did not run (lavapipe missing?):\n{table}"
    assert report.modes() == list(TOLERANCE), table
    outputs = {o["name"] for o in c.result.manifest["outputs"]}
    assert len(outputs) == 1
    assert c.result.manifest["outputs"][0]["shape"] == [1, INPUT_SHAPE[2]]
    for mode_name, tol in TOLERANCE.items():
        rows = [r for r in report.rows if r.mode == mode_name]
        assert {r.output for r in rows} == outputs, table
        worst = max(r.max_rel for r in rows)
        assert worst <= tol, f"{mode_name}: max relative error {worst:.3g} > {tol:g}\n{table}"


@pytest.mark.parametrize("mode", MODES)
def test_physnet_layer_types_registered_in_ncnn(physnet, mode: str) -> None:
    import ncnn

    pf = read_param(physnet(mode).result.param)
    unknown = sorted({t for t in pf.types() if ncnn.layer_to_index(t) < 0})
    assert not unknown, f"layer types ncnn does not have: {unknown}"


@pytest.mark.parametrize("mode", MODES)
def test_physnet_compiles_to_3d_layers(physnet, mode: str) -> None:
    """Six Conv3d (ReLU fused into the five with one), the ConvTranspose3d as Deconvolution3D,
    every BatchNorm3d folded, the ELU standalone (ncnn has no fused ELU), two MaxPool3d and the
    adaptive average pool as Pooling3D, one Reshape for the view."""
    pf = read_param(physnet(mode).result.param)
    types = pf.types()
    want = {
        "Input": 1, "Convolution3D": 6, "Deconvolution3D": 1, "ELU": 1, "Pooling3D": 3, "Reshape": 1,
    }  # fmt: skip
    assert {t: n for t, n in types.items() if n} == want, dict(types)
    convs = [layer for layer in pf.layers if layer.type == "Convolution3D"]
    assert Counter(layer.int_param(9, 0) for layer in convs) == {1: 5, 0: 1}, "ReLU not fused"
    (deconv,) = (layer for layer in pf.layers if layer.type == "Deconvolution3D")
    # kernel (4,1,1), stride (2,1,1), pads (1,0,0): 21=kernel_d 23=stride_d 24/17=pad_front/behind
    assert (deconv.int_param(21, -1), deconv.int_param(23, -1), deconv.int_param(24, -1), deconv.int_param(17, -1)) == (
        4, 2, 1, 1,
    )  # fmt: skip
    assert (deconv.int_param(1, -1), deconv.int_param(11, -1), deconv.int_param(5, 0)) == (1, 1, 1)
    pools = [layer for layer in pf.layers if layer.type == "Pooling3D"]
    assert [layer.int_param(0, 0) for layer in pools] == [0, 0, 1]  # max, max, average


def test_physnet_bn_export_keeps_batchnorm_for_ncc(physnet) -> None:
    """The onnx13-bn export really leaves ncc six BatchNormalization nodes to fold (five after
    Conv3d, one after ConvTranspose3d), which the layer check above saw folded."""
    import onnx

    graph = onnx.load(str(physnet("onnx13-bn").model)).graph
    producers = {out: n.op_type for n in graph.node for out in n.output}
    bn = [n for n in graph.node if n.op_type == "BatchNormalization"]
    assert Counter(producers[n.input[0]] for n in bn) == {"Conv": 5, "ConvTranspose": 1}

"""The models ncc exists for: EfficientPhys (S = 72 and S = 36) and TS-CAN, whose frames are
stacked on the batch axis, compiled from ONNX (TorchScript opset 13 and dynamo exports) with no
options, and under every batch strategy; each matches onnxruntime on ncnn CPU, Vulkan fp32 and
Vulkan fp16. (PhysNet, the rank-5 3-D CNN, is in test_physnet.py.)

Inputs are camera frames, RGB in [0, 1]. With random weights these models' outputs are small
(~1e-2) next to their features, and Vulkan fp16 lands at 1–2e-2 of the output's max — inside the
2e-2 of the fp16 check, but not by much; fp32 is at ~1e-5.

Exports are made once per session and each (model, export, strategy) is compiled and verified
once; the tests share the results.
"""

from __future__ import annotations

import importlib.util
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from paramfile import read_param

REPO = Path(__file__).resolve().parents[2]
TOLERANCE = {"cpu": 1e-4, "vulkan-fp32": 1e-4, "vulkan-fp16": 2e-2}
STRATEGIES = ("grouped", "conv3d", "batch-axis")

# name → (class, constructor kwargs, input shape)
MODELS: dict[str, tuple[str, dict[str, Any], tuple[int, ...]]] = {
    "efficientphys72": ("EfficientPhys", {"img_size": 72}, (21, 3, 72, 72)),
    "efficientphys36": ("EfficientPhys", {"img_size": 36}, (21, 3, 36, 36)),
    "tscan36": ("TSCAN", {"img_size": 36}, (20, 6, 36, 36)),
}
EXPORTS = ("onnx13", "dynamo")

# The full strategy × export grid on the small models; S = 72 runs its default strategy under
# both exporters and the other strategies once (the slow part is ncnn on lavapipe, not ncc).
CASES = [(m, e, s) for m in ("efficientphys36", "tscan36") for e in EXPORTS for s in STRATEGIES]
CASES += [("efficientphys72", e, "grouped") for e in EXPORTS]
CASES += [("efficientphys72", "dynamo", s) for s in ("conv3d", "batch-axis")]


def _examples():
    spec = importlib.util.spec_from_file_location("ncc_examples_rppg", REPO / "examples" / "efficientphys.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


_exported: dict[tuple[str, str], Path] = {}
_compiled: dict[tuple[str, str, str], Any] = {}


@dataclass
class Compiled:
    out_dir: Path
    manifest: dict
    layers: list
    report: Any


def _export(name: str, export: str, tmp: Path) -> Path:
    if (name, export) in _exported:
        return _exported[(name, export)]
    import torch

    cls, kwargs, shape = MODELS[name]
    mod = _examples()
    torch.manual_seed(7)
    if cls == "EfficientPhys":  # torch.diff has no TorchScript ONNX export: use x[1:] - x[:-1]
        kwargs = {**kwargs, "diff": "torch" if export == "dynamo" else "slice"}
    model = getattr(mod, cls)(**kwargs).eval()
    with torch.no_grad():  # non-trivial BatchNorm statistics, so a wrong fold cannot hide
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
    x = torch.randn(shape, generator=torch.Generator().manual_seed(3))
    path = tmp / f"{name}-{export}.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if export == "dynamo":
            torch.onnx.export(model, (x,), str(path), input_names=["frames"], dynamo=True, verbose=False)
        else:
            torch.onnx.export(model, (x,), str(path), input_names=["frames"], dynamo=False, opset_version=13)
    _exported[(name, export)] = path
    return path


@pytest.fixture(scope="session")
def rppg_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("rppg")


def compiled(name: str, export: str, strategy: str, tmp: Path) -> Compiled:
    key = (name, export, strategy)
    if key not in _compiled:
        from ncc.driver import compile_onnx, with_batch_strategy
        from ncc.verify import verify

        model = _export(name, export, tmp)
        out = tmp / f"{name}-{export}-{strategy}"
        # the default pipeline is what `ncc compile` runs with no options
        passes = None if strategy == "grouped" else with_batch_strategy(None, strategy)
        try:
            result = compile_onnx(model, out, passes=passes)
            # camera frames, as these models see them: RGB in [0, 1]
            frames = np.random.default_rng(0).uniform(0, 1, MODELS[name][2]).astype(np.float32)
            report = verify(out, model, inputs={"frames": frames})
            _compiled[key] = Compiled(out, result.manifest, read_param(result.param).layers, report)
        except Exception as e:  # noqa: BLE001 - cached so a failing compile runs once
            _compiled[key] = e
    value = _compiled[key]
    if isinstance(value, Exception):
        raise value
    return value


@pytest.mark.parametrize(("name", "export", "strategy"), CASES, ids=["-".join(c) for c in CASES])
def test_matches_onnxruntime(name: str, export: str, strategy: str, rppg_dir: Path) -> None:
    c = compiled(name, export, strategy, rppg_dir)
    assert not c.report.skipped, c.report.skipped
    assert set(c.report.modes()) == set(TOLERANCE)
    for row in c.report.rows:
        assert row.max_rel <= TOLERANCE[row.mode], f"{row.mode}: {row.max_rel:.3g}\n{c.report.table()}"
    # EfficientPhys: 21 frames in, 20 frame differences through the network; TS-CAN: 20
    assert c.manifest["outputs"][0]["shape"] == [20, 1]
    assert c.manifest["batch_layout"] == {"frames": 20, "strategy": strategy}


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_strategy_shapes_the_graph(strategy: str, rppg_dir: Path) -> None:
    """Each strategy leaves its own fingerprint, and every layer is one ncnn registers."""
    import ncnn

    c = compiled("efficientphys36", "dynamo", strategy, rppg_dir)
    types = [layer.type for layer in c.layers]
    assert all(ncnn.layer_to_index(t) >= 0 for t in set(types)), sorted(set(types))
    if strategy == "grouped":  # per-frame convs become grouped convs, all on Vulkan
        assert "Convolution3D" not in types and types.count("ConvolutionDepthWise") >= 4
    elif strategy == "conv3d":  # per-frame convs become depth-1 3-D convs
        assert types.count("Convolution3D") >= 4
    else:  # frames move into ncnn's batch axis and back through Reshape 12/13
        params = [layer.params for layer in c.layers if layer.type == "Reshape"]
        assert any(13 in p for p in params) and any(12 in p for p in params)
        assert types.count("Convolution") >= 4


def test_default_is_printed_and_recorded(rppg_dir: Path) -> None:
    c = compiled("efficientphys36", "onnx13", "grouped", rppg_dir)
    assert c.manifest["batch_layout"] == {"frames": 20, "strategy": "grouped"}

"""End-to-end through the PyTorch frontend: a module built here with random weights →
`ncc.compile(module, example_inputs, out)` (torch's exporter in memory, then the ONNX route)
→ `ncc.verify(result)`: ncnn CPU, Vulkan fp32 (≤ 1e-4) and Vulkan fp16 (≤ 2e-2) against the
module's own eager outputs. Both torch exporters where their ONNX differs (`torch.clamp_min`
is `Clip(x, 0, None)` from one and a different graph from the other, …).

Each (model, exporter) is compiled and verified once per module (a dynamo export takes
seconds); a failed compile or verify is remembered and fails every test that needs it with
ncc's message.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

import ncc  # noqa: E402
from ncc.dialects.common import NccError  # noqa: E402
from ncc.frontends.torch import ExportError  # noqa: E402

TOLERANCE = {"cpu": 1e-4, "vulkan-fp32": 1e-4, "vulkan-fp16": 2e-2}


# --------------------------------------------------------------------------- models


class ConvNet(nn.Module):
    """Conv + BatchNorm + ReLU + pool + Linear + Dropout: eval mode matters."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 16, 3, stride=2, padding=1)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.drop = nn.Dropout(0.5)
        self.fc = nn.Linear(16, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.conv2(x))
        return self.fc(self.drop(torch.flatten(self.pool(x), 1)))


class TwoInTwoOut(nn.Module):
    """Two named inputs, a tuple of two outputs (flattened in order)."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(6, 4)

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = torch.sigmoid(self.fc(a))
        return h * b, h + 1.0


class Elementwise(nn.Module):
    """`scale * fn(x)` on a (1, 4, 8, 8) input: a small conv first so the graph has weights."""

    def __init__(self, fn: Callable[[torch.Tensor], torch.Tensor], scale: float = 8.0) -> None:
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 1)
        self.fn = fn
        self.scale = scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fn(self.conv(x) * self.scale)


class ArangeConst(nn.Module):
    """A constant built with torch.arange inside forward (a Range node, or a folded constant)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: (1, 4, 8)
        ramp = torch.arange(x.shape[-1], dtype=torch.float32) * 0.25
        return x * ramp + ramp


class MaskedFill(nn.Module):
    """masked_fill with a causal mask built from arange (Where on a constant condition)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: (1, 8, 8)
        n = x.shape[-1]
        i = torch.arange(n)
        mask = i[None, :] > i[:, None]
        return x.masked_fill(mask, -2.0)


ELEMENTWISE: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "clamp_min": lambda x: torch.clamp_min(x, 0),
    "clamp_max": lambda x: torch.clamp_max(x, 0.5),
    "clamp_kw_min": lambda x: torch.clamp(x, min=-0.25),
    "hardtanh": lambda x: F.hardtanh(x, -0.5, 0.75),
    "relu6": F.relu6,
    "silu": F.silu,  # Sigmoid + Mul from both exporters → one Swish (ncnn-fuse-swish)
}

SHAPES: dict[str, list[tuple[int, ...]]] = {
    "convnet": [(1, 3, 16, 16)],
    "two_in_two_out": [(1, 6), (1, 4)],
    "arange_const": [(1, 4, 8)],
    "masked_fill": [(1, 8, 8)],
    **{name: [(1, 4, 8, 8)] for name in ELEMENTWISE},
}


def build(name: str) -> nn.Module:
    torch.manual_seed(0)
    if name == "convnet":
        m = ConvNet()
        with torch.no_grad():  # non-trivial statistics, or BatchNorm would be an identity
            m.bn1.running_mean.uniform_(-0.5, 0.5)
            m.bn1.running_var.uniform_(0.5, 2.0)
            m.bn1.weight.uniform_(0.5, 1.5)
            m.bn1.bias.uniform_(-0.5, 0.5)
        return m
    if name == "two_in_two_out":
        return TwoInTwoOut()
    if name == "arange_const":
        return ArangeConst()
    if name == "masked_fill":
        return MaskedFill()
    return Elementwise(ELEMENTWISE[name])


def example_inputs(name: str) -> tuple[torch.Tensor, ...]:
    g = torch.Generator().manual_seed(1)
    return tuple(torch.randn(s, generator=g) for s in SHAPES[name])


# --------------------------------------------------------------------------- fixture


@dataclass
class Checked:
    result: Any  # ncc.CompileResult
    report: Any  # ncc.verify.VerifyReport


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str, str], Checked]:
    """`checked(model_name, export) → Checked`: compiled and verified once per module."""
    root = tmp_path_factory.mktemp("torch-frontend")
    cache: dict[tuple[str, str], Checked | BaseException] = {}

    def get(name: str, export: str) -> Checked:
        key = (name, export)
        if key not in cache:
            try:
                model = build(name)
                result = ncc.compile(model, example_inputs(name), root / f"{name}-{export}", export=export)
                cache[key] = Checked(result, ncc.verify(result))
            except Exception as e:  # noqa: BLE001 - remembered, so a failure costs one export
                cache[key] = e
        got = cache[key]
        if isinstance(got, BaseException):
            pytest.fail(f"{name} ({export}): {type(got).__name__}: {got}", pytrace=False)
        return got

    return get


def assert_matches(report) -> None:
    table = report.table()
    assert report.skipped == {}, f"Vulkan modes did not run (lavapipe missing?):\n{table}"
    assert report.modes() == list(TOLERANCE), table
    for mode, tol in TOLERANCE.items():
        worst = report.worst(mode)
        assert worst <= tol, f"{mode}: max relative error {worst:.3g} > {tol:g}\n{table}"
    assert report.passed, table


# --------------------------------------------------------------------------- tests

CASES = [
    ("convnet", "dynamo"),
    ("convnet", "torchscript"),
    ("two_in_two_out", "dynamo"),
    *[(name, exp) for name in ELEMENTWISE for exp in ("dynamo", "torchscript")],
    ("arange_const", "dynamo"),
    ("arange_const", "torchscript"),
    ("masked_fill", "dynamo"),
    ("masked_fill", "torchscript"),
]


@pytest.mark.parametrize(("name", "export"), CASES, ids=[f"{n}-{e}" for n, e in CASES])
def test_matches_torch_eager(checked, name: str, export: str) -> None:
    assert_matches(checked(name, export).report)


def test_result_and_manifest(checked) -> None:
    """The CompileResult carries the files, the manifest, the pipeline and per-pass stats;
    the manifest names inputs after forward's parameters and the flattened outputs in order."""
    c = checked("two_in_two_out", "dynamo")
    r = c.result
    assert isinstance(r, ncc.CompileResult)
    for path in (r.param, r.bin, r.manifest_path):
        assert path.is_file() and path.parent == r.out_dir
    assert json.loads(r.manifest_path.read_text()) == r.manifest
    m = r.manifest
    assert [i["name"] for i in m["inputs"]] == ["a", "b"]
    assert [i["shape"] for i in m["inputs"]] == [[1, 6], [1, 4]]
    assert [o["name"] for o in m["outputs"]] == ["output_0", "output_1"]
    assert m["frontend"]["kind"] == "torch" and m["frontend"]["export"] == "dynamo"
    assert m["frontend"]["model"] == "TwoInTwoOut"
    assert m["pipeline"] == r.pipeline and r.pipeline.startswith("set-input-shapes")
    assert [s.name for s in r.stats] == [p.split("{")[0] for p in r.pipeline.split(",")]
    assert any(s.ops_before != s.ops_after for s in r.stats)
    assert {row.output for row in c.report.rows} == {"output_0", "output_1"}


def test_verify_from_folder_with_module(checked) -> None:
    """`ncc.verify(folder, module)`: the reference rebuilt from the manifest and the module."""
    c = checked("convnet", "dynamo")
    report = ncc.verify(c.result.out_dir, build("convnet"), seed=5)
    assert_matches(report)


def test_verify_folder_without_model_refuses(checked) -> None:
    c = checked("convnet", "dynamo")
    with pytest.raises(NccError, match="ncc does not run code named by a manifest"):
        ncc.verify(c.result.out_dir)


def test_verify_detects_a_different_model(checked) -> None:
    """The reference really is the module: other weights fail."""
    c = checked("convnet", "dynamo")
    other = build("convnet")
    with torch.no_grad():
        other.fc.bias.add_(1.0)
    report = ncc.verify(c.result.out_dir, other, modes=("cpu",))
    assert not report.passed


def test_training_mode_is_restored(tmp_path: Path) -> None:
    """Compiled in eval mode (dropout off, BatchNorm running stats), the caller's flags kept."""
    model = build("convnet").train()
    result = ncc.compile(model, example_inputs("convnet"), tmp_path / "out", export="torchscript")
    assert model.training and model.bn1.training and model.drop.training
    assert_matches(ncc.verify(result))


def test_exported_program(tmp_path: Path) -> None:
    """A torch.export.ExportedProgram compiles with its own example inputs."""
    model = build("two_in_two_out").eval()
    ep = torch.export.export(model, example_inputs("two_in_two_out"))
    result = ncc.compile(ep, None, tmp_path / "ep")
    assert [i["name"] for i in result.manifest["inputs"]] == ["a", "b"]
    assert_matches(ncc.verify(result))


def test_dict_example_inputs(tmp_path: Path) -> None:
    model = build("two_in_two_out")
    a, b = example_inputs("two_in_two_out")
    result = ncc.compile(model, {"a": a, "b": b}, tmp_path / "d", export="torchscript")
    assert [i["name"] for i in result.manifest["inputs"]] == ["a", "b"]
    assert_matches(ncc.verify(result))


def test_export_failure_is_an_export_error(tmp_path: Path) -> None:
    """Data-dependent control flow: torch.export refuses; ncc says so with torch's reason."""

    class Branchy(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            if x.sum() > 0:
                return x * 2
            return x

    with pytest.raises(ExportError) as info:
        ncc.compile(Branchy(), (torch.randn(1, 4),), tmp_path / "out")
    msg = str(info.value)
    assert info.value.kind == "export error"
    assert "dynamo export failed" in msg and "data-dependent" in msg, msg
    assert "test_torch_frontend.py" in msg, msg  # the user's line
    assert "\n" not in msg
    assert not (tmp_path / "out").exists()


def test_forward_failure_is_an_export_error(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="running the model on the example inputs failed: RuntimeError"):
        ncc.compile(nn.Linear(4, 2), (torch.randn(1, 3),), tmp_path / "out")

"""End-to-end: shape arithmetic and indexing on data → plain ncnn layers.

Each pattern model is exported by both torch exporters (`dynamo=False` at opset 13, and
`dynamo=True`), compiled with no options (`ncc.driver.compile_onnx`), and run on ncnn CPU,
Vulkan fp32 (≤ 1e-4) and Vulkan fp16 (≤ 2e-2) against onnxruntime. The emitted `.param`
must contain only layer types the ncnn runtime registers, and the structure the lowering
promises (the temporal shift is Crops/Concat, masked_fill is a ReLU, …).

Every (model, exporter) is exported, compiled and verified once per session (a dynamo export
takes seconds); a failure is remembered and fails each test that needs it with its message.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from models import export_class  # noqa: E402
from paramfile import read_param  # noqa: E402

EXPORTERS = ("onnx13", "dynamo")
TOLERANCE = {"cpu": 1e-4, "vulkan-fp32": 1e-4, "vulkan-fp16": 2e-2}

# --------------------------------------------------------------------------- models


class TemporalShift(nn.Module):
    """TSM's shift as slice assignment on a (1, T, C, H, W) view (ScatterND, and Transposes
    of rank-5 tensors with a leading dim > 1 from the dynamo exporter)."""

    INPUT = (8, 6, 5, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        nt, c, h, w = x.size()
        x = x.view(nt // 8, 8, c, h, w)
        f = c // 3
        out = torch.zeros_like(x)
        out[:, :-1, :f] = x[:, 1:, :f]
        out[:, 1:, f : 2 * f] = x[:, :-1, f : 2 * f]
        out[:, :, 2 * f :] = x[:, :, 2 * f :]
        return out.view(nt, c, h, w)


class ViewFromSize(nn.Module):
    INPUT = (1, 4, 6, 6)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.softmax(x.view(x.size(0), x.size(1), -1), dim=-1)
        return y.view(x.size(0), x.size(1), x.size(2), x.size(3))


class ReshapeMinusOne(nn.Module):
    INPUT = (1, 4, 6, 6)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x.reshape(-1, 6, 6) * 2.0).reshape(1, -1)


class Flatten1(nn.Module):
    INPUT = (1, 4, 3, 3)

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(36, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x.flatten(1))


class StrideTwo(nn.Module):
    """x[:, ::2], x[:, 1::2] and x[..., ::2] on even sizes: Reshape + Crop."""

    INPUT = (1, 6, 4, 8)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[:, ::2] + x[:, 1::2] * 0.5 + x[..., ::2].sum()


class Focus(nn.Module):
    """YOLOv5's space-to-depth: four strided slices concatenated, then a conv."""

    INPUT = (1, 3, 8, 8)

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(12, 8, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        parts = [x[..., ::2, ::2], x[..., 1::2, ::2], x[..., ::2, 1::2], x[..., 1::2, 1::2]]
        return self.conv(torch.cat(parts, 1))


class GatherConst(nn.Module):
    """index_select (a repeated index), torch.gather with a constant index, negative
    indices (a slice and a scalar)."""

    INPUT = (1, 6, 5, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = torch.index_select(x, 1, torch.tensor([4, 0, 1, 2, 5, 5]))
        g = torch.tensor([[2, 0, 1, 3, 4], [4, 3, 2, 1, 0]]).view(1, 1, 2, 5).expand(1, 6, 2, 5)
        b = torch.gather(x, 2, g)
        return a[:, :, :2] + b + x[:, 3:4, -2:] + x[:, -1, :2]


class MaskedFill(nn.Module):
    INPUT = (1, 4, 6, 6)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.masked_fill(x < 0, 0.0)


class WhereLeaky(nn.Module):
    INPUT = (1, 4, 6, 6)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.where(x > 0, x, 0.1 * x)


class ExpandRepeat(nn.Module):
    """expand into a broadcasting Mul (nothing to do) and repeat (a Tile)."""

    INPUT = (1, 4, 6, 6)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        e = x.mean(dim=1, keepdim=True).expand(1, 4, 6, 6)
        return torch.cat([x * e, x.repeat(1, 2, 1, 1)], 1)


class RepeatFrames(nn.Module):
    """repeat along the batch of 1: a Tile into a 4-D Mat."""

    INPUT = (1, 3, 4, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.repeat(3, 1, 1, 2) * 2.0


class Roll(nn.Module):
    """torch.roll (Slices + Concat) and flip (a negative step)."""

    INPUT = (1, 4, 6, 6)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.roll(x, shifts=(1, -2), dims=(2, 3)) + torch.flip(x, dims=[3])


class Chunk(nn.Module):
    INPUT = (1, 6, 4, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a, b, c = x.chunk(3, dim=1)
        return a * torch.sigmoid(b) + c


class AttentionMask(nn.Module):
    """EfficientPhys's attention-mask normalisation: shape values times data."""

    INPUT = (1, 1, 6, 6)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        g = torch.sigmoid(x)
        return g / g.sum((2, 3), keepdim=True) * g.shape[2] * g.shape[3] * 0.5


MODELS: dict[str, type[nn.Module]] = {
    cls.__name__: cls
    for cls in (
        TemporalShift, ViewFromSize, ReshapeMinusOne, Flatten1, StrideTwo, Focus, GatherConst,
        MaskedFill, WhereLeaky, ExpandRepeat, RepeatFrames, Roll, Chunk, AttentionMask,
    )
}  # fmt: skip

CASES = [(name, mode) for name in MODELS for mode in EXPORTERS]
IDS = [f"{name}-{mode}" for name, mode in CASES]


# --------------------------------------------------------------------------- session cache


@dataclass
class Result:
    model: Path
    out_dir: Path
    param: Path
    report: Any  # ncc.verify.VerifyReport


def _export(cls: type[nn.Module], mode: str, path: Path) -> None:
    export_class(cls, mode, path)


@pytest.fixture(scope="session")
def indexing_result(tmp_path_factory: pytest.TempPathFactory):
    """`get(name, mode) → Result`: exported, compiled with no options and verified once."""
    root = tmp_path_factory.mktemp("indexing")
    cache: dict[tuple[str, str], Result | str] = {}

    def get(name: str, mode: str) -> Result:
        key = (name, mode)
        if key not in cache:
            from ncc.driver import compile_onnx
            from ncc.verify import verify

            folder = root / f"{name}-{mode}"
            folder.mkdir()
            path = folder / "model.onnx"
            try:
                _export(MODELS[name], mode, path)
            except Exception as e:  # noqa: BLE001 - remembered, reported by each test
                cache[key] = f"torch export ({mode}) failed: {type(e).__name__}: {e}"
            else:
                try:
                    res = compile_onnx(path, folder / "out")
                    cache[key] = Result(path, folder / "out", res.param, verify(folder / "out", path))
                except Exception as e:  # noqa: BLE001
                    cache[key] = f"ncc could not compile {name} ({mode}): {type(e).__name__}: {e}"
        got = cache[key]
        if isinstance(got, str):
            pytest.fail(got, pytrace=False)
        return got

    return get


# --------------------------------------------------------------------------- tests


@pytest.mark.parametrize(("name", "mode"), CASES, ids=IDS)
def test_matches_onnxruntime(indexing_result, name: str, mode: str) -> None:
    r = indexing_result(name, mode)
    table = r.report.table()
    assert r.report.skipped == {}, f"Vulkan modes did not run (lavapipe missing?):\n{table}"
    assert r.report.modes() == list(TOLERANCE), table
    for mode_name, tol in TOLERANCE.items():
        worst = max(row.max_rel for row in r.report.rows if row.mode == mode_name)
        assert worst <= tol, f"{mode_name}: max relative error {worst:.3g} > {tol:g}\n{table}"


@pytest.mark.parametrize(("name", "mode"), CASES, ids=IDS)
def test_layer_types_registered_in_ncnn(indexing_result, name: str, mode: str) -> None:
    import ncnn

    types = read_param(indexing_result(name, mode).param).types()
    unknown = sorted(t for t in types if ncnn.layer_to_index(t) < 0)
    assert not unknown, f"layer types ncnn does not have: {unknown}"


def _types(indexing_result, name: str, mode: str):
    return read_param(indexing_result(name, mode).param).types()


@pytest.mark.parametrize("mode", EXPORTERS)
def test_temporal_shift_is_slices_and_concat(indexing_result, mode: str) -> None:
    """Three shifted channel groups: three Crops, zeros for the frame that falls off, one
    Concat over channels; no Permute from the dynamo exporter's rank-5 Transposes."""
    types = _types(indexing_result, "TemporalShift", mode)
    assert set(types) <= {"Input", "Split", "Crop", "MemoryData", "Concat", "Padding"}, types
    assert types["Crop"] == 3, types


@pytest.mark.parametrize("mode", EXPORTERS)
def test_where_forms_are_activations(indexing_result, mode: str) -> None:
    """masked_fill(x < 0, 0.) is one ReLU; where(x > 0, x, 0.1 x) one ReLU with slope 0.1."""
    pf = read_param(indexing_result("MaskedFill", mode).param)
    assert [layer.type for layer in pf.layers] == ["Input", "ReLU"]
    assert 0 not in pf.layers[1].params  # slope 0
    pf = read_param(indexing_result("WhereLeaky", mode).param)
    assert [layer.type for layer in pf.layers] == ["Input", "ReLU"]
    assert float(pf.layers[1].params[0]) == pytest.approx(0.1)


@pytest.mark.parametrize("mode", EXPORTERS)
def test_expand_broadcasts_and_repeat_tiles(indexing_result, mode: str) -> None:
    """The expand feeding a Mul disappears (BinaryOp broadcasts); only repeat is a Tile."""
    assert _types(indexing_result, "ExpandRepeat", mode)["Tile"] == 1
    assert _types(indexing_result, "RepeatFrames", mode)["Tile"] == 1


@pytest.mark.parametrize("mode", EXPORTERS)
def test_strided_slices_are_reshape_and_crop(indexing_result, mode: str) -> None:
    # a stride-2 slice is a Reshape to (n, 2) pairs and a Crop of one of them; the periodic
    # planner lets Focus's four slices share their Crops (two, not four), and Crops that tile
    # an axis become one Slice (ncnn-fuse-slices)
    for name in ("StrideTwo", "Focus"):
        types = _types(indexing_result, name, mode)
        assert types["Crop"] + types["Slice"] >= 1 and types["Reshape"] >= 1, (name, types)


@pytest.mark.parametrize("mode", EXPORTERS)
def test_shape_arithmetic_folds(indexing_result, mode: str) -> None:
    """x.size()-built views, reshape(-1), flatten(1) and g.shape[2] * g.shape[3] leave no
    trace but Reshapes and the arithmetic on data."""
    allowed = {
        "Input", "Split", "Reshape", "Softmax", "BinaryOp", "InnerProduct", "Sigmoid", "Reduction", "Flatten",
    }  # fmt: skip
    for name in ("ViewFromSize", "ReshapeMinusOne", "Flatten1", "AttentionMask"):
        types = _types(indexing_result, name, mode)
        assert set(types) <= allowed, (name, types)

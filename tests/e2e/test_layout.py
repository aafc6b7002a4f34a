"""End-to-end: the layout stage (`onnx-layout-assign` with the batch strategies) places tensors
of any rank and batch in ncnn Mats.

Each model is exported by both torch exporters where torch exports it (`dynamo=False` at opset
13, and `dynamo=True`), compiled with no options, and run on ncnn CPU, Vulkan fp32 (≤ 1e-4) and
Vulkan fp16 (≤ 2e-2) against onnxruntime. Covered: 3-D conv / pooling / BatchNorm / PReLU on a
batch of 2 (rank 5), BatchNorm1d on (4, C), Softmax and Concat along axis 0, DepthToSpace on a
batch of 2, Resize of (N, C, W), and the Keras/NHWC temporal shift written on a rank-6 view,
whose layer count does not grow with the number of frames.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

from models import export_class  # noqa: E402
from paramfile import read_param  # noqa: E402

EXPORTERS = ("onnx13", "dynamo")
TOLERANCE = {"cpu": 1e-4, "vulkan-fp32": 1e-4, "vulkan-fp16": 2e-2}


class Conv3dBatch(nn.Module):
    INPUT = (2, 3, 4, 8, 8)

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv3d(3, 4, 3, padding=1)

    def forward(self, x):
        return self.conv(x)


class MaxPool3dBatch(nn.Module):
    INPUT = (2, 3, 4, 8, 8)

    def forward(self, x):
        return F.max_pool3d(x, 2)


class AvgPool3dBatch(nn.Module):
    INPUT = (2, 3, 4, 8, 8)

    def forward(self, x):
        return F.avg_pool3d(x, 2)


def _random_stats(bn: nn.Module) -> nn.Module:
    with torch.no_grad():  # the defaults would make a wrong placement invisible
        bn.running_mean.uniform_(-1, 1)
        bn.running_var.uniform_(0.5, 2)
        bn.weight.uniform_(0.5, 1.5)
        bn.bias.uniform_(-0.5, 0.5)
    return bn


class BatchNorm3dBatch(nn.Module):
    INPUT = (2, 3, 4, 8, 8)

    def __init__(self):
        super().__init__()
        self.bn = _random_stats(nn.BatchNorm3d(3))

    def forward(self, x):
        return self.bn(x)


class PReLU3dBatch(nn.Module):
    INPUT = (2, 3, 4, 8, 8)

    def __init__(self):
        super().__init__()
        self.act = nn.PReLU(3)
        with torch.no_grad():
            self.act.weight.copy_(torch.tensor([0.1, 0.5, -0.3]))

    def forward(self, x):
        return self.act(x)


class PReLU2dBatch(PReLU3dBatch):
    """Per-channel slopes on (2, C, H, W): the batch folds into the Mat's channels."""

    INPUT = (2, 3, 4, 4)


class BatchNorm1dRows(nn.Module):
    INPUT = (4, 6)

    def __init__(self):
        super().__init__()
        self.bn = _random_stats(nn.BatchNorm1d(6))

    def forward(self, x):
        return self.bn(x)


class SoftmaxAxis0(nn.Module):
    INPUT = (3, 4, 5)

    def forward(self, x):
        return torch.softmax(x, 0)


class ConcatAxis0(nn.Module):
    INPUT = (3, 4, 5)

    def forward(self, x):
        return torch.cat([x, torch.sigmoid(x)], 0)


class DepthToSpaceBatch(nn.Module):
    INPUT = (2, 8, 4, 4)

    def forward(self, x):
        return F.pixel_shuffle(x, 2)


class Resize1d(nn.Module):
    INPUT = (2, 3, 8)

    def forward(self, x):
        return F.interpolate(x, scale_factor=2, mode="linear")


def keras_shift(frames: int):
    class KerasShift(nn.Module):
        """EfficientPhys's temporal shift as Keras/NHWC code writes it: a rank-6 view
        (1, T/8, 8, H, W, C), channel 0 shifted back and channel 1 forward along the
        8-frame axis (zero-filled), channel 2 unchanged, back to rank 5."""

        INPUT = (1, frames, 12, 12, 3)

        def forward(self, x):
            y = x.reshape(1, frames // 8, 8, 12, 12, 3)
            a = torch.cat([y[:, :, 1:, :, :, :1], torch.zeros_like(y[:, :, :1, :, :, :1])], 2)
            b = torch.cat([torch.zeros_like(y[:, :, :1, :, :, 1:2]), y[:, :, :-1, :, :, 1:2]], 2)
            return torch.cat([a, b, y[:, :, :, :, :, 2:]], 5).reshape(1, frames, 12, 12, 3)

    KerasShift.__name__ = f"KerasShift{frames}"
    return KerasShift


def tsm(frames: int):
    class Tsm(nn.Module):
        """EfficientPhys's temporal shift in its PyTorch form (slice assignment → ScatterND) on
        frames stacked along the batch: segments of 20 frames, a third of the channels
        shifted back, a third forward."""

        INPUT = (frames, 6, 8, 8)

        def forward(self, x):
            nt, c, h, w = x.size()
            x = x.view(nt // 20, 20, c, h, w)
            out = torch.zeros_like(x)
            out[:, :-1, :2] = x[:, 1:, :2]
            out[:, 1:, 2:4] = x[:, :-1, 2:4]
            out[:, :, 4:] = x[:, :, 4:]
            return out.view(nt, c, h, w)

    Tsm.__name__ = f"Tsm{frames}"
    return Tsm


MODELS: dict[str, type[nn.Module]] = {
    cls.__name__: cls
    for cls in (
        Conv3dBatch, MaxPool3dBatch, AvgPool3dBatch, BatchNorm3dBatch, PReLU3dBatch, PReLU2dBatch,
        BatchNorm1dRows, SoftmaxAxis0, ConcatAxis0, DepthToSpaceBatch, Resize1d,
        keras_shift(160), keras_shift(40), tsm(160), tsm(300),
    )
}  # fmt: skip

# torch's dynamo exporter writes a 1-D linear interpolate as index arithmetic, not a Resize
CASES = [(name, mode) for name in MODELS for mode in EXPORTERS if (name, mode) != ("Resize1d", "dynamo")]
IDS = [f"{name}-{mode}" for name, mode in CASES]


@dataclass
class Result:
    param: Path
    report: Any  # ncc.verify.VerifyReport


def _export(cls: type[nn.Module], mode: str, path: Path) -> None:
    export_class(cls, mode, path)


@pytest.fixture(scope="session")
def layout_result(tmp_path_factory: pytest.TempPathFactory):
    """`get(name, mode) → Result`: exported, compiled with no options and verified once."""
    root = tmp_path_factory.mktemp("layout")
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
                res = compile_onnx(path, folder / "out")
                cache[key] = Result(res.param, verify(folder / "out", path))
            except Exception as e:  # noqa: BLE001 - remembered, reported by each test
                cache[key] = f"{name} ({mode}): {type(e).__name__}: {e}"
        got = cache[key]
        if isinstance(got, str):
            pytest.fail(got, pytrace=False)
        return got

    return get


@pytest.mark.parametrize(("name", "mode"), CASES, ids=IDS)
def test_matches_onnxruntime(layout_result, name: str, mode: str) -> None:
    r = layout_result(name, mode)
    table = r.report.table()
    assert r.report.skipped == {}, f"Vulkan modes did not run (lavapipe missing?):\n{table}"
    assert r.report.modes() == list(TOLERANCE), table
    for mode_name, tol in TOLERANCE.items():
        worst = max(row.max_rel for row in r.report.rows if row.mode == mode_name)
        assert worst <= tol, f"{mode_name}: max relative error {worst:.3g} > {tol:g}\n{table}"
    import ncnn

    unknown = sorted(t for t in read_param(r.param).types() if ncnn.layer_to_index(t) < 0)
    assert not unknown, f"layer types ncnn does not have: {unknown}"


@pytest.mark.parametrize("mode", EXPORTERS)
def test_shift_cost_does_not_grow_with_frames(layout_result, mode: str) -> None:
    """160 frames compile to the same layers as 40: the shift is Crops/Concats on the
    merged (T/8, 8, H·W·C) view, not one piece per frame."""
    many = read_param(layout_result("KerasShift160", mode).param).types()
    few = read_param(layout_result("KerasShift40", mode).param).types()
    assert many == few
    assert sum(many.values()) <= 24, many
    assert "Permute" not in many, many


@pytest.mark.parametrize("mode", EXPORTERS)
def test_scatter_shift_cost_does_not_grow_with_frames(layout_result, mode: str) -> None:
    """The ScatterND form over 8 and 15 segments of 20 frames: its element map repeats every
    20 frames, so it is planned once on the (segments, 20, …) view."""
    many = read_param(layout_result("Tsm300", mode).param).types()
    few = read_param(layout_result("Tsm160", mode).param).types()
    assert many == few
    assert sum(many.values()) <= 16, many


@pytest.mark.parametrize("mode", EXPORTERS)
def test_batch_of_3d_convs_is_unrolled(layout_result, mode: str) -> None:
    """ncnn's Convolution3D has no groups: a batch of 2 runs as two convs on the items."""
    types = read_param(layout_result("Conv3dBatch", mode).param).types()
    assert types["Convolution3D"] == 2, types
    assert types["Concat"] == 1, types

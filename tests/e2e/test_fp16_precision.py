"""fp16 calibration (`ncc compile --fp16-calibrate`) and verify's per-mode accuracy.

Each model here is correct in fp32 and wrong in ncnn's fp16 mode for a known reason: values
beyond fp16's range (inf), or a large offset cancelled after fp16 storage (rounding). The
calibrated model must meet the fp16 target on CPU, Vulkan fp32 and Vulkan fp16 against
onnxruntime, having kept only the layers the reason names in fp32.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

from ncc.driver import compile_onnx
from ncc.precision import KEEP_FP32, calibrate_fp16, set_featmask
from ncc.verify import verify


def _export(module, shape, path: Path, dynamo: bool) -> Path:
    import torch

    torch.manual_seed(0)
    x = torch.randn(*shape)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if dynamo:
            torch.onnx.export(module.eval(), (x,), str(path), input_names=["x"], dynamo=True, verbose=False)
        else:
            torch.onnx.export(module.eval(), (x,), str(path), input_names=["x"], dynamo=False, opset_version=17)
    return path


def _overflowing():
    """Two convolutions whose intermediate reaches ~1e5 (fp16 max 65504); the output is small."""
    import torch

    class Overflow(torch.nn.Module):
        def __init__(self):
            super().__init__()
            torch.manual_seed(0)
            self.a = torch.nn.Conv2d(8, 16, 3, padding=1)
            self.b = torch.nn.Conv2d(16, 8, 3, padding=1)
            with torch.no_grad():
                self.a.weight.mul_(1e5)
                self.b.weight.mul_(1e-5)

        def forward(self, x):
            return self.b(torch.relu(self.a(x)))

    return Overflow()


def _cancelling():
    """A convolution with a bias of 300 that the next op subtracts: in fp16 the stored values
    near 300 keep only 0.25 of resolution, so the difference loses most of its digits."""
    import torch

    class Cancel(torch.nn.Module):
        def __init__(self):
            super().__init__()
            torch.manual_seed(0)
            self.a = torch.nn.Conv2d(8, 16, 3, padding=1)
            self.b = torch.nn.Conv2d(16, 8, 3, padding=1)
            with torch.no_grad():
                self.a.bias.add_(300.0)

        def forward(self, x):
            return self.b(torch.relu(self.a(x) - 300.0))

    return Cancel()


def _gelu():
    import torch

    class Gelu(torch.nn.Module):
        def forward(self, x):
            return torch.nn.functional.gelu(x)

    return Gelu()


@pytest.fixture(scope="module")
def onnx_models(tmp_path_factory):
    root = tmp_path_factory.mktemp("fp16")
    return {
        ("overflow", "onnx17"): _export(_overflowing(), (1, 8, 16, 16), root / "overflow17.onnx", False),
        ("overflow", "dynamo"): _export(_overflowing(), (1, 8, 16, 16), root / "overflowd.onnx", True),
        ("cancel", "onnx17"): _export(_cancelling(), (1, 8, 16, 16), root / "cancel17.onnx", False),
        ("gelu", "onnx17"): _export(_gelu(), (1, 64, 256), root / "gelu17.onnx", False),
    }


def _rows(report, mode):
    return [r for r in report.rows if r.mode == mode]


def _needs_vulkan(report):
    if "vulkan-fp16" in report.skipped:
        pytest.skip("no Vulkan device")


@pytest.mark.parametrize("export", ["onnx17", "dynamo"])
def test_overflow_is_named_then_calibrated_away(onnx_models, tmp_path, export):
    model = onnx_models[("overflow", export)]
    compile_onnx(model, tmp_path / "plain")
    before = verify(tmp_path / "plain", model)
    _needs_vulkan(before)
    assert all(r.passed for r in before.rows if r.mode != "vulkan-fp16"), before.table()
    fp16 = _rows(before, "vulkan-fp16")
    assert fp16 and not fp16[0].passed and "overflows fp16" in fp16[0].note, before.table()

    compile_onnx(model, tmp_path / "cal")
    report = calibrate_fp16(tmp_path / "cal", model)
    assert report.kept and all("overflow" in k.reason for k in report.kept), report.table()
    assert {k.type for k in report.kept} == {"Convolution"}, report.table()
    assert all(not np.isfinite(e) for e in report.error_before.values())
    assert report.passed, report.table()
    after = verify(tmp_path / "cal", model)
    assert after.passed, after.table()
    assert {r.mode for r in after.rows} == {"cpu", "vulkan-fp32", "vulkan-fp16"}
    manifest = json.loads(next((tmp_path / "cal").glob("*.ncnn.json")).read_text())
    assert len(manifest["precision"]["fp32_layers"]) == len(report.kept)
    param = next((tmp_path / "cal").glob("*.ncnn.param")).read_text()
    assert param.count(f"31={KEEP_FP32}") == len(report.kept)


def test_rounding_error_is_blamed_on_the_layers_that_cause_it(onnx_models, tmp_path):
    model = onnx_models[("cancel", "onnx17")]
    compile_onnx(model, tmp_path / "m")
    before = verify(tmp_path / "m", model)
    _needs_vulkan(before)
    fp16 = _rows(before, "vulkan-fp16")[0]
    assert not fp16.passed and "fp16 rounding" in fp16.note, before.table()

    report = calibrate_fp16(tmp_path / "m", model)
    kept = {k.type for k in report.kept}
    # the subtraction that cancels, and the convolution whose fp16 output lost the digits
    assert kept == {"BinaryOp", "Convolution"}, report.table()
    assert max(report.error_after.values()) < 2e-2 < max(report.error_before.values()), report.table()
    after = verify(tmp_path / "m", model)
    assert after.passed, after.table()


def test_calibrating_a_model_fp16_already_handles_keeps_nothing(onnx_models, tmp_path):
    model = onnx_models[("gelu", "onnx17")]
    compile_onnx(model, tmp_path / "m")
    report = calibrate_fp16(tmp_path / "m", model)
    assert report.kept == [], report.table()
    assert "31=" not in next((tmp_path / "m").glob("*.ncnn.param")).read_text()


def test_gelu_vulkan_kernel_gets_its_documented_tolerance_only_in_vulkan_fp32(onnx_models, tmp_path):
    model = onnx_models[("gelu", "onnx17")]
    compile_onnx(model, tmp_path / "m")
    report = verify(tmp_path / "m", model)
    _needs_vulkan(report)
    assert report.passed, report.table()
    (cpu,) = _rows(report, "cpu")
    (vk,) = _rows(report, "vulkan-fp32")
    assert cpu.tol == 1e-4 and cpu.max_rel < 1e-6
    assert vk.tol == 1e-3 and "GELU" in vk.note
    # the kernel really is less exact than fp32 (the tanh approximation's 4.7e-4 at |x| ~ 2),
    # so the raised tolerance is needed, not decorative
    assert vk.max_abs > 1e-4 > cpu.max_abs


def test_set_featmask_ors_into_existing_masks(tmp_path):
    param = tmp_path / "m.ncnn.param"
    param.write_text(
        "7767517\n3 3\nInput in0 0 1 in0 0=4\nReLU r 1 1 in0 a 31=1\nSigmoid s 1 1 a out0\n"
    )
    set_featmask(param, {"r": 18, "s": 16})
    lines = param.read_text().split("\n")
    assert lines[3] == "ReLU r 1 1 in0 a 31=19"
    assert lines[4] == "Sigmoid s 1 1 a out0 31=16"
    from ncc.dialects.common import NccError

    with pytest.raises(NccError, match="no layer"):
        set_featmask(param, {"nope": 1})


def test_pytorch_module_calibrated_through_the_api(tmp_path):
    import torch

    import ncc

    result = ncc.compile(_overflowing(), (torch.randn(1, 8, 16, 16),), tmp_path / "m", fp16_calibrate=True)
    assert result.precision is not None and result.precision.kept, result.precision
    assert result.manifest["precision"]["fp32_layers"]
    report = ncc.verify(result)  # against torch eager
    _needs_vulkan(report)
    assert report.passed, report.table()

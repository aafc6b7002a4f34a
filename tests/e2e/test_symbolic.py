"""Symbolic input dims: one ncnn model for every input size, verified at several sizes.

Each model is compiled once (`ncc.symbolic.compile_symbolic`, or `ncc compile --input-shape
x=1x1x32xW --dim W=…`) and checked by `ncc verify` against onnxruntime at the smallest, the
given and the largest size of its range, on ncnn CPU, Vulkan fp32 and Vulkan fp16.
"""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from ncc.errors import NccError
from ncc.symbolic import Dim, compile_symbolic, evaluate, parse_dims, split_shapes
from ncc.verify import verify


def _crnn():
    import torch
    import torch.nn.functional as F
    from torch import nn

    class CRNN(nn.Module):
        """Text recogniser: conv stack → a sequence whose length follows W → per-step Softmax."""

        def __init__(self):
            super().__init__()
            self.c1 = nn.Conv2d(1, 16, 3, padding=1)
            self.c2 = nn.Conv2d(16, 32, 3, padding=1)
            self.fc = nn.Linear(32 * 8, 40)

        def forward(self, x):
            x = F.max_pool2d(F.relu(self.c1(x)), 2)
            x = F.max_pool2d(F.relu(self.c2(x)), 2)
            b, c, h, w = x.shape
            x = x.permute(0, 3, 1, 2).reshape(b, w, c * h)
            return F.softmax(self.fc(x), dim=-1)

    return CRNN()


def _unet():
    import torch
    import torch.nn.functional as F
    from torch import nn

    class UNet(nn.Module):
        """Down / up sampling with skip concats and Resize by scale."""

        def __init__(self):
            super().__init__()
            self.d1 = nn.Conv2d(3, 8, 3, padding=1)
            self.d2 = nn.Conv2d(8, 16, 3, stride=2, padding=1)
            self.d3 = nn.Conv2d(16, 32, 3, stride=2, padding=1)
            self.u2 = nn.Conv2d(32 + 16, 16, 3, padding=1)
            self.u1 = nn.Conv2d(16 + 8, 4, 3, padding=1)

        def forward(self, x):
            a = F.relu(self.d1(x))
            b = F.relu(self.d2(a))
            c = F.relu(self.d3(b))
            u = F.relu(self.u2(torch.cat([F.interpolate(c, scale_factor=2.0, mode="nearest"), b], 1)))
            u = F.interpolate(u, scale_factor=2.0, mode="bilinear", align_corners=False)
            return self.u1(torch.cat([u, a], 1))

    return UNet()


def _yolo_head(reversed_grid: bool = False):
    import torch
    from torch import nn

    class YoloHead(nn.Module):
        """Strides 8/16/32, grids from the feature map's size (Range / meshgrid), all anchors concatenated."""

        def __init__(self):
            super().__init__()
            self.s1 = nn.Conv2d(3, 8, 3, stride=8, padding=1)
            self.s2 = nn.Conv2d(8, 8, 3, stride=2, padding=1)
            self.s3 = nn.Conv2d(8, 8, 3, stride=2, padding=1)
            self.pred = nn.Conv2d(8, 6, 1)

        def forward(self, x):
            p3 = self.s1(x)
            p4 = self.s2(p3)
            p5 = self.s3(p4)
            outs = []
            for f, stride in ((p3, 8), (p4, 16), (p5, 32)):
                _, _, h, w = f.shape
                y = self.pred(f)
                gy, gx = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
                grid = torch.stack((gx, gy), 0).float()
                if reversed_grid:  # counts down from the far edge: its values change with the size
                    grid = grid.flip(1, 2)
                xy = (y[:, :2].sigmoid() * 2 - 0.5 + grid) * stride
                wh = y[:, 2:4].exp() * stride
                outs.append(torch.cat([xy, wh, y[:, 4:].sigmoid()], 1).flatten(2))
            return torch.cat(outs, 2)

    return YoloHead()


def _slicer():
    import torch.nn.functional as F
    from torch import nn

    class Slicer(nn.Module):
        """Slices whose ends follow the size (`[:H//2]`, `[1:-1]`, `[2:W-2]`), a reshape whose
        sizes follow H and W while another axis is already -1, a resize to H+4."""

        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 8, 3, padding=1)

        def forward(self, x):
            y = F.relu(self.conv(x))
            h, w = y.shape[2], y.shape[3]
            top = y[:, :, : h // 2]
            mid = y[:, :, 1:-1, 2 : w - 2]
            grown = F.interpolate(y, size=(h + 4, w), mode="nearest")  # no fixed scale: a size expression
            return top.reshape(1, 2, 4 * (h // 2), w), mid, grown

    return Slicer()


def _export(module, shape, axes: dict[int, str] | None, path: Path, exporter: str) -> Path:
    import torch

    torch.manual_seed(0)
    module = module.eval()
    x = torch.randn(*shape)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if exporter == "dynamo":
            dynamic = {"x": {k: torch.export.Dim(v, min=16, max=2048) for k, v in (axes or {}).items()}}
            torch.onnx.export(module, (x,), str(path), input_names=["x"], dynamo=True, verbose=False,
                              dynamic_shapes=dynamic if axes else None)  # fmt: skip
        else:
            torch.onnx.export(module, (x,), str(path), input_names=["x"], dynamo=False, opset_version=17,
                              dynamic_axes={"x": axes} if axes else None)  # fmt: skip
    return path


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    root = tmp_path_factory.mktemp("symbolic")
    cache: dict[tuple[str, str], Path] = {}
    builders = {
        "crnn": (_crnn, (1, 1, 32, 160), {3: "W"}),
        "crnn-static": (_crnn, (1, 1, 32, 160), None),
        "unet": (_unet, (1, 3, 96, 160), {2: "H", 3: "W"}),
        "yolo": (_yolo_head, (1, 3, 320, 320), {2: "H", 3: "W"}),
        "yolo-reversed": (lambda: _yolo_head(reversed_grid=True), (1, 3, 320, 320), {2: "H", 3: "W"}),
        "slicer": (_slicer, (1, 3, 32, 48), {2: "H", 3: "W"}),
    }

    def get(name: str, exporter: str = "onnx17") -> Path:
        if (name, exporter) not in cache:
            build, shape, axes = builders[name]
            cache[(name, exporter)] = _export(build(), shape, axes, root / f"{name}-{exporter}.onnx", exporter)
        return cache[(name, exporter)]

    return get


def _sizes_checked(report) -> set[str]:
    assert {r.mode for r in report.rows} >= {"cpu"}
    return {r.size for r in report.rows}


@pytest.mark.parametrize("exporter", ["onnx17", "dynamo"])
def test_crnn_one_model_for_every_width(exported, tmp_path, exporter):
    model = exported("crnn", exporter)
    result = compile_symbolic(model, tmp_path / "m", split_shapes("x=1x1x32xW"), parse_dims(["W=160,64..480/32"]))
    report = verify(tmp_path / "m", model)
    assert report.passed, report.table()
    assert _sizes_checked(report) == {"W=64", "W=160", "W=480"}
    modes = {r.mode for r in report.rows} | set(report.skipped)
    assert modes == {"cpu", "vulkan-fp32", "vulkan-fp16"}
    out = result.manifest["outputs"][0]
    assert out["symbolic_shape"] == [1, "W/4", 40]
    assert result.manifest["dims"]["W"] == {"value": 160, "min": 64, "max": 480, "multiple": 32}
    # the sequence reshape no longer names a length: ncnn takes the rest of its input
    assert any(line.startswith("Reshape") and "=-1" in line for line in result.param.read_text().splitlines())


def test_unet_one_model_for_every_image_size(exported, tmp_path):
    model = exported("unet")
    dims = parse_dims(["H=96,64..256/32", "W=160,64..256/32"])
    result = compile_symbolic(model, tmp_path / "m", split_shapes("x=1x3xHxW"), dims)
    report = verify(tmp_path / "m", model)
    assert report.passed, report.table()
    assert _sizes_checked(report) == {"H=64,W=64", "H=96,W=160", "H=256,W=256"}
    assert result.manifest["outputs"][0]["symbolic_shape"] == [1, 4, "H", "W"]
    interps = [line for line in result.param.read_text().splitlines() if line.startswith("Interp")]
    assert len(interps) == 2 and all(" 1=2.0 2=2.0" in line and " 3=" not in line for line in interps)


def test_yolo_head_grids_built_at_run_time(exported, tmp_path):
    """Strides 8/16/32, grids from Shape → Range → meshgrid: each grid is stored for the largest
    size and cropped at run time to its feature map (a Crop whose ends are that map's h and w),
    so one model runs at 320×320, 384×640 and 640×640."""
    model = exported("yolo")
    dims = parse_dims(["H=384,320..640/32", "W=640,320..640/32"])
    result = compile_symbolic(model, tmp_path / "m", split_shapes("x=1x3xHxW"), dims)
    report = verify(tmp_path / "m", model)
    assert report.passed, report.table()
    assert _sizes_checked(report) == {"H=320,W=320", "H=384,W=640", "H=640,W=640"}
    assert {r.mode for r in report.rows} | set(report.skipped) == {"cpu", "vulkan-fp32", "vulkan-fp16"}
    assert result.manifest["outputs"][0]["symbolic_shape"] == [1, 6, "H*W/64+H*W/256+H*W/1024"] or (
        evaluate(result.manifest["outputs"][0]["symbolic_shape"][2], {"H": 384, "W": 640}) == 48 * 80 + 24 * 40 + 12 * 20
    )
    crops = [line for line in result.param.read_text().splitlines() if line.startswith("Crop") and '20="1h,1w"' in line]
    assert len(crops) == 3
    assert result.manifest["dims"]["H"]["max_is_limit"] and result.manifest["dims"]["W"]["max_is_limit"]


def test_grid_without_a_range_is_refused_naming_the_dim_and_layer(exported, tmp_path):
    with pytest.raises(NccError, match=r"MemoryData '[^']+' depends on dim [HW] .*give [HW] a range .*static --input-shape"):
        compile_symbolic(exported("yolo"), tmp_path / "m", split_shapes("x=1x3xHxW"), parse_dims(["H=320", "W=320"]))
    assert not (tmp_path / "m").exists()


def test_grid_whose_values_follow_the_size_is_refused(exported, tmp_path):
    with pytest.raises(NccError, match=r"MemoryData '[^']+' depends on dim [HW] .*not a corner .*static --input-shape"):
        compile_symbolic(exported("yolo-reversed"), tmp_path / "m", split_shapes("x=1x3xHxW"),
                         parse_dims(["H=320,320..640/32", "W=320,320..640/32"]))  # fmt: skip


def test_slices_and_reshapes_become_size_expressions(exported, tmp_path):
    """Crop ends H/2, H-1, W-2 and a Reshape to (2, 2·(H/2), W) with -1 already used are written
    as ncnn size expressions of the layer's input dims, and compute the right thing at sizes
    never compiled."""
    model = exported("slicer")
    dims = parse_dims(["H=32,16..96/16", "W=48,32..96/16"])
    result = compile_symbolic(model, tmp_path / "m", split_shapes("x=1x3xHxW"), dims)
    report = verify(tmp_path / "m", model)
    assert report.passed, report.table()
    assert _sizes_checked(report) == {"H=16,W=32", "H=32,W=48", "H=96,W=96"}
    text = result.param.read_text()
    assert '20="//(0h,2)"' in text and '6="-1,*(0h,4),2"' in text, text
    assert any(line.startswith("Interp") and '9="0w,+(0h,4)"' in line for line in text.splitlines()), text
    assert [o["symbolic_shape"] for o in result.manifest["outputs"]] == [[1, 2, "2*H", "W"], [1, 8, "H-2", "W-4"], [1, 8, "H+4", "W"]]


def test_run_refuses_a_size_above_a_grids_maximum():
    from ncc.symbolic import dims_from_inputs

    manifest = {"inputs": [{"name": "x", "symbolic_shape": [1, 3, "H", "W"]}],
                "dims": {"H": {"max": 640, "max_is_limit": True}, "W": {"max": 640}}}  # fmt: skip
    assert dims_from_inputs(manifest, {"x": np.zeros((1, 3, 640, 800))}) == {"H": 640, "W": 800}
    with pytest.raises(NccError, match=r"dim H is 672, above 640"):
        dims_from_inputs(manifest, {"x": np.zeros((1, 3, 672, 320))})


def test_size_expression_semantics(tmp_path):
    """What ncnn's expression evaluator computes, measured on the runtime (CPU, Vulkan fp32 and
    fp16): which blob `0c`/`1h` name (channels unpacked), `//` truncation, w-first lists for
    Reshape / Interp, per-axis Crop lists in Mat order."""
    from ncc.dialects.ncnn.size_expr import evaluate_size_expr
    from ncc.runtime.ncnn_runner import NO_DEVICE

    x = np.arange(16 * 6 * 8, dtype=np.float32).reshape(16, 6, 8)  # 16 channels: packed on CPU and GPU
    y = np.zeros((4, 3, 5), np.float32)
    cases = {  # layer line tail → the expected output (numpy)
        'Reshape r{i} 1 1 x{i} o{i} 6="-1,0h,0c"': x,
        'Reshape r{i} 1 1 x{i} o{i} 6="//(0w,2),*(0h,2),0c"': x.reshape(16, 12, 4),
        'Reshape r{i} 1 1 x{i} o{i} 6="*(0w,0h),-1"': x.reshape(16, 48),
        'Reshape r{i} 2 1 x{i} y{i} o{i} 6="*(0w,0h),1c,-1"': x.reshape(4, 4, 48),
        'Crop c{i} 1 1 x{i} o{i} 19="0" 20="//(0h,2)" 21="1"': x[:, :3],
        'Crop c{i} 1 1 x{i} o{i} 19="1" 20="-(0w,1)" 21="2"': x[:, :, 1:7],
        'Crop c{i} 1 1 x{i} o{i} 19="0" 20="//(0c,3)" 21="0"': x[:5],
        'Crop c{i} 2 1 x{i} y{i} o{i} 19="0,0" 20="1h,1w" 21="1,2"': x[:, :3, :5],
        'Interp p{i} 1 1 x{i} o{i} 0=1 9="*(0w,2),*(0h,2)"': x.repeat(2, 1).repeat(2, 2),
        # nearest from 6x8 to 12x10: source index int(dst * in/out) in float32 (interp.cpp)
        'Interp p{i} 2 1 x{i} y{i} o{i} 0=1 9="*(1w,2),*(1h,4)"': x[:, (np.arange(12) * np.float32(6 / 12)).astype(int)][
            :, :, (np.arange(10) * np.float32(8 / 10)).astype(int)
        ],
    }
    n = len(cases)
    lines = ["Input in0 0 1 x", "Input in1 0 1 y", f"Split sx 1 {n} x " + " ".join(f"x{i}" for i in range(n)),
             f"Split sy 1 {n} y " + " ".join(f"y{i}" for i in range(n))]  # fmt: skip
    lines += [tail.format(i=i) for i, tail in enumerate(cases)]
    param = tmp_path / "e.param"
    param.write_text(f"7767517\n{len(lines)} {2 + 3 * n}\n" + "\n".join(lines) + "\n")
    (tmp_path / "e.bin").write_bytes(b"")
    np.savez(tmp_path / "in.npz", x=x, y=y)
    for mode in ("cpu", "vulkan-fp32", "vulkan-fp16"):
        cmd = [sys.executable, "-m", "ncc.runtime.ncnn_runner", str(param), str(tmp_path / "e.bin"), str(tmp_path / "in.npz"),
               str(tmp_path / "out.npz"), "--mode", mode, "--extract", *[f"o{i}" for i in range(n)]]  # fmt: skip
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if proc.returncode == NO_DEVICE:
            continue
        assert proc.returncode == 0, proc.stderr[-2000:]
        with np.load(tmp_path / "out.npz") as z:
            for i, (tail, want) in enumerate(cases.items()):
                got = z[f"o{i}"]
                assert got.shape == want.shape, (mode, tail, got.shape, want.shape)
                assert np.allclose(got, want, rtol=2e-3 if mode == "vulkan-fp16" else 0), (mode, tail)
    assert evaluate_size_expr("//(*(0w,3),2)", [(16, 6, 8)]) == 12
    assert evaluate_size_expr("-(0h,1)", [(16, 6, 8)]) == 5
    assert evaluate_size_expr("*(1c,0w)", [(16, 6, 8), (4, 3, 5)]) == 32


def test_a_dim_static_in_the_file_cannot_be_symbolic(exported, tmp_path):
    with pytest.raises(NccError, match=r"axis 3 is 160 in the model file"):
        compile_symbolic(exported("crnn-static"), tmp_path / "m", split_shapes("x=1x1x32xW"), parse_dims(["W=160"]))


def test_cli_compile_verify_and_run_any_size(exported, tmp_path):
    import onnxruntime as ort

    model = exported("crnn")
    cmd = [sys.executable, "-m", "ncc", "compile", str(model), "-o", str(tmp_path / "m"),
           "--input-shape", "x=1x1x32xW", "--dim", "W=160,64..480/32", "--verify"]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "W=480" in proc.stdout and "verify: PASS" in proc.stdout
    manifest = json.loads(next((tmp_path / "m").glob("*.ncnn.json")).read_text())
    assert manifest["dims"]["W"]["verified"] == [64, 160, 480]

    x = np.random.default_rng(3).standard_normal((1, 1, 32, 224)).astype(np.float32)  # a width never compiled
    np.save(tmp_path / "x.npy", x)
    run = [sys.executable, "-m", "ncc", "run", str(tmp_path / "m"), "--input", f"x={tmp_path / 'x.npy'}", "-o", str(tmp_path / "r")]
    proc = subprocess.run(run, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    got = np.load(next((tmp_path / "r").glob("*.npy")))
    sess = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    (want,) = sess.run(None, {"x": x})
    assert got.shape == want.shape == (1, 56, 40)
    assert np.max(np.abs(got - want)) <= 1e-4 * np.max(np.abs(want))


def test_dim_syntax_and_expressions():
    d = parse_dims(["H=32..1280/32", "W=320", "T=40,20..80/20"])
    assert (d["H"].value, d["H"].lo, d["H"].hi, d["H"].multiple) == (640, 32, 1280, 32)
    assert d["W"].samples() == [160, 320, 640]
    assert d["T"].samples() == [20, 40, 80]
    for bad in ["H", "H=0", "H=33,32..64/32", "H=10,20..40", "3H=4"]:
        with pytest.raises(NccError):
            parse_dims([bad])
    assert split_shapes("x=1x3xHxW;m=1x16") == {"x": [1, 3, "H", "W"], "m": [1, 16]}
    assert evaluate("W/4", {"W": 224}) == 56
    assert evaluate("3*H/2-1", {"H": 64}) == 95
    assert evaluate("H*W/64", {"H": 64, "W": 32}) == 32
    assert Dim("H", 64, multiple=32).other() == 128


def test_a_symbol_without_a_size_is_named(exported, tmp_path):
    with pytest.raises(NccError, match=r"--dim W=VALUE"):
        compile_symbolic(exported("crnn"), tmp_path / "m", split_shapes("x=1x1x32xW"), {})


def test_python_api_takes_dims(exported, tmp_path):
    import ncc

    result = ncc.compile(exported("crnn"), None, tmp_path / "m", input_shapes="x=1x1x32xW", dims=["W=96,64..128/32"])
    assert result.manifest["outputs"][0]["symbolic_shape"] == [1, "W/4", 40]
    report = ncc.verify(result)
    assert report.passed, report.table()
    assert {r.size for r in report.rows} == {"W=64", "W=96", "W=128"}


@pytest.fixture(scope="module")
def tscan(tmp_path_factory) -> Path:
    """TS-CAN over N frames (segments of 20, temporal shift as slice assignment), N dynamic."""
    import importlib.util

    import torch

    path = tmp_path_factory.getbasetemp() / "tscan-dynamic-n.onnx"
    if not path.exists():
        spec = importlib.util.spec_from_file_location("ncc_examples_rppg", Path(__file__).resolve().parents[2] / "examples" / "efficientphys.py")
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        torch.manual_seed(0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(mod.TSCAN(frame_depth=20, img_size=36).eval(), (torch.rand(20, 6, 36, 36),), str(path),
                              input_names=["x"], dynamo=False, opset_version=13, dynamic_axes={"x": {0: "N"}})  # fmt: skip
    return path


@pytest.mark.parametrize("strategy", ["batch-axis", "conv3d"])
def test_rppg_one_model_for_every_frame_count(tscan, tmp_path, strategy):
    """The temporal shift is planned once per segment of 20 frames on the (N/20, 20, …) view, so
    the graph is the same for every N and the segment count is a Reshape's -1: one model runs 20,
    40 and 80 frames under the strategies whose layers follow the frame count."""
    from ncc.driver import with_batch_strategy

    result = compile_symbolic(tscan, tmp_path / "m", split_shapes("x=Nx6x36x36"), parse_dims(["N=40,20..80/20"]),
                              passes=with_batch_strategy(None, strategy))  # fmt: skip
    report = verify(tmp_path / "m", tscan)
    assert report.passed, report.table()
    assert _sizes_checked(report) == {"N=20", "N=40", "N=80"}
    assert {r.mode for r in report.rows} | set(report.skipped) == {"cpu", "vulkan-fp32", "vulkan-fp16"}
    assert result.manifest["outputs"][0]["symbolic_shape"] == ["N", 1]


def test_rppg_grouped_strategy_is_refused_naming_the_dim_and_layer(tscan, tmp_path):
    """`grouped` repeats each conv's weight once per frame: the weights follow N."""
    from ncc.driver import with_batch_strategy

    with pytest.raises(NccError, match=r"weights of ncnn layer ConvolutionDepthWise '[^']+' depend on dim N .*static --input-shape"):
        compile_symbolic(tscan, tmp_path / "m", split_shapes("x=Nx6x36x36"), parse_dims(["N=40,20..80/20"]),
                         passes=with_batch_strategy(None, "grouped"))  # fmt: skip

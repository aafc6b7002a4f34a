"""`ncc compile file.py:NAME` / `model.pt2` and `ncc verify --model …`: routing, errors, and
loading that never runs a pickle. Most tests call `ncc.cli.main` in-process (one torch
import for the file) and use the TorchScript exporter where the exporter is not the point
(it takes ~0.1 s; dynamo takes seconds). Two run the installed command in a subprocess: the
import-cost check and the exit code / stderr of an export error."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from ncc.cli import main  # noqa: E402
from ncc.frontends.torch import is_torch_spec  # noqa: E402

REPO = Path(__file__).resolve().parents[2]

MODEL_PY = textwrap.dedent(
    """
    import torch
    from torch import nn
    import torch.nn.functional as F


    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 8, 3, padding=1)
            self.fc = nn.Linear(8, 4)

        def forward(self, x):
            y = F.relu6(self.conv(x) * 4.0)
            return self.fc(y.mean(dim=(2, 3)))


    def make():
        return Net()


    class NeedsArgs(nn.Module):
        def __init__(self, width):
            super().__init__()


    class Branchy(nn.Module):
        def forward(self, x):
            if x.sum() > 0:
                return x * 2
            return x


    class Svd(nn.Module):
        def forward(self, x):
            return torch.linalg.svd(x)[0]
    """
)


class Evil:
    """Unpickling this creates `path`: proof that a pickle ran."""

    def __init__(self, path: Path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


@pytest.fixture
def model_py(tmp_path: Path) -> Path:
    path = tmp_path / "net.py"
    path.write_text(MODEL_PY)
    return path


def _net(model_py: Path):
    """The Net class of the user file, imported the way ncc does it."""
    from ncc.frontends.torch import load_python_model

    return load_python_model(model_py, "Net")


def run_cli(capfd, *args: str) -> tuple[int, str, str]:
    rc = main([str(a) for a in args])
    out, err = capfd.readouterr()
    return rc, out, err


def _pt2(model_py: Path, dest: Path) -> Path:
    torch.manual_seed(0)
    model = _net(model_py).eval()
    ep = torch.export.export(model, (torch.randn(1, 3, 8, 8),))
    torch.export.save(ep, str(dest))
    return dest


def _rewrite_zip(src: Path, dst: Path, replace: dict) -> None:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_STORED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            for suffix, fn in replace.items():
                if info.filename.endswith(suffix):
                    data = fn(data)
            zout.writestr(info.filename, data)


def _evil_bytes(marker: Path) -> bytes:
    buf = io.BytesIO()
    torch.save(Evil(marker), buf)
    return buf.getvalue()


# --------------------------------------------------------------------------- import and routing


def test_import_ncc_does_not_import_torch_or_onnx() -> None:
    code = textwrap.dedent(
        """
        import sys
        import ncc
        assert ncc.__version__ == "0.1.0"
        from ncc.verify import run_ncnn  # the submodule stays importable ...
        assert ncc.verify.__module__ == "ncc.api" and callable(ncc.compile)  # ... and ncc.verify is the API
        assert ncc.CompileResult.__name__ == "CompileResult"
        heavy = [m for m in ("torch", "onnx") if m in sys.modules]
        assert not heavy, heavy
        """
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_onnx_compile_does_not_import_torch(tmp_path: Path) -> None:
    code = textwrap.dedent(
        f"""
        import sys
        from ncc.cli import main
        assert main(["compile", {str(REPO / "examples" / "tinynet.onnx")!r}, "-o", {str(tmp_path / "out")!r}]) == 0
        assert "torch" not in sys.modules
        """
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("net.py:Net", True), ("dir/my model.py:make_net", True), ("model.pt2", True),
        ("model.pt", True), ("weights.pth", True), ("model.onnx", False), ("net.py", False),
        ("net.py:", False), ("net.py:1abc", False),
    ],
)  # fmt: skip
def test_is_torch_spec(spec: str, expected: bool) -> None:
    assert is_torch_spec(spec) is expected


# --------------------------------------------------------------------------- compile


def test_compile_class_torchscript_verify(capfd, model_py: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    rc, stdout, err = run_cli(
        capfd, "compile", f"{model_py}:Net", "-o", out, "--input-shape", "x=1x3x8x8",
        "--export", "torchscript", "--verify",
    )  # fmt: skip
    assert rc == 0, err
    assert err == ""  # torch's warnings stay off the terminal
    assert f"ncc: compiled {model_py}:Net → {out / 'Net.ncnn.param'}" in stdout
    assert "verify: PASS" in stdout and "vulkan-fp16" in stdout
    m = json.loads((out / "Net.ncnn.json").read_text())
    assert m["source"] == f"{model_py.resolve()}:Net"
    assert m["frontend"]["export"] == "torchscript" and m["frontend"]["opset"] == 17
    assert [i["name"] for i in m["inputs"]] == ["x"] and m["inputs"][0]["shape"] == [1, 3, 8, 8]
    assert [o["name"] for o in m["outputs"]] == ["output"]


def test_factory_dynamo_state_dict_and_verify_later(capfd, model_py: Path, tmp_path: Path) -> None:
    """A factory function, weights from --state-dict, the dynamo exporter; `ncc verify` later
    needs the model named again (and its weights: without them the check fails)."""
    torch.manual_seed(3)
    weights = tmp_path / "w.pt"
    net = _net(model_py)
    with torch.no_grad():  # trained weights: not the seeded initialisation ncc builds without them
        for p in net.parameters():
            p.add_(torch.randn_like(p))
    torch.save(net.state_dict(), weights)
    out = tmp_path / "out"
    rc, _, err = run_cli(
        capfd, "compile", f"{model_py}:make", "-o", out, "--input-shape", "x=1x3x8x8", "--state-dict", weights
    )
    assert rc == 0, err
    assert json.loads((out / "make.ncnn.json").read_text())["frontend"]["export"] == "dynamo"

    rc, _, err = run_cli(capfd, "verify", out)
    assert rc == 1
    assert "ncc does not run code named by a manifest" in err and "--model" in err

    rc, stdout, err = run_cli(capfd, "verify", out, "--model", f"{model_py}:make", "--state-dict", weights)
    assert rc == 0, stdout + err
    assert "verify: PASS" in stdout

    rc, stdout, _ = run_cli(capfd, "verify", out, "--model", f"{model_py}:make")  # initial weights, not these
    assert rc == 1 and "verify: FAIL" in stdout


def test_compile_pt2_and_verify_from_manifest(capfd, model_py: Path, tmp_path: Path) -> None:
    pt2 = _pt2(model_py, tmp_path / "net.pt2")
    out = tmp_path / "out"
    rc, stdout, err = run_cli(capfd, "compile", pt2, "-o", out, "--verify")
    assert rc == 0, err
    assert "verify: PASS" in stdout
    assert json.loads((out / "net.ncnn.json").read_text())["source"] == str(pt2.resolve())
    rc, stdout, err = run_cli(capfd, "verify", out)  # a .pt2 is data: reloaded safely from the manifest
    assert rc == 0, err
    assert "verify: PASS" in stdout


def test_stop_after(capfd, model_py: Path, tmp_path: Path) -> None:
    out = tmp_path / "ir"
    rc, stdout, err = run_cli(
        capfd, "compile", f"{model_py}:Net", "-o", out, "--input-shape", "x=1x3x8x8",
        "--export", "torchscript", "--stop-after", "onnx-simplify",
    )  # fmt: skip
    assert rc == 0, err
    assert "onnx.Conv" in (out / "Net.mlir").read_text()


def test_onnx_route_unchanged(capfd, tmp_path: Path) -> None:
    model = REPO / "examples" / "tinynet.onnx"
    out = tmp_path / "out"
    rc, stdout, err = run_cli(capfd, "compile", model, "-o", out)
    assert rc == 0, err
    assert stdout.startswith(f"ncc: compiled {model} → {out / 'tinynet.ncnn.param'} (")
    m = json.loads((out / "tinynet.ncnn.json").read_text())
    assert "frontend" not in m and m["source"] == str(model.resolve())


# --------------------------------------------------------------------------- user errors


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ([], "net.py:Net: no shape for input(s) x: give --input-shape x=1x3x224x224"),
        (["--input-shape", "x=1x3x8x8", "--input-shape", "y=3"], "--input-shape names y, but the model's inputs are x"),
    ],
)
def test_input_shape_errors(capfd, model_py: Path, tmp_path: Path, extra, message) -> None:
    rc, _, err = run_cli(capfd, "compile", f"{model_py}:Net", "-o", tmp_path / "out", *extra)
    assert rc == 1
    assert err.startswith("ncc: error: ") and message in err, err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Nope", "defines no 'Nope' (nn.Module classes in it: Branchy, NeedsArgs, Net, Svd)"),
        ("NeedsArgs", "NAME must build with no arguments"),
    ],
)
def test_name_errors(capfd, model_py: Path, tmp_path: Path, name: str, message: str) -> None:
    rc, _, err = run_cli(capfd, "compile", f"{model_py}:{name}", "-o", tmp_path / "out")
    assert rc == 1 and message in err, err


def test_torch_options_are_refused_for_onnx(capfd, tmp_path: Path) -> None:
    rc, _, err = run_cli(
        capfd, "compile", REPO / "examples" / "tinynet.onnx", "-o", tmp_path / "o", "--export", "torchscript"
    )
    assert rc == 1 and "are for PyTorch models" in err


def test_dynamo_export_error(capfd, model_py: Path, tmp_path: Path) -> None:
    """torch.export refuses data-dependent control flow: one line, torch's reason, the user's
    source line, and nothing else on the terminal."""
    rc, stdout, err = run_cli(capfd, "compile", f"{model_py}:Branchy", "-o", tmp_path / "out", "--input-shape", "x=1x4")
    assert rc == 1
    assert stdout == ""
    assert err.count("\n") == 1, err
    assert err.startswith(f"ncc: export error: {model_py}:Branchy: dynamo export failed: GuardOnDataDependentSymNode")
    assert f"(at {model_py}:" in err and "in forward)" in err
    assert not (tmp_path / "out").exists()


def test_torchscript_export_error_in_a_subprocess(model_py: Path, tmp_path: Path) -> None:
    proc = subprocess.run(
        ["ncc", "compile", f"{model_py}:Svd", "-o", str(tmp_path / "out"), "--input-shape", "x=3x3",
         "--export", "torchscript"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"ncc: export error: {model_py}:Svd: torchscript export failed: ")
    assert "linalg_svd" in lines[0] and "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- no pickles run


def test_pickled_module_is_refused(capfd, model_py: Path, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    path = tmp_path / "model.pt"
    torch.save(Evil(marker), path)
    rc, _, err = run_cli(capfd, "compile", path, "-o", tmp_path / "out")
    assert rc == 1 and "--state-dict" in err and ".pt2" in err
    assert not marker.exists()


def test_state_dict_with_code_is_refused(capfd, model_py: Path, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    path = tmp_path / "w.pt"
    torch.save({"conv.weight": Evil(marker)}, path)
    rc, _, err = run_cli(
        capfd, "compile", f"{model_py}:Net", "-o", tmp_path / "out", "--input-shape", "x=1x3x8x8", "--state-dict", path
    )
    assert rc == 1, err
    assert "cannot be read as a weights-only state dict" in err and "io.open" in err
    assert not marker.exists()


def _with_pickled_weight(data: bytes) -> bytes:
    config = json.loads(data)
    config["config"]["conv.weight"]["use_pickle"] = True
    return json.dumps(config).encode()


@pytest.mark.parametrize("where", ["sample_inputs", "weights"])
def test_pt2_with_a_code_pickle_is_refused(capfd, model_py: Path, tmp_path: Path, where: str) -> None:
    """torch.export.load would unpickle these payloads with weights_only=False (the sample
    inputs as a fallback, pickled weights directly); ncc refuses them, and the marker proves
    that plain torch.export.load does run the payload."""
    marker = tmp_path / "ran"
    good = _pt2(model_py, tmp_path / "good.pt2")
    evil = tmp_path / "evil.pt2"
    if where == "sample_inputs":
        replace = {"data/sample_inputs/model.pt": lambda _: _evil_bytes(marker)}
    else:
        replace = {
            "data/weights/model_weights_config.json": _with_pickled_weight,
            "data/weights/weight_0": lambda _: _evil_bytes(marker),
        }
    _rewrite_zip(good, evil, replace)

    rc, _, err = run_cli(capfd, "compile", evil, "-o", tmp_path / "out")
    assert rc == 1
    assert "refused (weights_only=True)" in err and "io.open" in err, err
    assert not marker.exists()

    with pytest.raises(Exception):  # noqa: B017,PT011 - torch fails after running the payload
        torch.export.load(str(evil))
    assert marker.exists(), "the test payload did not run under plain torch.export.load"


def test_pt2_with_aoti_code_is_refused(capfd, model_py: Path, tmp_path: Path) -> None:
    good = _pt2(model_py, tmp_path / "good.pt2")
    evil = tmp_path / "aoti.pt2"
    _rewrite_zip(good, evil, {})
    with zipfile.ZipFile(evil, "a") as z:
        root = z.namelist()[0].split("/", 1)[0]
        z.writestr(f"{root}/data/aotinductor/model/model.so", b"\x7fELF")
    rc, _, err = run_cli(capfd, "compile", evil, "-o", tmp_path / "out")
    assert rc == 1 and "AOTInductor compiled code" in err, err


def test_env_untouched_after_pt2_load(model_py: Path, tmp_path: Path) -> None:
    """The weights_only override is scoped to the load."""
    from ncc.frontends.torch import load_exported_program

    before = torch.load
    load_exported_program(_pt2(model_py, tmp_path / "m.pt2"))
    assert torch.load is before

"""How long `ncc compile` takes, against pnnx on the same ONNX files: figures, not a test.

    python benchmarks/compile_time.py [--rounds 5] [--zoo] [--onnx a.onnx,b.onnx] [--no-pnnx]
                                      [--cache /tmp/ncc-compile-time]

Prints
- start-up: `ncc compile` of a one-layer model (one Conv), wall time of the child process;
- per model: `ncc compile MODEL -o DIR` (no options: the user's default cost; it does not verify)
  vs pnnx (`pnnx model.onnx fp16=0`, the binary itself, as benchmarks/zoo.py runs it), and
  their ratio; models are the synthetic ones below, `--zoo` adds ResNet-50, ConvNeXt-Tiny and
  ViT-B/16 (timm, random weights, torchscript export, cached under --cache), `--onnx` any files;
- a synthetic 5,000-node graph (1,250 × Conv 1×1 → Add → Mul → Relu on 8 channels);
- the per-phase breakdown of one in-process compile of each model: onnx.load, import into
  the IR, every pass of the default pipeline, emit, write.

Timings are wall-clock medians of `--rounds` runs, ncc and pnnx interleaved (ncc, pnnx, ncc, …)
so that both see the same machine load; the machine this runs on is often shared, so read the
ratios rather than the absolute figures. The children run with bytecode caching on (a private
PYTHONPYCACHEPREFIX, warmed by one untimed run), as an installed package runs.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SMALL_MB = 10.0
"""Models with more weight bytes than this are 'large' (target: ncc ≤ 0.5× pnnx; else ≤ 1×)."""


# ------------------------------------------------------------------------------ models


def _save(graph, path: Path) -> None:
    import onnx
    from onnx import helper

    # IR version 8: pnnx's bundled onnxruntime refuses the newest (onnx.helper's default)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    onnx.save(model, str(path))


def one_layer(path: Path) -> Path:
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    w = numpy_helper.from_array(np.random.default_rng(0).standard_normal((8, 3, 3, 3)).astype(np.float32), "w")
    g = helper.make_graph(
        [helper.make_node("Conv", ["x", "w"], ["y"], pads=[1, 1, 1, 1])], "one",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 32, 32])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8, 32, 32])], [w],
    )  # fmt: skip
    _save(g, path)
    return path


def chain(path: Path, blocks: int = 1250, channels: int = 8) -> Path:
    """4 × `blocks` nodes: Conv 1×1 (with bias) → Add → Mul → Relu, repeated."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    nodes, inits, cur, c = [], [], "x", channels
    for i in range(blocks):
        inits += [
            numpy_helper.from_array((rng.standard_normal((c, c, 1, 1)) * 0.3).astype(np.float32), f"w{i}"),
            numpy_helper.from_array((rng.standard_normal((c,)) * 0.1).astype(np.float32), f"b{i}"),
            numpy_helper.from_array((rng.standard_normal((1, c, 1, 1)) * 0.1).astype(np.float32), f"a{i}"),
            numpy_helper.from_array(np.full((1, c, 1, 1), 0.9, np.float32), f"m{i}"),
        ]
        nodes += [
            helper.make_node("Conv", [cur, f"w{i}", f"b{i}"], [f"c{i}"]),
            helper.make_node("Add", [f"c{i}", f"a{i}"], [f"d{i}"]),
            helper.make_node("Mul", [f"d{i}", f"m{i}"], [f"e{i}"]),
            helper.make_node("Relu", [f"e{i}"], [f"r{i}"]),
        ]
        cur = f"r{i}"
    g = helper.make_graph(
        nodes, "chain", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, c, 16, 16])],
        [helper.make_tensor_value_info(cur, TensorProto.FLOAT, [1, c, 16, 16])], inits,
    )  # fmt: skip
    _save(g, path)
    return path


ZOO = {"resnet50": "resnet50", "convnext_tiny": "convnext_tiny", "vit_base": "vit_base_patch16_224"}


def zoo_model(name: str, cache: Path) -> Path:
    """timm model NAME with random weights, exported once (torchscript) into `cache`."""
    path = cache / f"{name}.onnx"
    if path.is_file():
        return path
    sys.path.insert(0, str(REPO / "tests" / "zoo"))
    import onnx
    import torch
    from catalog import import_torchvision

    from ncc.frontends.torch import export_onnx

    import_torchvision()
    import timm

    torch.manual_seed(0)
    model = timm.create_model(ZOO[name], pretrained=False).eval()
    proto, _ = export_onnx(model, (torch.randn(1, 3, 224, 224),), export="torchscript", label=name)
    onnx.save(proto, str(path))
    return path


# ------------------------------------------------------------------------------ timing


def _env(pyc: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(pyc)
    return env


def _pnnx_binary() -> str | None:
    try:
        import pnnx
    except ImportError:
        return None
    exe = Path(pnnx.__file__).parent / "pnnx"
    return str(exe) if exe.is_file() else None


def run_ncc(model: Path, out: Path, env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "ncc", "compile", str(model), "-o", str(out)], env=env, capture_output=True, text=True
    )
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"ncc compile {model.name} failed: {proc.stderr.strip().splitlines()[-1:]}")
    return wall


def run_pnnx(exe: str, model: Path, out: Path) -> float | None:
    out.mkdir(parents=True, exist_ok=True)
    local = out / "model.onnx"
    if not local.exists():
        os.symlink(model.resolve(), local)
    t0 = time.perf_counter()
    proc = subprocess.run([exe, local.name, "fp16=0"], cwd=out, capture_output=True)
    wall = time.perf_counter() - t0
    return wall if proc.returncode == 0 and (out / "model.ncnn.param").is_file() else None


def phases(model: Path, out: Path) -> list[tuple[str, float]]:
    """One in-process compile, timed by phase (the passes by the driver's own stats)."""
    from ncc.driver import run_pipeline
    from ncc.emit.ncnn_files import emit_model, write_model_dir
    from ncc.frontends.onnx import import_model, load_onnx

    rows: list[tuple[str, float]] = []
    t0 = time.perf_counter()
    proto = load_onnx(model)
    rows.append(("onnx.load", time.perf_counter() - t0))
    t0 = time.perf_counter()
    module = import_model(proto)
    rows.append(("import", time.perf_counter() - t0))
    del proto
    _, stats = run_pipeline(module)
    rows += [(s.name, s.seconds) for s in stats]
    t0 = time.perf_counter()
    emitted = emit_model(module, model.stem)
    rows.append(("emit", time.perf_counter() - t0))
    t0 = time.perf_counter()
    write_model_dir(emitted, out, model.stem)
    rows.append(("write", time.perf_counter() - t0))
    return rows


def _weights_mb(model: Path) -> float:
    import onnx

    graph = onnx.load(str(model), load_external_data=False).graph
    return sum(t.ByteSize() for t in graph.initializer) / 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5, help="timed runs per converter and model (median)")
    ap.add_argument("--zoo", action="store_true", help="add ResNet-50, ConvNeXt-Tiny, ViT-B/16 (exported once)")
    ap.add_argument("--onnx", default="", help="comma-separated ONNX files to add")
    ap.add_argument("--no-pnnx", action="store_true", help="time ncc only")
    ap.add_argument("--no-phases", action="store_true", help="skip the per-phase breakdown")
    ap.add_argument("--cache", default=os.path.join(tempfile.gettempdir(), "ncc-compile-time"))
    a = ap.parse_args()

    cache = Path(a.cache)
    cache.mkdir(parents=True, exist_ok=True)
    models: dict[str, Path] = {"one-layer": one_layer(cache / "one_layer.onnx")}
    if a.zoo:
        models.update({name: zoo_model(name, cache) for name in ZOO})
    for f in filter(None, a.onnx.split(",")):
        models[Path(f).stem] = Path(f)
    models["chain-5000"] = chain(cache / "chain5000.onnx")

    exe = None if a.no_pnnx else _pnnx_binary()
    env = _env(cache / "pyc")
    work = Path(tempfile.mkdtemp(prefix="ncc-ct-", dir=cache))
    run_ncc(models["one-layer"], work / "warm", env)  # fills the bytecode cache

    print(f"ncc compile vs pnnx: {os.cpu_count()} CPUs, {a.rounds} rounds interleaved, medians of wall seconds")
    head = f"{'model':<16}{'weights MB':>11}{'ncc s':>9}{'pnnx s':>9}{'ncc/pnnx':>10}  target"
    print(head)
    print("-" * len(head))
    ratios: dict[str, list[float]] = {"small": [], "large": []}
    for name, path in models.items():
        mb = _weights_mb(path)
        ncc_t: list[float] = []
        pnnx_t: list[float] = []
        for r in range(a.rounds):
            ncc_t.append(run_ncc(path, work / f"ncc-{name}", env))
            if exe is not None:
                t = run_pnnx(exe, path, work / f"pnnx-{name}")
                if t is not None:
                    pnnx_t.append(t)
        n = statistics.median(ncc_t)
        p = statistics.median(pnnx_t) if pnnx_t else None
        ratio = n / p if p else None
        kind = "large" if mb > SMALL_MB else "small"
        target = "≤ 0.5×" if kind == "large" else "≤ 1×"
        if name == "chain-5000":
            target = "< 10 s"
        elif ratio is not None:
            ratios[kind].append(ratio)
        shown_p = f"{p:9.2f}" if p else f"{'-':>9}"
        shown_r = f"{ratio:10.2f}" if ratio else f"{'-':>10}"
        print(f"{name:<16}{mb:11.1f}{n:9.2f}{shown_p}{shown_r}  {target}", flush=True)
    for kind, rs in ratios.items():
        if rs:
            g = math.exp(sum(map(math.log, rs)) / len(rs))
            print(f"geometric mean ncc/pnnx, {kind} models ({len(rs)}): {g:.2f}")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")

    if a.no_phases:
        return
    for name, path in models.items():
        rows = phases(path, work / f"phases-{name}")
        total = sum(s for _, s in rows)
        print(f"\n{name}: in-process phases, {total:.2f} s in all (one run)")
        for phase, s in rows:
            print(f"  {phase:<28}{s * 1000:9.1f} ms")


if __name__ == "__main__":
    main()

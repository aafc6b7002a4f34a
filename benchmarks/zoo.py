"""ncc vs pnnx on the model zoo: one table, both converters on the same ONNX files in the same run.

    python benchmarks/zoo.py [--models resnet18,vit_tiny] [--exporters dynamo,torchscript]
                             [--repeats 10] [--rounds 3] [--warmup 3] [--json out.json]

For each zoo model (tests/zoo/catalog.py: timm / torchvision / ultralytics, random weights) and
each torch exporter, the ONNX file is written once and given to both `ncc compile` (no options)
and the PyPI `pnnx` (`fp16=0`, so both .bin files hold fp32 weights). Per converter:

- converts? the compile's exit status, wall time and peak memory (each compile is a child
  process; its own peak RSS from wait4);
- loads? / matches? `ncc verify` on both outputs (pnnx's folder gets an ncc manifest naming its
  `in0…`/`out0…` blobs), against the module run eagerly: CPU and Vulkan fp32 within 1e-4,
  Vulkan fp16 within 2e-2;
- ncnn latency with ncc's runner timing mode (`ncc.verify.run_ncnn_blobs(time_runs=…)`, the one
  `ncc compare` uses): CPU fp32 at 1 and 2 threads and Vulkan in ncnn's default (fp16) mode, the
  median of `--rounds` × `--repeats` timed runs after `--warmup`, the rounds interleaved ncc,
  pnnx, ncc, pnnx… so both see the same machine;
- layer count and .bin bytes.

Then the geometric mean of each ncc/pnnx ratio over the models both convert, and the layer
types whose counts differ most (what one fuses that the other does not). Figures, not a test.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "zoo"))

MODES = ("cpu", "vulkan-fp32", "vulkan-fp16")
CONVERTERS = ("ncc", "pnnx")


@dataclass
class Measured:
    converts: bool = False
    error: str = ""
    compile_s: float | None = None
    peak_mb: float | None = None
    layers: int | None = None
    bin_bytes: int | None = None
    histogram: dict[str, int] = field(default_factory=dict)
    match: dict[str, float | None] = field(default_factory=dict)
    """mode → max relative error (None: did not run)."""
    passed: dict[str, bool] = field(default_factory=dict)
    samples: dict[str, list[float]] = field(default_factory=dict)
    """'cpu1' / 'cpu2' / 'vulkan' → seconds of every timed run."""

    def ms(self, key: str) -> float | None:
        s = self.samples.get(key)
        return statistics.median(s) * 1e3 if s else None


@dataclass
class Row:
    model: str
    exporter: str
    ncc: Measured = field(default_factory=Measured)
    pnnx: Measured = field(default_factory=Measured)


# A small launcher between this process and the converter: a child's peak RSS counts the pages
# it had when forked, so a compile forked straight from this process (torch and the models in
# memory) would report this process's size. The launcher's own ~10 MB is the floor instead.
_LAUNCH = """
import resource, subprocess, sys
rc = subprocess.run(sys.argv[2:], cwd=sys.argv[1] or None, stdout=subprocess.DEVNULL).returncode
print(rc, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


# ncc's modules are read from .pyc caches, as after `pip install` (a session that sets
# PYTHONDONTWRITEBYTECODE would otherwise recompile every module in every timed compile)
_PYC_ENV = {"PYTHONDONTWRITEBYTECODE": "", "PYTHONPYCACHEPREFIX": str(Path(tempfile.gettempdir()) / "ncc-zoo-bench-pyc")}


def _child(cmd: list[str], cwd: Path | None = None) -> tuple[int, float, float, str]:
    """Run cmd; (exit code, wall seconds, peak RSS of the child in MB, last line of its stderr)."""
    t = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        proc = subprocess.run(
            [sys.executable, "-c", _LAUNCH, str(cwd or ""), *cmd], stdout=subprocess.PIPE, stderr=err, text=True,
            env={**os.environ, **_PYC_ENV},
        )  # fmt: skip
        wall = time.perf_counter() - t
        err.seek(0)
        tail = err.read().decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
    try:
        rc, peak_kb = (int(x) for x in proc.stdout.split())
    except ValueError:
        return proc.returncode or 1, wall, 0.0, tail[0]
    return rc, wall, peak_kb / 1024, tail[0]


def _pnnx_binary() -> str:
    import pnnx

    # the executable itself (the `pnnx` console script runs it as a grandchild, out of wait4's view)
    return str(Path(pnnx.__file__).parent / "pnnx")


def _onnx_io(path: Path) -> tuple[list[dict], list[dict]]:
    import onnx

    graph = onnx.load(str(path), load_external_data=False).graph
    inits = {t.name for t in graph.initializer}

    def dims(v: Any) -> list[int]:
        return [int(d.dim_value) for d in v.type.tensor_type.shape.dim]

    ins = [{"name": v.name, "shape": dims(v), "dtype": "float32"} for v in graph.input if v.name not in inits]
    outs = [{"name": v.name, "shape": dims(v), "dtype": "float32"} for v in graph.output]
    return ins, outs


def write_pnnx_manifest(folder: Path, stem: str, onnx_path: Path) -> None:
    """An ncc manifest for pnnx's output, so `ncc verify` and the runner read it like ncc's:
    pnnx names blobs in0, in1… / out0, out1… in graph order and drops a leading batch of 1."""
    ins, outs = _onnx_io(onnx_path)
    for i, e in enumerate(ins):
        e["blob"] = f"in{i}"
        e["mat_shape"] = e["shape"][1:] if len(e["shape"]) > 1 and e["shape"][0] == 1 else e["shape"]
    for i, e in enumerate(outs):
        e["blob"] = f"out{i}"
    manifest = {
        "format": "ncc-ncnn-manifest", "version": 1, "param": f"{stem}.ncnn.param",
        "bin": f"{stem}.ncnn.bin", "inputs": ins, "outputs": outs, "source": str(onnx_path),
    }  # fmt: skip
    (folder / f"{stem}.ncnn.json").write_text(json.dumps(manifest, indent=1))


def convert(tool: str, onnx_path: Path, out: Path, m: Measured) -> None:
    out.mkdir(parents=True, exist_ok=True)
    # pnnx names its files after the input's stem, with '-' turned into '_': a plain name
    stem = onnx_path.stem if tool == "ncc" else "model"
    if tool == "ncc":
        cmd = [sys.executable, "-m", "ncc", "compile", str(onnx_path), "-o", str(out)]
        rc, wall, peak, err = _child(cmd)
    else:
        local = out / f"{stem}.onnx"
        local.write_bytes(onnx_path.read_bytes())
        rc, wall, peak, err = _child([_pnnx_binary(), local.name, "fp16=0"], cwd=out)
        if rc == 0 and not (out / f"{stem}.ncnn.param").is_file():
            rc, err = 1, "no .ncnn.param written"
        if rc == 0:
            write_pnnx_manifest(out, stem, onnx_path)
    m.converts = rc == 0
    m.compile_s, m.peak_mb = round(wall, 2), round(peak, 1)
    if rc != 0:
        m.error = err or f"exit code {rc}"
        return
    from ncc.report import model_summary

    summary = model_summary(out / f"{stem}.ncnn.param", out / f"{stem}.ncnn.bin")
    m.layers, m.bin_bytes, m.histogram = summary["layers"], summary["bin_bytes"], summary["layer_histogram"]


def check(out: Path, reference: Any, m: Measured) -> None:
    """`ncc verify` in every mode (one mode at a time only when a run fails outright)."""
    from ncc.errors import NccError
    from ncc.verify import verify

    try:
        report = verify(out, reference=reference)
        per_mode = {mode: report for mode in MODES}
    except NccError:
        per_mode = {}
        for mode in MODES:
            try:
                per_mode[mode] = verify(out, reference=reference, modes=(mode,))
            except NccError as e:
                m.match[mode], m.passed[mode] = None, False
                m.error = m.error or f"{mode}: {e}"
    for mode, report in per_mode.items():
        if mode in report.skipped:
            m.match[mode] = None
            continue
        m.match[mode] = report.worst(mode)
        m.passed[mode] = all(r.passed for r in report.rows if r.mode == mode)


def time_once(out: Path, m: Measured, repeats: int, warmup: int, feed: dict) -> None:
    """One round: CPU fp32 at 1 and 2 threads, then Vulkan (ncnn's default fp16 mode)."""
    from ncc.errors import NccError
    from ncc.verify import load_manifest, run_ncnn_blobs

    manifest, folder = load_manifest(out)
    blobs = [o["blob"] for o in manifest["outputs"]]
    for mode, threads, keys in (("cpu", (1, 2), ("cpu1", "cpu2")), ("vulkan-fp16", (1,), ("vulkan",))):
        try:
            got = run_ncnn_blobs(manifest, folder, feed, mode, blobs, time_runs=repeats, warmup=warmup, time_threads=threads)
        except NccError:
            continue
        if got is None:
            continue
        for key, t in zip(keys, threads, strict=True):
            m.samples.setdefault(key, []).extend(got[1][t])


def geomean(xs: list[float]) -> float | None:
    xs = [x for x in xs if x and x > 0]
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else None


# ------------------------------------------------------------------------------ table

_COLS = [
    ("cpu 1t ms", lambda m: m.ms("cpu1"), ".2f"),
    ("cpu 2t ms", lambda m: m.ms("cpu2"), ".2f"),
    ("vk ms", lambda m: m.ms("vulkan"), ".2f"),
    ("layers", lambda m: m.layers, "d"),
    (".bin MB", lambda m: m.bin_bytes / 1e6 if m.bin_bytes else None, ".2f"),
    ("compile s", lambda m: m.compile_s if m.converts else None, ".1f"),
    ("peak MB", lambda m: m.peak_mb if m.converts else None, ".0f"),
]


def _fmt(v: Any, spec: str) -> str:
    return "–" if v is None else format(v, spec)


def _matches(m: Measured) -> str:
    if not m.converts:
        return "no"
    marks = []
    for mode in MODES:
        ok = m.passed.get(mode)
        marks.append("–" if ok is None else ("✓" if ok else f"✗{_fmt(m.match.get(mode), '.1g')}"))
    return "/".join(marks)


def table(rows: list[Row]) -> str:
    head = ["model", "export", "tool", "converts", "matches cpu/vk32/vk16"] + [c[0] for c in _COLS]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        for tool in CONVERTERS:
            m: Measured = getattr(r, tool)
            cells = [r.model if tool == "ncc" else "", r.exporter if tool == "ncc" else "", tool]
            cells += ["yes" if m.converts else f"no: {m.error[:80]}", _matches(m)]
            cells += [_fmt(get(m), spec) for _, get, spec in _COLS]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def ratios(rows: list[Row]) -> str:
    both = [r for r in rows if r.ncc.converts and r.pnnx.converts]
    out = [f"geometric mean ncc/pnnx over the {len(both)} (model, exporter) pairs both convert:"]
    for name, get, _ in _COLS:
        vals = []
        for r in both:
            a, b = get(r.ncc), get(r.pnnx)
            if a is not None and b:
                vals.append(a / b)
        g = geomean(vals)
        worst = max(vals, default=None)
        out.append(f"  {name:<10} {_fmt(g, '.3f')}   (max {_fmt(worst, '.2f')}, {len(vals)} pairs)")
    return "\n".join(out)


def histogram_diffs(rows: list[Row], top: int = 6) -> str:
    """Per pair: the layer types ncc has more (or fewer) of than pnnx."""
    out = ["layer types whose counts differ (ncc − pnnx):"]
    for r in rows:
        if not (r.ncc.converts and r.pnnx.converts):
            continue
        types = set(r.ncc.histogram) | set(r.pnnx.histogram)
        diff = {t: r.ncc.histogram.get(t, 0) - r.pnnx.histogram.get(t, 0) for t in types}
        diff = {t: d for t, d in diff.items() if d}
        shown = sorted(diff.items(), key=lambda kv: (-abs(kv[1]), kv[0]))[:top]
        out.append(f"  {r.model}/{r.exporter}: " + (", ".join(f"{t} {d:+d}" for t, d in shown) or "same histogram"))
    return "\n".join(out)


# ------------------------------------------------------------------------------ main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", help="comma-separated zoo names (default: all)")
    ap.add_argument("--exporters", default="dynamo,torchscript")
    ap.add_argument("--repeats", type=int, default=10, help="timed runs per round")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved ncc/pnnx timing rounds")
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--keep", help="keep the ONNX files and both converters' outputs here")
    ap.add_argument("--json", help="also write every measurement as JSON (rewritten after each model)")
    ap.add_argument("--from-json", metavar="JSON", help="print the tables of an earlier (or partial) run")
    a = ap.parse_args(argv)
    if a.from_json:
        rows = [_row_from_dict(d) for d in json.loads(Path(a.from_json).read_text())]
        print(table(rows) + "\n\n" + ratios(rows) + "\n\n" + histogram_diffs(rows))
        return 0

    import catalog

    from ncc.verify import load_manifest, make_inputs

    names = a.models.split(",") if a.models else list(catalog.ZOO)
    _warm_pyc_cache()
    exporters = a.exporters.split(",")
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="ncc-zoo-bench-") as tmp:
        root = Path(a.keep) if a.keep else Path(tmp)
        for name in names:
            for exporter in exporters:
                row = Row(name, exporter)
                rows.append(row)
                try:
                    onnx_path, source = catalog.export(name, exporter, root / "onnx")
                except Exception as e:  # noqa: BLE001 - recorded in the table
                    row.ncc.error = row.pnnx.error = f"export: {e}"
                    print(f"{name}/{exporter}: export failed: {e}", file=sys.stderr, flush=True)
                    continue
                reference = source.reference()
                outs = {tool: root / tool / f"{name}-{exporter}" for tool in CONVERTERS}
                for tool in CONVERTERS:
                    m = getattr(row, tool)
                    convert(tool, onnx_path, outs[tool], m)
                    if m.converts:
                        check(outs[tool], reference, m)
                timed = [t for t in CONVERTERS if getattr(row, t).converts]
                if timed:
                    manifest, _ = load_manifest(outs[timed[0]])
                    feed = make_inputs(manifest, 0)
                    for _ in range(a.rounds):
                        for tool in timed:
                            time_once(outs[tool], getattr(row, tool), a.repeats, a.warmup, feed)
                print(table([row]).split("\n", 2)[2], file=sys.stderr, flush=True)
                if a.json:
                    Path(a.json).write_text(json.dumps([asdict(r) for r in rows], indent=1))
    print(f"ncc vs pnnx {_pnnx_version()}, {os.cpu_count()} CPUs, load average at the end "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}; latency: median of {a.rounds}×{a.repeats} "
          f"runs after {a.warmup} warm-up, rounds interleaved ncc/pnnx\n")  # fmt: skip
    print(table(rows))
    print()
    print(ratios(rows))
    print()
    print(histogram_diffs(rows))
    if a.json:
        Path(a.json).write_text(json.dumps([asdict(r) for r in rows], indent=1))
    return 0


def _warm_pyc_cache() -> None:
    """One untimed compile of a one-layer model, so the timed ones start from warm .pyc caches."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    w = numpy_helper.from_array(np.ones((4, 3, 1, 1), np.float32), "w")
    graph = helper.make_graph(
        [helper.make_node("Conv", ["x", "w"], ["y"])], "warm",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 8, 8])], [w],
    )  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "warm.onnx"
        onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
        _child([sys.executable, "-m", "ncc", "compile", str(path), "-o", tmp])


def _row_from_dict(d: dict) -> Row:
    return Row(d["model"], d["exporter"], Measured(**d["ncc"]), Measured(**d["pnnx"]))


def _pnnx_version() -> str:
    from importlib.metadata import version

    return version("pnnx")


if __name__ == "__main__":
    sys.exit(main())

"""fp16 calibration: find the layers that ncnn's fp16 mode gets wrong on sample inputs and run
just those in fp32 (`ncc compile --fp16-calibrate`, `--calibrate NAME=FILE.npy`).

ncnn's default Vulkan mode (and ARMv8.2 CPUs) store and compute in fp16. Two things go wrong:

- **overflow**: a value beyond ±65504 becomes inf, and the output inf or NaN. Found from the
  reference alone: every layer that produces or reads a tensor whose reference values come
  within `FP16_HEADROOM` of the fp16 range (sums inside a layer can exceed its output) is kept
  in fp32.
- **error that dominates the output**: found by running the model in ncnn's fp16 mode and
  comparing every blob with its reference tensor (`ncc verify --bisect`'s analysis): the first
  layer whose blob misses the target while its inputs meet it is kept in fp32; repeated until
  the outputs meet the target or no layer is left to blame.

A kept layer gets the feature mask `31=19` (ncnn's `docs/developer-guide/layer-feat-mask.md`:
1 no fp16 arithmetic, 2 no fp16 storage, 16 no Vulkan). Measured on the ncnn 1.0.20261020 wheel
with Mesa lavapipe: `31=3` alone does not keep a Vulkan layer in fp32 (the outputs stay
inf/NaN, and `31=2` alone crashes shader compilation), while `31=19` runs the layer on the CPU
in fp32, exactly; ncnn moves the blobs between GPU and CPU itself. The cost is those moves and
the CPU time of the kept layers: the report gives the fp16 latency before and after.

The manifest records the result under `precision` (a field added to version 1: readers that
do not know it ignore it).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ncc.dialects.common import NccError

FP16_MAX = 65504.0
FP16_HEADROOM = 4.0
"""A tensor whose reference values exceed FP16_MAX / FP16_HEADROOM counts as overflowing:
the sums inside the layer that makes it (a convolution's partial sums) can go beyond its output."""
KEEP_FP32 = 1 | 2 | 16
"""The feature mask of a kept layer: no fp16 arithmetic, no fp16 storage, no Vulkan."""
FP16_MODE = "vulkan-fp16"


@dataclass
class KeptLayer:
    layer: str
    type: str
    reason: str


@dataclass
class PrecisionReport:
    target: float
    kept: list[KeptLayer] = field(default_factory=list)
    error_before: dict[str, float] = field(default_factory=dict)
    """Per output: max relative error under ncnn's fp16 mode before calibration."""
    error_after: dict[str, float] = field(default_factory=dict)
    latency_before_ms: float | None = None
    latency_after_ms: float | None = None
    device: bool = True
    """False: no Vulkan device; only the reference's overflow analysis ran."""
    rounds: int = 0

    @property
    def passed(self) -> bool:
        return not self.device or all(e <= self.target for e in self.error_after.values())

    def manifest_entry(self) -> dict:
        return {
            "calibrated": True,
            "target": self.target,
            "fp32_layers": [{"layer": k.layer, "type": k.type, "reason": k.reason} for k in self.kept],
            "fp16_error_before": self.error_before,
            "fp16_error_after": self.error_after,
            "featmask": KEEP_FP32,
        }

    def table(self) -> str:
        lines = [f"fp16 calibration (target max_rel {self.target:.0e}): {len(self.kept)} layer(s) kept in fp32"]
        for k in self.kept:
            lines.append(f"  {k.layer:<28} {k.type:<18} {k.reason}")
        if not self.device:
            lines.append("  no Vulkan device: only overflow (from the reference) was checked")
            return "\n".join(lines)
        for name in self.error_before:
            lines.append(
                f"  output {name}: fp16 max_rel {_fmt(self.error_before[name])} → {_fmt(self.error_after.get(name))}"
            )
        if self.latency_before_ms is not None and self.latency_after_ms is not None:
            lines.append(
                f"  {FP16_MODE} latency: {self.latency_before_ms:.2f} ms → {self.latency_after_ms:.2f} ms"
            )
        if not self.passed:
            lines.append("  the target is still missed: no single layer left to blame (the error is spread)")
        return "\n".join(lines)


def _fmt(v: float | None) -> str:
    return "-" if v is None else f"{v:.3g}"


def set_featmask(param_path: str | os.PathLike[str], masks: Mapping[str, int]) -> None:
    """OR `masks` (layer name → feature mask bits) into the `31=` param of those layers of a
    `.param` file, in place."""
    path = Path(param_path)
    lines = path.read_text().split("\n")
    found: set[str] = set()
    for i, line in enumerate(lines[2:], start=2):
        tok = line.split()
        if len(tok) < 4 or tok[1] not in masks:
            continue
        found.add(tok[1])
        mask = masks[tok[1]]
        rest = []
        for t in tok[4 + int(tok[2]) + int(tok[3]) :]:
            if t.startswith("31="):
                mask |= int(t[3:])
            else:
                rest.append(t)
        lines[i] = " ".join(tok[: 4 + int(tok[2]) + int(tok[3])] + rest + [f"31={mask}"])
    missing = set(masks) - found
    if missing:
        raise NccError(f"{path.name} has no layer(s) {sorted(missing)}")
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text("\n".join(lines))
    os.replace(tmp, path)


def _overflowing_layers(layers: list, tensors: Mapping[str, dict], ref: Mapping[str, np.ndarray]) -> dict[str, str]:
    """Layers that make or read a blob whose reference values leave fp16's safe range
    (looking through Split, whose copies carry the same values)."""
    limit = FP16_MAX / FP16_HEADROOM
    consumers: dict[str, list] = {}
    for la in layers:
        for b in la.inputs:
            consumers.setdefault(b, []).append(la)
    producer = {b: la for la in layers for b in la.outputs}
    found: dict[str, str] = {}
    for blob, entry in tensors.items():
        values = ref.get(entry["onnx"])
        if values is None or np.asarray(values).size == 0 or np.asarray(values).dtype.kind != "f":
            continue
        peak = float(np.max(np.abs(np.nan_to_num(np.asarray(values, dtype=np.float64), posinf=0, neginf=0))))
        if peak <= limit:
            continue
        reason = f"overflow: reaches {peak:.3g} (fp16 max {FP16_MAX:g})"
        touched = [producer[blob]] if blob in producer else []
        stack = [blob]
        while stack:
            b = stack.pop()
            for la in consumers.get(b, []):
                touched.append(la)
                if la.type == "Split":
                    stack.extend(la.outputs)
        for la in touched:
            if la.type != "Input":
                found.setdefault(la.name, reason)
    return found


def _producers(layers: list, layer) -> list:
    """The layers whose outputs `layer` reads, looking through Split (not Input)."""
    producer = {b: la for la in layers for b in la.outputs}
    found, stack = [], list(layer.inputs)
    while stack:
        la = producer.get(stack.pop())
        if la is None or la.type == "Input":
            continue
        if la.type == "Split":
            stack.extend(la.inputs)
        else:
            found.append(la)
    return found


def _output_errors(manifest: dict, raw: Mapping[str, np.ndarray], ref: Mapping[str, np.ndarray]) -> dict[str, float]:
    from ncc.verify import compare, outputs_by_name

    got = outputs_by_name(manifest, raw, FP16_MODE)
    errors = {}
    for name, arr in got.items():
        want = np.asarray(ref[name])
        _, rel = compare(want, arr)
        if not np.isfinite(arr).all() and np.isfinite(want).all():
            rel = float("inf")
        errors[name] = rel
    return errors


def calibrate_fp16(
    out_dir: str | os.PathLike[str],
    model: str | os.PathLike[str] | None = None,
    *,
    inputs: Mapping[str, np.ndarray] | None = None,
    seed: int = 0,
    target: float | None = None,
    max_rounds: int = 16,
    time_runs: int = 0,
) -> PrecisionReport:
    """Keep in fp32 the layers of the compiled model in `out_dir` that overflow fp16 or whose
    fp16 error dominates an output (on `inputs`, or seeded random ones), against onnxruntime on
    the ONNX `model` (default: the manifest's source). Edits the `.param` and the manifest."""
    import json

    from ncc.bisect import analyse_blobs, onnx_tensors
    from ncc.report import param_layers
    from ncc.verify import DEFAULT_RTOL_FP16, load_manifest, make_inputs, run_ncnn_blobs

    target = DEFAULT_RTOL_FP16 if target is None else target
    manifest, folder = load_manifest(out_dir)
    tensors: dict[str, dict] = manifest.get("tensors") or {}
    model = model or manifest.get("source")
    if model is None or not str(model).endswith(".onnx") or not Path(model).is_file():
        raise NccError("fp16 calibration compares with the ONNX model: give the model.onnx it was compiled from")
    param = folder / manifest["param"]
    feed = make_inputs(manifest, seed, inputs)
    names = sorted({t["onnx"] for t in tensors.values()} | {o["name"] for o in manifest["outputs"]})
    ref, producers = onnx_tensors(model, feed, names)
    layers = param_layers(param)
    by_name = {la.name: la for la in layers}
    report = PrecisionReport(target)

    def keep(name: str, reason: str) -> None:
        report.kept.append(KeptLayer(name, by_name[name].type, reason))

    def run(timed: int = 0):
        return run_ncnn_blobs(manifest, folder, feed, FP16_MODE, list(tensors), keep_blobs=True, time_runs=timed)

    first = run(time_runs)
    if first is None:
        report.device = False
    else:
        report.error_before = _output_errors(manifest, first[0], ref)
        if time_runs:
            report.latency_before_ms = 1000 * float(np.median(next(iter(first[1].values()))))

    for name, reason in _overflowing_layers(layers, tensors, ref).items():
        keep(name, reason)
    if report.kept:
        set_featmask(param, {k.layer: KEEP_FP32 for k in report.kept})

    if report.device:
        got = run() if report.kept else first
        for report.rounds in range(1, max_rounds + 1):
            errors = _output_errors(manifest, got[0], ref)
            if all(e <= target for e in errors.values()):
                break
            found = analyse_blobs(manifest, layers, ref, producers, got[0], FP16_MODE, target).first
            if found is None or found.layer_type == "Input":
                break
            kept = {k.layer for k in report.kept}
            if found.layer not in kept:
                blamed = {found.layer: f"fp16 error {found.max_rel:.3g} > {target:.0e} while its inputs meet it"}
            else:
                # still wrong in fp32: the precision it needs was lost in its inputs' fp16 storage
                blamed = {
                    la.name: f"feeds {found.layer}, which needs its output in fp32"
                    for la in _producers(layers, by_name[found.layer]) if la.name not in kept
                }
            if not blamed:
                break
            for name, reason in blamed.items():
                keep(name, reason)
            set_featmask(param, dict.fromkeys(blamed, KEEP_FP32))
            got = run()
        if time_runs and report.kept:
            timed = run(time_runs)
            report.latency_after_ms = 1000 * float(np.median(next(iter(timed[1].values()))))
            got = timed
        elif time_runs:
            report.latency_after_ms = report.latency_before_ms
        report.error_after = _output_errors(manifest, got[0], ref)

    manifest["precision"] = report.manifest_entry()
    mpath = next(iter(sorted(folder.glob("*.ncnn.json"))))
    tmp = mpath.with_suffix(".tmp")
    tmp.write_text(json.dumps(manifest, indent=2) + "\n")
    os.replace(tmp, mpath)
    return report

"""`ncc verify`: run the compiled model in ncnn (CPU, Vulkan fp32, Vulkan fp16), each in its
own process, on the same inputs as a reference (onnxruntime on the source model), and
compare per output. Everything it needs from the compile is in the manifest."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ncc.errors import NccError

MODES = ("cpu", "vulkan-fp32", "vulkan-fp16")
DEFAULT_RTOL = 1e-4
DEFAULT_RTOL_FP16 = 2e-2
NO_DEVICE = 3


@dataclass
class VerifyRow:
    output: str
    mode: str
    max_abs: float
    max_rel: float
    tol: float
    passed: bool
    note: str = ""
    size: str = ""
    """For a model with symbolic dims: the dim values of this check (`H=64,W=96`)."""


@dataclass
class VerifyReport:
    rows: list[VerifyRow] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    """mode → why it did not run (no Vulkan device)."""

    @property
    def passed(self) -> bool:
        return bool(self.rows) and all(r.passed for r in self.rows)

    def modes(self) -> list[str]:
        return sorted({r.mode for r in self.rows}, key=MODES.index)

    def worst(self, mode: str) -> float:
        return max((r.max_rel for r in self.rows if r.mode == mode), default=float("nan"))

    def table(self) -> str:
        sw = max([0] + [len(r.size) + 1 for r in self.rows if r.size])
        head = f"{'output':<24} {'size':<{sw}}{'mode':<12} {'max_abs':>10} {'max_rel':>10} {'tol':>8}  result" if sw else (
            f"{'output':<24} {'mode':<12} {'max_abs':>10} {'max_rel':>10} {'tol':>8}  result")
        lines = [head, "-" * len(head)]
        for r in self.rows:
            verdict = "ok" if r.passed else "FAIL"
            if r.note:
                verdict += f" ({r.note})"
            size = f"{r.size:<{sw}}" if sw else ""
            lines.append(
                f"{r.output[:24]:<24} {size}{r.mode:<12} {r.max_abs:>10.3g} {r.max_rel:>10.3g} {r.tol:>8.0e}  {verdict}"
            )
        for mode, why in self.skipped.items():
            lines.append(f"{'*':<24} {'':<{sw}}{mode:<12} {'':>10} {'':>10} {'':>8}  skipped: {why}")
        return "\n".join(lines)


def load_manifest(out_dir: str | os.PathLike[str]) -> tuple[dict, Path]:
    out = Path(out_dir)
    if out.is_file() and out.name.endswith(".ncnn.json"):
        path = out
    else:
        found = sorted(out.glob("*.ncnn.json")) if out.is_dir() else []
        if not found:
            raise NccError(f"no *.ncnn.json manifest in {out}")
        path = found[0]
    manifest = json.loads(path.read_text())
    if manifest.get("format") != "ncc-ncnn-manifest":
        raise NccError(f"{path} is not an ncc manifest")
    return manifest, path.parent


def make_inputs(manifest: dict, seed: int = 0, given: Mapping[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """Inputs in the model's own shapes, by ONNX input name: `given` ones, else seeded random."""
    rng = np.random.default_rng(seed)
    given = dict(given or {})
    out = {}
    for entry in manifest["inputs"]:
        name, shape, dtype = entry["name"], tuple(entry["shape"]), np.dtype(entry["dtype"])
        if name in given:
            arr = np.asarray(given.pop(name))
            if arr.shape != shape:
                raise NccError(f"input '{name}' has shape {list(arr.shape)}, the model wants {list(shape)}")
            out[name] = arr.astype(dtype)
        elif dtype.kind == "f":
            out[name] = rng.standard_normal(shape).astype(dtype)
        else:
            lo, hi = entry.get("range", (0, 10))
            out[name] = rng.integers(lo, hi, shape).astype(dtype)
    if given:
        raise NccError(f"the model has no input(s) {sorted(given)}")
    return out


def ncnn_feed(entry: Mapping, value: np.ndarray) -> np.ndarray:
    """The float32 array whose bytes go into the input Mat of manifest `entry`: the values,
    or for `"feed": "int32"` (ncnn Embed's word indices) the int32 values' own bytes."""
    arr = np.asarray(value)
    if entry.get("feed") == "int32":
        if arr.dtype.kind == "f" and not np.array_equal(arr, np.round(arr)):
            raise NccError(f"input '{entry['name']}' holds indices: integer values are needed")
        arr = np.ascontiguousarray(arr.astype(np.int32)).view(np.float32)
    else:
        arr = as_blob(arr, entry)
    return arr.reshape(entry["mat_shape"])


def onnxruntime_reference(model: str | os.PathLike[str]) -> Callable[[dict], dict]:
    def run(inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        import onnxruntime as ort

        so = ort.SessionOptions()
        so.log_severity_level = 3
        try:
            sess = ort.InferenceSession(str(model), so, providers=["CPUExecutionProvider"])
        except Exception as e:  # noqa: BLE001 - onnxruntime's own refusal of the file
            # e.g. opset < 7, which ncc reads but onnxruntime does not run
            text = str(e)
            reason = text.rsplit(", Error ", 1)[-1] if ", Error " in text else text.split(" : ")[-1]
            raise NccError(
                f"onnxruntime cannot run the model to compare against ({reason.strip()}); "
                "the ncnn files are written but unchecked",
                file=str(model),
            ) from None
        names = [o.name for o in sess.get_outputs()]
        return dict(zip(names, sess.run(names, inputs), strict=True))

    return run


def run_ncnn_blobs(
    manifest: dict,
    folder: Path,
    inputs: Mapping[str, np.ndarray],
    mode: str,
    blobs: Sequence[str],
    *,
    threads: int = 1,
    keep_blobs: bool = False,
    time_runs: int = 0,
    warmup: int = 2,
    time_threads: Sequence[int] = (),
) -> tuple[dict[str, np.ndarray], dict[int, list[float]]] | None:
    """Run the runner subprocess once: the named blobs as raw Mat arrays, and in timing mode
    (`time_runs` > 0) the seconds of each timed run per thread count. None: no device."""
    with tempfile.TemporaryDirectory(prefix="ncc-run-") as tmp:
        np.savez(Path(tmp) / "in.npz", **mat_feed(manifest, inputs))
        cmd = [
            sys.executable, "-m", "ncc.runtime.ncnn_runner",
            str(folder / manifest["param"]), str(folder / manifest["bin"]),
            str(Path(tmp) / "in.npz"), str(Path(tmp) / "out.npz"),
            "--mode", mode, "--threads", str(threads), "--extract", *blobs,
        ]  # fmt: skip
        if keep_blobs:
            cmd.append("--keep-blobs")
        if time_runs > 0:
            cmd += ["--time", str(time_runs), "--warmup", str(warmup), "--timings", str(Path(tmp) / "t.json")]
            if time_threads:
                cmd += ["--time-threads", ",".join(str(t) for t in time_threads)]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode == NO_DEVICE:
            return None
        if proc.returncode != 0:
            detail = proc.stderr.strip().splitlines()[-1:] or [f"exit code {proc.returncode}"]
            if proc.returncode < 0:
                detail = [f"ncnn crashed (signal {-proc.returncode})"]
            raise NccError(f"ncnn {mode} run failed: {detail[0]}")
        with np.load(Path(tmp) / "out.npz") as z:
            raw = {k: z[k] for k in z.files}
        timings = {}
        if time_runs > 0:
            timings = {int(k): v for k, v in json.loads((Path(tmp) / "t.json").read_text()).items()}
    return raw, timings


def mat_feed(manifest: dict, inputs: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The input blobs as ncnn takes them: float32 arrays in Mat shape, by blob name."""
    return {entry["blob"]: ncnn_feed(entry, inputs[entry["name"]]) for entry in manifest["inputs"]}


@dataclass
class NcnnFailure:
    """Why one model of `run_ncnn_many` has no outputs: `crash` (ncnn killed the process, or
    hung past the time limit) or `error` (ncnn refused to load or run it, or the outputs
    have the wrong size)."""

    kind: str
    message: str


def run_ncnn_many(
    models: Sequence[tuple[dict, Path, Mapping[str, np.ndarray]]],
    mode: str,
    *,
    timeout_s: float = 120.0,
) -> list[dict[str, np.ndarray] | NcnnFailure] | None:
    """Run each `(manifest, folder, inputs)` in ncnn, many per runner process
    (`ncc.runtime.ncnn_batch`): the outputs by ONNX name in ONNX shapes, or an `NcnnFailure`,
    one per model in order. A model that crashes ncnn (or runs past `timeout_s`) is reported
    as a crash and the others run in a new process. None: the mode has no device."""
    import queue
    import threading

    results: list[dict[str, np.ndarray] | NcnnFailure | None] = [None] * len(models)
    with tempfile.TemporaryDirectory(prefix="ncc-batch-") as tmp:
        jobs = []
        for i, (manifest, folder, inputs) in enumerate(models):
            np.savez(Path(tmp) / f"in{i}.npz", **mat_feed(manifest, inputs))
            jobs.append({
                "key": str(i), "param": str(folder / manifest["param"]), "bin": str(folder / manifest["bin"]),
                "inputs": str(Path(tmp) / f"in{i}.npz"), "outputs": str(Path(tmp) / f"out{i}.npz"),
                "extract": [o["blob"] for o in manifest["outputs"]],
            })  # fmt: skip
        pending = list(jobs)
        while pending:
            jobs_file = Path(tmp) / "jobs.json"
            jobs_file.write_text(json.dumps(pending))
            cmd = [sys.executable, "-m", "ncc.runtime.ncnn_batch", str(jobs_file), "--mode", mode]
            with open(Path(tmp) / "stderr.txt", "w+") as err:
                proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, text=True)
                lines: queue.Queue[str | None] = queue.Queue()

                def pump(stream=proc.stdout, sink=lines) -> None:
                    for line in stream:
                        sink.put(line.rstrip("\n"))
                    sink.put(None)

                threading.Thread(target=pump, daemon=True).start()
                current: str | None = None
                done: set[str] = set()
                timed_out = False
                while True:
                    try:
                        line = lines.get(timeout=timeout_s)
                    except queue.Empty:
                        timed_out = True
                        proc.kill()
                        break
                    if line is None:
                        break
                    word, _, rest = line.partition(" ")
                    key, _, message = rest.partition(" ")
                    if word == "START":
                        current = key
                    elif word in ("END", "FAIL"):
                        done.add(key)
                        current = None
                        i = int(key)
                        if word == "FAIL":
                            results[i] = NcnnFailure("error", f"ncnn {mode}: {message}")
                        else:
                            manifest = models[i][0]
                            with np.load(jobs[i]["outputs"]) as z:
                                raw = {k: z[k] for k in z.files}
                            try:
                                results[i] = outputs_by_name(manifest, raw, mode)
                            except NccError as e:
                                results[i] = NcnnFailure("error", str(e))
                rc = proc.wait()
                err.seek(0)
                tail = err.read().strip().splitlines()[-1:]
            if rc == NO_DEVICE and not done and current is None:
                return None
            if current is not None:
                why = f"no result after {timeout_s:g} s" if timed_out else (
                    f"signal {-rc}" if rc < 0 else f"exit code {rc}: {tail[0] if tail else ''}"
                )
                results[int(current)] = NcnnFailure("crash", f"ncnn {mode} crashed ({why})")
                done.add(current)
            elif rc != 0 and not done:
                # the runner died before any model: report it on all, do not loop
                for job in pending:
                    results[int(job["key"])] = NcnnFailure("crash", f"ncnn {mode} runner failed: {tail}")
                break
            pending = [j for j in pending if j["key"] not in done]
    return results  # type: ignore[return-value]


def run_ncnn(
    manifest: dict,
    folder: Path,
    inputs: Mapping[str, np.ndarray],
    mode: str,
    threads: int = 1,
) -> dict[str, np.ndarray] | None:
    """Outputs by ONNX name in ONNX shapes; None when the mode has no device."""
    got = run_ncnn_blobs(manifest, folder, inputs, mode, [o["blob"] for o in manifest["outputs"]], threads=threads)
    if got is None:
        return None
    return outputs_by_name(manifest, got[0], mode)


def outputs_by_name(manifest: dict, raw: Mapping[str, np.ndarray], mode: str) -> dict[str, np.ndarray]:
    """The manifest's outputs, by ONNX name and in ONNX shapes, from raw extracted blobs."""
    outs = {}
    for entry in manifest["outputs"]:
        arr = raw[entry["blob"]]
        shape = tuple(entry["shape"])
        if arr.size != int(np.prod(shape)):
            raise NccError(
                f"ncnn {mode}: output '{entry['name']}' has {arr.size} values ({list(arr.shape)}), "
                f"expected shape {list(shape)}"
            )
        outs[entry["name"]] = as_manifest_dtype(arr.reshape(shape), entry)
    return outs


FLOAT32_EXACT_INTEGERS = 2**24


def as_manifest_dtype(arr: np.ndarray, entry: dict) -> np.ndarray:
    """An output blob (ncnn's float32) as the tensor type the manifest names: booleans are the
    non-zero values, integers the rounded ones."""
    dtype = np.dtype(entry.get("dtype", "float32"))
    if dtype.kind == "b":
        return np.asarray(arr) != 0
    if dtype.kind in "iu":
        return np.rint(arr).astype(dtype)
    return np.asarray(arr, dtype=dtype)


def as_blob(arr: np.ndarray, entry: dict) -> np.ndarray:
    """An input in the float32 the ncnn blob holds (`blob_dtype`); integers beyond ±2^24 have
    no exact float32 and are refused."""
    arr = np.asarray(arr)
    if arr.dtype.kind in "iu" and arr.size and np.abs(arr.astype(np.float64)).max() > FLOAT32_EXACT_INTEGERS:
        raise NccError(
            f"input '{entry['name']}' has {arr.dtype} values beyond ±2^24, which ncnn's float32 blob "
            "cannot hold exactly"
        )
    return arr.astype(np.float32)


def compare(ref: np.ndarray, got: np.ndarray) -> tuple[float, float]:
    """Max absolute error, and the same relative to the reference's max finite magnitude.
    Where both hold NaN, or the same infinity, the values agree; a NaN or infinity on one side
    only is an infinite error."""
    ref = np.asarray(ref, dtype=np.float64).reshape(-1)
    got = np.asarray(got, dtype=np.float64).reshape(-1)
    if not ref.size:
        return 0.0, 0.0
    same_special = (np.isnan(ref) & np.isnan(got)) | (np.isinf(ref) & (ref == got))
    finite = np.isfinite(ref) & np.isfinite(got)
    if not np.all(same_special | finite):
        return float("inf"), float("inf")
    diff = np.abs(ref[finite] - got[finite])
    max_abs = float(diff.max()) if diff.size else 0.0
    scale = float(np.max(np.abs(ref[finite]))) if finite.any() else 0.0
    return max_abs, max_abs / max(scale, 1e-12)


def check_output(ref: np.ndarray, got: np.ndarray, rtol: float) -> tuple[float, float, bool, str]:
    """(max_abs, max_rel, passed, note) of ncnn's `got` against the reference `ref`.

    An integer or boolean reference must match exactly (ncnn computes in float; its values
    must be those integers). A float reference is compared on its finite values by `compare`
    within `rtol`; where it is NaN or ±inf, ncnn must give the same non-finite value."""
    ref = np.asarray(ref)
    got = np.asarray(got)
    if ref.shape != got.shape:
        return float("inf"), float("inf"), False, f"shape {list(got.shape)}, expected {list(ref.shape)}"
    if ref.dtype.kind in "biu":
        max_abs, max_rel = compare(ref, got) if np.all(np.isfinite(got)) else (float("inf"), float("inf"))
        exact = bool(np.array_equal(ref.astype(np.float64), got.astype(np.float64)))
        return max_abs, max_rel, exact, "" if exact else "integer values differ"
    ref64 = ref.astype(np.float64)
    got64 = got.astype(np.float64)
    finite = np.isfinite(ref64)
    if not finite.all():
        same = (np.isnan(ref64) & np.isnan(got64)) | (ref64 == got64)
        if not same[~finite].all():
            return float("inf"), float("inf"), False, "NaN/inf where the reference has other values"
    if not np.isfinite(got64[finite]).all():
        return float("inf"), float("inf"), False, "NaN/inf where the reference is finite"
    max_abs, max_rel = compare(ref64[finite], got64[finite])
    return max_abs, max_rel, bool(max_rel <= rtol), ""


def verify(
    out_dir: str | os.PathLike[str],
    model: str | os.PathLike[str] | None = None,
    *,
    reference: Callable[[dict], dict] | None = None,
    inputs: Mapping[str, np.ndarray] | None = None,
    seed: int = 0,
    rtol: float = DEFAULT_RTOL,
    rtol_fp16: float = DEFAULT_RTOL_FP16,
    modes: Sequence[str] = MODES,
) -> VerifyReport:
    """Compare ncnn with the reference (onnxruntime on `model`, or a callable) per output and mode."""
    manifest, folder = load_manifest(out_dir)
    if reference is None:
        if model is None:
            src = manifest.get("source")
            if not src or not Path(src).is_file():
                raise NccError("give the source model (--model) to compare against")
            model = src
        reference = onnxruntime_reference(model)
    report = VerifyReport()
    for size, at_size in sizes_to_check(manifest, inputs):
        feed = make_inputs(at_size, seed, inputs)
        expected = reference(feed)
        for mode in modes:
            got = run_ncnn(at_size, folder, feed, mode)
            if got is None:
                report.skipped[mode] = "no Vulkan device; checked CPU only"
                continue
            tol, why_tol = mode_tolerance(manifest, folder, mode, rtol, rtol_fp16)
            for entry in at_size["outputs"]:
                name = entry["name"]
                max_abs, max_rel, passed, note = check_output(expected[name], got[name], tol)
                if passed:
                    note = why_tol
                elif note in ("", "NaN/inf where the reference is finite"):
                    note = why_failed(mode, expected[name], got[name], manifest)
                report.rows.append(VerifyRow(name, mode, max_abs, max_rel, tol, passed, note, size))
    return report


def sizes_to_check(manifest: dict, inputs: Mapping[str, np.ndarray] | None) -> list[tuple[str, dict]]:
    """(label, the manifest at that size): the model's one size, or for a model with symbolic
    dims (`ncc.symbolic`) its smallest, given and large sizes (or the size of the given inputs)."""
    dims = manifest.get("dims")
    if not dims:
        return [("", manifest)]
    from ncc.symbolic import Dim, concrete_manifest, dims_from_inputs

    if inputs:
        values = [dims_from_inputs(manifest, dict(inputs))]
    else:
        samples = {k: Dim(k, d["value"], d.get("min"), d.get("max"), d.get("multiple", 1)).samples() for k, d in dims.items()}
        count = max(len(v) for v in samples.values())
        values = [{k: v[min(i, len(v) - 1)] for k, v in samples.items()} for i in range(count)]
    return [(",".join(f"{k}={v[k]}" for k in sorted(v)), concrete_manifest(manifest, v)) for v in values]


def mode_tolerance(manifest: dict, folder: Path, mode: str, rtol: float, rtol_fp16: float) -> tuple[float, str]:
    """The tolerance of a mode, and why it differs from the asked one: in Vulkan fp32 a layer
    whose Vulkan kernel is documented as less exact than fp32 (`NcnnLayer.VULKAN_FP32_RTOL`)
    raises it to that layer's bound."""
    if mode == "vulkan-fp16":
        return rtol_fp16, ""
    if mode != "vulkan-fp32":
        return rtol, ""
    from ncc.dialects.ncnn import LAYERS_BY_TYPE
    from ncc.report import param_layers

    types = {la.type for la in param_layers(folder / manifest["param"])}
    looser = {t: LAYERS_BY_TYPE[t].VULKAN_FP32_RTOL for t in types if t in LAYERS_BY_TYPE and LAYERS_BY_TYPE[t].VULKAN_FP32_RTOL}
    if not looser or max(looser.values()) <= rtol:
        return rtol, ""
    worst = max(looser, key=looser.get)
    return looser[worst], f"tol of ncnn's Vulkan {worst} kernel"


def why_failed(mode: str, want: np.ndarray, got: np.ndarray, manifest: dict) -> str:
    """A short reason for a missed tolerance, and what to do about it."""
    calibrated = bool((manifest.get("precision") or {}).get("calibrated"))
    if not np.isfinite(got).all() and np.isfinite(want).all():
        if mode == "vulkan-fp16":
            if calibrated:
                return "inf/NaN: overflows fp16 on these inputs, not on the calibration inputs"
            return "inf/NaN: a value overflows fp16 (max 65504); --fp16-calibrate keeps those layers in fp32"
        return "inf/NaN where the reference is finite; --bisect names the first wrong layer"
    if mode == "vulkan-fp16":
        if calibrated:
            return "fp16 rounding, after calibration; see the manifest's precision entry"
        return "fp16 rounding; --fp16-calibrate keeps the layers that dominate it in fp32"
    return "--bisect names the first wrong layer"

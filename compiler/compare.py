"""`ncc compare`: compile one model under several variants (pipelines, options) and measure
each the same way, into one table (and CSV / JSON for papers).

A variant is a name and what differs: a pass pipeline (`passes`, None = the default one) and
compile options (`fp16`). On the command line:

    --variant NAME=SPEC     SPEC is a pass pipeline (`default`, or any pipeline `--passes`
                            accepts), or options, when it starts with `--`:
                              --fp16              fp16 weights in the .bin
                              --passes=PIPELINE   this pipeline
                              --without=PASS      the pipeline without PASS (repeatable)
                              --before=PASS:NEW   NEW (a pass, with options) before each PASS
                              --after=PASS:NEW    NEW after each PASS
    --variants SET          a registered variant set (`ncc compare --list-variant-sets`)

Variant sets are registered by name with `register_variant_set`; a module given to
`--load-passes` may register its own.

Per variant: ncnn layers, .bin bytes, layers that fall back to CPU under Vulkan, ncnn CPU
latency (median of `--repeats` timed runs after `--warmup`, per thread count, fp32 forced as
in `ncc verify`'s cpu mode), and the max error against onnxruntime on the same inputs.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shlex
import statistics
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ncc.errors import NccError


@dataclass(frozen=True)
class Variant:
    name: str
    passes: str | None = None
    """The pass pipeline; None = the default pipeline."""
    fp16: bool = False
    description: str = ""


VariantSet = Callable[[], list[Variant]]

_VARIANT_SETS: dict[str, tuple[VariantSet, str]] = {}


def register_variant_set(name: str, factory: VariantSet, description: str = "") -> None:
    """Make `--variants NAME` expand to `factory()` (called when the set is used)."""
    _VARIANT_SETS[name] = (factory, description)


def variant_sets() -> dict[str, str]:
    """Registered set name → description."""
    return {name: desc for name, (_, desc) in sorted(_VARIANT_SETS.items())}


def variant_set(name: str) -> list[Variant]:
    if name not in _VARIANT_SETS:
        known = ", ".join(sorted(_VARIANT_SETS)) or "none"
        raise NccError(f"--variants {name}: no such variant set (known: {known})")
    return list(_VARIANT_SETS[name][0]())


# ------------------------------------------------------------------------------ pipelines


def edit_pipeline(
    spec: str | None,
    *,
    without: Sequence[str] = (),
    before: Sequence[tuple[str, str]] = (),
    after: Sequence[tuple[str, str]] = (),
) -> str:
    """A pass-spec string: `spec` (None: the default) without the passes named in `without`,
    with `(anchor, new)` passes inserted before / after each occurrence of `anchor`."""
    from ncc.driver import build_pipeline, pipeline_spec

    pipeline = build_pipeline(spec)
    names = [p.name for p in pipeline.passes]
    for w in without:
        if w not in names:
            raise NccError(f"--without={w}: no such pass in the pipeline ({', '.join(names)})")
    for option, edits in (("before", before), ("after", after)):
        for anchor, _ in edits:
            if anchor not in names:
                raise NccError(f"--{option}={anchor}:…: no such pass in the pipeline ({', '.join(names)})")
    parts: list[str] = []
    for p in pipeline.passes:
        parts += [new for anchor, new in before if anchor == p.name]
        if p.name not in without:
            parts.append(str(p.pipeline_pass_spec()))
        parts += [new for anchor, new in after if anchor == p.name]
    out = ",".join(parts)
    pipeline_spec(build_pipeline(out))  # a bad inserted pass fails here, naming the variant's spec
    return out


def parse_variant(text: str) -> Variant:
    """`NAME=SPEC` (see the module docstring)."""
    from ncc.pipelines import PIPELINES

    name, eq, spec = text.partition("=")
    name, spec = name.strip(), spec.strip()
    if not eq or not name or not spec:
        raise NccError(f"--variant '{text}': expected NAME=PIPELINE or NAME=--OPTION …")
    if not spec.startswith("--"):
        return Variant(name, PIPELINES.get(spec, spec))
    passes: str | None = None
    fp16 = False
    without: list[str] = []
    before: list[tuple[str, str]] = []
    after: list[tuple[str, str]] = []
    try:
        tokens = shlex.split(spec)
    except ValueError as e:
        raise NccError(f"--variant {name}: {e}") from None
    for tok in tokens:
        key, _, value = tok.partition("=")
        if key == "--fp16" and not value:
            fp16 = True
        elif key == "--passes" and value:
            passes = PIPELINES.get(value, value)
        elif key == "--without" and value:
            without += [v for v in value.split(",") if v]
        elif key in ("--before", "--after") and ":" in value:
            anchor, _, new = value.partition(":")
            (before if key == "--before" else after).append((anchor, new))
        else:
            raise NccError(
                f"--variant {name}: unknown option '{tok}' (use --fp16, --passes=PIPELINE, "
                "--without=PASS, --before=PASS:NEWPASS, --after=PASS:NEWPASS)"
            )
    if without or before or after:
        passes = edit_pipeline(passes, without=without, before=before, after=after)
    return Variant(name, passes, fp16)


# ------------------------------------------------------------------------------ built-in sets


def _fuse_activation() -> list[Variant]:
    return [
        Variant("fused", None, description="default pipeline (activations fused into conv/InnerProduct)"),
        Variant("unfused", edit_pipeline(None, without=["ncnn-fuse-activation"]),
                description="default pipeline without ncnn-fuse-activation"),
    ]  # fmt: skip


def _weights() -> list[Variant]:
    return [
        Variant("fp32-weights", None, description="fp32 weights"),
        Variant("fp16-weights", None, fp16=True, description="fp16 weights in the .bin (--fp16)"),
    ]


def _batch_strategies() -> list[Variant]:
    from ncc.driver import with_batch_strategy
    from ncc.lowering.onnx.batch_layout import STRATEGIES

    return [
        Variant(s, with_batch_strategy(None, s), description=f"onnx-batch-layout{{strategy={s}}}")
        for s in STRATEGIES
    ]


register_variant_set("batch-strategies", _batch_strategies, "grouped / conv3d / batch-axis placement of a data-carrying batch")
register_variant_set("fuse-activation", _fuse_activation, "with / without ncnn-fuse-activation")
register_variant_set("fp16-weights", _weights, "fp32 / fp16 weights in the .bin")


# ------------------------------------------------------------------------------ measuring


@dataclass
class CompareRow:
    variant: str
    passes: str = ""
    fp16: bool = False
    layers: int | None = None
    bin_bytes: int | None = None
    vulkan_cpu_fallback: int | None = None
    latency_ms: dict[int, float] = field(default_factory=dict)
    """Median milliseconds per thread count."""
    max_abs_err: float | None = None
    max_rel_err: float | None = None
    compile_seconds: float | None = None
    error: str = ""

    def record(self, threads: Sequence[int]) -> dict[str, Any]:
        """A flat dict (CSV / JSON row)."""
        d: dict[str, Any] = {}
        for k, v in asdict(self).items():
            if k == "latency_ms":
                d.update({f"latency_ms_t{t}": v.get(t) for t in threads})
            else:
                d[k] = v
        return d


@dataclass
class CompareReport:
    model: str
    threads: list[int]
    repeats: int
    rows: list[CompareRow]

    def records(self) -> list[dict[str, Any]]:
        return [r.record(self.threads) for r in self.rows]

    def table(self) -> str:
        heads = ["variant", "layers", ".bin bytes", "vk cpu-fallback"]
        heads += [f"cpu {t}t ms" for t in self.threads] + ["max abs err", "max rel err"]
        body = []
        for r in self.rows:
            if r.error:
                body.append([r.variant, "error: " + r.error])
                continue
            cells = [r.variant, _cell(r.layers), _cell(r.bin_bytes), _cell(r.vulkan_cpu_fallback)]
            cells += [_cell(r.latency_ms.get(t), ".3f") for t in self.threads]
            cells += [_cell(r.max_abs_err, ".3g"), _cell(r.max_rel_err, ".3g")]
            body.append(cells)
        widths = [max([len(h)] + [len(b[i]) for b in body if len(b) == len(heads)]) for i, h in enumerate(heads)]
        line = lambda cells: "  ".join(  # noqa: E731
            c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )
        out = [line(heads), "-" * (sum(widths) + 2 * (len(widths) - 1))]
        for b in body:
            out.append(line(b) if len(b) == len(heads) else f"{b[0].ljust(widths[0])}  {b[1]}")
        return "\n".join(out)

    def csv(self) -> str:
        buf = io.StringIO()
        recs = self.records()
        w = csv.DictWriter(buf, fieldnames=list(recs[0]) if recs else ["variant"], lineterminator="\n")
        w.writeheader()
        w.writerows(recs)
        return buf.getvalue()

    def json(self) -> str:
        return json.dumps(
            {"format": "ncc-compare", "version": 1, "model": self.model, "threads": self.threads,
             "repeats": self.repeats, "variants": self.records()},
            indent=2,
        ) + "\n"  # fmt: skip


def _cell(v: Any, fmt: str = "") -> str:
    return "-" if v is None else format(v, fmt)


def compare_variants(
    model: str | os.PathLike[str],
    variants: Sequence[Variant],
    *,
    input_shapes: str = "",
    threads: Sequence[int] = (1, 2),
    repeats: int = 10,
    warmup: int = 2,
    seed: int = 0,
    keep: str | os.PathLike[str] | None = None,
    inputs: Mapping[str, np.ndarray] | None = None,
) -> CompareReport:
    """Compile `model` once per variant and measure each (see the module docstring)."""
    import time

    from ncc.driver import compile_onnx
    from ncc.report import model_summary
    from ncc.verify import compare, make_inputs, onnxruntime_reference, outputs_by_name, run_ncnn_blobs

    names = [v.name for v in variants]
    if not variants:
        raise NccError("compare needs at least one --variant or --variants set")
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise NccError(f"variant name(s) used twice: {', '.join(dupes)}")
    reference = onnxruntime_reference(model)
    expected: dict[str, np.ndarray] | None = None
    feed: dict[str, np.ndarray] | None = None
    rows = []
    with tempfile.TemporaryDirectory(prefix="ncc-compare-") as tmp:
        root = Path(keep) if keep is not None else Path(tmp)
        for v in variants:
            row = CompareRow(v.name, v.passes or "default", v.fp16)
            rows.append(row)
            t0 = time.perf_counter()
            try:
                result = compile_onnx(model, root / _safe(v.name), input_shapes=input_shapes, passes=v.passes, fp16=v.fp16)
            except NccError as e:
                row.error = str(e)
                continue
            row.compile_seconds = round(time.perf_counter() - t0, 4)
            row.passes = result.pipeline
            summary = model_summary(result.param, result.bin)
            row.layers = summary["layers"]
            row.bin_bytes = summary["bin_bytes"]
            row.vulkan_cpu_fallback = len(summary["vulkan_cpu_fallback"])
            manifest = result.manifest
            if feed is None:
                # every variant sees the inputs of the first one that compiled
                feed = make_inputs(manifest, seed, inputs)
                expected = reference(feed)
            try:
                got = run_ncnn_blobs(
                    manifest, result.out_dir, feed, "cpu", [o["blob"] for o in manifest["outputs"]],
                    time_runs=repeats, warmup=warmup, time_threads=threads,
                )  # fmt: skip
                assert got is not None  # the CPU mode always has a device
                outs = outputs_by_name(manifest, got[0], "cpu")
            except NccError as e:
                row.error = str(e)
                continue
            errs = [compare(expected[name], outs[name]) for name in outs]
            row.max_abs_err = max(e[0] for e in errs)
            row.max_rel_err = max(e[1] for e in errs)
            row.latency_ms = {t: statistics.median(s) * 1e3 for t, s in got[1].items()}
    return CompareReport(str(model), list(threads), repeats, rows)


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in name) or "variant"

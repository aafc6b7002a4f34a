"""`ncc compile --report FILE.json` / `--stats`: what each pass did and what came out.

Per pass: the op counts by dialect and op name before and after, and the time taken. For
the emitted model: the ncnn layer histogram, the layers that fall back to the CPU when the
net runs on Vulkan (layer classes with `VULKAN = False`), and the file sizes."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPORT_FORMAT = "ncc-compile-report"
REPORT_VERSION = 1


@dataclass(frozen=True)
class ParamLayer:
    """One line of a `.param` file."""

    type: str
    name: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    params: tuple[str, ...] = ()
    """The `id=value` tokens after the blob names."""


def param_layers(path: str | os.PathLike[str]) -> list[ParamLayer]:
    """The layers of an ncnn `.param` file in file order."""
    layers = []
    for line in Path(path).read_text().split("\n")[2:]:
        tok = line.split()
        if len(tok) < 4:
            continue
        nin, nout = int(tok[2]), int(tok[3])
        layers.append(
            ParamLayer(tok[0], tok[1], tuple(tok[4 : 4 + nin]), tuple(tok[4 + nin : 4 + nin + nout]),
                       tuple(tok[4 + nin + nout :]))
        )
    return layers


def runs_on_vulkan(layer_type: str, params: tuple[str, ...] = ()) -> bool:
    """Whether ncnn has a Vulkan kernel for the layer type (unknown types: assumed not); a
    convolution with `dynamic_weight` set (in `params`, the line's `id=value` tokens) has none."""
    from ncc.dialects.ncnn import LAYERS_BY_TYPE

    if layer_type == "Input":
        return True
    cls = LAYERS_BY_TYPE.get(layer_type)
    if cls is None or not cls.VULKAN:
        return False
    dynamic = cls.PARAMS.get("dynamic_weight")
    return not (dynamic is not None and f"{dynamic.id}=1" in params)


def ops_by_dialect(hist: dict[str, int]) -> dict[str, dict[str, int]]:
    """{"onnx.Conv": 2} → {"onnx": {"Conv": 2}}."""
    out: dict[str, dict[str, int]] = {}
    for name, n in sorted(hist.items()):
        dialect, _, op = name.partition(".")
        out.setdefault(dialect, {})[op or dialect] = n
    return out


def _delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {k: after.get(k, 0) - before.get(k, 0) for k in sorted(set(before) | set(after)) if after.get(k, 0) != before.get(k, 0)}


def model_summary(param: str | os.PathLike[str], bin_path: str | os.PathLike[str]) -> dict[str, Any]:
    """Layer histogram, Vulkan CPU-fallback layers and file sizes of an emitted model."""
    layers = param_layers(param)
    hist: dict[str, int] = {}
    for layer in layers:
        hist[layer.type] = hist.get(layer.type, 0) + 1
    fallback = [{"layer": la.name, "type": la.type} for la in layers if not runs_on_vulkan(la.type, la.params)]
    return {
        "layers": len(layers),
        "layer_histogram": dict(sorted(hist.items(), key=lambda kv: (-kv[1], kv[0]))),
        "vulkan_cpu_fallback": fallback,
        "bin_bytes": Path(bin_path).stat().st_size,
        "param_bytes": Path(param).stat().st_size,
    }


def build_report(result: Any, model: str | None = None) -> dict[str, Any]:
    """The report of a `CompileResult` (`ncc.driver`) as a JSON-ready dict."""
    passes = []
    for st in result.stats:
        passes.append({
            "pass": st.name,
            "seconds": round(st.seconds, 6),
            "ops_before": ops_by_dialect(st.ops_before),
            "ops_after": ops_by_dialect(st.ops_after),
            "ops_changed": _delta(st.ops_before, st.ops_after),
        })  # fmt: skip
    report: dict[str, Any] = {
        "format": REPORT_FORMAT,
        "version": REPORT_VERSION,
        "model": model if model is not None else (result.manifest or {}).get("source"),
        "pipeline": result.pipeline,
        "passes": passes,
        "total_pass_seconds": round(sum(st.seconds for st in result.stats), 6),
        "ncnn": None,
    }
    if result.param is not None and result.bin is not None:
        report["ncnn"] = model_summary(result.param, result.bin)
    return report


def write_report(report: dict[str, Any], path: str | os.PathLike[str]) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(report, indent=2) + "\n")


def _changes(delta: dict[str, int], limit: int = 6) -> str:
    items = sorted(delta.items(), key=lambda kv: (-abs(kv[1]), kv[0]))
    text = ", ".join(f"{k} {v:+d}" for k, v in items[:limit])
    if len(items) > limit:
        text += f", … ({len(items) - limit} more)"
    return text or "-"


def format_stats(report: dict[str, Any]) -> str:
    """The report as a table for the terminal."""
    width = max([len("pass")] + [len(p["pass"]) for p in report["passes"]])
    head = f"{'pass':<{width}} {'ms':>9} {'ops before':>10} {'ops after':>9}  changes"
    lines = [head, "-" * len(head)]
    for p in report["passes"]:
        before = sum(n for d in p["ops_before"].values() for n in d.values())
        after = sum(n for d in p["ops_after"].values() for n in d.values())
        lines.append(
            f"{p['pass']:<{width}} {p['seconds'] * 1e3:>9.2f} {before:>10} {after:>9}  {_changes(p['ops_changed'])}"
        )
    lines.append(f"{'total':<{width}} {report['total_pass_seconds'] * 1e3:>9.2f}")
    m = report.get("ncnn")
    if m:
        hist = ", ".join(f"{t} {n}" for t, n in m["layer_histogram"].items())
        lines.append("")
        lines.append(f"ncnn layers: {m['layers']} ({hist})")
        fb = m["vulkan_cpu_fallback"]
        if fb:
            names = ", ".join(f"{f['layer']} ({f['type']})" for f in fb[:8])
            more = f", … ({len(fb) - 8} more)" if len(fb) > 8 else ""
            lines.append(f"CPU fallback under Vulkan: {len(fb)} layer(s): {names}{more}")
        else:
            lines.append("CPU fallback under Vulkan: none")
        lines.append(f".bin: {m['bin_bytes']} bytes, .param: {m['param_bytes']} bytes")
    return "\n".join(lines)

"""`ncc verify --bisect`: when ncnn's outputs do not match, find the first layer that diverges.

The manifest's `tensors` map says which ONNX tensor each ncnn blob holds (and its shapes).
Both sides are run once on the same inputs: onnxruntime on a copy of the model whose graph
outputs include every mapped tensor (graph optimisations off, so no tensor is fused away),
ncnn in the runner subprocess extracting every mapped blob (light mode off). Each blob is
compared with its tensor as `ncc verify` compares outputs (max abs error relative to the
reference's max abs value).

The first divergent layer is the first, in `.param` order, whose blob exceeds the tolerance
while all its inputs are within it; blobs without an ONNX counterpart (a Reshape a lowering
inserted, a MemoryData) are looked through, and reported as suspects beside the layer.
A divergence only counts when it reaches a wrong output through diverging blobs: a blob
that is "wrong" while everything it feeds is right is a name that a pass left on a layer
computing something else, not the cause of the mismatch.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ncc.dialects.common import NccError


@dataclass
class BlobCheck:
    """One ncnn blob compared with its ONNX tensor."""

    layer: str
    layer_type: str
    blob: str
    onnx: str
    node: str | None
    op: str | None
    max_abs: float
    max_rel: float
    ok: bool
    note: str = ""


@dataclass
class BisectReport:
    mode: str
    tol: float
    checks: list[BlobCheck] = field(default_factory=list)
    """Every compared blob, in .param order."""
    first: BlobCheck | None = None
    suspects: list[tuple[str, str]] = field(default_factory=list)
    """(layer, type) of the layers without an ONNX counterpart between the first divergent
    layer and its last matching inputs."""
    outputs_ok: bool = True

    def table(self, limit: int | None = None) -> str:
        rows = self.checks
        cut = len(rows)
        if limit is not None and self.first is not None:
            cut = min(len(rows), rows.index(self.first) + 1 + limit)
        elif limit is not None:
            cut = min(len(rows), limit)
        lw = max([5] + [len(r.layer) for r in rows[:cut]])
        tw = max([4] + [len(r.layer_type) for r in rows[:cut]])
        ow = max([11] + [len(r.onnx) for r in rows[:cut]])
        head = f"  {'layer':<{lw}} {'type':<{tw}} {'blob':>6}  {'onnx tensor':<{ow}} {'max_abs':>10} {'max_rel':>10}  result"
        lines = [head, "-" * len(head)]
        for r in rows[:cut]:
            mark = ">" if r is self.first else " "
            verdict = "ok" if r.ok else "DIVERGES"
            if r.note:
                verdict += f" ({r.note})"
            lines.append(
                f"{mark} {r.layer:<{lw}} {r.layer_type:<{tw}} {r.blob:>6}  {r.onnx:<{ow}} {r.max_abs:>10.3g} {r.max_rel:>10.3g}  {verdict}"
            )
        if cut < len(rows):
            lines.append(f"  … {len(rows) - cut} more")
        return "\n".join(lines)

    def summary(self) -> str:
        if self.first is None:
            if self.outputs_ok:
                return f"bisect ({self.mode}): every output matches; nothing to bisect"
            return f"bisect ({self.mode}): the outputs diverge but no compared blob explains it"
        f = self.first
        where = f"ONNX node '{f.node}' ({f.op}), tensor '{f.onnx}'" if f.node else f"ONNX tensor '{f.onnx}'"
        text = (
            f"first divergent layer: {f.layer_type} '{f.layer}' (blob {f.blob}) ← {where}: "
            f"max_rel {f.max_rel:.3g} > {self.tol:.0e} while its inputs match"
        )
        if self.suspects:
            text += "; between them and it: " + ", ".join(f"{n} ({t})" for n, t in self.suspects)
        return text


def onnx_tensors(model_path: str | os.PathLike[str], feed: Mapping[str, np.ndarray], names: list[str]):
    """Values of the named tensors from onnxruntime, and each tensor's producing node as
    (node name as the importer names it, op type)."""
    import onnx
    import onnxruntime as ort

    from ncc.frontends.onnx import load_onnx

    model = load_onnx(model_path)
    graph = model.graph
    producers: dict[str, tuple[str, str]] = {}
    for i, node in enumerate(graph.node):
        for out in node.output:
            if out:
                producers[out] = (node.name or f"{node.op_type}_{i}", node.op_type)
    graph_inputs = {vi.name for vi in graph.input}
    present = {o.name for o in graph.output}
    for name in names:
        if name in producers and name not in present:
            graph.output.append(onnx.ValueInfoProto(name=name))
            present.add(name)
    so = ort.SessionOptions()
    so.log_severity_level = 3
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    try:
        sess = ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])
    except Exception as e:  # noqa: BLE001 - onnxruntime's own error, in one line
        raise NccError(f"onnxruntime cannot run {model_path} with its intermediate tensors: {e}") from None
    feeds = {k: v for k, v in feed.items() if k in graph_inputs}
    out_names = [o.name for o in sess.get_outputs()]
    values = dict(zip(out_names, sess.run(out_names, feeds), strict=True))
    values.update({k: v for k, v in feed.items() if k in names})
    return values, producers


def bisect(
    out_dir: str | os.PathLike[str],
    model: str | os.PathLike[str] | None = None,
    *,
    mode: str = "cpu",
    tol: float | None = None,
    inputs: Mapping[str, np.ndarray] | None = None,
    seed: int = 0,
) -> BisectReport:
    """Compare every mapped ncnn blob with its ONNX tensor and find the first divergent layer."""
    from ncc.report import param_layers
    from ncc.verify import DEFAULT_RTOL, DEFAULT_RTOL_FP16, load_manifest, make_inputs, run_ncnn_blobs

    manifest, folder = load_manifest(out_dir)
    tensors: dict[str, dict] = manifest.get("tensors") or {}
    if not tensors:
        raise NccError("the manifest has no `tensors` map (compiled by an older ncc?): recompile to bisect")
    if model is None:
        model = manifest.get("source")
    if model is None or not str(model).endswith(".onnx") or not Path(model).is_file():
        raise NccError("--bisect compares with the ONNX model: give --model model.onnx")
    if tol is None:
        tol = DEFAULT_RTOL_FP16 if mode == "vulkan-fp16" else DEFAULT_RTOL

    feed = make_inputs(manifest, seed, inputs)
    ref, producers = onnx_tensors(model, feed, sorted({t["onnx"] for t in tensors.values()}))
    got = run_ncnn_blobs(manifest, folder, feed, mode, list(tensors), keep_blobs=True)
    if got is None:
        raise NccError(f"mode {mode} has no device here")
    return analyse_blobs(manifest, param_layers(folder / manifest["param"]), ref, producers, got[0], mode, tol)


def analyse_blobs(
    manifest: dict,
    layers: list,
    ref: Mapping[str, np.ndarray],
    producers: Mapping[str, tuple[str, str]],
    blobs: Mapping[str, np.ndarray],
    mode: str,
    tol: float,
) -> BisectReport:
    """Compare the extracted ncnn `blobs` with the reference tensors `ref` (by ONNX name) and
    find the first divergent layer of the `.param` `layers`."""
    from ncc.verify import compare

    tensors: dict[str, dict] = manifest.get("tensors") or {}
    producer = {b: i for i, la in enumerate(layers) for b in la.outputs}
    consumers: dict[str, list[int]] = {}
    for i, la in enumerate(layers):
        for b in la.inputs:
            consumers.setdefault(b, []).append(i)

    report = BisectReport(mode, tol)
    checks: dict[str, BlobCheck] = {}
    order = [b for la in layers for b in la.outputs if b in tensors]
    for b in order:
        entry, la = tensors[b], layers[producer[b]]
        node, op = producers.get(entry["onnx"], (None, None))
        if entry["onnx"] not in ref:
            continue
        want = np.asarray(ref[entry["onnx"]])
        have = np.asarray(blobs[b])
        if want.size != have.size:
            c = BlobCheck(la.name, la.type, b, entry["onnx"], node, op, float("inf"), float("inf"), False,
                          f"{have.size} values, ONNX has {want.size}")  # fmt: skip
        else:
            max_abs, max_rel = compare(want.reshape(-1), have.reshape(-1))
            ok = bool(max_rel <= tol) and bool(np.isfinite(have).all() == np.isfinite(want).all())
            c = BlobCheck(la.name, la.type, b, entry["onnx"], node, op, max_abs, max_rel, ok)
        checks[b] = c
        report.checks.append(c)

    def mapped_neighbours(b: str, forward: bool) -> tuple[set[str], list[int]]:
        """The compared blobs next to `b`, looking through blobs that are not compared, and
        the layers passed on the way."""
        found: set[str] = set()
        passed: list[int] = []
        stack = [b]
        seen = {b}
        while stack:
            cur = stack.pop()
            nxt_layers = consumers.get(cur, []) if forward else ([producer[cur]] if cur in producer else [])
            for li in nxt_layers:
                for nb in layers[li].outputs if forward else layers[li].inputs:
                    if nb in seen:
                        continue
                    seen.add(nb)
                    if nb in checks:
                        found.add(nb)
                    else:
                        stack.append(nb)
                        if nb in producer and not forward:
                            passed.append(producer[nb])
        return found, passed

    out_blobs = {o["blob"] for o in manifest["outputs"]}
    bad_outputs = {b for b in out_blobs if b in checks and not checks[b].ok}
    report.outputs_ok = not bad_outputs
    # blobs whose divergence reaches a wrong output through diverging blobs
    reaching = set(bad_outputs)
    for b in reversed(order):
        if b in checks and not checks[b].ok and mapped_neighbours(b, True)[0] & reaching:
            reaching.add(b)
    for b in order:
        if b not in reaching:
            continue
        preds, passed = mapped_neighbours(b, False)
        if preds & reaching:
            continue
        report.first = checks[b]
        report.suspects = [(layers[i].name, layers[i].type) for i in sorted(set(passed))]
        break
    return report

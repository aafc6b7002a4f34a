"""The compile driver: import → pass pipeline → emit, shared by the CLI and the Python API."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from xdsl.context import Context
from xdsl.dialects.builtin import Builtin, ModuleOp
from xdsl.dialects.func import Func
from xdsl.passes import ModulePass, PassPipeline
from xdsl.printer import Printer

from ncc import __version__
from ncc.dialects.common import NccError
from ncc.pipelines import DEFAULT
from ncc.lowering.rewriting import tracking
from ncc.registry import get_all_dialects, pipeline_passes


def make_context() -> Context:
    ctx = Context()
    ctx.load_dialect(Builtin)
    ctx.load_dialect(Func)
    for name, factory in get_all_dialects().items():
        ctx.register_dialect(name, factory)
    return ctx


def _spec_with_shapes(spec: str, shapes: str) -> str:
    """Give `set-input-shapes` the --input-shape values unless the spec already sets them."""
    if not shapes:
        return spec
    return re.sub(r"set-input-shapes(?!\{)", f'set-input-shapes{{shapes="{shapes}"}}', spec)


def with_batch_strategy(spec: str | None, strategy: str | None) -> str | None:
    """The pipeline with `onnx-batch-layout` set to `strategy` (grouped | conv3d | batch-axis)."""
    if not strategy:
        return spec
    from ncc.lowering.onnx.batch_layout import STRATEGIES

    if strategy not in STRATEGIES:
        raise NccError(f"--batch-strategy {strategy}: choose from {', '.join(STRATEGIES)}")
    spec = spec or DEFAULT
    new, count = re.subn(r"onnx-batch-layout(\{[^}]*\})?", f"onnx-batch-layout{{strategy={strategy}}}", spec)
    if not count:
        raise NccError("--batch-strategy: the pipeline has no onnx-batch-layout pass")
    return new


def build_pipeline(
    spec: str | None = None,
    input_shapes: str = "",
    callback: Callable[[ModulePass, ModuleOp, ModulePass], None] | None = None,
) -> PassPipeline:
    spec = _spec_with_shapes(spec or DEFAULT, input_shapes)
    try:
        return PassPipeline.parse_spec(pipeline_passes(), spec, callback)
    except Exception as e:  # noqa: BLE001 - xdsl raises several types for a bad spec
        raise NccError(f"bad pass pipeline '{spec}': {e}") from None


@dataclass
class PassStat:
    name: str
    seconds: float
    ops_before: dict[str, int]
    ops_after: dict[str, int]


@dataclass
class CompileResult:
    out_dir: Path | None
    param: Path | None
    bin: Path | None
    manifest_path: Path | None
    manifest: dict[str, Any] | None
    pipeline: str
    stats: list[PassStat] = field(default_factory=list)
    module: ModuleOp | None = None
    precision: Any = None
    """The fp16 calibration report (`ncc.precision.PrecisionReport`) when one ran."""
    reference: Callable[[dict], dict] | None = field(default=None, repr=False)
    """What `ncc.verify` compares against when the source is not an ONNX file (a PyTorch
    compile: the module's eager outputs); None = onnxruntime on `manifest["source"]`."""


def op_histogram(module: ModuleOp) -> dict[str, int]:
    hist: dict[str, int] = {}
    for op in module.walk():
        if op is module:
            continue
        hist[op.name] = hist.get(op.name, 0) + 1
    return dict(sorted(hist.items()))


def run_pipeline(
    module: ModuleOp,
    spec: str | None = None,
    *,
    input_shapes: str = "",
    stop_after: str | None = None,
    print_ir_after_all: IO[str] | None = None,
    ctx: Context | None = None,
) -> tuple[str, list[PassStat]]:
    """Run the passes of `spec` on `module` in place; returns the spec that ran and stats."""
    ctx = ctx or make_context()
    pipeline = build_pipeline(spec, input_shapes)
    names = [p.name for p in pipeline.passes]
    if stop_after is not None and stop_after not in names:
        raise NccError(f"--stop-after {stop_after}: no such pass in the pipeline ({', '.join(names)})")
    stats: list[PassStat] = []
    after = op_histogram(module)  # nothing runs between passes: one pass's after is the next's before
    for p in pipeline.passes:
        before = after
        with tracking(module):
            t0 = time.perf_counter()
            p.apply(ctx, module)
            seconds = time.perf_counter() - t0
        after = op_histogram(module)
        stats.append(PassStat(p.name, seconds, before, after))
        if print_ir_after_all is not None:
            print_ir_after_all.write(f"// -----// IR after {p.name} //----- //\n")
            Printer(stream=print_ir_after_all, print_debuginfo=True).print_op(module)
            print_ir_after_all.write("\n\n")
        if stop_after == p.name:
            break
    return pipeline_spec(pipeline), stats


def pipeline_spec(pipeline: PassPipeline) -> str:
    """The pass-spec string of a pipeline, as `--passes` accepts it."""
    return ",".join(str(p.pipeline_pass_spec()) for p in pipeline.passes)


def compile_onnx(
    model: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    input_shapes: str | dict[str, Any] = "",
    passes: str | None = None,
    fp16: bool = False,
    stop_after: str | None = None,
    print_ir_after_all: IO[str] | None = None,
) -> CompileResult:
    """Compile an ONNX file into `out_dir` (`<stem>.ncnn.param/.bin/.json`). With `stop_after`
    the IR after that pass is written as `<stem>.mlir` instead of ncnn files."""
    from ncc.frontends.onnx import import_onnx

    model = Path(model)
    module = import_onnx(model)
    stem = model.name[: -len(".onnx")] if model.name.endswith(".onnx") else model.stem
    return compile_module(
        module, out_dir, stem=stem, label=str(model), source=str(model.resolve()),
        input_shapes=input_shapes, passes=passes, fp16=fp16, stop_after=stop_after,
        print_ir_after_all=print_ir_after_all,
    )  # fmt: skip


def compile_onnx_model(
    model: Any,
    out_dir: str | os.PathLike[str],
    *,
    stem: str = "model",
    label: str = "<onnx model>",
    source: str | None = None,
    manifest_extra: dict[str, Any] | None = None,
    **options: Any,
) -> CompileResult:
    """Compile an in-memory `onnx.ModelProto` (weights inside it); `label` names it in errors,
    `source` goes into the manifest. Options as for `compile_onnx`."""
    from ncc.frontends.onnx import import_model

    try:
        module = import_model(model)
    except NccError as e:
        e.file = e.file or label
        raise
    return compile_module(
        module, out_dir, stem=stem, label=label, source=source or label,
        manifest_extra=manifest_extra, **options,
    )  # fmt: skip


def compile_module(
    module: ModuleOp,
    out_dir: str | os.PathLike[str],
    *,
    stem: str,
    label: str,
    source: str,
    manifest_extra: dict[str, Any] | None = None,
    input_shapes: str | dict[str, Any] = "",
    passes: str | None = None,
    fp16: bool = False,
    stop_after: str | None = None,
    print_ir_after_all: IO[str] | None = None,
) -> CompileResult:
    """Run the pipeline on an imported module and write the model folder."""
    from ncc.emit.ncnn_files import emit_model, write_model_dir

    if isinstance(input_shapes, dict):
        input_shapes = ";".join(
            f"{k}:{'x'.join(str(int(d)) for d in v)}" for k, v in input_shapes.items()
        )
    try:
        spec, stats = run_pipeline(
            module, passes, input_shapes=input_shapes, stop_after=stop_after,
            print_ir_after_all=print_ir_after_all,
        )  # fmt: skip
    except NccError as e:
        e.file = e.file or label
        raise
    if stop_after is not None:
        return _write_ir(module, out_dir, stem, spec, stats)
    try:
        emitted = emit_model(module, stem, fp16=fp16)
    except NccError as e:
        e.file = e.file or label
        raise
    extra = {"source": source, "ncc_version": __version__, "pipeline": spec, **(manifest_extra or {})}
    batch = batch_layout_of(module)
    if batch is not None:
        extra["batch_layout"] = batch
    out = write_model_dir(emitted, out_dir, stem, extra)
    return CompileResult(
        out, out / f"{stem}.ncnn.param", out / f"{stem}.ncnn.bin", out / f"{stem}.ncnn.json",
        {**emitted.manifest, **extra}, spec, stats, module,
    )  # fmt: skip


def batch_layout_of(module: ModuleOp) -> dict[str, Any] | None:
    """What `onnx-batch-layout` did: {"frames": N, "strategy": …}, or None."""
    from ncc.lowering.onnx.graph import functions

    for f in functions(module):
        attr = f.attributes.get("ncc.batch_layout")
        if attr is not None:
            return {k: (v.data if hasattr(v, "data") and isinstance(v.data, str) else v.value.data) for k, v in attr.data.items()}
    return None


def _write_ir(module: ModuleOp, out_dir, stem: str, spec: str, stats) -> CompileResult:
    import io
    import shutil
    import tempfile

    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    buf = io.StringIO()
    # with locations: each op names the ONNX node(s) it came from, and ncc-opt reads them back
    Printer(stream=buf, print_debuginfo=True).print_op(module)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.ncc-", dir=out.parent))
    try:
        (tmp / f"{stem}.mlir").write_text(buf.getvalue() + "\n")
        if not out.exists():
            os.replace(tmp, out)
        else:
            os.replace(tmp / f"{stem}.mlir", out / f"{stem}.mlir")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return CompileResult(out, None, None, None, None, spec, stats, module)

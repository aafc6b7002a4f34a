"""The `ncc` command: compile, verify, run."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ncc import __version__
from ncc.errors import NccError


def _shape_args(values: list[str] | None) -> str:
    return ";".join(values or [])


def _npy_args(values: list[str] | None) -> dict:
    import numpy as np

    arrays = {}
    for item in values or []:
        if "=" not in item:
            raise NccError(f"--input '{item}': expected NAME=file.npy")
        name, path = item.split("=", 1)
        if not Path(path).is_file():
            raise NccError(f"--input {name}: no such file {path}")
        arrays[name] = np.load(path)
    return arrays


def _load_plugins(a: argparse.Namespace) -> None:
    from ncc.plugins import load_all

    load_all(getattr(a, "load_passes", None))


def _report(a: argparse.Namespace, result) -> None:
    """`--report FILE.json` / `--stats` after a compile."""
    if not (a.report or a.stats):
        return
    from ncc.report import build_report, format_stats, write_report

    report = build_report(result, str(a.model))
    if a.report:
        write_report(report, a.report)
    if a.stats:
        print(format_stats(report))


def cmd_compile(a: argparse.Namespace) -> int:
    from ncc.driver import build_pipeline, compile_onnx, pipeline_spec, with_batch_strategy

    _load_plugins(a)
    a.passes = with_batch_strategy(a.passes, a.batch_strategy)
    if a.print_pipeline:
        print(pipeline_spec(build_pipeline(a.passes, _shape_args(a.input_shape))))
        if a.model is None:
            return 0
    if a.model is None or a.output is None:
        raise NccError("compile needs MODEL and -o OUT")
    ir_stream = sys.stderr if a.print_ir_after_all else None
    from ncc.frontends.torch import is_torch_spec

    if is_torch_spec(a.model):
        return _compile_torch(a, ir_stream)
    if a.state_dict or a.export or a.opset is not None:
        raise NccError("--state-dict, --export and --opset are for PyTorch models (file.py:NAME, .pt2)")
    from ncc.symbolic import compile_symbolic, parse_dims, split_shapes, symbols_in

    shapes = split_shapes(_shape_args(a.input_shape))
    if symbols_in(shapes) or a.dim:
        if a.stop_after or a.print_ir_after_all:
            raise NccError("--stop-after / --print-ir-after-all compile one size: give static --input-shape dims")
        result = compile_symbolic(
            a.model, a.output, shapes, parse_dims(a.dim), passes=a.passes, fp16=a.fp16,
        )  # fmt: skip
    else:
        result = compile_onnx(
            a.model, a.output, input_shapes=_shape_args(a.input_shape), passes=a.passes,
            fp16=a.fp16, stop_after=a.stop_after, print_ir_after_all=ir_stream,
        )  # fmt: skip
    if not _announce(a, result):
        return 0
    _calibrate(a, result.out_dir, a.model)
    if a.verify:
        return _verify(result.out_dir, a.model, a.rtol, a.rtol_fp16, _npy_args(a.calibrate), a.seed)
    return 0


def _calibrate(a: argparse.Namespace, out_dir, model) -> None:
    """`--fp16-calibrate` / `--calibrate NAME=FILE.npy`: keep the layers fp16 gets wrong in fp32."""
    if not (a.fp16_calibrate or a.calibrate):
        return
    from ncc.precision import calibrate_fp16

    report = calibrate_fp16(out_dir, model, inputs=_npy_args(a.calibrate), seed=a.seed, target=a.rtol_fp16, time_runs=5)
    print(report.table())


def _announce(a: argparse.Namespace, result) -> bool:
    """Print what the compile wrote (and the --report/--stats); False when it stopped early."""
    if result.manifest_path is None:
        print(f"ncc: IR after {a.stop_after} written to {result.out_dir}")
        _report(a, result)
        return False
    m = result.manifest
    print(f"ncc: compiled {a.model} → {result.param} ({m['layers']} layers, {result.bin.stat().st_size} bytes of weights)")
    _print_batch_layout(m)
    _report(a, result)
    return True


def _print_batch_layout(manifest: dict) -> None:
    from ncc.lowering.onnx.batch_layout import STRATEGIES

    batch = manifest.get("batch_layout")
    if batch:
        others = ", ".join(s for s in STRATEGIES if s != batch["strategy"])
        print(
            f"ncc: a batch of {batch['frames']} frames carries data; placed with --batch-strategy "
            f"{batch['strategy']} (also possible: {others})"
        )


def _compile_torch(a: argparse.Namespace, ir_stream) -> int:
    """`ncc compile file.py:NAME` / `model.pt2`: export with torch, then the ONNX route."""
    from ncc.api import compile as compile_model
    from ncc.api import verify

    result = compile_model(
        a.model, None, a.output, input_shapes=_shape_args(a.input_shape), state_dict=a.state_dict,
        export=a.export or "dynamo", opset=a.opset, passes=a.passes, fp16=a.fp16,
        stop_after=a.stop_after, print_ir_after_all=ir_stream, seed=a.seed,
        fp16_calibrate=_npy_args(a.calibrate) or bool(a.fp16_calibrate),
    )  # fmt: skip
    if not _announce(a, result):
        return 0
    if result.precision is not None:
        print(result.precision.table())
    if a.verify:
        report = verify(result, rtol=a.rtol, rtol_fp16=a.rtol_fp16, seed=a.seed)
        return _print_report(report)
    return 0


def _print_report(report) -> int:
    print(report.table())
    print("verify: PASS" if report.passed else "verify: FAIL")
    return 0 if report.passed else 1


def _verify(out_dir, model, rtol, rtol_fp16, inputs, seed, state_dict=None) -> int:
    from ncc.api import verify

    report = verify(out_dir, model, state_dict=state_dict, rtol=rtol, rtol_fp16=rtol_fp16, inputs=inputs, seed=seed)
    from ncc.symbolic import record_verified

    record_verified(out_dir, report.rows)
    return _print_report(report)


def cmd_verify(a: argparse.Namespace) -> int:
    if not a.bisect:
        return _verify(a.out_dir, a.model, a.rtol, a.rtol_fp16, _npy_args(a.input), a.seed, a.state_dict)
    from ncc.api import verify
    from ncc.bisect import bisect

    inputs = _npy_args(a.input)
    report = verify(a.out_dir, a.model, state_dict=a.state_dict, rtol=a.rtol, rtol_fp16=a.rtol_fp16, inputs=inputs, seed=a.seed)
    code = _print_report(report)
    failing = [m for m in report.modes() if any(not r.passed for r in report.rows if r.mode == m)]
    if not failing:
        return code
    mode = failing[0]
    tol = a.rtol_fp16 if mode == "vulkan-fp16" else a.rtol
    result = bisect(a.out_dir, a.model, mode=mode, tol=tol, inputs=inputs, seed=a.seed)
    print()
    print(f"bisect ({mode}, tol {tol:.0e}): {sum(c.ok for c in result.checks)} of {len(result.checks)} compared blobs match")
    print(result.table(limit=a.bisect_rows))
    print(result.summary())
    return code


def cmd_compare(a: argparse.Namespace) -> int:
    from ncc.compare import compare_variants, parse_variant, variant_set, variant_sets

    _load_plugins(a)
    if a.list_variant_sets:
        for name, desc in variant_sets().items():
            print(f"{name:<24} {desc}")
        return 0
    if a.model is None:
        raise NccError("compare needs MODEL (an ONNX file)")
    variants = []
    for name in a.variants or []:
        variants += variant_set(name)
    variants += [parse_variant(v) for v in a.variant or []]
    try:
        threads = [int(t) for t in a.threads.split(",") if t]
    except ValueError:
        raise NccError(f"--threads '{a.threads}': expected a list like 1,2") from None
    report = compare_variants(
        a.model, variants, input_shapes=_shape_args(a.input_shape), threads=threads,
        repeats=a.repeats, warmup=a.warmup, seed=a.seed, keep=a.keep, inputs=_npy_args(a.input),
    )  # fmt: skip
    print(report.table())
    for path, text in ((a.csv, report.csv), (a.json, report.json)):
        if path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            Path(path).write_text(text())
    return 1 if any(r.error for r in report.rows) else 0


def cmd_run(a: argparse.Namespace) -> int:
    import numpy as np

    from ncc.verify import load_manifest, make_inputs, run_ncnn

    manifest, folder = load_manifest(a.out_dir)
    given = _npy_args(a.input)
    if manifest.get("dims") and given:
        from ncc.symbolic import concrete_manifest, dims_from_inputs

        manifest = concrete_manifest(manifest, dims_from_inputs(manifest, given))
    inputs = make_inputs(manifest, a.seed, given)
    outs = run_ncnn(manifest, folder, inputs, a.mode, threads=a.threads)
    if outs is None:
        raise NccError(f"mode {a.mode} has no device here")
    dest = Path(a.output)
    dest.mkdir(parents=True, exist_ok=True)
    for i, (name, arr) in enumerate(outs.items()):
        path = dest / f"{_safe(name) or f'output{i}'}.npy"
        np.save(path, arr)
        print(f"{name}: {list(arr.shape)} → {path}")
    return 0


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in name)


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="ncc",
        description="Compile ONNX models to ncnn (.param + .bin) and prove them against onnxruntime.",
    )
    ap.add_argument("--version", action="version", version=f"ncc {__version__}")
    sub = ap.add_subparsers(dest="command", required=True)

    def add_tolerances(p):
        p.add_argument("--rtol", type=float, default=1e-4, help="max relative error for CPU and Vulkan fp32 (default 1e-4)")
        p.add_argument("--rtol-fp16", type=float, default=2e-2, help="max relative error for Vulkan fp16 (default 2e-2)")
        p.add_argument("--seed", type=int, default=0, help="seed of the random inputs (default 0)")

    def add_load_passes(p):
        p.add_argument(
            "--load-passes", action="append", metavar="FILE.py|MODULE",
            help="import a module or file and register the ModulePass subclasses it defines, for --passes (repeatable)",
        )  # fmt: skip

    c = sub.add_parser("compile", help="compile an ONNX or PyTorch model into an ncnn model folder")
    c.add_argument("model", nargs="?", help="model.onnx, file.py:NAME (an nn.Module class or factory) or model.pt2 (torch.export.save)")
    c.add_argument("-o", "--output", help="output folder (gets <stem>.ncnn.param/.bin/.json)")
    c.add_argument("--input-shape", action="append", metavar="NAME=1x3x224x224", help="shape of an input (repeatable); dims may be names (1x3xHxW) that stay symbolic, sized by --dim")
    c.add_argument("--dim", action="append", metavar="H=320[,32..1280/32]", help="a symbolic dim's compile size, optionally its range and multiple (repeatable)")
    c.add_argument("--passes", metavar="SPEC", help="pass pipeline to run instead of the default")
    c.add_argument("--print-pipeline", action="store_true", help="print the pass pipeline and exit (or continue with MODEL)")
    c.add_argument("--print-ir-after-all", action="store_true", help="print the IR after every pass to stderr (weights print as keys)")
    c.add_argument("--stop-after", metavar="PASS", help="stop after PASS and write the IR (<stem>.mlir) instead of ncnn files")
    c.add_argument("--fp16", action="store_true", help="store weights as fp16 in the .bin")
    c.add_argument(
        "--batch-strategy", choices=["grouped", "conv3d", "batch-axis"],  # batch_layout.STRATEGIES, not imported at start-up
        help="how a batch of N > 1 frames is placed in ncnn (default grouped: any ncnn version, all on Vulkan)",
    )  # fmt: skip
    c.add_argument(
        "--fp16-calibrate", action="store_true",
        help="run the model in ncnn's fp16 mode on sample inputs and keep the layers that overflow fp16 or dominate its error in fp32 (featmask 31=19)",
    )
    c.add_argument("--calibrate", action="append", metavar="NAME=FILE.npy", help="sample input for --fp16-calibrate (repeatable; implies it; default: seeded random inputs)")
    c.add_argument("--verify", action="store_true", help="verify the result against onnxruntime, or torch eager for a PyTorch model (as `ncc verify`)")
    c.add_argument("--state-dict", metavar="FILE.pt", help="PyTorch: weights for file.py:NAME (torch.load with weights_only=True)")
    c.add_argument("--export", choices=["dynamo", "torchscript"], help="PyTorch: torch's ONNX exporter (default dynamo)")
    c.add_argument("--opset", type=int, help="PyTorch: ONNX opset of the export (default: the exporter's)")
    add_load_passes(c)
    c.add_argument("--report", metavar="FILE.json", help="write per-pass op counts and times, the ncnn layer histogram, Vulkan CPU-fallback layers and file sizes")
    c.add_argument("--stats", action="store_true", help="print the same report as a table")
    add_tolerances(c)
    c.set_defaults(fn=cmd_compile)

    v = sub.add_parser("verify", help="compare a compiled model with onnxruntime on ncnn CPU / Vulkan fp32 / Vulkan fp16")
    v.add_argument("out_dir", help="the folder ncc compile wrote")
    v.add_argument("--model", help="the source model: model.onnx (onnxruntime), file.py:NAME or model.pt2 (torch eager); default: the ONNX or .pt2 file recorded in the manifest")
    v.add_argument("--state-dict", metavar="FILE.pt", help="weights for a file.py:NAME model (weights_only=True)")
    v.add_argument("--input", action="append", metavar="NAME=file.npy", help="an input array instead of random data")
    v.add_argument("--bisect", action="store_true", help="on a mismatch, compare every ncnn blob with its ONNX tensor and name the first layer that diverges (needs the ONNX model)")
    v.add_argument("--bisect-rows", type=int, default=5, metavar="N", help="rows of the bisect table after the first divergent layer (default 5)")
    add_tolerances(v)
    v.set_defaults(fn=cmd_verify)

    k = sub.add_parser("compare", help="compile one model under several pipelines/options and compare size, Vulkan fallback, latency and error")
    k.add_argument("model", nargs="?", help="model.onnx")
    k.add_argument("--variant", action="append", metavar="NAME=SPEC", help="NAME=PIPELINE (a --passes spec or 'default') or NAME='--fp16 --without=PASS --before=PASS:NEW --after=PASS:NEW --passes=PIPELINE' (repeatable)")
    k.add_argument("--variants", action="append", metavar="SET", help="a built-in or plug-in variant set, e.g. fuse-activation, fp16-weights (repeatable)")
    k.add_argument("--list-variant-sets", action="store_true", help="list the variant sets and exit")
    k.add_argument("--input-shape", action="append", metavar="NAME=1x3x224x224", help="static shape of an input (repeatable)")
    k.add_argument("--input", action="append", metavar="NAME=file.npy", help="an input array instead of random data")
    k.add_argument("--threads", default="1,2", help="ncnn CPU thread counts to time (default 1,2)")
    k.add_argument("--repeats", type=int, default=10, help="timed runs per thread count; the median is reported (default 10)")
    k.add_argument("--warmup", type=int, default=2, help="untimed runs first (default 2)")
    k.add_argument("--seed", type=int, default=0)
    k.add_argument("--csv", metavar="FILE.csv", help="also write the table as CSV")
    k.add_argument("--json", metavar="FILE.json", help="also write the table as JSON")
    k.add_argument("--keep", metavar="DIR", help="keep each variant's model folder as DIR/NAME")
    add_load_passes(k)
    k.set_defaults(fn=cmd_compare)

    r = sub.add_parser("run", help="run a compiled model on .npy inputs and write .npy outputs")
    r.add_argument("out_dir")
    r.add_argument("--input", action="append", metavar="NAME=file.npy")
    r.add_argument("-o", "--output", required=True, help="folder for the output .npy files")
    r.add_argument("--mode", default="cpu", choices=["cpu", "vulkan-fp32", "vulkan-fp16"])
    r.add_argument("--threads", type=int, default=1)
    r.add_argument("--seed", type=int, default=0)
    r.set_defaults(fn=cmd_run)
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.fn(args)
    except NccError as e:
        if os.environ.get("NCC_DEBUG") and getattr(e, "detail", ""):
            print(e.detail, file=sys.stderr)
        print(f"ncc: {getattr(e, 'kind', 'error')}: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # the reader went away (`ncc verify … | head`): not an error of ncc's; keep Python from
        # complaining again when it flushes stdout at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as e:  # noqa: BLE001 - never show a traceback to users unless asked
        if os.environ.get("NCC_DEBUG"):
            raise
        print(f"ncc: internal error: {type(e).__name__}: {e} (set NCC_DEBUG=1 for a traceback)", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

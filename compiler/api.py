"""The Python API: `ncc.compile` and `ncc.verify`.

    import torch, ncc
    result = ncc.compile(model, (torch.randn(1, 3, 64, 64),), "out/")
    report = ncc.verify(result)          # ncnn CPU / Vulkan fp32 / Vulkan fp16 vs torch eager
    assert report.passed, report.table()

torch is imported only when a PyTorch model is compiled or verified.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np

from ncc.errors import NccError
from ncc.verify import DEFAULT_RTOL, DEFAULT_RTOL_FP16, MODES, VerifyReport
from ncc.verify import verify as _verify_dir

if TYPE_CHECKING:
    from ncc.driver import CompileResult

__all__ = ["CompileResult", "compile", "verify"]


def __getattr__(name: str) -> Any:
    # the driver (xDSL, the passes) loads when a model is compiled, not for `ncc verify`
    if name == "CompileResult":
        from ncc.driver import CompileResult

        return CompileResult
    raise AttributeError(name)


def _is_compile_result(obj: Any) -> bool:
    driver = sys.modules.get("ncc.driver")  # a CompileResult exists only once the driver is imported
    return driver is not None and isinstance(obj, driver.CompileResult)


def compile(  # noqa: A001 - `ncc.compile` is the public name
    model: Any,
    example_inputs: Any = None,
    out_dir: str | os.PathLike[str] | None = None,
    *,
    export: str = "dynamo",
    opset: int | None = None,
    output_names: Sequence[str] | None = None,
    input_shapes: str | Mapping[str, Sequence[int]] | None = None,
    state_dict: str | os.PathLike[str] | Mapping[str, Any] | None = None,
    stem: str | None = None,
    passes: str | None = None,
    fp16: bool = False,
    stop_after: str | None = None,
    print_ir_after_all: IO[str] | None = None,
    seed: int = 0,
    verbose: bool = False,
    fp16_calibrate: bool | Mapping[str, np.ndarray] = False,
    dims: Sequence[str] | None = None,
) -> CompileResult:
    """Compile a model into `out_dir` (`<stem>.ncnn.param`, `.bin`, `.json`).

    `model` is a `torch.nn.Module` or `torch.export.ExportedProgram` (with `example_inputs`: a
    tensor, a tuple of tensors, or a dict by `forward` parameter name; an ExportedProgram's own
    example inputs are used when None), or a path: `model.onnx`, `model.pt2`
    (torch.export.save), or `file.py:NAME` (an nn.Module subclass or factory function; random
    inputs of `input_shapes` when no example inputs are given).

    PyTorch models are exported by torch (`export="dynamo"` or `"torchscript"`, `opset`) into
    an in-memory ONNX model and compiled by the ONNX frontend, in eval mode. Inputs are named
    after forward's parameters; outputs `output`, or `output_0, output_1, …` in the order of the
    flattened return value (`output_names` overrides). The result's `reference` runs the model
    eagerly, so `ncc.verify(result)` compares ncnn with torch itself.

    Dims named in `input_shapes` (`"x=1x1x32xW"`) stay symbolic, sized by `dims`
    (`["W=160,64..480/32"]`, as `--dim`): one ncnn model for every size (`ncc.symbolic`; ONNX files).

    `fp16_calibrate` (True: seeded inputs; or a dict of sample inputs by name) keeps in fp32 the
    layers that overflow ncnn's fp16 mode or dominate its error (`ncc.precision`); the report is
    `result.precision`.

    Export failures raise `ExportError` (an `NccError`), compile errors `NccError`.
    """
    if out_dir is None:
        raise NccError("compile needs out_dir")
    from ncc.driver import compile_onnx, compile_onnx_model

    common = dict(passes=passes, fp16=fp16, stop_after=stop_after, print_ir_after_all=print_ir_after_all)
    from ncc.frontends.torch import is_torch_spec

    if isinstance(model, (str, os.PathLike)) and not is_torch_spec(model):
        if example_inputs is not None or state_dict is not None:
            raise NccError("example_inputs / state_dict are for PyTorch models, not ONNX files")
        from ncc.symbolic import compile_symbolic, parse_dims, split_shapes, symbols_in

        shapes = split_shapes(input_shapes) if isinstance(input_shapes, str) else {}
        if symbols_in(shapes) or dims:
            result = compile_symbolic(model, out_dir, shapes, parse_dims(list(dims or [])), passes=passes, fp16=fp16)
        else:
            result = compile_onnx(model, out_dir, input_shapes=_shape_text(input_shapes), **common)
        return _calibrated(result, model, fp16_calibrate, seed)

    from ncc.frontends import torch as tf

    if isinstance(model, (str, os.PathLike)):
        loaded, source, default_stem = tf.load_spec(model, state_dict)
        label = os.fspath(model)
        state_dict = None
    else:
        loaded, source, default_stem = model, None, "model"
        label = None
    if state_dict is not None:
        tf.apply_state_dict(loaded, state_dict)
    if example_inputs is not None and input_shapes:
        raise NccError("give example_inputs or input_shapes, not both")
    pipeline_shapes: str | dict = ""
    if tf.is_exported_program(loaded):
        # its own example inputs; shapes given fix the dims it exported as dynamic
        pipeline_shapes = _shape_text(input_shapes)
    elif example_inputs is None:
        if label is None and not input_shapes:
            raise NccError("example_inputs are needed to export an nn.Module (or input_shapes= for random ones)")
        from ncc.lowering.onnx.set_input_shapes import parse_shapes

        shapes = parse_shapes(input_shapes or "") if isinstance(input_shapes, str | None) else dict(input_shapes)
        try:
            example_inputs = tf.random_inputs(loaded, shapes, seed)
        except NccError as e:
            e.file = e.file or label
            raise

    proto, src = tf.export_onnx(
        loaded, example_inputs, export=export, opset=opset, output_names=output_names,
        label=label, verbose=verbose,
    )  # fmt: skip
    extra = {"frontend": src.manifest_info()}
    result = compile_onnx_model(
        proto, out_dir, stem=stem or default_stem, label=src.label,
        source=source or src.label, manifest_extra=extra, input_shapes=pipeline_shapes, **common,
    )  # fmt: skip
    result.reference = src.reference()
    if fp16_calibrate is not False and result.manifest_path is not None:
        import tempfile

        with tempfile.TemporaryDirectory(prefix="ncc-calibrate-") as tmp:
            exported = Path(tmp) / "model.onnx"
            exported.write_bytes(proto.SerializeToString())
            _calibrated(result, exported, fp16_calibrate, seed)
    return result


def _calibrated(result: CompileResult, onnx_model: Any, how: bool | Mapping[str, np.ndarray], seed: int) -> CompileResult:
    """`result` after fp16 calibration against onnxruntime on `onnx_model` (when asked for)."""
    if how is False or result.manifest_path is None:
        return result
    from ncc.precision import calibrate_fp16
    from ncc.verify import load_manifest

    inputs = None if how is True else dict(how)
    result.precision = calibrate_fp16(result.out_dir, onnx_model, inputs=inputs, seed=seed)
    result.manifest, _ = load_manifest(result.out_dir)
    return result


def verify(
    result_or_dir: CompileResult | str | os.PathLike[str],
    model: Any = None,
    *,
    state_dict: str | os.PathLike[str] | Mapping[str, Any] | None = None,
    inputs: Mapping[str, np.ndarray] | None = None,
    seed: int = 0,
    rtol: float = DEFAULT_RTOL,
    rtol_fp16: float = DEFAULT_RTOL_FP16,
    modes: Sequence[str] = MODES,
) -> VerifyReport:
    """Run the compiled model in ncnn (CPU, Vulkan fp32, Vulkan fp16) and compare it per output
    with a reference on the same inputs (seeded random ones unless `inputs` are given).

    The reference is, in order: `model` when given (an nn.Module / ExportedProgram run eagerly,
    or a path: `.onnx` → onnxruntime, `.pt2` or `file.py:NAME` → loaded and run eagerly); the
    model a `CompileResult` came from; a `.pt2` or `.onnx` file named by the manifest. A model
    compiled from Python code is never re-run from a path found in a manifest: pass it as `model`.
    """
    if _is_compile_result(result_or_dir) and result_or_dir.manifest_path is None:
        raise NccError("this compile stopped early (stop_after) and wrote no ncnn model to verify")
    out_dir = result_or_dir.out_dir if _is_compile_result(result_or_dir) else result_or_dir
    opts = dict(inputs=inputs, seed=seed, rtol=rtol, rtol_fp16=rtol_fp16, modes=modes)
    if model is not None:
        reference = _reference_for(model, out_dir, state_dict)
        if reference is None:  # an ONNX file
            return _verify_dir(out_dir, model, **opts)
        return _verify_dir(out_dir, reference=reference, **opts)
    if state_dict is not None:
        raise NccError("state_dict needs the model it belongs to (model=file.py:NAME or an nn.Module)")
    if _is_compile_result(result_or_dir) and result_or_dir.reference is not None:
        return _verify_dir(out_dir, reference=result_or_dir.reference, **opts)
    from ncc.verify import load_manifest

    manifest, _ = load_manifest(out_dir)
    frontend = manifest.get("frontend") or {}
    if frontend.get("kind") == "torch":
        src = str(manifest.get("source", ""))
        if src.endswith(".pt2") and Path(src).is_file():
            return _verify_dir(out_dir, reference=_reference_for(src, out_dir, None), **opts)
        raise NccError(
            f"{out_dir} was compiled from PyTorch ({src}); name the model to compare against "
            f"(--model file.py:NAME, or model= in Python): ncc does not run code named by a manifest"
        )
    return _verify_dir(out_dir, **opts)


def _reference_for(model: Any, out_dir: Any, state_dict: Any):
    """The eager reference of a torch model (None for an ONNX file: onnxruntime)."""
    from ncc.frontends import torch as tf

    if isinstance(model, (str, os.PathLike)):
        if not tf.is_torch_spec(model):
            if state_dict is not None:
                raise NccError("state_dict is for PyTorch models, not ONNX files")
            return None
        model, _, _ = tf.load_spec(model, state_dict)
    elif state_dict is not None:
        tf.apply_state_dict(model, state_dict)
    return tf.reference_for_manifest(model, out_dir)


def _shape_text(shapes: str | Mapping[str, Sequence[int]] | None) -> str | dict:
    if not shapes:
        return ""
    return shapes if isinstance(shapes, str) else {k: list(v) for k, v in shapes.items()}


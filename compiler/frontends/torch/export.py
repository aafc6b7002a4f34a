"""Exporting with torch's own ONNX exporter (dynamo or the TorchScript tracer) to an in-memory
`onnx.ModelProto`, and `TorchSource`, the eager model kept as `verify`'s reference."""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ncc.errors import NccError
from ncc.frontends.torch.capture import Log, quiet
from ncc.frontends.torch.decompositions import adaptive_avg_pool3d_as_avg_pool
from ncc.frontends.torch.errors import ANSI, ExportError, first_line, require_torch, summarise_export_error
from ncc.frontends.torch.naming import normalise_inputs

EXPORT_MODES = ("dynamo", "torchscript")
TORCHSCRIPT_OPSET = 17
"""The legacy exporter's opset when none is asked for (its own default moves between releases)."""


@dataclass
class TorchSource:
    """What a torch compile keeps to run the model again in eager mode (the reference)."""

    label: str
    model: Any
    """the nn.Module, or the ExportedProgram."""
    example_args: tuple
    arg_names: list[str]
    output_names: list[str]
    export: str
    opset: int
    input_names: list[str] = field(default_factory=list)
    """the inputs the ONNX graph kept (the TorchScript exporter drops unused ones)."""
    _eager: Any = field(default=None, repr=False)

    def run(self, args: Sequence[Any]) -> list[Any]:
        """The model's eager outputs, flattened in pytree order (eval mode, no grad)."""
        torch = require_torch()
        if self._eager is None:
            is_ep = isinstance(self.model, torch.export.ExportedProgram)
            self._eager = self.model.module() if is_ep else self.model
        with torch.no_grad(), eval_mode(self.model):
            return flatten_outputs(self._eager(*args))

    def manifest_info(self) -> dict[str, Any]:
        """The manifest's `frontend` entry: enough to rebuild the reference from the model."""
        torch = require_torch()
        is_ep = isinstance(self.model, torch.export.ExportedProgram)
        return {
            "kind": "torch",
            "export": self.export,
            "opset": self.opset,
            "torch_version": torch.__version__,
            "model": type(self.model.module() if is_ep else self.model).__name__,
            "inputs": [
                {"name": n, "shape": list(a.shape), "dtype": str(a.dtype).removeprefix("torch.")}
                for n, a in zip(self.arg_names, self.example_args, strict=True)
            ],
            "outputs": list(self.output_names),
        }

    def reference(self) -> Callable[[dict[str, np.ndarray]], dict[str, np.ndarray]]:
        """`verify`'s reference: inputs by name (numpy) → outputs by name (numpy)."""

        def run(feed: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
            torch = require_torch()
            args = []
            for name, example in zip(self.arg_names, self.example_args, strict=True):
                if name in feed:
                    args.append(torch.from_numpy(np.ascontiguousarray(feed[name])).to(example.dtype))
                else:  # an input the exporter dropped as unused: any value will do
                    args.append(torch.zeros_like(example))
            outs = self.run(args)
            if len(outs) != len(self.output_names):
                raise NccError(
                    f"{self.label}: the model returns {len(outs)} tensors, the compiled model has "
                    f"{len(self.output_names)} outputs ({', '.join(self.output_names)})"
                )
            return {n: t.detach().cpu().numpy() for n, t in zip(self.output_names, outs, strict=True)}

        return run


def reference_for_manifest(model: Any, out_dir: str | os.PathLike[str]) -> Callable[[dict], dict]:
    """The eager reference of `model` for an already compiled folder: input and output names
    (and the shapes of inputs the exporter dropped) come from its manifest."""
    torch = require_torch()
    from ncc.verify import load_manifest

    manifest, _ = load_manifest(out_dir)
    info = manifest.get("frontend") or {}
    if info.get("kind") == "torch":
        specs = [(i["name"], i["shape"], i["dtype"]) for i in info["inputs"]]
        outputs = list(info["outputs"])
    else:  # compiled from an ONNX file: trust its input order and names
        specs = [(i["name"], i["shape"], i["dtype"]) for i in manifest["inputs"]]
        outputs = [o["name"] for o in manifest["outputs"]]
    if not isinstance(model, (torch.nn.Module, torch.export.ExportedProgram)):
        raise NccError(f"expected a torch.nn.Module or torch.export.ExportedProgram, got {type(model).__name__}")
    args = tuple(torch.zeros(shape, dtype=getattr(torch, dtype)) for _, shape, dtype in specs)
    source = TorchSource("<reference>", model, args, [n for n, _, _ in specs], outputs, "", 0)
    return source.reference()


def export_onnx(
    model: Any,
    example_inputs: Any = None,
    *,
    export: str = "dynamo",
    opset: int | None = None,
    output_names: Sequence[str] | None = None,
    label: str | None = None,
    verbose: bool = False,
) -> tuple[Any, TorchSource]:
    """Export an nn.Module or ExportedProgram to an in-memory onnx.ModelProto."""
    torch = require_torch()
    if export not in EXPORT_MODES:
        raise NccError(f"export must be one of {', '.join(EXPORT_MODES)}, not '{export}'")
    is_ep = isinstance(model, torch.export.ExportedProgram)
    if not is_ep and not isinstance(model, torch.nn.Module):
        raise NccError(f"expected a torch.nn.Module or torch.export.ExportedProgram, got {type(model).__name__}")
    if is_ep and export != "dynamo":
        raise NccError("an ExportedProgram is exported by the dynamo exporter only (export='dynamo')")
    label = label or f"<{type(model.module() if is_ep else model).__name__}>"
    args, arg_names = normalise_inputs(model, example_inputs)

    source = TorchSource(label, model, args, arg_names, [], export, 0)
    try:
        eager_out = source.run(args)
    except Exception as e:  # noqa: BLE001 - the user's forward
        raise ExportError(
            f"running the model on the example inputs failed: {type(e).__name__}: {first_line(str(e))}",
            file=label,
        ) from None
    bad = [type(t).__name__ for t in eager_out if not isinstance(t, torch.Tensor)]
    if bad:
        raise ExportError(f"the model returns non-tensor values ({', '.join(bad)}); ncc compiles tensor outputs", file=label)
    if output_names is None:
        output_names = ["output"] if len(eager_out) == 1 else [f"output_{i}" for i in range(len(eager_out))]
    output_names = list(output_names)
    if len(output_names) != len(eager_out):
        raise NccError(f"{len(output_names)} output names for {len(eager_out)} outputs", file=label)
    source.output_names = output_names

    log = Log()
    try:
        with quiet(verbose, log), eval_mode(model):
            if export == "dynamo":
                try:
                    program = torch.onnx.export(
                        model, args, dynamo=True, input_names=arg_names, output_names=output_names,
                        opset_version=opset, verbose=False, external_data=False,
                    )  # fmt: skip
                except Exception as e:  # noqa: BLE001 - retried once, below
                    if "adaptive_avg_pool3d" not in str(e) or not isinstance(model, torch.nn.Module):
                        raise
                    # torch 2.13's exporter has no translation for 3-D adaptive average pooling
                    # (only the 2-D op is decomposed); the even-split case is a plain avg_pool3d
                    program = torch.export.export(model, tuple(args)).run_decompositions(
                        {torch.ops.aten.adaptive_avg_pool3d.default: adaptive_avg_pool3d_as_avg_pool}
                    )
                    program = torch.onnx.export(
                        program, args, dynamo=True, input_names=arg_names, output_names=output_names,
                        opset_version=opset, verbose=False, external_data=False,
                    )  # fmt: skip
                proto = program.model_proto
            else:
                buf = io.BytesIO()
                torch.onnx.export(
                    model, args, buf, dynamo=False, input_names=arg_names, output_names=output_names,
                    opset_version=opset or TORCHSCRIPT_OPSET, do_constant_folding=True,
                )  # fmt: skip
                import onnx

                proto = onnx.load_from_string(buf.getvalue())
    except Exception as e:  # noqa: BLE001 - every exporter failure is reported as one
        raise ExportError(
            f"{export} export failed: {summarise_export_error(e)}", file=label,
            detail=ANSI.sub("", str(e)), log=log.text,
        ) from None  # fmt: skip

    graph_outputs = [o.name for o in proto.graph.output]
    if graph_outputs != output_names:
        raise ExportError(
            f"the exported graph has outputs {graph_outputs}, expected {output_names}", file=label
        )
    inits = {t.name for t in proto.graph.initializer}
    kept = [i.name for i in proto.graph.input if i.name not in inits]
    if not set(kept) <= set(arg_names):
        if len(kept) != len(arg_names):
            raise ExportError(
                f"the exported graph's inputs {kept} do not match the model's inputs {arg_names}", file=label
            )
        # renamed by the exporter (a clash with a weight's name): the graph's names, in order
        source.arg_names = kept
    source.input_names = kept
    source.opset = next((int(o.version) for o in proto.opset_import if o.domain in ("", "ai.onnx")), 0)
    return proto, source


def flatten_outputs(out: Any) -> list[Any]:
    from torch.utils._pytree import tree_flatten

    leaves, _ = tree_flatten(out)
    return [x for x in leaves if x is not None]


@contextlib.contextmanager
def eval_mode(model: Any) -> Iterator[None]:
    """Eval mode for the duration, every submodule's own flag restored afterwards."""
    torch = require_torch()
    if not isinstance(model, torch.nn.Module):
        yield
        return
    flags = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        yield
    finally:
        for m, training in flags:
            m.training = training

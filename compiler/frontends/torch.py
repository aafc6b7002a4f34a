"""PyTorch → ONNX (in memory) → the ONNX frontend. Besides the tests, the only module that
imports torch, and only inside functions: `import ncc` and `ncc compile model.onnx` never pay
for it.

The route is torch's own ONNX exporter (`torch.onnx.export`, `dynamo=True` by default, or the
legacy TorchScript tracer), so the aten → ONNX translation is torch's, maintained with torch,
and ncc keeps one importer and one set of op semantics (see the README's architecture notes).

What this module adds around the exporter:
- inputs are named after `forward`'s parameters, outputs `output` / `output_0, output_1, …`
  (flattened in pytree order), so the manifest reads the same whichever exporter ran;
- the module is exported and run in eval mode, its own training flags restored afterwards;
- export failures become `ExportError` (one line: torch's root cause and the user's source line);
- loading never unpickles anything but plain tensors: state dicts and `.pt2` archives are read
  with `weights_only=True`, and `.pt2` archives that need more (AOTInductor libraries, pickled
  custom objects) are refused.
"""

from __future__ import annotations

import contextlib
import importlib.util
import inspect
import io
import os
import re
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ncc.errors import NccError

EXPORT_MODES = ("dynamo", "torchscript")
TORCHSCRIPT_OPSET = 17
"""The legacy exporter's opset when none is asked for (its own default moves between releases)."""

_PY_SPEC = re.compile(r"^(?P<file>.+\.py):(?P<name>[A-Za-z_][A-Za-z0-9_]*)$")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class ExportError(NccError):
    """torch could not export the model: the user's model, not ncc, has to change.
    `detail` keeps torch's full message (printed with NCC_DEBUG=1)."""

    kind = "export error"

    def __init__(self, message: str, *, file: str | None = None, detail: str = "", log: str = ""):
        super().__init__(message, file=file)
        self.detail = detail
        self.log = log


# ------------------------------------------------------------------------------ specs


def is_torch_spec(model: object) -> bool:
    """Whether a model argument names a PyTorch model: `file.py:NAME`, `.pt2`, `.pt`/`.pth`."""
    if not isinstance(model, (str, os.PathLike)):
        return False
    s = os.fspath(model)
    return bool(_PY_SPEC.match(s)) or s.endswith((".pt2", ".pt", ".pth"))


def is_exported_program(model: object) -> bool:
    torch = sys.modules.get("torch")  # an ExportedProgram exists only once torch is imported
    return torch is not None and isinstance(model, torch.export.ExportedProgram)


def _torch():
    try:
        import torch
    except ImportError as e:
        raise NccError(f"the PyTorch frontend needs torch ({e}); pip install 'ncc-ncnn[torch]'") from None
    return torch


def load_spec(
    spec: str | os.PathLike[str], state_dict: str | os.PathLike[str] | None = None
) -> tuple[Any, str, str]:
    """Load `file.py:NAME` (an nn.Module subclass built with no arguments, or a factory
    function returning a module), or a `torch.export.save` archive.
    Returns (module or ExportedProgram, source label for the manifest, default file stem)."""
    s = os.fspath(spec)
    m = _PY_SPEC.match(s)
    if m:
        module = load_python_model(m["file"], m["name"])
        if state_dict is not None:
            apply_state_dict(module, state_dict, label=s)
        return module, f"{Path(m['file']).resolve()}:{m['name']}", m["name"]
    if s.endswith(".pt2"):
        if state_dict is not None:
            raise NccError("--state-dict is for file.py:NAME models; a .pt2 archive carries its weights", file=s)
        return load_exported_program(s), str(Path(s).resolve()), Path(s).name[: -len(".pt2")]
    if s.endswith((".pt", ".pth")):
        raise NccError(
            "a pickled module cannot be loaded without running its pickle; give the code as "
            "file.py:NAME and these weights with --state-dict (read with weights_only=True), "
            "or save the model with torch.export.save as a .pt2 file",
            file=s,
        )
    raise NccError(f"'{s}' is not a PyTorch model: expected file.py:NAME or a .pt2 file")


def load_python_model(path: str | os.PathLike[str], name: str) -> Any:
    """Run the user's file (their own code, named on the command line) and build NAME from it,
    in eval mode."""
    torch = _torch()
    path = Path(path)
    if not path.is_file():
        raise NccError("no such file", file=str(path))
    mod_name = f"_ncc_user_{re.sub(r'[^0-9A-Za-z_]', '_', path.stem)}"
    spec = importlib.util.spec_from_file_location(mod_name, path)
    if spec is None or spec.loader is None:
        raise NccError("cannot be imported as a Python module", file=str(path))
    module = importlib.util.module_from_spec(spec)
    # the file may import its neighbours, as it would when run as a script
    folder = str(path.resolve().parent)
    sys.path.insert(0, folder)
    sys.modules[mod_name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as e:  # noqa: BLE001 - any failure in the user's file is theirs to fix
        sys.modules.pop(mod_name, None)
        raise NccError(f"importing the file failed: {type(e).__name__}: {_first_line(str(e))}", file=str(path)) from None
    finally:
        with contextlib.suppress(ValueError):
            sys.path.remove(folder)
    obj = getattr(module, name, None)
    if obj is None:
        found = sorted(
            k for k, v in vars(module).items()
            if isinstance(v, type) and issubclass(v, torch.nn.Module) and v.__module__ == mod_name
        )  # fmt: skip
        hint = f" (nn.Module classes in it: {', '.join(found)})" if found else ""
        raise NccError(f"defines no '{name}'{hint}", file=str(path))
    label = f"{path}:{name}"
    if isinstance(obj, type) and not issubclass(obj, torch.nn.Module):
        raise NccError(f"'{name}' is a class but not a torch.nn.Module", file=str(path))
    if not callable(obj):
        raise NccError(f"'{name}' is neither an nn.Module class nor a factory function", file=str(path))
    what = "constructor" if isinstance(obj, type) else "factory"
    try:
        # seeded: a module without --state-dict gets the same random weights every time it is
        # built, so `ncc verify --model file.py:NAME` checks the weights `ncc compile` used
        with torch.random.fork_rng():
            torch.manual_seed(0)
            built = obj()
    except TypeError as e:
        raise NccError(
            f"{name}() failed ({e}); NAME must build with no arguments: write a factory "
            f"function that returns the configured module",
            file=label,
        ) from None
    except Exception as e:  # noqa: BLE001 - the user's constructor
        raise NccError(f"the {what} {name}() failed: {type(e).__name__}: {_first_line(str(e))}", file=label) from None
    if isinstance(built, torch.export.ExportedProgram):
        return built
    if not isinstance(built, torch.nn.Module):
        raise NccError(f"{name}() returned {type(built).__name__}, not a torch.nn.Module", file=label)
    return built.eval()


def load_state_dict(path: str | os.PathLike[str]) -> dict[str, Any]:
    """A state dict from `torch.save`, unpickled with weights_only=True (tensors and plain
    containers only, no code). A checkpoint dict holding it under `state_dict` / `model` works too."""
    torch = _torch()
    path = Path(path)
    if not path.is_file():
        raise NccError("no such file", file=str(path))
    try:
        obj = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - UnpicklingError, RuntimeError (not a zip), ...
        raise NccError(
            f"cannot be read as a weights-only state dict ({_unpickling_reason(e)}); "
            f"ncc never unpickles code: save the weights with torch.save(model.state_dict(), path)",
            file=str(path),
        ) from None
    if isinstance(obj, Mapping):
        for key in ("state_dict", "model_state_dict", "model"):
            inner = obj.get(key)
            if isinstance(inner, Mapping) and inner and all(isinstance(v, torch.Tensor) for v in inner.values()):
                return dict(inner)
        if all(isinstance(v, torch.Tensor) for v in obj.values()):
            return dict(obj)
    raise NccError(f"holds a {type(obj).__name__}, not a state dict of tensors", file=str(path))


def apply_state_dict(module: Any, state_dict: str | os.PathLike[str] | Mapping[str, Any], label: str = "") -> None:
    torch = _torch()
    if not isinstance(module, torch.nn.Module):
        raise NccError("--state-dict needs an nn.Module (an ExportedProgram carries its weights)", file=label or None)
    sd = load_state_dict(state_dict) if isinstance(state_dict, (str, os.PathLike)) else dict(state_dict)
    try:
        module.load_state_dict(sd, strict=True)
    except RuntimeError as e:
        msg = " ".join(_ANSI.sub("", str(e)).split())
        raise NccError(f"the state dict does not fit the module: {msg}", file=label or None) from None


def load_exported_program(path: str | os.PathLike[str]) -> Any:
    """`torch.export.load`, made safe: torch's loader unpickles payloads with weights_only=False
    and can load AOTInductor shared libraries. Archives with libraries or pickled custom objects
    are refused by their entry names; every torch.load inside the load is forced to
    weights_only=True, so anything but tensors fails instead of running."""
    import zipfile

    torch = _torch()
    path = Path(path)
    if not path.is_file():
        raise NccError("no such file", file=str(path))
    try:
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
    except (zipfile.BadZipFile, OSError) as e:
        raise NccError(f"not a torch.export.save archive ({e})", file=str(path)) from None
    from torch.export.pt2_archive import constants as C

    for n in names:
        # entries sit under one archive-root folder whose name varies
        rest = n.split("/", 1)[1] if "/" in n else n
        if rest.startswith(C.AOTINDUCTOR_DIR):
            raise NccError(
                "the archive holds AOTInductor compiled code; ncc loads only the exported "
                "program (save it with torch.export.save)",
                file=str(path),
            )
        if rest.startswith(C.CONSTANTS_DIR):
            base = rest[len(C.CONSTANTS_DIR):]
            if base.startswith((C.CUSTOM_OBJ_FILENAME_PREFIX, C.OPAQUE_OBJ_FILENAME_PREFIX)):
                raise NccError(
                    f"the archive holds a pickled custom object ({rest}); ncc does not unpickle objects",
                    file=str(path),
                )
    real_load = torch.load

    def weights_only_load(f, *args, **kwargs):
        kwargs["weights_only"] = True
        kwargs.pop("pickle_module", None)
        return real_load(f, *args, **kwargs)

    torch.load = weights_only_load
    try:
        with _quiet(False, _Log()):
            ep = torch.export.load(str(path))
    except Exception as e:  # noqa: BLE001 - UnpicklingError for non-tensor pickles, format errors
        msg = _first_line(str(e))
        if type(e).__name__ == "UnpicklingError":
            msg = f"it holds a pickled object that is not a tensor, refused (weights_only=True): {_unpickling_reason(e)}"
        raise NccError(f"cannot load the exported program: {msg}", file=str(path)) from None
    finally:
        torch.load = real_load
    if not isinstance(ep, torch.export.ExportedProgram):
        raise NccError("the archive holds no exported program", file=str(path))
    return ep


# ------------------------------------------------------------------------------ inputs


def input_names_of(model: Any) -> list[str]:
    """The names of the model's positional tensor inputs: forward's parameters, or an
    ExportedProgram's user inputs."""
    torch = _torch()
    if isinstance(model, torch.export.ExportedProgram):
        return [str(n) for n in model.graph_signature.user_inputs]
    names = []
    for p in inspect.signature(model.forward).parameters.values():
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            names.append(p.name)
        elif p.kind == p.VAR_POSITIONAL:
            names.append(f"{p.name}_*")
    return names


def _required_inputs(model: Any) -> list[str]:
    torch = _torch()
    if isinstance(model, torch.export.ExportedProgram):
        return input_names_of(model)
    return [
        p.name for p in inspect.signature(model.forward).parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
    ]  # fmt: skip


def random_inputs(model: Any, shapes: Mapping[str, Sequence[int]], seed: int = 0) -> dict[str, Any]:
    """float32 standard-normal inputs of the given shapes, by forward-parameter name."""
    torch = _torch()
    names = [n for n in input_names_of(model) if not n.endswith("_*")]
    unknown = [n for n in shapes if n not in names]
    if unknown:
        raise NccError(f"--input-shape names {', '.join(unknown)}, but the model's inputs are {', '.join(names) or '(none)'}")
    missing = [n for n in _required_inputs(model) if n not in shapes]
    if missing:
        raise NccError(
            f"no shape for input(s) {', '.join(missing)}: give "
            + " ".join(f"--input-shape {n}=1x3x224x224" for n in missing)
            + " (input_shapes= in Python)"
        )
    g = torch.Generator().manual_seed(seed)
    return {n: torch.randn(*[int(d) for d in shapes[n]], generator=g) for n in names if n in shapes}


def _normalise_inputs(model: Any, example_inputs: Any) -> tuple[tuple, list[str]]:
    """(positional args, their names) from a tensor, a tuple/list, or a dict by parameter name."""
    torch = _torch()
    is_ep = isinstance(model, torch.export.ExportedProgram)
    if example_inputs is None:
        if not is_ep:
            raise NccError("example_inputs are needed to export an nn.Module")
        args, kwargs = model.example_inputs or ((), {})
        if kwargs:
            raise NccError("the ExportedProgram was exported with keyword inputs; give example_inputs as a tuple")
        example_inputs = tuple(args)
    names = input_names_of(model)
    if isinstance(example_inputs, torch.Tensor):
        example_inputs = (example_inputs,)
    if isinstance(example_inputs, Mapping):
        order = [n for n in names if n in example_inputs]
        extra = [k for k in example_inputs if k not in names]
        if extra:
            raise NccError(f"example_inputs name {', '.join(map(str, extra))}; the inputs are {', '.join(names)}")
        if order != names[: len(order)]:
            raise NccError(f"example_inputs must give the inputs in order without gaps ({', '.join(names)})")
        args = tuple(example_inputs[n] for n in order)
    elif isinstance(example_inputs, (tuple, list)):
        args = tuple(example_inputs)
    else:
        raise NccError(f"example_inputs must be a tensor, a tuple of tensors or a dict, not {type(example_inputs).__name__}")
    for i, a in enumerate(args):
        if not isinstance(a, torch.Tensor):
            raise NccError(f"example input {i} is a {type(a).__name__}; ncc takes tensor inputs only")
    if len(args) > len(names) and not any(n.endswith("_*") for n in names):
        raise NccError(f"{len(args)} example inputs for {len(names)} parameters ({', '.join(names)})")
    star = next((n for n in names if n.endswith("_*")), None)
    out_names = []
    for i in range(len(args)):
        n = names[i] if i < len(names) and not names[i].endswith("_*") else None
        out_names.append(n or f"{(star or 'input_*')[:-2]}_{i}")
    return args, out_names


# ------------------------------------------------------------------------------ export


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
        torch = _torch()
        if self._eager is None:
            is_ep = isinstance(self.model, torch.export.ExportedProgram)
            self._eager = self.model.module() if is_ep else self.model
        with torch.no_grad(), _eval_mode(self.model):
            return _flatten_outputs(self._eager(*args))

    def manifest_info(self) -> dict[str, Any]:
        """The manifest's `frontend` entry: enough to rebuild the reference from the model."""
        torch = _torch()
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
            torch = _torch()
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
    torch = _torch()
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
    torch = _torch()
    if export not in EXPORT_MODES:
        raise NccError(f"export must be one of {', '.join(EXPORT_MODES)}, not '{export}'")
    is_ep = isinstance(model, torch.export.ExportedProgram)
    if not is_ep and not isinstance(model, torch.nn.Module):
        raise NccError(f"expected a torch.nn.Module or torch.export.ExportedProgram, got {type(model).__name__}")
    if is_ep and export != "dynamo":
        raise NccError("an ExportedProgram is exported by the dynamo exporter only (export='dynamo')")
    label = label or f"<{type(model.module() if is_ep else model).__name__}>"
    args, arg_names = _normalise_inputs(model, example_inputs)

    source = TorchSource(label, model, args, arg_names, [], export, 0)
    try:
        eager_out = source.run(args)
    except Exception as e:  # noqa: BLE001 - the user's forward
        raise ExportError(
            f"running the model on the example inputs failed: {type(e).__name__}: {_first_line(str(e))}",
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

    log = _Log()
    try:
        with _quiet(verbose, log), _eval_mode(model):
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
            detail=_ANSI.sub("", str(e)), log=log.text,
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


def summarise_export_error(e: BaseException) -> str:
    """One line from torch's exporter message: the root exception and the user's source line."""
    text = _ANSI.sub("", str(e))
    where = ""
    m = re.search(r'The following call raised this error:\s*\n\s*File "([^"]+)", line (\d+), in (\S+)', text)
    if m:
        where = f" (at {m[1]}:{m[2]} in {m[3]})"
    if "## Exception summary" in text:
        summary = text.split("## Exception summary", 1)[1]
        for line in summary.splitlines():
            line = line.strip()
            if line:
                line = re.sub(r"^<class '(?:[\w.]*\.)?(\w+)'>:", r"\1:", line)
                return _clip(line) + where
    return f"{type(e).__name__}: {_clip(_first_line(text))}{where}"


def _unpickling_reason(e: BaseException) -> str:
    """torch.load's weights_only refusal names the offending global on a later line."""
    m = re.search(r"WeightsUnpickler error: (.*?)(?: Please use|$)", _ANSI.sub("", str(e)), re.M)
    return m[1].strip() if m else f"{type(e).__name__}: {_first_line(str(e))}"


def _first_line(text: str) -> str:
    for line in _ANSI.sub("", text).splitlines():
        if line.strip():
            return line.strip()
    return ""


def _clip(text: str, limit: int = 400) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _flatten_outputs(out: Any) -> list[Any]:
    from torch.utils._pytree import tree_flatten

    leaves, _ = tree_flatten(out)
    return [x for x in leaves if x is not None]


@contextlib.contextmanager
def _eval_mode(model: Any) -> Iterator[None]:
    """Eval mode for the duration, every submodule's own flag restored afterwards."""
    torch = _torch()
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


@dataclass
class _Log:
    text: str = ""


@contextlib.contextmanager
def _quiet(verbose: bool, log: _Log) -> Iterator[None]:
    """Keep torch's warnings, logging and printed graphs off the terminal (file descriptors 1
    and 2, so C++ output too); the text lands in `log` (ExportError.log)."""
    if verbose:
        yield
        return
    import logging

    saved_levels = {}
    for name in ("torch", "torch.onnx", "torch.export", "torch._dynamo", "torch.fx", "onnxscript"):
        lg = logging.getLogger(name)
        saved_levels[name] = lg.level
        lg.setLevel(logging.ERROR)
    sys.stdout.flush()
    sys.stderr.flush()
    saved_fds = []
    sink = tempfile.TemporaryFile(mode="w+b")
    text_sink = io.StringIO()
    try:
        for fd in (1, 2):
            try:
                saved_fds.append((fd, os.dup(fd)))
                os.dup2(sink.fileno(), fd)
            except OSError:
                pass
        # Python-level writes too: sys.stdout/stderr may not be fds 1/2 (pytest, notebooks)
        with warnings.catch_warnings(), contextlib.redirect_stdout(text_sink), contextlib.redirect_stderr(text_sink):
            warnings.simplefilter("ignore")
            yield
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        for fd, saved in saved_fds:
            os.dup2(saved, fd)
            os.close(saved)
        sink.seek(0)
        log.text = sink.read().decode("utf-8", "replace") + text_sink.getvalue()
        sink.close()
        for name, level in saved_levels.items():
            logging.getLogger(name).setLevel(level)


def adaptive_avg_pool3d_as_avg_pool(x, output_size):
    """`adaptive_avg_pool3d` as the `avg_pool3d` it equals when each output size divides the
    input size (a decomposition for torch's dynamo exporter, which has none)."""
    import torch

    sizes = x.shape[-3:]
    if any(i % o for i, o in zip(sizes, output_size, strict=True)):
        raise NotImplementedError(f"adaptive pooling {list(sizes)} → {list(output_size)} is not an even split")
    kernel = [i // o for i, o in zip(sizes, output_size, strict=True)]
    return torch.ops.aten.avg_pool3d.default(x, kernel, kernel)

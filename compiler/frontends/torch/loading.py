"""Loading PyTorch models safely: `file.py:NAME` (the user's own code, run as they named it),
state dicts and `torch.export.save` archives unpickled with weights_only=True only."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ncc.errors import NccError
from ncc.frontends.torch.capture import Log, quiet
from ncc.frontends.torch.errors import ANSI, first_line, require_torch, unpickling_reason

PY_SPEC = re.compile(r"^(?P<file>.+\.py):(?P<name>[A-Za-z_][A-Za-z0-9_]*)$")


def is_torch_spec(model: object) -> bool:
    """Whether a model argument names a PyTorch model: `file.py:NAME`, `.pt2`, `.pt`/`.pth`."""
    if not isinstance(model, (str, os.PathLike)):
        return False
    s = os.fspath(model)
    return bool(PY_SPEC.match(s)) or s.endswith((".pt2", ".pt", ".pth"))


def is_exported_program(model: object) -> bool:
    torch = sys.modules.get("torch")  # an ExportedProgram exists only once torch is imported
    return torch is not None and isinstance(model, torch.export.ExportedProgram)


def load_spec(
    spec: str | os.PathLike[str], state_dict: str | os.PathLike[str] | None = None
) -> tuple[Any, str, str]:
    """Load `file.py:NAME` (an nn.Module subclass built with no arguments, or a factory
    function returning a module), or a `torch.export.save` archive.
    Returns (module or ExportedProgram, source label for the manifest, default file stem)."""
    s = os.fspath(spec)
    m = PY_SPEC.match(s)
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
    torch = require_torch()
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
        raise NccError(f"importing the file failed: {type(e).__name__}: {first_line(str(e))}", file=str(path)) from None
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
        raise NccError(f"the {what} {name}() failed: {type(e).__name__}: {first_line(str(e))}", file=label) from None
    if isinstance(built, torch.export.ExportedProgram):
        return built
    if not isinstance(built, torch.nn.Module):
        raise NccError(f"{name}() returned {type(built).__name__}, not a torch.nn.Module", file=label)
    return built.eval()


def load_state_dict(path: str | os.PathLike[str]) -> dict[str, Any]:
    """A state dict from `torch.save`, unpickled with weights_only=True (tensors and plain
    containers only, no code). A checkpoint dict holding it under `state_dict` / `model` works too."""
    torch = require_torch()
    path = Path(path)
    if not path.is_file():
        raise NccError("no such file", file=str(path))
    try:
        obj = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - UnpicklingError, RuntimeError (not a zip), ...
        raise NccError(
            f"cannot be read as a weights-only state dict ({unpickling_reason(e)}); "
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
    torch = require_torch()
    if not isinstance(module, torch.nn.Module):
        raise NccError("--state-dict needs an nn.Module (an ExportedProgram carries its weights)", file=label or None)
    sd = load_state_dict(state_dict) if isinstance(state_dict, (str, os.PathLike)) else dict(state_dict)
    try:
        module.load_state_dict(sd, strict=True)
    except RuntimeError as e:
        msg = " ".join(ANSI.sub("", str(e)).split())
        raise NccError(f"the state dict does not fit the module: {msg}", file=label or None) from None


def load_exported_program(path: str | os.PathLike[str]) -> Any:
    """`torch.export.load`, made safe: torch's loader unpickles payloads with weights_only=False
    and can load AOTInductor shared libraries. Archives with libraries or pickled custom objects
    are refused by their entry names; every torch.load inside the load is forced to
    weights_only=True, so anything but tensors fails instead of running."""
    import zipfile

    torch = require_torch()
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
        with quiet(False, Log()):
            ep = torch.export.load(str(path))
    except Exception as e:  # noqa: BLE001 - UnpicklingError for non-tensor pickles, format errors
        msg = first_line(str(e))
        if type(e).__name__ == "UnpicklingError":
            msg = f"it holds a pickled object that is not a tensor, refused (weights_only=True): {unpickling_reason(e)}"
        raise NccError(f"cannot load the exported program: {msg}", file=str(path)) from None
    finally:
        torch.load = real_load
    if not isinstance(ep, torch.export.ExportedProgram):
        raise NccError("the archive holds no exported program", file=str(path))
    return ep

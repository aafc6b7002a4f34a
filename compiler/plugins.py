"""Passes defined outside ncc, usable by name in `--passes` without editing ncc.

Two routes, both merged into `ncc.registry.get_all_passes()` (so `ncc compile`, `ncc compare`,
`ncc-opt` and the `xdsl.universe` entry point all see them):

- an installed distribution declares the entry-point group `ncc.passes`, one entry per pass,
  named like the pass, pointing at its `ModulePass` subclass::

      [project.entry-points."ncc.passes"]
      my-fusion = "my_package.passes:MyFusionPass"

  Entry points are loaded lazily, when a pipeline names the pass.
- `--load-passes FILE.py` or `--load-passes package.module` imports a module now and registers
  the passes it defines: those listed in a module-level `NCC_PASSES`, else every `ModulePass`
  subclass defined in the module itself (with a `name`). The module may also add ops:
  `NCC_OPS` (onnx op classes, with their traits: the importer then reads nodes of their
  type) and `NCC_PATTERNS` (their onnx → ncnn conversion patterns).

A plug-in pass cannot take the name of a built-in pass: `--passes` must mean the same thing
whichever plug-ins are installed.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from types import ModuleType

from xdsl.passes import ModulePass

from ncc.dialects.common import NccError

ENTRY_POINT_GROUP = "ncc.passes"

_LOADED: dict[str, tuple[str, type[ModulePass]]] = {}
"""pass name → (where it came from, class), filled by `load_passes`."""


@lru_cache(maxsize=1)
def _entry_points() -> tuple:
    from importlib.metadata import entry_points

    return tuple(entry_points(group=ENTRY_POINT_GROUP))


def _entry_point_factory(ep) -> Callable[[], type[ModulePass]]:
    def load() -> type[ModulePass]:
        try:
            obj = ep.load()
        except Exception as e:  # noqa: BLE001 - a broken plug-in is a user-facing error
            raise NccError(f"plug-in pass '{ep.name}' ({ep.value}) failed to load: {type(e).__name__}: {e}") from None
        if not (isinstance(obj, type) and issubclass(obj, ModulePass)):
            raise NccError(f"plug-in pass '{ep.name}' ({ep.value}) is not a ModulePass subclass")
        if getattr(obj, "name", None) != ep.name:
            raise NccError(
                f"plug-in pass '{ep.name}' ({ep.value}) names itself '{getattr(obj, 'name', None)}'; "
                "the entry-point name must be the pass name"
            )
        return obj

    return load


def entry_point_passes(builtin: set[str] | frozenset[str] = frozenset()) -> dict[str, Callable[[], type[ModulePass]]]:
    """Factories for the passes of the `ncc.passes` entry-point group (nothing is imported)."""
    out: dict[str, Callable[[], type[ModulePass]]] = {}
    for ep in _entry_points():
        if ep.name in builtin:
            warnings.warn(f"ncc: ignoring plug-in pass '{ep.name}' ({ep.value}): a built-in pass has that name", stacklevel=2)
            continue
        out.setdefault(ep.name, _entry_point_factory(ep))
    return out


def loaded_passes() -> dict[str, Callable[[], type[ModulePass]]]:
    """Factories for the passes registered by `load_passes` in this process."""
    return {name: (lambda cls=cls: cls) for name, (_, cls) in _LOADED.items()}


def _import_file(path: Path) -> ModuleType:
    path = path.resolve()
    digest = hashlib.sha1(str(path).encode()).hexdigest()[:10]
    mod_name = f"ncc_plugin_{''.join(c if c.isalnum() else '_' for c in path.stem)}_{digest}"
    spec = importlib.util.spec_from_file_location(mod_name, path)
    if spec is None or spec.loader is None:
        raise NccError(f"--load-passes {path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    # dataclasses (every ModulePass is one) look their module up in sys.modules
    sys.modules[mod_name] = module
    try:
        spec.loader.exec_module(module)
    except NccError:
        raise
    except Exception as e:  # noqa: BLE001 - the user's file: report it as one line
        sys.modules.pop(mod_name, None)
        raise NccError(f"--load-passes {path}: {type(e).__name__}: {e}") from None
    return module


def passes_of_module(module: ModuleType) -> list[type[ModulePass]]:
    """`NCC_PASSES` if the module lists them, else the ModulePass subclasses it defines."""
    listed = getattr(module, "NCC_PASSES", None)
    if listed is not None:
        classes = list(listed)
    else:
        classes = [
            v for v in vars(module).values()
            if isinstance(v, type) and issubclass(v, ModulePass) and v.__module__ == module.__name__
            and isinstance(v.__dict__.get("name"), str)
        ]  # fmt: skip
    for cls in classes:
        if not (isinstance(cls, type) and issubclass(cls, ModulePass) and isinstance(getattr(cls, "name", None), str)):
            raise NccError(f"{module.__name__}: NCC_PASSES entry {cls!r} is not a named ModulePass subclass")
    return classes


def load_passes(target: str) -> list[str]:
    """Import a module (`package.module`) or a file (`path/to/file.py`) and register the
    passes it defines; returns their names."""
    from ncc.registry import builtin_pass_names

    if not target:
        raise NccError("--load-passes needs a file.py or a module name")
    path = Path(target)
    if target.endswith(".py") or path.is_file():
        if not path.is_file():
            raise NccError(f"--load-passes {target}: no such file")
        module = _import_file(path)
        origin = str(path.resolve())
    else:
        try:
            module = importlib.import_module(target)
        except ImportError as e:
            raise NccError(f"--load-passes {target}: cannot import module ({e})") from None
        except Exception as e:  # noqa: BLE001 - the user's module: report it as one line
            raise NccError(f"--load-passes {target}: {type(e).__name__}: {e}") from None
        origin = target
    classes = passes_of_module(module)
    ops, patterns = list(getattr(module, "NCC_OPS", ())), list(getattr(module, "NCC_PATTERNS", ()))
    if ops or patterns:  # new ops (classes with their traits) and their onnx → ncnn patterns
        from ncc.dialects.onnx import register_ops
        from ncc.lowering.onnx_to_ncnn import register_patterns

        register_ops(ops)
        register_patterns(patterns)
    if not classes and not ops and not patterns:
        raise NccError(f"--load-passes {target}: defines no ModulePass subclass with a name (nor NCC_OPS / NCC_PATTERNS)")
    builtin = builtin_pass_names()
    names = []
    for cls in classes:
        if cls.name in builtin:
            raise NccError(f"--load-passes {target}: pass '{cls.name}' has the name of a built-in pass")
        prev = _LOADED.get(cls.name)
        if prev is not None and prev[0] != origin:
            raise NccError(f"--load-passes {target}: pass '{cls.name}' is already loaded from {prev[0]}")
        _LOADED[cls.name] = (origin, cls)
        names.append(cls.name)
    return names


def load_all(targets: list[str] | None) -> list[str]:
    names: list[str] = []
    for t in targets or []:
        names += load_passes(t)
    return names


@contextmanager
def isolated() -> Iterator[None]:
    """Undo, on exit, every registration `load_passes` made inside the block: loaded passes,
    plug-in op classes and their conversion patterns. Plug-ins register for the whole
    process (a CLI run is one process); a long-lived process that compiles with different
    plug-ins in turn (a test session, a notebook) keeps each one's ops to its own block."""
    from ncc.dialects import onnx as onnx_dialect
    from ncc.lowering import onnx_to_ncnn

    loaded = dict(_LOADED)
    ops = list(onnx_dialect.OPS)
    by_type = dict(onnx_dialect.OPS_BY_TYPE)
    operations = list(onnx_dialect.ONNX._operations)  # noqa: SLF001 - see register_ops
    patterns = list(onnx_to_ncnn._PLUGIN_PATTERNS)  # noqa: SLF001
    try:
        yield
    finally:
        _LOADED.clear()
        _LOADED.update(loaded)
        onnx_dialect.OPS[:] = ops
        onnx_dialect.OPS_BY_TYPE.clear()
        onnx_dialect.OPS_BY_TYPE.update(by_type)
        onnx_dialect.ONNX._operations[:] = operations  # noqa: SLF001
        onnx_to_ncnn._PLUGIN_PATTERNS[:] = patterns  # noqa: SLF001

"""Naming and normalising a model's inputs: outputs and inputs of the exported graph are named
after `forward`'s parameters, so the manifest reads the same whichever exporter ran."""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from typing import Any

from ncc.errors import NccError
from ncc.frontends.torch.errors import require_torch


def input_names_of(model: Any) -> list[str]:
    """The names of the model's positional tensor inputs: forward's parameters, or an
    ExportedProgram's user inputs."""
    torch = require_torch()
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
    torch = require_torch()
    if isinstance(model, torch.export.ExportedProgram):
        return input_names_of(model)
    return [
        p.name for p in inspect.signature(model.forward).parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
    ]  # fmt: skip


def random_inputs(model: Any, shapes: Mapping[str, Sequence[int]], seed: int = 0) -> dict[str, Any]:
    """float32 standard-normal inputs of the given shapes, by forward-parameter name."""
    torch = require_torch()
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


def normalise_inputs(model: Any, example_inputs: Any) -> tuple[tuple, list[str]]:
    """(positional args, their names) from a tensor, a tuple/list, or a dict by parameter name."""
    torch = require_torch()
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

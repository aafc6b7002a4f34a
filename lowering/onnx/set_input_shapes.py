"""`set-input-shapes`: make the model's input shapes static."""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import DYNAMIC_INDEX, ModuleOp, TensorType, UnrankedTensorType
from xdsl.passes import ModulePass

from ncc.dialects.common import NccError
from ncc.lowering.onnx.graph import functions, retype, update_signatures


def parse_shapes(text: str) -> dict[str, list[int]]:
    """`"x:1x3x224x224;mask:1x16"` (also `=` for `:` and `,` for `;`) → {name: dims}."""
    shapes: dict[str, list[int]] = {}
    for item in filter(None, (s.strip() for s in text.replace(",", ";").split(";"))):
        sep = "=" if "=" in item else ":"
        if sep not in item:
            raise NccError(f"bad input shape '{item}': expected NAME=1x3x224x224")
        name, dims = item.rsplit(sep, 1)
        try:
            shapes[name.strip()] = [int(d) for d in dims.lower().split("x")] if dims else []
        except ValueError:
            raise NccError(f"bad input shape '{item}': dims must be integers") from None
    return shapes


def _shown(t) -> str:
    """A model input's shape as the user sees it: `?x3x?x?` (? = dynamic)."""
    if isinstance(t, UnrankedTensorType):
        return "? (unknown rank)"
    return "x".join("?" if d == DYNAMIC_INDEX else str(d) for d in t.get_shape()) or "scalar"


@dataclass(frozen=True)
class SetInputShapesPass(ModulePass):
    """Give each model input the shape named in `shapes` ("NAME:1x3x224x224;…"), then check
    that every input is static; a dim still unknown is an error naming the input."""

    name = "set-input-shapes"
    shapes: str = ""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        given = parse_shapes(self.shapes)
        for f in functions(op):
            names_attr = f.attributes.get("ncc.input_names")
            names = [n.data for n in names_attr.data] if names_attr else [
                f"arg{i}" for i in range(len(f.args))
            ]
            unknown = set(given) - set(names)
            if unknown:
                raise NccError(
                    f"--input-shape names unknown input(s) {sorted(unknown)}; the model's inputs are {names}"
                )
            for name, arg in zip(names, f.args, strict=True):
                t = arg.type
                if name in given:
                    dims = given[name]
                    if isinstance(t, TensorType) and len(t.get_shape()) != len(dims):
                        raise NccError(
                            f"--input-shape {name}: the model's input has rank {len(t.get_shape())}, got {len(dims)} dims"
                        )
                    if any(d <= 0 for d in dims):
                        raise NccError(
                            f"--input-shape {name}={'x'.join(map(str, dims))}: every dim must be positive"
                        )
                    if isinstance(t, TensorType):
                        for i, (d_model, d_given) in enumerate(zip(t.get_shape(), dims, strict=True)):
                            if d_model != DYNAMIC_INDEX and d_model != d_given:
                                raise NccError(
                                    f"--input-shape {name}={'x'.join(map(str, dims))} contradicts the "
                                    f"model's shape {_shown(t)} (dim {i} is {d_model})"
                                )
                    retype(arg, TensorType(t.element_type, dims))
                elif isinstance(t, UnrankedTensorType) or not t.has_static_shape():
                    if isinstance(t, UnrankedTensorType):
                        hint = f"--input-shape {name}=1x3x224x224 (your dims)"
                    else:
                        example = "x".join("N" if d == DYNAMIC_INDEX else str(d) for d in t.get_shape())
                        hint = f"--input-shape {name}={example} (N: your sizes)"
                    raise NccError(f"input '{name}' has a dynamic shape {_shown(t)}; give it with {hint}")
        update_signatures(op)

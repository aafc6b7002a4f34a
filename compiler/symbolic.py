"""Symbolic input dims: one ncnn model for every input size (`--input-shape x=1x3xHxW --dim H=320`).

ncnn's convolutions, poolings, elementwise layers and activations follow the size of their
input; only params that encode a size pin it. ncc therefore compiles the model at the given
size and once more per symbolic dim with only that dim changed, and *anti-unifies* the ncnn
files: every layer, blob and weight must be the same, and a param that differs must have a
size-free form that ncnn computes from its input, chosen by the layer class from its values
at every compile size (`NcnnLayer.generalize_params`: a Reshape's one differing dim becomes -1,
else a size expression of its input's dims; a Crop's moving begin/end become expressions; an
Interp gets its scale or an expression; an Input's shape hints are dropped). A MemoryData that
moves with the size (a detector's grid) must be the corner of the one compiled at the range's
maximum: that one is stored and cropped at run time to the blob it meets. Anything else stops
the compile with an error that names the layer, its ONNX node, the dim and the values.

The manifest keeps `shape` / `mat_shape` at the given size (so a reader that knows nothing of
dims can still run it) and adds, per input and output, `symbolic_shape` / `symbolic_mat_shape`
(each dim an int or an expression of the dims such as `"H/8"` or `"W/4-1"`), and `dims`: per
dim its given value, its declared range and multiple, the sizes `ncc verify` checked, and
`max_is_limit` when a grid was stored for the maximum (no larger size can run).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from ncc.errors import NccError

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*$")


@dataclass
class Dim:
    """A symbolic input dim: its compile value, an optional range and a multiple it keeps."""

    name: str
    value: int
    lo: int | None = None
    hi: int | None = None
    multiple: int = 1

    def samples(self) -> list[int]:
        """The sizes `ncc verify` checks by default: the smallest, the given one, a large one."""
        m = self.multiple
        small = self.lo if self.lo is not None else max(m, (self.value // 2) // m * m)
        large = 2 * self.value if self.hi is None else self.hi
        large = max(self.value, large // m * m)
        return sorted({small, self.value, large})

    def other(self) -> int:
        """A second compile size, different from `value`, within the range and the multiple."""
        for v in (2 * self.value, *reversed(self.samples())):
            if v != self.value and (self.hi is None or v <= self.hi) and v % self.multiple == 0:
                return v
        raise NccError(f"--dim {self.name}: its range holds only {self.value}; make it static instead")

    def entry(self) -> dict[str, Any]:
        return {"value": self.value, "min": self.lo, "max": self.hi, "multiple": self.multiple}


def parse_dims(items: list[str] | None) -> dict[str, Dim]:
    """`--dim H=320`, `--dim H=32..1280/32` (value: the range's middle multiple) or
    `--dim H=320,32..1280/32`."""
    dims: dict[str, Dim] = {}
    for item in items or []:
        name, _, spec = item.partition("=")
        name = name.strip()
        if not _NAME.match(name) or not spec:
            raise NccError(f"--dim '{item}': expected NAME=VALUE, NAME=LO..HI[/MULTIPLE] or NAME=VALUE,LO..HI[/MULTIPLE]")
        value_text, _, range_text = spec.partition(",") if "," in spec else (
            ("", "", spec) if ".." in spec else (spec, "", "")
        )
        try:
            lo = hi = None
            multiple = 1
            if range_text:
                bounds, _, mult = range_text.partition("/")
                lo_t, _, hi_t = bounds.partition("..")
                lo, hi = int(lo_t), int(hi_t)
                multiple = int(mult) if mult else 1
            value = int(value_text) if value_text else (((lo + hi) // 2) // multiple * multiple)
        except ValueError:
            raise NccError(f"--dim '{item}': sizes must be integers") from None
        if value <= 0 or multiple <= 0 or (lo is not None and not lo <= value <= hi):
            raise NccError(f"--dim '{item}': the value must be positive and within the range")
        if value % multiple or (lo is not None and (lo % multiple or hi % multiple)):
            raise NccError(f"--dim '{item}': the value and the range's ends must be multiples of {multiple}")
        dims[name] = Dim(name, value, lo, hi, multiple)
    return dims


def split_shapes(text: str) -> dict[str, list[int | str]]:
    """`"x=1x3xHxW;y=1x4"` → {"x": [1, 3, "H", "W"], "y": [1, 4]}."""
    shapes: dict[str, list[int | str]] = {}
    for item in filter(None, (s.strip() for s in text.replace(",", ";").split(";"))):
        sep = "=" if "=" in item else ":"
        name, _, dims = item.rpartition(sep)
        if not name:
            raise NccError(f"bad input shape '{item}': expected NAME=1x3xHxW")
        shapes[name.strip()] = [int(d) if d.strip().lstrip("-").isdigit() else d.strip() for d in dims.split("x")]
    return shapes


def symbols_in(shapes: dict[str, list[int | str]]) -> list[str]:
    return sorted({d for dims in shapes.values() for d in dims if isinstance(d, str)})


def _concrete(shapes: dict[str, list[int | str]], values: dict[str, int]) -> str:
    return ";".join(f"{k}:{'x'.join(str(values[d] if isinstance(d, str) else d) for d in v)}" for k, v in shapes.items())


# ---------------------------------------------------------------------------- the .param text


@dataclass
class _Layer:
    type: str
    name: str
    head: list[str]
    params: dict[int, str] = field(default_factory=dict)

    def line(self) -> str:
        return " ".join(self.head + [f"{k}={v}" for k, v in self.params.items()])


def _read_param(path: Path) -> tuple[list[str], list[_Layer]]:
    lines = path.read_text().split("\n")
    layers = []
    for line in lines[2:]:
        tok = line.split()
        if len(tok) < 4:
            continue
        n = 4 + int(tok[2]) + int(tok[3])
        params = {}
        for t in tok[n:]:
            k, _, v = t.partition("=")
            params[int(k)] = v
        layers.append(_Layer(tok[0], tok[1], tok[:n], params))
    return lines[:2], layers


# ------------------------------------------------------------------------------ expressions


def _fit(values: dict[str, int], base: int, moved: dict[str, tuple[int, int]]) -> int | str:
    """The expression of one output dim: `base` at the given sizes; `moved[s] = (size of s,
    dim)` with only s changed. Linear in one dim (`a*s+b`) or a product of dims (`c*s*t`)."""
    changed = {s: (x, v) for s, (x, v) in moved.items() if v != base}
    if not changed:
        return base
    if len(changed) == 1:
        (s, (x, v)), = changed.items()
        a = Fraction(v - base, x - values[s])
        b = base - a * values[s]
        return _linear(s, a, b)
    # several dims: a product c·s·t…, proportional to each of them
    coef = Fraction(base)
    for s in changed:
        coef /= values[s]
    if all(Fraction(v) == Fraction(base) * x / values[s] for s, (x, v) in changed.items()):
        return _linear("*".join(sorted(changed)), coef, Fraction(0))
    raise NccError(f"an output dim ({base}) depends on {sorted(changed)} in a way ncc cannot write as an expression")


def _linear(s: str, a: Fraction, b: Fraction) -> str:
    if a.numerator == 0:
        return str(b)
    term = s if a == 1 else (f"{s}/{a.denominator}" if a.numerator == 1 else (
        f"{a.numerator}*{s}" if a.denominator == 1 else f"{a.numerator}*{s}/{a.denominator}"))
    if b == 0:
        return term
    if b.denominator != 1:
        raise NccError(f"the expression {term}+{b} is not integral")
    return f"{term}{'+' if b > 0 else '-'}{abs(b.numerator)}"


def evaluate(expr: int | str, values: dict[str, int]) -> int:
    """An expression of `symbolic_shape` at the given dim values (integer division, exact)."""
    if isinstance(expr, int):
        return expr
    text = expr
    for name in sorted(values, key=len, reverse=True):
        text = re.sub(rf"\b{name}\b", f"Fraction({values[name]})", text)
    result = eval(text, {"__builtins__": {}, "Fraction": Fraction})  # noqa: S307 - digits, dims, + - * /
    if Fraction(result).denominator != 1:
        raise NccError(f"{expr} is not an integer at {values}")
    return int(result)


# ---------------------------------------------------------------------------------- compile


def compile_symbolic(
    model: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    shapes: dict[str, list[int | str]],
    dims: dict[str, Dim],
    **options: Any,
):
    """Compile `model` once per size (the given dims, then each dim moved alone), check that the
    ncnn files agree up to size-free params, and write one model for every size."""
    from ncc.dialects.ncnn import LAYERS_BY_TYPE
    from ncc.driver import compile_onnx
    from ncc.verify import load_manifest

    symbols = symbols_in(shapes)
    missing = [s for s in symbols if s not in dims]
    if missing:
        raise NccError(f"--input-shape uses dim(s) {missing}: give each a size with --dim {missing[0]}=VALUE")
    unused = sorted(set(dims) - set(symbols))
    if unused:
        raise NccError(f"--dim {unused[0]}: no --input-shape uses it")
    values = {s: dims[s].value for s in symbols}
    label = str(model)
    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}.ncc-symbolic-", dir=out.parent))
    try:
        base = compile_onnx(model, work / "base", input_shapes=_concrete(shapes, values), **options)
        _require_dynamic(shapes, label)
        moved: dict[str, Any] = {}
        for s in symbols:
            other = dict(values, **{s: dims[s].other()})
            moved[s] = (other[s], compile_onnx(model, work / s, input_shapes=_concrete(shapes, other), **options))
        head, layers = _read_param(base.param)
        runs = [(values, base)] + [(dict(values, **{s: size}), r) for s, (size, r) in moved.items()]
        for s, (size, result) in moved.items():
            _, other_layers = _read_param(result.param)
            # name the first layer that differs and is not a Split ncc inserted for a fan-out
            pairs = zip(layers + [None], other_layers + [None], strict=False)
            differing = [(i, la or lb) for i, (la, lb) in enumerate(pairs) if (la or lb) is not None and (la is None or lb is None or la.head != lb.head)]
            if differing:
                i, at = next((d for d in differing if d[1] is not None and d[1].type != "Split"), differing[0])
                where = f"at layer {i}, {at.type} '{at.name}'" if at is not None else "at its end"
                raise NccError(
                    f"{label}: the ncnn graph itself changes with dim {s} ({values[s]} → {size}) {where}: "
                    f"the lowering depends on the size there; compile with a static --input-shape"
                )
        all_layers = [layers] + [_read_param(r.param)[1] for _, (_, r) in moved.items()]
        all_mats = [_blob_mats(r.manifest) for _, r in runs]
        all_weights = [_layer_weights(r, len(layers)) for _, r in runs]
        grids: list[int] = []  # MemoryData layers whose data moves with the size
        for i, la in enumerate(layers):
            samples = [ls[i].params for ls in all_layers]
            weights_move = any(w[i] != all_weights[0][i] for w in all_weights)
            if la.type == "MemoryData" and (weights_move or any(p != la.params for p in samples)):
                grids.append(i)
                continue
            if weights_move:
                s = _first_moved(runs, [w[i] for w in all_weights])
                k = next(j for j, w in enumerate(all_weights) if w[i] != all_weights[0][i])
                raise NccError(
                    f"{label}: the weights of ncnn layer {la.type} '{la.name}' depend on dim {s} ({len(all_weights[0][i])} "
                    f"bytes at {s}={values[s]}, {len(all_weights[k][i])} at {s}={runs[k][0][s]}: a constant computed from "
                    f"the size, or a weight repeated per item by a batch strategy): compile with a static --input-shape"
                )
            if all(p == la.params for p in samples):
                continue
            cls = LAYERS_BY_TYPE.get(la.type)
            ins = la.head[4 : 4 + int(la.head[2])]
            if la.type == "Input":  # its params are only shape hints
                general = {k: v for k, v in la.params.items() if all(p.get(k) == v for p in samples)}
            elif cls is None:
                general = None
            else:
                general = cls.generalize_params(
                    [(p, [m[x] for x in ins] if all(x in m for x in ins) else None) for p, m in zip(samples, all_mats, strict=True)]
                )
            if general is None:
                s = _first_moved(runs, samples)
                k_run = next(j for j, (v, _) in enumerate(runs) if v[s] != values[s])
                pb = samples[k_run]
                diff = sorted(k for k in set(la.params) | set(pb) if la.params.get(k) != pb.get(k))
                shown = ", ".join(f"{k}: {la.params.get(k, '-')} at {s}={values[s]}, {pb.get(k, '-')} at {s}={runs[k_run][0][s]}" for k in diff)
                raise NccError(
                    f"{label}: ncnn layer {la.type} '{la.name}' depends on dim {s} ({shown}) and has no "
                    f"size-free form: compile with a static --input-shape"
                )
            la.params = general
        bin_bytes = b"".join(all_weights[0])
        bounded: set[str] = set()
        if grids:
            head, layers, bin_bytes, bounded = _grids_from_largest(
                model, work, shapes, dims, values, runs, all_layers, all_weights, all_mats, grids, head, label, options
            )
        base.param.write_text("\n".join(head + [la.line() for la in layers]) + "\n")
        base.bin.write_bytes(bin_bytes)
        manifest, _ = load_manifest(base.out_dir)
        for key in ("inputs", "outputs"):
            for i, entry in enumerate(manifest[key]):
                for field_name in ("shape", "mat_shape"):
                    entry[f"symbolic_{field_name}"] = [
                        _fit(values, d, {s: (size, r.manifest[key][i][field_name][j]) for s, (size, r) in moved.items()})
                        for j, d in enumerate(entry[field_name])
                    ]
        manifest["dims"] = {s: dims[s].entry() for s in symbols}
        for s in bounded:  # a grid cropped from one built for the largest size: no larger size runs
            manifest["dims"][s]["max_is_limit"] = True
        manifest_path = base.manifest_path
        manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
        if out.exists():
            shutil.rmtree(out)
        os.replace(base.out_dir, out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    base.out_dir, base.param, base.bin = out, out / base.param.name, out / base.bin.name
    base.manifest_path = out / manifest_path.name
    base.manifest = manifest
    return base


def _layer_weights(result, count: int) -> list[bytes]:
    """Each `.param` line's bytes in the `.bin` (Input lines first, as the emitter writes them)."""
    from ncc.emit.ncnn_files import _main, layer_weights

    block = _main(result.module).body.block
    fp16 = bool(result.manifest.get("fp16_weights"))
    ops = [op for op in block.ops if op is not block.last_op]
    out = [b""] * len(block.args) + [layer_weights(op, fp16) for op in ops]
    if len(out) != count or b"".join(out) != result.bin.read_bytes():
        raise NccError("internal: the .bin does not split into the layers' weights")
    return out


def _first_moved(runs: list, items: list) -> str:
    """The dim whose compile (`runs[k]`, the given sizes with one dim moved) changed `items[k]`."""
    given = runs[0][0]
    for (sizes, _), item in zip(runs[1:], items[1:], strict=True):
        if item != items[0]:
            return next(s for s in sizes if sizes[s] != given[s])
    return next(iter(given))


def _memdata_shape(params: dict[int, str]) -> tuple[int, ...]:
    """A MemoryData's Mat (numpy order) from its params 0=w 1=h 11=d 2=c."""
    w, h, d, c = (int(params.get(k, 0)) for k in (0, 1, 11, 2))
    return (c, d, h, w) if d else (c, h, w) if c else (h, w) if h else (w,)


def _grids_from_largest(model, work, shapes, dims, values, runs, all_layers, all_weights, all_mats, grids, head, label, options):
    """MemoryData constants that move with the size (the grids of a detector head, built from
    Shape → Range → meshgrid): each must be, at every compile size, the leading corner of the
    one made for the largest size. It is then stored at that size and cropped at run time to
    the size of the blob it meets (a Crop whose ends are that blob's dims), so the model runs
    at any size up to the range's maximum, exactly. Returns the new head, layers, .bin, and the
    dims whose maximum became a limit."""
    from ncc.dialects.ncnn.size_expr import MAT_LETTERS
    from ncc.driver import compile_onnx

    layers = all_layers[0]
    moved_by = {
        i: {s for (sizes, _), w, ls in zip(runs[1:], all_weights[1:], all_layers[1:], strict=True)
            if w[i] != all_weights[0][i] or ls[i].params != all_layers[0][i].params for s in sizes if sizes[s] != values[s]}
        for i in grids
    }  # fmt: skip
    for i in grids:
        for s in sorted(moved_by[i]):
            if dims[s].hi is None:
                raise NccError(
                    f"{label}: ncnn layer MemoryData '{layers[i].name}' depends on dim {s} (a constant computed from the "
                    f"input size): ncc builds such a constant at run time by cropping one made for the largest size, so give "
                    f"{s} a range (--dim {s}={values[s]},LO..HI), or compile with a static --input-shape"
                )
    bounded = set().union(*moved_by.values())
    largest = {s: (dims[s].hi if s in bounded else values[s]) for s in values}
    result = compile_onnx(model, work / "largest", input_shapes=_concrete(shapes, largest), **options)
    _, big_layers = _read_param(result.param)
    if [la.head for la in big_layers] != [la.head for la in layers]:
        raise NccError(f"{label}: the ncnn graph itself changes at the largest size {largest}: compile with a static --input-shape")
    big_weights = _layer_weights(result, len(layers))
    big_mats = _blob_mats(result.manifest)
    weights = list(all_weights[0])
    inserts: dict[int, list[_Layer]] = {}
    blob_count = int(head[1].split()[1])
    for n, i in enumerate(grids):
        la = layers[i]
        big_shape = _memdata_shape(big_layers[i].params)
        big = np.frombuffer(big_weights[i], "<f4").reshape(big_shape)
        top = la.head[-1]
        shapes_k = []
        for w, ls in zip(all_weights, all_layers, strict=True):
            shape_k = _memdata_shape(ls[i].params)
            data = np.frombuffer(w[i], "<f4").reshape(shape_k)
            if len(shape_k) != len(big_shape) or not np.array_equal(data, big[tuple(slice(0, k) for k in shape_k)]):
                s = sorted(moved_by[i])[0]
                raise NccError(
                    f"{label}: ncnn layer MemoryData '{la.name}' depends on dim {s} (a constant computed from the input "
                    f"size) and is not a corner of the one made for the largest size: compile with a static --input-shape"
                )
            shapes_k.append(shape_k)
        axes = [a for a in range(len(big_shape)) if any(sh[a] != big_shape[a] for sh in shapes_k)]
        consumer = next(j for j, lj in enumerate(layers) if top in lj.head[4 : 4 + int(lj.head[2])])
        bottoms = layers[consumer].head[4 : 4 + int(layers[consumer].head[2])]

        def fits(blob: str) -> bool:  # the blob's dims equal the constant's on every moving axis
            for mats, shape in zip(all_mats + [big_mats], shapes_k + [big_shape], strict=True):
                m = mats.get(blob)
                if m is None or len(m) < len(shape) - min(axes) or any(m[a - len(shape) + len(m)] != shape[a] for a in axes):
                    return False
            return True

        ref = next((b for b in bottoms if b != top and fits(b)), None)
        if ref is None:
            raise NccError(
                f"{label}: ncnn layer MemoryData '{la.name}' depends on dim {sorted(moved_by[i])[0]} and the layer "
                f"{layers[consumer].type} '{layers[consumer].name}' it feeds has no input of its size to crop it to: "
                f"compile with a static --input-shape"
            )
        ref_rank = len(big_mats[ref])
        letters = MAT_LETTERS[ref_rank]
        a_blob, b_blob, grid_blob = f"ncc_grid{n}_ref", f"ncc_grid{n}_size", f"ncc_grid{n}"
        split = _Layer("Split", f"{la.name}_size_split", ["Split", f"{la.name}_size_split", "1", "2", ref, a_blob, b_blob])
        crop = _Layer("Crop", f"{la.name}_crop", ["Crop", f"{la.name}_crop", "2", "1", top, b_blob, grid_blob], {
            19: '"' + ",".join("0" for _ in axes) + '"',
            20: '"' + ",".join(f"1{letters[a - len(big_shape) + ref_rank]}" for a in axes) + '"',
            21: '"' + ",".join(str(a) for a in axes) + '"',
        })  # fmt: skip
        inserts.setdefault(consumer, []).extend([split, crop])
        c = layers[consumer]
        c.head = c.head[:4] + [a_blob if b == ref else grid_blob if b == top else b for b in bottoms] + c.head[4 + len(bottoms):]
        la.params = big_layers[i].params
        weights[i] = big_weights[i]
        blob_count += 3
    new_layers, new_weights = [], []
    for j, lj in enumerate(layers):
        for extra in inserts.get(j, []):
            new_layers.append(extra)
            new_weights.append(b"")
        new_layers.append(lj)
        new_weights.append(weights[j])
    new_head = [head[0], f"{len(new_layers)} {blob_count}"]
    return new_head, new_layers, b"".join(new_weights), bounded


def _blob_mats(manifest: dict) -> dict[str, list[int]]:
    """blob → its Mat shape, from the manifest's `tensors` map and inputs."""
    mats = {b: t["mat_shape"] for b, t in (manifest.get("tensors") or {}).items() if "mat_shape" in t}
    mats.update({e["blob"]: e["mat_shape"] for e in manifest["inputs"]})
    return mats


def _require_dynamic(shapes: dict[str, list[int | str]], label: str) -> None:
    """A symbolic dim must be dynamic in the model file: a static one was folded into its
    shape arithmetic by the exporter, so another size would not be this model."""
    # the importer's types are static after set-input-shapes: read the model file instead
    from ncc.frontends.onnx import load_onnx

    graph = load_onnx(label).graph
    by_name = {vi.name: vi for vi in graph.input}
    for name, dims in shapes.items():
        vi = by_name.get(name)
        if vi is None:
            continue
        file_dims = vi.type.tensor_type.shape.dim
        for axis, (d, fd) in enumerate(zip(dims, file_dims, strict=False)):
            if isinstance(d, str) and fd.HasField("dim_value") and fd.dim_value > 0:
                raise NccError(
                    f"{label}: input '{name}' axis {axis} is {fd.dim_value} in the model file, so it cannot be "
                    f"the symbolic dim {d}: export it as dynamic (dynamic_axes / dynamic_shapes)"
                )


def concrete_manifest(manifest: dict, values: dict[str, int]) -> dict:
    """The manifest of a symbolic model at the given dim values (what `ncc verify` and `ncc run`
    feed): `shape` and `mat_shape` evaluated from their symbolic forms."""
    m = json.loads(json.dumps(manifest))
    for key in ("inputs", "outputs"):
        for entry in m[key]:
            for field_name in ("shape", "mat_shape"):
                sym = entry.get(f"symbolic_{field_name}")
                if sym is not None:
                    entry[field_name] = [evaluate(d, values) for d in sym]
    m.pop("tensors", None)  # intermediate shapes are recorded at the compile size only
    return m


def dims_from_inputs(manifest: dict, arrays: dict[str, Any]) -> dict[str, int]:
    """The dim values that inputs of these shapes give (for `ncc run`)."""
    values: dict[str, int] = {}
    for entry in manifest["inputs"]:
        sym = entry.get("symbolic_shape")
        if sym is None or entry["name"] not in arrays:
            continue
        for d, n in zip(sym, arrays[entry["name"]].shape, strict=False):
            if isinstance(d, str) and _NAME.match(d):
                if values.setdefault(d, int(n)) != int(n):
                    raise NccError(f"dim {d} is {values[d]} in one input and {n} in another")
                limit = (manifest.get("dims") or {}).get(d, {})
                if limit.get("max_is_limit") and int(n) > limit["max"]:
                    raise NccError(f"dim {d} is {n}, above {limit['max']}: this model holds constants made for "
                                   f"{d} up to {limit['max']} (recompile with a larger range)")
    return values


def record_verified(out_dir: str | os.PathLike[str], rows: list) -> None:
    """Write the dim values that `ncc verify` checked and passed into the manifest's `dims`."""
    from ncc.verify import load_manifest

    manifest, folder = load_manifest(out_dir)
    if not manifest.get("dims") or not rows or not all(r.passed for r in rows):
        return
    for label in {r.size for r in rows if r.size}:
        for item in label.split(","):
            name, _, value = item.partition("=")
            verified = set(manifest["dims"][name].get("verified", [])) | {int(value)}
            manifest["dims"][name]["verified"] = sorted(verified)
    path = next(iter(sorted(folder.glob("*.ncnn.json"))))
    path.write_text(json.dumps(manifest, indent=2) + "\n")

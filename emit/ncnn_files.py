"""Emit an ncnn-dialect module as `.param` text, `.bin` weights and the `.ncnn.json` manifest.

The emitter is generic: each layer's line comes from its op's `PARAMS` table (only values
that differ from ncnn's defaults are written, typed lexically as ncnn reads them) and its
`.bin` bytes from its `WEIGHTS` tuple (load order, 4-byte type tag where the loader reads one).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Attribute, SSAValue

from ncc.dialects.common import NccError, node_name, numpy_dtype, op_location, static_shape
from ncc.dialects.ncnn.base import FLOAT, FLOATS, INT, INTS, STR, NcnnLayer, mat_shape

MAGIC = 7767517
TAG_FP32 = 0x00000000
TAG_FP16 = 0x01306B47
MANIFEST_FORMAT = "ncc-ncnn-manifest"
MANIFEST_VERSION = 1


# ------------------------------------------------------------------------------ values


def format_float(v: float) -> str:
    """A float token ncnn reads as a float: always has '.' or 'e', at most 15 characters."""
    if not np.isfinite(v):
        raise NccError(f"param value {v} is not finite")
    s = f"{v:.9g}"
    if "." not in s and "e" not in s and "n" not in s:
        s += ".0"
    if len(s) > 15:
        s = f"{v:.8e}"
    return s


def format_param(pid: int, kind: str, value: Any) -> str:
    if kind == INT:
        return f"{pid}={int(value)}"
    if kind == FLOAT:
        return f"{pid}={format_float(float(value))}"
    if kind in (INTS, FLOATS):
        items = [str(int(v)) if kind == INTS else format_float(float(v)) for v in value]
        return f"{-23300 - pid}={','.join([str(len(items)), *items])}"
    if kind == STR:
        text = str(value)
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", text):
            text = '"' + text.replace('"', "") + '"'
        return f"{pid}={text}"
    raise ValueError(kind)


def _sanitize(name: str) -> str:
    name = re.sub(r"[^A-Za-z0-9_.:/\-]", "_", name).strip("/") or "layer"
    return name[-200:]


# ------------------------------------------------------------------------------ model


@dataclass
class EmittedModel:
    param: str
    bin: bytes
    manifest: dict[str, Any]
    layer_types: list[str] = field(default_factory=list)


def _main(module: ModuleOp) -> func.FuncOp:
    for op in module.ops:
        if isinstance(op, func.FuncOp) and op.sym_name.data == "main":
            return op
    raise NccError("the module has no func.func @main")


def _names(f: func.FuncOp, key: str, count: int, prefix: str) -> list[str]:
    attr = f.attributes.get(key)
    return [n.data for n in attr.data] if attr else [f"{prefix}{i}" for i in range(count)]


def _io_entry(onnx_name: str, blob: str, v: SSAValue, t: Attribute | None = None) -> dict[str, Any]:
    """An input or output `v` of the model type `t` (default: its own): its ONNX `shape`, and
    the Mat it is fed as / read from (`mat_shape`: the same values in C order, a plain reshape
    either way, also for a tensor of rank > 4 whose outer axes the Mat merges)."""
    t = v.type if t is None else t
    shape = static_shape(t)
    entry = {
        "name": onnx_name,
        "blob": blob,
        "dtype": str(numpy_dtype(t.element_type)),
        # every ncnn blob holds float32: integers and booleans are fed and read as floats
        "blob_dtype": "float32",
        "shape": list(shape),
        "mat_shape": list(mat_shape(shape)),
        "layout": "reshape",
        "batch_index": None,
    }
    readers = [u.operation for u in v.uses]
    if readers and all(isinstance(r, NcnnLayer) and r.READS_INT32 for r in readers):
        # the layer reads the Mat's bytes as int32 words: feed int32 bytes, in its index range
        entry["feed"] = "int32"
        lo = max(r.index_range()[0] for r in readers)
        hi = min(r.index_range()[1] for r in readers)
        entry["range"] = [lo, hi]
    return entry


def emit_model(module: ModuleOp, stem: str = "model", fp16: bool = False) -> EmittedModel:
    """Build the three files' contents in memory."""
    f = _main(module)
    block = f.body.block
    ret = block.last_op
    if not isinstance(ret, func.ReturnOp):
        raise NccError("func.func @main has no return")

    blob_name: dict[SSAValue, str] = {}
    for i, arg in enumerate(block.args):
        blob_name[arg] = f"in{i}"
    for i, v in enumerate(ret.operands):
        if v in blob_name:
            raise NccError(f"output {i} is a model input or another output; ncnn needs a layer between")
        blob_name[v] = f"out{i}"

    lines: list[str] = []
    weights: list[Any] = []  # bytes-like chunks, joined once: a model's weights are copied once
    used_names: set[str] = set()
    layer_types: list[str] = []
    counter = 0

    def unique(name: str) -> str:
        base, k = name, 1
        while name in used_names:
            name = f"{base}_{k}"
            k += 1
        used_names.add(name)
        return name

    for i, arg in enumerate(block.args):
        mat = mat_shape(static_shape(arg.type))
        keys = {1: [0], 2: [1, 0], 3: [2, 1, 0], 4: [2, 11, 1, 0]}[len(mat)]
        hints = " ".join(f"{k}={d}" for k, d in sorted(zip(keys, mat, strict=True)))
        lines.append(f"Input {unique(f'in{i}')} 0 1 in{i} {hints}".rstrip())
        layer_types.append("Input")

    for op in block.ops:
        if op is ret:
            continue
        if not isinstance(op, NcnnLayer):
            raise NccError(f"{op.name} is not an ncnn layer (run ncnn-legalize first)")
        for res in op.results:
            if res not in blob_name:
                blob_name[res] = str(counter)
                counter += 1
        node = node_name(op)
        name = unique(_sanitize(node) if node else f"{op.layer_type.lower()}_{len(lines)}")
        ins = [blob_name[v] for v in op.operands]
        outs = [blob_name[v] for v in op.results]
        lines.append(layer_line(op, name, ins, outs))
        layer_types.append(op.layer_type)
        weights += _weight_chunks(op, fp16)

    blobs = set(blob_name.values())
    param = "\n".join([str(MAGIC), f"{len(lines)} {len(blobs)}", *lines]) + "\n"

    input_names = _names(f, "ncc.input_names", len(block.args), "input")
    output_names = _names(f, "ncc.output_names", len(ret.operands), "output")
    manifest = {
        "format": MANIFEST_FORMAT,
        "version": MANIFEST_VERSION,
        "param": f"{stem}.ncnn.param",
        "bin": f"{stem}.ncnn.bin",
        "fp16_weights": fp16,
        "inputs": [_io_entry(n, f"in{i}", a) for i, (n, a) in enumerate(zip(input_names, block.args))],
        "outputs": [
            _io_entry(n, f"out{i}", v, _output_type(f, i, v)) for i, (n, v) in enumerate(zip(output_names, ret.operands))
        ],
        "layers": len(lines),
        "layer_types": sorted(set(layer_types)),
        "tensors": _tensor_map(block, ret, blob_name, input_names, output_names),
    }
    return EmittedModel(param, b"".join(weights), manifest, layer_types)


def _output_type(f: func.FuncOp, i: int, v: SSAValue) -> Attribute:
    """The model's declared output type: a Reshape that leaves the Mat unchanged may have
    been folded away (`ncnn-fold-reshapes`), so the returned value can carry another logical
    shape with the same Mat and element count."""
    declared = f.function_type.outputs.data[i]
    s, d = static_shape(v.type), static_shape(declared)
    if s is not None and d is not None and mat_shape(s) == mat_shape(d):
        return declared
    return v.type


def _tensor_map(block, ret, blob_name, input_names, output_names) -> dict[str, dict[str, Any]]:
    """blob → the ONNX tensor it holds (from `onnx_outputs`, see `ncc.tensor_names`), in
    .param order: what `ncc verify --bisect` compares layer by layer. `shape` is the blob's
    logical shape; the ONNX tensor holds the same values in C order (`layout: reshape`)."""
    from ncc.tensor_names import tensor_names

    named: list[tuple[SSAValue, str]] = list(zip(block.args, input_names))
    for op in block.ops:
        if op is ret:
            continue
        named += [(r, n) for r, n in zip(op.results, tensor_names(op), strict=True) if n]
        if op.name == "ncnn.Split":  # each output is a copy of the input
            src = dict(named).get(op.operands[0])
            named += [(r, src) for r in op.results if src]
    outputs = dict(zip(ret.operands, output_names))
    named = [(v, outputs.get(v, n)) for v, n in named]
    named += [(v, n) for v, n in outputs.items() if v not in dict(named)]
    out: dict[str, dict[str, Any]] = {}
    for v, onnx_name in named:
        shape = static_shape(v.type)
        if shape is None or v not in blob_name:
            continue
        out[blob_name[v]] = {
            "onnx": onnx_name,
            "shape": list(shape),
            "mat_shape": list(mat_shape(shape)),
            "layout": "reshape",
        }
    return out


def layer_line(op: NcnnLayer, name: str, bottoms: list[str], tops: list[str]) -> str:
    """The layer's `.param` line: type, name, blob counts and names, non-default params."""
    try:
        params = [format_param(pid, kind, value) for pid, kind, value in op.param_items()]
    except NccError as e:  # name the node the layer comes from
        raise NccError(f"ncnn {op.layer_type}: {e.message}", **op_location(op)) from None
    return " ".join([op.layer_type, name, str(len(bottoms)), str(len(tops)), *bottoms, *tops, *params])


def layer_weights(op: NcnnLayer, fp16: bool) -> bytes:
    """The layer's `.bin` bytes: its weights in load order, tagged where the loader reads a tag."""
    return b"".join(_weight_chunks(op, fp16))


def _weight_chunks(op: NcnnLayer, fp16: bool) -> list[Any]:
    """`layer_weights` as bytes-like pieces (fp32 arrays as they are, no copy when already
    contiguous little-endian float32), so that the emitter copies each weight once."""
    out: list[Any] = []
    if not op.loads_weights():
        return out
    for w in op.WEIGHTS:
        arr = op.weight(w.name)
        if arr is None:
            if w.name in op.weights.data:
                raise NccError(f"weight '{w.name}' of {op.layer_type} has no data (IR parsed from text?)")
            if w.optional:
                continue
            raise NccError(f"{op.layer_type} needs weight '{w.name}'", **_loc(op))
        data = np.ascontiguousarray(arr, dtype="<f4").reshape(-1)
        if w.tagged and fp16:
            half = data.astype(np.float16).tobytes()
            out += [struct.pack("<I", TAG_FP16), half, b"\0" * ((-len(half)) % 4)]
        elif w.tagged:
            out += [struct.pack("<I", TAG_FP32), data]
        else:
            out.append(data)
    return out


def _loc(op: NcnnLayer) -> dict[str, str | None]:
    from ncc.dialects.common import op_location

    return op_location(op)


# ------------------------------------------------------------------------------ files


def write_model_dir(
    model: EmittedModel, out_dir: str | os.PathLike[str], stem: str, extra: dict[str, Any] | None = None
) -> Path:
    """Write the files into a temporary folder beside `out_dir`, then move them into place:
    a failed compile leaves no half-written output."""
    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.ncc-", dir=out.parent))
    try:
        manifest = dict(model.manifest)
        if extra:
            manifest.update(extra)
        (tmp / f"{stem}.ncnn.param").write_text(model.param)
        (tmp / f"{stem}.ncnn.bin").write_bytes(model.bin)
        (tmp / f"{stem}.ncnn.json").write_text(json.dumps(manifest, indent=2) + "\n")
        if not out.exists():
            os.replace(tmp, out)
        else:
            if not out.is_dir():
                raise NccError(f"output path {out} exists and is not a folder")
            for p in tmp.iterdir():
                os.replace(p, out / p.name)
            tmp.rmdir()
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return out

"""ONNX → `onnx` dialect. The only module that imports `onnx`.

The importer stays dumb and total: every node becomes the op class of its type (or the
generic `onnx.Node`), operands in ONNX order (absent optionals → `onnx.NoValue`), attributes
as properties with ONNX's schema defaults filled in, and attributes that later opsets turned
into inputs are turned into constant inputs here, so passes only see the newest form.
Result types start unranked; `onnx-shape-inference` computes them.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from xdsl.builder import Builder
from xdsl.dialects import func
from xdsl.dialects.builtin import (
    DYNAMIC_INDEX,
    ArrayAttr,
    DenseArrayBase,
    DictionaryAttr,
    FloatAttr,
    IntegerAttr,
    ModuleOp,
    StringAttr,
    TensorType,
    UnrankedTensorType,
    f32,
    i64,
)
from xdsl.ir import Attribute, Block, Region, SSAValue
from xdsl.irdl import OptResultDef, VarOperandDef, VarResultDef
from xdsl.rewriter import InsertPoint

from ncc.dialects.common import NccError, array_attr, xdsl_element_type
from ncc.dialects.onnx import OPS_BY_TYPE
from ncc.dialects.onnx.base import ConstantOp, NodeOp, NoValueOp, OnnxOp
from ncc.dialects.onnx.dtypes import onnx_to_numpy

# op_type → (last opset where the attributes were attributes, [(attribute, input index)])
ATTRIBUTES_BECAME_INPUTS: dict[str, tuple[int, list[tuple[str, int]]]] = {
    "Squeeze": (12, [("axes", 1)]),
    "Unsqueeze": (12, [("axes", 1)]),
    "Split": (12, [("split", 1)]),
    "ReduceSum": (12, [("axes", 1)]),
    "ReduceMean": (17, [("axes", 1)]),
    "ReduceMax": (17, [("axes", 1)]),
    "ReduceMin": (17, [("axes", 1)]),
    "ReduceProd": (17, [("axes", 1)]),
    "ReduceL2": (17, [("axes", 1)]),
    "Slice": (9, [("starts", 1), ("ends", 2), ("axes", 3)]),
    "Pad": (10, [("pads", 1), ("value", 2)]),
    "Clip": (10, [("min", 1), ("max", 2)]),
}
_FLOAT_ATTR_INPUTS = {("Pad", "value"), ("Clip", "min"), ("Clip", "max")}


def load_onnx(path: str | os.PathLike[str]):
    """Load an ONNX file with its external data, checking that every external-data path
    exists and stays inside the model's folder."""
    import onnx
    from google.protobuf.message import DecodeError

    path = Path(path)
    if not path.is_file():
        raise NccError("no such file", file=str(path))
    try:
        model = onnx.load(str(path), load_external_data=False)
    except (DecodeError, ValueError, RuntimeError, OSError) as e:
        raise NccError(f"not a valid ONNX file ({type(e).__name__}: {e})", file=str(path)) from None
    if not model.graph.node and not model.graph.output:
        raise NccError("not a valid ONNX file (empty or truncated graph)", file=str(path))
    base = path.resolve().parent
    from onnx.external_data_helper import _get_all_tensors, uses_external_data

    for tensor in _get_all_tensors(model):
        if not uses_external_data(tensor):
            continue
        info = {e.key: e.value for e in tensor.external_data}
        location = info.get("location", "")
        target = (base / location).resolve()
        if os.path.isabs(location) or not target.is_relative_to(base):
            raise NccError(
                f"tensor '{tensor.name}': external-data location '{location}' points outside "
                f"the model's folder {base}",
                file=str(path),
            )
        if not target.is_file():
            raise NccError(
                f"tensor '{tensor.name}': external-data file '{location}' not found beside the model",
                file=str(path),
            )
        need = int(info.get("offset", 0)) + int(info.get("length", 0))
        if need > target.stat().st_size:
            raise NccError(
                f"tensor '{tensor.name}': external-data file '{location}' is truncated "
                f"({target.stat().st_size} bytes, needs {need})",
                file=str(path),
            )
    try:
        onnx.load_external_data_for_model(model, str(base))
    except Exception as e:  # noqa: BLE001 - any failure here is a bad input file
        raise NccError(f"cannot read external data ({e})", file=str(path)) from None
    return model


def import_onnx(path: str | os.PathLike[str]) -> ModuleOp:
    """Import an ONNX file into a module holding `func.func @main`."""
    model = load_onnx(path)
    try:
        return import_model(model)
    except NccError as e:
        e.file = e.file or str(path)
        raise


def _opset(model) -> int:
    for imp in model.opset_import:
        if imp.domain in ("", "ai.onnx"):
            return int(imp.version)
    return 1


def import_model(model) -> ModuleOp:
    import onnx
    from onnx import numpy_helper

    opset = _opset(model)
    graph = model.graph
    initializers = {t.name: t for t in graph.initializer}

    arg_types: list[Attribute] = []
    input_names: list[str] = []
    for vi in graph.input:
        if vi.name in initializers:
            continue
        arg_types.append(_value_type(vi))
        input_names.append(vi.name)

    block = Block(arg_types=arg_types)
    builder = Builder(InsertPoint.at_end(block))
    values: dict[str, SSAValue] = {"": None}  # type: ignore[dict-item]
    for name, arg in zip(input_names, block.args, strict=True):
        values[name] = arg
    no_value: SSAValue | None = None

    def get_no_value() -> SSAValue:
        nonlocal no_value
        if no_value is None:
            no_value = builder.insert(NoValueOp()).output
        return no_value

    def constant(array: np.ndarray, hint: str) -> SSAValue:
        op = builder.insert(ConstantOp.from_array(array, hint))
        return op.output

    for name, t in initializers.items():
        values[name] = constant(numpy_helper.to_array(t), name)

    for index, node in enumerate(graph.node):
        node_name = node.name or f"{node.op_type}_{index}"
        try:
            _import_node(node, node_name, opset, values, builder, get_no_value, constant)
        except NccError as e:
            if e.node is None:
                e.node, e.op = node_name, node.op_type
            raise

    outputs = []
    output_names = []
    for vi in graph.output:
        if vi.name not in values:
            raise NccError(f"graph output '{vi.name}' is not produced by any node")
        outputs.append(values[vi.name])
        output_names.append(vi.name)
    builder.insert(func.ReturnOp(*outputs))

    f = func.FuncOp("main", (arg_types, [v.type for v in outputs]), Region(block))
    f.attributes["ncc.input_names"] = ArrayAttr([StringAttr(n) for n in input_names])
    f.attributes["ncc.output_names"] = ArrayAttr([StringAttr(n) for n in output_names])
    f.attributes["ncc.opset"] = IntegerAttr(opset, i64)
    del onnx
    return ModuleOp([f])


def _value_type(vi) -> Attribute:
    tt = vi.type.tensor_type
    elem = xdsl_element_type(onnx_to_numpy(tt.elem_type)) if tt.elem_type else f32
    if not tt.HasField("shape"):
        return UnrankedTensorType(elem)
    dims = [d.dim_value if d.HasField("dim_value") else DYNAMIC_INDEX for d in tt.shape.dim]
    return TensorType(elem, dims)


def _import_node(node, node_name, opset, values, builder, get_no_value, constant) -> None:
    from onnx import helper, numpy_helper

    attrs = {a.name: a for a in node.attribute}
    inputs = list(node.input)

    if node.op_type == "Constant" and node.domain in ("", "ai.onnx"):
        values[node.output[0]] = constant(_constant_node_value(node), node.output[0])
        return

    cls = OPS_BY_TYPE.get(node.op_type) if node.domain in ("", "ai.onnx") else None

    # attributes that became inputs in later opsets
    if cls is not None and node.op_type in ATTRIBUTES_BECAME_INPUTS:
        last, moves = ATTRIBUTES_BECAME_INPUTS[node.op_type]
        if opset <= last:
            for attr_name, index in moves:
                if attr_name not in attrs:
                    continue
                value = helper.get_attribute_value(attrs.pop(attr_name))
                dtype = np.float32 if (node.op_type, attr_name) in _FLOAT_ATTR_INPUTS else np.int64
                const_name = f"{node_name}::{attr_name}"
                values[const_name] = constant(np.asarray(value, dtype=dtype), const_name)
                while len(inputs) <= index:
                    inputs.append("")
                inputs[index] = const_name
    if cls is not None and node.op_type == "Resize" and opset < 11 and len(inputs) == 2:
        inputs = [inputs[0], "", inputs[1]]  # opset 10: (X, scales) → (X, roi, scales)

    for name in inputs:
        if name and name not in values:
            raise NccError(f"input '{name}' is not defined before use")

    if cls is None:
        operands = [values[n] if n else get_no_value() for n in inputs]
        props = {
            "op_type": StringAttr(node.op_type),
            "domain": StringAttr(node.domain),
            "attrs": DictionaryAttr(
                {a.name: _attr_value(a) for a in node.attribute if _attr_value(a) is not None}
            ),
        }
        op = NodeOp.create(
            operands=operands,
            result_types=[UnrankedTensorType(f32) for _ in node.output],
            properties=props,
        )
    else:
        op = _create_typed(cls, node, inputs, attrs, opset, values, get_no_value)
    op.attributes["onnx_node"] = StringAttr(node_name)
    results = list(op.results)
    # the ONNX tensor each result stands for, aligned as `values` is filled below
    names = [n for n in node.output][: len(results)]
    if any(names):
        op.attributes["onnx_outputs"] = ArrayAttr([StringAttr(n) for n in names + [""] * (len(results) - len(names))])
    builder.insert(op)
    present = [n for n in node.output]
    k = 0
    for name in present:
        if k >= len(results):
            break
        if name:
            values[name] = results[k]
        k += 1
    del numpy_helper


def _create_typed(cls: type[OnnxOp], node, inputs, attrs, opset, values, get_no_value) -> OnnxOp:
    import onnx

    op_def = cls.get_irdl_definition()
    operands: list[SSAValue | Sequence[SSAValue]] = []
    pos = 0
    for name, odef in op_def.operands:
        if isinstance(odef, VarOperandDef):
            operands.append([values[n] if n else get_no_value() for n in inputs[pos:]])
            pos = len(inputs)
        else:
            n = inputs[pos] if pos < len(inputs) else ""
            operands.append(values[n] if n else get_no_value())
            pos += 1
    if pos < len(inputs) and any(inputs[pos:]):
        raise NccError(f"has {len(inputs)} inputs, ncc knows {pos}")

    result_types: list[Attribute | Sequence[Attribute]] = []
    outs = list(node.output)
    rpos = 0
    for name, rdef in op_def.results:
        if isinstance(rdef, VarResultDef) and not isinstance(rdef, OptResultDef):
            result_types.append([UnrankedTensorType(f32) for _ in outs[rpos:]])
            rpos = len(outs)
        elif isinstance(rdef, OptResultDef):
            present = rpos < len(outs) and outs[rpos] != ""
            result_types.append([UnrankedTensorType(f32)] if present else [])
            rpos += 1
        else:
            result_types.append(UnrankedTensorType(f32))
            rpos += 1
    if any(outs[rpos:]):
        raise NccError(f"output {rpos} is used, but ncc does not support it")

    declared = {name for name, _ in op_def.properties.items()}
    props: dict[str, Attribute] = {}
    try:
        schema = onnx.defs.get_schema(node.op_type, opset, node.domain)
        for aname, a in schema.attributes.items():
            if aname in declared and a.default_value.type != 0:
                v = _attr_value(a.default_value)
                if v is not None:
                    props[aname] = v
    except onnx.defs.SchemaError:
        pass
    for aname, a in attrs.items():
        if aname not in declared:
            raise NccError(f"attribute '{aname}' is not supported")
        v = _attr_value(a)
        if v is None:
            raise NccError(f"attribute '{aname}' has an unsupported type")
        props[aname] = v
    return cls.build(operands=operands, result_types=result_types, properties=props)


def _attr_value(a) -> Attribute | None:
    from onnx import AttributeProto, numpy_helper

    t = a.type
    if t == AttributeProto.INT:
        return IntegerAttr(int(a.i), i64)
    if t == AttributeProto.FLOAT:
        return FloatAttr(float(a.f), f32)
    if t == AttributeProto.STRING:
        return StringAttr(a.s.decode("utf-8", "replace"))
    if t == AttributeProto.INTS:
        return DenseArrayBase.from_list(i64, [int(x) for x in a.ints])
    if t == AttributeProto.FLOATS:
        return DenseArrayBase.from_list(f32, [float(x) for x in a.floats])
    if t == AttributeProto.STRINGS:
        return ArrayAttr([StringAttr(s.decode("utf-8", "replace")) for s in a.strings])
    if t == AttributeProto.TENSOR:
        return array_attr(numpy_helper.to_array(a.t), a.name)
    return None


def _constant_node_value(node) -> np.ndarray:
    from onnx import helper, numpy_helper

    for a in node.attribute:
        if a.name == "value":
            return numpy_helper.to_array(a.t)
        if a.name == "value_float":
            return np.asarray(a.f, dtype=np.float32)
        if a.name == "value_floats":
            return np.asarray(list(a.floats), dtype=np.float32)
        if a.name == "value_int":
            return np.asarray(a.i, dtype=np.int64)
        if a.name == "value_ints":
            return np.asarray(list(a.ints), dtype=np.int64)
        raise NccError(f"Constant attribute '{a.name}' is not supported")
    del helper
    raise NccError("Constant node has no value")

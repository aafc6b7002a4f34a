"""ONNX → `onnx` dialect. The only module that imports `onnx`.

The importer stays dumb and total: every node becomes the op class of its type (or the
generic `onnx.Node`), operands in ONNX order (absent optionals → `onnx.NoValue`), attributes
as properties with ONNX's schema defaults filled in. Versions: the model's default-domain
opset must be one ncc reads (`MIN_OPSET`..`MAX_OPSET`), and each node is first brought into
the form its op class implements by the class's own upgrade steps (attributes that became
inputs, legacy broadcasting, pre-13 Softmax, Upsample → Resize, ...; see
`ncc.dialects.onnx.versions`), so passes only see the newest form.
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

from ncc.dialects.common import NccError, ONNX_OP_TYPES, array_attr, node_loc, xdsl_element_type
from ncc.dialects.onnx import OPS_BY_TYPE
from ncc.dialects.onnx.base import ConstantOp, NodeOp, NoValueOp, OnnxOp
from ncc.dialects.onnx.dtypes import onnx_to_numpy
from ncc.dialects.onnx.versions import MAX_OPSET, MIN_OPSET, GraphFacts, Node

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


KNOWN_DOMAINS = ("", "ai.onnx", "ai.onnx.ml")
"""Operator-set domains whose nodes ncc reads: the default one, and ai.onnx.ml (none of its
ops is supported, so its nodes are reported as unsupported ops by name)."""


def model_opsets(model) -> dict[str, int]:
    """Domain → imported version; the default domain as "" (also when written `ai.onnx`).
    Refuses a default-domain opset outside `MIN_OPSET`..`MAX_OPSET`."""
    versions = {("" if imp.domain == "ai.onnx" else imp.domain): int(imp.version) for imp in model.opset_import}
    if "" not in versions:
        if model.ir_version >= 3 and any(n.domain in ("", "ai.onnx") for n in model.graph.node):
            raise NccError("the model does not import the default ONNX operator set (ai.onnx)")
        versions[""] = 1  # IR version < 3: opset 1 is implied
    opset = versions[""]
    if not MIN_OPSET <= opset <= MAX_OPSET:
        raise NccError(
            f"the model uses ONNX opset {opset} (domain ai.onnx); ncc reads opsets {MIN_OPSET} to {MAX_OPSET}"
        )
    return versions


def check_domains(model, versions: dict[str, int]) -> None:
    """Refuse a node from an operator set ncc does not know (after local functions are
    inlined: their own domains are gone then)."""
    for node in model.graph.node:
        domain = "" if node.domain == "ai.onnx" else node.domain
        if domain not in KNOWN_DOMAINS:
            version = versions.get(domain)
            shown = f"operator set '{domain}'" + (f" version {version}" if version is not None else "")
            raise NccError(
                f"{shown} is not supported by ncc (node '{node.name or node.op_type}' uses {node.op_type} "
                "from it); ncc reads the ai.onnx operator set"
            )


def import_model(model) -> ModuleOp:
    from onnx import numpy_helper

    opsets = model_opsets(model)
    if len(model.functions):
        # model-local functions (a node calling one is in the function's domain): inlined, as
        # onnxruntime would run them
        from onnx import inliner

        model = inliner.inline_local_functions(model)
    check_domains(model, opsets)
    opset = opsets[""]
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

    constants: dict[str, np.ndarray] = {}

    def constant(array: np.ndarray, name: str) -> SSAValue:
        constants[name] = array
        op = builder.insert(ConstantOp.from_array(array, name))
        return op.output

    for name, t in initializers.items():
        values[name] = constant(numpy_helper.to_array(t), name)

    facts = GraphFacts(const=constants.get, rank=_ranks(model))
    node_types: dict[str, Attribute] = {}

    def import_nodes(nodes, values: dict[str, SSAValue], into: Builder) -> None:
        for index, proto in enumerate(nodes):
            node_name = proto.name or f"{proto.op_type}_{index}"
            if proto.op_type != "Constant":  # constants are never the subject of an error
                node_types.setdefault(node_name, StringAttr(proto.op_type))
            try:
                for node in _upgraded(proto, node_name, opsets, facts):
                    _import_node(node, set(proto.output), opset, values, into, get_no_value, constant, subgraph)
            except NccError as e:
                if e.node is None:
                    e.node, e.op = node_name, proto.op_type
                raise

    def subgraph(sub, outer: dict[str, SSAValue]) -> Region:
        """A subgraph as a one-block region ending in onnx.Yield; it sees the outer values
        (its own names do not leak out). Its constants go before the op, in the main body."""
        from ncc.dialects.onnx.control import YieldOp

        inner = dict(outer)
        for t in sub.initializer:
            inner[t.name] = constant(numpy_helper.to_array(t), t.name)
        block = Block()
        import_nodes(sub.node, inner, Builder(InsertPoint.at_end(block)))
        missing = [o.name for o in sub.output if o.name not in inner]
        if missing:
            raise NccError(f"subgraph output '{missing[0]}' is not produced by any node")
        block.add_op(YieldOp.create(operands=[inner[o.name] for o in sub.output]))
        return Region(block)

    import_nodes(graph.node, values, builder)

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
    # the ONNX op type of every node, by name: errors name the node's real op even after a
    # rewrite replaced it by ops of other types (see ncc.dialects.common.op_location)
    f.attributes[ONNX_OP_TYPES] = DictionaryAttr(node_types)
    return ModuleOp([f])


def _ranks(model):
    """A lazy `tensor name → rank` from the model's value_info, completed by onnx shape
    inference on first use (only legacy upgrades ask, so most imports never pay for it)."""
    ranks: dict[str, int] | None = None

    def rank(name: str) -> int | None:
        nonlocal ranks
        if ranks is None:
            import onnx

            try:
                inferred = onnx.shape_inference.infer_shapes(model)
            except Exception:  # noqa: BLE001 - fall back to what the file says
                inferred = model
            g = inferred.graph
            ranks = {}
            for vi in [*g.input, *g.value_info, *g.output]:
                tt = vi.type.tensor_type
                if tt.HasField("shape"):
                    ranks[vi.name] = len(tt.shape.dim)
            for t in g.initializer:
                ranks[t.name] = len(t.dims)
        return ranks.get(name)

    return rank


_VERSIONS_CACHE: dict[tuple[str, str], tuple[int, int] | None] = {}


def _default_opsets(op_type: str, domain: str) -> tuple[int, int]:
    """For an op class that declares no OPSETS: the newest schema version and the older
    ones that each newer version only extended (`_extends`)."""
    key = (op_type, domain)
    if key not in _VERSIONS_CACHE:
        import onnx

        versions: list = []
        for opset in range(MIN_OPSET, MAX_OPSET + 1):
            try:
                schema = onnx.defs.get_schema(op_type, opset, domain)
            except onnx.defs.SchemaError:
                continue
            if not versions or versions[-1].since_version != schema.since_version:
                versions.append(schema)
        first = versions[-1].since_version
        for old, new in zip(reversed(versions[:-1]), reversed(versions[1:])):
            if not _extends(new, old):
                break
            first = old.since_version
        _VERSIONS_CACHE[key] = (first, MAX_OPSET)
    return _VERSIONS_CACHE[key]


def _extends(new, old) -> bool:
    """Whether schema `new` only adds to `old`: every attribute of `old` kept with its type,
    default and requiredness, old inputs and outputs kept by name in their places (new
    attributes, trailing optional inputs, types may be added). This is the interface, not
    the meaning: an op class that knows of a change of meaning declares OPSETS."""

    def attrs(schema) -> dict:
        return {
            name: (int(a.type), a.default_value.SerializeToString() if a.default_value.type else b"", a.required)
            for name, a in schema.attributes.items()
        }

    a_old, a_new = attrs(old), attrs(new)
    if any(a_new.get(name) != spec for name, spec in a_old.items()):
        return False
    if any(a.required for name, a in new.attributes.items() if name not in a_old):
        return False
    ins_old, ins_new = [i.name for i in old.inputs], [i.name for i in new.inputs]
    outs_old, outs_new = [o.name for o in old.outputs], [o.name for o in new.outputs]
    return ins_new[: len(ins_old)] == ins_old and outs_new[: len(outs_old)] == outs_old


def _schema_version(op_type: str, opset: int, domain: str):
    """The schema the model's opset selects for `op_type`, or None when onnx has none."""
    import onnx

    try:
        return onnx.defs.get_schema(op_type, opset, domain)
    except onnx.defs.SchemaError:
        return None


def _upgraded(proto, node_name: str, opsets: dict[str, int], facts: GraphFacts) -> list[Node]:
    """The node as plain `Node`s in the newest form of its op class: refused when its
    version is outside what the class reads, rewritten by the class's upgrade steps when
    older than the class's own form. Nodes without an op class pass as they are."""
    domain = "" if proto.domain == "ai.onnx" else proto.domain
    node = Node(
        proto.op_type,
        list(proto.input),
        list(proto.output),
        {a.name: _attr_python(a) for a in proto.attribute},
        node_name,
        domain=domain,
        opset=opsets.get(domain),
    )
    cls = OPS_BY_TYPE.get(proto.op_type) if domain == "" else None
    if cls is None or proto.op_type == "Constant":
        return [node]
    opset = opsets[""]
    schema = _schema_version(proto.op_type, opset, "")
    if schema is None:
        raise NccError(f"ONNX has no {proto.op_type} at opset {opset} (the model is invalid)")
    version = schema.since_version
    # a class that declares a deprecated version in its OPSETS reads it on purpose
    # (GroupNormalization-18: deprecated for its per-group scale, which the class reads)
    if schema.deprecated and not (cls.OPSETS and cls.OPSETS[0] <= version <= cls.OPSETS[1]):
        raise NccError(
            f"{proto.op_type} is deprecated since opset {version} (the model is invalid at opset {opset})"
        )
    first, last = cls.OPSETS or _default_opsets(proto.op_type, "")
    oldest = cls.oldest_version(first)
    if not oldest <= version <= last:
        raise NccError(
            f"{proto.op_type} version {version} (opset {opset}) is not supported: ncc reads "
            f"{proto.op_type} versions {oldest} to {last}"
        )
    node.version = version
    return cls.upgrade(node, facts)


def _value_type(vi) -> Attribute:
    tt = vi.type.tensor_type
    elem = xdsl_element_type(onnx_to_numpy(tt.elem_type)) if tt.elem_type else f32
    if not tt.HasField("shape"):
        return UnrankedTensorType(elem)
    return TensorType(elem, [_dim(d) for d in tt.shape.dim])


def _dim(d) -> int:
    """A static dim, or DYNAMIC_INDEX for a dim that is named (`batch`), unset, negative
    (exporters write -1 for "any") or a 0 that carries a name."""
    if d.WhichOneof("value") != "dim_value":
        return DYNAMIC_INDEX
    v = int(d.dim_value)
    return v if v > 0 or (v == 0 and not d.dim_param) else DYNAMIC_INDEX


def _import_node(
    node: Node, real_outputs: set[str], opset, values, builder, get_no_value, constant, subgraph
) -> None:
    """One node in its op class's newest form → one op (or a constant)."""
    if node.op_type == "Constant" and node.version is None and _is_default(node):
        values[node.outputs[0]] = constant(_constant_node_value(node), node.outputs[0])
        return

    cls = OPS_BY_TYPE.get(node.op_type) if _is_default(node) else None
    inputs = node.inputs
    for name in inputs:
        if name and name not in values:
            raise NccError(f"input '{name}' is not defined before use")

    if cls is None:
        operands = [values[n] if n else get_no_value() for n in inputs]
        attrs = {k: a for k, v in node.attrs.items() if (a := _prop(v)) is not None}
        props = {
            "op_type": StringAttr(node.op_type),
            "domain": StringAttr(node.domain),
            "attrs": DictionaryAttr(attrs),
        }
        if node.opset is not None:
            props["onnx_opset"] = IntegerAttr(node.opset, i64)
        op = NodeOp.create(
            operands=operands,
            result_types=[UnrankedTensorType(f32) for _ in node.outputs],
            properties=props,
        )
    else:
        op = _create_typed(cls, node, opset, values, get_no_value, subgraph)
    op.location = node_loc(node.name)  # the ONNX node is the op's location
    results = list(op.results)
    # the ONNX tensor each result stands for (tensors an upgrade made up stand for none)
    names = [n if n in real_outputs else "" for n in node.outputs][: len(results)]
    if any(names):
        op.attributes["onnx_outputs"] = ArrayAttr([StringAttr(n) for n in names + [""] * (len(results) - len(names))])
    builder.insert(op)
    for name, result in zip(node.outputs, results):
        if name:
            values[name] = result


def _is_default(node: Node) -> bool:
    return node.domain in ("", "ai.onnx")


def _create_typed(cls: type[OnnxOp], node: Node, opset: int, values, get_no_value, subgraph) -> OnnxOp:
    import onnx

    regions = []
    for name, _ in cls.get_irdl_definition().regions:
        graph = node.attrs.pop(name, None)
        if not isinstance(graph, _Graph):
            raise NccError(f"attribute '{name}' (a graph) is missing")
        regions.append(subgraph(graph.graph, values))

    inputs = node.inputs
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
        schema = _schema_version(node.op_type, opset, "")
        formal = [i.name for i in schema.inputs] if schema is not None else []
        used = [f"'{formal[i]}'" if i < len(formal) else str(i) for i in range(pos, len(inputs)) if inputs[i]]
        raise NccError(f"input {', '.join(used)} is not supported (ncc reads the first {pos} inputs)")

    result_types: list[Attribute | Sequence[Attribute]] = []
    outs = list(node.outputs)
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
    # defaults of the version the node now has: the class's own form, at least
    first = (cls.OPSETS or (1, MAX_OPSET))[0]
    try:
        schema = onnx.defs.get_schema(node.op_type, max(opset, first), "")
        for aname, a in schema.attributes.items():
            if aname in declared and a.default_value.type != 0:
                v = _prop(_attr_python(a.default_value))
                if v is not None:
                    props[aname] = v
    except onnx.defs.SchemaError:
        pass
    for aname, value in node.attrs.items():
        if aname not in declared:
            raise NccError(f"attribute '{aname}' is not supported")
        v = _prop(value)
        if v is None:
            raise NccError(f"attribute '{aname}' has an unsupported type")
        props[aname] = v
    return cls.build(operands=operands, result_types=result_types, properties=props, regions=regions)


class _Graph:
    """A subgraph attribute (If's branches): imported as a region of the op."""

    def __init__(self, graph):
        self.graph = graph


class _Unsupported:
    """An attribute value of a kind ncc does not read (graphs, sparse tensors, types)."""

    def __init__(self, kind: str):
        self.kind = kind


def _attr_python(a):
    """An AttributeProto as a Python value: int, float, str, list, numpy array."""
    from onnx import AttributeProto, numpy_helper

    t = a.type
    if t == AttributeProto.INT:
        return int(a.i)
    if t == AttributeProto.FLOAT:
        return float(a.f)
    if t == AttributeProto.STRING:
        return a.s.decode("utf-8", "replace")
    if t == AttributeProto.INTS:
        return [int(x) for x in a.ints]
    if t == AttributeProto.FLOATS:
        return [float(x) for x in a.floats]
    if t == AttributeProto.STRINGS:
        return [s.decode("utf-8", "replace") for s in a.strings]
    if t == AttributeProto.TENSOR:
        return numpy_helper.to_array(a.t)
    if t == AttributeProto.GRAPH:
        return _Graph(a.g)
    return _Unsupported(AttributeProto.AttributeType.Name(t))


def _prop(value) -> Attribute | None:
    """A Python attribute value as a property; None for kinds ncc does not read."""
    if isinstance(value, bool | int | np.integer):
        return IntegerAttr(int(value), i64)
    if isinstance(value, float | np.floating):
        return FloatAttr(float(value), f32)
    if isinstance(value, str):
        return StringAttr(value)
    if isinstance(value, np.ndarray):
        return array_attr(value, "attr")
    if isinstance(value, list | tuple):
        if all(isinstance(v, str) for v in value) and value:
            return ArrayAttr([StringAttr(v) for v in value])
        if all(isinstance(v, int | np.integer) for v in value):
            return DenseArrayBase.from_list(i64, [int(v) for v in value])
        if all(isinstance(v, int | float | np.number) for v in value):
            return DenseArrayBase.from_list(f32, [float(v) for v in value])
    return None


def _constant_node_value(node: Node) -> np.ndarray:
    for name, v in node.attrs.items():
        if name == "value" and isinstance(v, np.ndarray):
            return v
        if name == "value_float":
            return np.asarray(v, dtype=np.float32)
        if name == "value_floats":
            return np.asarray(v, dtype=np.float32)
        if name == "value_int":
            return np.asarray(v, dtype=np.int64)
        if name == "value_ints":
            return np.asarray(v, dtype=np.int64)
        raise NccError(f"Constant attribute '{name}' is not supported")
    raise NccError("Constant node has no value")

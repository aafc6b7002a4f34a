"""Pieces shared by the ncc dialects: the weight attribute, element types, errors.

Weights never live in the IR text: a `BlobAttr` holds a reference to a numpy array and
prints only its key, so `--print-ir-after-all` on a 100 MB model prints kilobytes.
Small integer tensors (shapes, axes, indices) stay inline as builtin `dense<...>` so that
IR tests and folders can read them directly.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any
from dataclasses import dataclass, field

import numpy as np
from xdsl.dialects.builtin import (
    AnyFloat,
    DenseIntOrFPElementsAttr,
    Float16Type,
    Float32Type,
    Float64Type,
    IntegerType,
    NoneType,
    Signedness,
    TensorType,
    UnrankedTensorType,
    f16,
    f32,
    f64,
    i1,
    i8,
    i32,
    i64,
)
from xdsl.ir import Attribute, Data, SSAValue
from xdsl.irdl import irdl_attr_definition
from xdsl.parser import AttrParser
from xdsl.printer import Printer

from ncc.errors import NccError

# --------------------------------------------------------------------------- errors

# NccError lives in ncc.errors (no xDSL, no numpy), so the CLI, `ncc verify` and the torch
# frontend can raise it without importing the IR.


ONNX_OP_TYPES = "ncc.onnx_op_types"
"""Function attribute set by the ONNX importer: ONNX node name → the node's op type."""


def node_loc(node: str) -> Attribute:
    """The location of an op that comes from the ONNX node named `node`: `loc("node")`."""
    from xdsl.dialects.builtin import NoneAttr, NameLoc, StringAttr

    return NameLoc(StringAttr(node), NoneAttr())


def node_names(op) -> list[str]:
    """The ONNX nodes an op stands for, from its location (several when ops were fused)."""
    from xdsl.dialects.builtin import FusedLoc, NameLoc

    loc = getattr(op, "location", None)
    parts = list(loc.locations.data) if isinstance(loc, FusedLoc) else [loc]
    names = [p.desc.data for p in parts if isinstance(p, NameLoc)]
    if not names and "onnx_node" in getattr(op, "attributes", {}):
        # the attribute that held the node before locations did (IR written by hand, code
        # not yet moved over): read, never written by ncc
        names = [op.attributes["onnx_node"].data]
    return names


def node_name(op) -> str | None:
    """The ONNX node an op comes from (the first, when ops were fused), or None."""
    names = node_names(op)
    return names[0] if names else None


def op_location(op) -> dict[str, str | None]:
    """The `node=`/`op=` keywords of NccError for an IR op: the ONNX node it comes from (its
    location) and that node's op type, which stays the real one after rewrites (a Slice
    rebuilt as a Reshape is still reported as the Slice it was); the op's own type when it
    has no node."""
    node = node_name(op)
    op_type = getattr(op, "ONNX_TYPE", None) or op.name.split(".", 1)[-1]
    if "op_type" in op.properties:
        op_type = op.properties["op_type"].data  # the generic fallback op
    elif node is not None:
        parent = op.parent_op()
        while parent is not None and ONNX_OP_TYPES not in parent.attributes:
            parent = parent.parent_op()
        if parent is not None and node in parent.attributes[ONNX_OP_TYPES].data:
            op_type = parent.attributes[ONNX_OP_TYPES].data[node].data
    return {"node": node, "op": op_type}


# --------------------------------------------------------------------------- blobs


_blob_counter = itertools.count()


@dataclass(eq=False, frozen=True)
class Blob:
    """A named numpy array. Equality and hash go by key, so keys are unique per content."""

    key: str
    array: np.ndarray | None = field(default=None, compare=False)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Blob) and other.key == self.key

    def __hash__(self) -> int:
        return hash(self.key)


@irdl_attr_definition
class BlobAttr(Data[Blob]):
    """`#ncc.blob<"key">`: a weight held by reference, never printed."""

    name = "ncc.blob"

    @classmethod
    def parse_parameter(cls, parser: AttrParser) -> Blob:
        with parser.in_angle_brackets():
            key = parser.parse_str_literal()
        return Blob(key, None)

    def print_parameter(self, printer: Printer) -> None:
        printer.print_string(f'<"{self.data.key}">')

    @staticmethod
    def from_array(array: np.ndarray, hint: str = "c") -> BlobAttr:
        array = np.asarray(array)
        if not array.flags.c_contiguous:  # np.ascontiguousarray would make a 0-d array 1-d
            array = array.copy(order="C")
        return BlobAttr(Blob(f"{hint}#{next(_blob_counter)}", array))


def _ncc_dialect():
    from xdsl.ir import Dialect

    return Dialect("ncc", [], [BlobAttr])


NCC = _ncc_dialect()
"""The `ncc` dialect: attributes shared by ncc's dialects (`#ncc.blob`)."""

INLINE_LIMIT = 64
"""Integer tensors up to this many elements stay inline as dense<...> (shapes, axes)."""


# --------------------------------------------------------------------------- element types

_NP_TO_XDSL: dict[np.dtype, Attribute] = {
    np.dtype(np.float32): f32,
    np.dtype(np.float16): f16,
    np.dtype(np.float64): f64,
    np.dtype(np.int64): i64,
    np.dtype(np.int32): i32,
    np.dtype(np.int8): i8,
    np.dtype(np.uint8): IntegerType(8, Signedness.UNSIGNED),
    np.dtype(np.bool_): i1,
}


def xdsl_element_type(dtype: np.dtype | type) -> Attribute:
    dtype = np.dtype(dtype)
    if dtype not in _NP_TO_XDSL:
        raise NccError(f"unsupported element type {dtype}")
    return _NP_TO_XDSL[dtype]


def numpy_dtype(element_type: Attribute) -> np.dtype:
    if isinstance(element_type, Float32Type):
        return np.dtype(np.float32)
    if isinstance(element_type, Float16Type):
        return np.dtype(np.float16)
    if isinstance(element_type, Float64Type):
        return np.dtype(np.float64)
    if isinstance(element_type, IntegerType):
        width = element_type.width.data
        if width == 1:
            return np.dtype(np.bool_)
        unsigned = element_type.signedness.data == Signedness.UNSIGNED
        return np.dtype(f"{'u' if unsigned else ''}int{width}")
    raise NccError(f"unsupported element type {element_type}")


_CACHE_LIMIT = 1 << 16
"""Entries a cache below holds before it starts over (a long-lived process compiles many models)."""
_TENSOR_TYPES: dict[tuple[Any, tuple[int, ...]], TensorType] = {}
"""(element type, shape) → its TensorType: attributes are immutable, and building one (xDSL
verifies every parameter) costs ~40 µs, thousands of times per model."""


def tensor_type(shape: Sequence[int], element_type: Attribute | np.dtype) -> TensorType:
    key = (element_type, tuple(int(d) for d in shape))
    t = _TENSOR_TYPES.get(key)
    if t is None:
        if len(_TENSOR_TYPES) >= _CACHE_LIMIT:
            _TENSOR_TYPES.clear()
        et = element_type if isinstance(element_type, Attribute) else xdsl_element_type(element_type)
        t = _TENSOR_TYPES[key] = TensorType(et, list(key[1]))
    return t


def array_attr(array: np.ndarray, hint: str = "c") -> Attribute:
    """The attribute for a constant: inline dense for small integer/bool tensors, else a blob."""
    array = np.asarray(array)
    if array.dtype.kind in "iub" and array.size <= INLINE_LIMIT:
        t = tensor_type(array.shape, array.dtype)
        data = array.astype(np.uint8) if array.dtype == np.bool_ else array
        return DenseIntOrFPElementsAttr(t, _bytes_attr(np.ascontiguousarray(data).tobytes()))
    return BlobAttr.from_array(array, hint)


def _bytes_attr(b: bytes):
    from xdsl.dialects.builtin import BytesAttr

    return BytesAttr(b)


def attr_array(attr: Attribute, t: Attribute | None = None) -> np.ndarray | None:
    """The numpy value of a constant attribute (dense or blob); None for an unresolved blob."""
    if isinstance(attr, BlobAttr):
        return attr.data.array
    if isinstance(attr, DenseIntOrFPElementsAttr):
        ty = attr.get_type()
        dtype = numpy_dtype(ty.get_element_type())
        shape = tuple(ty.get_shape())
        raw_dtype = np.uint8 if dtype == np.bool_ else dtype
        if dtype.kind == "f":
            raw_dtype = np.dtype(dtype)
        values = np.frombuffer(attr.data.data, dtype=raw_dtype)
        if values.size == 1 and int(np.prod(shape)) != 1:  # splat
            values = np.full(shape, values[0], dtype=raw_dtype)
        return values.reshape(shape).astype(dtype)
    return None


_STATIC_SHAPES: dict[int, tuple[Attribute, tuple[int, ...] | None]] = {}
"""id(type) → (the type, its static shape): asked for again and again by every pass. The entry
holds the type, so its id is not reused while cached."""


def static_shape(t: Attribute) -> tuple[int, ...] | None:
    """The shape of a ranked, fully static tensor type; None otherwise."""
    hit = _STATIC_SHAPES.get(id(t))
    if hit is not None and hit[0] is t:
        return hit[1]
    shape = tuple(t.get_shape()) if isinstance(t, TensorType) and t.has_static_shape() else None
    if len(_STATIC_SHAPES) >= _CACHE_LIMIT:
        _STATIC_SHAPES.clear()
    _STATIC_SHAPES[id(t)] = (t, shape)
    return shape


def element_type(t: Attribute) -> Attribute:
    if isinstance(t, TensorType | UnrankedTensorType):
        return t.element_type
    raise NccError(f"expected a tensor, got {t}")


def is_none(v: SSAValue) -> bool:
    return isinstance(v.type, NoneType)


__all__ = [
    "AnyFloat",
    "Blob",
    "BlobAttr",
    "NccError",
    "array_attr",
    "attr_array",
    "element_type",
    "is_none",
    "numpy_dtype",
    "op_location",
    "static_shape",
    "tensor_type",
    "xdsl_element_type",
]

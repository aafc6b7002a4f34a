"""The base of the `onnx` dialect: the op base class with its two interfaces, constants,
NoValue, and the generic fallback op.

Every supported ONNX op is one IRDL class named `onnx.<OpType>` whose operands keep ONNX's
positional order (absent optional inputs are fed by `onnx.NoValue`) and whose properties are
named exactly like the ONNX attributes. Each op carries its own semantics, written once:

- `infer_types()`: the result types from the operand types (and constant operands), or
  None while an input is still unknown. The `onnx-shape-inference` pass drives it.
- `evaluate(*arrays)`: the numpy semantics, used by `onnx-fold-constants` when every
  operand is constant. Ops without numpy semantics leave it as None.
"""

from __future__ import annotations

from abc import ABC
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
from xdsl.dialects.builtin import (
    DYNAMIC_INDEX,
    ArrayAttr,
    DenseArrayBase,
    DenseIntOrFPElementsAttr,
    DictionaryAttr,
    FloatAttr,
    IntegerAttr,
    NoneType,
    StringAttr,
    TensorType,
    UnrankedTensorType,
    f32,
    i64,
)
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import (
    IRDLOperation,
    irdl_op_definition,
    opt_prop_def,
    prop_def,
    result_def,
    traits_def,
    var_operand_def,
    var_result_def,
)
from xdsl.traits import ConstantLike, OpTrait, Pure
from xdsl.utils.exceptions import VerifyException

from ncc.dialects.onnx.versions import GraphFacts, Node, Upgrade, steps_reach, upgrade
from ncc.dialects.common import (
    BlobAttr,
    NccError,
    attr_array,
    numpy_dtype,
    op_location,
    static_shape,
    tensor_type,
)


class OnnxOp(IRDLOperation, ABC):
    """Base of every `onnx.*` op: typed access to properties and operands, and the two
    per-op interfaces (shape inference and numpy evaluation)."""

    traits = traits_def(Pure())

    # ---- ONNX versions (see ncc.dialects.onnx.versions) --------------------------------
    OPSETS: ClassVar[tuple[int, int] | None] = None
    """The schema versions of the ONNX op whose meaning this class implements as is, or
    None: the versions whose interface is the newest one's (derived by the importer)."""
    UPGRADES: ClassVar[tuple[Upgrade, ...]] = ()
    """Steps rewriting a node of an older version into this class's form."""

    @classmethod
    def oldest_version(cls, first: int) -> int:
        """The oldest schema version the class reads, given its first as-is version."""
        return steps_reach(cls.UPGRADES, first)

    @classmethod
    def upgrade(cls, node: Node, facts: GraphFacts) -> list[Node]:
        """`node` (of an older version) rewritten into this class's form: the node itself,
        edited, and any nodes the steps emit around it, all in the newest form."""
        return upgrade(cls.UPGRADES, node, facts)

    # ---- per-op interfaces -------------------------------------------------------------
    def infer_types(self) -> Sequence[Attribute] | None:
        """Result types from operand types; None when they cannot be known yet."""
        return None

    def evaluate(self, *inputs: np.ndarray | None) -> Sequence[np.ndarray] | None:
        """The results computed with numpy from constant inputs (None for NoValue);
        None when the op has no numpy semantics."""
        return None

    def fold_from_types(self) -> Sequence[np.ndarray] | None:
        """Results known from operand *types* alone (Shape, Size), even when the operand
        data is not constant; None otherwise."""
        return None

    # ---- layout (`onnx-layout-assign`; vocabulary in ncc.dialects.onnx.mat_groups) -----
    # (an op that works item by item along a batch declares the PerItem / Image trait)

    def mat_cuts(self) -> tuple[int, set[int]] | None:
        """(rank, cuts): the rank of the op's axes and the positions where a Mat grouping of
        them must be cut (p: between axes p-1 and p). None: the op cannot run on merged axes."""
        return None

    def wants_regroup(self) -> bool:
        """Whether the op must run on its `mat_cuts` grouping even when every tensor fits a
        Mat as it is (the layer needs axes merged: PReLU's batch folded into its channels)."""
        return False

    def mat_data(self) -> tuple[int, ...]:
        """The operands whose axes are the op's axes (regrouped with them); the others
        (shapes, indices, starts) stay as they are."""
        return tuple(range(len(self.operands)))

    def mat_result_shapes(self) -> list[tuple[int, ...]]:
        """The results' shapes with their axes in the order of the op's axes (what a grouping
        of those axes is checked against). Default: the results as they are; a Transpose
        gives them back in its input's order."""
        return [s for s in (static_shape(r.type) for r in self.results) if s is not None]

    def regroup(self, b: Any, groups: Sequence[tuple[int, int]], data: Sequence[SSAValue]) -> Sequence[SSAValue]:
        """The op built by `b` (an OnnxBuilder) on its data operands merged into `groups`
        (an operand of one element is passed as it is); returns its results with merged
        axes. Default: the same op with the results merged the same way (elementwise ops)."""
        from ncc.dialects.onnx.mat_groups import extended, merge_shape

        operands = list(self.operands)
        for i, v in zip(self.mat_data(), data, strict=True):
            operands[i] = v
        types = [typed(merge_shape(extended(static_shape(r.type), groups[-1][1]), groups), r.type) for r in self.results]
        new = type(self).create(operands=operands, result_types=types, properties=dict(self.properties))
        return b.add(new).results
    def verify_(self) -> None:
        """The result types must agree with the op's own shape rule when it can tell them
        (every operand static): a result may be less known (`?` dims, unranked), never
        different."""
        try:
            expected = self.infer_types()
        except NccError as e:
            raise VerifyException(f"{self.name}: {e.message}") from None
        if expected is None or len(expected) != len(self.results):
            return
        for i, (want, res) in enumerate(zip(expected, self.results, strict=True)):
            if not _type_agrees(res.type, want):
                raise VerifyException(
                    f"{self.name}: result {i} has type {res.type}, but its shape rule gives {want}"
                )

    def satisfies(self, trait: OpTrait) -> bool:
        """Whether a trait the class declares holds for this instance (a Softmax is
        frame-local unless it works along axis 0); `ncc.dialects.onnx.traits.trait_of`
        asks this. Default: every declared trait holds."""
        return True

    # ---- helpers for rules and lowerings -----------------------------------------------
    @property
    def onnx_type(self) -> str:
        return self.name.split(".", 1)[1]

    def attr(self, key: str, default: Any = None) -> Any:
        """A property as a Python value (int, float, str, list). A property with a declared
        default (`int_prop(1)`, …) is always there; `default` is for the others, absent."""
        a = self.properties.get(key)
        if a is None:
            declared = declared_default(type(self), key)
            if declared is not None:
                return py_value(declared)
        elif default is not None:
            declared = declared_default(type(self), key)
            if declared is not None and not _same_value(py_value(declared), default):
                raise NccError(
                    f"internal error: {self.name}.{key} defaults to {py_value(declared)!r}, "
                    f"not {default!r} (drop the default at the call: the op declares it)"
                )
        return default if a is None else py_value(a)

    def in_shape(self, i: int) -> tuple[int, ...] | None:
        if i >= len(self.operands):
            return None
        return static_shape(self.operands[i].type)

    def in_const(self, i: int) -> np.ndarray | None:
        """The value of operand `i` when it is a constant, else None (also for NoValue)."""
        if i >= len(self.operands):
            return None
        return const_value(self.operands[i])

    def has_input(self, i: int) -> bool:
        return i < len(self.operands) and not isinstance(self.operands[i].type, NoneType)

    def out_shape(self, i: int = 0) -> tuple[int, ...] | None:
        return static_shape(self.results[i].type)

    def error(self, message: str) -> NccError:
        return NccError(message, **op_location(self))


def _type_agrees(actual: Attribute, expected: Attribute) -> bool:
    """`actual` is `expected` or a less-known form of it (unranked, `?` dims)."""
    if actual == expected:
        return True
    if not isinstance(expected, TensorType):
        return True  # only tensor results are checked
    if isinstance(actual, UnrankedTensorType):
        return actual.element_type == expected.element_type
    if not isinstance(actual, TensorType) or actual.element_type != expected.element_type:
        return False
    a, e = actual.get_shape(), expected.get_shape()
    return len(a) == len(e) and all(x == y or x == DYNAMIC_INDEX or y == DYNAMIC_INDEX for x, y in zip(a, e))


def int_prop(default: int):
    """An integer property with ONNX's default (filled in when the op is built or parsed)."""
    return prop_def(IntegerAttr, default_value=IntegerAttr(default, i64))


def float_prop(default: float):
    """A float property with ONNX's default."""
    return prop_def(FloatAttr, default_value=FloatAttr(default, f32))


def str_prop(default: str):
    """A string property with ONNX's default."""
    return prop_def(StringAttr, default_value=StringAttr(default))


def _same_value(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, int | float):
        return bool(np.float32(a) == np.float32(b))  # float properties are f32
    return a == b


def declared_default(cls: type[IRDLOperation], key: str) -> Attribute | None:
    """The default an op class declares for property `key` (None: no default)."""
    prop = cls.get_irdl_definition().properties.get(key)
    return None if prop is None else prop.default_value


def py_value(a: Attribute) -> Any:
    """Python value of a property attribute."""
    if isinstance(a, IntegerAttr):
        return a.value.data
    if isinstance(a, FloatAttr):
        return a.value.data
    if isinstance(a, StringAttr):
        return a.data
    if isinstance(a, DenseArrayBase):
        return list(a.get_values())
    if isinstance(a, ArrayAttr):
        return [py_value(x) for x in a.data]
    if isinstance(a, DenseIntOrFPElementsAttr | BlobAttr):
        return attr_array(a)
    return a


def const_value(v: SSAValue) -> np.ndarray | None:
    """The numpy value of an SSA value defined by `onnx.Constant`, else None."""
    owner = v.owner
    if isinstance(owner, ConstantOp):
        return owner.array
    return None


def synthetic_array(key: str, shape: Sequence[int], dtype: np.dtype) -> np.ndarray:
    """Deterministic stand-in data for a blob without an array (seeded by its key)."""
    import zlib

    rng = np.random.default_rng(zlib.crc32(key.encode()))
    if np.dtype(dtype).kind == "f":
        return rng.uniform(-1, 1, tuple(shape)).astype(dtype)
    return rng.integers(0, 4, tuple(shape)).astype(dtype)


def same_as_input(op: OnnxOp, i: int = 0) -> Sequence[Attribute] | None:
    t = op.operands[i].type
    return [t] if static_shape(t) is not None else None


def typed(shape: Sequence[int], like: Attribute | np.dtype) -> TensorType:
    """A tensor type of `shape` with the element type of `like` (a type or a dtype)."""
    if isinstance(like, TensorType | UnrankedTensorType):
        return tensor_type(shape, like.element_type)
    return tensor_type(shape, like)


# ------------------------------------------------------------------------------- ops


@irdl_op_definition
class ConstantOp(OnnxOp):
    """A constant tensor: inline `dense<...>` when small, a `#ncc.blob` reference otherwise.
    Initializers and ONNX `Constant` nodes both import as this op."""

    name = "onnx.Constant"
    value = prop_def(Attribute)
    output = result_def()
    traits = traits_def(Pure(), ConstantLike())

    def __init__(self, value: Attribute, result_type: Attribute):
        super().__init__(properties={"value": value}, result_types=[result_type])

    @staticmethod
    def from_array(array: np.ndarray, hint: str = "c") -> ConstantOp:
        from ncc.dialects.common import array_attr

        array = np.asarray(array)
        return ConstantOp(array_attr(array, hint), tensor_type(array.shape, array.dtype))

    @property
    def array(self) -> np.ndarray | None:
        a = attr_array(self.value)
        dtype = numpy_dtype(self.output.type.element_type)
        if a is None:
            # A blob parsed from IR text carries no array (weights never go through text).
            # Synthetic data, deterministic from the key, lets IR tests run every pass.
            a = synthetic_array(self.value.data.key, static_shape(self.output.type) or (), dtype)
        return a.astype(dtype, copy=False)

    def infer_types(self):
        return [self.output.type]

    def verify_(self) -> None:
        if not isinstance(self.value, DenseIntOrFPElementsAttr | BlobAttr):
            raise self.error("onnx.Constant value must be dense<...> or #ncc.blob<...>")


@irdl_op_definition
class NoValueOp(OnnxOp):
    """The absent optional input (ONNX's empty input name)."""

    name = "onnx.NoValue"
    output = result_def(NoneType)
    traits = traits_def(Pure(), ConstantLike())

    def __init__(self):
        super().__init__(result_types=[NoneType()])

    def infer_types(self):
        return [NoneType()]


@irdl_op_definition
class NodeOp(OnnxOp):
    """The generic fallback: any ONNX node ncc has no class for imports as this op, so an
    unsupported model still imports and the legality check can report the op by name."""

    name = "onnx.Node"
    op_type = prop_def(StringAttr)
    domain = prop_def(StringAttr, default_value=StringAttr(""))
    attrs = prop_def(DictionaryAttr, default_value=DictionaryAttr({}))
    inputs = var_operand_def()
    outputs = var_result_def()
    onnx_opset = opt_prop_def(IntegerAttr)

    @property
    def onnx_type(self) -> str:
        return self.op_type.data


def check_rank(op: OnnxOp, i: int, *ranks: int) -> tuple[int, ...]:
    s = op.in_shape(i)
    if s is None:
        raise op.error(f"input {i} has no static shape")
    if ranks and len(s) not in ranks:
        raise op.error(f"input {i} has rank {len(s)}, expected {' or '.join(map(str, ranks))}")
    return s


def norm_axis(axis: int, rank: int, op: OnnxOp | None = None) -> int:
    a = axis + rank if axis < 0 else axis
    if not 0 <= a < max(rank, 1):
        msg = f"axis {axis} out of range for rank {rank}"
        raise op.error(msg) if op is not None else NccError(msg)
    return a

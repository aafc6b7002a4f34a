"""Shared machinery of the onnx → ncnn conversion: the pattern base class with its
preconditions, the builder that creates layers, and the axis / broadcasting rules that come
from `mat_shape`. The protocol (refusals, priorities, the target) is `ncc.lowering.dispatch`."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import numpy as np
from xdsl.dialects.builtin import TensorType, UnrankedTensorType
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.pattern_rewriter import PatternRewriter, RewritePattern

from ncc.dialects.common import NccError, numpy_dtype, op_location, static_shape, tensor_type
from ncc.dialects.ncnn import layers as L
from ncc.dialects.ncnn.base import NcnnLayer, fits_mat, mat_shape
from ncc.dialects.onnx.base import OnnxOp, const_value
from ncc.lowering.dispatch import DEFAULT_PRIORITY, NoMatch


class LayerBuilder:
    """Creates the ncnn layers that replace one ONNX op; they are inserted before it."""

    def __init__(self, op: OnnxOp):
        self.op = op
        self.ops: list[Operation] = []
        self.node = op_location(op)["node"]

    # ---------------------------------------------------------------- layers
    def layer(
        self,
        cls: type[NcnnLayer],
        inputs: Sequence[SSAValue],
        result_types: Sequence[Attribute] | Attribute,
        params: dict[str, Any] | None = None,
        weights: dict[str, np.ndarray] | None = None,
    ) -> SSAValue | list[SSAValue]:
        """Add a layer; returns its single result, or the list when it has several."""
        if not isinstance(result_types, Sequence):
            result_types = [result_types]
        inputs = [self.blob(v) for v in inputs]
        layer = cls.build(inputs, result_types, params, weights)
        layer.location = self.op.location  # the ONNX node(s) the layer comes from
        self.ops.append(layer)
        res = list(layer.results)
        return res[0] if len(res) == 1 else res

    def blob(self, v: SSAValue) -> SSAValue:
        """An ncnn-consumable value: constants become MemoryData layers."""
        arr = const_value(v)
        if arr is None:
            return v
        return self.memory_data(arr)

    def memory_data(self, array: np.ndarray, logical_shape: Sequence[int] | None = None) -> SSAValue:
        array = np.asarray(array, dtype=np.float32)
        shape = tuple(array.shape) if logical_shape is None else tuple(logical_shape)
        mat = mat_shape(shape)
        params = reshape_params(mat)
        return self.layer(
            L.MemoryDataOp, [], tensor_type(shape, np.float32), params, {"data": array.reshape(mat)}
        )

    def reshape(self, v: SSAValue, shape: Sequence[int]) -> SSAValue:
        """An ncnn Reshape to the Mat of logical `shape` (a no-op when the Mat is unchanged)."""
        src = static_shape(v.type)
        t = tensor_type(shape, v.type.element_type)
        if src is not None and mat_shape(src) == mat_shape(shape):
            if tuple(src) == tuple(shape):
                return v
        return self.layer(L.ReshapeOp, [v], t, reshape_params(mat_shape(shape)))

    # ---------------------------------------------------------------- Mat rules
    # The one place patterns turn logical shapes into Mats: read an operand in the Mat a layer
    # needs, type a layer's result by the Mat it produces, and come back to the logical shape.
    # (After `onnx-layout-assign` every tensor a pattern sees has a Mat axis per logical axis,
    # a leading 1 aside, which the `fits_mat_shapes` precondition enforces.)

    def read(self, v: SSAValue, mat: Sequence[int]) -> SSAValue:
        """`v` as a value whose Mat is `mat` (a Reshape unless it already is)."""
        shape = static_shape(v.type)
        if shape is not None and mat_shape(shape) == tuple(mat):
            return v
        return self.reshape(v, logical_for_mat(mat))

    def read_rank(self, v: SSAValue, rank: int) -> SSAValue:
        """`v` with a Mat of `rank` = its logical rank (a dropped leading 1 put back), for a
        layer whose other operands keep that axis (Concat, Tile, BinaryOp)."""
        s = static_shape(v.type)
        if s is None:
            raise NoMatch(f"needs static shapes (got {v.type})")
        if len(mat_shape(s)) == rank:
            return v
        if len(s) != rank:
            raise NoMatch(f"cannot give {list(s)} a Mat of rank {rank}")
        arr = const_value(v)
        if arr is not None:
            return self.memory_data(arr, [1, *s])
        return self.reshape(v, [1, *s])

    def result_type(self, like: Attribute, mat: Sequence[int], logical: Sequence[int]) -> TensorType:
        """The type of a layer result holding the values of logical shape `logical` in the Mat
        `mat` ncnn produces: `logical` when that is its Mat, else a carrier type whose Mat is
        `mat` (`settle` then reshapes it)."""
        if mat_shape(logical) == tuple(mat):
            return tensor_type(logical, like.element_type)
        return self.carrier(like, mat)

    def carrier(self, like: Attribute, mat: Sequence[int]) -> TensorType:
        """A logical type whose Mat is exactly `mat` (for intermediate values only)."""
        return tensor_type([1, *mat], like.element_type)

    def settle(self, v: SSAValue, logical: Sequence[int]) -> SSAValue:
        """`v` (its Mat holds the values of `logical` in C order) as a value of type `logical`."""
        if static_shape(v.type) == tuple(logical):
            return v
        return self.reshape(v, logical)

    def produce(
        self,
        cls: type[NcnnLayer],
        inputs: Sequence[SSAValue],
        mat: Sequence[int],
        logical: Sequence[int],
        like: Attribute,
        params: dict[str, Any] | None = None,
        weights: dict[str, np.ndarray] | None = None,
    ) -> SSAValue:
        """A layer that produces the Mat `mat`, as a value of the logical shape `logical`."""
        mat = tuple(int(d) for d in mat)
        if mat == mat_shape(logical):
            return self.layer(cls, inputs, tensor_type(logical, like.element_type), params, weights)
        y = self.layer(cls, inputs, tensor_type(logical_for_mat(mat), like.element_type), params, weights)
        return self.reshape(y, logical)

    def axis(self, logical_axis: int, v: SSAValue | None = None, shape: Sequence[int] | None = None) -> int:
        """The Mat axis (numpy order, batch-less) of a logical axis of `v` (default: input 0),
        or of a value of `shape`; an error for the dropped batch axis."""
        if shape is None:
            v = self.op.operands[0] if v is None else v
            shape = static_shape(v.type)
        if shape is None:
            raise NoMatch("needs a static shape")
        shape = tuple(shape)
        if not fits_mat(shape):
            raise NccError(f"internal error: axis of {list(shape)}, which has no Mat axis per axis", **op_location(self.op))
        rank = len(shape)
        a = logical_axis + rank if logical_axis < 0 else logical_axis
        dropped = len(shape) - len(mat_shape(shape)) if rank > 0 else 0
        if a < dropped:
            raise NoMatch(f"works along the batch axis (axis {logical_axis} of {list(shape)})")
        return a - dropped

    def discard(self) -> None:
        """Drop the layers built so far (the pattern refused): they no longer use any value."""
        for layer in reversed(self.ops):
            layer.erase(safe_erase=False)
        self.ops.clear()


def reshape_params(mat: Sequence[int]) -> dict[str, int]:
    """The w/h/d/c params of a Mat shape (numpy order), as Reshape and MemoryData read them:
    the number of keys written decides the rank."""
    keys = {1: ["w"], 2: ["h", "w"], 3: ["c", "h", "w"], 4: ["c", "d", "h", "w"]}[len(mat)]
    return dict(zip(keys, mat, strict=True))


def logical_for_mat(mat: Sequence[int]) -> tuple[int, ...]:
    """A logical shape whose Mat is exactly `mat` (a leading 1 would be dropped, so keep it
    behind an extra batch 1)."""
    mat = tuple(int(d) for d in mat)
    if len(mat) > 1 and mat[0] == 1:
        return (1, *mat)
    return mat


# ------------------------------------------------------------------------------ preconditions
# A pattern declares what it needs of an op in `REQUIRES`; the base class checks it before
# `convert` and refuses with the first unmet requirement's reason, so no pattern repeats it.

Requirement = Callable[[OnnxOp], "str | None"]
"""A precondition of a pattern: the reason it refuses `op`, or None when `op` meets it."""


def static_shapes(op: OnnxOp) -> str | None:
    """Every tensor operand and result has a static shape (absent optionals aside)."""
    for kind, values in (("input", op.operands), ("result", op.results)):
        for i, v in enumerate(values):
            if isinstance(v.type, TensorType | UnrankedTensorType) and static_shape(v.type) is None:
                return (
                    f"its {kind} {i} has no static shape ({v.type}); give every model input a "
                    "static shape with --input-shape"
                )
    return None


def fits_mat_shapes(op: OnnxOp) -> str | None:
    """Every non-constant operand and every result has a Mat axis per axis (`fits_mat`): what
    `onnx-layout-assign` arranges. A tensor that still does not is refused here, before a
    pattern could compute an axis of the wrong Mat; only C-order reinterpretations (Reshape)
    do without."""
    for v in [*op.operands, *op.results]:
        s = static_shape(v.type)
        if s is not None and not fits_mat(s) and const_value(v) is None:
            return (
                f"a tensor of shape {list(s)} does not fit an ncnn Mat (at most 4 axes once a "
                "leading batch of 1 is dropped), and the layout stage found no grouping of its "
                "axes that this op accepts"
            )
    return None


def float_input(op: OnnxOp) -> str | None:
    """Input 0 is a float tensor (ncnn layers compute in float)."""
    t = op.operands[0].type
    if not isinstance(t, TensorType) or numpy_dtype(t.element_type).kind != "f":
        return f"ncnn computes in float; the input is {t}"
    return None


def batch_one(op: OnnxOp) -> str | None:
    """Input 0 holds one sample (layers such as Convolution run on one)."""
    shape = static_shape(op.operands[0].type)
    if shape is not None and len(shape) > 0 and shape[0] != 1:
        return (
            f"batch {shape[0]} of input {list(shape)}: ncnn runs this layer on one sample; "
            "the layout pass must move the batch first"
        )
    return None


DEFAULT_REQUIRES: tuple[Requirement, ...] = (static_shapes, fits_mat_shapes)


class OnnxToNcnnPattern(RewritePattern, ABC):
    """Converts one ONNX op type into ncnn layers (the protocol: `ncc.lowering.dispatch`).

    Subclasses set `OP` and write `convert`, which returns the values that replace the op's
    results, or raises `NoMatch(reason)` when the pattern does not apply (the layers it built
    are then dropped, and the next pattern for the op is tried). `REQUIRES` lists the
    preconditions checked before `convert` (default: static shapes, tensors that fit a Mat);
    `PRIORITY` orders the patterns of one op (higher first, default 0)."""

    OP: ClassVar[type[OnnxOp] | tuple[type[OnnxOp], ...]]
    PRIORITY: ClassVar[int] = DEFAULT_PRIORITY
    REQUIRES: ClassVar[tuple[Requirement, ...]] = DEFAULT_REQUIRES

    @abstractmethod
    def convert(self, op: Any, b: LayerBuilder) -> Sequence[SSAValue] | SSAValue: ...

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter, /) -> None:
        """xDSL's protocol, for a pass that runs the pattern with a walker: a refusal leaves
        the op alone (its reason is dropped)."""
        try:
            self.rewrite_or_refuse(op, rewriter)
        except NoMatch:
            pass

    def rewrite_or_refuse(self, op: Operation, rewriter: PatternRewriter) -> None:
        """Replace `op` by the layers `convert` builds, or raise `NoMatch` (what the
        conversion driver calls, collecting the reasons)."""
        if not isinstance(op, self.OP):
            raise NoMatch(f"converts {self.OP} ops only")
        for requirement in self.REQUIRES:
            reason = requirement(op)
            if reason is not None:
                raise NoMatch(reason)
        b = LayerBuilder(op)
        try:
            new = self.convert(op, b)
            if new is None:
                raise NoMatch("does not apply")
        except BaseException:
            b.discard()
            raise
        if isinstance(new, SSAValue):
            new = [new]
        new = list(new)
        if len(new) != len(op.results):
            raise NccError(f"internal error: {type(self).__name__} returned {len(new)} values", **op_location(op))
        rewriter.replace(op, b.ops, new)

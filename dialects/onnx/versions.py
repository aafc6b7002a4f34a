"""ONNX operator-set versions: which versions of its ONNX op each op class reads, and the
steps that rewrite an older node into the form the class implements.

For every node the importer looks up the version of the op's schema that the model's opset
selects (`onnx.defs.get_schema(op_type, opset).since_version`, e.g. Softmax at opset 12 is
Softmax-11) and asks the node's op class:

- `OPSETS = (first, last)`: the schema versions whose meaning the class implements as is.
- `UPGRADES`: steps, each rewriting a node older than its `before` version into the newer
  form (attributes that became inputs, legacy broadcasting, pre-13 Softmax, ...). A node
  older than `first` is read when the steps reach back to its version (`since` of the
  oldest step); otherwise it is refused by name. An op class that declares no `OPSETS`
  reads only the versions whose interface (attributes, defaults, inputs, outputs) is the
  one of the newest version ncc knows (the importer derives them from `onnx.defs`).

This module does not import onnx: an upgrade works on `Node`, a plain-Python copy of an
ONNX node (attributes as Python values, tensors as numpy arrays), and returns plain nodes
in the newest form, which the importer then imports like any other node.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ncc.dialects.common import NccError

MIN_OPSET = 1
MAX_OPSET = 28
"""The default-domain (`ai.onnx`) opsets ncc reads; a model outside them is refused. Every
class whose OPSETS end at MAX_OPSET reads the versions up to it: raising it means reading
each newer schema version for a change of meaning (tests/unit/test_opset_upgrades.py
REVIEWED_AFTER_23 lists what changed in 24-28)."""


@dataclass
class Node:
    """An ONNX node as plain Python: what `upgrade` steps read and write."""

    op_type: str
    inputs: list[str]
    outputs: list[str]
    attrs: dict[str, Any]
    name: str
    version: int | None = None
    """The schema version the model's opset selects; None: already in the newest form."""
    domain: str = ""
    opset: int | None = None
    """The version of the node's operator set the model imports."""

    def attr(self, key: str, default: Any = None) -> Any:
        return self.attrs.get(key, default)

    def input(self, i: int) -> str:
        return self.inputs[i] if i < len(self.inputs) else ""

    def set_input(self, i: int, name: str) -> None:
        while len(self.inputs) <= i:
            self.inputs.append("")
        self.inputs[i] = name

    def error(self, message: str) -> NccError:
        return NccError(message, node=self.name, op=self.op_type)


@dataclass
class GraphFacts:
    """What the importer knows about the tensors around a node when it upgrades it."""

    const: Callable[[str], np.ndarray | None] = lambda name: None
    """The value of a tensor that is an initializer or a Constant node's output."""
    rank: Callable[[str], int | None] = lambda name: None
    """The rank of a tensor, from the model's value_info (onnx shape inference)."""


class NodeBuilder:
    """Collects the nodes an upgrade emits around the node it rewrites, naming the new
    tensors after that node (`NAME::what`)."""

    _ids = itertools.count()

    def __init__(self, node: Node, facts: GraphFacts):
        self.node = node
        self.facts = facts
        self.before: list[Node] = []
        self.after: list[Node] = []
        self.constants: dict[str, np.ndarray] = {}

    def value(self, name: str) -> np.ndarray | None:
        """The value of a constant tensor: one this builder made, or one of the graph."""
        return self.constants[name] if name in self.constants else self.facts.const(name)

    def tensor(self, what: str) -> str:
        return f"{self.node.name}::{what}{next(self._ids)}"

    def const(self, array: np.ndarray, what: str) -> str:
        name = self.tensor(what)
        self.constants[name] = np.asarray(array)
        self.before.append(Node("Constant", [], [name], {"value": np.asarray(array)}, self.node.name))
        return name

    def emit(self, op_type: str, inputs: Sequence[str], attrs: dict | None = None, *,
             after: bool = False, output: str | None = None) -> str:  # fmt: skip
        """Add a node in the newest form before (or after) the node; returns its output."""
        out = output or self.tensor(op_type.lower())
        node = Node(op_type, list(inputs), [out], dict(attrs or {}), self.node.name)
        (self.after if after else self.before).append(node)
        return out


@dataclass(frozen=True)
class Upgrade:
    """One step of an op's history: rewrites nodes whose version is older than `before`.
    `apply` edits the node in place (and may emit nodes around it); it returns False when
    the node was replaced entirely by emitted nodes."""

    before: int
    since: int = 1
    """The oldest version this step reads."""

    def apply(self, node: Node, b: NodeBuilder) -> bool:
        raise NotImplementedError


def upgrade(steps: Sequence[Upgrade], node: Node, facts: GraphFacts) -> list[Node]:
    """`node` rewritten by every step older versions need, with the nodes they emit."""
    b = NodeBuilder(node, facts)
    keep = True
    for step in sorted(steps, key=lambda s: s.before):
        if node.version is not None and node.version < step.before:
            if not step.apply(node, b):
                keep = False
                break
    node.version = None
    return [*b.before, *([node] if keep else []), *b.after]


# --------------------------------------------------------------------------- steps


@dataclass(frozen=True)
class DropAttrs(Upgrade):
    """Attributes with no meaning at inference: `consumed_inputs` (an in-place hint of the
    first opsets), `is_test` (inference is always the test mode)."""

    names: tuple[str, ...] = ("consumed_inputs",)

    def apply(self, node, b):
        for name in self.names:
            node.attrs.pop(name, None)
        return True


@dataclass(frozen=True)
class RenameAttr(Upgrade):
    old: str = ""
    new: str = ""

    def apply(self, node, b):
        if self.old in node.attrs:
            node.attrs[self.new] = node.attrs.pop(self.old)
        return True


@dataclass(frozen=True)
class DefaultAttr(Upgrade):
    """An attribute whose older default differs from (or is missing in) the newer version."""

    name: str = ""
    value: Any = None

    def apply(self, node, b):
        node.attrs.setdefault(self.name, self.value)
        return True


@dataclass(frozen=True)
class AttrsToInputs(Upgrade):
    """Attributes that later became inputs: each becomes a constant input at its index
    (`(attribute, index, dtype)`); an absent attribute leaves the input absent."""

    moves: tuple[tuple[str, int, str], ...] = ()

    def apply(self, node, b):
        for name, index, dtype in self.moves:
            if name not in node.attrs:
                continue
            value = np.asarray(node.attrs.pop(name), dtype=np.dtype(dtype))
            node.set_input(index, b.const(value, name))
        return True


def append_ones(b: NodeBuilder, x: str, known: int | None, rank_of: str, minus: int, minus_rank_of: str | None) -> str:
    """`x` reshaped to its own shape followed by k ones, k = rank(`rank_of`) - `minus`
    [- rank(`minus_rank_of`)]: with Unsqueeze when the ranks are known now (`known` = k),
    else with shape arithmetic (Shape, Sub, ConstantOfShape, Concat) that folds away once
    shape inference knows the ranks."""
    if known is not None:
        if known < 0:
            raise b.node.error(f"legacy broadcast leaves no room ({known} trailing dims)")
        if known == 0:
            return x
        start = b.facts.rank(x) if b.facts.rank(x) is not None else b.value(x).ndim  # type: ignore[union-attr]
        axes = b.const(np.arange(start, start + known, dtype=np.int64), "axes")
        return b.emit("Unsqueeze", [x, axes])
    k = b.emit("Sub", [b.emit("Shape", [b.emit("Shape", [rank_of])]), b.const(np.asarray([minus], np.int64), "n")])
    if minus_rank_of is not None:
        k = b.emit("Sub", [k, b.emit("Shape", [b.emit("Shape", [minus_rank_of])])])
    ones = b.emit("ConstantOfShape", [k], {"value": np.asarray([1], np.int64)})
    shape = b.emit("Concat", [b.emit("Shape", [x]), ones], {"axis": 0})
    return b.emit("Reshape", [x, shape])


def _rank(b: NodeBuilder, name: str) -> int | None:
    value = b.value(name)
    return value.ndim if value is not None else b.facts.rank(name)


@dataclass(frozen=True)
class LegacyBroadcast(Upgrade):
    """Binary ops before opset 7: `broadcast=1` broadcasts B onto A, aligned at A's `axis`
    (default: B's dims are A's last dims, which is numpy broadcasting). B gets trailing
    ones so that numpy broadcasting aligns it at `axis`."""

    def apply(self, node, b):
        bcast = node.attrs.pop("broadcast", 0)
        axis = node.attrs.pop("axis", None)
        if not bcast or axis is None:
            # broadcast=0: equal shapes; no axis: B's dims are A's trailing dims
            return True
        a, x = node.input(0), node.input(1)
        rank_a, rank_b = _rank(b, a), _rank(b, x)
        if axis < 0:  # counted from A's end: k = -axis - rank(B)
            if rank_b is None:
                raise node.error("legacy broadcast with a negative axis needs the rank of B")
            node.set_input(1, append_ones(b, x, -axis - rank_b, a, 0, None))
            return True
        known = None if rank_a is None or rank_b is None else rank_a - axis - rank_b
        node.set_input(1, append_ones(b, x, known, a, axis, x))
        return True


@dataclass(frozen=True)
class PerChannelSlope(Upgrade):
    """PRelu before opset 7: a 1-D slope of more than one value holds one value per channel
    (axis 1), as in Caffe2; reshaped to (C, 1, ..., 1) for numpy broadcasting."""

    def apply(self, node, b):
        node.attrs.pop("consumed_inputs", None)
        slope = b.value(node.input(1))
        if _rank(b, node.input(1)) != 1 or (slope is not None and slope.size == 1):
            return True
        rank_x = _rank(b, node.input(0))
        known = None if rank_x is None else max(rank_x - 2, 0)
        node.set_input(1, append_ones(b, node.input(1), known, node.input(0), 2, None))
        return True


@dataclass(frozen=True)
class CoerceTo2D(Upgrade):
    """Softmax / LogSoftmax / Hardmax before opset 13 flatten the input to 2-D at `axis`
    (default 1) and normalise each row: Flatten(axis) → op(axis=-1) → Reshape back to the
    input's shape. Over the last axis (when the input's rank is known) only `axis` changes."""

    def apply(self, node, b):
        x, y = node.input(0), node.outputs[0]
        axis = node.attrs.pop("axis", 1)
        rank = _rank(b, x)
        if rank is not None and axis in (rank - 1, -1):
            # over the last axis the 2-D view changes nothing: keep one op (so that later
            # pattern rewrites, e.g. attention fusion, still see a plain Softmax)
            node.attrs["axis"] = -1
            return True
        flat = b.emit("Flatten", [x], {"axis": axis})
        shape = b.emit("Shape", [x])
        node.inputs[0] = flat
        node.attrs["axis"] = -1
        node.outputs[0] = b.tensor("2d")
        b.emit("Reshape", [node.outputs[0], shape], after=True, output=y)
        return True


_TENSOR_TYPES = {
    "FLOAT": 1, "UINT8": 2, "INT8": 3, "UINT16": 4, "INT16": 5, "INT32": 6, "INT64": 7,
    "STRING": 8, "BOOL": 9, "FLOAT16": 10, "DOUBLE": 11, "UINT32": 12, "UINT64": 13,
}  # fmt: skip


@dataclass(frozen=True)
class CastToByName(Upgrade):
    """Cast-1 names its target type as a string (`to="FLOAT"`)."""

    def apply(self, node, b):
        to = node.attrs.get("to")
        if isinstance(to, str):
            if to.upper() not in _TENSOR_TYPES:
                raise node.error(f"Cast to unknown type '{to}'")
            node.attrs["to"] = _TENSOR_TYPES[to.upper()]
        return True


@dataclass(frozen=True)
class NonSpatialBatchNorm(Upgrade):
    """BatchNormalization before opset 9 with `spatial=0`: statistics per element of
    (C, D1, ...) instead of per channel; written as numpy-broadcast arithmetic."""

    def apply(self, node, b):
        if node.attrs.pop("spatial", 1):
            return True
        if len([o for o in node.outputs if o]) > 1:
            raise node.error("training-mode BatchNormalization (statistics outputs) is not supported")
        # imported here: nn.py imports this module for its UPGRADES
        from ncc.dialects.onnx.base import declared_default, py_value
        from ncc.dialects.onnx.nn import BatchNormalizationOp

        x, scale, bias, mean, var = (node.input(i) for i in range(5))
        default_eps = py_value(declared_default(BatchNormalizationOp, "epsilon"))
        eps = b.const(np.asarray(node.attr("epsilon", default_eps), np.float32), "epsilon")
        centred = b.emit("Sub", [x, mean])
        std = b.emit("Sqrt", [b.emit("Add", [var, eps])])
        scaled = b.emit("Mul", [b.emit("Div", [centred, std]), scale])
        b.emit("Add", [scaled, bias], output=node.outputs[0])
        return False


@dataclass(frozen=True)
class ResizeFromOpset10(Upgrade):
    """Resize-10 / Upsample-7/9 (as Resize): `asymmetric` coordinates, and for `nearest`
    the source index floor(dst / scale) when upsampling; onnxruntime rounds up when
    downsampling, which the spec leaves open, so a nearest downsample is refused.
    (X, scales) → (X, roi="", scales); Upsample-7's `scales` attribute becomes the input."""

    def apply(self, node, b):
        if "scales" in node.attrs:  # Upsample-7
            scales_name = b.const(np.asarray(node.attrs.pop("scales"), np.float32), "scales")
        else:
            scales_name = node.input(1)
        mode = node.attrs.get("mode", "nearest")
        node.op_type = "Resize"
        node.inputs = [node.input(0), "", scales_name]
        node.attrs["mode"] = mode
        node.attrs["coordinate_transformation_mode"] = "asymmetric"
        if mode == "nearest":
            scales = b.value(scales_name)
            if scales is None:
                raise node.error(
                    "nearest resize before opset 11 with scales computed at run time: its rounding "
                    "depends on whether it downsamples, so ncc needs constant scales"
                )
            if np.any(np.asarray(scales) < 1):
                raise node.error(
                    f"nearest downsampling before opset 11 (scales {list(map(float, scales))}) has "
                    "implementation-defined rounding; re-export the model at opset 11 or later"
                )
            node.attrs["nearest_mode"] = "floor"
        return True


CONSUMED_INPUTS: tuple[Upgrade, ...] = (DropAttrs(before=6),)
"""`consumed_inputs`, dropped from most ops at opset 6."""


@dataclass(frozen=True)
class UpsampleHeightWidth(Upgrade):
    """Upsample-1 (NCHW): `height_scale` / `width_scale` and mode `bilinear` → Upsample-7's
    `scales` and `linear`."""

    def apply(self, node, b):
        h, w = node.attrs.pop("height_scale", 1.0), node.attrs.pop("width_scale", 1.0)
        node.attrs["scales"] = [1.0, 1.0, float(h), float(w)]
        if node.attrs.get("mode") == "bilinear":
            node.attrs["mode"] = "linear"
        return True


def steps_reach(steps: Sequence[Upgrade], first: int) -> int:
    """The oldest version a class reads: `first` without steps, else its oldest step's `since`."""
    return min([first, *(s.since for s in steps)])


__all__ = [
    "MAX_OPSET",
    "MIN_OPSET",
    "AttrsToInputs",
    "CastToByName",
    "CoerceTo2D",
    "DefaultAttr",
    "DropAttrs",
    "GraphFacts",
    "LegacyBroadcast",
    "Node",
    "NodeBuilder",
    "NonSpatialBatchNorm",
    "PerChannelSlope",
    "RenameAttr",
    "ResizeFromOpset10",
    "Upgrade",
    "UpsampleHeightWidth",
    "upgrade",
    "steps_reach",
]


@dataclass(frozen=True)
class RefuseAttrValues(Upgrade):
    """A value whose older meaning differs from the newer one and cannot be rewritten."""

    name: str = ""
    values: tuple[Any, ...] = ()
    why: str = ""

    def apply(self, node, b):
        if node.attrs.get(self.name) in self.values:
            raise node.error(
                f"{self.name}={node.attrs[self.name]} before version {self.before} {self.why}; "
                f"re-export the model at opset {self.before} or later"
            )
        return True


@dataclass(frozen=True)
class InferenceOutputsOnly(Upgrade):
    """Older BatchNormalization lists training statistics as extra outputs; only Y is
    defined at inference."""

    def apply(self, node, b):
        if any(node.outputs[1:]):
            raise node.error("training-mode outputs (mean, var, saved_mean, saved_var) are not supported")
        del node.outputs[1:]
        return True

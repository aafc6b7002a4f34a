"""What kind of op an `onnx.*` op is, declared on the op class as xDSL traits.

Passes ask the op (`trait_of(op, DataMovement)`, `op.has_trait(Elementwise)`) instead of
keeping their own lists of op classes, so adding an op is one class with its traits: a pass
that does not know the op, because the op declares none of its traits, leaves it alone.

Traits of base classes are inherited (xDSL collects `traits_def` along the MRO, the most
derived class first, so `op.get_trait(T)` returns the most derived declaration). A trait
that holds only for some instances (a Softmax is frame-local unless it works along axis 0)
asks the op through `OnnxOp.satisfies(trait)`; `trait_of` does both checks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from xdsl.ir import Operation
from xdsl.traits import OpTrait


class OnnxTrait(OpTrait):
    """Base of ncc's op-category traits."""


@dataclass(frozen=True)
class Elementwise(OnnxTrait):
    """Each result element is computed from the operand elements at the same position
    (after broadcasting): the op does not care about layout, so it commutes with a Reshape
    or Transpose of its data and works frame by frame."""


@dataclass(frozen=True)
class Broadcasting(OnnxTrait):
    """Multidirectional (numpy) broadcasting over all operands: the result shape is the
    broadcast of the operand shapes, so an operand may be given unexpanded."""


@dataclass(frozen=True)
class DataMovement(OnnxTrait):
    """The op only moves elements: every result element is a copy of an element of the
    data `operands` (None: all operands) or a constant; the other operands (indices,
    shapes, starts, the Where condition) only decide which."""

    operands: tuple[int, ...] | None = None
    reinterpret: bool = False
    """The result is the data's elements in the same (C) order, only the shape changes
    (Reshape, Flatten, Squeeze, Unsqueeze): it needs no Mat of its own axes."""

    def data_positions(self, op: Operation) -> tuple[int, ...]:
        return tuple(range(len(op.operands))) if self.operands is None else self.operands


@dataclass(frozen=True)
class Indexing(OnnxTrait):
    """Picks elements by a selector operand (Gather's indices, Where's condition): ncnn has
    no gather/scatter/select-by-index layer, so `onnx-indexing-to-slices` rebuilds the op
    from slices and concats where the selector is a constant.

    indices: the operand that must be a compile-time constant (`onnx-check-static` refuses
    it otherwise); None: a run-time selector is fine too (a Where selects exactly in
    `convert-onnx-to-ncnn`). An instance that has an ncnn layer (a Gather of rows of a
    constant table is ncnn's Embed) says so through `OnnxOp.satisfies`."""

    indices: int | None = 1


@dataclass(frozen=True)
class PerItem(OnnxTrait):
    """Works item by item along axis 0 of its first operand (a batch), on the Mat of one
    item: a batch of N > 1 that `onnx-batch-layout` did not place is unrolled by
    `onnx-layout-assign`. Every `Image` op is one (Image derives from it); a per-item op
    that `onnx-batch-layout` cannot place (DepthToSpace) declares this alone."""


@dataclass(frozen=True)
class Image(PerItem):
    """Works on images (N, C, spatial…): ncnn runs it on a Mat (C, H, W) without a batch
    axis, so a batch of N > 1 frames must be placed (`onnx-batch-layout`); what it leaves
    is unrolled (`PerItem`).

    per_channel: operands holding one value per channel (repeated N times when the frames
    become channel groups); group: the property counting channel groups (a conv's `group`),
    multiplied by N; sizes: the operand giving the output size, when the op has one
    (Resize); depth_form: whether a per-frame 3-D form of the op exists (depth-1 window;
    the op's `depth1_form(frames)` gives the operands and properties that change)."""

    per_channel: tuple[int, ...] = ()
    group: str | None = None
    sizes: int | None = None
    depth_form: bool = False


@dataclass(frozen=True)
class FrameLocal(OnnxTrait):
    """Frames (the slices along axis 0) are independent: frame i of the result depends
    only on frame i of the `frames` operands (None: every operand; the others — shapes,
    weights — are shared by all frames). An op that mixes elements along some axis holds
    this only while that axis is not 0 (`OnnxOp.satisfies`)."""

    frames: tuple[int, ...] | None = None

    def frame_operands(self, op: Operation) -> tuple[int, ...]:
        return tuple(range(len(op.operands))) if self.frames is None else self.frames


@dataclass(frozen=True)
class Reduction(OnnxTrait):
    """Reduces its data operand along some axes with `kind` (sum, sum_square, mean, max,
    min, prod, l1, l2, log_sum, log_sum_exp). `pointwise`: what is left when no axis is
    reduced (square, abs, log; None: the identity)."""

    kind: str
    pointwise: str | None = None


T = TypeVar("T", bound=OpTrait)


def trait_of(op: Operation, trait: type[T]) -> T | None:
    """The op's `trait` when it declares it and it holds for this op instance, else None."""
    t = op.get_trait(trait)
    if t is None:
        return None
    satisfies = getattr(op, "satisfies", None)
    return t if satisfies is None or satisfies(t) else None


def axes_avoid(axes: Sequence[int] | None, rank: int, axis: int = 0) -> bool:
    """Whether the axes an op works along (None: unknown) leave `axis` alone."""
    return axes is not None and all(a % max(rank, 1) != axis for a in axes)

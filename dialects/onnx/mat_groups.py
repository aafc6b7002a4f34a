"""Mat groupings of logical axes: the vocabulary of the layout stage (`onnx-layout-assign`).

An ncnn Mat holds a C-ordered tensor of any rank once its axes are cut into at most four
contiguous *groups* (each group's size is the product of its axes; a leading group of 1 is
dropped). An op says where a grouping of its axes must be cut (`OnnxOp.mat_cuts`: position p
cuts between axes p-1 and p) — a Concat around its axis, an elementwise op where its
operands' broadcasting changes, a Transpose between axes its permutation separates — and
how it runs on merged axes (`OnnxOp.regroup`). Axes it does not tell apart are merged.

A group is a half-open range `(start, stop)` of logical axes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

Group = tuple[int, int]


def groups_from_cuts(rank: int, cuts: Iterable[int]) -> list[Group]:
    """The maximal runs of axes between the cut positions (1 ≤ p < rank)."""
    bounds = sorted({0, rank, *(p for p in cuts if 0 < p < rank)})
    return [(bounds[i], bounds[i + 1]) for i in range(len(bounds) - 1)] if rank else []


def merge_shape(shape: Sequence[int], groups: Sequence[Group]) -> tuple[int, ...]:
    """`shape` (of the groups' rank) with each group's axes multiplied into one."""
    return tuple(math.prod(shape[a:b]) for a, b in groups)


def group_of(groups: Sequence[Group], axis: int) -> int:
    """The index of the group holding logical `axis`."""
    return next(i for i, (a, b) in enumerate(groups) if a <= axis < b)


def around(axes: Iterable[int]) -> set[int]:
    """Cuts that give each of `axes` a group of its own."""
    return {p for a in axes for p in (a, a + 1)}


def extended(shape: Sequence[int], rank: int) -> tuple[int, ...]:
    """`shape` right-aligned to `rank` (numpy broadcasting: missing leading axes are 1)."""
    return (1,) * (rank - len(shape)) + tuple(shape)


def broadcast_cuts(shapes: Sequence[Sequence[int]], out: Sequence[int]) -> set[int]:
    """Cuts an elementwise op needs: between two axes where some operand broadcasts along
    one and not the other (merged, the operand would no longer broadcast along whole
    axes). Axes of size 1 in the result join either side."""
    rank = len(out)
    cuts: set[int] = set()
    last = None
    for k in range(rank):
        if out[k] == 1:
            continue
        sig = tuple(extended(s, rank)[k] == out[k] for s in shapes if math.prod(s) != 1)
        if last is not None and sig != last:
            cuts.add(k)
        last = sig
    return cuts

"""`onnx-layout-assign`: give every tensor an exact place in ncnn Mats before the conversion.

An ncnn Mat has at most four axes (w, h, d, c) and no batch; a C-ordered tensor of any rank is
a Mat once its axes are cut into at most four contiguous groups (`ncc.dialects.onnx.mat_groups`).
This stage runs after the indexing passes and the batch strategy (`onnx-batch-layout`) and
leaves the conversion only tensors whose every axis has a Mat axis of its own (`fits_mat`):

- **Merging.** An op with a tensor that does not fit (rank 6; rank 5 with a batch N > 1)
  states where a grouping of its axes must be cut (`OnnxOp.mat_cuts`: a Concat/Slice/Split/
  Softmax around its axis, a Reduce where reduced and kept axes meet, a Transpose between
  axes its permutation separates, an elementwise op where an operand's broadcasting
  changes). Adjacent axes it does not tell apart are merged: the op becomes Reshape → op on
  the merged axes (`OnnxOp.regroup`) → Reshape. Axes of size 1 everywhere join a neighbour.
- **Unrolling.** An op that works item by item along a batch (the `PerItem` trait: conv,
  pooling, norms, resize, depth/space moves) whose batch N > 1 the batch strategy did not
  place (a 3-D conv, a DepthToSpace) runs once per item: Slice → op → Concat along axis 0.
- **Moves cancel.** The Reshapes inserted between two ops meet as Reshape of a Reshape, which
  `onnx-simplify` folds (to nothing when the groupings agree); so data moves only where two
  ops' groupings disagree.

A Transpose whose permutation leaves more than four groups is split into two Transposes that
each fit (a rank-5/6 permute is at most two ncnn Permutes). Ops whose axes cannot be merged
(None from `mat_cuts`) are left to the conversion, which refuses them with their shapes.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint

from ncc.dialects.common import static_shape
from ncc.dialects.ncnn.base import fits_mat
from ncc.dialects.onnx.base import ConstantOp, OnnxOp, typed
from ncc.dialects.onnx.mat_groups import Group, extended, groups_from_cuts, merge_shape
from ncc.dialects.onnx.tensor import ReshapeOp, TransposeOp
from ncc.dialects.onnx.traits import PerItem
from ncc.lowering.onnx.builder import OnnxBuilder
from ncc.lowering.onnx.graph import graph_ops, update_signatures


def _shape(v: SSAValue) -> tuple[int, ...] | None:
    return static_shape(v.type)


def _tensors(op: Operation) -> list[SSAValue]:
    """Operands that carry data into the ncnn graph (not constants) and results."""
    return [v for v in op.operands if not isinstance(v.owner, ConstantOp)] + list(op.results)


def needs_layout(op: Operation) -> bool:
    """Whether some tensor of `op` has no Mat of its own axes."""
    shapes = [_shape(v) for v in _tensors(op)]
    return any(s is not None and not fits_mat(s) for s in shapes)


def _merged_groups(op: OnnxOp) -> list[Group] | None:
    """The coarsest grouping the op accepts, or None when it takes none that fits a Mat."""
    rule = op.mat_cuts()
    if rule is None:
        return None
    rank, cuts = rule
    if rank == 0:
        return None
    shapes = []
    for i in op.mat_data():
        s = _shape(op.operands[i])
        if s is not None and len(s) <= rank:
            shapes.append(extended(s, rank))
    shapes += [s for s in op.mat_result_shapes() if len(s) == rank]
    ones = [all(s[k] == 1 for s in shapes) for k in range(rank)]
    groups = groups_from_cuts(rank, cuts)
    # a group of axes that are 1 everywhere tells nothing apart: it joins a neighbour
    merged: list[Group] = []
    for g in groups:
        if merged and (all(ones[g[0] : g[1]]) or all(ones[merged[-1][0] : merged[-1][1]])):
            merged[-1] = (merged[-1][0], g[1])
        else:
            merged.append(g)
    if op.wants_regroup() or all(fits_mat(merge_shape(s, merged)) for s in shapes):
        return merged
    return None


def has_mat_grouping(op: Operation) -> bool:
    """Whether the layout stage can give every tensor of `op` a Mat by merging its axes."""
    return isinstance(op, OnnxOp) and _merged_groups(op) is not None


def regroup(op: OnnxOp, groups: Sequence[Group]) -> None:
    """Replace `op` by Reshape → op on `groups` → Reshape."""
    rank = groups[-1][1]
    b = OnnxBuilder(InsertPoint.before(op), op.location)
    data = []
    for i in op.mat_data():
        v = op.operands[i]
        s = _shape(v)
        if s is None or len(s) > rank or int(_prod(s)) == 1:
            data.append(v)
        else:
            data.append(b.reshape(v, merge_shape(extended(s, rank), groups)))
    results = op.regroup(b, groups, data)
    new = [b.reshape(y, _shape(r)) for y, r in zip(results, op.results, strict=True)]
    b.rewriter.replace(op, [], new)


def _prod(s: Sequence[int]) -> int:
    out = 1
    for d in s:
        out *= int(d)
    return out


def unroll(op: OnnxOp) -> bool:
    """A per-item op on a batch N > 1: Slice → op on (1, …) → Concat along axis 0."""
    x = op.operands[0]
    s = _shape(x)
    outs = [_shape(r) for r in op.results]
    if s is None or len(s) < 2 or s[0] == 1 or len(outs) != 1 or outs[0] is None or outs[0][0] != s[0]:
        return False
    n, out = s[0], outs[0]
    b = OnnxBuilder(InsertPoint.before(op), op.location)
    rows = b.reshape(x, (n, _prod(s[1:])))  # items as rows: a 2-D Mat whatever the rank
    items = []
    for i in range(n):
        item = b.reshape(b.slice(rows, [i], [i + 1], [0]), (1, *s[1:]))
        operands = [item]
        for v in op.operands[1:]:  # an operand naming the output size (Resize) names one item's
            c = v.owner.array if isinstance(v.owner, ConstantOp) else None
            sized = c is not None and c.dtype.kind == "i" and c.shape == (len(out),) and tuple(c) == tuple(out)
            operands.append(b.ints((1, *out[1:])) if sized else v)
        new = type(op).create(
            operands=operands, result_types=[typed((1, *out[1:]), op.results[0].type)], properties=dict(op.properties)
        )
        new.attributes.update(op.attributes)
        y = b.add(new).results[0]
        items.append(b.reshape(y, (1, _prod(out[1:]))))
    y = b.reshape(b.concat(items, 0), out)
    b.rewriter.replace(op, [], [y])
    return True


def split_transpose(op: TransposeOp) -> bool:
    """A permutation that leaves more than four groups → two Transposes that each leave at
    most four (found by trying the intermediate orders; ranks are ≤ 6 here)."""
    s = _shape(op.data)
    if s is None or len(s) > 6:
        return False
    perm = op.permutation(len(s))
    moving = [a for a in range(len(s)) if s[a] != 1]

    def groups_of(p: Sequence[int], shape: Sequence[int]) -> int:
        # Mat axes a transpose of `shape` by `p` needs: runs kept adjacent, size-1 axes free
        q = [a for a in p if shape[a] != 1]
        return 1 + sum(1 for j in range(len(q) - 1) if q[j + 1] != q[j] + 1) if q else 0

    best = None
    for mid in itertools.permutations(range(len(s))):
        mid_shape = [s[a] for a in mid]
        second = [mid.index(a) for a in perm]
        if groups_of(mid, s) <= 4 and groups_of(second, mid_shape) <= 4:
            best = (list(mid), second)
            break
    if best is None or not moving:
        return False
    b = OnnxBuilder(InsertPoint.before(op), op.location)
    y = b.transpose(b.transpose(op.data, best[0]), best[1])
    b.rewriter.replace(op, [], [y])
    return True


def assign_layout(module: ModuleOp) -> bool:
    changed = False
    for op in graph_ops(module):
        if not isinstance(op, OnnxOp) or isinstance(op, ReshapeOp) or op.parent is None:
            continue
        if op.has_trait(PerItem):
            s = _shape(op.operands[0])
            if s is not None and len(s) >= 2 and s[0] > 1:
                changed |= unroll(op)
            continue
        if not needs_layout(op) and not op.wants_regroup():
            continue
        groups = _merged_groups(op)
        if groups is None and isinstance(op, TransposeOp):
            changed |= split_transpose(op)
            continue
        if groups is not None:
            regroup(op, groups)
            changed = True
    # the Transposes split above and the items unrolled are themselves regrouped
    if changed:
        for op in graph_ops(module):
            if isinstance(op, OnnxOp) and not isinstance(op, ReshapeOp) and needs_layout(op):
                groups = _merged_groups(op)
                if groups is not None:
                    regroup(op, groups)
        update_signatures(module)
    return changed


@dataclass(frozen=True)
class OnnxLayoutAssignPass(ModulePass):
    """Merge the axes an op does not tell apart so that every tensor fits an ncnn Mat
    (Reshape → op on merged axes → Reshape), unroll per-item ops over a batch the batch
    strategy did not place, split rank-5/6 Transposes into two that fit."""

    name = "onnx-layout-assign"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        assign_layout(op)

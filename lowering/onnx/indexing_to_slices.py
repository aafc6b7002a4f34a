"""`onnx-indexing-to-slices`: indexing on data (ScatterND, Gather, GatherElements, Where with
a constant condition, strided or reversed Slice, and rank-5 data movement that has no ncnn
Mat) rewritten as unit-step Slices, Reshapes, Transposes, Pads and Concats, which ncnn can run.

How: all these ops only *move* elements. Within a connected region of such ops (each with
constant indices), the pass evaluates the ops' own numpy semantics (`evaluate`) on arrays of
element ids instead of data: every input element and every constant element gets a unique
id, so the result says exactly which input element (or constant) lands at each output
position. That map is exact by construction — slice-assignment order, negative indices,
clamping, later writes winning where ScatterNDs overlap all come from the op definitions.

The map of each value that leaves the region is then re-synthesised:
- a block whose ids come from one input and advance affinely along every axis is a *view*:
  `Reshape` (only when a stride is not a natural one, e.g. `x[..., ::2]` → (…, W/2, 2)),
  unit-step `Slice`, `Transpose` when the axes come out permuted, `Reshape` to the block;
- a block of constants is a constant (a uniform one next to data becomes a `Pad`);
- anything else is cut along the axis that gives the cheapest plan into runs that are
  continuous (same sources, uniform id step) and the pieces are concatenated. A reversed
  axis (`flip`, negative steps) is cut into single slices.
The temporal shift `out[:, :-1, :f] = x[:, 1:, :f]; …` becomes three Slices, two Pads and a
Concat, whichever exporter wrote it (torch's dynamo exporter writes it as Transpose +
ScatterND on rank-5 tensors with a leading dim > 1, which have no Mat).

Values that do not depend on such an op are left as they are.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Block, Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint

from ncc.dialects.common import NccError, numpy_dtype, op_location, static_shape
from ncc.dialects.ncnn.base import fits_mat
from ncc.dialects.onnx import tensor as T
from ncc.dialects.onnx.base import ConstantOp, NoValueOp
from ncc.dialects.onnx.traits import DataMovement, Indexing, trait_of
from ncc.lowering.onnx.builder import OnnxBuilder
from ncc.lowering.onnx.graph import functions, update_signatures
from ncc.lowering.onnx.layout_assign import has_mat_grouping

MAX_PIECES = 256
"""A re-synthesised value may take at most this many ops (else: an error naming the op)."""

_SEARCH_BUDGET = 3000
"""Plans explored exhaustively per value; beyond, each cut takes the axis with fewest runs."""


# ------------------------------------------------------------------------------ regions


def data_positions(op: Operation) -> tuple[int, ...]:
    """The operands that carry the elements of a DataMovement op (the others decide where)."""
    movement = trait_of(op, DataMovement)
    return () if movement is None else movement.data_positions(op)


def is_movement(op: Operation) -> bool:
    """An op that only moves elements (the DataMovement trait), with constant indices and
    static shapes."""
    if trait_of(op, DataMovement) is None:
        return False
    data = data_positions(op)
    for i, v in enumerate(op.operands):
        if i in data:
            if static_shape(v.type) is None and not isinstance(v.owner, NoValueOp):
                return False
        elif not isinstance(v.owner, ConstantOp | NoValueOp):
            return False
    return all(static_shape(r.type) is not None for r in op.results)


def _fits_mat(shape: Sequence[int]) -> bool:
    return fits_mat(shape)


def is_hard(op: Operation) -> bool:
    """A movement op ncnn has no layer for, or one producing a value no Mat can hold."""
    if op.has_trait(Indexing):
        return True
    if isinstance(op, T.SliceOp):
        r = op.ranges()
        if r is None or any(st != 1 for _, _, st in r):
            return True
    movement = trait_of(op, DataMovement)
    if movement is not None and movement.reinterpret:
        return False  # a C-order reinterpretation needs no Mat of its own axes
    # a rank-5/6 value is fine where onnx-layout-assign merges the op's axes into a Mat
    return any(not _fits_mat(static_shape(r.type)) for r in op.results) and not has_mat_grouping(op)


def movement_regions(block: Block) -> list[list[Operation]]:
    """Connected groups of movement ops (joined by data edges) that contain a hard op, each
    in block order."""
    ops = list(block.ops)
    order = {op: i for i, op in enumerate(ops)}
    moving = [op for op in ops if is_movement(op)]
    parent: dict[Operation, Operation] = {op: op for op in moving}

    def find(op: Operation) -> Operation:
        while parent[op] is not op:
            parent[op] = parent[parent[op]]
            op = parent[op]
        return op

    for op in moving:
        for i in data_positions(op):
            owner = op.operands[i].owner
            if owner in parent:
                ra, rb = find(op), find(owner)
                if ra is not rb:
                    parent[ra] = rb
    groups: dict[Operation, list[Operation]] = {}
    for op in moving:
        groups.setdefault(find(op), []).append(op)
    out = [g for g in groups.values() if any(is_hard(op) for op in g)]
    return [sorted(g, key=order.__getitem__) for g in out]


# ------------------------------------------------------------------------------ id maps


@dataclass
class Source:
    """A range of element ids: the elements of a value from outside the region (`value`), or
    of a constant (`array`)."""

    start: int
    shape: tuple[int, ...]
    value: SSAValue | None = None
    array: np.ndarray | None = None

    @property
    def size(self) -> int:
        return math.prod(self.shape)


@dataclass
class IdMap:
    """Element ids of every value in a region."""

    sources: list[Source] = field(default_factory=list)
    env: dict[SSAValue, np.ndarray] = field(default_factory=dict)
    next_id: int = 0

    def _alloc(self, shape: tuple[int, ...], value=None, array=None) -> np.ndarray:
        src = Source(self.next_id, shape, value, array)
        self.sources.append(src)
        self.next_id += src.size
        return np.arange(src.start, self.next_id, dtype=np.int64).reshape(shape)

    def ids(self, v: SSAValue) -> np.ndarray:
        if v not in self.env:
            if isinstance(v.owner, ConstantOp):
                arr = v.owner.array
                self.env[v] = self._alloc(tuple(arr.shape), array=arr)
            else:
                self.env[v] = self._alloc(static_shape(v.type), value=v)
        return self.env[v]

    def constant(self, array: np.ndarray) -> np.ndarray:
        """Ids for an anonymous constant (a Pad's implicit 0)."""
        array = np.asarray(array)
        return self._alloc(tuple(array.shape), array=array)

    def evaluate(self, op: OnnxOp) -> None:
        data = data_positions(op)
        inputs = []
        for i, v in enumerate(op.operands):
            if isinstance(v.owner, NoValueOp):
                if isinstance(op, T.PadOp) and i == 2:  # the implicit pad value 0
                    inputs.append(self.constant(np.zeros((), numpy_dtype(op.data.type.element_type))))
                else:
                    inputs.append(None)
            elif i in data:
                inputs.append(self.ids(v))
            else:
                inputs.append(v.owner.array)
        if isinstance(op, T.PadOp) and inputs[2] is not None and np.asarray(inputs[2]).size == 0:
            inputs[2] = self.constant(np.zeros((), numpy_dtype(op.data.type.element_type)))
        results = op.evaluate(*inputs)
        for r, a in zip(op.results, results, strict=True):
            self.env[r] = np.asarray(a).astype(np.int64, copy=False)


# ------------------------------------------------------------------------------ plans


@dataclass
class Node:
    cost: int


@dataclass
class ConstNode(Node):
    box: tuple[slice, ...]


@dataclass
class ViewNode(Node):
    source: int
    spec: ViewSpec


@dataclass
class ConcatNode(Node):
    axis: int
    children: list[Node]


@dataclass
class PadNode(Node):
    axis: int
    before: int
    after: int
    value: object
    child: Node


@dataclass
class ViewSpec:
    """A view of a source: Reshape to `factored`, Slice `box`, Transpose `perm`, Reshape to
    `shape` (with 1 on broadcast axes), Expand to `out`."""

    factored: tuple[int, ...]
    starts: list[int]
    ends: list[int]
    axes: list[int]
    perm: list[int] | None
    shape: tuple[int, ...]
    out: tuple[int, ...]

    def cost(self, source_shape: tuple[int, ...]) -> int:
        sliced = list(self.factored)
        for a, s, e in zip(self.axes, self.starts, self.ends, strict=True):
            sliced[a] = e - s
        if self.perm is not None:
            sliced = [sliced[p] for p in self.perm]
        return (
            int(self.factored != source_shape)
            + int(bool(self.axes))
            + int(self.perm is not None)
            + int(tuple(sliced) != self.shape)
            + int(self.shape != self.out)
        )


def _boundaries(strides: Sequence[int], total: int) -> list[int] | None:
    """Factor boundaries (descending, first = total, last = 1) through the given strides,
    when each divides the next larger one."""
    b = sorted({total, 1, *strides}, reverse=True)
    if any(b[i] % b[i + 1] for i in range(len(b) - 1)):
        return None
    return b


def view_spec(flat: np.ndarray, source_shape: tuple[int, ...]) -> ViewSpec | None:
    """How the block of flat source indices `flat` is read from the source as a view, or
    None when it is not affine (or not expressible without wrapping)."""
    out = tuple(flat.shape)
    rank = len(out)
    f0 = int(flat.reshape(-1)[0]) if flat.size else 0
    strides = []
    for k in range(rank):
        if out[k] == 1:
            strides.append(0)
            continue
        idx = [0] * rank
        idx[k] = 1
        strides.append(int(flat[tuple(idx)]) - f0)
    expect = np.full(out, f0, dtype=np.int64)
    for k, s in enumerate(strides):
        if out[k] > 1 and s:
            shape = [1] * rank
            shape[k] = out[k]
            expect = expect + (np.arange(out[k], dtype=np.int64) * s).reshape(shape)
    if not np.array_equal(expect, flat):
        return None
    moving = [k for k in range(rank) if out[k] > 1 and strides[k] != 0]
    if any(strides[k] < 0 for k in moving):
        return None
    if len({strides[k] for k in moving}) != len(moving):
        return None
    total = math.prod(source_shape)
    natural = [math.prod(source_shape[j + 1 :]) for j in range(len(source_shape))]
    by_stride = {strides[k]: k for k in moving}

    # prefer the source's own axes refined by the strides read; else the coarsest factoring
    plans = []
    refined = _boundaries([*natural, *by_stride], total)
    if refined is not None:
        plans.append(refined)
    coarse = _boundaries(list(by_stride), total)
    if coarse is not None and coarse != refined:
        plans.append(coarse)
    for bounds in plans:
        spec = _spec_from_boundaries(bounds, f0, out, strides, by_stride, source_shape, natural)
        if spec is not None:
            return spec
    return None


def _spec_from_boundaries(bounds, f0, out, strides, by_stride, source_shape, natural) -> ViewSpec | None:
    # axes of the factoring, outermost first: (extent, stride)
    axes = [(bounds[i] // bounds[i + 1], bounds[i + 1]) for i in range(len(bounds) - 1)]
    # [extent, start, count, block axes]
    fact = []
    for extent, stride in axes:
        start = (f0 // stride) % extent
        k = by_stride.get(stride)
        count = out[k] if k is not None else 1
        if start + count > extent:
            return None
        fact.append([extent, start, count, [k] if k is not None else []])
    same_as_source = bounds == sorted({math.prod(source_shape), 1, *natural}, reverse=True)
    moving_order = [k for k in range(len(out)) if k in by_stride.values()]

    def next_block_axis(k: int) -> int | None:
        i = moving_order.index(k)
        return moving_order[i + 1] if i + 1 < len(moving_order) else None

    def shapes(fact):
        factored = tuple(f[0] for f in fact)
        sliced = [f[2] for f in fact]
        mapped = [i for i, f in enumerate(fact) if f[3]]
        order = sorted(mapped, key=lambda i: fact[i][3][0])
        perm = None
        if order != mapped:
            perm = [i for i, f in enumerate(fact) if not f[3]] + order
            sliced = [sliced[p] for p in perm]
        return factored, sliced, perm

    def ok(fact) -> bool:
        factored, sliced, _ = shapes(fact)
        return _fits_mat(factored) and _fits_mat(sliced)

    full = None
    if same_as_source:
        # the source's own axes (size-1 ones included): no Reshape at all
        it = iter(fact)
        full = [[1, 0, 1, []] if d == 1 else next(it) for d in source_shape]
    if full is not None and ok(full):
        fact = full
        fact_shape = tuple(source_shape)
    else:
        while not ok(fact):
            for i in range(len(fact) - 1):
                a, b = fact[i], fact[i + 1]
                fixed_a = not a[3]
                full_b = b[1] == 0 and b[2] == b[0]
                # a fixed (one index) outer axis, or a full inner axis that is the next block
                # axis in order, merges into one contiguous range
                if fixed_a or (full_b and a[3] and b[3] and next_block_axis(a[3][-1]) == b[3][0]):
                    count = b[2] if fixed_a else a[2] * b[0]
                    fact[i : i + 2] = [[a[0] * b[0], a[1] * b[0] + b[1], count, a[3] + b[3]]]
                    break
            else:
                return None
        fact_shape = tuple(f[0] for f in fact)
    starts, ends, sl_axes = [], [], []
    for i, (extent, start, count, _) in enumerate(fact):
        if (start, count) != (0, extent):
            starts.append(start)
            ends.append(start + count)
            sl_axes.append(i)
    _, _, perm = shapes(fact)
    shape = tuple(d if (d == 1 or strides[k] != 0) else 1 for k, d in enumerate(out))
    return ViewSpec(fact_shape, starts, ends, sl_axes, perm, shape, tuple(out))


class Planner:
    """Finds the cheapest Slice/Concat/Pad plan for one id map."""

    def __init__(self, ids: np.ndarray, idmap: IdMap):
        self.ids = ids
        starts = np.array([s.start for s in idmap.sources], dtype=np.int64)
        self.sources = idmap.sources
        self.src = np.searchsorted(starts, ids, side="right") - 1
        self.is_data = np.array([s.value is not None for s in idmap.sources])
        self.data = self.is_data[self.src]
        self.memo: dict[tuple, Node | None] = {}
        self.calls = 0

    def plan(self, box: tuple[slice, ...]) -> Node | None:
        key = tuple((s.start, s.stop) for s in box)
        if key not in self.memo:
            self.memo[key] = self._plan(box)
        return self.memo[key]

    def _plan(self, box: tuple[slice, ...]) -> Node | None:
        self.calls += 1
        ids, src, data = self.ids[box], self.src[box], self.data[box]
        single = int(src.min()) == int(src.max())
        if not data.any():
            return ConstNode(1, box)
        if single:
            k = int(src.reshape(-1)[0])
            s = self.sources[k]
            spec = view_spec(ids - s.start, s.shape)
            if spec is not None:
                return ViewNode(spec.cost(s.shape), k, spec)
        cands = []
        for axis in range(ids.ndim):
            runs = self._runs(ids, src, data, axis, single)
            if len(runs) > 1:
                cands.append((len(runs), axis, runs))
        if not cands:
            # one source, continuous along every axis, yet not a view (a diagonal, or
            # strides that do not nest): single slices along one of the axes
            if not single:
                return None
            cands = [
                (n, axis, [(i, i + 1) for i in range(n)])
                for axis, n in enumerate(ids.shape) if n > 1
            ]  # fmt: skip
            if not cands:
                return None
        cands.sort(key=lambda c: c[0])
        if self.calls > _SEARCH_BUDGET:
            cands = cands[:1]
        best: Node | None = None
        for n, axis, runs in cands:
            if best is not None and n + 1 >= best.cost:
                continue
            children = []
            for lo, hi in runs:
                sub = list(box)
                base = box[axis].start
                sub[axis] = slice(base + lo, base + hi)
                child = self.plan(tuple(sub))
                if child is None:
                    break
                children.append(child)
            else:
                node = self._join(axis, children)
                if best is None or node.cost < best.cost:
                    best = node
        return best

    def _runs(
        self, ids: np.ndarray, src: np.ndarray, data: np.ndarray, axis: int, single: bool
    ) -> list[tuple[int, int]]:
        """Maximal runs along `axis` whose slabs have the same sources and one uniform,
        non-negative id step (constants may differ)."""
        n = ids.shape[axis]
        if n == 1:
            return [(0, 1)]
        delta = np.diff(ids, axis=axis)
        if single:  # one data source: no masks needed
            flat = np.moveaxis(delta, axis, 0).reshape(n - 1, -1)
            lo, hi = flat.min(axis=1), flat.max(axis=1)
            srcdiff = np.zeros(n - 1, bool)
            has = np.ones(n - 1, bool)
        else:
            s = np.moveaxis(src, axis, 0).reshape(n, -1)
            srcdiff = (s[1:] != s[:-1]).any(axis=1)
            mask = np.moveaxis(data, axis, 0).reshape(n, -1)[1:]
            flat = np.moveaxis(delta, axis, 0).reshape(n - 1, -1)
            big = np.iinfo(np.int64).max
            lo = np.where(mask, flat, big).min(axis=1)
            hi = np.where(mask, flat, -big).max(axis=1)
            has = mask.any(axis=1)
        runs, start, step = [], 0, None
        for i in range(n - 1):
            cut = bool(srcdiff[i]) or (bool(has[i]) and (lo[i] != hi[i] or lo[i] < 0))
            if not cut and has[i]:
                if step is not None and lo[i] != step:
                    cut = True
                else:
                    step = int(lo[i])
            if cut:
                runs.append((start, i + 1))
                start, step = i + 1, None
        runs.append((start, n))
        return runs

    def _uniform(self, node: Node) -> object | None:
        if not isinstance(node, ConstNode):
            return None
        vals = self.const_values(node.box)
        flat = vals.reshape(-1)
        if flat.size and (flat == flat[0]).all() and not _is_nan(flat[0]):
            return flat[0]
        return None

    def const_values(self, box: tuple[slice, ...]) -> np.ndarray:
        ids, src = self.ids[box], self.src[box]
        out = np.empty(ids.shape, dtype=object)
        for k in np.unique(src):
            s = self.sources[int(k)]
            sel = src == k
            out[sel] = s.array.reshape(-1)[ids[sel] - s.start]
        return out

    def _join(self, axis: int, children: list[Node]) -> Node:
        data = [i for i, c in enumerate(children) if not isinstance(c, ConstNode)]
        if len(data) == 1:
            i = data[0]
            sides = children[:i] + children[i + 1 :]
            values = [self._uniform(c) for c in sides]
            if all(v is not None for v in values) and len({float(v) for v in values}) <= 1:
                before = sum(_extent(c.box, axis) for c in children[:i])
                after = sum(_extent(c.box, axis) for c in children[i + 1 :])
                value = values[0] if values else 0
                return PadNode(children[i].cost + 1, axis, before, after, value, children[i])
        return ConcatNode(1 + sum(c.cost for c in children), axis, children)


def periodic_split(ids: np.ndarray, planner: Planner) -> tuple[int, int] | None:
    """(axis, period): the first axis, and its smallest proper period p, along which the id
    map repeats: cut into blocks of p, every block takes its elements from the same sources
    at one uniform id step from the previous block. None when no axis repeats."""

    def repeats(k: int, p: int) -> bool:
        n = ids.shape[k]
        split = (*ids.shape[:k], n // p, p, *ids.shape[k + 1 :])
        if not (np.diff(planner.src.reshape(split), axis=k) == 0).all():
            return False
        data = np.take(planner.data.reshape(split), range(1, n // p), axis=k)
        steps = np.diff(ids.reshape(split), axis=k)[data]
        return bool(steps.size) and bool((steps == steps.reshape(-1)[0]).all()) and steps.reshape(-1)[0] > 0

    for k, n in enumerate(ids.shape):
        if n < 4 or repeats(k, 1):  # an axis that is uniform as it is needs no fold
            continue
        for p in range(2, n // 2 + 1):
            if n % p == 0 and repeats(k, p):
                return k, p
    return None


def _is_nan(v: object) -> bool:
    try:
        return bool(np.isnan(v))
    except TypeError:
        return False


def _extent(box: tuple[slice, ...], axis: int) -> int:
    return box[axis].stop - box[axis].start


# ------------------------------------------------------------------------------ emission


def _emit(node: Node, planner: Planner, b: OnnxBuilder, dtype: np.dtype) -> SSAValue:
    if isinstance(node, ConstNode):
        return b.const(planner.const_values(node.box).astype(dtype), "indexing")
    if isinstance(node, ViewNode):
        src = planner.sources[node.source]
        s = node.spec
        v = b.reshape(src.value, s.factored)
        v = b.slice(v, s.starts, s.ends, s.axes)
        if s.perm is not None:
            v = b.transpose(v, s.perm)
        v = b.reshape(v, s.shape)
        return b.expand(v, s.out)
    if isinstance(node, PadNode):
        v = _emit(node.child, planner, b, dtype)
        amounts = [(0, 0)] * len(static_shape(v.type))
        amounts[node.axis] = (node.before, node.after)
        return b.pad(v, amounts, np.asarray(node.value).astype(dtype))
    assert isinstance(node, ConcatNode)
    parts = [_emit(c, planner, b, dtype) for c in node.children]
    return b.concat(parts, node.axis)


def _describe(op: Operation) -> str:
    """`Slice with steps [1, 2] on [1, 6, 9]` / `ScatterND on [1, 20, 12] …`: the op, its
    parameters that decide the elements, and the input dims."""
    shapes = [list(static_shape(v.type)) for v in op.operands if static_shape(v.type) is not None]
    name = op_location(op)["op"]
    if isinstance(op, T.SliceOp) and op.ranges() is not None:
        return f"{name} with steps {[st for _, _, st in op.ranges()]} on {shapes[0]}"
    axis = op.attr("axis") if op.has_trait(Indexing) else None
    if axis is not None:  # Gather, GatherElements
        return f"{name} on {shapes[0]} along axis {axis} with constant indices of shape {shapes[1]}"
    return f"{name} on inputs {shapes}"


def rewrite_region(region: list[Operation]) -> bool:
    """Evaluate the region on ids and re-synthesise every value that leaves it and depends
    on a hard op. Returns True when something was rewritten."""
    idmap = IdMap()
    members = set(region)
    leaving = {r for op in region for r in op.results if any(u.operation not in members for u in r.uses)}
    # id arrays can be large (one int64 per element): drop each once no region op needs it
    pending: dict[SSAValue, int] = {}
    for op in region:
        for i in data_positions(op):
            pending[op.operands[i]] = pending.get(op.operands[i], 0) + 1
    hard_dep: dict[SSAValue, Operation] = {}
    for op in region:
        idmap.evaluate(op)
        for i in data_positions(op):
            v = op.operands[i]
            pending[v] -= 1
            if pending[v] == 0 and v not in leaving:
                idmap.env.pop(v, None)
        cause = op if is_hard(op) else None
        if cause is None:
            for i in data_positions(op):
                if op.operands[i] in hard_dep:
                    cause = hard_dep[op.operands[i]]
                    break
        if cause is not None:
            for r in op.results:
                hard_dep[r] = cause
    changed = False
    for op in region:
        for r in op.results:
            if r not in hard_dep or r not in leaving:
                continue
            cause = hard_dep[r]
            ids = idmap.env[r]
            planner = Planner(ids, idmap)
            node = planner.plan(tuple(slice(0, d) for d in ids.shape))
            # a map that repeats along an axis (a shift inside each group of frames) is
            # planned once on the (repeats, period) view: its cost no longer grows with
            # the number of repeats; the result is reshaped back. A tie goes to the fold: the
            # same plan at every frame count is what keeps that count symbolic (ncc.symbolic)
            folded = None
            period = periodic_split(ids, planner)
            if period is not None:
                k, p = period
                split = (*ids.shape[:k], ids.shape[k] // p, p, *ids.shape[k + 1 :])
                planner2 = Planner(ids.reshape(split), idmap)
                node2 = planner2.plan(tuple(slice(0, d) for d in split))
                if node2 is not None and (node is None or node2.cost + 1 <= node.cost):
                    node, planner, folded = node2, planner2, ids.shape
            loc = op_location(cause)
            if node is None:
                raise NccError(
                    f"cannot express {_describe(cause)} as slices of its inputs: "
                    "the elements it selects do not form rectangular blocks",
                    **loc,
                )
            if node.cost > MAX_PIECES:
                raise NccError(
                    f"{_describe(cause)} would take {node.cost} Slice/Concat ops "
                    f"(more than {MAX_PIECES}): ncnn has no strided-slice, gather or scatter layer",
                    **loc,
                )
            b = OnnxBuilder(InsertPoint.after(op), cause.location)
            new = _emit(node, planner, b, numpy_dtype(r.type.element_type))
            if folded is not None:
                new = b.reshape(new, folded)
            if new is r:
                continue
            # users outside the region only: region ops die with the region (and `new`,
            # which computes the same tensor, takes its name)
            b.rewriter.replace_value(r, new, lambda use: use.operation not in members)
            changed = True
    return changed


def indexing_to_slices(module: ModuleOp) -> bool:
    changed = False
    for f in functions(module):
        for block in f.body.blocks:
            for region in movement_regions(block):
                changed |= rewrite_region(region)
    if changed:
        from xdsl.transforms.dead_code_elimination import dce

        dce(module)
        update_signatures(module)
    return changed


@dataclass(frozen=True)
class OnnxIndexingToSlicesPass(ModulePass):
    """ScatterND, Gather, GatherElements, Where with a constant condition, strided/reversed
    Slice and Mat-less rank-5 data movement → Slice, Reshape, Transpose, Pad and Concat,
    exactly (by evaluating the ops on element ids and re-synthesising the result)."""

    name = "onnx-indexing-to-slices"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        indexing_to_slices(op)

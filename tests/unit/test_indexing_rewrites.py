"""The indexing rewrites are exact: random Gathers, GatherElements, strided / reversed Slices,
ScatterND slice assignments and Where masks are rewritten by `onnx-indexing-to-slices` /
`onnx-where-to-arithmetic`, and the graph before and after is evaluated with the ops' own
numpy semantics on the same data: the results must be identical, and the rewritten graph
must hold no indexing op (only Slice / Reshape / Transpose / Pad / Concat / arithmetic)."""

from __future__ import annotations

import numpy as np
import pytest
from xdsl.dialects import func
from xdsl.dialects.builtin import DenseArrayBase, IntegerAttr, ModuleOp, StringAttr, i64
from xdsl.ir import Block, Region
from xdsl.rewriter import InsertPoint

from ncc.dialects.common import NccError, node_loc, tensor_type
from ncc.dialects.onnx import elementwise as E
from ncc.dialects.onnx import tensor as T
from ncc.dialects.onnx.base import ConstantOp, NoValueOp, OnnxOp
from ncc.lowering.onnx.builder import OnnxBuilder
from ncc.lowering.onnx.indexing_to_slices import indexing_to_slices
from ncc.lowering.onnx.where_to_arithmetic import where_to_arithmetic

INDEXING = (T.GatherOp, T.GatherElementsOp, T.ScatterNDOp, E.WhereOp)


def run(module: ModuleOp, x: np.ndarray) -> list[np.ndarray]:
    """Evaluate the module's function with each op's numpy semantics."""
    f = next(op for op in module.ops if isinstance(op, func.FuncOp))
    env = {f.args[0]: x}
    for op in f.body.blocks[0].ops:
        if isinstance(op, func.ReturnOp):
            return [env[v] for v in op.operands]
        if isinstance(op, ConstantOp):
            env[op.output] = op.array
        elif isinstance(op, NoValueOp):
            env[op.output] = None
        else:
            assert isinstance(op, OnnxOp), op
            for r, a in zip(op.results, op.evaluate(*[env[v] for v in op.operands]), strict=True):
                env[r] = a
    raise AssertionError("no return")


class Graph:
    """Builds `func @main(x) -> ...` from onnx ops whose result types come from evaluating
    them on a sample input."""

    def __init__(self, shape: tuple[int, ...]):
        self.block = Block(arg_types=[tensor_type(shape, np.float32)])
        self.x = self.block.args[0]
        self.sample = {self.x: np.random.default_rng(0).standard_normal(shape).astype(np.float32)}
        self.b = OnnxBuilder(InsertPoint.at_end(self.block))

    def const(self, a) -> object:
        v = self.b.const(np.asarray(a))
        self.sample[v] = np.asarray(a)
        return v

    def op(self, cls, operands, **props):
        args = [self.sample.get(v) for v in operands]
        probe = cls.create(operands=list(operands), result_types=[self.x.type], properties=props)
        outs = probe.evaluate(*args)
        probe.erase(safe_erase=False)
        op = cls.create(
            operands=list(operands),
            result_types=[tensor_type(o.shape, o.dtype) for o in outs],
            properties=props,
        )
        self.b.add(op)
        for r, o in zip(op.results, outs, strict=True):
            self.sample[r] = o
        return op.results[0]

    def module(self, *outs) -> ModuleOp:
        self.block.add_op(func.ReturnOp(*outs))
        f = func.FuncOp("main", ([self.x.type], [o.type for o in outs]), Region(self.block))
        return ModuleOp([f])


def check(module: ModuleOp, x: np.ndarray, rewrite=indexing_to_slices) -> ModuleOp:
    want = run(module, x)
    rewrite(module)
    got = run(module, x)
    for w, g in zip(want, got, strict=True):
        assert w.shape == g.shape
        np.testing.assert_array_equal(w, g)
    left = [op.name for op in module.walk() if isinstance(op, INDEXING)]
    assert not left, left
    return module


def _ax(a: int):
    return IntegerAttr(a, i64)


@pytest.mark.parametrize("seed", range(12))
def test_random_gather(seed: int) -> None:
    rng = np.random.default_rng(seed)
    shape = (1, 5, 4, 6)
    axis = int(rng.integers(1, 4))
    d = shape[axis]
    idx = rng.integers(-d, d, size=int(rng.integers(1, 7)))
    if seed % 3 == 0:
        idx = np.array(int(idx[0]))  # a scalar index drops the axis
    g = Graph(shape)
    y = g.op(T.GatherOp, [g.x, g.const(idx.astype(np.int64))], axis=_ax(axis))
    check(g.module(y), g.sample[g.x])


@pytest.mark.parametrize("seed", range(8))
def test_random_gather_elements(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    shape = (1, 3, 4, 5)
    axis = int(rng.integers(1, 4))
    idx_shape = list(shape)
    idx_shape[axis] = int(rng.integers(1, shape[axis] + 1))
    idx = rng.integers(0, shape[axis], size=idx_shape).astype(np.int64)
    g = Graph(shape)
    y = g.op(T.GatherElementsOp, [g.x, g.const(idx)], axis=_ax(axis))
    check(g.module(y), g.sample[g.x])


@pytest.mark.parametrize("seed", range(16))
def test_random_strided_slice(seed: int) -> None:
    rng = np.random.default_rng(200 + seed)
    shape = (1, 6, 4, 8)
    axes = sorted(rng.choice([1, 2, 3], size=int(rng.integers(1, 3)), replace=False).tolist())
    starts, ends, steps = [], [], []
    for a in axes:
        step = int(rng.choice([-3, -2, -1, 2, 3]))
        d = shape[a]
        lo, hi = sorted(rng.choice(d + 1, size=2, replace=False).tolist())
        s, e = (lo, hi) if step > 0 else (hi - 1, lo - 1 if lo > 0 else -(2**63) + 1)
        if rng.random() < 0.5:  # the same range written with negative indices
            s, e = (s - d if 0 <= s < d else s), (e - d if 0 <= e < d else e)
        if step < 0 and seed % 2:
            s, e = -1, -(2**63) + 1  # a full flip
        starts.append(s)
        ends.append(e)
        steps.append(step)
    g = Graph(shape)
    i64s = lambda v: g.const(np.asarray(v, np.int64))  # noqa: E731
    y = g.op(T.SliceOp, [g.x, i64s(starts), i64s(ends), i64s(axes), i64s(steps)])
    if 0 in g.sample[y].shape:
        pytest.skip("empty slice")
    m = check(g.module(y), g.sample[g.x])
    for op in m.walk():
        if isinstance(op, T.SliceOp):
            assert {st for _, _, st in op.ranges()} == {1}


@pytest.mark.parametrize("seed", range(10))
def test_random_slice_assignments(seed: int) -> None:
    """out = c; out[box_1] = x[box'_1]; out[box_2] = … (ScatterND, later writes win), also
    through a Transpose as the dynamo exporter writes it."""
    rng = np.random.default_rng(300 + seed)
    shape = (1, 4, 6, 5)
    g = Graph(shape)
    out = g.const(np.full(shape, float(rng.integers(-2, 3)), np.float32))
    for _ in range(int(rng.integers(1, 4))):
        lo = [0] + [int(rng.integers(0, d)) for d in shape[1:3]]
        hi = [1] + [int(rng.integers(l + 1, d + 1)) for l, d in zip(lo[1:], shape[1:3], strict=True)]
        n = [h - l for l, h in zip(lo, hi, strict=True)]
        src0 = [0] + [int(rng.integers(0, d - k + 1)) for d, k in zip(shape[1:3], n[1:], strict=True)]
        i64s = lambda v: g.const(np.asarray(v, np.int64))  # noqa: E731
        upd = g.op(
            T.SliceOp,
            [g.x, i64s(src0[1:]), i64s([s + k for s, k in zip(src0[1:], n[1:], strict=True)]), i64s([1, 2]),
             g.b.novalue()],
        )  # fmt: skip
        grid = np.stack(np.meshgrid(*[np.arange(l, h) for l, h in zip(lo, hi, strict=True)], indexing="ij"), -1)
        if seed % 2:
            perm = DenseArrayBase.from_list(i64, [2, 1, 0, 3])
            t = g.op(T.TransposeOp, [out], perm=perm)
            ut = g.op(T.TransposeOp, [upd], perm=perm)
            idx = grid.transpose(2, 1, 0, 3)[..., [2, 1, 0]]
            s = g.op(T.ScatterNDOp, [t, g.const(idx.astype(np.int64)), ut])
            out = g.op(T.TransposeOp, [s], perm=perm)
        else:
            out = g.op(T.ScatterNDOp, [out, g.const(grid.astype(np.int64)), upd])
    y = g.op(E.ReluOp, [out])
    check(g.module(y), g.sample[g.x])


@pytest.mark.parametrize("seed", range(8))
def test_random_where_masks(seed: int) -> None:
    """Rectangular masks become slices; others x·m + y·(1−m); either way exact."""
    rng = np.random.default_rng(400 + seed)
    shape = (1, 4, 6)
    if seed % 2:
        mask = rng.random(shape) < 0.5
    else:
        mask = np.zeros(shape, bool)
        mask[:, int(rng.integers(0, 4)) :, : int(rng.integers(1, 7))] = True
    g = Graph(shape)
    other = g.op(E.NegOp, [g.x])
    y = g.op(E.WhereOp, [g.const(mask), g.x, other])

    def both(m: ModuleOp) -> None:
        where_to_arithmetic(m)
        indexing_to_slices(m)

    check(g.module(y), g.sample[g.x], rewrite=both)


def test_too_many_pieces_is_an_error_naming_the_node() -> None:
    g = Graph((1, 1, 1199))
    i64s = lambda v: g.const(np.asarray(v, np.int64))  # noqa: E731
    y = g.op(T.SliceOp, [g.x, i64s([0]), i64s([1199]), i64s([2]), i64s([2])])
    y.owner.location = node_loc("s")
    with pytest.raises(NccError, match=r"node 's' \(Slice\): Slice with steps \[1, 1, 2\] on \[1, 1, 1199\]"):
        indexing_to_slices(g.module(y))


@pytest.mark.parametrize("segments", [3, 12])
def test_shift_in_segments_costs_the_same_for_any_count(segments: int) -> None:
    """A shift by one frame inside each segment of 5 frames (a per-segment temporal shift as
    one ScatterND): the element map repeats every 5 frames, so it is planned once on the
    (segments, 5, …) view and the ops do not grow with the number of segments."""
    frames = 5 * segments
    g = Graph((frames, 4, 3))
    zeros = g.const(np.zeros((frames, 4, 3), np.float32))
    i64s = lambda v: g.const(np.asarray(v, np.int64))  # noqa: E731
    keep = [t for t in range(frames) if t % 5 != 4]
    upd = g.op(T.GatherOp, [g.x, i64s([t + 1 for t in keep])], axis=_ax(0))
    y = g.op(T.ScatterNDOp, [zeros, i64s(np.asarray(keep)[:, None]), upd])
    module = check(g.module(y), g.sample[g.x])
    ops = [op.name for op in module.walk() if isinstance(op, OnnxOp) and not isinstance(op, ConstantOp | NoValueOp)]
    assert len(ops) <= 6, ops

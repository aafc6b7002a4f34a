"""`onnx-where-to-arithmetic`: Where (torch.where, masked_fill) in exact arithmetic forms.

ncnn has no Where and no comparison layer. These kinds of Where have an exact form:

- the condition compares data with a scalar constant, `cmp(x, k)` (through `Not` and no-op
  `Cast`s), and the branches are `x`, the same `k`, or `α·x`:
  `where(x ≥/> k, x, k)` = max(x, k) (ReLU when k = 0, else Clip min),
  `where(x ≥/> k, k, x)` = min(x, k) (Clip max),
  `where(x ≥/> 0, x, α·x)` = LeakyReLU(α) (at x = 0 both branches are 0);
  `<`/`≤` conditions are the complement with the branches swapped, so
  `masked_fill(x < 0, 0.)` is ReLU and `where(x > 0, x, 0.1 * x)` is LeakyReLU(0.1);
- hardshrink / softshrink: `where(|x| > λ, x, 0)` and `where(|x| > λ, x − sign(x)·λ, 0)`
  (or `x > λ or x < −λ`) are one Shrink (see `shrink_form`);
- the condition is a constant mask. A mask made of a few rectangles is left to
  `onnx-indexing-to-slices` (Slices and Concat, no arithmetic at all); any other mask
  becomes `max(min(A, S), min(B, −S))` with the constant S = ±inf (on / off the mask), with
  constant terms folded: exact for infinite data too (`where(m, x, −inf)` is min(x, S)).

Any other Where is left to `convert-onnx-to-ncnn`, which selects exactly on a run-time mask.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import FloatAttr, ModuleOp, f32
from xdsl.ir import SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint

from ncc.dialects.common import numpy_dtype, static_shape
from ncc.dialects.onnx import elementwise as E
from ncc.dialects.onnx.base import const_value, typed
from ncc.lowering.onnx.builder import OnnxBuilder
from ncc.lowering.onnx.graph import graph_ops, update_signatures

RECTANGLE_LIMIT = 8
"""A constant mask of at most this many rectangles is left to the slicing pass."""

_MIRROR = {">": "<", ">=": "<=", "<": ">", "<=": ">="}  # k < x  ⇔  x > k
_COMPLEMENT = {">": "<=", ">=": "<", "<": ">=", "<=": ">"}  # not (x > k)  ⇔  x <= k


def _scalar(v: SSAValue) -> float | None:
    a = const_value(v)
    if a is None or a.size != 1:
        return None
    return float(a.reshape(-1)[0])


def condition(v: SSAValue) -> tuple[SSAValue, str, float] | None:
    """`(x, op, k)` when `v` is `x op k` for data x and a scalar constant k."""
    negate = False
    while True:
        owner = v.owner
        if isinstance(owner, E.CastOp) and owner.input.type == owner.output.type:
            v = owner.input
        elif isinstance(owner, E.NotOp):
            negate = not negate
            v = owner.X
        else:
            break
    sym = getattr(owner, "ORDER", None)  # the comparisons declare their relation
    if sym not in _MIRROR:  # None, or == (no activation form)
        return None
    a, b = owner.A, owner.B
    ka, kb = _scalar(a), _scalar(b)
    if kb is not None and ka is None:
        x, k = a, kb
    elif ka is not None and kb is None:
        x, k, sym = b, ka, _MIRROR[sym]
    else:
        return None
    if numpy_dtype(x.type.element_type).kind != "f":
        return None
    return x, (_COMPLEMENT[sym] if negate else sym), k


def branch(v: SSAValue, x: SSAValue) -> tuple[str, float | None] | None:
    """What a Where branch is in terms of x: ('x', None), ('k', value) or ('ax', α)."""
    if v is x:
        return "x", None
    k = _scalar(v)
    if k is not None:
        return "k", k
    owner = v.owner
    if isinstance(owner, E.MulOp):
        for this, other in ((owner.A, owner.B), (owner.B, owner.A)):
            alpha = _scalar(other)
            if this is x and alpha is not None and static_shape(owner.C.type) == static_shape(x.type):
                return "ax", alpha
    return None


def compare_form(op: E.WhereOp, b: OnnxBuilder) -> SSAValue | None:
    """The exact activation for a Where on `cmp(x, k)`, or None."""
    cond = condition(op.condition)
    if cond is None:
        return None
    x, sym, k = cond
    if static_shape(op.output.type) != static_shape(x.type):
        return None
    pos, neg = op.X, op.Y
    if sym in ("<", "<="):  # where(x < k, A, B) = where(x >= k, B, A)
        sym, pos, neg = _COMPLEMENT[sym], neg, pos
    a, c = branch(pos, x), branch(neg, x)
    if a is None or c is None:
        return None
    if a == ("x", None) and c == ("k", k):  # x >(=) k ? x : k  = max(x, k)
        return b.unary(E.ReluOp, x) if k == 0.0 else b.clip(x, k, None)
    if a == ("k", k) and c == ("x", None):  # x >(=) k ? k : x  = min(x, k)
        return b.clip(x, None, k)
    if a == ("x", None) and c[0] == "ax" and k == 0.0:
        return b.leaky_relu(x, c[1])
    return None


def _is_zero(v: SSAValue, x: SSAValue) -> bool:
    """A branch that is 0 wherever it is selected: the constant 0, or x·0 (the dynamo
    exporter's zero of x's type; −0 or 0, the same number, where |x| is finite)."""
    if _scalar(v) == 0.0:
        return True
    owner = v.owner
    if isinstance(owner, E.MulOp):
        return any(a is x and _scalar(c) == 0.0 for a, c in ((owner.A, owner.B), (owner.B, owner.A)))
    return False


def _soft_shrunk(v: SSAValue, x: SSAValue, lambd: float) -> bool:
    """v is x − sign(x)·λ (torch's softshrink as the dynamo exporter writes it)."""
    owner = v.owner
    if not isinstance(owner, E.SubOp) or owner.A is not x or not isinstance(owner.B.owner, E.MulOp):
        return False
    mul = owner.B.owner
    for s, k in ((mul.A, mul.B), (mul.B, mul.A)):
        if isinstance(s.owner, E.SignOp) and s.owner.X is x and _scalar(k) == lambd:
            return True
    return False


def _outside(cond: SSAValue) -> tuple[SSAValue, float] | None:
    """(x, λ) when `cond` is |x| > λ, or x > λ or x < −λ (λ ≥ 0)."""
    c = condition(cond)
    if c is not None:
        v, sym, k = c
        if sym == ">" and k >= 0 and isinstance(v.owner, E.AbsOp):
            return v.owner.X, k
        return None
    owner = cond.owner
    while isinstance(owner, E.CastOp) and owner.input.type == owner.output.type:
        owner = owner.input.owner
    if isinstance(owner, E.OrOp):
        a, b = condition(owner.A), condition(owner.B)
        if a is not None and b is not None and a[0] is b[0]:
            sides = {a[1]: a[2], b[1]: b[2]}
            if set(sides) == {">", "<"} and sides[">"] >= 0 and sides["<"] == -sides[">"]:
                return a[0], sides[">"]
    return None


def shrink_form(op: E.WhereOp, b: OnnxBuilder) -> SSAValue | None:
    """Hardshrink `where(|x| > λ, x, 0)` = Shrink(λ, bias 0) and softshrink
    `where(|x| > λ, x − sign(x)·λ, 0)` = Shrink(λ, bias λ) (ncnn Shrink computes exactly
    x ∓ bias outside [−λ, λ] and 0 inside), also written `where(|x| ≤ λ, 0, …)` or with
    `x > λ or x < −λ`."""
    pos, neg = op.X, op.Y
    found = _outside(op.condition)
    if found is None:
        inside = condition(op.condition)
        if inside is None or inside[1] != "<=" or not isinstance(inside[0].owner, E.AbsOp) or inside[2] < 0:
            return None
        found, pos, neg = (inside[0].owner.X, inside[2]), neg, pos
    x, lambd = found
    if static_shape(op.output.type) != static_shape(x.type) or not _is_zero(neg, x):
        return None
    if pos is x:
        bias = 0.0
    elif _soft_shrunk(pos, x, lambd):
        bias = lambd
    else:
        return None
    props = {"bias": FloatAttr(bias, f32), "lambd": FloatAttr(lambd, f32)}
    return b.unary(E.ShrinkOp, x, props)


def rectangles(mask: np.ndarray, limit: int) -> int:
    """How many uniform boxes a greedy axis-by-axis cut of `mask` gives (stops past limit)."""
    if mask.size == 0 or mask.all() or not mask.any():
        return 1
    best = None
    for axis in range(mask.ndim):
        n = mask.shape[axis]
        if n == 1:
            continue
        slabs = np.moveaxis(mask, axis, 0).reshape(n, -1)
        cuts = [0] + [i + 1 for i in range(n - 1) if (slabs[i] != slabs[i + 1]).any()] + [n]
        if len(cuts) > 2 and (best is None or len(cuts) < best[0]):
            best = (len(cuts), axis, cuts)
    _, axis, cuts = best
    total = 0
    for lo, hi in zip(cuts, cuts[1:]):
        total += rectangles(np.take(mask, range(lo, hi), axis=axis), limit)
        if total > limit:
            break
    return total


def mask_form(op: E.WhereOp, b: OnnxBuilder) -> SSAValue | None:
    """max(min(A, S), min(B, −S)) for a constant, non-rectangular mask, with the constant
    S = +inf on the mask and −inf off it: no product with 0, so infinite data (an earlier
    −inf fill) stays exact, where A·m + B·(1−m) would give 0·∞ = NaN. Constant terms fold;
    a term that is −inf everywhere (where(m, x, −inf)) never wins the max and is left out."""
    c = const_value(op.condition)
    out = static_shape(op.output.type)
    if c is None or out is None:
        return None
    c = c.astype(bool)
    if rectangles(np.broadcast_to(c, out), RECTANGLE_LIMIT) <= RECTANGLE_LIMIT:
        return None  # onnx-indexing-to-slices turns it into slices
    dtype = numpy_dtype(op.output.type.element_type)
    if dtype.kind != "f":
        return None
    select = np.where(c, np.inf, -np.inf).astype(dtype)

    def term(v: SSAValue, sel: np.ndarray) -> SSAValue | np.ndarray:
        arr = const_value(v)
        if arr is not None:
            return np.minimum(arr.astype(dtype), sel)
        return _variadic(b, E.MinOp, [v, b.const(sel, "select")])

    terms = [term(op.X, select), term(op.Y, -select)]
    consts = [t for t in terms if isinstance(t, np.ndarray)]
    values = [t for t in terms if not isinstance(t, np.ndarray)]
    if len(consts) == 2:
        return b.const(np.broadcast_to(np.maximum(*consts), out).astype(dtype), "where")
    if consts and not np.all(consts[0] == -np.inf):
        values.append(b.const(consts[0], "where"))
    y = values[0] if len(values) == 1 else _variadic(b, E.MaxOp, values)
    return b.expand(y, out)


def _variadic(b: OnnxBuilder, cls: type[E.VariadicOp], values: list[SSAValue]) -> SSAValue:
    shape = np.broadcast_shapes(*(static_shape(v.type) for v in values))
    op = cls.build(operands=[values], result_types=[typed(shape, values[0].type)])
    return b.add(op).results[0]


def where_to_arithmetic(module: ModuleOp) -> bool:
    changed = False
    for op in graph_ops(module):
        if not isinstance(op, E.WhereOp) or static_shape(op.output.type) is None:
            continue
        b = OnnxBuilder(InsertPoint.before(op), op.location)
        new = shrink_form(op, b) or compare_form(op, b) or mask_form(op, b)
        if new is None:
            for created in reversed(b.created):
                b.rewriter.erase(created)
            continue
        b.rewriter.replace(op, [], [new])
        changed = True
    if changed:
        from xdsl.transforms.dead_code_elimination import dce

        dce(module)
        update_signatures(module)
    return changed


@dataclass(frozen=True)
class OnnxWhereToArithmeticPass(ModulePass):
    """Where on `cmp(x, k)` → ReLU / Clip / LeakyReLU; Where on a constant mask that is not
    a few rectangles → A·m + B·(1−m)."""

    name = "onnx-where-to-arithmetic"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        where_to_arithmetic(op)

"""Einsum as the ops ncc already lowers: a canonicalisation pattern of `onnx-canonicalize`.

One operand: ReduceSum over the letters the output drops, then a Transpose to the output
order (`ij->ji`, `bij->bj`, `ij->`). Two operands: each first sums the letters nobody else
uses; then with batch letters (both inputs and the output), contracted letters (both inputs
only) and free letters (one input and the output), A is transposed/reshaped to
(batch, M, K), B to (batch, K, N) — 2-D when there is no batch, so a constant B becomes an
InnerProduct — one MatMul, and a reshape/transpose to the output. Equations with a repeated
letter inside one operand (diagonals), a letter repeated in the output, letters whose sizes
differ between operands (broadcast) or more than two operands are left as they are (and
reported by the legality check).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from xdsl.dialects.builtin import DenseArrayBase, IntegerAttr, i64
from xdsl.ir import Operation, SSAValue
from xdsl.pattern_rewriter import PatternRewriter, RewritePattern, op_type_rewrite_pattern

from ncc.dialects.common import static_shape
from ncc.dialects.onnx.base import ConstantOp, typed
from ncc.dialects.onnx.nn import EinsumOp, MatMulOp
from ncc.dialects.onnx.reduce import ReduceSumOp
from ncc.dialects.onnx.tensor import ReshapeOp, TransposeOp


class _Builder:
    def __init__(self) -> None:
        self.ops: list[Operation] = []

    def transpose(self, v: SSAValue, perm: Sequence[int]) -> SSAValue:
        if list(perm) == sorted(perm):
            return v
        shape = static_shape(v.type)
        op = TransposeOp.build(
            operands=[v], result_types=[typed([shape[p] for p in perm], v.type)],
            properties={"perm": DenseArrayBase.from_list(i64, list(perm))},
        )  # fmt: skip
        self.ops.append(op)
        return op.results[0]

    def reshape(self, v: SSAValue, shape: Sequence[int]) -> SSAValue:
        if tuple(static_shape(v.type)) == tuple(shape):
            return v
        c = ConstantOp.from_array(np.asarray(shape, np.int64), "shape")
        op = ReshapeOp.build(operands=[v, c.output], result_types=[typed(shape, v.type)])
        self.ops += [c, op]
        return op.results[0]

    def sum(self, v: SSAValue, sub: str, keep: str) -> tuple[SSAValue, str]:
        """`v` summed over the letters of `sub` not in `keep`."""
        axes = [i for i, c in enumerate(sub) if c not in keep]
        if not axes:
            return v, sub
        shape = static_shape(v.type)
        c = ConstantOp.from_array(np.asarray(axes, np.int64), "axes")
        out = [d for i, d in enumerate(shape) if i not in axes]
        op = ReduceSumOp.build(
            operands=[v, c.output], result_types=[typed(out, v.type)],
            properties={"keepdims": IntegerAttr(0, i64)},
        )  # fmt: skip
        self.ops += [c, op]
        return op.results[0], "".join(ch for ch in sub if ch in keep)

    def matmul(self, a: SSAValue, b: SSAValue, shape: Sequence[int]) -> SSAValue:
        op = MatMulOp.build(operands=[a, b], result_types=[typed(shape, a.type)])
        self.ops.append(op)
        return op.results[0]


class EinsumToMatMul(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: EinsumOp, rewriter: PatternRewriter, /) -> None:
        parsed = op.subscripts()
        if parsed is None or static_shape(op.Output.type) is None or len(op.Inputs) not in (1, 2):
            return
        subs, out = parsed
        if any(len(set(s)) != len(s) for s in subs) or len(set(out)) != len(out):
            return
        size: dict[str, int] = {}
        for s, v in zip(subs, op.Inputs):
            for c, d in zip(s, static_shape(v.type)):
                if size.setdefault(c, d) != d:
                    return  # broadcast letter
        b = _Builder()
        if len(subs) == 1:
            v, s = b.sum(op.Inputs[0], subs[0], out)
            y = b.transpose(v, [s.index(c) for c in out])
        else:
            (sa, sb), (va, vb) = subs, list(op.Inputs)
            va, sa = b.sum(va, sa, out + sb)
            vb, sb = b.sum(vb, sb, out + sa)
            batch = [c for c in out if c in sa and c in sb]
            contracted = [c for c in sa if c in sb and c not in out]
            afree = [c for c in sa if c not in sb]
            bfree = [c for c in sb if c not in sa]
            n_batch = math.prod(size[c] for c in batch)
            m = math.prod(size[c] for c in afree)
            k = math.prod(size[c] for c in contracted)
            n = math.prod(size[c] for c in bfree)
            lead = (n_batch,) if batch else ()
            a3 = b.reshape(b.transpose(va, [sa.index(c) for c in batch + afree + contracted]), (*lead, m, k))
            b3 = b.reshape(b.transpose(vb, [sb.index(c) for c in batch + contracted + bfree]), (*lead, k, n))
            prod = b.matmul(a3, b3, (*lead, m, n))
            order = batch + afree + bfree
            y = b.transpose(b.reshape(prod, [size[c] for c in order]), [order.index(c) for c in out])
        if y is op.Output or not b.ops:
            return
        rewriter.replace(op, b.ops, [y])  # the new ops take the Einsum's location

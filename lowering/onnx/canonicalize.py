"""`onnx-canonicalize`: local rewrites to the canonical form later passes expect.

- Identity and inference-time Dropout disappear.
- The Erf form of GELU that exporters write, `x * 0.5 * (1 + erf(x / sqrt(2)))` in any
  operand order, becomes one `onnx.Gelu` (ncnn has a GELU layer).
- Layout moves cancel: Reshape of a Reshape is one Reshape, Transpose of a Transpose is one
  Transpose (none if the product is the identity), a Reshape or Transpose to the same shape and
  order disappears, and an elementwise unary op moves above a single-use Reshape/Transpose so
  that the pairs the layout pass leaves around it meet and cancel.
- LayerNorm written as ReduceMean/Sub/Pow/ReduceMean/Add/Sqrt/Div (and its affine Mul/Add)
  becomes one LayerNormalization (`layernorm.py`).
- Einsum equations that are matmuls, transposes and reductions become MatMul / Transpose /
  ReduceSum (`einsum.py`).
- CastLike becomes a Cast once its target's type is known (`cast_like.py`); Trilu becomes
  a Where on a constant triangle once its shape and k are (`trilu.py`).
- Dead ops (no users, no side effects) are removed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp, StringAttr
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint
from xdsl.pattern_rewriter import (
    PatternRewriter,
    RewritePattern,
    op_type_rewrite_pattern,
)

import numpy as np

from ncc.dialects.common import static_shape
from ncc.dialects.onnx.base import ConstantOp, OnnxOp, const_value, typed
from ncc.dialects.onnx.elementwise import (
    AddOp,
    DivOp,
    DropoutOp,
    ErfOp,
    GeluOp,
    IdentityOp,
    MulOp,
)
from ncc.dialects.onnx.control import IfOp, YieldOp
from ncc.dialects.ncnn.base import fits_mat
from ncc.dialects.onnx.tensor import ReshapeOp, TransposeOp
from ncc.dialects.onnx.traits import Elementwise
from ncc.lowering.onnx.cast_like import CastLikeToCast
from ncc.lowering.onnx.einsum import EinsumToMatMul
from ncc.lowering.onnx.layernorm import FoldLayerNormAffine, FuseDecomposedLayerNorm
from ncc.lowering.onnx.trilu import TriluToWhere
from ncc.lowering.rewriting import apply_patterns


class InlineConstantIf(RewritePattern):
    """If on a constant condition → the ops of the branch taken, in place of the If."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: IfOp, rewriter: PatternRewriter, /) -> None:
        cond = const_value(op.cond)
        if cond is None or cond.size != 1:
            return
        block = op.branch(bool(cond.reshape(-1)[0]))
        yielded = block.last_op
        assert isinstance(yielded, YieldOp)
        for inner in list(block.ops):
            if inner is yielded:
                break
            inner.detach()
            rewriter.insert(inner, InsertPoint.before(op))
        rewriter.replace(op, [], list(yielded.values))


class RemoveIdentity(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: IdentityOp, rewriter: PatternRewriter, /) -> None:
        rewriter.replace(op, [], [op.X])


class RemoveInferenceDropout(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: DropoutOp, rewriter: PatternRewriter, /) -> None:
        if (op.mask is not None and op.mask.uses) or not op.is_inference():
            return
        rewriter.replace(op, [], [op.data] + ([None] if op.mask is not None else []))


def _scalar(v: SSAValue) -> float | None:
    a = const_value(v)
    if a is None or a.size != 1:
        return None
    return float(a.reshape(-1)[0])


def _other(op: Operation, v: SSAValue) -> SSAValue | None:
    """The other operand of a binary op, given one of them."""
    a, b = op.operands
    return b if a is v else a if b is v else None


def _single_user(v: SSAValue) -> Operation | None:
    uses = list(v.uses)
    return uses[0].operation if len(uses) == 1 else None


class FuseErfGelu(RewritePattern):
    """Erf(x / √2) → +1 → ·x → ·0.5 (the two multiplications in either order)."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, erf: ErfOp, rewriter: PatternRewriter, /) -> None:
        scale = erf.X.owner
        if isinstance(scale, DivOp) and _scalar(scale.B) is not None:
            x, ok = scale.A, math.isclose(_scalar(scale.B), math.sqrt(2), rel_tol=1e-3)
        elif isinstance(scale, MulOp):
            c = _scalar(scale.B) if _scalar(scale.B) is not None else _scalar(scale.A)
            x = scale.A if _scalar(scale.B) is not None else scale.B
            ok = c is not None and math.isclose(c, 1 / math.sqrt(2), rel_tol=1e-3)
        else:
            return
        if not ok:
            return
        add = _single_user(erf.Y)
        if not isinstance(add, AddOp) or _scalar(_other(add, erf.Y)) != 1.0:
            return
        m1 = _single_user(add.C)
        if not isinstance(m1, MulOp):
            return
        other = _other(m1, add.C)
        # form A: (1+erf) · x, then · 0.5 ; form B: (x · 0.5) · (1+erf)
        if other is x:
            m2 = _single_user(m1.C)
            if not isinstance(m2, MulOp) or _scalar(_other(m2, m1.C)) != 0.5:
                return
            last = m2
        elif isinstance(other.owner, MulOp) and _other(other.owner, x) is not None and (
            _scalar(_other(other.owner, x)) == 0.5
        ):
            last = m1
        else:
            return
        gelu = GeluOp.create(
            operands=[x], result_types=[last.C.type], properties={"approximate": StringAttr("none")}
        )
        rewriter.replace(last, [gelu], [gelu.Y])


class FoldReshapeChain(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: ReshapeOp, rewriter: PatternRewriter, /) -> None:
        src, out = static_shape(op.data.type), static_shape(op.reshaped.type)
        if src is None or out is None:
            return
        if src == out:
            rewriter.replace(op, [], [op.data])
            return
        inner = op.data.owner
        if isinstance(inner, ReshapeOp):
            shape = ConstantOp.from_array(np.asarray(out, np.int64), "shape")
            new = ReshapeOp.build(operands=[inner.data, shape.output], result_types=[op.reshaped.type])
            new.attributes.update(op.attributes)
            rewriter.replace(op, [shape, new], [new.reshaped])


class FoldTransposeChain(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: TransposeOp, rewriter: PatternRewriter, /) -> None:
        src = static_shape(op.data.type)
        if src is None:
            return
        perm = op.permutation(len(src))
        if perm == sorted(perm):
            rewriter.replace(op, [], [op.data])
            return
        inner = op.data.owner
        if isinstance(inner, TransposeOp):
            first = inner.permutation(len(src))
            combined = [first[p] for p in perm]
            if combined == sorted(combined):
                rewriter.replace(op, [], [inner.data])
                return
            from xdsl.dialects.builtin import DenseArrayBase, i64

            new = TransposeOp.build(
                operands=[inner.data],
                result_types=[op.transposed.type],
                properties={"perm": DenseArrayBase.from_list(i64, combined)},
            )
            new.attributes.update(op.attributes)
            rewriter.replace(op, [new], [new.transposed])


class HoistUnaryAboveLayoutMove(RewritePattern):
    """unary(reshape(x)) → reshape(unary(x)): elementwise ops do not care about layout."""

    def match_and_rewrite(self, op, rewriter: PatternRewriter, /) -> None:
        if not isinstance(op, OnnxOp) or len(op.operands) != 1 or not op.has_trait(Elementwise):
            return
        move = op.operands[0].owner
        if not isinstance(move, ReshapeOp | TransposeOp) or len(list(move.results[0].uses)) != 1:
            return
        src = move.operands[0]
        shape = static_shape(src.type)
        if shape is None:  # before shape inference (onnx-simplify): the moved type is not known yet
            return
        if not fits_mat(shape):
            return  # the layout stage moved the op onto axes that fit a Mat: keep it there
        unary = type(op).build(
            operands=[src], result_types=[typed(shape, op.results[0].type)],
            properties=dict(op.properties),
        )  # fmt: skip
        unary.attributes.update(op.attributes)
        moved = type(move).build(
            operands=[unary.results[0], *move.operands[1:]],
            result_types=[op.results[0].type],
            properties=dict(move.properties),
        )
        moved.attributes.update(move.attributes)
        rewriter.replace(op, [unary, moved], [moved.results[0]])
        rewriter.erase(move)


@dataclass(frozen=True)
class OnnxCanonicalizePass(ModulePass):
    """If on a constant condition inlined, Identity/Dropout removal, Erf-GELU fusion,
    layout-move cancellation, dead-op removal."""

    name = "onnx-canonicalize"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        apply_patterns(
            op,
            [
                InlineConstantIf(),
                RemoveIdentity(),
                RemoveInferenceDropout(),
                FuseErfGelu(),
                FoldReshapeChain(),
                FoldTransposeChain(),
                HoistUnaryAboveLayoutMove(),
                EinsumToMatMul(),
                CastLikeToCast(),
                TriluToWhere(),
                FuseDecomposedLayerNorm(),
                FoldLayerNormAffine(),
            ],
        )




"""`onnx-fuse-attention`: MatMul → Softmax → MatMul attention becomes one `onnx.Attention`.

Matched (every intermediate used once):

    S = MatMul(Q · a, KT · b) [· c | / c]  [+ mask]
    Y = MatMul(Softmax(S, axis=last), V)

with a, b, c constant scalars folded into Attention's `scale`, KT the key transposed (the
swap of its last two axes is undone by a Transpose that cancels when KT was itself written
as one), Q / K / V of rank 2–4 (ranks below 4 get a leading 1; a batch is merged into the
heads), K and V heads (batch × heads) equal to Q's or 1, and an additive float mask whose broadcast is (Lq, Lk) or
(heads, Lq, Lk). Anything else is left alone: the MatMuls then lower as before. Scaling
the product instead of an operand reassociates one float multiplication, as every matmul
kernel already does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import DenseArrayBase, FloatAttr, ModuleOp, f32, i64
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    PatternRewriter,
    RewritePattern,
    op_type_rewrite_pattern,
)

from ncc.dialects.common import numpy_dtype, static_shape
from ncc.dialects.onnx.attention import AttentionOp
from ncc.dialects.onnx.base import ConstantOp, NoValueOp, const_value, typed
from ncc.dialects.onnx.elementwise import AddOp, DivOp, MulOp, SoftmaxOp
from ncc.dialects.onnx.nn import MatMulOp
from ncc.dialects.onnx.tensor import ReshapeOp, TransposeOp
from ncc.lowering.rewriting import apply_patterns


def _only_use(v: SSAValue) -> Operation | None:
    uses = list(v.uses)
    return uses[0].operation if len(uses) == 1 else None


def _scalar(v: SSAValue) -> float | None:
    a = const_value(v)
    if a is None or a.size != 1 or a.dtype.kind != "f":
        return None
    return float(a.reshape(-1)[0])


def _strip_scale(v: SSAValue) -> tuple[SSAValue, float]:
    """`v` without the constant scalar Mul / Div ops that produce it, and their product."""
    scale = 1.0
    while True:
        op = v.owner
        if isinstance(op, MulOp | DivOp) and static_shape(op.C.type) == static_shape(v.type):
            a, b = op.A, op.B
            sb = _scalar(b)
            sa = _scalar(a) if isinstance(op, MulOp) else None
            if sb is not None and static_shape(a.type) == static_shape(v.type):
                scale = scale * sb if isinstance(op, MulOp) else scale / sb
                v = a
                continue
            if sa is not None and static_shape(b.type) == static_shape(v.type):
                scale, v = scale * sa, b
                continue
        return v, scale


def _heads_layout(shape: tuple[int, ...]) -> tuple[int, int, int] | None:
    """(heads, rows, cols) of a rank 2–4 operand, else None. A batch B of rank 4 is merged
    into the heads (B·H: a C-order reshape, each (batch, head) attends on its own; MobileViT's
    patches)."""
    if len(shape) == 2:
        return (1, *shape)
    if len(shape) == 3:
        return shape
    if len(shape) == 4:
        return (shape[0] * shape[1], *shape[2:])
    return None


class FuseAttention(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, out: MatMulOp, rewriter: PatternRewriter, /) -> None:
        softmax = out.A.owner
        if not isinstance(softmax, SoftmaxOp) or _only_use(softmax.results[0]) is not out:
            return
        p_shape = static_shape(softmax.results[0].type)
        if p_shape is None or softmax.attr("axis") not in (-1, len(p_shape) - 1):
            return
        s = softmax.operands[0]
        mask = None
        add = s.owner
        if isinstance(add, AddOp) and _only_use(s) is softmax:
            for logits, m in ((add.A, add.B), (add.B, add.A)):
                if static_shape(logits.type) == p_shape and isinstance(logits.owner, MatMulOp | MulOp | DivOp):
                    s, mask = logits, m
                    break
            else:
                return
        if _only_use(s) is None:
            return
        logits, post_scale = _strip_scale(s)
        qk = logits.owner
        if not isinstance(qk, MatMulOp) or _only_use(logits) is None:
            return
        q, q_scale = _strip_scale(qk.A)
        kt, k_scale = _strip_scale(qk.B)
        v = out.B
        shapes = [static_shape(x.type) for x in (q, kt, v, out.Y)]
        if any(sh is None for sh in shapes) or numpy_dtype(q.type.element_type) != np.float32:
            return
        lq, lkt, lv, ly = (_heads_layout(sh) for sh in shapes)
        if None in (lq, lkt, lv, ly) or not len(shapes[0]) == len(shapes[1]) == len(shapes[2]):
            return
        heads, len_q, d = lq
        groups, d_k, len_k = lkt
        if d_k != d or lv[0] != groups or lv[1] != len_k or groups not in (1, heads):
            return
        mask_mat = None
        if mask is not None:
            mshape = static_shape(mask.type)
            if mshape is None or numpy_dtype(mask.type.element_type) != np.float32:
                return
            core = tuple(mshape)
            while len(core) > 2 and core[0] == 1:
                core = core[1:]
            if core == (len_q, len_k):
                mask_mat = (len_q, len_k)
            elif core == (heads, len_q, len_k):
                mask_mat = (heads, len_q, len_k)
            else:
                return
        new_ops: list[Operation] = []

        def reshape(x: SSAValue, shape: tuple[int, ...]) -> SSAValue:
            if static_shape(x.type) == shape:
                return x
            c = ConstantOp.from_array(np.asarray(shape, np.int64), "shape")
            r = ReshapeOp.build(operands=[x, c.output], result_types=[typed(shape, x.type)])
            new_ops.extend([c, r])
            return r.results[0]

        k_shape = (1, groups, len_k, d)
        k_src = kt
        swap = None
        if isinstance(kt.owner, TransposeOp):
            t = kt.owner
            rank = len(shapes[1])
            perm = t.permutation(rank)
            if perm == [*range(rank - 2), rank - 1, rank - 2]:
                k_src, swap = t.data, False  # KT = Transpose(K): use K itself
        if swap is None:
            perm = [*range(len(shapes[1]) - 2), len(shapes[1]) - 1, len(shapes[1]) - 2]
            kshape = tuple(shapes[1][:-2]) + (len_k, d)
            tr = TransposeOp.build(
                operands=[kt], result_types=[typed(kshape, kt.type)],
                properties={"perm": DenseArrayBase.from_list(i64, perm)},
            )  # fmt: skip
            new_ops.append(tr)
            k_src = tr.results[0]
        q4 = reshape(q, (1, heads, len_q, d))
        k4 = reshape(k_src, k_shape)
        v4 = reshape(v, (1, groups, len_k, lv[2]))
        none = NoValueOp()
        new_ops.append(none)
        mask_v = reshape(mask, mask_mat) if mask is not None else none.output
        scale = q_scale * k_scale * post_scale
        attn = AttentionOp.build(
            operands=[q4, k4, v4, mask_v, none.output, none.output],
            result_types=[typed((1, heads, len_q, lv[2]), out.Y.type), []],
            properties={"scale": FloatAttr(scale, f32)},
        )
        new_ops.append(attn)
        y = reshape(attn.Y, tuple(shapes[3]))
        rewriter.replace(out, new_ops, [y])


@dataclass(frozen=True)
class OnnxFuseAttentionPass(ModulePass):
    """MatMul → [scale] → [+ mask] → Softmax → MatMul → `onnx.Attention` (lowered to ncnn
    SDPA, which runs on Vulkan where ncnn MatMul does not)."""

    name = "onnx-fuse-attention"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        apply_patterns(op, FuseAttention(), apply_recursively=False)
        from xdsl.transforms.dead_code_elimination import dce

        dce(op)


__all__ = ["FuseAttention", "OnnxFuseAttentionPass"]

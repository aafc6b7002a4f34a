"""`ncnn-fold-bias`: a constant added to (or subtracted from) the output of a layer with a bias
weight, along that layer's bias axis only, becomes its bias: `MatMul + Add` (every linear layer
of a transformer, as both torch exporters write it) is one InnerProduct with `bias_term` 1
instead of InnerProduct + MemoryData + BinaryOp, as pnnx writes it (ViT / DeiT: 96 layers fewer).

The layers say which output axis their bias runs along (`NcnnLayer.BIAS_AXIS`). A Reshape
between the layer and the add is looked through when the bias axis is the last one and the
Reshape keeps it (C order: every element keeps its feature index), as for a rank-3 MatMul
that runs as a 2-D InnerProduct. Not folded: a layer with a fused activation (the bias comes
before it), int8 or dynamic weights, an add that broadcasts the layer's output."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import DictionaryAttr, ModuleOp
from xdsl.ir import SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import PatternRewriter, RewritePattern, op_type_rewrite_pattern

from ncc.dialects.common import BlobAttr, static_shape
from ncc.dialects.ncnn.base import NcnnLayer
from ncc.dialects.ncnn.layers import BinaryOpOp, MemoryDataOp, ReshapeOp
from ncc.lowering.rewriting import apply_patterns

_ADD, _SUB = 0, 1  # ncnn BinaryOp op_type


def bias_vector(const: SSAValue, out_shape: tuple[int, ...], axis: int) -> np.ndarray | None:
    """The constant as one value per index of `axis` of `out_shape` (numpy broadcasting,
    right-aligned), or None when it varies along any other axis."""
    s = static_shape(const.type)
    data = const.owner.weight("data")
    if s is None or data is None or data.size != int(np.prod(s, dtype=np.int64)):
        return None
    s = tuple(s)
    while len(s) > len(out_shape) and s[0] == 1:  # leading unit axes broadcast away
        s = s[1:]
    if len(s) > len(out_shape):
        return None
    n = out_shape[axis]
    for i in range(1, len(s) + 1):
        if s[-i] != 1 and (i != -axis or s[-i] != n):
            return None
    flat = data.reshape(-1).astype(np.float32)
    return np.ascontiguousarray(np.broadcast_to(flat, (n,)) if flat.size == 1 else flat)


def _biased_layer(v: SSAValue) -> NcnnLayer | None:
    """The layer with a bias axis whose output is `v` (used only here), possibly through one
    Reshape (used only here) that keeps its last axis when that is the bias axis."""
    owner = v.owner
    if isinstance(owner, ReshapeOp) and len(list(v.uses)) == 1:
        inner = owner.inputs[0]
        layer = inner.owner
        a, b = static_shape(inner.type), static_shape(v.type)
        if not (isinstance(layer, NcnnLayer) and layer.BIAS_AXIS == -1 and a and b and a[-1] == b[-1]):
            return None
        v, owner = inner, layer
    if not isinstance(owner, NcnnLayer) or owner.BIAS_AXIS is None or len(list(v.uses)) != 1:
        return None
    if owner.param("bias_term") not in (0, 1) or owner.param("int8_scale_term"):
        return None
    for key in ("activation_type", "dynamic_weight"):
        if key in owner.PARAMS and owner.param(key):
            return None
    return owner


class AddConstantToBias(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: BinaryOpOp, rewriter: PatternRewriter, /) -> None:
        kind = op.param("op_type")
        if kind not in (_ADD, _SUB) or op.param("with_scalar") or len(op.inputs) != 2:
            return
        a, b = op.inputs
        pairs = [(a, b)] + ([(b, a)] if kind == _ADD else [])  # x - c, never c - x
        for x, const in pairs:
            if not isinstance(const.owner, MemoryDataOp) or x.type != op.outputs[0].type:
                continue
            layer = _biased_layer(x)
            if layer is None:
                continue
            out = static_shape(layer.outputs[0].type)
            n = layer.param("num_output")
            if out is None or len(out) < -layer.BIAS_AXIS or out[layer.BIAS_AXIS] != n:
                continue
            shape = static_shape(x.type)
            # x is the layer's output or a Reshape of it that keeps the last axis
            vec = bias_vector(const, shape, layer.BIAS_AXIS if x is layer.outputs[0] else -1)
            if vec is None or vec.size != n:
                continue
            if kind == _SUB:
                vec = -vec
            old = layer.weight("bias") if layer.param("bias_term") else None
            bias = vec if old is None else old.reshape(-1).astype(np.float32) + vec
            weights = dict(layer.weights.data)
            weights["bias"] = BlobAttr.from_array(np.ascontiguousarray(bias, dtype=np.float32), f"{layer.layer_type}.bias")
            layer.properties["weights"] = DictionaryAttr(weights)
            layer.set_param("bias_term", 1)
            rewriter.notify_op_modified(layer)
            rewriter.replace(op, [], [x])
            if not list(const.uses):
                rewriter.erase(const.owner)
            return


@dataclass(frozen=True)
class NcnnFoldBiasPass(ModulePass):
    """Add / Sub of a constant along a conv's or InnerProduct's bias axis → its bias."""

    name = "ncnn-fold-bias"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        apply_patterns(op, AddConstantToBias())

"""`ncnn-fold-affine`: a constant added to (or subtracted from) the output of a layer with a bias
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

_ADD, _SUB, _MUL = 0, 1, 2  # ncnn BinaryOp op_type


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


def _axis_constant(op: BinaryOpOp, x: SSAValue, const: SSAValue) -> tuple[NcnnLayer, np.ndarray] | None:
    """The layer behind `x` and the constant `const` as one value per output channel, when
    `op` combines them without broadcasting x."""
    if not isinstance(const.owner, MemoryDataOp) or x.type != op.outputs[0].type:
        return None
    layer = _biased_layer(x)
    if layer is None:
        return None
    out = static_shape(layer.outputs[0].type)
    n = layer.param("num_output")
    if out is None or len(out) < -layer.BIAS_AXIS or out[layer.BIAS_AXIS] != n:
        return None
    # x is the layer's output or a Reshape of it that keeps the last axis
    vec = bias_vector(const, static_shape(x.type), layer.BIAS_AXIS if x is layer.outputs[0] else -1)
    return None if vec is None or vec.size != n else (layer, vec)


def _set_weight(layer: NcnnLayer, key: str, value: np.ndarray) -> None:
    weights = dict(layer.weights.data)
    weights[key] = BlobAttr.from_array(np.ascontiguousarray(value, dtype=np.float32), f"{layer.layer_type}.{key}")
    layer.properties["weights"] = DictionaryAttr(weights)


class ScaleToWeights(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: BinaryOpOp, rewriter: PatternRewriter, /) -> None:
        if op.param("op_type") != _MUL:
            return
        if op.param("with_scalar"):
            x, found = op.inputs[0], None
            layer = _biased_layer(x) if len(op.inputs) == 1 else None
            if layer is not None:
                found = (layer, np.full(layer.param("num_output"), op.param("b"), np.float32))
            const = None
        else:
            if len(op.inputs) != 2:
                return
            a, b = op.inputs
            found = None
            for x, const in ((a, b), (b, a)):
                found = _axis_constant(op, x, const)
                if found is not None:
                    break
        if found is None:
            return
        layer, vec = found
        weight = layer.weight("weight")
        if weight is None or weight.size % vec.size:
            return
        # the weight is output-major (BIAS_AXIS): one row per output channel
        _set_weight(layer, "weight", weight.reshape(vec.size, -1).astype(np.float32) * vec[:, None])
        if layer.param("bias_term"):
            _set_weight(layer, "bias", layer.weight("bias").reshape(-1).astype(np.float32) * vec)
        rewriter.notify_op_modified(layer)
        rewriter.replace(op, [], [x])
        if const is not None and not list(const.uses):
            rewriter.erase(const.owner)


class AddConstantToBias(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: BinaryOpOp, rewriter: PatternRewriter, /) -> None:
        kind = op.param("op_type")
        if kind not in (_ADD, _SUB) or op.param("with_scalar") or len(op.inputs) != 2:
            return
        a, b = op.inputs
        pairs = [(a, b)] + ([(b, a)] if kind == _ADD else [])  # x - c, never c - x
        for x, const in pairs:
            found = _axis_constant(op, x, const)
            if found is None:
                continue
            layer, vec = found
            if kind == _SUB:
                vec = -vec
            old = layer.weight("bias") if layer.param("bias_term") else None
            _set_weight(layer, "bias", vec if old is None else old.reshape(-1).astype(np.float32) + vec)
            layer.set_param("bias_term", 1)
            rewriter.notify_op_modified(layer)
            rewriter.replace(op, [], [x])
            if not list(const.uses):
                rewriter.erase(const.owner)
            return


@dataclass(frozen=True)
class NcnnFoldAffinePass(ModulePass):
    """Add / Sub / Mul of a constant along a conv's or InnerProduct's bias axis → its bias /
    weights."""

    name = "ncnn-fold-affine"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        apply_patterns(op, [AddConstantToBias(), ScaleToWeights()])

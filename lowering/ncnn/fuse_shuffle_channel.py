"""`ncnn-fuse-shuffle-channel`: a channel shuffle, which exporters write as Reshape (C → g, C/g)
→ Transpose → Reshape back (ShuffleNet, and the torch idiom `view(n, g, c/g, h, w).transpose(1,
2).reshape(n, c, h, w)`), becomes one ncnn ShuffleChannel layer: one copy instead of three
layers (two Reshapes and a Permute over a rank-4 Mat), as pnnx writes it.

Exact by construction: the three layers' index map is computed on the Mats ncnn sees (the
Reshapes' own params, the Permute's order code), and the fusion happens only when that map
moves whole channels exactly as ShuffleChannel with some group count does."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import PatternRewriter, RewritePattern, op_type_rewrite_pattern

from ncc.dialects.ncnn.layers import ReshapeOp
from ncc.dialects.ncnn.shape import PermuteOp, ShuffleChannelOp, permute_perm
from ncc.lowering.ncnn.fold_reshapes import mat_of_value, reshape_target
from ncc.lowering.rewriting import apply_patterns

_MAX_ELEMENTS = 1 << 24
"""Larger Mats are not simulated (index arrays of 8 bytes per element): left as they are."""


def channel_sources(mat: tuple[int, ...], mid: tuple[int, ...], perm: tuple[int, ...]) -> list[int] | None:
    """For Reshape to `mid` → Permute `perm` → Reshape back to `mat` (numpy-order Mats, C-order
    data), the input channel each output channel copies whole; None when the map moves data
    within a channel or mixes channels."""
    n = int(np.prod(mat))
    if n > _MAX_ELEMENTS or int(np.prod(mid)) != n:
        return None
    idx = np.arange(n, dtype=np.int64).reshape(mid).transpose(perm).reshape(mat[0], -1)
    inner = idx.shape[1]
    src = idx[:, 0] // inner
    if not np.array_equal(idx, src[:, None] * inner + np.arange(inner)[None, :]):
        return None
    return [int(s) for s in src]


def shuffle_group(sources: list[int]) -> int | None:
    """The group count g > 1 for which ShuffleChannel (reverse 0) copies `sources`."""
    c = len(sources)
    for g in range(2, c):
        if c % g == 0 and ShuffleChannelOp.source_channels(c, g) == sources:
            return g
    return None


class ReshapePermuteReshapeToShuffleChannel(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: ReshapeOp, rewriter: PatternRewriter, /) -> None:
        permute = op.inputs[0].owner
        if not isinstance(permute, PermuteOp) or len(list(permute.outputs[0].uses)) != 1:
            return
        inner = permute.inputs[0].owner
        if not isinstance(inner, ReshapeOp) or len(list(inner.outputs[0].uses)) != 1:
            return
        x = inner.inputs[0]
        mat, mid, out = mat_of_value(x), reshape_target(inner), reshape_target(op)
        # ShuffleChannel moves the channels of a 3-D or 4-D Mat and keeps its shape
        if mat is None or mid is None or out != mat or len(mat) not in (3, 4):
            return
        perm = permute_perm(permute.param("order_type"), len(mid))
        if perm is None:
            return
        sources = channel_sources(mat, mid, perm)
        group = None if sources is None else shuffle_group(sources)
        if group is None:
            return
        shuffle = ShuffleChannelOp.build([x], [op.outputs[0].type], {"group": group})
        shuffle.location = op.location  # the layer's name; the tensor name follows the replacement
        rewriter.replace(op, [shuffle], [shuffle.outputs[0]])
        rewriter.erase(permute)
        rewriter.erase(inner)


@dataclass(frozen=True)
class NcnnFuseShuffleChannelPass(ModulePass):
    """Reshape → Permute → Reshape (each used once) that is a channel shuffle of a 3-D/4-D Mat
    becomes ShuffleChannel(group)."""

    name = "ncnn-fuse-shuffle-channel"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        apply_patterns(op, ReshapePermuteReshapeToShuffleChannel())

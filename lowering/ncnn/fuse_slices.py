"""`ncnn-fuse-slices`: Crops of one blob along one axis that tile that axis exactly (`torch.chunk`
/ `split` exported as one ONNX Slice per piece, as the TorchScript exporter writes them) become
one ncnn Slice layer with a top blob per piece: one pass over the data and no Split in front,
as pnnx writes it (ShuffleNetV2, GhostNet, CSP / YOLO C2f blocks).

Exact: a piece is a Crop whose range differs from its input Mat on one axis only, and the
pieces are fused only when their ranges on that axis are contiguous from 0 to the axis's end
with no gap and no overlap. Equal pieces are written as `-233` each (ncnn shares the axis
evenly), so a chunk along a symbolic dim stays size-free; otherwise the last piece is `-233`
(the rest)."""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import PatternRewriter, RewritePattern, op_type_rewrite_pattern
from xdsl.rewriter import InsertPoint

from ncc.dialects.ncnn.shape import CropOp, SliceOp
from ncc.lowering.ncnn.fold_reshapes import mat_of_value
from ncc.lowering.rewriting import apply_patterns

_REST = -233  # a Slice size that takes the rest of the axis, shared evenly


def crop_piece(crop: CropOp, mat: tuple[int, ...]) -> tuple[int, int, int] | None:
    """(axis, begin, end) of a one-input Crop of the Mat `mat` that keeps every other axis
    whole; None for any other crop."""
    if len(crop.inputs) != 1:
        return None
    ranges = crop.ranges(mat)
    if ranges is None:
        return None
    cut = [(axis, b, e) for axis, ((b, e), n) in enumerate(zip(ranges, mat, strict=True)) if (b, e) != (0, n)]
    if len(cut) != 1:
        return None
    axis, b, e = cut[0]
    return (axis, b, e) if 0 <= b < e <= mat[axis] else None


def tiling(pieces: list[tuple[int, int, CropOp]], n: int) -> list[CropOp] | None:
    """Crops whose [begin, end) ranges follow each other from 0 to n (a chain through the
    pieces; others that overlap it are left out), or None."""
    by_begin: dict[int, list[tuple[int, CropOp]]] = {}
    for b, e, crop in pieces:
        by_begin.setdefault(b, []).append((e, crop))

    def chain(at: int, seen: frozenset[int]) -> list[CropOp] | None:
        if at == n:
            return []
        for e, crop in sorted(by_begin.get(at, []), key=lambda t: t[0]):
            if e in seen:
                continue
            rest = chain(e, seen | {e})
            if rest is not None:
                return [crop, *rest]
        return None

    found = chain(0, frozenset())
    return found if found is not None and len(found) >= 2 else None


class CropsToSlice(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: CropOp, rewriter: PatternRewriter, /) -> None:
        if len(op.inputs) != 1:
            return
        x: SSAValue = op.inputs[0]
        mat = mat_of_value(x)
        if mat is None:
            return
        mine = crop_piece(op, mat)
        if mine is None:
            return
        axis = mine[0]
        pieces = []
        for use in x.uses:
            user = use.operation
            if isinstance(user, CropOp) and user.parent_block() is op.parent_block():
                p = crop_piece(user, mat)
                if p is not None and p[0] == axis:
                    pieces.append((p[1], p[2], user))
        crops = tiling(pieces, mat[axis])
        if crops is None or op not in crops:
            return
        sizes = [crop_piece(c, mat)[2] - crop_piece(c, mat)[1] for c in crops]
        slices = [_REST] * len(sizes) if len(set(sizes)) == 1 else [*sizes[:-1], _REST]
        # the Slice sits where the first crop was, so each top blob is defined before its users
        first = min(crops, key=lambda c: c.parent_block().get_operation_index(c))
        sl = SliceOp.build([x], [c.outputs[0].type for c in crops], {"slices": slices, "axis": axis})
        sl.location = first.location  # the layer's name; tensor names follow the replacements
        rewriter.insert(sl, InsertPoint.before(first))
        for crop, result in zip(crops, sl.outputs, strict=True):
            rewriter.replace(crop, [], [result])


@dataclass(frozen=True)
class NcnnFuseSlicesPass(ModulePass):
    """Crops of one blob that exactly tile one of its axes become one multi-output Slice."""

    name = "ncnn-fuse-slices"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        apply_patterns(op, CropsToSlice())

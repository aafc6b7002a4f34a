"""`onnx-batch-layout`: place a batch axis that carries data (N > 1) where ncnn can run it.

An ncnn Mat has no batch axis. A tensor (N, C, H, W) with N > 1 is a 4-D Mat (c=N, d=C, h, w),
which elementwise layers, Crop, Concat, Slice and Reduction handle as it is; but layers that
work on an image — Convolution, Pooling, Interp, BatchNorm, InstanceNorm, Deconvolution — take
a 3-D Mat (C, H, W). This pass rewrites each such op on a data-carrying batch, by strategy:

- `grouped` (default): view the input as (1, N·C, H, W) — the same bytes — and run one grouped
  op over all frames: a conv gets N·group groups and its weight repeated N times (an N-times
  larger `.bin`), per-channel parameters are tiled N times, pooling and resize need nothing.
  Every layer has a Vulkan kernel, and any ncnn version loads the result.
- `conv3d`: view the input as (1, C, N, H, W) (a transpose) and run a per-frame 3-D op (depth-1
  kernels, same weight bytes). Exact, the `.bin` does not grow, but Convolution3D / Pooling3D
  have no Vulkan kernel (CPU fallback under Vulkan).
- `batch-axis`: move the frames into ncnn's batch axis (`layout.dim_to_batch`, ncnn ≥ 2026
  with Mat.n) and run the op once per frame, unchanged; `layout.batch_to_dim` brings them back.
  The moves are then pushed through every op that works frame by frame (elementwise, per-frame
  reductions and reshapes, linear layers), so they meet and cancel, and only ops that work
  across frames (frame differences, temporal shifts) see the (N, ...) tensor. Weights do not
  grow and every layer stays on Vulkan, but older ncnn runtimes cannot load Reshape 12/13.

Reshapes that a rewrite adds around an op are cancelled later by `onnx-simplify` (Reshape of
Reshape) and `ncnn-fold-reshapes`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import DenseArrayBase, DictionaryAttr, IntegerAttr, ModuleOp, StringAttr, i64
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    PatternRewriter,
    RewritePattern,
)

from ncc.dialects.common import NccError, static_shape
from ncc.dialects.layout import BatchToDimOp, DimToBatchOp
from ncc.dialects.onnx.base import ConstantOp, OnnxOp, const_value, typed
from ncc.dialects.onnx.tensor import ReshapeOp, TransposeOp
from ncc.dialects.onnx.traits import FrameLocal, Image, trait_of
from ncc.lowering.onnx.graph import functions, graph_ops
from ncc.lowering.rewriting import apply_patterns

STRATEGIES = ("grouped", "conv3d", "batch-axis")



def _image_op(op: Operation) -> Image | None:
    """The op's Image trait when it has one result (the ops a batch of frames must be placed for)."""
    image = trait_of(op, Image)
    return image if image is not None and len(op.results) == 1 else None


def _const(rewriter: PatternRewriter, array: np.ndarray, hint: str) -> SSAValue:
    c = ConstantOp.from_array(array, hint)
    rewriter.insert(c)
    return c.output


def _reshape(rewriter: PatternRewriter, v: SSAValue, shape: tuple[int, ...], node) -> SSAValue:
    op = ReshapeOp.build(
        operands=[v, _const(rewriter, np.asarray(shape, np.int64), "shape")],
        result_types=[typed(shape, v.type)],
    )
    if node is not None:
        op.location = node
    rewriter.insert(op)
    return op.reshaped


def _transpose(rewriter: PatternRewriter, v: SSAValue, perm: tuple[int, ...], node) -> SSAValue:
    shape = static_shape(v.type)
    op = TransposeOp.build(
        operands=[v],
        result_types=[typed(tuple(shape[p] for p in perm), v.type)],
        properties={"perm": DenseArrayBase.from_list(i64, list(perm))},
    )
    if node is not None:
        op.location = node
    rewriter.insert(op)
    return op.results[0]


def _tile(v: SSAValue, n: int, rewriter: PatternRewriter, op: OnnxOp, what: str) -> SSAValue:
    """A constant per-channel operand repeated n times along its first axis."""
    if isinstance(v.type, type(None)) or "none" in str(v.type):
        return v
    arr = const_value(v)
    if arr is None:
        raise op.error(f"{what} must be a constant to place a batch of {n} frames")
    return _const(rewriter, np.concatenate([arr] * n, axis=0), what)


def _clone(op: OnnxOp, operands: list[SSAValue], result_type, props: dict | None = None) -> Operation:
    properties = dict(op.properties)
    properties.update(props or {})
    # `create` takes flat lists: absent optional results (MaxPool Indices) stay absent
    new = type(op).create(operands=operands, result_types=[result_type], properties=properties)
    new.attributes.update(op.attributes)
    return new


class GroupFrames(RewritePattern):
    """strategy=grouped: (N, C, ...) → (1, N·C, ...) around one image op."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter, /) -> None:
        image = _image_op(op)
        if image is None:
            return
        x = op.operands[0]
        s, out = static_shape(x.type), static_shape(op.results[0].type)
        if s is None or out is None or len(s) < 2 or s[0] == 1:
            return
        if len(s) > 4 and image.group is not None:
            return  # ncnn's 3-D convolutions have no groups: onnx-layout-assign unrolls it
        n = s[0]
        node = op.location
        xin = _reshape(rewriter, x, (1, n * s[1], *s[2:]), node)
        grouped_out = typed((1, n * out[1], *out[2:]), op.results[0].type)
        operands = [xin, *op.operands[1:]]
        props: dict = {}
        for i in image.per_channel:
            operands[i] = _tile(op.operands[i], n, rewriter, op, _operand_name(op, i))
        if image.group is not None:
            props[image.group] = IntegerAttr(int(op.attr(image.group)) * n, i64)
        _resize_sizes(image, operands, grouped_out.get_shape(), rewriter)
        new = _clone(op, operands, grouped_out, props)
        rewriter.insert(new)
        y = _reshape(rewriter, new.results[0], out, node)
        rewriter.replace(op, [], [y])


def _operand_name(op: Operation, i: int) -> str:
    """The name of operand `i` in the op definition (weight, bias, scale, …), for messages."""
    names = [name for name, _ in type(op).get_irdl_definition().operands]
    return names[i] if i < len(names) else f"input {i}"


def _resize_sizes(image: Image, operands: list[SSAValue], shape, rewriter: PatternRewriter) -> None:
    """A constant output-size operand follows the new output shape."""
    i = image.sizes
    if i is not None and len(operands) > i and const_value(operands[i]) is not None:
        operands[i] = _const(rewriter, np.asarray(shape, np.int64), "sizes")


class FramesAsDepth(RewritePattern):
    """strategy=conv3d: (N, C, H, W) → (1, C, N, H, W) and a per-frame 3-D op (depth-1 kernel)."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter, /) -> None:
        image = _image_op(op)
        if image is None:
            return
        x = op.operands[0]
        s, out = static_shape(x.type), static_shape(op.results[0].type)
        if s is None or out is None or s[0] == 1:
            return
        node = op.location
        if len(s) != 4 or not image.depth_form:
            return GroupFrames().match_and_rewrite(op, rewriter)  # no per-frame 3-D form
        n = s[0]
        x5 = _reshape(rewriter, _transpose(rewriter, x, (1, 0, 2, 3), node), (1, s[1], n, *s[2:]), node)
        operands = [x5, *op.operands[1:]]
        replaced, props = op.depth1_form(n)  # the op states its 3-D form (Image.depth_form)
        for i, array in replaced.items():
            operands[i] = _const(rewriter, array, "weight")
        out5 = (1, out[1], n, *out[2:])
        new = _clone(op, operands, typed(out5, op.results[0].type), props)
        rewriter.insert(new)
        y4 = _reshape(rewriter, new.results[0], (out[1], n, *out[2:]), node)
        y = _transpose(rewriter, y4, (1, 0, 2, 3), node)
        rewriter.replace(op, [], [y])


class FramesInBatchAxis(RewritePattern):
    """strategy=batch-axis, seeds: an image op on (N, ...) runs per frame between two moves."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter, /) -> None:
        image = _image_op(op)
        if image is None:
            return
        s, out = static_shape(op.operands[0].type), static_shape(op.results[0].type)
        if s is None or out is None or len(s) < 2 or s[0] == 1:
            return
        if len(s) > 4:  # a frame of 4 axes + the batch has no Reshape 12/13 form
            return GroupFrames().match_and_rewrite(op, rewriter)
        frames = DimToBatchOp.make(op.operands[0])
        rewriter.insert(frames)
        operands = [frames.output, *op.operands[1:]]
        _resize_sizes(image, operands, (1, *out[1:]), rewriter)
        new = _clone(op, operands, typed((1, *out[1:]), op.results[0].type))
        rewriter.insert(new)
        back = BatchToDimOp.make(new.results[0], s[0])
        rewriter.replace(op, [back], [back.output])


def _frame_operand(v: SSAValue, n: int, out_rank: int) -> SSAValue | None:
    """The per-frame stand-in of an operand of a per-frame op: the frames under a
    batch_to_dim, or a value that broadcasts the same onto every frame; None otherwise."""
    if isinstance(v.owner, BatchToDimOp) and v.owner.n == n:
        return v.owner.input
    s = static_shape(v.type)
    if s is None:
        return None
    if len(s) < out_rank or s[0] == 1:
        return v
    return None


class HoistBatchToDim(RewritePattern):
    """op(batch_to_dim(y), …) → batch_to_dim(op'(y, …)) for ops that work frame by frame."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter, /) -> None:
        if not isinstance(op, OnnxOp) or len(op.results) != 1:
            return
        moves = [v.owner for v in op.operands if isinstance(v.owner, BatchToDimOp)]
        if not moves:
            return
        n = moves[0].n
        out = static_shape(op.results[0].type)
        if out is None or not out or out[0] != n:
            return
        local = trait_of(op, FrameLocal)
        if local is None:
            return
        framed = local.frame_operands(op)
        if any(v.owner in moves for i, v in enumerate(op.operands) if i not in framed):
            return  # frames reach an operand every frame shares (a weight, a shape)
        operands = list(op.operands)
        if isinstance(op, ReshapeOp):
            operands[1] = _const(rewriter, np.asarray((1, *out[1:]), np.int64), "shape")
        frames = []
        for i, v in enumerate(operands):
            if i not in framed or "none" in str(v.type):
                frames.append(v)
                continue
            f = _frame_operand(v, n, len(out))
            if f is None:
                return
            frames.append(f)
        new = _clone(op, frames, typed((1, *out[1:]), op.results[0].type))
        rewriter.insert(new)
        back = BatchToDimOp.make(new.results[0], n)
        rewriter.replace(op, [back], [back.output])


class CancelBatchMoves(RewritePattern):
    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter, /) -> None:
        if isinstance(op, DimToBatchOp) and isinstance(op.input.owner, BatchToDimOp):
            if op.input.owner.n == op.n:
                rewriter.replace(op, [], [op.input.owner.input])
        elif isinstance(op, BatchToDimOp) and isinstance(op.input.owner, DimToBatchOp):
            if op.input.owner.n == op.n:
                rewriter.replace(op, [], [op.input.owner.input])


def _data_carrying_batch(module: ModuleOp) -> int | None:
    """N when some image op takes a batch of N > 1 frames, else None."""
    for o in graph_ops(module):
        if _image_op(o) is not None:
            s = static_shape(o.operands[0].type)
            if s is not None and len(s) >= 2 and s[0] > 1:
                return s[0]
    return None


@dataclass(frozen=True)
class OnnxBatchLayoutPass(ModulePass):
    """Rewrite image ops (conv, pooling, norms, resize) whose input carries a batch of N > 1
    frames into batch-1 ops ncnn can run, by `strategy` (grouped | conv3d | batch-axis)."""

    name = "onnx-batch-layout"
    strategy: str = "grouped"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if self.strategy not in STRATEGIES:
            raise NccError(
                f"unknown batch strategy '{self.strategy}' (choose from {', '.join(STRATEGIES)})"
            )
        frames = _data_carrying_batch(op)
        if frames is None:
            return
        for f in functions(op):
            f.attributes["ncc.batch_layout"] = DictionaryAttr(
                {"frames": IntegerAttr(frames, i64), "strategy": StringAttr(self.strategy)}
            )
        if self.strategy == "batch-axis":
            apply_patterns(op, FramesInBatchAxis(), apply_recursively=False)
            apply_patterns(op, [HoistBatchToDim(), CancelBatchMoves()])
            return
        pattern = GroupFrames() if self.strategy == "grouped" else FramesAsDepth()
        apply_patterns(op, pattern, apply_recursively=False)

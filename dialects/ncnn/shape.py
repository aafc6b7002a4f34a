"""Shape and data-movement ncnn layers: Permute, Crop, Slice, Concat, Padding, Flatten, Tile,
ExpandDims, Squeeze, PixelShuffle, Reorg, Noop. (Reshape and Split live in `layers.py`.)

Tables transcribed from ncnn's `src/layer/<layer>.cpp` `load_param` / `load_model` (2026
sources). Axis params count in the batch-less numpy order of the Mat: (w), (h,w), (c,h,w),
(c,d,h,w). Semantics checked against the ncnn 1.0.20261020 wheel on CPU and Vulkan:
- Permute `order_type`: for a numpy perm p over (c,[d],h,w), take the letters of p and
  reverse them; the index in `PERMUTE_ORDERS[dims]` is the code (all 2/3/4-D perms checked).
- Padding: top/bottom pad h, left/right pad w, front/behind pad c of a 3-D Mat and d of a
  4-D Mat (c of a 4-D Mat cannot be padded); types 0 constant, 1 edge, 2 reflect on every
  padded axis, the same as numpy's constant/edge/reflect.
- PixelShuffle mode 0 is ONNX DepthToSpace CRD, mode 1 is DCR; Reorg mode 1 is ONNX
  SpaceToDepth (mode 0 orders channels the other way).
"""

from __future__ import annotations

from typing import ClassVar

from xdsl.irdl import irdl_op_definition

from ncc.dialects.ncnn.base import FLOAT, INTS, STR, NcnnLayer, Param, Weight

PERMUTE_ORDERS: dict[int, tuple[str, ...]] = {
    2: ("WH", "HW"),
    3: ("WHC", "HWC", "WCH", "CWH", "HCW", "CHW"),
    4: tuple(
        "WHDC HWDC WDHC DWHC HDWC DHWC WHCD HWCD WCHD CWHD HCWD CHWD "
        "WDCH DWCH WCDH CWDH DCWH CDWH HDCW DHCW HCDW CHDW DCHW CDHW".split()
    ),
}
"""Permute order_type codes per Mat rank: the output axes (w, h, [d], c) named by the input
axis each comes from."""

_MAT_LETTERS = {1: "W", 2: "HW", 3: "CHW", 4: "CDHW"}


def permute_order_type(perm: tuple[int, ...] | list[int]) -> int:
    """The Permute `order_type` for a numpy-order perm of the Mat axes (len 2, 3 or 4)."""
    letters = _MAT_LETTERS[len(perm)]
    return PERMUTE_ORDERS[len(perm)].index("".join(letters[a] for a in perm)[::-1])


@irdl_op_definition
class PermuteOp(NcnnLayer):
    name = "ncnn.Permute"
    PARAMS: ClassVar = {"order_type": Param(0, 0)}


@irdl_op_definition
class CropOp(NcnnLayer):
    """Numpy-style `starts/ends/axes` (9/10/11, all three needed) override the legacy offset
    params. A start of −233 means 0; an end of −233 **or 0** means "to the end", and ends
    are clamped to the dim, so an empty crop cannot be expressed."""

    name = "ncnn.Crop"
    PARAMS: ClassVar = {
        "woffset": Param(0, 0),
        "hoffset": Param(1, 0),
        "doffset": Param(13, 0),
        "coffset": Param(2, 0),
        "outw": Param(3, 0),
        "outh": Param(4, 0),
        "outd": Param(14, 0),
        "outc": Param(5, 0),
        "woffset2": Param(6, 0),
        "hoffset2": Param(7, 0),
        "doffset2": Param(15, 0),
        "coffset2": Param(8, 0),
        "starts": Param(9, [], INTS),
        "ends": Param(10, [], INTS),
        "axes": Param(11, [], INTS),
        "starts_expr": Param(19, "", STR),
        "ends_expr": Param(20, "", STR),
        "axes_expr": Param(21, "", STR),
    }


@irdl_op_definition
class SliceOp(NcnnLayer):
    """Split along `axis` into pieces of `slices` sizes (one −233 = the rest, shared evenly),
    or at split points `indices`."""

    name = "ncnn.Slice"
    PARAMS: ClassVar = {
        "slices": Param(0, [], INTS),
        "axis": Param(1, 0),
        "indices": Param(2, [], INTS),
    }


@irdl_op_definition
class ConcatOp(NcnnLayer):
    name = "ncnn.Concat"
    PARAMS: ClassVar = {"axis": Param(0, 0)}


@irdl_op_definition
class PaddingOp(NcnnLayer):
    """`type` 0 constant (`value`), 1 edge, 2 reflect. The per-channel pad values are read
    (raw fp32) only when `per_channel_pad_data_size` ≠ 0."""

    name = "ncnn.Padding"
    PARAMS: ClassVar = {
        "top": Param(0, 0),
        "bottom": Param(1, 0),
        "left": Param(2, 0),
        "right": Param(3, 0),
        "type": Param(4, 0),
        "value": Param(5, 0.0, FLOAT),
        "per_channel_pad_data_size": Param(6, 0),
        "front": Param(7, 0),
        "behind": Param(8, 0),
    }
    WEIGHTS: ClassVar = (Weight("per_channel_pad_data", False, optional=True),)


@irdl_op_definition
class FlattenOp(NcnnLayer):
    """Any Mat → 1-D (w = total)."""

    name = "ncnn.Flatten"


@irdl_op_definition
class TileOp(NcnnLayer):
    name = "ncnn.Tile"
    PARAMS: ClassVar = {
        "axis": Param(0, 0),
        "tiles": Param(1, 1),
        "repeats": Param(2, [], INTS),
    }
    VULKAN: ClassVar[bool] = False


@irdl_op_definition
class ExpandDimsOp(NcnnLayer):
    """Only `axes` (3) is read by current ncnn; the old expand_w/h/c flags are gone."""

    name = "ncnn.ExpandDims"
    PARAMS: ClassVar = {"axes": Param(3, [], INTS)}
    VULKAN: ClassVar[bool] = False


@irdl_op_definition
class SqueezeOp(NcnnLayer):
    name = "ncnn.Squeeze"
    PARAMS: ClassVar = {
        "squeeze_w": Param(0, 0),
        "squeeze_h": Param(1, 0),
        "squeeze_d": Param(11, 0),
        "squeeze_c": Param(2, 0),
        "axes": Param(3, [], INTS),
    }
    VULKAN: ClassVar[bool] = False


@irdl_op_definition
class PixelShuffleOp(NcnnLayer):
    """3-D Mat only. mode 0: out channel p takes in channel p·r² + sh·r + sw (ONNX CRD, torch
    pixel_shuffle); mode 1: (sh·r + sw)·outc + p (ONNX DCR)."""

    name = "ncnn.PixelShuffle"
    PARAMS: ClassVar = {"upscale_factor": Param(0, 1), "mode": Param(1, 0)}


@irdl_op_definition
class ReorgOp(NcnnLayer):
    """3-D Mat only. mode 0: out channel q·s² + sh·s + sw; mode 1: (sh·s + sw)·c + q (ONNX
    SpaceToDepth)."""

    name = "ncnn.Reorg"
    PARAMS: ClassVar = {"stride": Param(0, 1), "mode": Param(1, 0)}


@irdl_op_definition
class NoopOp(NcnnLayer):
    name = "ncnn.Noop"


LAYERS: list[type[NcnnLayer]] = [
    PermuteOp, CropOp, SliceOp, ConcatOp, PaddingOp, FlattenOp, TileOp, ExpandDimsOp,
    SqueezeOp, PixelShuffleOp, ReorgOp, NoopOp,
]  # fmt: skip

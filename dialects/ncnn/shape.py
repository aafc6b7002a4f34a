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

from ncc.dialects.ncnn.base import (
    FLOAT,
    INTS,
    KeepsMat,
    STR,
    Mat,
    MatRuleError,
    NcnnLayer,
    Param,
    Weight,
    mat_axes,
    mat_from_axes,
)
from ncc.dialects.ncnn.size_expr import fit_size_expr

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


def permute_perm(order_type: int, dims: int) -> tuple[int, ...] | None:
    """The numpy-order perm of the Mat axes that Permute `order_type` applies to a `dims`-D Mat
    (the inverse of `permute_order_type`; None for a code that rank has not)."""
    if dims == 1:
        return (0,)
    orders = PERMUTE_ORDERS.get(dims, ())
    if not 0 <= order_type < len(orders):
        return None
    letters = _MAT_LETTERS[dims]
    return tuple(letters.index(ch) for ch in orders[order_type][::-1])


@irdl_op_definition
class PermuteOp(NcnnLayer):
    name = "ncnn.Permute"
    PARAMS: ClassVar = {"order_type": Param(0, 0)}

    def infer_mat(self, in_mats: list[Mat]) -> list[Mat] | None:
        """`permute.cpp`: the code names, for the output (w, h, [d], c), the input axis each
        comes from; a 1-D Mat is unchanged."""
        x = tuple(in_mats[0])
        code = self.param("order_type")
        if len(x) == 1:
            return [x]
        orders = PERMUTE_ORDERS[len(x)]
        if not 0 <= code < len(orders):
            raise MatRuleError(f"Permute order_type {code} on a {len(x)}-D Mat")
        ax = mat_axes(x)
        return [tuple(ax[letter.lower()] for letter in orders[code][::-1])]


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

    @classmethod
    def generalize_params(cls, samples):
        """A numpy-style crop whose starts / ends move with the size becomes size expressions
        of its input's dims (19=/20=/21=, per axis in Mat order): each axis's begin and end,
        resolved at every compile size (−233 and ends ≤ 0 made absolute), fitted by
        `fit_size_expr`. The legacy offset form and two-input crops have none."""
        ids = [cls.PARAMS[k].id for k in ("starts", "ends", "axes")]
        keys = set().union(*(p for p, _ in samples))
        arrays = {-23300 - i for i in ids}
        if not keys <= arrays | {cls.all_params()["featmask"].id} or any(
            m is None or len(m) != 1 for _, m in samples
        ):
            return None
        resolved = []  # per sample: {axis: (begin, end)}
        for params, mats in samples:
            starts, ends, axes = ([int(v) for v in params.get(-23300 - i, "0").split(",")[1:]] for i in ids)
            x = mats[0]
            axes = [a + len(x) if a < 0 else a for a in axes] or list(range(len(x)))
            if len(starts) != len(axes) or len(ends) != len(axes):
                return None
            per = {}
            for axis, start, end in zip(axes, starts, ends, strict=True):
                n = x[axis]
                start = 0 if start == -233 else start
                end = n if end == -233 else end
                begin = start if start >= 0 else n + start
                per[axis] = (begin, min(n, end if end > 0 else n + end))
            resolved.append(per)
        if len({tuple(sorted(r)) for r in resolved}) != 1:
            return None
        mats = [m for _, m in samples]
        starts_e, ends_e = [], []
        for axis in sorted(resolved[0]):
            begin = fit_size_expr([r[axis][0] for r in resolved], mats)
            end = fit_size_expr([r[axis][1] for r in resolved], mats)
            if begin is None or end is None or any(r[axis][1] <= 0 for r in resolved):
                return None
            starts_e.append(begin)
            ends_e.append(end)
        out = {k: v for k, v in samples[0][0].items() if k not in arrays}
        out[cls.PARAMS["starts_expr"].id] = '"' + ",".join(starts_e) + '"'
        out[cls.PARAMS["ends_expr"].id] = '"' + ",".join(ends_e) + '"'
        out[cls.PARAMS["axes_expr"].id] = '"' + ",".join(str(a) for a in sorted(resolved[0])) + '"'
        return out

    def infer_mat(self, in_mats: list[Mat]) -> list[Mat] | None:
        """`crop.cpp::resolve_crop_roi`: numpy-style starts/ends/axes (−233 = from 0 / to the
        end, an end ≤ 0 counts from the end, clamped), or the legacy offsets and sizes."""
        if len(in_mats) > 1:
            return None
        ranges = self.ranges(in_mats[0])
        if ranges is None:
            return None
        x = [end - begin for begin, end in ranges]
        if any(d <= 0 for d in x):
            raise MatRuleError(f"Crop of a Mat {list(in_mats[0])} is empty")
        return [tuple(x)]

    def ranges(self, mat: Mat) -> list[tuple[int, int]] | None:
        """The [begin, end) the crop keeps on each axis of the input Mat `mat` (numpy order;
        an empty range where the crop is empty); None for size expressions."""
        if self.param("starts_expr") or self.param("ends_expr"):
            return None
        x = list(mat)
        out = [(0, n) for n in x]
        starts, ends, axes = self.param("starts"), self.param("ends"), self.param("axes")
        if starts and ends:
            axes = [a + len(x) if a < 0 else a for a in axes] or list(range(len(x)))
            for axis, start, end in zip(axes, starts, ends):
                if axis >= len(x):
                    continue
                n = x[axis]
                start = 0 if start == -233 else start
                end = n if end == -233 else end
                begin = start if start >= 0 else n + start
                out[axis] = (begin, min(n, end if end > 0 else n + end))
        else:
            ax = mat_axes(x)
            letters = _MAT_LETTERS[len(x)].lower()
            for letter in letters:
                begin = self.param(f"{letter}offset")
                size = ax[letter] - begin - self.param(f"{letter}offset2")
                limit = self.param(f"out{letter}")
                out[letters.index(letter)] = (begin, begin + (size if limit == -233 else min(limit, size)))
        return out


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

    def infer_mat(self, in_mats: list[Mat]) -> list[Mat] | None:
        """`slice.cpp`: pieces along `axis` of the `slices` sizes (−233: the rest shared
        evenly among the pieces left), or up to the split points `indices` (the last piece
        takes the rest)."""
        x = tuple(in_mats[0])
        axis = self.param("axis")
        axis = axis + len(x) if axis < 0 else axis
        n, count = x[axis], len(self.results)
        slices, indices = self.param("slices"), self.param("indices")
        out, q = [], 0
        for i in range(count):
            if indices:
                if i == count - 1:
                    size = n - q
                else:
                    point = indices[i] + n if indices[i] < 0 else indices[i]
                    size = point - q
            else:
                size = slices[i]
                if size == -233:
                    size = (n - q) // (count - i)
            out.append(x[:axis] + (size,) + x[axis + 1 :])
            q += size
        if q != n or any(p[axis] <= 0 for p in out):
            raise MatRuleError(f"Slice of {n} along axis {axis} into {[p[axis] for p in out]}")
        return out


@irdl_op_definition
class ConcatOp(NcnnLayer):
    name = "ncnn.Concat"
    PARAMS: ClassVar = {"axis": Param(0, 0)}

    def infer_mat(self, in_mats: list[Mat]) -> list[Mat] | None:
        x = tuple(in_mats[0])
        axis = self.param("axis")
        axis = axis + len(x) if axis < 0 else axis
        for m in in_mats[1:]:
            if len(m) != len(x) or any(a != b for i, (a, b) in enumerate(zip(m, x)) if i != axis):
                raise MatRuleError(f"Concat along axis {axis} of Mats {[list(m) for m in in_mats]}")
        return [x[:axis] + (sum(m[axis] for m in in_mats),) + x[axis + 1 :]]


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

    def infer_mat(self, in_mats: list[Mat]) -> list[Mat] | None:
        """`padding.cpp`: left/right pad w, top/bottom h (2-D and up), front/behind c of a
        3-D Mat and d of a 4-D one."""
        ax = mat_axes(in_mats[0])
        dims = len(in_mats[0])
        ax["w"] += self.param("left") + self.param("right")
        if dims >= 2:
            ax["h"] += self.param("top") + self.param("bottom")
        depth = {3: "c", 4: "d"}.get(dims)
        if depth:
            ax[depth] += self.param("front") + self.param("behind")
        if len(self.operands) > 1:
            return None
        return [mat_from_axes(dims, ax)]


@irdl_op_definition
class FlattenOp(NcnnLayer):
    """Any Mat → 1-D (w = total)."""

    name = "ncnn.Flatten"

    def infer_mat(self, in_mats: list[Mat]) -> list[Mat] | None:
        total = 1
        for d in in_mats[0]:
            total *= d
        return [(total,)]


@irdl_op_definition
class TileOp(NcnnLayer):
    name = "ncnn.Tile"
    PARAMS: ClassVar = {
        "axis": Param(0, 0),
        "tiles": Param(1, 1),
        "repeats": Param(2, [], INTS),
    }

    def infer_mat(self, in_mats: list[Mat]) -> list[Mat] | None:
        """`tile.cpp`: `axis`/`tiles`, or numpy-style `repeats` right-aligned on (c, d, h, w)
        (three repeats on a 4-D Mat are d, h, w); the rank is max(dims, len(repeats)), and a
        lower-rank input keeps its axes' letters (a 3-D Mat's c stays c)."""
        x = tuple(in_mats[0])
        dims = len(x)
        reps = dict.fromkeys("whdc", 1)
        repeats = self.param("repeats")
        if not repeats:
            axis = self.param("axis")
            reps[{1: "w", 2: "hw", 3: "chw", 4: "cdhw"}[dims][axis]] = self.param("tiles")
        else:
            letters = {1: "w", 2: "hw", 3: "dhw" if dims == 4 else "chw", 4: "cdhw"}[len(repeats)]
            reps.update(zip(letters, repeats, strict=True))
        ax = mat_axes(x)
        outdims = max(dims, len(repeats))
        return [mat_from_axes(outdims, {k: ax[k] * reps[k] for k in ax})]
    VULKAN: ClassVar[bool] = False


@irdl_op_definition
class ExpandDimsOp(NcnnLayer):
    """Only `axes` (3) is read by current ncnn; the old expand_w/h/c flags are gone."""

    name = "ncnn.ExpandDims"
    PARAMS: ClassVar = {"axes": Param(3, [], INTS)}

    def infer_mat(self, in_mats: list[Mat]) -> list[Mat] | None:
        x = list(in_mats[0])
        axes = self.param("axes")
        outdims = len(x) + len(axes)
        if outdims > 4:
            raise MatRuleError(f"ExpandDims of a {len(x)}-D Mat by {len(axes)} axes")
        for a in sorted(a + outdims if a < 0 else a for a in axes):
            x.insert(a, 1)
        return [tuple(x)]
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

    def infer_mat(self, in_mats: list[Mat]) -> list[Mat] | None:
        """`squeeze.cpp`: the listed axes (or the flagged w/h/d/c) that are 1 go; none left
        → (1)."""
        x = tuple(in_mats[0])
        axes = self.param("axes")
        if axes:
            gone = {a + len(x) if a < 0 else a for a in axes}
        else:
            letters = {1: "w", 2: "hw", 3: "chw", 4: "cdhw"}[len(x)]
            gone = {i for i, letter in enumerate(letters) if self.param(f"squeeze_{letter}")}
        return [tuple(d for i, d in enumerate(x) if not (i in gone and d == 1)) or (1,)]


@irdl_op_definition
class PixelShuffleOp(NcnnLayer):
    """3-D Mat only. mode 0: out channel p takes in channel p·r² + sh·r + sw (ONNX CRD, torch
    pixel_shuffle); mode 1: (sh·r + sw)·outc + p (ONNX DCR)."""

    name = "ncnn.PixelShuffle"
    PARAMS: ClassVar = {"upscale_factor": Param(0, 1), "mode": Param(1, 0)}

    def infer_mat(self, in_mats: list[Mat]) -> list[Mat] | None:
        c, h, w = _three_d(self, in_mats[0])
        r = self.param("upscale_factor")
        if c % (r * r):
            raise MatRuleError(f"PixelShuffle by {r} of {c} channels")
        return [(c // (r * r), h * r, w * r)]


@irdl_op_definition
class ShuffleChannelOp(KeepsMat, NcnnLayer):
    """`shufflechannel.cpp`: the channels (c of a 3-D or 4-D Mat) seen as a `group` × c/group
    matrix, transposed; `reverse` = 1 takes c/group as the group count (the inverse shuffle).
    A channel count that `group` does not divide is an error at run time."""

    name = "ncnn.ShuffleChannel"
    PARAMS: ClassVar = {"group": Param(0, 1), "reverse": Param(1, 0)}

    @staticmethod
    def source_channels(channels: int, group: int, reverse: int = 0) -> list[int] | None:
        """For each output channel, the input channel it copies (None: group does not divide)."""
        if group <= 0 or channels % group:
            return None
        g = channels // group if reverse else group
        per = channels // g
        src = [0] * channels
        for i in range(g):
            for j in range(per):
                src[g * j + i] = per * i + j
        return src

    def infer_mat(self, in_mats: list[Mat]) -> list[Mat] | None:
        x = tuple(in_mats[0])
        c = x[0] if len(x) >= 3 else 1
        if self.source_channels(c, self.param("group"), self.param("reverse")) is None:
            raise MatRuleError(f"ShuffleChannel group {self.param('group')} of {c} channels")
        return [x]


@irdl_op_definition
class ReorgOp(NcnnLayer):
    """3-D Mat only. mode 0: out channel q·s² + sh·s + sw; mode 1: (sh·s + sw)·c + q (ONNX
    SpaceToDepth)."""

    name = "ncnn.Reorg"
    PARAMS: ClassVar = {"stride": Param(0, 1), "mode": Param(1, 0)}

    def infer_mat(self, in_mats: list[Mat]) -> list[Mat] | None:
        c, h, w = _three_d(self, in_mats[0])
        s = self.param("stride")
        return [(c * s * s, h // s, w // s)]


@irdl_op_definition
class FlipOp(KeepsMat, NcnnLayer):
    """Reverses the Mat along `axes` (numpy order, batch-less). No Vulkan kernel."""

    name = "ncnn.Flip"
    VULKAN: ClassVar[bool] = False
    PARAMS: ClassVar = {"axes": Param(0, [], INTS)}


@irdl_op_definition
class NoopOp(NcnnLayer):
    name = "ncnn.Noop"

    def infer_mat(self, in_mats: list[Mat]) -> list[Mat] | None:
        return [tuple(m) for m in in_mats[: len(self.results)]]


def _three_d(layer: NcnnLayer, mat: Mat) -> tuple[int, int, int]:
    if len(mat) != 3:
        raise MatRuleError(f"{layer.layer_type} takes a 3-D Mat, got {list(mat)}")
    return tuple(mat)


LAYERS: list[type[NcnnLayer]] = [
    PermuteOp, CropOp, SliceOp, ConcatOp, PaddingOp, FlattenOp, TileOp, ExpandDimsOp,
    SqueezeOp, PixelShuffleOp, ShuffleChannelOp, ReorgOp, NoopOp,
    FlipOp,
]  # fmt: skip

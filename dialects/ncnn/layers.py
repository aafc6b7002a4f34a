"""Core ncnn layers: activations, elementwise arithmetic, Split, MemoryData, Reshape.

Each table is transcribed from ncnn's `src/layer/<layer>.cpp` (`load_param`, `load_model`)
and `docs/developer-guide/operation-param-weight-table.md`: param name → Param(id, default,
kind), weights in load order with whether the loader reads a type tag (`mb.load(n, 0)`).
"""

from __future__ import annotations

from typing import ClassVar

from xdsl.irdl import irdl_op_definition, traits_def

from ncc.dialects.ncnn.base import (
    FLOAT,
    FLOATS,
    STR,
    KeepsMat,
    Mat,
    MatRuleError,
    NcnnLayer,
    Param,
    Weight,
    mat_axes,
    mat_from_axes,
)
from ncc.dialects.ncnn.size_expr import fit_size_expr
from ncc.dialects.ncnn.traits import FusedActivation, FusedReLU


@irdl_op_definition
class ReLUOp(KeepsMat, NcnnLayer):
    name = "ncnn.ReLU"
    traits = traits_def(FusedReLU())
    PARAMS: ClassVar = {"slope": Param(0, 0.0, FLOAT)}


@irdl_op_definition
class BinaryOpOp(NcnnLayer):
    name = "ncnn.BinaryOp"
    PARAMS: ClassVar = {
        "op_type": Param(0, 0),
        "with_scalar": Param(1, 0),
        "b": Param(2, 0.0, FLOAT),
    }

    def infer_mat(self, in_mats: list[Mat]) -> list[Mat] | None:
        """`binaryop.cpp::forward`: a lower-rank operand is aligned to the *outer* axes (a
        1-D one to the outer axis when its size equals it, else to w), then every axis
        broadcasts by max; sizes that are neither equal nor 1 are a placement bug."""
        if self.param("with_scalar") or len(in_mats) == 1:
            return [tuple(in_mats[0])]
        a, b = (tuple(m) for m in in_mats[:2])
        dims = max(len(a), len(b))
        a2, b2 = _outer_aligned(a, b, dims), _outer_aligned(b, a, dims)
        out = []
        for x, y in zip(a2, b2, strict=True):
            if x != y and x != 1 and y != 1:
                raise MatRuleError(f"BinaryOp cannot broadcast Mats {list(a)} and {list(b)}")
            out.append(max(x, y))
        return [tuple(out)]


def _outer_aligned(m: Mat, other: Mat, dims: int) -> Mat:
    """ncnn BinaryOp's expansion of a lower-rank operand to `dims` axes."""
    if len(m) == dims:
        return m
    if len(m) == 1:
        # a vector matches the other's outer axis (h of 2-D, c of 3/4-D) when sizes agree
        return (m[0],) + (1,) * (dims - 1) if m[0] == other[0] else (1,) * (dims - 1) + (m[0],)
    return m + (1,) * (dims - len(m))


@irdl_op_definition
class SplitOp(KeepsMat, NcnnLayer):
    name = "ncnn.Split"


@irdl_op_definition
class MemoryDataOp(NcnnLayer):
    name = "ncnn.MemoryData"
    PARAMS: ClassVar = {
        "w": Param(0, 0),
        "h": Param(1, 0),
        "d": Param(11, 0),
        "c": Param(2, 0),
        "load_type": Param(21, 1),
    }
    WEIGHTS: ClassVar = (Weight("data", False),)

    def infer_mat(self, in_mats: list[Mat]) -> list[Mat] | None:
        """`memorydata.cpp::load_model`: d set → 4-D, else c → 3-D, h → 2-D, w → 1-D, else
        one element."""
        w, h, d, c = (self.param(k) for k in "whdc")
        if d:
            return [(c, d, h, w)]
        if c:
            return [(c, h, w)]
        if h:
            return [(h, w)]
        return [(w,)] if w else [(1,)]


@irdl_op_definition
class ReshapeOp(NcnnLayer):
    """A raw C-order reinterpretation; the number of w/h/d/c keys written decides the rank.
    12/13 move a batch axis into / out of a dimension (ncnn's 2026 batch support)."""

    name = "ncnn.Reshape"
    PARAMS: ClassVar = {
        "w": Param(0, -233),
        "h": Param(1, -233),
        "d": Param(11, -233),
        "c": Param(2, -233),
        "shape_expr": Param(6, "", STR),
        "input_batch_axis": Param(12, 233),
        "output_batch_axis": Param(13, 233),
    }

    @classmethod
    def generalize_params(cls, samples):
        """One differing w/h/d/c becomes -1 (the rest of the input) when no other is -1;
        otherwise the shape becomes a size expression of the input's dims (6=, w first), with
        -1 kept or given to the first differing axis. Batch-axis reshapes keep their numbers."""
        ids = {k: cls.PARAMS[k].id for k in "whdc"}
        base = samples[0][0]
        keys = set().union(*(p for p, _ in samples))
        diff = {k for k in keys if len({p.get(k) for p, _ in samples}) > 1}
        written = [ids[k] for k in "whdc" if ids[k] in base]
        if not diff <= set(written):
            return None
        if "-1" not in {base.get(i) for i in written}:
            first = next(i for i in written if i in diff)
            if len(diff) == 1:
                return {**base, first: "-1"}
        else:
            first = None
        if any(m is None or len(m) != 1 for _, m in samples):  # expressions need the input's dims
            return None
        items = []
        for i in written:
            if i == first:
                items.append("-1")
            elif i in diff:
                expr = fit_size_expr([int(p[i]) for p, _ in samples], [m for _, m in samples])
                if expr is None:
                    return None
                items.append(expr)
            else:
                items.append(base[i])
        out = {k: v for k, v in base.items() if k not in ids.values()}
        out[cls.PARAMS["shape_expr"].id] = '"' + ",".join(items) + '"'
        return out

    def infer_mat(self, in_mats: list[Mat]) -> list[Mat] | None:
        """`reshape.cpp::forward`: the rank is the number of w/h/(d)/c keys written (w only
        → 1-D, + h → 2-D, + c → 3-D, + d → 4-D); 0 copies the input's same ncnn axis, -1
        takes the rest. With a batch axis (12 / 13) the params name the whole logical shape,
        batch included: 13 moves that axis into ncnn's batch (the per-item Mat loses it),
        12 brings the batch back into it (the Mat is the params' shape)."""
        if self.param("shape_expr"):
            return None
        ax = {k: self.param(k) for k in "whdc"}
        ndim = 4 if ax["d"] != -233 else 3
        if ax["c"] == -233:
            ndim = 2
        if ax["h"] == -233:
            ndim = 1
        if ax["w"] == -233:
            return None
        src = mat_axes(in_mats[0])
        keys = "w" if ndim == 1 else "wh" if ndim == 2 else "whc" if ndim == 3 else "whdc"
        out = {k: src[k] if ax[k] == 0 else ax[k] for k in keys}
        total = src["w"] * src["h"] * src["d"] * src["c"]
        free = [k for k in keys if out[k] == -1]
        if len(free) > 1:
            raise MatRuleError(f"Reshape has {len(free)} axes of -1")
        if free:
            rest = 1
            for k in keys:
                if k != free[0]:
                    rest *= out[k]
            out[free[0]] = total // rest
        full = mat_from_axes(ndim, {**{"w": 1, "h": 1, "d": 1, "c": 1}, **out})
        into_batch, from_batch = self.param("output_batch_axis"), self.param("input_batch_axis")
        if into_batch != 233:
            axis = into_batch + len(full) if into_batch < 0 else into_batch
            return [full[:axis] + full[axis + 1 :] or (1,)]
        size = 1
        for x in full:
            size *= x
        if from_batch == 233 and size != total:
            raise MatRuleError(f"Reshape of a Mat {list(in_mats[0])} ({total} elements) to {list(full)}")
        return [full]


FLT_MAX = 3.4028234663852886e38


@irdl_op_definition
class ClipOp(KeepsMat, NcnnLayer):
    name = "ncnn.Clip"
    traits = traits_def(FusedActivation(3, ("min", "max")))
    PARAMS: ClassVar = {"min": Param(0, -FLT_MAX, FLOAT), "max": Param(1, FLT_MAX, FLOAT)}


@irdl_op_definition
class SigmoidOp(KeepsMat, NcnnLayer):
    name = "ncnn.Sigmoid"
    traits = traits_def(FusedActivation(4))


@irdl_op_definition
class TanHOp(KeepsMat, NcnnLayer):
    name = "ncnn.TanH"


@irdl_op_definition
class ELUOp(KeepsMat, NcnnLayer):
    name = "ncnn.ELU"
    PARAMS: ClassVar = {"alpha": Param(0, 0.1, FLOAT)}


@irdl_op_definition
class CELUOp(KeepsMat, NcnnLayer):
    """x < 0: alpha * (exp(x / alpha) - 1); else x."""

    name = "ncnn.CELU"
    PARAMS: ClassVar = {"alpha": Param(0, 1.0, FLOAT)}


@irdl_op_definition
class SELUOp(KeepsMat, NcnnLayer):
    """x < 0: (exp(x) - 1) * alpha * lambda; else x * lambda."""

    name = "ncnn.SELU"
    PARAMS: ClassVar = {"alpha": Param(0, 1.67326324, FLOAT), "lambda_": Param(1, 1.050700987, FLOAT)}


@irdl_op_definition
class ShrinkOp(KeepsMat, NcnnLayer):
    """x < -lambd: x + bias; x > lambd: x - bias; else 0 (ONNX Shrink exactly)."""

    name = "ncnn.Shrink"
    PARAMS: ClassVar = {"bias": Param(0, 0.0, FLOAT), "lambd": Param(1, 0.5, FLOAT)}


@irdl_op_definition
class ThresholdOp(KeepsMat, NcnnLayer):
    """x > threshold ? 1 : 0, an exact float comparison. No Vulkan kernel."""

    name = "ncnn.Threshold"
    VULKAN: ClassVar[bool] = False
    PARAMS: ClassVar = {"threshold": Param(0, 0.0, FLOAT)}


@irdl_op_definition
class HardSigmoidOp(KeepsMat, NcnnLayer):
    name = "ncnn.HardSigmoid"
    PARAMS: ClassVar = {"alpha": Param(0, 0.2, FLOAT), "beta": Param(1, 0.5, FLOAT)}


@irdl_op_definition
class HardSwishOp(KeepsMat, NcnnLayer):
    name = "ncnn.HardSwish"
    traits = traits_def(FusedActivation(6, ("alpha", "beta")))
    PARAMS: ClassVar = {"alpha": Param(0, 0.2, FLOAT), "beta": Param(1, 0.5, FLOAT)}


@irdl_op_definition
class GELUOp(KeepsMat, NcnnLayer):
    name = "ncnn.GELU"
    PARAMS: ClassVar = {"fast_gelu": Param(0, 0)}
    # The Vulkan kernel evaluates the tanh approximation of GELU whatever `fast_gelu` says:
    # measured on the 1.0.20261020 wheel, abs error up to 4.7e-4 against the erf form (CPU:
    # 4e-7), i.e. 1.2e-4 of the range of a GELU over N(0, 3) inputs and 1.5-1.7e-4 at the
    # output of a ViT. ncnn's Erf layer is exact on Vulkan (6e-7), but an erf-form GELU costs
    # five layers instead of one on every device: ncc keeps GELU and verify accepts this.
    VULKAN_FP32_RTOL: ClassVar = 1e-3


@irdl_op_definition
class MishOp(KeepsMat, NcnnLayer):
    name = "ncnn.Mish"
    traits = traits_def(FusedActivation(5))


@irdl_op_definition
class SwishOp(KeepsMat, NcnnLayer):
    name = "ncnn.Swish"


@irdl_op_definition
class SoftplusOp(KeepsMat, NcnnLayer):
    name = "ncnn.Softplus"


@irdl_op_definition
class ErfOp(KeepsMat, NcnnLayer):
    name = "ncnn.Erf"


@irdl_op_definition
class PReLUOp(KeepsMat, NcnnLayer):
    name = "ncnn.PReLU"
    PARAMS: ClassVar = {"num_slope": Param(0, 0)}
    WEIGHTS: ClassVar = (Weight("slope", False),)


@irdl_op_definition
class SoftmaxOp(KeepsMat, NcnnLayer):
    """fixbug0 must be 1: the old behaviour on 3-D axes is wrong (reference §2.2)."""

    name = "ncnn.Softmax"
    PARAMS: ClassVar = {"axis": Param(0, 0), "fixbug0": Param(1, 0)}


@irdl_op_definition
class UnaryOpOp(KeepsMat, NcnnLayer):
    """op_type: 0 abs 1 neg 2 floor 3 ceil 4 square 5 sqrt 6 rsqrt 7 exp 8 log 9 sin 10 cos
    11 tan 12 asin 13 acos 14 atan 15 reciprocal 16 tanh 17 log10 18 round 19 trunc
    20 sign 21 expm1 22 sinh 23 asinh 24 cosh 25 acosh 26 atanh 27 log1p (20-27: 2025+)."""

    name = "ncnn.UnaryOp"
    PARAMS: ClassVar = {"op_type": Param(0, 0)}
    OP_TYPES: ClassVar[dict[str, int]] = {
        "abs": 0, "neg": 1, "floor": 2, "ceil": 3, "square": 4, "sqrt": 5, "rsqrt": 6, "exp": 7,
        "log": 8, "sin": 9, "cos": 10, "tan": 11, "asin": 12, "acos": 13, "atan": 14,
        "reciprocal": 15, "tanh": 16, "log10": 17, "round": 18, "trunc": 19,
    }  # fmt: skip
    """`op_type` by function name."""


@irdl_op_definition
class EltwiseOp(KeepsMat, NcnnLayer):
    name = "ncnn.Eltwise"
    PARAMS: ClassVar = {"op_type": Param(0, 0), "coeffs": Param(1, [], FLOATS)}


@irdl_op_definition
class DropoutOp(KeepsMat, NcnnLayer):
    name = "ncnn.Dropout"
    PARAMS: ClassVar = {"scale": Param(0, 1.0, FLOAT)}


LAYERS: list[type[NcnnLayer]] = [
    ReLUOp, BinaryOpOp, SplitOp, MemoryDataOp, ReshapeOp, ClipOp, SigmoidOp, TanHOp, ELUOp,
    HardSigmoidOp, HardSwishOp, GELUOp, MishOp, SwishOp, SoftplusOp, ErfOp, PReLUOp, SoftmaxOp,
    UnaryOpOp, EltwiseOp, DropoutOp, CELUOp, SELUOp, ShrinkOp, ThresholdOp,
]  # fmt: skip

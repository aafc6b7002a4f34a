"""Core ncnn layers: activations, elementwise arithmetic, Split, MemoryData, Reshape.

Each table is transcribed from ncnn's `src/layer/<layer>.cpp` (`load_param`, `load_model`)
and `docs/developer-guide/operation-param-weight-table.md`: param name → Param(id, default,
kind), weights in load order with whether the loader reads a type tag (`mb.load(n, 0)`).
"""

from __future__ import annotations

from typing import ClassVar

from xdsl.irdl import irdl_op_definition

from ncc.dialects.ncnn.base import FLOAT, FLOATS, STR, NcnnLayer, Param, Weight


@irdl_op_definition
class ReLUOp(NcnnLayer):
    name = "ncnn.ReLU"
    PARAMS: ClassVar = {"slope": Param(0, 0.0, FLOAT)}


@irdl_op_definition
class BinaryOpOp(NcnnLayer):
    name = "ncnn.BinaryOp"
    PARAMS: ClassVar = {
        "op_type": Param(0, 0),
        "with_scalar": Param(1, 0),
        "b": Param(2, 0.0, FLOAT),
    }


@irdl_op_definition
class SplitOp(NcnnLayer):
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


FLT_MAX = 3.4028234663852886e38


@irdl_op_definition
class ClipOp(NcnnLayer):
    name = "ncnn.Clip"
    PARAMS: ClassVar = {"min": Param(0, -FLT_MAX, FLOAT), "max": Param(1, FLT_MAX, FLOAT)}


@irdl_op_definition
class SigmoidOp(NcnnLayer):
    name = "ncnn.Sigmoid"


@irdl_op_definition
class TanHOp(NcnnLayer):
    name = "ncnn.TanH"


@irdl_op_definition
class ELUOp(NcnnLayer):
    name = "ncnn.ELU"
    PARAMS: ClassVar = {"alpha": Param(0, 0.1, FLOAT)}


@irdl_op_definition
class HardSigmoidOp(NcnnLayer):
    name = "ncnn.HardSigmoid"
    PARAMS: ClassVar = {"alpha": Param(0, 0.2, FLOAT), "beta": Param(1, 0.5, FLOAT)}


@irdl_op_definition
class HardSwishOp(NcnnLayer):
    name = "ncnn.HardSwish"
    PARAMS: ClassVar = {"alpha": Param(0, 0.2, FLOAT), "beta": Param(1, 0.5, FLOAT)}


@irdl_op_definition
class GELUOp(NcnnLayer):
    name = "ncnn.GELU"
    PARAMS: ClassVar = {"fast_gelu": Param(0, 0)}


@irdl_op_definition
class MishOp(NcnnLayer):
    name = "ncnn.Mish"


@irdl_op_definition
class SwishOp(NcnnLayer):
    name = "ncnn.Swish"


@irdl_op_definition
class SoftplusOp(NcnnLayer):
    name = "ncnn.Softplus"


@irdl_op_definition
class ErfOp(NcnnLayer):
    name = "ncnn.Erf"


@irdl_op_definition
class PReLUOp(NcnnLayer):
    name = "ncnn.PReLU"
    PARAMS: ClassVar = {"num_slope": Param(0, 0)}
    WEIGHTS: ClassVar = (Weight("slope", False),)


@irdl_op_definition
class SoftmaxOp(NcnnLayer):
    """fixbug0 must be 1: the old behaviour on 3-D axes is wrong (reference §2.2)."""

    name = "ncnn.Softmax"
    PARAMS: ClassVar = {"axis": Param(0, 0), "fixbug0": Param(1, 0)}


@irdl_op_definition
class UnaryOpOp(NcnnLayer):
    """op_type: 0 abs 1 neg 2 floor 3 ceil 4 square 5 sqrt 6 rsqrt 7 exp 8 log 9 sin 10 cos
    11 tan 12 asin 13 acos 14 atan 15 reciprocal 16 tanh 17 log10 18 round 19 trunc."""

    name = "ncnn.UnaryOp"
    PARAMS: ClassVar = {"op_type": Param(0, 0)}


@irdl_op_definition
class EltwiseOp(NcnnLayer):
    name = "ncnn.Eltwise"
    PARAMS: ClassVar = {"op_type": Param(0, 0), "coeffs": Param(1, [], FLOATS)}


@irdl_op_definition
class DropoutOp(NcnnLayer):
    name = "ncnn.Dropout"
    PARAMS: ClassVar = {"scale": Param(0, 1.0, FLOAT)}


LAYERS: list[type[NcnnLayer]] = [
    ReLUOp, BinaryOpOp, SplitOp, MemoryDataOp, ReshapeOp, ClipOp, SigmoidOp, TanHOp, ELUOp,
    HardSigmoidOp, HardSwishOp, GELUOp, MishOp, SwishOp, SoftplusOp, ErfOp, PReLUOp, SoftmaxOp,
    UnaryOpOp, EltwiseOp, DropoutOp,
]  # fmt: skip

"""The `onnx` dialect: one op class per supported ONNX op, plus `onnx.Node` for the rest."""

from xdsl.ir import Dialect

from ncc.dialects.onnx import (
    attention, cast_like, control, elementwise, nn, recurrent, reduce, rms_norm, swish, tensor, trilu,
)
from ncc.dialects.onnx.base import ConstantOp, NodeOp, NoValueOp, OnnxOp, const_value

OPS: list[type[OnnxOp]] = [
    ConstantOp,
    NoValueOp,
    NodeOp,
    *elementwise.OPS,
    *nn.OPS,
    *reduce.OPS,
    *tensor.OPS,
    *recurrent.OPS,
    *attention.OPS,
    *control.OPS,
    *cast_like.OPS,
    *rms_norm.OPS,
    *swish.OPS,
    *trilu.OPS,
]

OPS_BY_TYPE: dict[str, type[OnnxOp]] = {
    cls.name.split(".", 1)[1]: cls for cls in OPS if cls not in (NodeOp, NoValueOp, control.YieldOp)
}
"""ONNX op_type → op class, used by the importer."""

ONNX = Dialect("onnx", list(OPS), [])



def register_ops(classes) -> None:
    """Add op classes defined outside ncc (a plug-in): the importer maps nodes of their
    ONNX type to them, and the dialect parses them."""
    for cls in classes:
        OPS_BY_TYPE[cls.name.split(".", 1)[1]] = cls
        # a plug-in file loaded again defines new classes of the same names: they replace the
        # old ones (two ops of one name would stop every Context from loading the dialect)
        for old in [c for c in OPS if c.name == cls.name and c is not cls]:
            OPS.remove(old)
            ONNX._operations.remove(old)  # noqa: SLF001
        if cls not in OPS:
            OPS.append(cls)
            ONNX._operations.append(cls)  # noqa: SLF001 - xDSL Dialects have no add-op API


__all__ = ["register_ops", "ONNX", "OPS", "OPS_BY_TYPE", "ConstantOp", "NoValueOp", "NodeOp", "OnnxOp", "const_value"]

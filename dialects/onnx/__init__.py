"""The `onnx` dialect: one op class per supported ONNX op, plus `onnx.Node` for the rest."""

from xdsl.ir import Dialect

from ncc.dialects.onnx import attention, control, elementwise, nn, recurrent, reduce, tensor
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
]

OPS_BY_TYPE: dict[str, type[OnnxOp]] = {
    cls.name.split(".", 1)[1]: cls for cls in OPS if cls not in (NodeOp, NoValueOp, control.YieldOp)
}
"""ONNX op_type → op class, used by the importer."""

ONNX = Dialect("onnx", list(OPS), [])

__all__ = ["ONNX", "OPS", "OPS_BY_TYPE", "ConstantOp", "NoValueOp", "NodeOp", "OnnxOp", "const_value"]

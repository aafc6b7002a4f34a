"""Control flow: ONNX `If`, whose branches are subgraphs (regions here).

ncnn has no control flow, so an If is only compiled when its condition becomes a constant
(TorchScript exports test shapes with `Equal(Gather(Shape(x)), k)`, which folds once the
input shapes are static): `onnx-canonicalize` then inlines the branch taken. An If whose
condition stays data-dependent is refused by `onnx-check-static`.
"""

from __future__ import annotations

from typing import ClassVar

from xdsl.irdl import irdl_op_definition, operand_def, region_def, traits_def, var_operand_def, var_result_def
from xdsl.traits import IsTerminator, Pure, RecursiveMemoryEffect

from ncc.dialects.onnx.base import OnnxOp
from ncc.dialects.onnx.versions import MAX_OPSET


@irdl_op_definition
class YieldOp(OnnxOp):
    """The outputs of an If branch (the subgraph's outputs, in order)."""

    name = "onnx.Yield"
    values = var_operand_def()
    traits = traits_def(Pure(), IsTerminator())
    OPSETS: ClassVar[tuple[int, int]] = (1, MAX_OPSET)


@irdl_op_definition
class IfOp(OnnxOp):
    """If(cond) then_branch else_branch: the results are the taken branch's outputs. The
    branches may use any value defined before the If."""

    name = "onnx.If"
    cond = operand_def()
    outputs = var_result_def()
    then_branch = region_def("single_block")
    else_branch = region_def("single_block")
    traits = traits_def(RecursiveMemoryEffect())
    # versions 11-23 only widened the types (optional and sequence outputs, ...)
    OPSETS: ClassVar[tuple[int, int]] = (1, MAX_OPSET)

    def branch(self, taken: bool):
        """The block of the branch taken when the condition is `taken`."""
        return (self.then_branch if taken else self.else_branch).block


OPS = [IfOp, YieldOp]

__all__ = ["OPS", "IfOp", "YieldOp"]

"""ONNX `CastLike` (opset 15): Cast to the element type of a second input.

Exporters (torch's dynamo exporter, onnxscript function bodies) write it where the target
type is another tensor's. Once that tensor's type is inferred the op is a plain Cast
(`lowering/onnx/cast_like.py` rewrites it), so it takes Cast's lowering and refusals.
"""

from __future__ import annotations

from typing import ClassVar

from xdsl.dialects.builtin import StringAttr, TensorType
from xdsl.irdl import irdl_op_definition, operand_def, opt_prop_def, result_def

from ncc.dialects.common import numpy_dtype
from ncc.dialects.onnx.base import OnnxOp, int_prop, typed
from ncc.dialects.onnx.versions import MAX_OPSET


@irdl_op_definition
class CastLikeOp(OnnxOp):
    name = "onnx.CastLike"
    # 19: saturate, 24: round_mode (both for float8 targets, which ncc refuses by name);
    # 21-25: new types only
    OPSETS: ClassVar[tuple[int, int]] = (15, MAX_OPSET)
    input = operand_def()
    target_type = operand_def()
    output = result_def()
    saturate = int_prop(1)
    round_mode = opt_prop_def(StringAttr)

    def target_known(self) -> bool:
        """Whether the target's element type is inferred (an unranked value's f32 is a
        placeholder)."""
        return isinstance(self.target_type.type, TensorType)

    def infer_types(self):
        s = self.in_shape(0)
        if s is None or not self.target_known():
            return None
        return [typed(s, self.target_type.type)]

    def evaluate(self, x, target):
        return [x.astype(target.dtype if target is not None else numpy_dtype(self.target_type.type.element_type))]


OPS = [CastLikeOp]

__all__ = ["OPS", "CastLikeOp"]

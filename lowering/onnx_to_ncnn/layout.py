"""onnx → ncnn: moves of the batch axis (`layout` dialect) → ncnn Reshape 13 / 12."""

from __future__ import annotations

from ncc.dialects.common import static_shape
from ncc.dialects.layout import BatchToDimOp, DimToBatchOp
from ncc.dialects.ncnn import layers as L
from ncc.lowering.dispatch import NoMatch
from ncc.lowering.onnx_to_ncnn.common import LayerBuilder, OnnxToNcnnPattern, reshape_params

def _logical_params(shape: tuple[int, ...]) -> dict[str, int]:
    """Reshape params naming the whole logical shape, batch axis included (reference §7.B):
    (N, C, H, W) → c=N d=C h=H w=W."""
    return reshape_params(shape)


class DimToBatchToReshape(OnnxToNcnnPattern):
    OP = DimToBatchOp

    def convert(self, op: DimToBatchOp, b: LayerBuilder):
        full = static_shape(op.input.type)
        if len(full) > 4:
            raise NoMatch(f"moving axis 0 of a rank-{len(full)} tensor into the batch is not supported")
        return b.layer(L.ReshapeOp, [op.input], op.output.type, {**_logical_params(full), "output_batch_axis": 0})


class BatchToDimToReshape(OnnxToNcnnPattern):
    OP = BatchToDimOp

    def convert(self, op: BatchToDimOp, b: LayerBuilder):
        full = static_shape(op.output.type)
        if len(full) > 4:
            raise NoMatch(f"moving the batch into axis 0 of a rank-{len(full)} tensor is not supported")
        return b.layer(L.ReshapeOp, [op.input], op.output.type, {**_logical_params(full), "input_batch_axis": 0})


PATTERNS = [DimToBatchToReshape(), BatchToDimToReshape()]

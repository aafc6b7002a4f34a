"""onnx → ncnn for table lookups: Gather of a constant (num, dim) table by run-time integer
indices (`nn.Embedding`, `F.embedding`) → ncnn `Embed`.

Embed reads its input Mat's bytes as int32 words, so the indices must reach it untouched:
they must be a model input of shape (L) or (1, L) (a 1-D Mat) used by nothing else. The
manifest then says `"feed": "int32"` for that input, and `ncc verify` / `ncc run` put the
int32 values' bytes in the Mat (see `ncc.verify.ncnn_feed`). Indices must lie in
[0, num): Embed clamps an index outside, where ONNX wraps a negative one.
"""

from __future__ import annotations

import numpy as np
from xdsl.ir import BlockArgument

from ncc.dialects.ncnn import sequence as S
from ncc.dialects.ncnn.base import mat_shape
from ncc.dialects.onnx import tensor as T
from ncc.lowering.dispatch import NoMatch
from ncc.lowering.onnx_to_ncnn.common import LayerBuilder, OnnxToNcnnPattern
from ncc.lowering.onnx_to_ncnn.nn import emit, input_shape


class GatherToEmbed(OnnxToNcnnPattern):
    OP = T.GatherOp

    def convert(self, op: T.GatherOp, b: LayerBuilder):
        if not op.is_table_lookup():
            raise NoMatch(
                "only a lookup of rows of a constant 2-D table by run-time integer indices becomes "
                "ncnn Embed (other Gathers are rewritten into slices before the conversion)"
            )
        table = np.asarray(op.in_const(0), np.float32)
        idx = op.indices
        shape = input_shape(op, b, 1)
        if not isinstance(idx, BlockArgument) or len(list(idx.uses)) != 1:
            raise NoMatch(
                "run-time indices of an embedding must be a model input used only by this Gather "
                "(ncnn Embed reads the int32 bytes of its input Mat; any layer in between would convert them)"
            )
        if len(mat_shape(shape)) != 1 or len(shape) > 2:
            raise NoMatch(f"embedding indices of shape {list(shape)}: ncnn Embed reads a 1-D list of words")
        num, dim = table.shape
        params = {"num_output": dim, "input_dim": num, "weight_data_size": int(table.size)}
        words = int(np.prod(shape))
        out = op.out_shape()
        return emit(b, S.EmbedOp, [idx], (words, dim), out, op.output.type, params, {"weight": table})


PATTERNS = [GatherToEmbed()]

"""ONNX TensorProto data types ↔ numpy, without importing onnx (only the frontend may)."""

from __future__ import annotations

import numpy as np

from ncc.dialects.common import NccError

# TensorProto.DataType values (onnx/onnx.proto)
ONNX_TO_NUMPY: dict[int, np.dtype] = {
    1: np.dtype(np.float32),
    2: np.dtype(np.uint8),
    3: np.dtype(np.int8),
    5: np.dtype(np.int16),
    6: np.dtype(np.int32),
    7: np.dtype(np.int64),
    9: np.dtype(np.bool_),
    10: np.dtype(np.float16),
    11: np.dtype(np.float64),
}


def onnx_to_numpy(elem_type: int) -> np.dtype:
    if elem_type not in ONNX_TO_NUMPY:
        raise NccError(f"unsupported ONNX element type {elem_type}")
    return ONNX_TO_NUMPY[elem_type]

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


ONNX_TYPE_NAMES: tuple[str, ...] = (
    "UNDEFINED", "FLOAT", "UINT8", "INT8", "UINT16", "INT16", "INT32", "INT64", "STRING", "BOOL",
    "FLOAT16", "DOUBLE", "UINT32", "UINT64", "COMPLEX64", "COMPLEX128", "BFLOAT16",
    "FLOAT8E4M3FN", "FLOAT8E4M3FNUZ", "FLOAT8E5M2", "FLOAT8E5M2FNUZ", "UINT4", "INT4",
    "FLOAT4E2M1", "FLOAT8E8M0", "UINT2", "INT2", "FLOAT6E2M3", "FLOAT6E3M2",
)  # fmt: skip
"""TensorProto.DataType names by value (onnx 1.23: up to opset 28's FLOAT6 types), so that a
refusal names the type."""


def onnx_type_name(elem_type: int) -> str:
    if 0 <= elem_type < len(ONNX_TYPE_NAMES):
        return ONNX_TYPE_NAMES[elem_type]
    return f"element type {elem_type}"


def onnx_to_numpy(elem_type: int) -> np.dtype:
    if elem_type not in ONNX_TO_NUMPY:
        raise NccError(f"unsupported ONNX element type {elem_type} ({onnx_type_name(elem_type)})")
    return ONNX_TO_NUMPY[elem_type]

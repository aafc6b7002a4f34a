"""ncc's dialects: `onnx` (tensor level, one op per ONNX op) and `ncnn` (one op per layer)."""

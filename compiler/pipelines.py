"""Named pipelines as pass-spec strings (`ncc compile --print-pipeline` prints them)."""

from __future__ import annotations

DEFAULT = ",".join(
    [
        "set-input-shapes",
        "onnx-simplify",
        "onnx-where-to-arithmetic",
        "onnx-indexing-to-slices",
        "onnx-expand-to-tile",
        "onnx-simplify",
        "onnx-fold-batchnorm",
        "onnx-batch-layout",
        "onnx-simplify",
        "onnx-fuse-attention",
        "onnx-layout-assign",
        "onnx-simplify",
        "onnx-check-static",
        "convert-onnx-to-ncnn",
        "ncnn-materialize-outputs",
        "cse",
        "ncnn-fold-affine",
        "ncnn-fuse-swish",
        "ncnn-fuse-activation",
        "ncnn-fuse-shuffle-channel",
        "ncnn-fold-reshapes",
        "ncnn-fold-permutes",
        "ncnn-fuse-slices",
        "ncnn-fold-reshapes",
        "ncnn-fp32-accumulation",
        "ncnn-insert-split",
        "ncnn-legalize",
    ]
)

PIPELINES = {"default": DEFAULT}

"""aten decompositions the exporter lacks, given to `run_decompositions` before a retry."""

from __future__ import annotations


def adaptive_avg_pool3d_as_avg_pool(x, output_size):
    """`adaptive_avg_pool3d` as the `avg_pool3d` it equals when each output size divides the
    input size (a decomposition for torch's dynamo exporter, which has none)."""
    import torch

    sizes = x.shape[-3:]
    if any(i % o for i, o in zip(sizes, output_size, strict=True)):
        raise NotImplementedError(f"adaptive pooling {list(sizes)} → {list(output_size)} is not an even split")
    kernel = [i // o for i, o in zip(sizes, output_size, strict=True)]
    return torch.ops.aten.avg_pool3d.default(x, kernel, kernel)

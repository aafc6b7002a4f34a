"""EfficientPhys under each batch strategy: one row per strategy.

    python benchmarks/efficientphys_strategies.py [--size 72] [--export dynamo|torchscript]
                                                  [--repeats 20] [--csv out.csv]

Builds EfficientPhys (examples/efficientphys.py, random weights, T = 20 frames + 1), exports it
to ONNX once, and runs `ncc compare` with the `batch-strategies` variant set: ncnn layers,
`.bin` size, layers that fall back to CPU under Vulkan, ncnn CPU latency (median of repeated
runs, 1 and 2 threads, fp32) and the max error against onnxruntime. Figures, not a test.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def export_efficientphys(size: int, export: str, path: Path) -> Path:
    import torch

    spec = importlib.util.spec_from_file_location("efficientphys", REPO / "examples" / "efficientphys.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    torch.manual_seed(0)
    model = mod.EfficientPhys(img_size=size, diff="torch" if export == "dynamo" else "slice").eval()
    x = torch.randn(21, 3, size, size)
    if export == "dynamo":
        torch.onnx.export(model, (x,), str(path), input_names=["frames"], dynamo=True, external_data=False)
    else:
        torch.onnx.export(model, (x,), str(path), input_names=["frames"], dynamo=False, opset_version=13)
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=72, help="frame size S (72 or 36)")
    ap.add_argument("--export", default="dynamo", choices=["dynamo", "torchscript"])
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--csv", help="also write the table as CSV")
    a = ap.parse_args(argv)

    from ncc.compare import compare_variants, variant_set

    with tempfile.TemporaryDirectory(prefix="ncc-bench-") as tmp:
        model = export_efficientphys(a.size, a.export, Path(tmp) / f"efficientphys{a.size}.onnx")
        report = compare_variants(model, variant_set("batch-strategies"), repeats=a.repeats)
    print(f"EfficientPhys, input (21, 3, {a.size}, {a.size}), {a.export} export, median of {a.repeats} runs")
    print(report.table())
    if a.csv:
        Path(a.csv).write_text(report.csv())
    return 0 if all(not r.error for r in report.rows) else 1


if __name__ == "__main__":
    sys.exit(main())

"""fp16 calibration on real architectures: per model, ncnn's Vulkan fp16 error before and after
`--fp16-calibrate`, how many layers it kept in fp32, and what that costs in fp16 latency.

    python benchmarks/fp16_precision.py [--models cspdarknet53,res2net50_14w_8s] [--size 96]

Models are timm architectures with random weights (no downloads), eval mode, exported once
with torch's TorchScript exporter (opset 17); each is compiled with no options, verified,
calibrated on seeded inputs and verified again on other seeded inputs (seed 1), so the figure
after calibration is not measured on the inputs it was calibrated on. Latency: the runner's
timing mode on Vulkan fp16 (median of 5 runs after 2 warm-up runs; with Mesa lavapipe the
"GPU" is this machine's CPU, so the cost of a layer moved to the CPU is understated).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import warnings
from pathlib import Path

DEFAULT_MODELS = "cspdarknet53,res2net50_14w_8s,mobileone_s0,resnet18,efficientnet_b0,convnext_atto"


def export(name: str, size: int, path: Path) -> Path:
    import torch

    # timm imports torchvision, whose compiled ops need the zoo's schema shim on this torch
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "zoo"))
    from catalog import import_torchvision

    import_torchvision()
    import timm

    torch.manual_seed(0)
    model = timm.create_model(name, pretrained=False, num_classes=100).eval()
    x = torch.randn(1, 3, size, size)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (x,), str(path), input_names=["x"], dynamo=False, opset_version=17)
    return path


def fp16_error(report) -> float:
    rows = [r.max_rel for r in report.rows if r.mode == "vulkan-fp16"]
    return max(rows) if rows else float("nan")


def main(argv: list[str] | None = None) -> int:
    from ncc.driver import compile_onnx
    from ncc.precision import calibrate_fp16
    from ncc.verify import verify

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default=DEFAULT_MODELS)
    ap.add_argument("--size", type=int, default=96)
    a = ap.parse_args(argv)
    head = f"{'model':<20} {'layers':>6} {'fp16 before':>12} {'fp16 after':>11} {'kept fp32':>9} {'ms before':>9} {'ms after':>9} {'calib s':>7}"
    print(head)
    print("-" * len(head))
    with tempfile.TemporaryDirectory() as tmp:
        for name in a.models.split(","):
            try:
                onnx_path = export(name, a.size, Path(tmp) / f"{name}.onnx")
                out = Path(tmp) / name
                result = compile_onnx(onnx_path, out)
                t0 = time.perf_counter()
                cal = calibrate_fp16(out, onnx_path, time_runs=5)
                seconds = time.perf_counter() - t0
                after = verify(out, onnx_path, seed=1)
                before = max(cal.error_before.values()) if cal.error_before else float("nan")
                print(
                    f"{name:<20} {result.manifest['layers']:>6} {before:>12.3g} {fp16_error(after):>11.3g} "
                    f"{len(cal.kept):>9} {cal.latency_before_ms or float('nan'):>9.2f} "
                    f"{cal.latency_after_ms or float('nan'):>9.2f} {seconds:>7.1f}"
                )
                cpu_ok = all(r.passed for r in after.rows if r.mode != "vulkan-fp16")
                if not cpu_ok:
                    print(f"  ! fp32 modes fail after calibration:\n{after.table()}")
            except Exception as e:  # noqa: BLE001 - one line per model that could not be measured
                print(f"{name:<20} error: {type(e).__name__}: {str(e).splitlines()[0][:100]}")
            sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

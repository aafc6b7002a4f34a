"""What symbolic dims cost in ncnn latency: the same model compiled static and symbolic, timed
at the same size.

    python benchmarks/symbolic_latency.py [--repeats 30]

A symbolic model differs from the static one only in params (a Reshape's -1, an Interp's scale
instead of its size, size expressions, no shape hints on Input; for the YOLO head three grid
Crops with their Splits), so any cost is ncnn's: shape hints let it build shape-specialised
Vulkan pipelines and pick CPU kernels ahead of the first run. Models: the CRNN text recogniser
(W), the UNet (H, W), the YOLO-style head (H, W) of tests/e2e/test_symbolic.py, and TS-CAN
over N frames (examples/efficientphys.py, batch-axis strategy). Median of
`--repeats` timed runs after 3 warm-up runs, interleaved static/symbolic, via ncc's runner.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "e2e"))


def main(argv: list[str] | None = None) -> int:
    from test_symbolic import _crnn, _export, _unet, _yolo_head

    from ncc.driver import compile_onnx, with_batch_strategy
    from ncc.symbolic import compile_symbolic, parse_dims, split_shapes
    from ncc.verify import load_manifest, make_inputs, run_ncnn_blobs

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=30)
    a = ap.parse_args(argv)

    def tscan():
        import importlib.util

        spec = importlib.util.spec_from_file_location("rppg", Path(__file__).resolve().parents[1] / "examples" / "efficientphys.py")
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        return mod.TSCAN(frame_depth=20, img_size=36)

    cases = [
        ("crnn W=160", _crnn, (1, 1, 32, 160), {3: "W"}, "x=1x1x32xW", ["W=160,64..480/32"], None),
        ("unet 96x160", _unet, (1, 3, 96, 160), {2: "H", 3: "W"}, "x=1x3xHxW", ["H=96,64..256/32", "W=160,64..256/32"], None),
        ("yolo 384x640", _yolo_head, (1, 3, 384, 640), {2: "H", 3: "W"}, "x=1x3xHxW", ["H=384,320..640/32", "W=640,320..640/32"], None),
        ("tscan N=40", tscan, (40, 6, 36, 36), {0: "N"}, "x=Nx6x36x36", ["N=40,20..80/20"], "batch-axis"),
    ]
    modes = ("cpu", "vulkan-fp32")
    head = f"{'model':<14} {'mode':<12} {'static ms':>10} {'symbolic ms':>12} {'ratio':>6}"
    print(head)
    print("-" * len(head))
    with tempfile.TemporaryDirectory() as tmp:
        for label, build, shape, axes, shapes, dims, strategy in cases:
            passes = with_batch_strategy(None, strategy) if strategy else None
            onnx_path = _export(build(), shape, axes, Path(tmp) / f"{label.split()[0]}.onnx", "onnx17")
            folder = Path(tmp) / label.split()[0]
            static = compile_onnx(onnx_path, folder / "static", input_shapes=f"x:{'x'.join(map(str, shape))}", passes=passes)
            symbolic = compile_symbolic(onnx_path, folder / "symbolic", split_shapes(shapes), parse_dims(dims), passes=passes)
            for mode in modes:
                times = {"static": [], "symbolic": []}
                for _ in range(3):  # interleaved rounds
                    for kind, result in (("static", static), ("symbolic", symbolic)):
                        manifest, folder = load_manifest(result.out_dir)
                        feed = make_inputs(manifest, 0)
                        got = run_ncnn_blobs(manifest, folder, feed, mode, [manifest["outputs"][0]["blob"]],
                                             time_runs=a.repeats // 3, warmup=3)  # fmt: skip
                        if got is None:
                            break
                        times[kind] += next(iter(got[1].values()))
                if not times["static"]:
                    print(f"{label:<14} {mode:<12} no device")
                    continue
                s, y = 1000 * np.median(times["static"]), 1000 * np.median(times["symbolic"])
                print(f"{label:<14} {mode:<12} {s:>10.3f} {y:>12.3f} {y / s:>6.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

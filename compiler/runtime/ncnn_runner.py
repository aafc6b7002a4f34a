"""Run an ncnn model once, in its own process, so a malformed model cannot crash ncc.

    python -m ncc.runtime.ncnn_runner PARAM BIN INPUTS.npz OUTPUTS.npz --mode cpu|vulkan-fp32|vulkan-fp16

`cpu` and `vulkan-fp32` force fp32 storage and arithmetic; `vulkan-fp16` is ncnn's default.
                                      [--extract BLOB ...] [--threads N]

INPUTS.npz holds one float32 array per input blob, already in Mat shape; OUTPUTS.npz gets
one array per extracted blob (default: out0, out1, … as named in the .param). Exit code 3
means the mode is unavailable (no Vulkan device). Uses only numpy and ncnn.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

NO_DEVICE = 3


def _blobs_of_param(path: str) -> tuple[list[str], list[str]]:
    produced, consumed, inputs = [], set(), []
    with open(path) as fh:
        lines = fh.read().split("\n")[2:]
    for line in lines:
        tok = line.split()
        if len(tok) < 4:
            continue
        nin, nout = int(tok[2]), int(tok[3])
        ins, outs = tok[4 : 4 + nin], tok[4 + nin : 4 + nin + nout]
        consumed.update(ins)
        produced.extend(outs)
        if tok[0] == "Input":
            inputs.extend(outs)
    outputs = [b for b in produced if b not in consumed and b not in inputs]
    return inputs, outputs


def run(param: str, bin_path: str, inputs: dict[str, np.ndarray], mode: str,
        extract: list[str] | None = None, threads: int = 1) -> dict[str, np.ndarray]:
    import ncnn

    net = ncnn.Net()
    net.opt.num_threads = threads
    if mode.startswith("vulkan"):
        if ncnn.get_gpu_count() == 0:
            raise SystemExit(NO_DEVICE)
        net.opt.use_vulkan_compute = True
    else:
        net.opt.use_vulkan_compute = False
    if mode != "vulkan-fp16":
        # fp32 everywhere: x86 CPUs with F16C otherwise store InnerProduct weights as fp16
        net.opt.use_fp16_packed = False
        net.opt.use_fp16_storage = False
        net.opt.use_fp16_arithmetic = False
        net.opt.use_bf16_storage = False
        net.opt.use_int8_inference = False
    if net.load_param(param) != 0:
        raise RuntimeError(f"ncnn could not load {param}")
    if net.load_model(bin_path) != 0:
        raise RuntimeError(f"ncnn could not load {bin_path}")
    keep = []
    ex = net.create_extractor()
    for name, arr in inputs.items():
        arr = np.ascontiguousarray(arr, dtype=np.float32)
        mat = ncnn.Mat(arr).clone()  # a Mat wrapping numpy memory must be cloned (see reference §6)
        keep.append((arr, mat))
        if ex.input(name, mat) != 0:
            raise RuntimeError(f"ncnn has no input blob {name}")
    names = extract or _blobs_of_param(param)[1]
    results = {}
    for name in names:
        ret, out = ex.extract(name)
        if ret != 0:
            raise RuntimeError(f"ncnn could not extract blob {name} (code {ret})")
        results[name] = np.array(out).copy()
    del ex
    net.clear()
    return results


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="ncnn_runner")
    ap.add_argument("param")
    ap.add_argument("bin")
    ap.add_argument("inputs")
    ap.add_argument("outputs")
    ap.add_argument("--mode", default="cpu", choices=["cpu", "vulkan-fp32", "vulkan-fp16"])
    ap.add_argument("--extract", nargs="*")
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args(argv)
    with np.load(a.inputs) as z:
        inputs = {k: z[k] for k in z.files}
    try:
        results = run(a.param, a.bin, inputs, a.mode, a.extract, a.threads)
    except RuntimeError as e:
        print(f"ncnn_runner: {e}", file=sys.stderr)
        return 1
    np.savez(a.outputs, **results)
    return 0


if __name__ == "__main__":
    sys.exit(main())

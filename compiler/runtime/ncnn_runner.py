"""Run an ncnn model once, in its own process, so a malformed model cannot crash ncc.

    python -m ncc.runtime.ncnn_runner PARAM BIN INPUTS.npz OUTPUTS.npz --mode cpu|vulkan-fp32|vulkan-fp16

`cpu` and `vulkan-fp32` force fp32 storage and arithmetic; `vulkan-fp16` is ncnn's default.
                                      [--extract BLOB ...] [--threads N] [--keep-blobs]
                                      [--time N --warmup K --time-threads 1,2 --timings T.json]

INPUTS.npz holds one float32 array per input blob, already in Mat shape; OUTPUTS.npz gets
one array per extracted blob (default: out0, out1, … as named in the .param). Exit code 3
means the mode is unavailable (no Vulkan device). Uses only numpy and ncnn.

`--keep-blobs` turns ncnn's light mode off, so extracting many intermediate blobs computes
each layer once. Timing mode (`--time N`): after the run above, for each thread count of
`--time-threads` (default: `--threads`), load the net again, run it `--warmup` times, then
time N runs (a fresh extractor, the inputs, every output extracted); T.json gets
`{"THREADS": [seconds, ...]}`.
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


def _load(param: str, bin_path: str, mode: str, threads: int):
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
    return net


def _mats(inputs: dict[str, np.ndarray]) -> dict:
    import ncnn

    # a Mat wrapping numpy memory must be cloned (see reference §6); the clone owns its data
    return {k: ncnn.Mat(np.ascontiguousarray(a, dtype=np.float32)).clone() for k, a in inputs.items()}


def _forward(net, mats: dict, names: list[str], keep_blobs: bool = False) -> dict:
    ex = net.create_extractor()
    if keep_blobs:
        ex.set_light_mode(False)
    for name, mat in mats.items():
        if ex.input(name, mat) != 0:
            raise RuntimeError(f"ncnn has no input blob {name}")
    results = {}
    for name in names:
        ret, out = ex.extract(name)
        if ret != 0:
            raise RuntimeError(f"ncnn could not extract blob {name} (code {ret})")
        results[name] = out
    del ex
    return results


def run(param: str, bin_path: str, inputs: dict[str, np.ndarray], mode: str,
        extract: list[str] | None = None, threads: int = 1, keep_blobs: bool = False) -> dict[str, np.ndarray]:
    net = _load(param, bin_path, mode, threads)
    mats = _mats(inputs)
    names = extract or _blobs_of_param(param)[1]
    results = {k: np.array(v).copy() for k, v in _forward(net, mats, names, keep_blobs).items()}
    net.clear()
    return results


def time_runs(param: str, bin_path: str, inputs: dict[str, np.ndarray], mode: str,
              threads: int, repeats: int, warmup: int) -> list[float]:
    """Seconds of each of `repeats` full runs (fresh extractor, inputs, every output)."""
    import time

    net = _load(param, bin_path, mode, threads)
    mats = _mats(inputs)
    names = _blobs_of_param(param)[1]
    for _ in range(warmup):
        _forward(net, mats, names)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        _forward(net, mats, names)
        times.append(time.perf_counter() - t0)
    net.clear()
    return times


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="ncnn_runner")
    ap.add_argument("param")
    ap.add_argument("bin")
    ap.add_argument("inputs")
    ap.add_argument("outputs")
    ap.add_argument("--mode", default="cpu", choices=["cpu", "vulkan-fp32", "vulkan-fp16"])
    ap.add_argument("--extract", nargs="*")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--keep-blobs", action="store_true", help="light mode off (many intermediate blobs)")
    ap.add_argument("--time", type=int, default=0, metavar="N", help="also time N runs")
    ap.add_argument("--warmup", type=int, default=2, metavar="K")
    ap.add_argument("--time-threads", metavar="1,2", help="thread counts to time (default: --threads)")
    ap.add_argument("--timings", metavar="T.json", help="where timing mode writes its seconds")
    a = ap.parse_args(argv)
    with np.load(a.inputs) as z:
        inputs = {k: z[k] for k in z.files}
    try:
        results = run(a.param, a.bin, inputs, a.mode, a.extract, a.threads, a.keep_blobs)
        timings = {}
        if a.time > 0:
            counts = [int(t) for t in a.time_threads.split(",")] if a.time_threads else [a.threads]
            for t in counts:
                timings[str(t)] = time_runs(a.param, a.bin, inputs, a.mode, t, a.time, a.warmup)
    except RuntimeError as e:
        print(f"ncnn_runner: {e}", file=sys.stderr)
        return 1
    np.savez(a.outputs, **results)
    if a.timings:
        import json

        with open(a.timings, "w") as fh:
            json.dump(timings, fh)
    return 0


if __name__ == "__main__":
    sys.exit(main())

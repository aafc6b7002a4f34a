"""Run many one-layer ncnn nets on the CPU and report each output Mat's shape.

    python ncnn_shape_worker.py CASES.json RESULTS.json

CASES.json: a list of {"param": path, "bin": path, "inputs": [mat, ...], "outputs": n}; inputs
are fed as blobs in0, in1, … (random float32 of that numpy-order Mat shape), outputs read from
out0, out1, …. RESULTS.json gets, per case, the list of numpy-order output Mats or an error
string. Each case index is printed before it runs, so a crash names the case that caused it.
Uses only numpy and ncnn, so it can run in a subprocess of the tests.
"""

from __future__ import annotations

import json
import sys

import numpy as np


def _mat(m) -> list[int]:
    return {1: [m.w], 2: [m.h, m.w], 3: [m.c, m.h, m.w], 4: [m.c, m.d, m.h, m.w]}[m.dims]


def run_case(case: dict, rng: np.random.Generator) -> list[list[int]] | str:
    import ncnn

    net = ncnn.Net()
    net.opt.use_vulkan_compute = False
    net.opt.num_threads = 1
    if net.load_param(case["param"]) != 0:
        return "load_param failed"
    if net.load_model(case["bin"]) != 0:
        return "load_model failed"
    ex = net.create_extractor()
    keep = []
    for i, shape in enumerate(case["inputs"]):
        arr = np.ascontiguousarray(rng.standard_normal(shape).astype(np.float32) + 2.0)
        keep.append(arr)
        ex.input(f"in{i}", ncnn.Mat(arr).clone())
    mats = []
    for i in range(case["outputs"]):
        ret, out = ex.extract(f"out{i}")
        if ret != 0:
            return f"extract out{i} failed ({ret})"
        mats.append(_mat(out))
    del ex
    net.clear()
    return mats


def main(argv: list[str]) -> int:
    with open(argv[0]) as fh:
        cases = json.load(fh)
    rng = np.random.default_rng(0)
    results = []
    for i, case in enumerate(cases):
        print(i, flush=True)
        results.append(run_case(case, rng))
    with open(argv[1], "w") as fh:
        json.dump(results, fh)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

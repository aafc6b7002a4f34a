"""Run many ncnn models in one process, one after the other, so a batch pays ncnn's start-up
(and a Vulkan device's) once instead of once per model.

    python -m ncc.runtime.ncnn_batch JOBS.json --mode cpu|vulkan-fp32|vulkan-fp16

JOBS.json is a list of `{"key", "param", "bin", "inputs", "outputs", "extract"}`: the same
files `ncc.runtime.ncnn_runner` takes, one entry per model. For each job the runner prints
`START key` before touching the model and `END key` or `FAIL key message` after it, flushed,
on stdout: when a malformed model crashes ncnn, the caller (`ncc.verify.run_ncnn_many`)
knows from the last `START` which model did it and starts a new runner for the rest.
Exit code 3: the mode has no device. Uses only numpy and ncnn.
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np

from ncc.runtime.ncnn_runner import NO_DEVICE, run


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="ncnn_batch")
    ap.add_argument("jobs")
    ap.add_argument("--mode", default="cpu", choices=["cpu", "vulkan-fp32", "vulkan-fp16"])
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args(argv)
    if a.mode.startswith("vulkan"):
        import ncnn

        if ncnn.get_gpu_count() == 0:
            return NO_DEVICE
    with open(a.jobs) as fh:
        jobs = json.load(fh)
    for job in jobs:
        key = job["key"]
        print(f"START {key}", flush=True)
        try:
            with np.load(job["inputs"]) as z:
                inputs = {k: z[k] for k in z.files}
            results = run(job["param"], job["bin"], inputs, a.mode, job.get("extract"), a.threads)
            np.savez(job["outputs"], **results)
        except Exception as e:  # noqa: BLE001 - reported per model; the batch goes on
            message = " ".join(f"{type(e).__name__}: {e}".split())
            print(f"FAIL {key} {message}", flush=True)
            continue
        print(f"END {key}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

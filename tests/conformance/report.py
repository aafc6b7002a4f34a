"""Run the ONNX conformance harness and write docs/onnx-support.md and
tests/conformance/matching.txt (the models the `conformance` tier must keep matching).

    python -m tests.conformance.report [--suite node ...]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

if str(Path(__file__).parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).parent))

import onnx_conformance as oc  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.conformance.report")
    ap.add_argument("--suite", action="append", choices=oc.SUITES, help="only these suites (no files written)")
    a = ap.parse_args(argv)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="ncc-conformance-") as tmp:
        results = oc.run_all(Path(tmp), a.suite or oc.SUITES, progress=lambda m: print(f"  {m}", file=sys.stderr))
    for suite, outs in results.items():
        counts = oc.summary(outs)
        print(f"{suite}: {len(outs)} models, " + ", ".join(f"{k} {counts[k]}" for k in oc.STATUSES if counts[k]))
        for o in outs:
            if o.failed:
                print(f"  {o.line()}")
    print(f"{time.perf_counter() - t0:.0f} s")
    if a.suite:
        return 0
    pnnx = json.loads(oc.PNNX.read_text()) if oc.PNNX.is_file() else None
    oc.DOC.write_text(oc.render_doc(results, pnnx))
    oc.BASELINE.write_text("\n".join(oc.matching(results)) + "\n")
    print(f"wrote {oc.DOC} and {oc.BASELINE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

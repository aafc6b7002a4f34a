"""Layer counts of the end-to-end models (the zoo of tests/e2e), as `ncc compile` emits them.

    python benchmarks/layer_counts.py            # print the table
    python benchmarks/layer_counts.py --write    # record it in tests/e2e/layer_counts.json

The recorded table is the baseline `tests/e2e/test_layer_counts.py` compares with: a compiler
change may make a model smaller, never larger (layout assignment must not add moves to a model
that compiled before it).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TABLE = REPO / "tests" / "e2e" / "layer_counts.json"
sys.path.insert(0, str(REPO / "tests" / "e2e"))


def layer_count(param: Path) -> int:
    return int(param.read_text().splitlines()[1].split()[0])


def _e2e_conftest():
    """tests/e2e/conftest.py by its path: under pytest, the module named `conftest` may be
    another folder's (tests/conftest.py has no `_export`)."""
    import importlib.util

    name = "ncc_e2e_conftest"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, REPO / "tests" / "e2e" / "conftest.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # before running it: its dataclasses look themselves up there
        spec.loader.exec_module(module)
    return sys.modules[name]


def cases():
    """(name, export thunk(path) → model path, batch strategy or None)."""
    import test_indexing
    import test_physnet
    import test_rppg

    import models

    for name in models.MODELS:
        for mode in ("onnx13", "dynamo"):
            yield f"{name}-{mode}", (lambda d, n=name, m=mode: _e2e_conftest()._export(n, m, d)), None
    for name, cls in test_indexing.MODELS.items():
        for mode in test_indexing.EXPORTERS:
            def export(d, c=cls, m=mode):
                d.mkdir(parents=True, exist_ok=True)
                test_indexing._export(c, m, d / "model.onnx")
                return d / "model.onnx"
            yield f"{name}-{mode}", export, None
    for name in ("efficientphys36", "tscan36"):
        for mode in test_rppg.EXPORTS:
            for strategy in test_rppg.STRATEGIES:
                def export(d, n=name, m=mode):
                    d.mkdir(parents=True, exist_ok=True)
                    return test_rppg._export(n, m, d)
                yield f"{name}-{mode}-{strategy}", export, strategy
    for mode in ("onnx13", "dynamo"):
        for strategy in test_rppg.STRATEGIES:
            def export(d, m=mode):
                d.mkdir(parents=True, exist_ok=True)
                return test_physnet._export(m, d / "model.onnx")
            yield f"physnet-{mode}-{strategy}", export, strategy


def measure(only: str | None = None, exact: bool = False) -> dict[str, int | str]:
    """Layer count (or the compile error) per case; `only`: cases whose name contains it
    (`exact`: the case of that name)."""
    from ncc.driver import compile_onnx, with_batch_strategy

    table: dict[str, int | str] = {}
    # not a TemporaryDirectory: the e2e modules cache their exports by path for the whole
    # process (test_rppg shares one export between strategies), so the files must outlive a call
    tmp = tempfile.mkdtemp(prefix="ncc-layer-counts-")
    for key, export, strategy in cases():
        if only and (only != key if exact else only not in key):
            continue
        d = Path(tmp) / key
        try:
            model = export(d)
            res = compile_onnx(model, d / "out", passes=with_batch_strategy(None, strategy))
            table[key] = layer_count(res.param)
        except Exception as e:  # noqa: BLE001 - the table records what does not compile
            table[key] = f"error: {type(e).__name__}: {str(e).splitlines()[0][:120]}"
        if not exact:
            print(f"{key:45s} {table[key]}", flush=True)
    return table


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--write", action="store_true", help=f"record the table in {TABLE.relative_to(REPO)}")
    p.add_argument("--only", help="only cases whose name contains this")
    args = p.parse_args()
    table = measure(args.only)
    if args.write:
        TABLE.write_text(json.dumps(table, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()

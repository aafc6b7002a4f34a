"""No model of the end-to-end zoo compiles to more layers than the recorded table says.

`tests/e2e/layer_counts.json` was recorded with `python benchmarks/layer_counts.py --write`
before the layout stage (`onnx-layout-assign`) existed: the layout stage may only add data
moves where a model needs them, never to a model that compiled without it. When a change
makes models smaller, record the table again.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

pytest.importorskip("torch")

REPO = Path(__file__).resolve().parents[2]
TABLE: dict[str, int | str] = json.loads((Path(__file__).parent / "layer_counts.json").read_text())


def _script():
    spec = importlib.util.spec_from_file_location("ncc_layer_counts", REPO / "benchmarks" / "layer_counts.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("key", sorted(k for k, v in TABLE.items() if isinstance(v, int)))
def test_no_more_layers_than_recorded(key: str) -> None:
    got = _script().measure(only=key, exact=True)[key]
    assert isinstance(got, int), f"{key} compiled before and now does not: {got}"
    assert got <= TABLE[key], f"{key}: {got} layers, recorded {TABLE[key]}"

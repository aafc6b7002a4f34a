"""The `conformance` tier: onnx's shipped test models through ncc and ncnn (see
onnx_conformance.py). One run per suite and session, shared by the tests."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

if str(Path(__file__).parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(scope="session")
def conformance_results(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """{"work": a folder for the compiled models, "results": suite → outcomes, filled lazily}."""
    return {"work": tmp_path_factory.mktemp("conformance"), "results": {}}

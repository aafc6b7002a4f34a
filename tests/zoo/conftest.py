"""Session caches for the zoo tier: each (model, exporter) is exported, compiled (no options)
and verified (ncnn CPU, Vulkan fp32, Vulkan fp16 against the module run eagerly) once per
session; the three per-mode tests of a case read the one result.

torch, timm, torchvision and ultralytics are imported lazily (inside the export), so
collecting the default suite never pays for them.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

if str(Path(__file__).parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).parent))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.zoo)


@dataclass
class ZooCase:
    """What happened to one (model, exporter): the first stage that failed and ncc's (or
    torch's) message, else the verify report."""

    name: str
    exporter: str
    onnx: Path | None = None
    out_dir: Path | None = None
    failed_stage: str = ""
    error: str = ""
    report: Any = None  # ncc.verify.VerifyReport
    seconds: dict[str, float] = field(default_factory=dict)


def run_case(name: str, exporter: str, root: Path) -> ZooCase:
    import time

    import catalog

    from ncc.driver import compile_onnx
    from ncc.errors import NccError
    from ncc.verify import verify

    case = ZooCase(name, exporter)
    t = time.perf_counter()
    try:
        case.onnx, source = catalog.export(name, exporter, root / "onnx")
    except NccError as e:
        case.failed_stage, case.error = "export", str(e)
        return case
    case.seconds["export"] = time.perf_counter() - t
    t = time.perf_counter()
    case.out_dir = root / f"{name}-{exporter}"
    try:
        result = compile_onnx(case.onnx, case.out_dir)
        del result  # the IR is not needed; do not keep every model's IR alive
    except NccError as e:
        case.failed_stage, case.error = "compile", str(e)
        return case
    case.seconds["compile"] = time.perf_counter() - t
    t = time.perf_counter()
    try:
        case.report = verify(case.out_dir, reference=source.reference())
    except NccError as e:
        case.failed_stage, case.error = "verify", str(e)
    case.seconds["verify"] = time.perf_counter() - t
    return case


@pytest.fixture(scope="session")
def zoo_case(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str, str], ZooCase]:
    """`zoo_case(model, exporter) → ZooCase`, run once per session."""
    root = tmp_path_factory.mktemp("zoo")
    cache: dict[tuple[str, str], ZooCase] = {}

    def get(name: str, exporter: str) -> ZooCase:
        key = (name, exporter)
        if key not in cache:
            cache[key] = run_case(name, exporter, root)
        return cache[key]

    return get



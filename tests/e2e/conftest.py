"""Session caches for the end-to-end tests: each (model, export mode) is exported at most
once per session, and each export is compiled at most once, however many tests use it.

torch is imported lazily (inside the export), so collecting the tests stays fast.
"""

from __future__ import annotations

import dataclasses
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

# the helpers beside this file (models.py, paramfile.py) import by plain name whatever
# pytest's import mode
if str(Path(__file__).parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).parent))

# `onnx13-bn` is extra: torch's exporters fold an eval-mode BatchNorm into the conv
# themselves, so without it ncc's own BatchNorm fold would never run.
_EXPORT_KWARGS: dict[str, dict] = {
    "onnx13": {"dynamo": False, "opset_version": 13},
    "onnx17": {"dynamo": False, "opset_version": 17},
    "dynamo": {"dynamo": True},
    "onnx13-bn": {"dynamo": False, "opset_version": 13, "training": "PRESERVE"},
}


def _export(name: str, mode: str, dest: Path) -> Path:
    import torch

    import models

    kwargs = dict(_EXPORT_KWARGS[mode])
    if kwargs.get("training") == "PRESERVE":
        # eval-mode model + PRESERVE: inference-form BatchNormalization nodes stay in the graph
        kwargs["training"] = torch.onnx.TrainingMode.PRESERVE
    if kwargs["dynamo"]:
        kwargs["verbose"] = False
    model = models.build(name)
    x = torch.randn(models.input_shape(name), generator=torch.Generator().manual_seed(1))
    dest.mkdir(parents=True, exist_ok=True)
    path = dest / "model.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # dynamo=True may write the weights to `model.onnx.data` beside the model: kept, it is
        # part of what ncc must read
        torch.onnx.export(model, (x,), str(path), input_names=["input"], **kwargs)
    return path


@pytest.fixture(scope="session")
def export_model(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str, str], Path]:
    """`export_model(model_name, mode) → path of model.onnx`, exported once per session."""
    root = tmp_path_factory.mktemp("exports")
    cache: dict[tuple[str, str], Path | BaseException] = {}

    def get(name: str, mode: str) -> Path:
        key = (name, mode)
        if key not in cache:
            try:
                cache[key] = _export(name, mode, root / f"{name}-{mode}")
            except Exception as e:  # noqa: BLE001 - remembered so a failing export runs once
                cache[key] = e
        got = cache[key]
        if isinstance(got, BaseException):
            pytest.fail(f"torch export of {name} ({mode}) failed: {type(got).__name__}: {got}")
        return got

    return get


@dataclass
class Compiled:
    model: Path
    out_dir: Path
    result: Any  # ncc.driver.CompileResult (imported lazily)

    @property
    def param(self) -> Path:
        return self.result.param

    @property
    def bin(self) -> Path:
        return self.result.bin


@pytest.fixture(scope="session")
def compiled_model(
    export_model: Callable[[str, str], Path], tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str, str], Compiled]:
    """`compiled_model(model_name, mode) → Compiled`: `ncc.driver.compile_onnx` with no
    options, run once per session; a compile error fails every test that needs it, with
    the compiler's own message."""
    root = tmp_path_factory.mktemp("compiled")
    cache: dict[tuple[str, str], Compiled | BaseException] = {}

    def get(name: str, mode: str) -> Compiled:
        key = (name, mode)
        if key not in cache:
            model = export_model(name, mode)
            out = root / f"{name}-{mode}"
            try:
                from ncc.driver import compile_onnx

                result = compile_onnx(model, out)
                # the IR is not needed after emission; do not keep every model's IR alive
                cache[key] = Compiled(model, out, dataclasses.replace(result, module=None))
            except Exception as e:  # noqa: BLE001 - remembered so a failing compile runs once
                cache[key] = e
        got = cache[key]
        if isinstance(got, BaseException):
            pytest.fail(f"ncc could not compile {name} ({mode}): {type(got).__name__}: {got}", pytrace=False)
        return got

    return get

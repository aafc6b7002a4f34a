"""ncc: ONNX/PyTorch → ncnn compiler built on xDSL.

`ncc.compile(model, example_inputs, out_dir)` and `ncc.verify(result)` are the Python API
(see `ncc.api`); they and `ncc.CompileResult` load on first use, so `import ncc` stays cheap
and imports neither torch nor onnx.
"""

from __future__ import annotations

import sys
import types
from typing import Any

__version__ = "0.1.0"
__all__ = ["CompileResult", "__version__", "compile", "verify"]


def _api(name: str) -> Any:
    from ncc import api

    return getattr(api, name)


class _Package(types.ModuleType):
    # `verify` is both the API function and the submodule `ncc.verify` (compiler/verify.py).
    # Importing a submodule sets the package attribute of the same name; a data descriptor on
    # the package's class wins over that, so `ncc.verify` stays the function while
    # `from ncc.verify import ...` keeps working through sys.modules.
    @property
    def verify(self) -> Any:
        return _api("verify")

    @verify.setter
    def verify(self, value: Any) -> None:
        pass

    @property
    def compile(self) -> Any:  # noqa: A003 - the public name
        return _api("compile")

    @compile.setter
    def compile(self, value: Any) -> None:
        pass

    @property
    def CompileResult(self) -> Any:  # noqa: N802 - a class
        from ncc.driver import CompileResult

        return CompileResult


sys.modules[__name__].__class__ = _Package

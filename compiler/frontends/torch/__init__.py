"""PyTorch → ONNX (in memory) → the ONNX frontend. Besides the tests, the only module that
imports torch, and only inside functions: `import ncc` and `ncc compile model.onnx` never pay
for it.

The route is torch's own ONNX exporter (`torch.onnx.export`, `dynamo=True` by default, or the
legacy TorchScript tracer), so the aten → ONNX translation is torch's, maintained with torch,
and ncc keeps one importer and one set of op semantics (see the README's architecture notes).

What this package adds around the exporter:
- inputs are named after `forward`'s parameters, outputs `output` / `output_0, output_1, …`
  (flattened in pytree order), so the manifest reads the same whichever exporter ran;
- the module is exported and run in eval mode, its own training flags restored afterwards;
- export failures become `ExportError` (one line: torch's root cause and the user's source line);
- loading never unpickles anything but plain tensors: state dicts and `.pt2` archives are read
  with `weights_only=True`, and `.pt2` archives that need more (AOTInductor libraries, pickled
  custom objects) are refused.

The package, by concern: `loading` (safe loading of specs, state dicts, .pt2 archives),
`naming` (input names and example inputs), `export` (the exporter and `TorchSource`),
`errors` (ExportError and one-line summaries), `capture` (quieting torch's output),
`decompositions` (aten decompositions the exporter lacks).
"""

from __future__ import annotations

from ncc.frontends.torch.decompositions import adaptive_avg_pool3d_as_avg_pool
from ncc.frontends.torch.errors import ExportError, summarise_export_error
from ncc.frontends.torch.export import (
    EXPORT_MODES,
    TORCHSCRIPT_OPSET,
    TorchSource,
    export_onnx,
    reference_for_manifest,
)
from ncc.frontends.torch.loading import (
    apply_state_dict,
    is_exported_program,
    is_torch_spec,
    load_exported_program,
    load_python_model,
    load_spec,
    load_state_dict,
)
from ncc.frontends.torch.naming import input_names_of, random_inputs

__all__ = [
    "EXPORT_MODES",
    "TORCHSCRIPT_OPSET",
    "ExportError",
    "TorchSource",
    "adaptive_avg_pool3d_as_avg_pool",
    "apply_state_dict",
    "export_onnx",
    "input_names_of",
    "is_exported_program",
    "is_torch_spec",
    "load_exported_program",
    "load_python_model",
    "load_spec",
    "load_state_dict",
    "random_inputs",
    "reference_for_manifest",
    "summarise_export_error",
]

"""Which ONNX tensor each IR value stands for, kept as the discardable attribute
`onnx_outputs` on the producing op (strings aligned with its results; "" = none).

The importer sets it on every ONNX op. From then on the names follow *replacements*: when a
pass replaces a value by another (`rewriter.replace(op, new_ops, new_values)`), the new
value takes the old value's name, because it now computes that tensor. So the conversion carries each ONNX
tensor's name onto the ncnn layer that computes it, activation fusion moves the ReLU's name
onto the convolution, BatchNorm folding gives the folded conv the BatchNorm's name, and a
removed Reshape or Identity names the value that replaced it (the same data). An op created
during a pass keeps only names it got that way, never attributes copied from another op.

The rewrite listener of `ncc.lowering.rewriting` does this for every pass that rewrites
through xDSL's PatternRewriter (all of ncc's), in `ncc compile` and in `ncc-opt`; passes need
not know about it. The emitter writes the names as the manifest's `tensors` map, which
`ncc verify --bisect` reads to compare blobs with ONNX tensors."""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.dialects.builtin import ArrayAttr, StringAttr
from xdsl.ir import Operation, OpResult, SSAValue

ATTR = "onnx_outputs"


def tensor_names(op: Operation) -> list[str]:
    """One name per result ("" where the result stands for no ONNX tensor)."""
    attr = op.attributes.get(ATTR)
    items = attr.data if isinstance(attr, ArrayAttr) else ()
    names = [a.data if isinstance(a, StringAttr) else "" for a in items][: len(op.results)]
    return names + [""] * (len(op.results) - len(names))


def set_tensor_names(op: Operation, names: Sequence[str]) -> None:
    names = list(names)[: len(op.results)]
    if not any(names):
        op.attributes.pop(ATTR, None)
        return
    names += [""] * (len(op.results) - len(names))
    op.attributes[ATTR] = ArrayAttr([StringAttr(n) for n in names])


def tensor_name(v: SSAValue) -> str:
    return tensor_names(v.owner)[v.index] if isinstance(v, OpResult) else ""


def set_tensor_name(v: SSAValue, name: str) -> None:
    if isinstance(v, OpResult):
        names = tensor_names(v.owner)
        names[v.index] = name
        set_tensor_names(v.owner, names)

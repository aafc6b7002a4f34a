"""Which ONNX tensor each IR value stands for, kept as the discardable attribute
`onnx_outputs` on the producing op (strings aligned with its results; "" = none).

The importer sets it on every ONNX op. From then on the names follow *replacements*: when a
pass replaces a value by another (`rewriter.replace(op, new_ops, new_values)`, which every
xDSL rewrite ends in as `SSAValue.replace_all_uses_with`), the new value takes the old
value's name, because it now computes that tensor. So the conversion carries each ONNX
tensor's name onto the ncnn layer that computes it, activation fusion moves the ReLU's name
onto the convolution, BatchNorm folding gives the folded conv the BatchNorm's name, and a
removed Reshape or Identity names the value that replaced it (the same data). An op created
during a pass keeps only names it got that way, never attributes copied from another op.

`track_tensor_names` does this around each pass of `ncc compile` (`ncc.driver`); passes need
not know about it. The emitter writes the names as the manifest's `tensors` map, which
`ncc verify --bisect` reads to compare blobs with ONNX tensors. (`ncc-opt` does not track:
IR tests do not need the names.)"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar

from xdsl.dialects.builtin import ArrayAttr, ModuleOp, StringAttr
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


_ACTIVE: ContextVar[set[tuple[int, int]] | None] = ContextVar("ncc_tensor_name_tracking", default=None)
_ORIGINAL = SSAValue.replace_all_uses_with


def _replace_all_uses_with(self: SSAValue, value: SSAValue) -> None:
    earned = _ACTIVE.get()
    name = tensor_name(self) if earned is not None and value is not self else ""
    _ORIGINAL(self, value)
    if name and isinstance(value, OpResult):
        set_tensor_name(value, name)
        earned.add((id(value.owner), value.index))


@contextmanager
def track_tensor_names(module: ModuleOp) -> Iterator[None]:
    """Within the block, a value that replaces another takes its tensor name; afterwards,
    ops created within keep only the names they got so. (xDSL has no rewrite listener that
    reaches every pass, so `SSAValue.replace_all_uses_with` is wrapped once; outside a
    tracking block, and in other threads or contexts, the wrapper does nothing more.)"""
    if SSAValue.replace_all_uses_with is not _replace_all_uses_with:
        SSAValue.replace_all_uses_with = _replace_all_uses_with  # type: ignore[method-assign]
    existing = {id(op): op for op in module.walk()}  # strong refs: no id is reused meanwhile
    earned: set[tuple[int, int]] = set()
    token = _ACTIVE.set(earned)
    try:
        yield
    finally:
        _ACTIVE.reset(token)
    for op in module.walk():
        if id(op) in existing or ATTR not in op.attributes:
            continue
        names = tensor_names(op)
        set_tensor_names(op, [n if (id(op), i) in earned else "" for i, n in enumerate(names)])

"""`onnx-check-static`: before the conversion, stop with one precise error for what cannot
become an ncnn layer because it is not known at compile time.

- An ONNX op ncc has no class for (`onnx.Node`): the first one in graph order is named,
  rather than a later op whose input shapes it leaves unknown.
- An If whose condition did not fold to a constant (ncnn has no control flow).
- A value whose shape is still unknown (after shape inference and folding): the error names
  the first such op in graph order (the root cause), and what its shape depends on: dims of
  a model input that are dynamic (→ `--input-shape`), or values computed from data (NonZero,
  a model input's values), which no option can make static.
- Indexing whose indices are computed at run time (Gather, GatherElements, ScatterND),
  which ncnn has no layer for.

(A Where on a condition computed from data is fine: `convert-onnx-to-ncnn` selects exactly.)
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import DYNAMIC_INDEX, ModuleOp, TensorType
from xdsl.ir import BlockArgument, Operation, SSAValue
from xdsl.passes import ModulePass

from ncc.dialects.common import NccError, numpy_dtype, op_location, static_shape
from ncc.dialects.onnx import tensor as T
from ncc.dialects.onnx.base import ConstantOp, NodeOp, NoValueOp, OnnxOp
from ncc.dialects.onnx.control import IfOp
from ncc.dialects.onnx.traits import Indexing, trait_of
from ncc.lowering.onnx.graph import functions


def _input_name(arg: BlockArgument) -> str:
    f = arg.block.parent_op()
    names = f.attributes.get("ncc.input_names") if f is not None else None
    if names is not None and arg.index < len(names.data):
        return names.data[arg.index].data
    return f"arg{arg.index}"


def _dynamic_dims(t) -> list[int]:
    if not isinstance(t, TensorType):
        return []
    return [i for i, d in enumerate(t.get_shape()) if d == DYNAMIC_INDEX]


def depends_on(values: list[SSAValue]) -> tuple[list[tuple[str, str]], list[str]]:
    """What `values` are computed from: dynamic input dims (phrase, the option that fixes
    them) and run-time data (phrases)."""
    dims: list[tuple[str, str]] = []
    data: list[str] = []
    seen: set[SSAValue] = set()
    stack = list(values)
    while stack:
        v = stack.pop()
        if v in seen:
            continue
        seen.add(v)
        if isinstance(v, BlockArgument):
            data.append(f"the values of input '{_input_name(v)}'")
            continue
        op = v.owner
        if isinstance(op, ConstantOp | NoValueOp):
            continue
        if isinstance(op, T.ShapeOp | T.SizeOp):
            src = op.operands[0]
            dyn = _dynamic_dims(src.type)
            if isinstance(src, BlockArgument):
                if dyn:
                    name = _input_name(src)
                    shown = "x".join("N" if d == DYNAMIC_INDEX else str(d) for d in src.type.get_shape())
                    dims.append((f"dims {dyn} of input '{name}'", f"--input-shape {name}={shown}"))
                continue
            if dyn:  # a shape computed further up: trace it
                stack.extend(src.owner.operands)
            continue
        if isinstance(op, T.NonZeroOp) or isinstance(op, NodeOp):
            loc = op_location(op)
            data.append(f"the values computed by {loc['op']} '{loc['node'] or '?'}'")
            continue
        stack.extend(op.operands)
    return sorted(set(dims)), sorted(set(data))


def _why(op: Operation, values: list[SSAValue]) -> str:
    dims, data = depends_on(values)
    parts = []
    if dims:
        parts.append(
            f"it depends on {', '.join(d for d, _ in dims)}, which are dynamic: give them with "
            + " ".join(fix for _, fix in dims)
            + " (N: your size)"
        )
    if data:
        parts.append(
            f"it depends on {', '.join(data)}, known only at run time; ncnn needs it fixed at "
            "compile time (make it a constant in the model, e.g. compute it from shapes only)"
        )
    return "; ".join(parts) or "it is computed at run time"


def check_static(module: ModuleOp) -> None:
    for f in functions(module):
        for block in f.body.blocks:
            for op in block.ops:
                if isinstance(op, NodeOp):
                    # an op ncc has no class for: everything after it that depends on it
                    # has unknown shapes, so it, not a consumer, is what to report
                    raise unsupported_op_error(op)
                if isinstance(op, IfOp):
                    raise NccError(
                        "If on a condition known only at run time: ncnn has no control flow; "
                        + _why(op, [op.cond]),
                        **op_location(op),
                    )
                if not isinstance(op, OnnxOp) or isinstance(op, ConstantOp | NoValueOp):
                    continue
                _check(op)


def unsupported_op_error(op: NodeOp) -> NccError:
    domain = op.domain.data
    opset = op.onnx_opset.value.data if op.onnx_opset is not None else None
    where = f" from operator set '{domain}'" if domain not in ("", "ai.onnx") else ""
    version = f" (opset {opset})" if opset is not None else ""
    return NccError(
        f"ONNX op {op.op_type.data}{where}{version} is not supported by ncc", **op_location(op)
    )


def _check(op: OnnxOp) -> None:
    loc = op_location(op)
    shapes = [static_shape(v.type) for v in op.operands if not isinstance(v.owner, NoValueOp)]
    if any(static_shape(r.type) is None for r in op.results) and all(s is not None for s in shapes):
        # inputs static, result not: an operand's *value* decides the shape
        dynamic = [
            v for v in op.operands
            if not isinstance(v.owner, ConstantOp | NoValueOp)
            and numpy_dtype(v.type.element_type).kind in "iub"
        ] or [v for v in op.operands if not isinstance(v.owner, ConstantOp | NoValueOp)]  # fmt: skip
        raise NccError(
            f"the output shape is not known at compile time (inputs {[list(s) for s in shapes]}): "
            + _why(op, dynamic),
            **loc,
        )
    indexing = trait_of(op, Indexing)
    if indexing is not None and indexing.indices is not None:
        idx = op.operands[indexing.indices]
        if not isinstance(idx.owner, ConstantOp):
            what = op.get_irdl_definition().operands[indexing.indices][0]
            raise NccError(
                f"its {what} are computed at run time (data {list(shapes[0] or [])}); "
                "ncnn has no gather/scatter layer, so they must be constants: " + _why(op, [idx]),
                **loc,
            )


@dataclass(frozen=True)
class OnnxCheckStaticPass(ModulePass):
    """Report the first op whose shape or indices are not known at compile time, with what
    they depend on and what would make them static."""

    name = "onnx-check-static"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        check_static(op)

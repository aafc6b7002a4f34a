"""The conversion protocol (`ncc.lowering.dispatch`) at unit level: the order patterns are
tried in, the one-line no-match message, refusals that leave no trace, the conversion
erasing what it made dead, and `ncnn-legalize` only checking."""

from __future__ import annotations

import numpy as np
import pytest
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation
from xdsl.parser import Parser
from xdsl.pattern_rewriter import RewritePattern
from xdsl.printer import Printer
from xdsl.transforms.dead_code_elimination import is_trivially_dead

from ncc.dialects.common import NccError
from ncc.lowering.dispatch import NoMatch, PatternTable, no_match_message


class _Base(Operation):
    pass


class _Derived(_Base):
    pass


class _P(RewritePattern):
    def __init__(self, name: str, op, priority: int | None = None):
        self.name, self.OP = name, op
        if priority is not None:
            self.PRIORITY = priority

    def match_and_rewrite(self, op, rewriter, /):
        raise NoMatch(self.name)


def _order(table: PatternTable, cls) -> list[str]:
    return [p.name for p in table.patterns_for(cls)]


def test_priority_decides_before_registration_order() -> None:
    table = PatternTable()
    table.register([_P("high", _Derived, 5), _P("default", _Derived), _P("low", _Derived, -1)])
    assert _order(table, _Derived) == ["high", "default", "low"]
    table.register([_P("late-default", _Derived)])  # equal priority: registered later, tried first
    assert _order(table, _Derived) == ["high", "late-default", "default", "low"]


def test_ties_prefer_the_more_specific_class_then_the_later_registration() -> None:
    table = PatternTable()
    generic, generic_high = _P("generic", _Base), _P("generic-high", _Base, 1)
    table.register([_P("specific", _Derived), generic, generic_high])
    # priority first (a generic pattern may out-rank a specific one), then the class's own
    # pattern before its base's
    assert _order(table, _Derived) == ["generic-high", "specific", "generic"]
    assert _order(table, _Base) == ["generic-high", "generic"]


def test_a_pattern_for_several_classes_is_tried_once() -> None:
    table = PatternTable()
    table.register([_P("both", (_Base, _Derived))])
    assert _order(table, _Derived) == ["both"]


def test_ncc_pow_patterns_are_ordered_by_priority() -> None:
    from ncc.dialects.onnx.elementwise import PowOp
    from ncc.lowering.onnx_to_ncnn import populate_onnx_to_ncnn_patterns

    names = [type(p).__name__ for p in populate_onnx_to_ncnn_patterns(PatternTable()).patterns_for(PowOp)]
    assert names == ["PowByConstant", "BinaryToBinaryOp"]


def test_no_match_message() -> None:
    assert no_match_message([("A", "why a")]) == "why a"
    assert no_match_message([("A", "same"), ("B", "same")]) == "same"  # a shared precondition
    assert no_match_message([("A", "why a"), ("B", "why b")]) == "no lowering applies: A: why a; B: why b"


# --------------------------------------------------------------------------- on IR


def _parse(text: str) -> ModuleOp:
    from ncc.driver import make_context

    return Parser(make_context(), text).parse_module()


def _print(module: ModuleOp) -> str:
    import io

    out = io.StringIO()
    Printer(stream=out).print_op(module)
    return out.getvalue()


DEAD_LAYERS = """
func.func @main(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> {
  %unused = "ncnn.MemoryData"() <{params = {w = 4 : i32}, weights = {}}> : () -> tensor<4xf32>
  %dead = "ncnn.Sigmoid"(%x) <{params = {}, weights = {}}> : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %y = "ncnn.ReLU"(%x) <{params = {}, weights = {}}> : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  func.return %y : tensor<1x4x8x8xf32>
}
"""


def test_legalize_only_checks_it_leaves_dead_layers_as_they_are() -> None:
    from xdsl.context import Context

    from ncc.lowering.ncnn.legalize import NcnnLegalizePass

    module = _parse(DEAD_LAYERS)
    before = _print(module)
    assert sum(is_trivially_dead(o) for o in module.walk()) == 2
    NcnnLegalizePass().apply(Context(), module)
    assert _print(module) == before


def test_legalize_names_a_leftover_constant_as_internal() -> None:
    from xdsl.context import Context

    from ncc.lowering.ncnn.legalize import NcnnLegalizePass

    module = _parse("""
func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> {
  %c = "onnx.Constant"() <{value = dense<[1, 2]> : tensor<2xi64>}> : () -> tensor<2xi64>
  %y = "ncnn.ReLU"(%x) <{params = {}, weights = {}}> : (tensor<4xf32>) -> tensor<4xf32>
  func.return %y : tensor<4xf32>
}
""")
    with pytest.raises(NccError, match="internal"):
        NcnnLegalizePass().apply(Context(), module)


def _onnx_model(nodes, inputs, outputs, inits=()):
    onnx = pytest.importorskip("onnx")
    from onnx import helper

    graph = helper.make_graph(nodes, "g", inputs, outputs, list(inits))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)


def _f32(name, shape):
    from onnx import TensorProto, helper

    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def _lowered(model, stop_after: str = "ncnn-materialize-outputs") -> ModuleOp:
    from ncc.driver import run_pipeline
    from ncc.frontends.onnx import import_model

    module = import_model(model)
    run_pipeline(module, stop_after=stop_after)
    return module


def test_the_conversion_erases_what_it_made_dead_so_cse_finds_nothing_dead() -> None:
    """Constants the patterns took as weights / params, a Reshape's shape, a PRelu slope: gone
    after the conversion (and materialize-outputs), before `cse` would erase them."""
    from onnx import helper, numpy_helper

    rng = np.random.default_rng(0)
    inits = [
        numpy_helper.from_array(rng.standard_normal((8, 3, 3, 3)).astype(np.float32), "w"),
        numpy_helper.from_array(rng.standard_normal(8).astype(np.float32), "bias"),
        numpy_helper.from_array(np.full((8, 1, 1), 0.25, np.float32), "slope"),
        numpy_helper.from_array(np.array([1, 8, 36], np.int64), "shape"),
        numpy_helper.from_array(np.float32(2.0), "two"),
    ]
    model = _onnx_model(
        [
            helper.make_node("Conv", ["x", "w", "bias"], ["c"], pads=[1, 1, 1, 1], name="conv"),
            helper.make_node("PRelu", ["c", "slope"], ["p"], name="prelu"),
            helper.make_node("Mul", ["p", "two"], ["m"], name="mul"),
            helper.make_node("Reshape", ["m", "shape"], ["y"], name="flat"),
        ],
        [_f32("x", [1, 3, 6, 6])], [_f32("y", [1, 8, 36])], inits,
    )  # fmt: skip
    module = _lowered(model)
    ops = [o for o in module.walk() if not isinstance(o, ModuleOp)]
    assert not [o.name for o in ops if o.name.startswith("onnx.")]
    assert not [o.name for o in ops if is_trivially_dead(o)]


def test_a_refusal_leaves_no_uses_behind() -> None:
    """A pattern that builds layers and then refuses: the driver tries the next one on an
    IR where the half-built layers no longer use the op's operands."""
    from xdsl.context import Context
    from xdsl.dialects.func import FuncOp

    from ncc.dialects.ncnn import layers as L
    from ncc.dialects.onnx import elementwise as E
    from ncc.lowering import onnx_to_ncnn
    from ncc.lowering.onnx_to_ncnn.common import LayerBuilder, OnnxToNcnnPattern

    class BuildsThenRefuses(OnnxToNcnnPattern):
        OP = E.ReluOp
        PRIORITY = 100

        def convert(self, op, b: LayerBuilder):
            b.layer(L.SigmoidOp, [op.X], op.Y.type)
            raise NoMatch("changed its mind")

    module = _parse("""
func.func @main(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> {
  %y = "onnx.Relu"(%x) : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  func.return %y : tensor<1x4x8x8xf32>
}
""")
    saved = list(onnx_to_ncnn._PLUGIN_PATTERNS)
    onnx_to_ncnn.register_patterns([BuildsThenRefuses()])
    try:
        onnx_to_ncnn.ConvertOnnxToNcnnPass().apply(Context(), module)
    finally:
        onnx_to_ncnn._PLUGIN_PATTERNS[:] = saved
    f = next(o for o in module.walk() if isinstance(o, FuncOp))
    x = f.args[0]
    assert [o.name for o in f.body.block.ops] == ["ncnn.ReLU", "func.return"]
    assert [u.operation.name for u in x.uses] == ["ncnn.ReLU"]


def test_an_op_without_lowering_is_reported_by_the_conversion() -> None:
    """No pattern registered: the driver words it as ncnn-legalize did, and counts the rest."""
    from onnx import helper

    model = _onnx_model(
        [helper.make_node("Relu", ["x"], ["r"], name="r"), helper.make_node("Celu", ["r"], ["y"], name="c")],
        [_f32("x", [1, 3])], [_f32("y", [1, 3])],
    )  # fmt: skip
    module = _lowered(model, stop_after="onnx-check-static")
    from ncc.dialects.onnx.elementwise import CeluOp
    from ncc.lowering import onnx_to_ncnn
    from ncc.lowering.dispatch import apply_conversion
    from ncc.lowering.ncnn.legalize import NCNN_TARGET, describe_illegal

    table = onnx_to_ncnn.populate_onnx_to_ncnn_patterns(PatternTable())
    table.by_class.pop(CeluOp, None)  # as if Celu had no lowering
    with pytest.raises(NccError) as e:
        apply_conversion(module, table, NCNN_TARGET, describe_illegal)
    assert e.value.node == "c" and e.value.op == "Celu" and "has no ncnn lowering" in e.value.message

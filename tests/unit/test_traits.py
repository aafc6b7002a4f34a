"""Op categories are traits of the op classes; the instance conditions live on the op."""

from __future__ import annotations

import numpy as np
from xdsl.dialects.builtin import IntegerAttr, StringAttr, i64

from ncc.dialects.common import tensor_type
from ncc.dialects.onnx import elementwise as E
from ncc.dialects.onnx import nn as N
from ncc.dialects.onnx import reduce as R
from ncc.dialects.onnx import tensor as T
from ncc.dialects.onnx.base import ConstantOp
from ncc.dialects.onnx.traits import Broadcasting, DataMovement, Elementwise, FrameLocal, Image, Reduction, trait_of

F32 = np.dtype(np.float32)


def _value(shape):
    return ConstantOp.from_array(np.zeros(shape, np.float32)).output


def test_softmax_is_not_elementwise_and_frame_local_only_off_axis_0() -> None:
    x = _value((4, 5))
    for axis, local in ((0, False), (-2, False), (1, True), (-1, True)):
        op = E.SoftmaxOp.build(operands=[x], result_types=[x.type], properties={"axis": IntegerAttr(axis, i64)})
        assert not op.has_trait(Elementwise)
        assert (trait_of(op, FrameLocal) is not None) == local, axis


def test_unary_ops_are_elementwise_and_frame_local() -> None:
    x = _value((4, 5))
    relu = E.ReluOp.build(operands=[x], result_types=[x.type])
    assert relu.has_trait(Elementwise) and trait_of(relu, FrameLocal) is not None


def test_broadcasting_excludes_prelu() -> None:
    a, b = _value((1, 3)), _value((3,))
    add = E.AddOp.build(operands=[a, b], result_types=[a.type])
    prelu = E.PReluOp.build(operands=[a, b], result_types=[a.type])
    assert trait_of(add, Broadcasting) is not None
    assert trait_of(prelu, Broadcasting) is None


def test_data_movement_operands_and_scatter_reduction() -> None:
    d, i, u = _value((4,)), ConstantOp.from_array(np.zeros((1, 1), np.int64)).output, _value((1,))
    scatter = T.ScatterNDOp.build(operands=[d, i, u], result_types=[d.type])
    assert trait_of(scatter, DataMovement).data_positions(scatter) == (0, 2)
    adding = T.ScatterNDOp.build(
        operands=[d, i, u], result_types=[d.type], properties={"reduction": StringAttr("add")}
    )
    assert trait_of(adding, DataMovement) is None
    concat = T.ConcatOp.build(operands=[[d, d]], result_types=[tensor_type((8,), F32)])
    assert trait_of(concat, DataMovement).data_positions(concat) == (0, 1)


def test_image_and_reduction_traits() -> None:
    assert N.ConvOp.get_trait(Image).per_channel == (1, 2)
    assert N.ResizeOp.get_trait(Image).sizes == 3
    assert R.ReduceL2Op.get_trait(Reduction) == Reduction("l2", pointwise="abs")
    assert E.AddOp.get_trait(Image) is None


def test_defaults_live_on_the_property_definitions() -> None:
    import pytest
    from ncc.dialects.common import NccError

    x = _value((1, 4))
    leaky = E.LeakyReluOp.build(operands=[x], result_types=[x.type])
    assert leaky.attr("alpha") == pytest.approx(0.01)  # filled in when built
    assert "alpha" in leaky.properties
    with pytest.raises(NccError, match="internal error.*defaults to"):
        leaky.attr("alpha", 0.2)  # a call site restating another default is a bug
    gemm = N.GemmOp.build(operands=[x, _value((4, 2)), _value((2,))], result_types=[tensor_type((1, 2), F32)])
    assert (gemm.attr("transA"), gemm.attr("alpha")) == (0, 1.0)

"""Provenance after every pass of the default pipeline (and the batch strategies): each op
keeps a location naming its ONNX node(s), and the ONNX tensors the graph returns keep their
names on the values that compute them (what the manifest's `tensors` map and
`ncc verify --bisect` read)."""

from __future__ import annotations

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402
from xdsl.dialects import func  # noqa: E402
from xdsl.dialects.builtin import UnknownLoc  # noqa: E402

from ncc.dialects.common import node_names  # noqa: E402
from ncc.dialects.onnx.base import ConstantOp, NoValueOp  # noqa: E402
from ncc.driver import build_pipeline, make_context, with_batch_strategy  # noqa: E402
from ncc.frontends.onnx import import_model  # noqa: E402
from ncc.lowering.onnx.graph import functions  # noqa: E402
from ncc.lowering.rewriting import tracking  # noqa: E402
from ncc.tensor_names import tensor_name, tensor_names  # noqa: E402


def _f32(name: str, a) -> onnx.TensorProto:
    return numpy_helper.from_array(np.asarray(a, np.float32), name)


def _model(nodes, inputs, outputs, inits):
    graph = helper.make_graph(nodes, "g", inputs, outputs, initializer=inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)


def conv_bn_gather() -> onnx.ModelProto:
    """conv → BatchNorm → relu → Gather (constant indices) → Identity → ×0.5 + Expand → Where."""
    rng = np.random.default_rng(0)
    inits = [
        _f32("W", rng.standard_normal((6, 3, 3, 3))), _f32("B", rng.standard_normal(6)),
        _f32("g", rng.random(6) + 0.5), _f32("b", rng.standard_normal(6)),
        _f32("m", rng.standard_normal(6)), _f32("v", rng.random(6) + 0.5), _f32("half", 0.5),
        numpy_helper.from_array(np.asarray([4, 0, 2, 5], np.int64), "idx"),
        numpy_helper.from_array(np.asarray([1, 4, 8, 8], np.int64), "shape"),
        _f32("row", rng.standard_normal((1, 1, 1, 8))),
    ]  # fmt: skip
    nodes = [
        helper.make_node("Conv", ["x", "W", "B"], ["c"], name="conv", pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["c", "g", "b", "m", "v"], ["n"], name="bn"),
        helper.make_node("Relu", ["n"], ["r"], name="relu"),
        helper.make_node("Gather", ["r", "idx"], ["p"], name="pick", axis=1),
        helper.make_node("Identity", ["p"], ["i"], name="same"),
        helper.make_node("Expand", ["row", "shape"], ["e"], name="expand"),
        helper.make_node("Mul", ["i", "half"], ["h"], name="scale"),
        helper.make_node("Add", ["h", "e"], ["y"], name="add"),
    ]
    return _model(
        nodes,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 8, 8]),
         helper.make_tensor_value_info("p", TensorProto.FLOAT, [1, 4, 8, 8])],
        inits,
    )  # fmt: skip


def frames() -> onnx.ModelProto:
    """A batch of 4 frames: conv → relu → softmax over channels."""
    rng = np.random.default_rng(1)
    nodes = [
        helper.make_node("Conv", ["x", "W"], ["c"], name="conv", pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c"], ["r"], name="relu"),
        helper.make_node("Softmax", ["r"], ["y"], name="softmax", axis=1),
    ]
    return _model(
        nodes,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 3, 6, 6])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4, 5, 6, 6])],
        [_f32("W", rng.standard_normal((5, 3, 3, 3)))],
    )


def _through_split(v):
    """A Split's outputs are copies of its input, which holds the name."""
    return v.owner.operands[0] if getattr(v.owner, "name", "") == "ncnn.Split" else v


def _check(module, pass_name: str, outputs: list[str]) -> None:
    for f in functions(module):
        for op in f.body.block.ops:
            if isinstance(op, func.ReturnOp):
                returned = [tensor_name(_through_split(v)) for v in op.operands]
                assert returned == outputs, f"after {pass_name}: the graph returns {returned}"
                continue
            if isinstance(op, ConstantOp | NoValueOp):
                continue  # initializers come from no node
            assert not isinstance(op.location, UnknownLoc), f"after {pass_name}: {op.name} has no location"
            assert node_names(op), f"after {pass_name}: {op.name} names no ONNX node"


CASES = [
    ("conv_bn_gather", conv_bn_gather, ["y", "p"], None),
    ("frames-grouped", frames, ["y"], "grouped"),
    ("frames-conv3d", frames, ["y"], "conv3d"),
    ("frames-batch-axis", frames, ["y"], "batch-axis"),
]


@pytest.mark.parametrize(("name", "build", "outputs", "strategy"), CASES, ids=[c[0] for c in CASES])
def test_every_pass_keeps_names_and_locations(name, build, outputs, strategy) -> None:
    module = import_model(build())
    ctx = make_context()
    pipeline = build_pipeline(with_batch_strategy(None, strategy))
    _check(module, "import", outputs)
    for p in pipeline.passes:
        with tracking(module):
            p.apply(ctx, module)
        _check(module, p.name, outputs)


def test_fused_layers_name_every_node() -> None:
    """conv + BatchNorm + ReLU end as one Convolution whose location names all three, and
    which computes the ReLU's tensor; the Gather's tensor survives the slicing."""
    module = import_model(conv_bn_gather())
    ctx = make_context()
    for p in build_pipeline(None).passes:
        with tracking(module):
            p.apply(ctx, module)
    ops = [op for f in functions(module) for op in f.body.block.ops]
    conv = next(op for op in ops if op.name == "ncnn.Convolution")
    assert node_names(conv) == ["conv", "bn", "relu"]
    assert tensor_names(conv) == ["r"]
    assert "p" in {n for op in ops for n in tensor_names(op)}

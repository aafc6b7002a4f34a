"""ncnn-level fusions that make ncc's graphs as small as pnnx's, on small onnx.helper models that
have the pattern, compiled with no options and verified against onnxruntime on ncnn CPU, Vulkan
fp32 and Vulkan fp16; the layer types in the .param show the fusion happened.

- channel shuffle (Reshape → Transpose → Reshape) → ShuffleChannel (`ncnn-fuse-shuffle-channel`);
- pieces of one tensor that tile an axis (`torch.chunk` / `split` as the TorchScript exporter
  writes them: one Slice node per piece) → one multi-output Slice (`ncnn-fuse-slices`);
- a constant added along (or multiplied by) a linear layer's output features → its bias
  (weights) (`ncnn-fold-affine`).
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from ncc.driver import compile_onnx
from ncc.pipelines import DEFAULT
from ncc.verify import verify


def _ints(name: str, values) -> onnx.TensorProto:
    return helper.make_tensor(name, TensorProto.INT64, [len(values)], list(values))


def _compile_and_verify(tmp_path, model: onnx.ModelProto, passes: str | None = None) -> Counter:
    path = tmp_path / "m.onnx"
    onnx.save(model, path)
    compile_onnx(path, tmp_path / "out", passes=passes)
    report = verify(tmp_path / "out", path)
    assert report.passed, report.table()
    assert {r.mode for r in report.rows} | set(report.skipped) == {"cpu", "vulkan-fp32", "vulkan-fp16"}
    lines = (tmp_path / "out" / "m.ncnn.param").read_text().splitlines()[2:]
    return Counter(line.split()[0] for line in lines)


def _shuffle_model(shape, groups: int, swap=(0, 2, 1, 3, 4)) -> onnx.ModelProto:
    n, c, h, w = shape
    view = (n, groups, c // groups, h, w)
    nodes = [
        helper.make_node("Relu", ["x"], ["r"]),
        helper.make_node("Reshape", ["r", "view"], ["v"]),
        helper.make_node("Transpose", ["v"], ["t"], perm=list(swap)),
        helper.make_node("Reshape", ["t", "back"], ["y"]),
    ]
    graph = helper.make_graph(
        nodes, "shuffle", [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, shape)], [_ints("view", view), _ints("back", shape)],
    )  # fmt: skip
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


@pytest.mark.parametrize("shape,groups", [((1, 12, 5, 7), 2), ((1, 12, 5, 7), 3), ((1, 4, 6, 6), 2), ((1, 48, 3, 3), 4)])
def test_channel_shuffle_is_one_shufflechannel(tmp_path, shape, groups):
    layers = _compile_and_verify(tmp_path, _shuffle_model(shape, groups))
    assert layers["ShuffleChannel"] == 1 and not layers["Permute"] and not layers["Reshape"], layers


def test_transpose_that_is_not_a_shuffle_stays(tmp_path):
    # the same Reshapes around a transpose of h and w: data moves inside channels
    layers = _compile_and_verify(tmp_path, _shuffle_model((1, 12, 5, 5), 2, swap=(0, 1, 2, 4, 3)))
    assert not layers["ShuffleChannel"], layers


def _pieces_model(shape, axis: int, bounds: list[int]) -> onnx.ModelProto:
    """x → Relu → pieces [bounds[i], bounds[i+1]) along `axis`, one Slice node each, each piece
    through its own op to an output."""
    names = [f"p{i}" for i in range(len(bounds) - 1)]
    nodes, inits = [helper.make_node("Relu", ["x"], ["r"])], []
    for i, name in enumerate(names):
        inits += [_ints(f"s{i}", [bounds[i]]), _ints(f"e{i}", [bounds[i + 1]]), _ints(f"a{i}", [axis])]
        nodes.append(helper.make_node("Slice", ["r", f"s{i}", f"e{i}", f"a{i}"], [name]))
    outs = []
    for i, name in enumerate(names):
        nodes.append(helper.make_node("Sigmoid" if i % 2 else "Neg", [name], [f"y{i}"]))
        piece = list(shape)
        piece[axis] = bounds[i + 1] - bounds[i]
        outs.append(helper.make_tensor_value_info(f"y{i}", TensorProto.FLOAT, piece))
    graph = helper.make_graph(nodes, "pieces", [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)], outs, inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


@pytest.mark.parametrize(
    "shape,axis,bounds",
    [
        ((1, 12, 5, 7), 1, [0, 6, 12]),  # torch.chunk(x, 2, dim=1)
        ((1, 12, 5, 7), 1, [0, 4, 8, 12]),  # torch.chunk(x, 3, dim=1)
        ((1, 12, 5, 7), 3, [0, 2, 7]),  # x.split([2, 5], dim=-1)
        ((1, 9, 16), 2, [0, 3, 9, 16]),  # unequal pieces of a 2-D Mat
    ],
)
def test_pieces_that_tile_an_axis_are_one_slice(tmp_path, shape, axis, bounds):
    layers = _compile_and_verify(tmp_path, _pieces_model(shape, axis, bounds))
    assert layers["Slice"] == 1 and not layers["Crop"] and not layers["Split"], layers


def test_pieces_with_a_gap_stay_crops(tmp_path):
    layers = _compile_and_verify(tmp_path, _pieces_model((1, 12, 5, 7), 1, [0, 4, 8]))
    assert not layers["Slice"] and layers["Crop"] == 2, layers


def _linear_model(shape, sub: bool = False, conv: bool = False, mul: bool = False) -> onnx.ModelProto:
    """MatMul (or a 1x1 Conv) with random weights, then (`mul`) a product with a constant
    along the output features (a layer scale), then Add (or Sub) of another, then a Relu
    (which the fused layer takes as its activation)."""
    rng = np.random.default_rng(0)
    k, n = shape[-1] if not conv else shape[1], 6
    if conv:
        w = helper.make_tensor("w", TensorProto.FLOAT, [n, k, 1, 1], rng.standard_normal(n * k).tolist())
        c = helper.make_tensor("c", TensorProto.FLOAT, [1, n, 1, 1], rng.standard_normal(n).tolist())
        out = [shape[0], n, *shape[2:]]
        first = helper.make_node("Conv", ["x", "w"], ["m"])
    else:
        w = helper.make_tensor("w", TensorProto.FLOAT, [k, n], rng.standard_normal(k * n).tolist())
        c = helper.make_tensor("c", TensorProto.FLOAT, [n], rng.standard_normal(n).tolist())
        out = [*shape[:-1], n]
        first = helper.make_node("MatMul", ["x", "w"], ["m"])
    nodes = [first, helper.make_node("Sub" if sub else "Add", ["m", "c"], ["a"]), helper.make_node("Relu", ["a"], ["y"])]
    inits = [w, c]
    if mul:
        g = helper.make_tensor("g", TensorProto.FLOAT, list(c.dims), rng.standard_normal(n).tolist())
        nodes[1].input[0] = "mg"
        nodes.insert(1, helper.make_node("Mul", ["g", "m"], ["mg"]))
        inits.append(g)
    graph = helper.make_graph(
        nodes, "linear", [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, out)], inits,
    )  # fmt: skip
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


@pytest.mark.parametrize(
    "shape,sub,conv,mul",
    [
        ((1, 17, 8), False, False, False), ((17, 8), True, False, False), ((4, 16, 8), False, False, False),
        ((1, 3, 5, 5), False, True, False), ((1, 3, 5, 5), False, True, True), ((1, 17, 8), True, False, True),
    ],
    ids=["matmul-add", "matmul-sub", "rank3-matmul-add", "conv-add", "conv-scale-add", "matmul-scale-sub"],
)  # fmt: skip
def test_constant_affine_after_a_linear_layer_folds_into_it(tmp_path, shape, sub, conv, mul):
    layers = _compile_and_verify(tmp_path, _linear_model(shape, sub, conv, mul))
    assert not layers["MemoryData"] and not layers["BinaryOp"] and not layers["ReLU"], layers


def _attention_model(shape=(1, 3, 17, 16)) -> onnx.ModelProto:
    """softmax(q·kᵀ·s)·v with kᵀ written as the dynamo exporter writes it for ViT (Reshape to
    rank 3, Transpose, Reshape back): the attention becomes an SDPA whose lowering transposes
    k back, and the two Permutes cancel (`ncnn-fold-permutes`)."""
    n, h, t, d = shape
    nodes = [
        helper.make_node("Reshape", ["k", "flat"], ["k3"]),
        helper.make_node("Transpose", ["k3"], ["k3t"], perm=[0, 2, 1]),
        helper.make_node("Reshape", ["k3t", "unflat"], ["kt"]),
        helper.make_node("MatMul", ["q", "kt"], ["s"]),
        helper.make_node("Mul", ["s", "scale"], ["ss"]),
        helper.make_node("Softmax", ["ss"], ["p"], axis=-1),
        helper.make_node("MatMul", ["p", "v"], ["y"]),
    ]
    inits = [
        helper.make_tensor("scale", TensorProto.FLOAT, [], [0.25]),
        _ints("flat", [n * h, t, d]),
        _ints("unflat", [n, h, d, t]),
    ]
    ins = [helper.make_tensor_value_info(name, TensorProto.FLOAT, shape) for name in "qkv"]
    graph = helper.make_graph(nodes, "attention", ins, [helper.make_tensor_value_info("y", TensorProto.FLOAT, shape)], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def test_transposes_that_cancel_around_an_attention_are_gone(tmp_path):
    layers = _compile_and_verify(tmp_path, _attention_model())
    assert not layers["Permute"], layers


def test_batched_attention_is_one_sdpa(tmp_path):
    # a batch of 2 (MobileViT's patches) merged into the heads (`onnx-fuse-attention`)
    layers = _compile_and_verify(tmp_path, _attention_model((2, 3, 17, 16)))
    assert layers["SDPA"] == 1 and not layers["MatMul"] and not layers["Softmax"], layers


def _qkv_split_model(tokens: int = 17, heads: int = 3, dim: int = 16) -> onnx.ModelProto:
    """ViT's q/k/v split: (1, T, 3·H·D) → Reshape (1, T, 3, H, D) → Transpose (2, 0, 3, 1, 4) →
    Split in 3 along the first axis → Squeeze → each piece through its own op."""
    nodes = [
        helper.make_node("Reshape", ["x", "view"], ["v5"]),
        helper.make_node("Transpose", ["v5"], ["t5"], perm=[2, 0, 3, 1, 4]),
        helper.make_node("Split", ["t5"], ["s0", "s1", "s2"], axis=0, num_outputs=3),
    ]
    outs = []
    for i, op in enumerate(("Neg", "Sigmoid", "Relu")):
        nodes += [helper.make_node("Squeeze", [f"s{i}", "zero"], [f"p{i}"]), helper.make_node(op, [f"p{i}"], [f"y{i}"])]
        outs.append(helper.make_tensor_value_info(f"y{i}", TensorProto.FLOAT, [1, heads, tokens, dim]))
    graph = helper.make_graph(
        nodes, "qkv", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, tokens, 3 * heads * dim])], outs,
        [_ints("view", [1, tokens, 3, heads, dim]), _ints("zero", [0])],
    )  # fmt: skip
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])


def test_qkv_split_slices_before_the_reshape(tmp_path):
    layers = _compile_and_verify(tmp_path, _qkv_split_model())
    assert layers["Slice"] == 1 and layers["Reshape"] == 4, layers  # one into (3, 3, 17, 16), one per piece


@pytest.mark.parametrize("shape", [(1, 17, 192), (2, 17, 192)], ids=["tokens", "batched-tokens"])
def test_linear_on_tokens_is_a_gemm(tmp_path, shape):
    """MatMul + Add with 192×96 weights on rows of tokens: a Gemm with the opt-in
    `ncnn-innerproduct-to-gemm` after the default pipeline's conversion."""
    rng = np.random.default_rng(0)
    k, n = shape[-1], 96
    w = helper.make_tensor("w", TensorProto.FLOAT, [k, n], (rng.standard_normal(k * n) * 0.1).tolist())
    c = helper.make_tensor("c", TensorProto.FLOAT, [n], rng.standard_normal(n).tolist())
    nodes = [helper.make_node("MatMul", ["x", "w"], ["m"]), helper.make_node("Add", ["m", "c"], ["y"])]
    graph = helper.make_graph(
        nodes, "tokens", [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [*shape[:-1], n])], [w, c],
    )  # fmt: skip
    passes = DEFAULT.replace("ncnn-fp32-accumulation", "ncnn-innerproduct-to-gemm,ncnn-fp32-accumulation")
    layers = _compile_and_verify(
        tmp_path, helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), passes
    )
    assert layers["Gemm"] == 1 and not layers["InnerProduct"] and not layers["BinaryOp"], layers

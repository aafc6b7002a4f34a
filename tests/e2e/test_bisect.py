"""`ncc verify --bisect` on deliberately mis-lowered models: a test-only plug-in pass
(tests/e2e/plugins/corrupt_layer.py, loaded with --load-passes, not in ncc's registry) adds a
delta to one float param of one layer; bisect must name exactly that layer, its ONNX node
and op. Also: the manifest's `tensors` map follows the rewrites (BatchNorm folding, activation
fusion), and names that a pass merely copied are dropped."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from ncc.bisect import bisect  # noqa: E402
from ncc.cli import main  # noqa: E402
from ncc.pipelines import DEFAULT  # noqa: E402

CORRUPT = Path(__file__).parent / "plugins" / "corrupt_layer.py"


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    """conv → BatchNorm → relu → ×0.5 → + (residual) → clip → sigmoid."""
    rng = np.random.default_rng(0)
    f32 = lambda name, a: numpy_helper.from_array(np.asarray(a, np.float32), name)  # noqa: E731
    inits = [
        f32("W", rng.standard_normal((4, 3, 3, 3)) * 0.5), f32("B", rng.standard_normal(4)),
        f32("gamma", rng.random(4) + 0.5), f32("beta", rng.standard_normal(4)),
        f32("mean", rng.standard_normal(4) * 0.1), f32("var", rng.random(4) + 0.5),
        f32("half", 0.5), f32("lo", -1.0), f32("hi", 2.0),
    ]  # fmt: skip
    nodes = [
        helper.make_node("Conv", ["x", "W", "B"], ["c"], name="conv", pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["c", "gamma", "beta", "mean", "var"], ["n"], name="bn"),
        helper.make_node("Relu", ["n"], ["r"], name="relu"),
        helper.make_node("Mul", ["r", "half"], ["m"], name="scale"),
        helper.make_node("Add", ["m", "r"], ["a"], name="residual"),
        helper.make_node("Clip", ["a", "lo", "hi"], ["k"], name="clip"),
        helper.make_node("Sigmoid", ["k"], ["y"], name="sig"),
    ]
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 8, 8])], initializer=inits,
    )  # fmt: skip
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)
    path = tmp_path_factory.mktemp("bisect-model") / "net.onnx"
    onnx.save(m, str(path))
    return path


def _run(args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(args)
    return code, out.getvalue(), err.getvalue()


def _compile(model: Path, out: Path, corrupt: str | None = None) -> None:
    args = ["compile", str(model), "-o", str(out)]
    if corrupt is not None:
        args += ["--load-passes", str(CORRUPT), "--passes", f"{DEFAULT},test-corrupt-layer{{{corrupt}}}"]
    code, stdout, stderr = _run(args)
    assert code == 0, stdout + stderr


def test_tensors_map_follows_the_rewrites(model, tmp_path):
    _compile(model, tmp_path / "ok")
    manifest = json.loads((tmp_path / "ok" / "net.ncnn.json").read_text())
    layers = [line.split() for line in (tmp_path / "ok" / "net.ncnn.param").read_text().splitlines()[2:]]
    top = {la[1]: la[4 + int(la[2])] for la in layers}  # layer name → first output blob
    onnx_of = {blob: t["onnx"] for blob, t in manifest["tensors"].items()}
    # conv + folded BatchNorm + fused ReLU is one layer: its blob is the ReLU's tensor
    assert [la[0] for la in layers].count("Convolution") == 1 and "ReLU" not in [la[0] for la in layers]
    assert onnx_of[top["conv"]] == "r"
    assert onnx_of[top["scale"]] == "m" and onnx_of[top["residual"]] == "a" and onnx_of[top["clip"]] == "k"
    assert onnx_of["in0"] == "x" and onnx_of["out0"] == "y"
    entry = manifest["tensors"][top["scale"]]
    assert entry["shape"] == [1, 4, 8, 8] and entry["mat_shape"] == [4, 8, 8] and entry["layout"] == "reshape"
    # the Split that feeds the residual copies the ReLU's tensor to both users
    split = next(la for la in layers if la[0] == "Split")
    assert split[4] == top["conv"] and [onnx_of[b] for b in split[5:7]] == ["r", "r"]


def test_bisect_on_a_correct_model(model, tmp_path):
    _compile(model, tmp_path / "ok")
    code, out, _ = _run(["verify", str(tmp_path / "ok"), "--model", str(model), "--bisect"])
    assert code == 0 and "verify: PASS" in out and "first divergent layer" not in out
    report = bisect(tmp_path / "ok", model)
    assert report.outputs_ok and report.first is None
    assert len(report.checks) == 8 and all(c.ok for c in report.checks)


@pytest.mark.parametrize(
    ("corrupt", "layer", "layer_type", "node", "op"),
    [
        ("node=scale param=b delta=0.25", "scale", "BinaryOp", "scale", "Mul"),
        ("node=clip param=max delta=-1.5", "clip", "Clip", "clip", "Clip"),
    ],
)
def test_bisect_names_the_corrupted_layer(model, tmp_path, corrupt, layer, layer_type, node, op):
    _compile(model, tmp_path / "bad", corrupt)
    code, out, _ = _run(["verify", str(tmp_path / "bad"), "--model", str(model), "--bisect"])
    assert code == 1 and "verify: FAIL" in out
    lines = out.splitlines()
    first = [line for line in lines if line.startswith("first divergent layer:")]
    assert len(first) == 1, out
    assert first[0].startswith(f"first divergent layer: {layer_type} '{layer}' (blob ")
    assert f"ONNX node '{node}' ({op})" in first[0]
    marked = [line for line in lines if line.startswith("> ")]
    assert len(marked) == 1 and marked[0].split()[1] == layer
    # every layer before it matches
    table = lines[lines.index(next(line for line in lines if line.startswith("bisect (cpu"))) + 3 :]
    before = table[: table.index(marked[0])]
    assert before and all(line.rstrip().endswith("ok") for line in before)

    report = bisect(tmp_path / "bad", model)
    assert report.first is not None and report.first.layer == layer and not report.first.ok
    assert report.first.node == node and report.first.op == op and report.suspects == []


def test_bisect_needs_the_onnx_model(model, tmp_path):
    _compile(model, tmp_path / "ok")
    manifest_path = tmp_path / "ok" / "net.ncnn.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["source"] = "net.py:Net"
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(Exception, match="give --model model.onnx"):
        bisect(tmp_path / "ok")
    del manifest["tensors"]
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(Exception, match="no `tensors` map"):
        bisect(tmp_path / "ok", model)


def test_names_follow_replacements_and_copies_are_dropped():
    """The provenance listener (`ncc.lowering.rewriting.tracking`): a replacing value takes
    the name; an op created by copying another's attributes (without replacing it) does not
    keep the copied name; new ops take the replaced op's location."""
    from xdsl.dialects import func
    from xdsl.dialects.builtin import ModuleOp
    from xdsl.ir import Block, Region

    from ncc.dialects.common import node_loc, node_name, tensor_type
    from ncc.dialects.ncnn.layers import ReLUOp, SigmoidOp
    from ncc.lowering.rewriting import NccRewriter, tracking
    from ncc.tensor_names import set_tensor_names, tensor_names

    t = tensor_type((1, 4), np.float32)
    block = Block(arg_types=[t])
    relu = ReLUOp.build([block.args[0]], [t])
    sig = SigmoidOp.build([relu.outputs[0]], [t])
    sig.location = node_loc("sig")
    set_tensor_names(relu, ["r"])
    set_tensor_names(sig, ["s"])
    block.add_ops([relu, sig, func.ReturnOp(sig.outputs[0])])
    module = ModuleOp([func.FuncOp("main", ([t], [t]), Region(block))])

    with tracking(module):
        # a copy of relu that replaces nothing, and a new sigmoid that replaces the old one
        copy = ReLUOp.create(operands=[block.args[0]], result_types=[t], attributes=dict(relu.attributes))
        new_sig = SigmoidOp.build([copy.outputs[0]], [t])
        NccRewriter(sig).replace(sig, [copy, new_sig], [new_sig.outputs[0]])
    assert tensor_names(new_sig) == ["s"]
    assert tensor_names(copy) == [""]
    assert tensor_names(relu) == ["r"]  # untouched ops keep theirs
    assert node_name(new_sig) == "sig" and node_name(copy) == "sig"


@pytest.fixture(scope="module")
def gather_model(tmp_path_factory) -> Path:
    """conv → Gather of channels (constant indices: onnx-indexing-to-slices) → ×0.5 → relu."""
    rng = np.random.default_rng(1)
    f32 = lambda name, a: numpy_helper.from_array(np.asarray(a, np.float32), name)  # noqa: E731
    inits = [
        f32("W", rng.standard_normal((6, 3, 3, 3)) * 0.5), f32("B", rng.standard_normal(6)), f32("half", 0.5),
        numpy_helper.from_array(np.asarray([4, 0, 2, 5], np.int64), "idx"),
    ]  # fmt: skip
    nodes = [
        helper.make_node("Conv", ["x", "W", "B"], ["c"], name="conv", pads=[1, 1, 1, 1]),
        helper.make_node("Gather", ["c", "idx"], ["g"], name="pick", axis=1),
        helper.make_node("Mul", ["g", "half"], ["m"], name="scale"),
        helper.make_node("Relu", ["m"], ["y"], name="relu"),
    ]
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 8, 8])], initializer=inits,
    )  # fmt: skip
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)
    path = tmp_path_factory.mktemp("bisect-gather") / "net.onnx"
    onnx.save(m, str(path))
    return path


def test_bisect_through_indexing_to_slices(gather_model, tmp_path):
    """The Gather becomes Slices and a Concat: its output keeps its name in the manifest's
    `tensors` map, and bisect names the first wrong layer after it."""
    _compile(gather_model, tmp_path / "ok")
    manifest = json.loads((tmp_path / "ok" / "net.ncnn.json").read_text())
    assert "g" in {t["onnx"] for t in manifest["tensors"].values()}, manifest["tensors"]
    report = bisect(tmp_path / "ok", gather_model)
    assert report.outputs_ok and report.first is None
    assert "g" in {c.onnx for c in report.checks}  # the Gather's tensor is compared too

    _compile(gather_model, tmp_path / "bad", "node=scale param=b delta=0.25")
    report = bisect(tmp_path / "bad", gather_model)
    assert report.first is not None and report.first.layer == "scale" and not report.first.ok
    assert report.first.node == "scale" and report.first.op == "Mul"

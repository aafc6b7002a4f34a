"""The `.param` / `.bin` / `.ncnn.json` writer, on IR built here: how values are written (and
that ncnn reads them back as meant), the weight bytes with and without type tags, the
manifest, and byte-identical output for the same model."""

from __future__ import annotations

import json
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest
from xdsl.dialects import func
from xdsl.dialects.builtin import ArrayAttr, ModuleOp, StringAttr
from xdsl.ir import Block, Region

from ncc.dialects.common import NccError, tensor_type
from ncc.dialects.ncnn import LAYERS
from ncc.dialects.ncnn.base import FLOAT, FLOATS, INT, INTS, STR
from ncc.dialects.ncnn.layers import FLT_MAX, BinaryOpOp, ClipOp, MemoryDataOp
from ncc.dialects.ncnn.nn import ConvolutionOp
from ncc.emit.ncnn_files import (
    MANIFEST_FORMAT,
    MANIFEST_VERSION,
    TAG_FP16,
    TAG_FP32,
    emit_model,
    format_float,
    format_param,
    write_model_dir,
)
from ncc.verify import run_ncnn

# ------------------------------------------------------------------------------ helpers


def _module(arg_shapes, build, input_names=None, output_names=None) -> ModuleOp:
    """`func.func @main` whose body `build(block_args) → (ops, returned values)` makes."""
    block = Block(arg_types=[tensor_type(s, np.float32) for s in arg_shapes])
    ops, results = build(list(block.args))
    block.add_ops([*ops, func.ReturnOp(*results)])
    f = func.FuncOp("main", ([a.type for a in block.args], [r.type for r in results]), Region(block))
    if input_names:
        f.attributes["ncc.input_names"] = ArrayAttr([StringAttr(n) for n in input_names])
    if output_names:
        f.attributes["ncc.output_names"] = ArrayAttr([StringAttr(n) for n in output_names])
    return ModuleOp([f])


def _run_cpu(module: ModuleOp, folder: Path, inputs: dict[str, np.ndarray], fp16: bool = False):
    emitted = emit_model(module, "m", fp16=fp16)
    out = write_model_dir(emitted, folder, "m")
    got = run_ncnn(emitted.manifest, out, inputs, "cpu")
    assert got is not None
    return emitted, got


def _param_tokens(line: str) -> dict[int, str]:
    tok = line.split()
    nin, nout = int(tok[2]), int(tok[3])
    return {int(k): v for k, _, v in (t.partition("=") for t in tok[4 + nin + nout :])}


# ------------------------------------------------------------------------------ values


def _is_ncnn_float(token: str) -> bool:
    # ncnn's paramdict reads a token as a float iff it contains '.' or 'e'/'E'
    return "." in token or "e" in token.lower()


@pytest.mark.parametrize(
    ("value", "text"),
    [(1.0, "1.0"), (0.0, "0.0"), (-2.5, "-2.5"), (6.0, "6.0"), (100.0, "100.0"), (0.1, "0.1"),
     (float(np.float32(0.1)), "0.100000001")],
)
def test_format_float_exact(value: float, text: str) -> None:
    assert format_float(value) == text


def test_format_float_tokens_are_short_floats_that_round_trip() -> None:
    rng = np.random.default_rng(0)
    f32 = np.finfo(np.float32)
    values = [
        float(f32.max), -float(f32.max), float(f32.tiny), float(f32.smallest_subnormal),
        -0.0, 1e-20, 123456789.0, 1e10, -1234567.125, 3.0e-7, 65504.0,
        *(float(v) for v in rng.standard_normal(300).astype(np.float32)),
        *(float(v) for v in (rng.standard_normal(300) * 10.0 ** rng.integers(-30, 30, 300)).astype(np.float32)),
    ]  # fmt: skip
    for v in values:
        s = format_float(v)
        assert len(s) <= 15, (v, s)  # ncnn scans `%15s`: a longer token splits in two
        assert _is_ncnn_float(s), (v, s)
        assert np.float32(float(s)) == np.float32(v), (v, s)
    # plain integral and fractional values use the '.' form, never a bare integer
    for v in (0.0, 1.0, -3.0, 2.5, 1e6, 65504.0):
        assert "." in format_float(v), v
    for bad in (float("inf"), float("nan")):
        with pytest.raises(NccError):
            format_float(bad)


def test_format_param_kinds() -> None:
    assert format_param(0, INT, 3) == "0=3"
    assert format_param(14, INT, -233) == "14=-233"
    assert format_param(1, FLOAT, 6) == "1=6.0"
    assert format_param(3, INTS, [1, -2, 3]) == "-23303=3,1,-2,3"
    assert format_param(1, FLOATS, [1, -2.5]) == "-23301=2,1.0,-2.5"
    assert format_param(10, FLOATS, [0.0, 6.0]) == "-23310=2,0.0,6.0"
    assert format_param(0, INTS, []) == "-23300=0"
    assert format_param(6, STR, "abc_1") == "6=abc_1"


def test_every_default_param_writes_short_tokens() -> None:
    """Every layer's defaults (e.g. Clip's ±FLT_MAX) stay within ncnn's 15-character tokens."""
    checked = 0
    for cls in LAYERS:
        for p in cls.PARAMS.values():
            if p.default is None or p.kind == STR:
                continue
            text = format_param(p.id, p.kind, p.default)
            tokens = text.partition("=")[2].split(",")
            assert all(len(t) <= 15 for t in tokens), (cls.name, text)
            floats = tokens if p.kind == FLOAT else tokens[1:] if p.kind == FLOATS else []
            assert all(_is_ncnn_float(t) for t in floats), (cls.name, text)
            checked += 1
    assert checked > 20


def test_every_dialect_layer_is_an_ncnn_layer_type() -> None:
    import ncnn

    missing = [cls.name for cls in LAYERS if ncnn.layer_to_index(cls.name.split(".", 1)[1]) < 0]
    assert not missing


@pytest.mark.parametrize(
    ("lo", "hi"),
    [(1e-20, 6.0), (-2.5e-05, 123456789.0), (-FLT_MAX, 0.1), (0.0, FLT_MAX), (-0.333333343, 1e-07)],
)
def test_ncnn_reads_written_floats_back(tmp_path: Path, lo: float, hi: float) -> None:
    """Ground truth for the value format: ncnn's own parser applies the clip bounds we wrote.
    (A bound written as an integer token, or split at 15 characters, would clip elsewhere.)"""
    x = np.array([[-1e30, -3.0, -1e-5, -1e-21, 0.0, 1e-21, 0.05, 0.5, 7.0, 2e8, 1e30]], np.float32)

    def build(args):
        clip = ClipOp.build([args[0]], [args[0].type], params={"min": lo, "max": hi})
        return [clip], [clip.outputs[0]]

    m = _module([x.shape], build)
    emitted, got = _run_cpu(m, tmp_path / "clip", {"input0": x})
    expected = np.clip(x, np.float32(lo), np.float32(hi))
    np.testing.assert_array_equal(got["output0"].reshape(x.shape), expected)
    clip_line = emitted.param.splitlines()[3]
    assert clip_line.startswith("Clip ")


# ------------------------------------------------------------------------------ weights


def _conv_add_module():
    """in (1,1,3,3) → Convolution 1x1, 3 outputs (tagged weight of 3 values, raw bias)
    → + MemoryData (3,3,3) (raw)."""
    rng = np.random.default_rng(1)
    w = rng.standard_normal((3, 1, 1, 1)).astype(np.float32)
    b = rng.standard_normal(3).astype(np.float32)
    mem = rng.standard_normal((1, 3, 3, 3)).astype(np.float32)

    def build(args):
        t = tensor_type((1, 3, 3, 3), np.float32)
        conv = ConvolutionOp.build(
            [args[0]], [t], params={"num_output": 3, "kernel_w": 1, "bias_term": 1, "weight_data_size": 3},
            weights={"weight": w, "bias": b},
        )  # fmt: skip
        md = MemoryDataOp.build([], [t], params={"w": 3, "h": 3, "c": 3}, weights={"data": mem})
        add = BinaryOpOp.build([conv.outputs[0], md.outputs[0]], [t], params={"op_type": 0})
        return [conv, md, add], [add.outputs[0]]

    return _module([(1, 1, 3, 3)], build), w, b, mem


def test_bin_bytes_fp32(tmp_path: Path) -> None:
    m, w, b, mem = _conv_add_module()
    emitted = emit_model(m, "m")
    expected = (
        struct.pack("<I", TAG_FP32) + w.astype("<f4").tobytes()  # Convolution weight: tagged
        + b.astype("<f4").tobytes()  # bias: raw
        + mem.astype("<f4").tobytes()  # MemoryData: raw
    )  # fmt: skip
    assert TAG_FP32 == 0
    assert emitted.bin == expected

    x = np.random.default_rng(2).standard_normal((1, 1, 3, 3)).astype(np.float32)
    _, got = _run_cpu(m, tmp_path / "fp32", {"input0": x})
    ref = x[0, 0][None] * w.reshape(3, 1, 1) + b.reshape(3, 1, 1) + mem[0]
    np.testing.assert_allclose(got["output0"].reshape(3, 3, 3), ref, rtol=1e-5, atol=1e-6)


def test_bin_bytes_fp16(tmp_path: Path) -> None:
    m, w, b, mem = _conv_add_module()
    emitted = emit_model(m, "m", fp16=True)
    half = w.astype("<f2").tobytes()
    assert len(half) == 6
    expected = (
        struct.pack("<I", 0x01306B47) + half + b"\0\0"  # 6 bytes of fp16, padded to 8
        + b.astype("<f4").tobytes()  # raw blobs stay fp32
        + mem.astype("<f4").tobytes()
    )  # fmt: skip
    assert TAG_FP16 == 0x01306B47
    assert emitted.bin == expected
    assert len(emitted.bin) % 4 == 0

    x = np.random.default_rng(2).standard_normal((1, 1, 3, 3)).astype(np.float32)
    _, got = _run_cpu(m, tmp_path / "fp16", {"input0": x}, fp16=True)
    w16 = w.astype(np.float16).astype(np.float32)
    ref = x[0, 0][None] * w16.reshape(3, 1, 1) + b.reshape(3, 1, 1) + mem[0]
    np.testing.assert_allclose(got["output0"].reshape(3, 3, 3), ref, rtol=2e-3, atol=2e-3)


def test_param_text(tmp_path: Path) -> None:
    m, *_ = _conv_add_module()
    lines = emit_model(m, "m").param.splitlines()
    assert lines[0] == "7767517"
    assert lines[1] == "4 4"  # Input, Convolution, MemoryData, BinaryOp; in0, 0, 1, out0
    assert lines[2] == "Input in0 0 1 in0 0=3 1=3 2=1"
    conv = lines[3].split()
    assert conv[:6] == ["Convolution", conv[1], "1", "1", "in0", "0"]
    assert _param_tokens(lines[3]) == {0: "3", 1: "1", 5: "1", 6: "3"}
    assert lines[4].split()[0] == "MemoryData" and _param_tokens(lines[4]) == {0: "3", 1: "3", 2: "3"}
    assert lines[5].split()[:7] == ["BinaryOp", lines[5].split()[1], "2", "1", "0", "1", "out0"]
    assert _param_tokens(lines[5]) == {}  # op_type 0 is the default: not written


# ------------------------------------------------------------------------------ manifest


def test_manifest_fields(tmp_path: Path) -> None:
    def build(args):
        a = ClipOp.build([args[0]], [args[0].type], params={"min": 0.0, "max": 6.0})
        s = ClipOp.build([args[1]], [args[1].type], params={"min": -1.0})
        return [a, s], [a.outputs[0], s.outputs[0]]

    m = _module([(1, 3, 4, 5), (1, 16, 64)], build, ["image", "tokens"], ["feat", "probs"])
    emitted = emit_model(m, "net")
    man = emitted.manifest
    assert man["format"] == MANIFEST_FORMAT == "ncc-ncnn-manifest"
    assert man["version"] == MANIFEST_VERSION == 1
    assert man["param"] == "net.ncnn.param" and man["bin"] == "net.ncnn.bin"
    want_in = [("image", "in0", [1, 3, 4, 5], [3, 4, 5]), ("tokens", "in1", [1, 16, 64], [16, 64])]
    want_out = [("feat", "out0", [1, 3, 4, 5], [3, 4, 5]), ("probs", "out1", [1, 16, 64], [16, 64])]
    for entries, want in ((man["inputs"], want_in), (man["outputs"], want_out)):
        assert len(entries) == len(want)
        for e, (name, blob, shape, mat) in zip(entries, want, strict=True):
            assert (e["name"], e["blob"], e["dtype"], e["shape"], e["mat_shape"]) == (
                name, blob, "float32", shape, mat,
            )  # fmt: skip
    lines = emitted.param.splitlines()
    assert lines[2] == "Input in0 0 1 in0 0=5 1=4 2=3"
    assert lines[3] == "Input in1 0 1 in1 0=64 1=16"

    out = write_model_dir(emitted, tmp_path / "o", "net", {"source": "x.onnx"})
    assert sorted(p.name for p in out.iterdir()) == ["net.ncnn.bin", "net.ncnn.json", "net.ncnn.param"]
    assert json.loads((out / "net.ncnn.json").read_text()) == {**man, "source": "x.onnx"}
    assert (out / "net.ncnn.param").read_text() == emitted.param
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o"], "temp folder left behind"

    # the manifest is all `run_ncnn` needs: feed by Mat shape, get ONNX-shaped outputs back
    rng = np.random.default_rng(5)
    feed = {"image": rng.standard_normal((1, 3, 4, 5)).astype(np.float32) * 5,
            "tokens": rng.standard_normal((1, 16, 64)).astype(np.float32) * 2}  # fmt: skip
    got = run_ncnn(man, out, feed, "cpu")
    np.testing.assert_array_equal(got["feat"], np.clip(feed["image"], 0, 6))
    np.testing.assert_array_equal(got["probs"], np.maximum(feed["tokens"], -1))


def test_output_that_is_an_input_is_refused() -> None:
    m = _module([(1, 4)], lambda args: ([], [args[0]]))
    with pytest.raises(NccError, match="output 0"):
        emit_model(m)


# ------------------------------------------------------------------------------ determinism


def _elementwise_onnx(path: Path) -> None:
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(11)
    inits = [
        numpy_helper.from_array(rng.standard_normal((1, 3, 1, 1)).astype(np.float32), "scale"),
        numpy_helper.from_array(rng.standard_normal((1, 3, 8, 8)).astype(np.float32), "bias"),
    ]
    nodes = [
        helper.make_node("Mul", ["x", "scale"], ["a"], name="mul"),
        helper.make_node("Add", ["a", "bias"], ["b"], name="add"),
        helper.make_node("Sigmoid", ["b"], ["s"], name="sig"),
        helper.make_node("Relu", ["b"], ["r"], name="relu"),  # b fans out: a Split
        helper.make_node("Mul", ["s", "r"], ["y"], name="gate"),
    ]
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, 8, 8])], initializer=inits,
    )  # fmt: skip
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


def test_same_model_compiles_to_identical_bytes(tmp_path: Path) -> None:
    from ncc.driver import compile_onnx

    model = tmp_path / "ew.onnx"
    _elementwise_onnx(model)
    first = compile_onnx(model, tmp_path / "a")
    second = compile_onnx(model, tmp_path / "b")
    proc = subprocess.run(
        ["ncc", "compile", str(model), "-o", str(tmp_path / "c")], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    names = ["ew.ncnn.param", "ew.ncnn.bin", "ew.ncnn.json"]
    for name in names:
        a = (tmp_path / "a" / name).read_bytes()
        assert a == (tmp_path / "b" / name).read_bytes(), f"{name} differs between two compiles"
        assert a == (tmp_path / "c" / name).read_bytes(), f"{name} differs between the API and the CLI"
    # not identical by being empty: the weights (3 + 192 floats) and a Split are there
    assert len(first.bin.read_bytes()) >= 4 * (3 + 192)
    assert "Split" in first.param.read_text()
    assert second.manifest == first.manifest


def test_verify_compare_counts_matching_nan_and_inf_as_agreement():
    import numpy as np

    from ncc.verify import compare

    assert compare(np.array([1.0, np.nan, np.inf]), np.array([1.0, np.nan, np.inf])) == (0.0, 0.0)
    assert compare(np.array([1.0, 2.0]), np.array([1.0, np.nan])) == (float("inf"), float("inf"))
    assert compare(np.array([1.0, np.inf]), np.array([1.0, -np.inf]))[0] == float("inf")
    max_abs, max_rel = compare(np.array([2.0, np.nan]), np.array([2.5, np.nan]))
    assert max_abs == 0.5 and max_rel == 0.25

"""`ncc compare`: one model, several variants (built-in sets, pass specs, options), one table
with layers, .bin size, Vulkan CPU-fallback layers, ncnn CPU latency at 1 and 2 threads and
the max error against onnxruntime; CSV and JSON copies for papers."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import textwrap
from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from ncc import plugins  # noqa: E402
from ncc.cli import main  # noqa: E402
from ncc.compare import Variant, edit_pipeline, parse_variant, variant_set, variant_sets  # noqa: E402
from ncc.dialects.common import NccError  # noqa: E402
from ncc.pipelines import DEFAULT  # noqa: E402


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    """conv → relu → conv → relu (two fusions) → MatMul by a second input (no Vulkan kernel)."""
    rng = np.random.default_rng(0)
    init = lambda name, shape: numpy_helper.from_array(rng.standard_normal(shape).astype(np.float32) * 0.3, name)  # noqa: E731
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], name="conv1", pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("Conv", ["r1", "w2", "b2"], ["c2"], name="conv2", pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c2"], ["r2"], name="relu2"),
        helper.make_node("Reshape", ["r2", "shape"], ["f"], name="flat"),
        helper.make_node("MatMul", ["f", "m"], ["y"], name="mm"),
    ]
    inits = [init("w1", (16, 3, 3, 3)), init("b1", (16,)), init("w2", (8, 16, 3, 3)), init("b2", (8,)),
             numpy_helper.from_array(np.array([1, 8, 64], np.int64), "shape")]  # fmt: skip
    graph = helper.make_graph(
        nodes, "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8]),
         helper.make_tensor_value_info("m", TensorProto.FLOAT, [1, 64, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8, 4])], initializer=inits,
    )  # fmt: skip
    mp = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)
    path = tmp_path_factory.mktemp("compare-model") / "net.onnx"
    onnx.save(mp, str(path))
    return path


def _run(args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(args)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def compared(model, tmp_path_factory) -> tuple[str, list[dict], dict, Path]:
    """One `ncc compare` run: (table, CSV rows, JSON, folder)."""
    tmp = tmp_path_factory.mktemp("compare")
    code, out, err = _run([
        "compare", str(model), "--variants", "fuse-activation", "--variants", "fp16-weights",
        "--variant", "unfused-fp16=--without=ncnn-fuse-activation --fp16",
        "--variant", f"spec={DEFAULT}", "--repeats", "3", "--warmup", "1",
        "--csv", str(tmp / "t.csv"), "--json", str(tmp / "t.json"), "--keep", str(tmp / "kept"),
    ])  # fmt: skip
    assert code == 0, out + err
    with open(tmp / "t.csv") as fh:
        rows = list(csv.DictReader(fh))
    return out, rows, json.loads((tmp / "t.json").read_text()), tmp


def test_table_has_one_row_per_variant(compared):
    table, rows, _, _ = compared
    names = ["fused", "unfused", "fp32-weights", "fp16-weights", "unfused-fp16", "spec"]
    assert [r["variant"] for r in rows] == names
    lines = table.splitlines()
    assert lines[0].split()[:2] == ["variant", "layers"] and "cpu 1t ms" in lines[0] and "cpu 2t ms" in lines[0]
    assert [line.split()[0] for line in lines[2:]] == names


def test_measurements(compared):
    _, rows, _, tmp = compared
    by = {r["variant"]: r for r in rows}
    # fusion removes the two ReLU layers; fp16 halves the conv weights (biases stay fp32)
    assert int(by["unfused"]["layers"]) == int(by["fused"]["layers"]) + 2
    assert int(by["fp16-weights"]["bin_bytes"]) < int(by["fp32-weights"]["bin_bytes"])
    assert by["unfused-fp16"]["bin_bytes"] == by["fp16-weights"]["bin_bytes"]
    assert by["unfused-fp16"]["fp16"] == "True" and "ncnn-fuse-activation" not in by["unfused-fp16"]["passes"]
    assert by["spec"]["passes"] == by["fused"]["passes"]
    for r in rows:
        assert r["error"] == ""
        assert int(r["vulkan_cpu_fallback"]) == 1  # the MatMul
        assert float(r["latency_ms_t1"]) > 0 and float(r["latency_ms_t2"]) > 0
        tol = 2e-2 if r["fp16"] == "True" else 1e-4
        assert float(r["max_rel_err"]) <= tol and float(r["max_abs_err"]) >= 0
    assert int(by["fused"]["bin_bytes"]) == (tmp / "kept" / "fused" / "net.ncnn.bin").stat().st_size


def test_json_copy(compared):
    _, rows, doc, _ = compared
    assert doc["format"] == "ncc-compare" and doc["threads"] == [1, 2] and doc["repeats"] == 3
    assert [v["variant"] for v in doc["variants"]] == [r["variant"] for r in rows]
    assert isinstance(doc["variants"][0]["latency_ms_t1"], float)


def test_failing_variant_is_a_row_and_exit_1(model):
    bad = "set-input-shapes,onnx-simplify,ncnn-legalize"
    code, out, _ = _run(["compare", str(model), "--variant", "ok=default", "--variant", f"broken={bad}", "--repeats", "1", "--threads", "1"])
    assert code == 1
    broken = next(line for line in out.splitlines() if line.startswith("broken"))
    assert "error:" in broken and "Conv" in broken
    assert next(line for line in out.splitlines() if line.startswith("ok ")).split()[1].isdigit()


def test_list_variant_sets():
    code, out, _ = _run(["compare", "--list-variant-sets"])
    assert code == 0
    assert {line.split()[0] for line in out.splitlines()} >= {"fuse-activation", "fp16-weights"}


def test_plugin_module_registers_a_variant_set(model, tmp_path):
    """A module given to --load-passes can register its own variant set by name."""
    mod = tmp_path / "my_variants.py"
    mod.write_text(textwrap.dedent('''
        from dataclasses import dataclass

        from xdsl.passes import ModulePass

        from ncc.compare import Variant, register_variant_set


        @dataclass(frozen=True)
        class NoopPass(ModulePass):
            name = "test-variant-noop"

            def apply(self, ctx, op):
                pass


        register_variant_set("test-noop", lambda: [
            Variant("base"), Variant("with-noop", "set-input-shapes,onnx-simplify,test-variant-noop,"
                                     "convert-onnx-to-ncnn,ncnn-insert-split,ncnn-legalize"),
        ], "base vs. a pipeline with a no-op pass")
    '''))
    saved = dict(plugins._LOADED)
    try:
        code, out, err = _run(["compare", str(model), "--load-passes", str(mod), "--variants", "test-noop", "--repeats", "1", "--threads", "1"])
    finally:
        plugins._LOADED.clear()
        plugins._LOADED.update(saved)
    assert code == 0, out + err
    assert [line.split()[0] for line in out.splitlines()[2:]] == ["base", "with-noop"]
    assert "test-noop" in variant_sets()


def test_variant_parsing():
    assert parse_variant("a=default") == Variant("a", DEFAULT)
    assert parse_variant("b=set-input-shapes,onnx-simplify").passes == "set-input-shapes,onnx-simplify"
    v = parse_variant("c=--fp16 --without=cse,ncnn-fold-reshapes --before=ncnn-legalize:dce")
    assert v.fp16 and v.passes is not None
    names = v.passes.split(",")
    assert "cse" not in names and "ncnn-fold-reshapes" not in names
    assert names[-2:] == ["dce", "ncnn-legalize"]
    assert edit_pipeline("set-input-shapes,onnx-simplify", after=[("set-input-shapes", "dce")]) == "set-input-shapes,dce,onnx-simplify"
    for bad, msg in [("noequals", "expected NAME="), ("d=--what", "unknown option"), ("e=--without=nope", "no such pass")]:
        with pytest.raises(NccError, match=msg):
            parse_variant(bad)
    with pytest.raises(NccError, match="no such variant set"):
        variant_set("nope")

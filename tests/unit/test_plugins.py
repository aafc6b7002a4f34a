"""Plug-in passes: a pass defined outside the repository is usable in `--passes` without
editing ncc, through `--load-passes FILE.py|MODULE` and through the `ncc.passes` entry-point
group of an installed distribution; it changes what `ncc compile` writes."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from ncc import plugins  # noqa: E402
from ncc.cli import main  # noqa: E402
from ncc.pipelines import DEFAULT  # noqa: E402

# ReLU → Clip(0, FLT_MAX): same numbers, another layer in the .param
PLUGIN = textwrap.dedent('''
    from dataclasses import dataclass

    from xdsl.passes import ModulePass
    from xdsl.pattern_rewriter import PatternRewriteWalker, RewritePattern

    from ncc.dialects.ncnn.layers import ClipOp, ReLUOp


    class ReluAsClip(RewritePattern):
        def match_and_rewrite(self, op, rewriter, /):
            if isinstance(op, ReLUOp) and op.param("slope") == 0.0:
                clip = ClipOp.build(list(op.inputs), [op.outputs[0].type], {"min": 0.0, "max": 3.4e38})
                rewriter.replace(op, [clip], list(clip.results))


    @dataclass(frozen=True)
    class NcnnReluAsClipPass(ModulePass):
        name = "{name}"

        def apply(self, ctx, op):
            PatternRewriteWalker(ReluAsClip()).rewrite_module(op)
''')


def plugin_source(name: str) -> str:
    return PLUGIN.replace("{name}", name)


@pytest.fixture(autouse=True)
def _isolated_plugins():
    """Passes loaded by one test are not seen by the next."""
    saved = dict(plugins._LOADED)
    yield
    plugins._LOADED.clear()
    plugins._LOADED.update(saved)


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    """y = relu(x + c): the ReLU follows a BinaryOp, so no fusion hides it."""
    c = numpy_helper.from_array(np.linspace(-1, 1, 8, dtype=np.float32).reshape(1, 8), "c")
    nodes = [helper.make_node("Add", ["x", "c"], ["s"], name="add"), helper.make_node("Relu", ["s"], ["y"], name="relu")]
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8])], initializer=[c],
    )  # fmt: skip
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)
    path = tmp_path_factory.mktemp("plugin-model") / "m.onnx"
    onnx.save(m, str(path))
    return path


def _spec(pass_name: str) -> str:
    return DEFAULT.replace("ncnn-insert-split", f"{pass_name},ncnn-insert-split")


def _layer_types(out: Path) -> list[str]:
    return [line.split()[0] for line in (out / "m.ncnn.param").read_text().splitlines()[2:]]


def test_load_passes_file_changes_the_compile(model, tmp_path, capsys):
    plugin = tmp_path / "relu_as_clip.py"
    plugin.write_text(plugin_source("test-relu-as-clip"))
    assert main(["compile", str(model), "-o", str(tmp_path / "plain")]) == 0
    capsys.readouterr()
    args = ["compile", str(model), "-o", str(tmp_path / "plug"), "--load-passes", str(plugin)]
    assert main([*args, "--passes", _spec("test-relu-as-clip"), "--print-pipeline", "--verify"]) == 0
    out = capsys.readouterr().out
    assert "test-relu-as-clip" in out.splitlines()[0].split(",")
    assert "verify: PASS" in out
    plain, plug = _layer_types(tmp_path / "plain"), _layer_types(tmp_path / "plug")
    assert plain[-1] == "ReLU" and "Clip" not in plain
    assert plug == [*plain[:-1], "Clip"]


def test_load_passes_module_and_ncc_passes_list(model, tmp_path, monkeypatch, capsys):
    pkg = tmp_path / "ncc_test_plugmod.py"
    # NCC_PASSES picks what is registered: the helper pass below is not
    pkg.write_text(
        plugin_source("test-relu-as-clip-mod")
        + "\n\n@dataclass(frozen=True)\nclass Helper(ModulePass):\n    name = 'test-helper'\n\n    def apply(self, ctx, op):\n        pass\n"
        + "\n\nNCC_PASSES = [NcnnReluAsClipPass]\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    assert plugins.load_passes("ncc_test_plugmod") == ["test-relu-as-clip-mod"]
    args = ["compile", str(model), "-o", str(tmp_path / "o"), "--passes", _spec("test-relu-as-clip-mod")]
    assert main(args) == 0
    assert "Clip" in _layer_types(tmp_path / "o")
    from ncc.registry import get_all_passes

    assert "test-relu-as-clip-mod" in get_all_passes() and "test-helper" not in get_all_passes()


def test_entry_point_plugin_changes_the_compile(model, tmp_path):
    """An installed distribution (a .dist-info with entry_points.txt on the path) offers a
    pass to every ncc command, with no --load-passes."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "ncc_ep_plugin.py").write_text(plugin_source("test-ep-relu-as-clip"))
    dist = site / "ncc_ep_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: ncc-ep-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[ncc.passes]\ntest-ep-relu-as-clip = ncc_ep_plugin:NcnnReluAsClipPass\n")
    env = {k: v for k, v in os.environ.items() if k != "NCC_DEBUG"}
    env["PYTHONPATH"] = os.pathsep.join([str(site), env.get("PYTHONPATH", "")])
    cmd = [sys.executable, "-m", "ncc", "compile", str(model), "-o", str(tmp_path / "o"),
           "--passes", _spec("test-ep-relu-as-clip"), "--print-pipeline"]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "test-ep-relu-as-clip" in proc.stdout.splitlines()[0].split(",")
    assert _layer_types(tmp_path / "o")[-1] == "Clip"
    # ncc-opt sees it too
    mlir = tmp_path / "t.mlir"
    mlir.write_text(
        'func.func @f(%x: tensor<1x8xf32>) -> tensor<1x8xf32> {\n'
        '  %y = "ncnn.ReLU"(%x) : (tensor<1x8xf32>) -> tensor<1x8xf32>\n  func.return %y : tensor<1x8xf32>\n}\n'
    )
    proc = subprocess.run(["ncc-opt", str(mlir), "-p", "test-ep-relu-as-clip"], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert '"ncnn.Clip"' in proc.stdout and "ncnn.ReLU" not in proc.stdout


def test_entry_point_with_wrong_name_is_an_error(tmp_path):
    from importlib.metadata import EntryPoint

    (tmp_path / "ncc_ep_wrong.py").write_text(plugin_source("the-real-name"))
    sys.path.insert(0, str(tmp_path))
    try:
        ep = EntryPoint(name="another-name", value="ncc_ep_wrong:NcnnReluAsClipPass", group=plugins.ENTRY_POINT_GROUP)
        with pytest.raises(plugins.NccError, match="entry-point name must be the pass name"):
            plugins._entry_point_factory(ep)()
    finally:
        sys.path.remove(str(tmp_path))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        ("x = 1\n", "defines no ModulePass subclass"),
        (plugin_source("ncnn-legalize"), "has the name of a built-in pass"),
        ("raise RuntimeError('boom')\n", "RuntimeError: boom"),
    ],
)
def test_load_passes_errors(model, tmp_path, capsys, content, message):
    plugin = tmp_path / "bad_plugin.py"
    if content is not None:
        plugin.write_text(content)
    assert main(["compile", str(model), "-o", str(tmp_path / "o"), "--load-passes", str(plugin)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("ncc: error: --load-passes") and message in err, err
    assert not (tmp_path / "o").exists()


def test_unknown_pass_in_passes(model, tmp_path, capsys):
    assert main(["compile", str(model), "-o", str(tmp_path / "o"), "--passes", _spec("no-such-pass")]) == 1
    assert "bad pass pipeline" in capsys.readouterr().err

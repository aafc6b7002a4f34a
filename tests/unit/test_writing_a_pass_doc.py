"""docs/writing-a-pass.md is executable: its code blocks are written to an empty folder and
its shell blocks run there, in document order; the IR test it contains runs like any file in
tests/filecheck. So the walk-through cannot rot: the pass it builds must load, lower the model,
verify against onnxruntime and show up in `ncc compile --print-pipeline`.

Blocks: ```LANG file=NAME``` is written to NAME; ```bash``` is run (bash -e); a code block
that is neither must say `norun` (so none is left untested by accident); a block without a
language is sample output.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "writing-a-pass.md"
PASS_NAME = "strided-slice-as-pooling"

_BLOCK = re.compile(r"^```([^\n`]*)\n(.*?)^```\s*$", re.S | re.M)


def blocks(text: str) -> list[tuple[str, dict[str, str], str]]:
    """(language, options, body) of each fenced block."""
    out = []
    for m in _BLOCK.finditer(text):
        info = m.group(1).split()
        lang = info[0] if info else ""
        opts = dict(t.split("=", 1) if "=" in t else (t, "") for t in info[1:])
        out.append((lang, opts, m.group(2)))
    return out


def _conftest():
    spec = importlib.util.spec_from_file_location("ncc_tests_root_conftest", ROOT / "tests" / "conftest.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_every_code_block_is_run_or_marked():
    for lang, opts, body in blocks(DOC.read_text()):
        if not lang:
            continue
        assert "file" in opts or lang == "bash" or "norun" in opts, f"untested ```{lang}``` block:\n{body[:200]}"


@pytest.fixture(scope="module")
def walkthrough(tmp_path_factory) -> tuple[Path, str]:
    """Run the document; returns the folder and everything its shell blocks printed."""
    work = tmp_path_factory.mktemp("writing-a-pass")
    env = {k: v for k, v in os.environ.items() if k != "NCC_DEBUG"}
    printed = []
    for lang, opts, body in blocks(DOC.read_text()):
        if "file" in opts:
            (work / opts["file"]).write_text(body)
        elif lang == "bash" and "norun" not in opts:
            proc = subprocess.run(
                ["bash", "-e", "-o", "pipefail", "-c", body], cwd=work, env=env,
                capture_output=True, text=True, timeout=300,
            )  # fmt: skip
            assert proc.returncode == 0, f"shell block failed ({proc.returncode}):\n{body}\n{proc.stdout}\n{proc.stderr}"
            printed.append(proc.stdout)
    return work, "\n".join(printed)


def test_ir_test_of_the_doc_passes(walkthrough):
    work, _ = walkthrough
    mlir = [p for p in work.glob("*.mlir")]
    assert len(mlir) == 1
    conftest = _conftest()
    commands = conftest.run_lines(mlir[0])
    assert commands and "--load-passes" in commands[0]
    for cmd in commands:
        proc = subprocess.run(["bash", "-c", conftest._PRELUDE + cmd], cwd=work, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, f"RUN: {cmd}\n{proc.stdout}{proc.stderr}"


def test_pass_appears_in_print_pipeline(walkthrough):
    _, out = walkthrough
    printed = [line for line in out.splitlines() if line.startswith("set-input-shapes")]
    assert printed, out
    assert PASS_NAME in printed[0].split(",")


def test_walkthrough_model_compiles_and_verifies(walkthrough):
    work, out = walkthrough
    assert "verify: PASS" in out
    param = (work / "out" / "strided.ncnn.param").read_text()
    assert "\nCrop " in param and "\nPooling " in param and "Slice" not in param
    # --stats printed the pass with its op changes
    assert any(line.startswith(PASS_NAME) and "ncnn.Pooling +1" in line for line in out.splitlines()), out


def test_compare_of_the_doc(walkthrough):
    _, out = walkthrough
    rows = {
        line.split()[0]: line
        for line in out.splitlines()
        if line.startswith(("default ", "pooling ", "pooling-fp16 "))
    }
    assert set(rows) == {"default", "pooling", "pooling-fp16"}, out
    assert "error" not in out.lower()


def test_without_the_pass_the_default_strategy_runs(walkthrough):
    """The default pipeline lowers the same strided slice its own way (no Pooling): the
    walk-through's pass is a second strategy, and compare puts them side by side."""
    work, _ = walkthrough
    proc = subprocess.run(
        ["ncc", "compile", "strided.onnx", "-o", "plain", "--verify"], cwd=work, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert "verify: PASS" in proc.stdout
    param = (work / "plain" / "strided.ncnn.param").read_text()
    assert "\nPooling " not in param and "\nCrop " in param

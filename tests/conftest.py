"""Collects the IR tests: every `tests/filecheck/**/*.mlir` file is one test item.

A file's `// RUN:` lines (a line ending in `\\` continues on the next `// RUN:` line) are run
with bash under `set -o pipefail`, `%s` replaced by the file's path and `%S` by its folder;
the item fails with the command's output when any line exits non-zero. A file without RUN
lines fails too: it would otherwise pass without checking anything.

As in LLVM's lit, `not CMD` succeeds when CMD exits non-zero (an error the test expects) and
fails when CMD succeeds or is killed by a signal (a crash is never the expected error).
"""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

import pytest

from ncc.plugins import isolated as _plugins_isolated

_FILECHECK_DIR = Path(__file__).parent / "filecheck"
_RUN = re.compile(r"^\s*//\s*RUN:\s?(.*)$")
_TIMEOUT_S = 120
_PRELUDE = """set -o pipefail
not() {
  "$@"
  local rc=$?
  if [ "$rc" -eq 0 ]; then echo "not: '$*' succeeded" >&2; return 1; fi
  if [ "$rc" -ge 128 ]; then echo "not: '$*' crashed (exit $rc)" >&2; return 2; fi
  return 0
}
"""


class RunLineError(Exception):
    def __init__(self, command: str, returncode: int, output: str):
        super().__init__(command)
        self.command = command
        self.returncode = returncode
        self.output = output


def run_lines(path: Path) -> list[str]:
    """The commands of the file's RUN lines, continuations joined, substitutions made."""
    commands: list[str] = []
    pending = ""
    for line in path.read_text().splitlines():
        m = _RUN.match(line)
        if not m:
            continue
        text = m.group(1).rstrip()
        if text.endswith("\\"):
            pending += text[:-1] + " "
            continue
        commands.append(pending + text)
        pending = ""
    if pending:
        commands.append(pending)
    quoted = shlex.quote(str(path))
    folder = shlex.quote(str(path.parent))
    # one pass, so `%%` stays a literal '%' and a path containing '%s' is not re-substituted
    return [
        re.sub(r"%[sS%]", lambda m: {"%s": quoted, "%S": folder, "%%": "%"}[m.group(0)], c)
        for c in commands
    ]


class MlirFile(pytest.File):
    def collect(self):
        yield MlirTest.from_parent(self, name=self.path.name)


class MlirTest(pytest.Item):
    def runtest(self) -> None:
        commands = run_lines(self.path)
        if not commands:
            raise RunLineError("(none)", 1, "the file has no '// RUN:' line")
        for cmd in commands:
            proc = subprocess.run(
                ["bash", "-c", _PRELUDE + cmd],
                cwd=self.path.parent, capture_output=True, text=True, timeout=_TIMEOUT_S,
            )  # fmt: skip
            if proc.returncode != 0:
                raise RunLineError(cmd, proc.returncode, (proc.stdout + proc.stderr).rstrip())

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, RunLineError):
            e = excinfo.value
            return f"RUN: {e.command}\nexit code {e.returncode}\n{e.output}"
        if isinstance(excinfo.value, subprocess.TimeoutExpired):
            return f"RUN line timed out after {_TIMEOUT_S} s: {excinfo.value.cmd[-1]}"
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.path, 0, f"filecheck: {self.path.name}"


def pytest_collect_file(parent: pytest.Collector, file_path: Path):
    if file_path.suffix == ".mlir" and file_path.is_relative_to(_FILECHECK_DIR):
        return MlirFile.from_parent(parent, path=file_path)
    return None


@pytest.fixture(autouse=True)
def _plugin_registrations_stay_in_their_test():
    """A test that loads a plug-in (`--load-passes`, in process) must not change what later
    tests see: its op classes and patterns are undone after it."""
    with _plugins_isolated():
        yield

"""The ONNX conformance harness: the test models that ship with the `onnx` package, each
compiled by ncc (in-process) and run in ncnn CPU and Vulkan fp32 against the expected outputs.

Suites (see `SUITES`):
- `node`: the one-op tests of `onnx.backend.test.case.node` (with their `_expanded` function
  forms). The installed wheel ships no `data/node` folder, so they are generated in memory by
  onnx's own test-case code, with `np.random` seeded: the same models and data every run.
- `pytorch-converted`, `pytorch-operator`, `simple`: `data/<suite>/<test>/model.onnx` with
  `test_data_set_*/input_*.pb` and `output_*.pb`.
- `light`: `data/light/light_<net>.onnx` with `light_<net>_output_0.pb`, the output for the
  input onnx's own backend runner feeds it (`arange(n) / n` in the input's shape); a model
  without a shipped output is compared with onnxruntime on that input.

Every model ends in exactly one status:
- `match`: lowered, and ncnn's outputs equal the expected ones within ncc verify's fp32
  tolerance (`ncc.verify.check_output`: integer and boolean outputs exactly) on CPU and on
  Vulkan fp32 (when there is a Vulkan device);
- `refused`: compile raised an `NccError` naming why in one line;
and the failures, each a bug in ncc:
- `wrong`: lowered, but a number differs (on CPU or Vulkan fp32);
- `crash`: ncnn crashed, hung, or would not load or run the model ncc wrote;
- `traceback`: compile raised something other than an `NccError` (or ran past its time);
- `internal`: an `NccError` saying "internal error", or a refusal that is not one named line.
"""

from __future__ import annotations

import dataclasses
import glob
import os
import re
import signal
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

SUITES = ("node", "pytorch-converted", "pytorch-operator", "light", "simple")
FAILURES = ("wrong", "crash", "traceback", "internal")
STATUSES = ("match", "refused", *FAILURES)
MODES = ("cpu", "vulkan-fp32")
COMPILE_TIMEOUT_S = 120
NCNN_TIMEOUT_S = 300  # per model; lavapipe compiles every shader on first use, slow on a loaded machine


def data_dir() -> Path:
    import onnx

    return Path(onnx.__file__).parent / "backend" / "test" / "data"


# ------------------------------------------------------------------------------ cases


@dataclass
class Case:
    suite: str
    name: str
    model: Any  # onnx.ModelProto, or the path of model.onnx (loaded when compiled)
    inputs: dict[str, Any] | None = None
    """Feeds by graph input name; values that are not arrays (sequences, optionals, maps)
    are kept as they are: a model that takes them cannot be run in ncnn."""
    expected: dict[str, Any] | None = None
    """Expected outputs by graph output name; None: onnxruntime on `inputs` (light)."""

    @property
    def key(self) -> str:
        return f"{self.suite}/{self.name}"

    def load(self):
        import onnx

        if isinstance(self.model, (str, os.PathLike)):
            return onnx.load(str(self.model))
        return self.model


def _graph_inputs(model) -> list[str]:
    inits = {t.name for t in model.graph.initializer}
    return [i.name for i in model.graph.input if i.name not in inits]


def _normalize(value: Any) -> Any:
    from onnx import TensorProto, numpy_helper

    if isinstance(value, TensorProto):
        return numpy_helper.to_array(value)
    if isinstance(value, np.generic):  # a 0-d output computed by numpy
        return np.asarray(value)
    return value


def node_cases() -> list[Case]:
    """onnx's node test cases, generated in memory (once per process: onnx keeps them in a
    module global), with seeded random data."""
    global _NODE_CASES
    if _NODE_CASES is None:
        import warnings

        import onnx.backend.test.case.node as node_tests

        state = np.random.get_state()
        np.random.seed(0)
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                collected = node_tests.collect_testcases(None)
        finally:
            np.random.set_state(state)
        cases = []
        for tc in collected:
            ins, outs = tc.data_sets[0]
            in_names = _graph_inputs(tc.model)
            out_names = [o.name for o in tc.model.graph.output]
            cases.append(Case(
                "node", tc.name, tc.model,
                dict(zip(in_names, (_normalize(v) for v in ins), strict=False)),
                dict(zip(out_names, (_normalize(v) for v in outs), strict=False)),
            ))  # fmt: skip
        _NODE_CASES = cases
    return _NODE_CASES


_NODE_CASES: list[Case] | None = None


def _load_pb(path: str) -> Any:
    import onnx
    from onnx import numpy_helper

    data = Path(path).read_bytes()
    tensor = onnx.TensorProto()
    tensor.ParseFromString(data)
    if tensor.dims or tensor.raw_data or tensor.data_type:
        return numpy_helper.to_array(tensor)
    seq = onnx.SequenceProto()
    seq.ParseFromString(data)
    return numpy_helper.to_list(seq)


def folder_cases(suite: str) -> list[Case]:
    import onnx

    cases = []
    for folder in sorted((data_dir() / suite).iterdir()):
        model_path = folder / "model.onnx"
        if not model_path.is_file():
            continue
        model = onnx.load(str(model_path), load_external_data=False)
        data_set = folder / "test_data_set_0"
        in_names = _graph_inputs(model)
        out_names = [o.name for o in model.graph.output]
        n_in = len(glob.glob(str(data_set / "input_*.pb")))
        n_out = len(glob.glob(str(data_set / "output_*.pb")))
        inputs = {in_names[i]: _load_pb(str(data_set / f"input_{i}.pb")) for i in range(min(n_in, len(in_names)))}
        expected = {out_names[i]: _load_pb(str(data_set / f"output_{i}.pb")) for i in range(min(n_out, len(out_names)))}
        cases.append(Case(suite, folder.name, model_path, inputs, expected))
    return cases


def light_cases() -> list[Case]:
    import onnx

    from ncc.dialects.onnx.dtypes import onnx_to_numpy

    cases = []
    for path in sorted((data_dir() / "light").glob("light_*.onnx")):
        model = onnx.load(str(path))
        inits = {t.name for t in model.graph.initializer}
        inputs = {}
        for vi in model.graph.input:
            if vi.name in inits:
                continue
            shape = tuple(d.dim_value if d.HasField("dim_value") else 1 for d in vi.type.tensor_type.shape.dim)
            n = int(np.prod(shape))
            dtype = onnx_to_numpy(vi.type.tensor_type.elem_type)
            inputs[vi.name] = (np.arange(n).reshape(shape) / n).astype(dtype)
        stem = str(path)[: -len(".onnx")]
        outs = [o.name for o in model.graph.output]
        expected: dict[str, Any] | None = {}
        for i, name in enumerate(outs):
            pb = f"{stem}_output_{i}.pb"
            if not os.path.exists(pb):
                expected = None
                break
            expected[name] = _load_pb(pb)
        cases.append(Case("light", path.stem[len("light_"):], path, inputs, expected))
    return cases


def collect(suite: str) -> list[Case]:
    if suite == "node":
        return node_cases()
    if suite == "light":
        return light_cases()
    return folder_cases(suite)


# ------------------------------------------------------------------------------ outcomes


@dataclass
class ModeResult:
    status: str  # match | wrong | crash
    max_rel: float = 0.0
    detail: str = ""


@dataclass
class Outcome:
    suite: str
    name: str
    status: str
    reason: str = ""
    """Why it is not `match`: the refusal's or the failure's one-line message."""
    op: str | None = None
    """The op the test is about (node suite: the op of its single node; `_expanded` tests
    are about the function body's ops), else None."""
    ops: list[str] = field(default_factory=list)
    layers: list[str] = field(default_factory=list)
    """The ncnn layer types of the compiled model (Input left out)."""
    modes: dict[str, ModeResult] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def key(self) -> str:
        return f"{self.suite}/{self.name}"

    @property
    def failed(self) -> bool:
        return self.status in FAILURES

    def line(self) -> str:
        return f"{self.key}: {self.status}: {self.reason}"


def test_op(case: Case, model) -> str | None:
    if case.suite != "node" or "_expanded" in case.name:
        return None
    node = model.graph.node[0] if len(model.graph.node) == 1 else None
    if node is None:
        return None
    return f"{node.domain}.{node.op_type}" if node.domain not in ("", "ai.onnx") else node.op_type


def _ops_of(model) -> list[str]:
    ops: set[str] = set()

    def walk(graph) -> None:
        for node in graph.node:
            ops.add(node.op_type if node.domain in ("", "ai.onnx") else f"{node.domain}.{node.op_type}")
            for attr in node.attribute:
                if attr.g is not None and attr.HasField("g"):
                    walk(attr.g)
                for g in attr.graphs:
                    walk(g)

    walk(model.graph)
    return sorted(ops)


class _CompileTimeout(Exception):
    pass


def _on_alarm(signum, frame):  # noqa: ARG001 - signal handler signature
    raise _CompileTimeout


@dataclass
class Compiled:
    outcome: Outcome
    out_dir: Path | None = None
    manifest: dict | None = None


def compile_case(case: Case, work: Path) -> Compiled:
    """Compile one case with ncc's in-process API; `outcome.status` is `refused`, `traceback`,
    `internal`, or `match` pending the ncnn runs."""
    import time
    import warnings

    from ncc.dialects.common import NccError
    from ncc.driver import compile_onnx_model

    t0 = time.perf_counter()
    try:
        model = case.load()
    except Exception as e:  # noqa: BLE001 - the file itself is broken: not ncc's fault, but say so
        return Compiled(Outcome(case.suite, case.name, "traceback", f"could not load: {e}"))
    outcome = Outcome(case.suite, case.name, "match", op=test_op(case, model), ops=_ops_of(model))
    out_dir = work / case.suite / case.name
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.alarm(COMPILE_TIMEOUT_S)
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            result = compile_onnx_model(model, out_dir, stem="model", label=case.key)
    except NccError as e:
        outcome.reason = _one_line(e)
        text = str(e)
        if re.search(r"\binternal( error)?:", text) or "internal error" in text:
            outcome.status = "internal"
        elif "\n" in text.strip() or not e.message.strip():
            outcome.status = "internal"
            outcome.reason = "refusal is not one named line: " + outcome.reason
        else:
            outcome.status = "refused"
        return Compiled(outcome)
    except _CompileTimeout:
        outcome.status, outcome.reason = "traceback", f"compile ran past {COMPILE_TIMEOUT_S} s"
        return Compiled(outcome)
    except Exception as e:  # noqa: BLE001 - a traceback is the bug this harness looks for
        outcome.status = "traceback"
        outcome.reason = " ".join(f"{type(e).__name__}: {e}".split())[:300] + _where(e)
        return Compiled(outcome)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
        outcome.seconds = time.perf_counter() - t0
    outcome.layers = sorted(set(result.manifest.get("layer_types", [])) - {"Input"})
    return Compiled(outcome, out_dir, result.manifest)


def _one_line(e) -> str:
    where = []
    if getattr(e, "node", None) is not None or getattr(e, "op", None) is not None:
        where.append(f"node '{e.node or '?'}' ({e.op or '?'})")
    return " ".join((": ".join(where) + ": " if where else "") .split() + e.message.split())


def _where(e: BaseException) -> str:
    import traceback

    frames = traceback.extract_tb(e.__traceback__)
    ours = [f for f in frames if "/ncc" in f.filename or "/wt/" in f.filename or "/compiler/" in f.filename
            or "/lowering/" in f.filename or "/dialects/" in f.filename or "/emit/" in f.filename]
    f = (ours or frames)[-1] if (ours or frames) else None
    return f" (at {Path(f.filename).name}:{f.lineno} in {f.name})" if f else ""


def _feeds_and_expected(case: Case, manifest: dict) -> tuple[dict | None, dict | None, str]:
    """The inputs ncnn gets and the outputs it must give, or a reason the model cannot be
    checked in ncnn (non-tensor inputs or outputs)."""
    feeds = {}
    for entry in manifest["inputs"]:
        value = (case.inputs or {}).get(entry["name"])
        if not isinstance(value, np.ndarray):
            return None, None, f"input '{entry['name']}' is not a tensor in the test data"
        feeds[entry["name"]] = value
    expected = case.expected
    if expected is None:
        from ncc.verify import onnxruntime_reference

        with tempfile.NamedTemporaryFile(suffix=".onnx") as tmp:
            tmp.write(case.load().SerializeToString())
            tmp.flush()
            expected = onnxruntime_reference(tmp.name)(feeds)
    for entry in manifest["outputs"]:
        if not isinstance(expected.get(entry["name"]), np.ndarray):
            return None, None, f"output '{entry['name']}' is not a tensor in the test data"
    return feeds, expected, ""


def _onnxruntime_outputs(case: Case, feeds: dict) -> dict:
    """onnxruntime's outputs on `feeds` ({} when it cannot run the model)."""
    try:
        import onnxruntime as ort

        so = ort.SessionOptions()
        so.log_severity_level = 4
        sess = ort.InferenceSession(case.load().SerializeToString(), so, providers=["CPUExecutionProvider"])
        names = [o.name for o in sess.get_outputs()]
        return dict(zip(names, sess.run(names, feeds), strict=True))
    except Exception:  # noqa: BLE001 - no second opinion then
        return {}


def check_case(case: Case, compiled: Compiled, got_by_mode: dict[str, Any]) -> Outcome:
    """Fill in the ncnn results of a compiled case (`got_by_mode`: mode → outputs,
    `NcnnFailure`, or None when the mode has no device)."""
    from ncc.verify import DEFAULT_RTOL, DEFAULT_RTOL_FP16, NcnnFailure, check_output, mode_tolerance

    outcome = compiled.outcome
    manifest = compiled.manifest
    assert manifest is not None
    feeds, expected, why = _feeds_and_expected(case, manifest)
    if feeds is None:
        outcome.status, outcome.reason = "wrong", f"lowered, but cannot be run: {why}"
        return outcome
    second_opinion: dict | None = None
    for mode, got in got_by_mode.items():
        if got is None:
            continue
        if isinstance(got, NcnnFailure):
            outcome.modes[mode] = ModeResult("crash", detail=got.message)
            continue
        worst, notes, remarks = 0.0, [], []
        # verify's tolerance of the mode: fp32's, or the documented bound of a layer whose
        # Vulkan kernel is less exact (`NcnnLayer.VULKAN_FP32_RTOL`)
        tol, why_tol = mode_tolerance(manifest, compiled.out_dir, mode, DEFAULT_RTOL, DEFAULT_RTOL_FP16)
        if why_tol:
            remarks.append(why_tol)
        for entry in manifest["outputs"]:
            name = entry["name"]
            ref = np.asarray(expected[name])
            have = got[name]
            if entry["dtype"] != str(ref.dtype) and not (ref.dtype.kind == "f" and entry["dtype"].startswith("float")):
                notes.append(f"output '{name}' is {entry['dtype']} in the manifest, {ref.dtype} in the reference")
                worst = float("inf")
                continue
            max_abs, max_rel, passed, note = check_output(ref, have, tol)
            if not passed and case.expected is not None:
                # a few shipped outputs are rounded (AveragePool's to 4 digits): when
                # onnxruntime disagrees with the shipped output too and ncnn agrees with
                # onnxruntime, the shipped output is the one that is off
                if second_opinion is None:
                    second_opinion = _onnxruntime_outputs(case, feeds)
                ort = second_opinion.get(name)
                if ort is not None and not check_output(ref, ort, DEFAULT_RTOL)[2]:
                    o_abs, o_rel, o_passed, _ = check_output(np.asarray(ort), have, tol)
                    if o_passed:
                        remarks.append(f"output '{name}': the shipped output is {max_rel:.2g} off; matches onnxruntime")
                        max_abs, max_rel, passed = o_abs, o_rel, True
            worst = max(worst, max_rel)
            if not passed:
                notes.append(f"output '{name}' max_rel {max_rel:.3g} (max_abs {max_abs:.3g}){' ' + note if note else ''}")
        outcome.modes[mode] = ModeResult("wrong" if notes else "match", worst, "; ".join(notes or remarks))
    bad = [(m, r) for m, r in outcome.modes.items() if r.status != "match"]
    if bad:
        outcome.status = "crash" if any(r.status == "crash" for _, r in bad) else "wrong"
        outcome.reason = "; ".join(f"{m}: {r.detail}" for m, r in bad)
    return outcome


# ------------------------------------------------------------------------------ the run


def _compile_chunk(args: tuple[list[Case], str]) -> list[Compiled]:
    cases, work = args
    return [compile_case(c, Path(work)) for c in cases]


def run_cases(
    cases: Sequence[Case], work: Path, *, modes: Sequence[str] = MODES, jobs: int | None = None,
    progress: Any = None,
) -> list[Outcome]:
    """Compile every case (in `jobs` forked worker processes; 1: in this process), then run
    the lowered ones in ncnn, many models per runner process, each mode in its own thread."""
    from concurrent.futures import ThreadPoolExecutor

    from ncc.verify import run_ncnn_many

    jobs = jobs or min(2, os.cpu_count() or 1)
    compiled: list[Compiled] = []
    if jobs <= 1 or len(cases) < 8:
        compiled = [compile_case(c, work) for c in cases]
    else:
        import multiprocessing as mp

        chunks = [list(cases[i::jobs * 4]) for i in range(jobs * 4)]
        with mp.get_context("fork").Pool(jobs) as pool:
            parts = pool.map(_compile_chunk, [(chunk, str(work)) for chunk in chunks], chunksize=1)
        order = {c.key: i for i, c in enumerate(cases)}
        compiled = sorted((x for part in parts for x in part), key=lambda x: order[x.outcome.key])
    if progress:
        progress(f"compiled {len(cases)} models")
    by_key = {c.key: c for c in cases}
    lowered = [x for x in compiled if x.manifest is not None]
    runnable = []
    for x in lowered:
        feeds, _, why = _feeds_and_expected(by_key[x.outcome.key], x.manifest) if x.manifest else (None, None, "")
        if feeds is None:
            x.outcome.status, x.outcome.reason = "wrong", f"lowered, but cannot be run: {why}"
        else:
            runnable.append((x, feeds))
    requests = [(x.manifest, x.out_dir, feeds) for x, feeds in runnable]
    with ThreadPoolExecutor(len(modes) or 1) as pool:
        futures = {m: pool.submit(run_ncnn_many, requests, m, timeout_s=NCNN_TIMEOUT_S) for m in modes}
        results = {m: f.result() for m, f in futures.items()}
    for i, (x, _) in enumerate(runnable):
        got = {m: (results[m][i] if results[m] is not None else None) for m in modes}
        check_case(by_key[x.outcome.key], x, got)
    return [x.outcome for x in compiled]


def summary(outcomes: Iterable[Outcome]) -> Counter:
    return Counter(o.status for o in outcomes)


def reason_group(reason: str) -> str:
    """A refusal's reason without what varies from model to model (node names, shapes,
    numbers), so refusals for the same reason count together."""
    text = re.sub(r"^node '[^']*' \(([^)]*)\): ", r"\1: ", reason)
    text = re.sub(r"\s*\(and \d+ more op\(s\) without lowering: [^)]*\)", "", text)
    text = re.sub(r"\s*\(inputs [^()]*(\([^()]*\)[^()]*)*\)", "", text)
    text = re.sub(r"'[^']*'", "'…'", text)
    text = re.sub(r"\[[^\[\]]*\]", "[…]", text)
    text = re.sub(r"\[[^\[\]]*\]", "[…]", text)
    text = re.sub(r"(?<!element type )\b\d+(\.\d+)?\b", "N", text)
    return text[:160]


def as_dict(o: Outcome) -> dict:
    return dataclasses.asdict(o)


# ------------------------------------------------------------------------------ the doc

DOC = Path(__file__).resolve().parents[2] / "docs" / "onnx-support.md"
BASELINE = Path(__file__).resolve().parent / "matching.txt"
PNNX = Path(__file__).resolve().parent / "pnnx.json"
REFRESH = "python -m tests.conformance.report"


def run_all(work: Path, suites: Sequence[str] = SUITES, progress: Any = None) -> dict[str, list[Outcome]]:
    return {s: run_cases(collect(s), work, progress=progress) for s in suites}


def matching(results: dict[str, list[Outcome]]) -> list[str]:
    return sorted(o.key for outs in results.values() for o in outs if o.status == "match")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _mode_count(outs: list[Outcome], mode: str) -> int:
    return sum(1 for o in outs if o.modes.get(mode) is not None and o.modes[mode].status == "match")


def render_doc(results: dict[str, list[Outcome]], pnnx: dict[str, Any] | None = None) -> str:
    """docs/onnx-support.md: totals per suite, then op by op (node tests) how each op lowers
    or why it is refused, then model by model for the other suites."""
    import onnx

    try:
        import ncnn

        ncnn_version = ncnn.__version__
    except Exception:  # noqa: BLE001
        ncnn_version = "?"
    lines = [
        "# ONNX support",
        "",
        f"Generated by `{REFRESH}` (do not edit): every test model that ships with the `onnx`",
        f"package ({onnx.__version__}) compiled by ncc and run in ncnn ({ncnn_version}) on the CPU and on",
        "Vulkan fp32 (Mesa lavapipe), against the expected outputs within `ncc verify`'s tolerance",
        "(max |ncnn - expected| <= 1e-4 · max |expected|, or on Vulkan the documented bound of a",
        "layer whose Vulkan kernel is less exact, `VULKAN_FP32_RTOL`; integer and boolean outputs",
        "exactly; NaN and ±inf where expected). Where a shipped output is itself rounded and",
        "onnxruntime agrees with ncnn, onnxruntime's output is the reference.",
        "The `conformance` test tier (`pytest -m conformance tests/conformance`) runs the",
        "same harness (tests/conformance/onnx_conformance.py) and fails on any wrong number, ncnn",
        "crash or compiler traceback, and on any model listed as matching in",
        "tests/conformance/matching.txt that no longer matches.",
        "",
        "- **match**: lowered, and ncnn gives the expected outputs on CPU and Vulkan fp32;",
        "- **refused**: ncc stops with a one-line error naming the node, the op and why;",
        "- **wrong / crash / traceback**: bugs in ncc (there must be none).",
        "",
        "The `node` suite is onnx's one-op tests (`onnx.backend.test.case.node`, generated in memory",
        "with seeded data; `*_expanded` tests are the op's ONNX function body). `light` models get",
        "the input onnx's own runner feeds them (`arange(n)/n`).",
        "",
        "## Totals",
        "",
        "| suite | models | match (CPU and Vulkan fp32) | match CPU | match Vulkan fp32 | refused | wrong | crash | traceback / internal | pnnx: match CPU |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for suite, outs in results.items():
        c = summary(outs)
        p = (pnnx or {}).get(suite)
        pn = f"{p['match']} / {p['models']}" if p else "–"
        lines.append(
            f"| {suite} | {len(outs)} | {c['match']} | {_mode_count(outs, 'cpu')} | {_mode_count(outs, 'vulkan-fp32')} "
            f"| {c['refused']} | {c['wrong']} | {c['crash']} | {c['traceback'] + c['internal']} | {pn} |"
        )
    if pnnx and pnnx.get("how"):
        lines += ["", f"pnnx column: {pnnx['how']}"]
    refusals = Counter(reason_group(o.reason) for outs in results.values() for o in outs if o.status == "refused")
    in_node = Counter(reason_group(o.reason) for o in results.get("node", []) if o.status == "refused")
    lines += [
        "", "## Refusals by reason", "",
        "The most common reasons over all suites, and how many of them are node tests.", "",
        "| models | node tests | reason |", "|---|---|---|",
    ]  # fmt: skip
    for reason, n in refusals.most_common(40):
        lines.append(f"| {n} | {in_node[reason]} | {_cell(reason)} |")
    if "node" in results:
        lines += [
            "",
            "## Operators (node tests)",
            "",
            "Per op: its tests (without the `_expanded` ones), how many match, the ncnn layers the",
            "matching ones lower to, and why the others are refused (or what went wrong).",
            "",
            "| op | tests | match | ncnn layers | refused or failed because |",
            "|---|---|---|---|---|",
        ]
        by_op: dict[str, list[Outcome]] = {}
        for o in results["node"]:
            if o.op is not None:
                by_op.setdefault(o.op, []).append(o)
        for op in sorted(by_op, key=str.lower):
            outs = by_op[op]
            ok = [o for o in outs if o.status == "match"]
            layers = sorted({layer for o in ok for layer in o.layers})
            why = Counter(f"{o.status}: {reason_group(o.reason)}" if o.failed else reason_group(o.reason)
                          for o in outs if o.status != "match")
            whys = "; ".join(f"{r} (×{n})" if n > 1 else r for r, n in why.most_common(3))
            if len(why) > 3:
                whys += f"; … ({len(why) - 3} more)"
            lines.append(f"| {op} | {len(outs)} | {len(ok)} | {', '.join(layers)} | {_cell(whys)} |")
        expanded = [o for o in results["node"] if o.op is None]
        c = summary(expanded)
        lines += ["", f"Function-expanded tests (`*_expanded`): {len(expanded)}, match {c['match']}, refused {c['refused']}."]
    for suite, outs in results.items():
        if suite == "node":
            continue
        lines += ["", f"## {suite}", "", "| model | status | ncnn layers or why |", "|---|---|---|"]
        for o in outs:
            what = ", ".join(o.layers) if o.status == "match" else o.reason
            lines.append(f"| {o.name} | {o.status} | {_cell(what)} |")
    return "\n".join(lines) + "\n"

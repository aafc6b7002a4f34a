"""The `conformance` tier (`pytest -m conformance tests/conformance`, in .ci/run): every test
model that ships with `onnx` ends in `match` or a named refusal. Failures list the models and
why; a model of tests/conformance/matching.txt that stops matching is a regression.

The doc (docs/onnx-support.md) is written by `python -m tests.conformance.report`, from the same
harness, together with matching.txt. This tier does not demand that the committed doc be
byte-for-byte current: several developers add lowerings at once, and an improvement must not
fail everyone else's run. It fails on what matters (a wrong number, a crash, a traceback, a
regression) and says when the committed files are behind, with the command that refreshes them.
"""

from __future__ import annotations

import warnings

import pytest

import onnx_conformance as oc

pytestmark = pytest.mark.conformance

KNOWN_FAILURES: dict[str, str] = {}
"""Failures that are understood and owned elsewhere, by model key → a part of the reason
they fail with. Strict: a listed model that fails differently fails the tier; one that now
matches is reported (remove it from the list)."""


def _results(store: dict, suite: str) -> list:
    if suite not in store["results"]:
        store["results"][suite] = oc.run_cases(oc.collect(suite), store["work"])
    return store["results"][suite]


@pytest.mark.parametrize("suite", oc.SUITES)
def test_suite(conformance_results: dict, suite: str) -> None:
    outs = _results(conformance_results, suite)
    counts = oc.summary(outs)
    baseline = set(oc.BASELINE.read_text().split()) if oc.BASELINE.is_file() else set()
    now = {o.key for o in outs if o.status == "match"}
    mine = {k for k in baseline if k.startswith(f"{suite}/")}
    regressed = [o for o in outs if o.key in mine and o.status != "match"]
    known = [o for o in outs if o.failed and KNOWN_FAILURES.get(o.key, "\0") in o.reason]
    failures = [o for o in outs if o.failed and o not in known]
    for o in known:
        warnings.warn(f"known failure: {o.line()}", stacklevel=1)
    fixed = [k for k in KNOWN_FAILURES if k.startswith(f"{suite}/") and k in now]
    if fixed:
        warnings.warn(f"{suite}: listed in KNOWN_FAILURES but matching now: {', '.join(fixed)}", stacklevel=1)
    improved = sorted(now - mine)
    if improved and not failures:
        warnings.warn(
            f"{suite}: {len(improved)} model(s) match that tests/conformance/matching.txt does not list "
            f"({', '.join(improved[:8])}{', …' if len(improved) > 8 else ''}): refresh docs/onnx-support.md "
            f"and matching.txt with `{oc.REFRESH}`",
            stacklevel=1,
        )
    if failures or regressed:
        lines = [f"{suite}: {len(outs)} models: " + ", ".join(f"{k} {counts[k]}" for k in oc.STATUSES if counts[k])]
        lines += [f"  {o.line()}" for o in failures]
        lines += [f"  regression (listed in matching.txt): {o.line()}" for o in regressed if not o.failed]
        pytest.fail("\n".join(lines), pytrace=False)

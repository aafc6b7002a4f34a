"""The conversion protocol of ncc, after MLIR's Conversion/ framework: a target, patterns
with explicit priorities that refuse with a reason, and one driver.

- **Target.** A `ConversionTarget` says once which ops are legal after a conversion (for
  onnx → ncnn: the ncnn layers and `func.return`). The driver converts every op that is not
  legal; the legality check before emission (`ncnn-legalize`) asks the same target.
- **Refusal.** A pattern that does not apply to an op raises `NoMatch(reason)`, `reason`
  one clause saying why, without the node's name (the driver adds it). It has changed
  nothing when it refuses: the ops it built are dropped, so the next pattern starts clean.
  The driver calls a pattern's `rewrite_or_refuse(op, rewriter)` (which raises `NoMatch`);
  its xDSL `match_and_rewrite` swallows the refusal, so the same pattern also runs under a
  plain `PatternRewriteWalker`, and a plain xDSL pattern that does nothing counts as
  refusing with "does not apply".
  Any other exception is an error (an `NccError` stops the compile with its message; an
  "internal error" is a bug in ncc), never a refusal: no fallback runs after it.
- **Priority.** Each pattern has a `PRIORITY` (an int, default 0; higher is tried first).
  Ties: the pattern registered for the op's own class before one registered for a base
  class (a `ReduceMean` pattern before a `ReduceOp` one), then the one registered later
  (a plug-in's pattern before ncc's own at equal priority). Registration order matters only
  between patterns of equal priority for the same class.
- **No match.** When every pattern refuses (or none is registered), the driver raises one
  `NccError` naming the node and op: the reason alone when one pattern was tried (or all
  gave the same reason), otherwise `no lowering applies: P1: why; P2: why`.
- **Dead constants.** The driver erases the ops the conversion made dead (constants whose
  users were all converted, layers a pattern built but did not use), so the legality check
  and `cse` after it find nothing to clean up.

Dispatch is keyed by op type: a conversion with a hundred patterns costs one dict lookup
per op, not a hundred tries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation
from xdsl.pattern_rewriter import RewritePattern

from ncc.dialects.common import NccError, op_location


class NoMatch(Exception):
    """A pattern's refusal: it does not apply to this op, for `reason` (one clause)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


DEFAULT_PRIORITY = 0


def priority(pattern: RewritePattern) -> int:
    """A pattern's declared `PRIORITY` (higher is tried first; default 0)."""
    return int(getattr(pattern, "PRIORITY", DEFAULT_PRIORITY))


def pattern_name(pattern: RewritePattern) -> str:
    return type(pattern).__name__


@dataclass
class ConversionTarget:
    """What a conversion must produce. `legal_ops` (and ops any of `legal_if` accepts) are
    legal after it; `materialized` ops (constants) are not converted themselves but by the
    patterns of their users, which take their values (as weights, params, MemoryData): the
    driver skips them and erases those left unused, and one still used afterwards is a bug."""

    legal_ops: tuple[type[Operation], ...]
    legal_if: Sequence[Callable[[Operation], bool]] = ()
    materialized: tuple[type[Operation], ...] = ()

    def is_legal(self, op: Operation) -> bool:
        return isinstance(op, self.legal_ops) or any(f(op) for f in self.legal_if)

    def illegal_ops(self, ops: Iterable[Operation]) -> list[Operation]:
        return [o for o in ops if not self.is_legal(o)]

    def needs_conversion(self, op: Operation) -> bool:
        return not (self.is_legal(op) or isinstance(op, self.materialized))

    def erasable(self, op: Operation) -> bool:
        """An op the conversion erases once nothing uses it: a constant, or a value-producing
        op of the target (one a pattern built and then did not use)."""
        return bool(op.results) and isinstance(op, self.materialized + self.legal_ops) and (
            all(r.first_use is None for r in op.results)
        )


@dataclass
class PatternTable:
    """Patterns by the op class they declare in `OP` (a class or a tuple of classes)."""

    by_class: dict[type[Operation], list[tuple[RewritePattern, int]]] = field(default_factory=dict)
    _seq: int = 0

    def register(self, patterns: Iterable[RewritePattern]) -> None:
        for p in patterns:
            ops = p.OP if isinstance(p.OP, tuple) else (p.OP,)
            self._seq += 1
            for cls in ops:
                self.by_class.setdefault(cls, []).append((p, self._seq))

    def patterns_for(self, cls: type[Operation]) -> list[RewritePattern]:
        """The patterns for ops of class `cls`, in the order they are tried (module docstring)."""
        ranked = []
        for depth, base in enumerate(cls.__mro__):
            for p, seq in self.by_class.get(base, ()):
                ranked.append(((-priority(p), depth, -seq), p))
        ranked.sort(key=lambda r: r[0])
        seen: set[int] = set()
        out = []
        for _, p in ranked:
            if id(p) not in seen:  # a pattern registered for a class and its base: tried once
                seen.add(id(p))
                out.append(p)
        return out


def register(table: PatternTable, patterns: Iterable[RewritePattern]) -> None:
    """Add `patterns` to `table` (each under every op class its `OP` names)."""
    table.register(patterns)


def patterns_for(table: PatternTable, cls: type[Operation]) -> list[RewritePattern]:
    return table.patterns_for(cls)


def no_match_message(refusals: Sequence[tuple[str, str]]) -> str:
    """One line from the (pattern, reason) pairs of every pattern that was tried."""
    reasons = list(dict.fromkeys(r for _, r in refusals))
    if len(reasons) == 1:
        return reasons[0]
    return "no lowering applies: " + "; ".join(f"{name}: {reason}" for name, reason in refusals)


def apply_conversion(
    module: ModuleOp,
    table: PatternTable,
    target: ConversionTarget,
    describe_unconvertible: Callable[[Operation], str],
) -> None:
    """Convert every op of `module` that `target` says needs it with the first of its
    patterns that does not refuse; raise one `NccError` at the first op none converts
    (`describe_unconvertible(op)` words it when no pattern is registered for the op).
    Then erase what the conversion left unused."""
    from ncc.lowering.rewriting import NccRewriter

    cache: dict[type[Operation], list[RewritePattern]] = {}

    def candidates(o: Operation) -> list[RewritePattern]:
        if type(o) not in cache:
            cache[type(o)] = table.patterns_for(type(o))
        return cache[type(o)]

    ops = [o for o in module.walk() if o is not module]
    for i, op in enumerate(ops):
        if op.parent is None or not target.needs_conversion(op):
            continue  # erased by an earlier rewrite, or nothing to do
        refusals: list[tuple[str, str]] = []
        for pattern in candidates(op):
            rewriter = NccRewriter(op)
            try:
                getattr(pattern, "rewrite_or_refuse", pattern.match_and_rewrite)(op, rewriter)
            except NoMatch as refusal:
                refusals.append((pattern_name(pattern), refusal.reason))
                continue
            except NccError as e:
                if e.node is None and e.op is None:  # raised below the pattern (mat_shape ...)
                    e.node, e.op = op_location(op)["node"], op_location(op)["op"]
                raise
            if rewriter.has_done_action:
                break
            refusals.append((pattern_name(pattern), "does not apply"))  # a plain RewritePattern
        else:
            message = no_match_message(refusals) if refusals else describe_unconvertible(op)
            more = [o for o in ops[i + 1 :] if o.parent is not None and target.needs_conversion(o)
                    and not candidates(o)]  # fmt: skip
            if more:
                kinds = sorted({op_location(o)["op"] for o in more})
                message += f" (and {len(more)} more op(s) without lowering: {', '.join(kinds)})"
            raise NccError(message, **op_location(op))
    # last to first, so that a chain of unused ops goes in one sweep
    for o in reversed([o for o in module.walk() if o is not module]):
        if o.parent is not None and target.erasable(o):
            NccRewriter(o).erase(o)

"""Type-keyed pattern dispatch: one pattern object that looks up `type(op)` in a table,
so a conversion with a hundred patterns costs one dict lookup per op, not a hundred tries."""

from __future__ import annotations

from collections.abc import Iterable

from xdsl.ir import Operation
from xdsl.pattern_rewriter import PatternRewriter, RewritePattern

PatternTable = dict[type[Operation], list[RewritePattern]]


def register(table: PatternTable, patterns: Iterable[RewritePattern]) -> None:
    """Add patterns under each op type they declare in `OP`; later ones are tried first,
    so a pass can override a default pattern by registering its own after it."""
    for p in patterns:
        ops = p.OP if isinstance(p.OP, tuple) else (p.OP,)
        for cls in ops:
            table.setdefault(cls, []).insert(0, p)


def patterns_for(table: PatternTable, cls: type[Operation]) -> list[RewritePattern]:
    """The patterns that apply to ops of class `cls`: those registered for the class itself
    first, then those registered for its base classes (a pattern for `ReduceOp` converts
    every reduction that no more specific pattern took)."""
    return [p for base in cls.__mro__ for p in table.get(base, ())]


class TypeDispatchPattern(RewritePattern):
    def __init__(self, table: PatternTable):
        self.table = table
        self._by_class: dict[type[Operation], list[RewritePattern]] = {}

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter, /) -> None:
        cls = type(op)
        if cls not in self._by_class:
            self._by_class[cls] = patterns_for(self.table, cls)
        for pattern in self._by_class[cls]:
            pattern.match_and_rewrite(op, rewriter)
            if rewriter.has_done_action:
                return

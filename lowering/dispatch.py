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


class TypeDispatchPattern(RewritePattern):
    def __init__(self, table: PatternTable):
        self.table = table

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter, /) -> None:
        for pattern in self.table.get(type(op), ()):
            pattern.match_and_rewrite(op, rewriter)
            if rewriter.has_done_action:
                return

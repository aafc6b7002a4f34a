"""The user-facing error type. A module of its own, importing nothing, so that code which only
reports errors (the CLI, `ncc verify`, the torch frontend) does not import xDSL or numpy."""

from __future__ import annotations

__all__ = ["NccError"]


class NccError(Exception):
    """A user-facing compile error: one readable line, naming file, node and op where known."""

    def __init__(
        self,
        message: str,
        *,
        node: str | None = None,
        op: str | None = None,
        file: str | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.node = node
        self.op = op
        self.file = file

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(self.file)
        if self.node is not None or self.op is not None:
            where.append(f"node '{self.node or '?'}' ({self.op or '?'})")
        return (": ".join(where) + ": " if where else "") + self.message

"""One rewriting discipline for every ncc pass, and the provenance that follows it.

Every pass changes the IR through xDSL's `PatternRewriter`: pattern passes through
`apply_patterns` (a `PatternRewriteWalker`), passes that rewrite in their own loops through
`rewriter_at` (a `NccRewriter` at an insertion point). Both carry the listener of the
`tracking` block that the compile driver and `ncc-opt` open around each pass, so provenance
follows every rewrite without the pass doing anything:

- **tensor names** (`ncc.tensor_names`): when a rewrite replaces a value that stands for an
  ONNX tensor, the new value takes the name, because it now computes that tensor
  (`rewriter.replace(op, new_ops, new_values)`, or `NccRewriter.replace_value` when only
  some uses move). The conversion thus carries each ONNX tensor's name onto the ncnn layer
  that computes it, and the manifest's `tensors` map (which `ncc verify --bisect` reads)
  keeps it. After the pass, an op created within it keeps only the names it got so.
- **locations**: the ONNX node an op comes from is its `location` (`loc("conv1")`). An op
  inserted by a rewrite without a location of its own gets the location of the op the
  rewrite replaces or erases; when a rewrite replaces an op by a value of an op that was
  already there (an activation fused into a convolution), that op's location becomes the
  fused location of both (`loc(fused["conv1", "relu1"])`).

`ncc-opt --print-debuginfo` prints the locations; IR tests check names and locations.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar

from xdsl.dialects.builtin import FusedLoc, ModuleOp, NoneAttr, UnknownLoc
from xdsl.ir import Operation, OpResult, SSAValue, Use
from xdsl.pattern_rewriter import (
    GreedyRewritePatternApplier,
    PatternRewriter,
    PatternRewriterListener,
    PatternRewriteWalker,
    RewritePattern,
)
from xdsl.rewriter import InsertPoint

from ncc.tensor_names import ATTR, set_tensor_name, set_tensor_names, tensor_name, tensor_names


def _known(loc) -> bool:
    return not isinstance(loc, UnknownLoc)


def fuse_locations(*locs) -> object:
    """One location for several (nested fused locations flattened, duplicates dropped)."""
    flat: list = []
    for loc in locs:
        parts = list(loc.locations.data) if isinstance(loc, FusedLoc) else [loc]
        for p in parts:
            if _known(p) and p not in flat:
                flat.append(p)
    if not flat:
        return UnknownLoc()
    if len(flat) == 1:
        return flat[0]
    return FusedLoc(flat, NoneAttr())


class Provenance(PatternRewriterListener):
    """The listener that moves tensor names and locations along with rewrites."""

    def __init__(self) -> None:
        super().__init__()
        self.earned: set[tuple[int, int]] = set()
        self.pending: list[Operation] = []
        self.modified: set[int] = set()
        self.operation_insertion_handler.append(self._inserted)
        self.operation_modification_handler.append(lambda op: self.modified.add(id(op)))
        self.operation_replacement_handler.append(self._replaced)
        self.operation_removal_handler.append(self._removed)

    # ---------------------------------------------------------------- names
    def value_replaced(self, old: SSAValue, new: SSAValue | None, *, changed: bool = True) -> None:
        """`new` now computes the tensor `old` stood for. A value that already stands for a
        tensor keeps its name unless its op was created or changed by the rewrite (a value
        forwarded past an Identity is still the tensor it was; a convolution that absorbed
        a ReLU now computes the ReLU's tensor)."""
        if new is None or new is old or not isinstance(new, OpResult):
            return
        name = tensor_name(old)
        if name and (changed or not tensor_name(new)):
            set_tensor_name(new, name)
            self.earned.add((id(new.owner), new.index))

    # ---------------------------------------------------------------- handlers
    def _inserted(self, op: Operation) -> None:
        if not _known(op.location):
            self.pending.append(op)

    def _give_location(self, op: Operation) -> None:
        for new in self.pending:
            if not _known(new.location) and new is not op:
                new.location = op.location
        self.pending.clear()

    def _replaced(self, op: Operation, new_results: Sequence[SSAValue | None]) -> None:
        created = set(map(id, self.pending))
        changed = created | self.modified
        self.modified = set()
        self._give_location(op)
        for old, new in zip(op.results, new_results, strict=False):
            owner = new.owner if isinstance(new, OpResult) else None
            self.value_replaced(old, new, changed=id(owner) in changed)
            if owner is not None and id(owner) not in created and owner is not op:
                if _known(op.location):  # ops merge: the survivor stands for both nodes
                    owner.location = fuse_locations(owner.location, op.location)

    def _removed(self, op: Operation) -> None:
        self.modified.discard(id(op))
        if self.pending:
            self._give_location(op)

    def finish(self, module: ModuleOp, existing: dict[int, Operation]) -> None:
        """After the pass: ops inserted without a location that no rewrite gave one take
        the location of the next op that has one; ops created in the pass keep only the
        names they earned (not ones copied with the attributes of another op)."""
        for op in self.pending:
            nxt = op.next_op
            while nxt is not None and not _known(nxt.location):
                nxt = nxt.next_op
            if nxt is not None and not _known(op.location):
                op.location = nxt.location
        self.pending.clear()
        for op in module.walk():
            if id(op) in existing or ATTR not in op.attributes:
                continue
            names = tensor_names(op)
            set_tensor_names(op, [n if (id(op), i) in self.earned else "" for i, n in enumerate(names)])


_ACTIVE: ContextVar[Provenance | None] = ContextVar("ncc_provenance", default=None)


@contextmanager
def tracking(module: ModuleOp) -> Iterator[Provenance]:
    """Provenance follows every rewrite made within the block (one pass, normally)."""
    existing = {id(op): op for op in module.walk()}  # strong refs: no id is reused meanwhile
    listener = Provenance()
    token = _ACTIVE.set(listener)
    try:
        yield listener
    finally:
        _ACTIVE.reset(token)
    listener.finish(module, existing)


def active_listener() -> PatternRewriterListener:
    """The listener of the enclosing `tracking` block (an inert one outside)."""
    return _ACTIVE.get() or PatternRewriterListener()


class NccRewriter(PatternRewriter):
    """A PatternRewriter for passes that walk the IR in their own loops, with provenance."""

    def __init__(self, point: InsertPoint | Operation):
        super().__init__(point)
        self.extend_from_listener(active_listener())

    def replace_value(
        self, old: SSAValue, new: SSAValue, where: Callable[[Use], bool] | None = None
    ) -> None:
        """Uses of `old` (those `where` accepts; all by default) now use `new`, which
        computes the same tensor (it takes `old`'s name)."""
        if where is None:
            self.replace_all_uses_with(old, new)
        else:
            self.replace_uses_with_if(old, new, where)
        listener = _ACTIVE.get()
        if listener is not None:
            listener.value_replaced(old, new)


def rewriter_at(point: InsertPoint | Operation) -> NccRewriter:
    return NccRewriter(point)


def apply_patterns(
    module: ModuleOp,
    patterns: RewritePattern | Sequence[RewritePattern],
    *,
    apply_recursively: bool = True,
    walk_reverse: bool = False,
    dce_enabled: bool = True,
) -> bool:
    """Run patterns over the module with a PatternRewriteWalker carrying the provenance
    listener (every ncc pattern pass goes through here). Returns whether the IR changed."""
    if isinstance(patterns, RewritePattern):
        pattern = patterns
    else:
        pattern = GreedyRewritePatternApplier(list(patterns), dce_enabled=dce_enabled)
    walker = PatternRewriteWalker(
        pattern, apply_recursively=apply_recursively, walk_reverse=walk_reverse, listener=active_listener()
    )
    return walker.rewrite_module(module)

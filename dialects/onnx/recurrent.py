"""Recurrent ONNX ops: LSTM, GRU, RNN.

The three share their operand order (X, W, R, B, sequence_lens, initial_h, ...) and their
shape rule: with `layout` 0, X is (T, batch, input) and Y is (T, directions, batch, hidden);
with `layout` 1, X is (batch, T, input) and Y is (batch, T, directions, hidden). Y_h (and
LSTM's Y_c) are (directions, batch, hidden), or (batch, directions, hidden) with layout 1.
Every result is always present here; the ones the model does not use have no users.
"""

from __future__ import annotations

from typing import ClassVar

from xdsl.dialects.builtin import ArrayAttr, DenseArrayBase, FloatAttr, IntegerAttr, StringAttr
from xdsl.irdl import irdl_op_definition, operand_def, opt_prop_def, result_def

from ncc.dialects.onnx.base import OnnxOp, int_prop, str_prop, typed
from ncc.dialects.onnx.versions import MAX_OPSET, DropAttrs, Upgrade


class RecurrentOp(OnnxOp):
    """What LSTM, GRU and RNN have in common: attributes, gate count and the shape rule."""

    GATES: ClassVar[int] = 1
    DEFAULT_ACTIVATIONS: ClassVar[tuple[str, ...]] = ("Tanh",)
    # version 14 added `layout` (default 0: the older meaning); `output_sequence` of the
    # first versions only said whether Y is wanted, which an unused output says now
    OPSETS: ClassVar[tuple[int, int]] = (7, MAX_OPSET)
    UPGRADES: ClassVar[tuple[Upgrade, ...]] = (DropAttrs(before=7, names=("output_sequence",)),)

    activation_alpha = opt_prop_def(DenseArrayBase)
    activation_beta = opt_prop_def(DenseArrayBase)
    activations = opt_prop_def(ArrayAttr)
    clip = opt_prop_def(FloatAttr)
    direction = str_prop("forward")
    hidden_size = opt_prop_def(IntegerAttr)
    layout = int_prop(0)

    def num_directions(self) -> int:
        d = self.attr("direction")
        if d not in ("forward", "reverse", "bidirectional"):
            raise self.error(f"unknown direction '{d}'")
        return 2 if d == "bidirectional" else 1

    def hidden(self) -> int | None:
        h = self.attr("hidden_size")
        if h:
            return int(h)
        r = self.in_shape(2)
        return None if r is None else int(r[-1])

    def uses_default_activations(self) -> bool:
        acts = self.attr("activations")
        if not acts:
            return True
        # ONNX's own default for RNN lists Tanh twice even for one direction: compare each
        # direction's group of activations with the default
        default = [a.lower() for a in self.DEFAULT_ACTIVATIONS]
        acts = [str(a).lower() for a in acts]
        n = len(default)
        return len(acts) % n == 0 and all(acts[i : i + n] == default for i in range(0, len(acts), n))

    def infer_types(self):
        x, w = self.in_shape(0), self.in_shape(1)
        hidden = self.hidden()
        if x is None or w is None or hidden is None:
            return None
        if len(x) != 3:
            raise self.error(f"X has rank {len(x)}, expected 3")
        dirs = self.num_directions()
        if w[0] != dirs or w[1] != self.GATES * hidden:
            raise self.error(f"W of shape {list(w)} does not fit {dirs} direction(s) of hidden size {hidden}")
        if self.attr("layout"):
            batch, t = x[0], x[1]
            y, state = (batch, t, dirs, hidden), (batch, dirs, hidden)
        else:
            t, batch = x[0], x[1]
            y, state = (t, dirs, batch, hidden), (dirs, batch, hidden)
        return [typed(y, self.X.type)] + [typed(state, self.X.type)] * (len(self.results) - 1)


@irdl_op_definition
class LSTMOp(RecurrentOp):
    """LSTM with gates in ONNX order i, o, f, c (W: (dirs, 4*hidden, input))."""

    name = "onnx.LSTM"
    GATES: ClassVar[int] = 4
    DEFAULT_ACTIVATIONS: ClassVar[tuple[str, ...]] = ("Sigmoid", "Tanh", "Tanh")
    X = operand_def()
    W = operand_def()
    R = operand_def()
    B = operand_def()
    sequence_lens = operand_def()
    initial_h = operand_def()
    initial_c = operand_def()
    P = operand_def()
    Y = result_def()
    Y_h = result_def()
    Y_c = result_def()
    input_forget = int_prop(0)


@irdl_op_definition
class GRUOp(RecurrentOp):
    """GRU with gates in ONNX order z, r, h (W: (dirs, 3*hidden, input))."""

    name = "onnx.GRU"
    GATES: ClassVar[int] = 3
    DEFAULT_ACTIVATIONS: ClassVar[tuple[str, ...]] = ("Sigmoid", "Tanh")
    # GRU-1 named its outputs differently and had no linear_before_reset: not read
    UPGRADES: ClassVar[tuple[Upgrade, ...]] = (DropAttrs(before=7, since=3, names=("output_sequence",)),)
    X = operand_def()
    W = operand_def()
    R = operand_def()
    B = operand_def()
    sequence_lens = operand_def()
    initial_h = operand_def()
    Y = result_def()
    Y_h = result_def()
    linear_before_reset = int_prop(0)


@irdl_op_definition
class RNNOp(RecurrentOp):
    """Elman RNN (W: (dirs, hidden, input))."""

    name = "onnx.RNN"
    GATES: ClassVar[int] = 1
    DEFAULT_ACTIVATIONS: ClassVar[tuple[str, ...]] = ("Tanh",)
    # version 14 added `layout` (default 0: the older meaning); `output_sequence` of the
    # first versions only said whether Y is wanted, which an unused output says now
    OPSETS: ClassVar[tuple[int, int]] = (7, MAX_OPSET)
    UPGRADES: ClassVar[tuple[Upgrade, ...]] = (DropAttrs(before=7, names=("output_sequence",)),)
    X = operand_def()
    W = operand_def()
    R = operand_def()
    B = operand_def()
    sequence_lens = operand_def()
    initial_h = operand_def()
    Y = result_def()
    Y_h = result_def()


OPS = [LSTMOp, GRUOp, RNNOp]

__all__ = ["OPS", "RecurrentOp", *[c.__name__ for c in OPS]]

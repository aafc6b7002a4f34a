"""onnx → ncnn for LSTM, GRU and RNN (ncnn's LSTM / GRU / RNN layers).

With one sequence (batch 1) every ONNX layout is a reshape of what ncnn reads and writes:
X (T, 1, I) or (1, T, I) holds the bytes of ncnn's (T, I) Mat, Y (T, dirs, 1, H) or
(1, T, dirs, H) those of its (T, dirs * H) output, Y_h / Y_c (dirs, 1, H) those of its
(dirs, H) state Mats. The weights are re-ordered from ONNX's gate order (LSTM i o f c,
GRU z r h) to ncnn's (LSTM I F O G, GRU R U N) and the two ONNX bias vectors summed where
ncnn keeps one. Anything else ONNX can say (clip, custom activations, peepholes, input_forget,
variable sequence lengths, GRU without linear_before_reset, batch > 1) is refused.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from xdsl.ir import SSAValue

from ncc.dialects.ncnn import sequence as S
from ncc.dialects.ncnn.base import NcnnLayer
from ncc.dialects.onnx import recurrent as R
from ncc.dialects.onnx.base import typed
from ncc.lowering.dispatch import NoMatch
from ncc.lowering.onnx_to_ncnn.common import DEFAULT_REQUIRES, LayerBuilder, OnnxToNcnnPattern, float_input
from ncc.lowering.onnx_to_ncnn.nn import as_mat, const_input, logical_for_mat, used

_DIRECTION = {"forward": 0, "reverse": 1, "bidirectional": 2}


def _check_supported(op: R.RecurrentOp, b: LayerBuilder, t: int) -> None:
    if op.attr("clip") is not None:
        raise NoMatch("cell clipping (clip) is not supported by ncnn")
    if not op.uses_default_activations():
        raise NoMatch(f"activations {op.attr('activations')} are not supported (ncnn uses the defaults)")
    if op.attr("activation_alpha") or op.attr("activation_beta"):
        raise NoMatch("activation_alpha / activation_beta are not supported")
    if op.has_input(4):
        lens = op.in_const(4)
        if lens is None or np.any(np.asarray(lens) != t):
            raise NoMatch("sequence_lens shorter than the sequence are not supported")


def _gates(w: np.ndarray, order: Sequence[int], gates: int) -> np.ndarray:
    """(dirs, gates*H, ...) with its gate blocks put in `order`."""
    dirs, gh = w.shape[:2]
    blocks = w.reshape(dirs, gates, gh // gates, *w.shape[2:])
    return np.ascontiguousarray(blocks[:, list(order)]).reshape(w.shape)


def _state(op: R.RecurrentOp, b: LayerBuilder, i: int, dirs: int, size: int) -> SSAValue | None:
    """An initial state as a (dirs, size) Mat; None when absent or a constant zero."""
    if not op.has_input(i):
        return None
    c = op.in_const(i)
    if c is not None:
        if not np.any(c):
            return None
        return b.memory_data(np.asarray(c, np.float32).reshape(dirs, size), logical_for_mat((dirs, size)))
    return as_mat(b, op.operands[i], (dirs, size))


def _zeros(b: LayerBuilder, dirs: int, size: int) -> SSAValue:
    return b.memory_data(np.zeros((dirs, size), np.float32), logical_for_mat((dirs, size)))


def _lower(
    op: R.RecurrentOp,
    b: LayerBuilder,
    cls: type[NcnnLayer],
    weights: dict[str, np.ndarray],
    states: list[tuple[int, int]],
) -> list[SSAValue | None]:
    """The ncnn layer for `op`: X as (T, I), initial states (operand index, size) fed when any
    is given, every result reshaped from the Mat ncnn writes to its ONNX shape."""
    x = op.in_shape(0)
    layout = op.attr("layout")
    t, batch = (x[1], x[0]) if layout else (x[0], x[1])
    if batch != 1:
        raise NoMatch(f"batch {batch}: ncnn's {cls.name[5:]} runs one sequence")
    _check_supported(op, b, t)
    dirs, hidden = op.num_directions(), op.hidden()
    params = {
        "num_output": hidden,
        "weight_data_size": int(weights["weight_xc"].size),
        "direction": _DIRECTION[op.attr("direction")],
    }
    if cls is S.LSTMOp:
        params["hidden_size"] = hidden
    inputs = [as_mat(b, op.X, (t, x[2]))]
    given = [_state(op, b, i, dirs, size) for i, size in states]
    if any(v is not None for v in given):
        inputs += [v if v is not None else _zeros(b, dirs, size) for v, (_, size) in zip(given, states)]
    results = list(op.results)
    n_tops = len(results) if any(used(r) for r in results[1:]) else 1
    produced = [(t, dirs * hidden)] + [(dirs, size) for _, size in states][: n_tops - 1]
    types = [typed(logical_for_mat(m), op.X.type) for m in produced]
    tops = b.layer(cls, inputs, types, params, weights)
    tops = tops if isinstance(tops, list) else [tops]
    out: list[SSAValue | None] = []
    for k, r in enumerate(results):
        if k < len(tops) and used(r):
            out.append(b.reshape(tops[k], op.out_shape(k)))
        else:
            out.append(None)
    return out


class _RecurrentPattern(OnnxToNcnnPattern):
    REQUIRES = (*DEFAULT_REQUIRES, float_input)


class LSTMToLSTM(_RecurrentPattern):
    OP = R.LSTMOp

    def convert(self, op: R.LSTMOp, b: LayerBuilder):
        if op.attr("input_forget"):
            raise NoMatch("input_forget (coupled input and forget gates) is not supported")
        if op.has_input(7):
            p = op.in_const(7)
            if p is None or np.any(p):
                raise NoMatch("peephole weights P are not supported by ncnn")
        w = const_input(op, b, 1, "W")
        r = const_input(op, b, 2, "R")
        dirs, h = w.shape[0], w.shape[1] // 4
        bias = const_input(op, b, 3, "B", required=False)
        bias = np.zeros((dirs, 8 * h), np.float32) if bias is None else bias
        ifoc = (0, 2, 1, 3)  # ONNX i o f c → ncnn I F O G
        weights = {
            "weight_xc": _gates(w, ifoc, 4),
            "bias_c": _gates(bias[:, : 4 * h] + bias[:, 4 * h :], ifoc, 4),
            "weight_hc": _gates(r, ifoc, 4),
        }
        return _lower(op, b, S.LSTMOp, weights, [(5, h), (6, h)])


class GRUToGRU(_RecurrentPattern):
    OP = R.GRUOp

    def convert(self, op: R.GRUOp, b: LayerBuilder):
        if not op.attr("linear_before_reset"):
            raise NoMatch("GRU with linear_before_reset=0 is not supported (ncnn's GRU applies the reset gate after R·h)")
        w = const_input(op, b, 1, "W")
        r = const_input(op, b, 2, "R")
        dirs, h = w.shape[0], w.shape[1] // 3
        bias = const_input(op, b, 3, "B", required=False)
        bias = np.zeros((dirs, 6 * h), np.float32) if bias is None else bias
        wb, rb = bias[:, : 3 * h].reshape(dirs, 3, h), bias[:, 3 * h :].reshape(dirs, 3, h)
        # ncnn's bias rows: R = Wb_r + Rb_r, U = Wb_z + Rb_z, WN = Wb_h, BN = Rb_h
        bias_c = np.stack([wb[:, 1] + rb[:, 1], wb[:, 0] + rb[:, 0], wb[:, 2], rb[:, 2]], axis=1)
        rzh = (1, 0, 2)  # ONNX z r h → ncnn R U N
        weights = {"weight_xc": _gates(w, rzh, 3), "bias_c": bias_c, "weight_hc": _gates(r, rzh, 3)}
        return _lower(op, b, S.GRUOp, weights, [(5, h)])


class RNNToRNN(_RecurrentPattern):
    OP = R.RNNOp

    def convert(self, op: R.RNNOp, b: LayerBuilder):
        w = const_input(op, b, 1, "W")
        r = const_input(op, b, 2, "R")
        dirs, h = w.shape[0], w.shape[1]
        bias = const_input(op, b, 3, "B", required=False)
        bias = np.zeros((dirs, 2 * h), np.float32) if bias is None else bias
        weights = {"weight_xc": w, "bias_c": bias[:, :h] + bias[:, h:], "weight_hc": r}
        return _lower(op, b, S.RNNOp, weights, [(5, h)])


PATTERNS = [LSTMToLSTM(), GRUToGRU(), RNNToRNN()]

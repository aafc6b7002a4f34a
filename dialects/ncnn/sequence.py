"""Sequence-model layers: LSTM, GRU, RNN, Embed and SDPA.

Tables transcribed from ncnn's `src/layer/{lstm,gru,rnn,embed,sdpa}.cpp`. The recurrent
layers read a 2-D Mat (h = T time steps, w = input size), write (T, directions * num_output),
and take the initial states as extra bottoms (LSTM: hidden (dirs, num_output) and cell
(dirs, hidden_size); GRU / RNN: hidden), returning the final ones as extra tops. Their
weights are (dirs, gates * hidden, size) input weights, (dirs, gates(+1 for GRU), hidden)
biases, (dirs, gates * hidden, num_output) recurrent weights, all loaded with type 0 (tagged).
Gate orders: LSTM I F O G; GRU R U N with biases R U WN BN (linear_before_reset form).
"""

from __future__ import annotations

from typing import ClassVar

from xdsl.irdl import irdl_op_definition

from ncc.dialects.ncnn.base import FLOAT, Mat, MatRuleError, NcnnLayer, Param, Weight


class _RecurrentMat:
    """`lstm.cpp` / `gru.cpp` / `rnn.cpp`: (T, dirs * num_output), then the final states
    (the given initial-state Mats, or (dirs, size) when ncnn creates them)."""

    def infer_mat(self, in_mats: list[Mat]) -> list[Mat] | None:
        x = tuple(in_mats[0])
        if len(x) > 2:
            raise MatRuleError(f"{self.name} reads a (T, size) Mat, got {list(x)}")
        t = x[0] if len(x) == 2 else 1
        dirs = 2 if self.param("direction") == 2 else 1
        n = self.param("num_output")
        sizes = [n] + ([self.param_or("hidden_size", "num_output")] if "hidden_size" in self.PARAMS else [])
        if len(self.results) not in (1, 1 + len(sizes)):
            raise MatRuleError(f"{self.layer_type} returns all its final states together ({1 + len(sizes)} tops)")
        states = [tuple(m) for m in in_mats[1:]] or [(dirs, s) for s in sizes]
        return [(t, dirs * n), *states][: len(self.results)]


@irdl_op_definition
class LSTMOp(_RecurrentMat, NcnnLayer):
    name = "ncnn.LSTM"
    VULKAN: ClassVar[bool] = False
    PARAMS: ClassVar = {
        "num_output": Param(0, 0),
        "weight_data_size": Param(1, 0),
        "direction": Param(2, 0),  # 0 forward, 1 reverse, 2 bidirectional
        "hidden_size": Param(3, None),  # default: num_output (projection size)
        "int8_scale_term": Param(8, 0),
    }
    WEIGHTS: ClassVar = (
        Weight("weight_xc", True),
        Weight("bias_c", True),
        Weight("weight_hc", True),
        Weight("weight_hr", True, optional=True),
    )


@irdl_op_definition
class GRUOp(_RecurrentMat, NcnnLayer):
    name = "ncnn.GRU"
    VULKAN: ClassVar[bool] = False
    PARAMS: ClassVar = {
        "num_output": Param(0, 0),
        "weight_data_size": Param(1, 0),
        "direction": Param(2, 0),
        "int8_scale_term": Param(8, 0),
    }
    WEIGHTS: ClassVar = (Weight("weight_xc", True), Weight("bias_c", True), Weight("weight_hc", True))


@irdl_op_definition
class RNNOp(_RecurrentMat, NcnnLayer):
    """h_t = tanh(W x_t + b + R h_{t-1})."""

    name = "ncnn.RNN"
    VULKAN: ClassVar[bool] = False
    PARAMS: ClassVar = {
        "num_output": Param(0, 0),
        "weight_data_size": Param(1, 0),
        "direction": Param(2, 0),
        "int8_scale_term": Param(8, 0),
    }
    WEIGHTS: ClassVar = (Weight("weight_xc", True), Weight("bias_c", True), Weight("weight_hc", True))


@irdl_op_definition
class EmbedOp(NcnnLayer):
    """Row lookup: reads its 1-D input as *int32* words (the Mat's bytes, not float values),
    clamps each index into [0, input_dim) and writes (words, num_output)."""

    name = "ncnn.Embed"
    VULKAN: ClassVar[bool] = False
    READS_INT32: ClassVar[bool] = True
    PARAMS: ClassVar = {
        "num_output": Param(0, 0),
        "input_dim": Param(1, 0),
        "bias_term": Param(2, 0),
        "weight_data_size": Param(3, 0),
        "int8_scale_term": Param(18, 0),
    }
    WEIGHTS: ClassVar = (Weight("weight", True), Weight("bias", False, optional=True))

    def infer_mat(self, in_mats: list[Mat]) -> list[Mat] | None:
        x = tuple(in_mats[0])
        if len(x) != 1:
            raise MatRuleError(f"Embed reads the w words of a 1-D Mat, got {list(x)}")
        return [(x[0], self.param("num_output"))]

    def index_range(self) -> tuple[int, int]:
        """The indices it looks up exactly: [0, input_dim) (others are clamped)."""
        return 0, self.param("input_dim")


@irdl_op_definition
class SDPAOp(NcnnLayer):
    """softmax(scale * Q K^T (+ mask)) V per head: Q (heads, Lq, d), K (groups, Lk, d),
    V (groups, Lk, dv), heads % groups == 0; mask (Lq, Lk) or (heads, Lq, Lk) as the 4th
    bottom when attn_mask = 1. scale 0 means 1/sqrt(d)."""

    name = "ncnn.SDPA"
    PARAMS: ClassVar = {
        "attn_mask": Param(5, 0),
        "scale": Param(6, 0.0, FLOAT),
        "kv_cache": Param(7, 0),
        "int8_scale_term": Param(18, 0),
    }

    def infer_mat(self, in_mats: list[Mat]) -> list[Mat] | None:
        if self.param("kv_cache"):
            return None  # the caches' Mats depend on the past length fed at run time
        q, k, v = (tuple(m) for m in in_mats[:3])
        if len(q) != 3 or len(k) != 3 or len(v) != 3:
            raise MatRuleError(f"SDPA reads (heads, seq, dim) Mats, got {list(q)}, {list(k)}, {list(v)}")
        if k[2] != q[2] or v[1] != k[1] or v[0] != k[0] or q[0] % k[0]:
            raise MatRuleError(f"SDPA: Q {list(q)}, K {list(k)}, V {list(v)} do not fit")
        return [(q[0], q[1], v[2])]


LAYERS: list[type[NcnnLayer]] = [LSTMOp, GRUOp, RNNOp, EmbedOp, SDPAOp]

"""`infer_mat` of every ncnn layer ncc emits, against the real ncnn runtime: each case is one
layer (built with the layer class, written with the emitter's line/weights writers) fed with
Input blobs of the given Mats on the CPU; the output Mats ncnn produces must equal the rule's.
All cases run in one subprocess (a malformed layer can crash ncnn), so the test stays fast."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from xdsl.ir import Block

from ncc.dialects.common import tensor_type
from ncc.dialects.ncnn import LAYERS_BY_TYPE
from ncc.dialects.ncnn import layers as L
from ncc.dialects.ncnn import nn as N
from ncc.dialects.ncnn import sequence as Q
from ncc.dialects.ncnn import shape as S
from ncc.dialects.ncnn.base import MatRuleError, NcnnLayer
from ncc.emit.ncnn_files import MAGIC, layer_line, layer_weights

pytest.importorskip("ncnn")

WORKER = Path(__file__).with_name("ncnn_shape_worker.py")


def case(cls: type[NcnnLayer], inputs: list[tuple[int, ...]], params: dict[str, Any] | None = None,
         weights: dict[str, int] | None = None, outputs: int = 1, refused: bool = False) -> dict[str, Any]:
    """One layer `cls` on Input Mats `inputs`; `weights` gives each weight's element count.
    `refused`: ncnn's result there is not what the params mean (the rule must raise)."""
    return {"cls": cls, "inputs": inputs, "params": params or {}, "weights": weights or {}, "outputs": outputs,
            "refused": refused}


def pads(left: int, right: int, top: int, bottom: int, front: int | None = None, behind: int | None = None):
    """The pad params of a window layer (front/behind for the 3-D ones)."""
    p = {"pad_left": left, "pad_right": right, "pad_top": top, "pad_bottom": bottom}
    if front is not None:
        p.update(pad_front=front, pad_behind=behind)
    return p


def _conv(cls, mat, out, k, extra=None, dims=2, group=1):
    cin = mat[0]
    size = out * (cin // group) * k**dims
    params = {"num_output": out, "kernel_w": k, "weight_data_size": size, **(extra or {})}
    if group != 1:
        params["group"] = group
    return case(cls, [mat], params, {"weight": size})


def _deconv(cls, mat, out, k, extra=None, dims=2, group=1):
    return _conv(cls, mat, out, k, extra, dims, group)


def _recurrent(cls, steps, size, n, direction, outputs):
    dirs = 2 if direction == 2 else 1
    gates = {"LSTM": 4, "GRU": 3, "RNN": 1}[cls.name[5:]]
    bias = dirs * n * (4 if cls.name == "ncnn.GRU" else gates)
    xc = dirs * gates * n * size
    weights = {"weight_xc": xc, "bias_c": bias, "weight_hc": dirs * gates * n * n}
    params = {"num_output": n, "weight_data_size": xc, "direction": direction}
    return case(cls, [(steps, size)], params, weights, outputs=outputs)


C3 = (4, 9, 11)
CASES: list[dict[str, Any]] = [
    # ---- per-element layers keep the Mat
    *[case(c, [m]) for c in (L.ReLUOp, L.SigmoidOp, L.TanHOp, L.ClipOp, L.ELUOp, L.HardSigmoidOp,
                             L.HardSwishOp, L.GELUOp, L.MishOp, L.SwishOp, L.SoftplusOp, L.ErfOp,
                             L.CELUOp, L.SELUOp, L.ShrinkOp, L.ThresholdOp)
      for m in [(7,), (3, 5), C3, (2, 3, 4, 5)]],
    case(L.UnaryOpOp, [(2, 3, 4, 5)], {"op_type": 4}),
    case(L.DropoutOp, [(3, 5)]),
    case(L.PReLUOp, [C3], {"num_slope": 4}, {"slope": 4}),
    case(L.PReLUOp, [(3, 5)], {"num_slope": 1}, {"slope": 1}),
    *[case(L.SoftmaxOp, [m], {"axis": a, "fixbug0": 1}) for m, a in [((7,), 0), ((3, 5), 1), (C3, 0), ((2, 3, 4, 5), 2)]],
    case(L.EltwiseOp, [C3, C3], {"op_type": 1}),
    case(L.SplitOp, [C3], outputs=3),
    # ---- BinaryOp broadcasting (outer-axis alignment of a lower rank)
    *[case(L.BinaryOpOp, [a, b], {"op_type": 0}) for a, b in [
        (C3, C3), (C3, (4, 1, 1)), (C3, (1, 9, 11)), (C3, (1, 1, 11)), ((4, 1, 11), (1, 9, 1)),
        (C3, (4,)), (C3, (11,)), (C3, (4, 9)), ((3, 5), (3,)), ((3, 5), (5,)), ((3, 5), (1, 5)),
        ((2, 3, 4, 5), (2,)), ((2, 3, 4, 5), (5,)), ((2, 3, 4, 5), (2, 3)), ((2, 3, 4, 5), (2, 3, 4)),
        ((2, 3, 4, 5), (1, 3, 1, 5)), ((5,), (5,)), ((5,), (1,)), ((4,), C3), ((1, 5), (3, 1)),
    ]],
    case(L.BinaryOpOp, [C3], {"op_type": 2, "with_scalar": 1, "b": 2.0}),
    # ---- MemoryData
    *[case(L.MemoryDataOp, [], p, {"data": int(np.prod(m))}) for p, m in [
        ({"w": 5}, (5,)), ({"w": 5, "h": 3}, (3, 5)), ({"w": 5, "h": 1}, (1, 5)), ({"w": 5, "h": 3, "c": 2}, (2, 3, 5)),
        ({"w": 5, "h": 3, "d": 2, "c": 2}, (2, 2, 3, 5)), ({"w": 1, "h": 1, "c": 4}, (4, 1, 1)),
    ]],
    # ---- Reshape: rank by keys, 0 / -1
    *[case(L.ReshapeOp, [m], p) for m, p in [
        (C3, {"w": -1}), (C3, {"w": 99, "h": 4}), (C3, {"w": 11, "h": 1, "c": 36}), (C3, {"w": 11, "h": -1, "c": 4}),
        (C3, {"w": 0, "h": 9, "c": -1}), (C3, {"w": 11, "h": 3, "d": 3, "c": 4}), (C3, {"w": 396, "h": 1}),
        ((2, 3, 4, 5), {"w": 20, "h": 6}), ((2, 3, 4, 5), {"w": 0, "h": 0, "d": 3, "c": 2}), ((3, 5), {"w": 5, "h": 3, "c": 1}),
        ((15,), {"w": 5, "h": 3}), ((3, 5), {"w": 15}),
        # ncnn's batch axis (12 / 13): the params name the whole logical shape; Mats are per item
        ((2, 3, 4, 5), {"w": 5, "h": 4, "d": 3, "c": 2, "output_batch_axis": 0}),
        ((3, 4, 5), {"w": 5, "h": 4, "c": 3, "output_batch_axis": 0}),
        ((3, 4, 5), {"w": 5, "h": 4, "d": 3, "c": 1, "input_batch_axis": 0}),
    ]],
    # ---- Convolution family
    _conv(N.ConvolutionOp, C3, 6, 3),
    _conv(N.ConvolutionOp, C3, 6, 3, {"stride_w": 2, **pads(1, 1, 1, 1)}),
    _conv(N.ConvolutionOp, C3, 6, 3, {"stride_w": 2, "stride_h": 1, "dilation_w": 2, **pads(0, 2, 1, 0)}),
    _conv(N.ConvolutionOp, C3, 6, 3, {"stride_w": 2, **pads(-233, -233, -233, -233)}),
    _conv(N.ConvolutionOp, C3, 6, 4, {"stride_w": 3, **pads(-234, -234, -234, -234)}),
    _conv(N.ConvolutionOp, C3, 6, 1, {"stride_w": 2, **pads(-233, -233, -233, -233)}),
    _conv(N.ConvolutionOp, (4, 1, 11), 5, 3, {"kernel_h": 1, **pads(1, 1, 0, 0)}),
    _conv(N.ConvolutionDepthWiseOp, C3, 4, 3, {**pads(1, 1, 1, 1)}, group=4),
    _conv(N.ConvolutionDepthWiseOp, C3, 8, 3, {"stride_w": 2}, group=2),
    _conv(N.Convolution3DOp, (2, 5, 6, 7), 3, 3, {"kernel_d": 3, **pads(1, 1, 0, 0, 1, 1)}, dims=3),
    _conv(N.Convolution3DOp, (2, 5, 6, 7), 3, 2, {"stride_w": 2, "stride_d": 1, **pads(0, 0, 0, 0, 0, 0)}, dims=3),
    _deconv(N.DeconvolutionOp, C3, 3, 3),
    _deconv(N.DeconvolutionOp, C3, 3, 3, {"stride_w": 2, **pads(1, 1, 1, 1), "output_pad_right": 1, "output_pad_bottom": 1}),
    _deconv(N.DeconvolutionOp, C3, 3, 4, {"stride_w": 2, "stride_h": 3, "dilation_w": 2, **pads(0, 1, 2, 0)}),
    _deconv(N.DeconvolutionOp, C3, 3, 3, {"stride_w": 2, **pads(-233, -233, -233, -233), "output_w": 22, "output_h": 18}),
    _deconv(N.DeconvolutionDepthWiseOp, C3, 4, 3, {"stride_w": 2, **pads(1, 1, 1, 1)}, group=4),
    _deconv(N.DeconvolutionDepthWiseOp, C3, 8, 2, {"stride_w": 2, **pads(0, 0, 0, 0)}, group=2),
    _deconv(N.Deconvolution3DOp, (2, 3, 4, 5), 3, 3, {
        "stride_w": 2, "stride_d": 1, **pads(1, 1, 0, 0, 1, 1),
        "output_pad_right": 1, "output_pad_bottom": 0, "output_pad_behind": 0,
    }, dims=3),
    # ---- Pooling
    *[case(N.PoolingOp, [C3], {"pooling_type": t, "kernel_w": k, **p}) for t, k, p in [
        (0, 2, {"stride_w": 2}), (0, 3, {"stride_w": 2, "pad_mode": 1}), (1, 3, {"stride_w": 2, "pad_mode": 0}),
        (0, 3, {"stride_w": 2, "pad_mode": 0, **pads(1, 1, 1, 1)}),
        (1, 3, {"stride_w": 2, "pad_mode": 1, **pads(1, 0, 0, 1)}),
        (0, 3, {"stride_w": 2, "pad_mode": 2}), (0, 4, {"stride_w": 3, "pad_mode": 3}), (0, 2, {"kernel_h": 3, "stride_w": 1, "stride_h": 2, "pad_mode": 1}),
        (0, 2, {"global_pooling": 1}), (1, 2, {"global_pooling": 1}),
        (1, 2, {"adaptive_pooling": 1, "out_w": 3, "out_h": 2}), (0, 2, {"adaptive_pooling": 1, "out_w": -233, "out_h": 4}),
    ]],
    *[case(N.Pooling3DOp, [(2, 5, 6, 7)], {"pooling_type": t, "kernel_w": k, **p}) for t, k, p in [
        (0, 2, {"stride_w": 2, "pad_mode": 1}), (1, 3, {"stride_w": 2, "pad_mode": 0}),
        (0, 3, {"stride_w": 1, "kernel_d": 1, "pad_mode": 1, **pads(1, 1, 1, 1, 0, 0)}),
        (0, 2, {"global_pooling": 1}), (1, 2, {"adaptive_pooling": 1, "out_w": 3, "out_h": 2, "out_d": 2}),
    ]],
    # ---- LSTM / GRU / RNN (weights for input 8, hidden 5), Embed, SDPA
    *[case(cls, ins, {"num_output": 5, "weight_data_size": d * g * 5 * 8, "direction": dr,
                      **({"hidden_size": 5} if cls is Q.LSTMOp else {})},
           {"weight_xc": d * g * 5 * 8, "bias_c": d * (g + (cls is Q.GRUOp)) * 5, "weight_hc": d * g * 5 * 5},
           outputs=n)
      for cls, g in ((Q.LSTMOp, 4), (Q.GRUOp, 3), (Q.RNNOp, 1))
      for dr, d, ins, n in ((0, 1, [(6, 8)], 1), (2, 2, [(6, 8)], 1 + (cls is not Q.LSTMOp) + 2 * (cls is Q.LSTMOp)),
                            (1, 1, [(6, 8), (1, 5)] + [(1, 5)] * (cls is Q.LSTMOp), 2 + (cls is Q.LSTMOp)))],
    case(Q.LSTMOp, [(3, 4, 8)], {"num_output": 5, "weight_data_size": 160, "hidden_size": 5},
         {"weight_xc": 160, "bias_c": 20, "weight_hc": 100}, refused=True),
    case(N.FoldOp, [(36, 9)], {"kernel_w": 3, "stride_w": 2, "pad_left": 1, "output_w": 6}),
    case(N.FoldOp, [(8, 12)], {"kernel_w": 2, "kernel_h": 1, "output_w": 4, "output_h": 3}),
    case(Q.EmbedOp, [(7,)], {"num_output": 6, "input_dim": 10, "weight_data_size": 60}, {"weight": 60}),
    case(Q.SDPAOp, [(4, 9, 8), (4, 11, 8), (4, 11, 6)], {"scale": 0.5}),
    case(Q.SDPAOp, [(4, 9, 8), (1, 11, 8), (1, 11, 6)]),
    # ---- InnerProduct / Gemm / MatMul
    *[case(N.InnerProductOp, [m], {"num_output": 6, "weight_data_size": 6 * k}, {"weight": 6 * k}) for m, k in [
        ((10,), 10), ((3, 10), 10), ((1, 10), 10), (C3, 396), ((3, 10), 30), ((2, 3, 4, 5), 120),
    ]],
    *[case(N.GemmOp, ins, {"transA": ta, "transB": tb, "constantC": 1, "constant_broadcast_type_C": -1, **p}, w) for ins, ta, tb, p, w in [
        ([(3, 4), (4, 5)], 0, 0, {}, {}), ([(4, 3), (4, 5)], 1, 0, {}, {}), ([(3, 4), (5, 4)], 0, 1, {}, {}),
        ([(1, 4), (4, 5)], 0, 0, {}, {}), ([(1, 8), (1, 5)], 1, 0, {}, {}), ([(3, 4)], 0, 0, {"constantB": 1, "constantN": 5, "constantK": 4}, {"B": 20}),
        ([(4, 5)], 0, 0, {"constantA": 1, "constantM": 3, "constantK": 4}, {"A": 12}),
        ([(3, 4), (4, 5)], 0, 0, {"output_N1M": 1}, {}), ([(3, 4), (4, 5)], 0, 0, {"output_transpose": 1}, {}),
        ([(3, 1, 4), (4, 5)], 0, 0, {}, {}),
    ]],
    # a vector operand: the x86 kernel reads a packed vector's rows as its elempack ((4) · (4, 5)
    # gives (4, 5); (8)ᵀ · (1, 5) gives (1, 5), not (8, 5)): issue 9's "quarter of the rows"
    case(N.GemmOp, [(4,), (4, 5)], {"constant_broadcast_type_C": -1, "constantC": 1}, refused=True),
    case(N.GemmOp, [(8,), (1, 5)], {"transA": 1, "constant_broadcast_type_C": -1, "constantC": 1}, refused=True),
    *[case(N.MatMulOp, [a, b], {"transB": tb}) for a, b, tb in [
        ((3, 4), (4, 5), 0), ((4, 1), (1, 5), 0), ((4,), (4, 5), 0), ((3, 4), (4,), 0), ((4,), (4,), 0),
        ((2, 3, 4), (4, 5), 0), ((3, 4), (2, 4, 5), 0), ((2, 3, 4), (2, 4, 5), 0), ((2, 3, 4), (1, 4, 5), 0),
        ((2, 2, 3, 4), (4, 5), 0), ((2, 2, 3, 4), (2, 4, 5), 0), ((1, 2, 3, 4), (2, 1, 4, 5), 0), ((4,), (2, 4, 5), 0),
        ((2, 3, 4), (4,), 0), ((2, 2, 3, 4), (4,), 0), ((3, 4), (5, 4), 1), ((2, 3, 4), (2, 5, 4), 1), ((4,), (2, 2, 4, 5), 0),
    ]],
    # ---- normalisation
    case(N.BatchNormOp, [C3], {"channels": 4}, {"slope": 4, "mean": 4, "var": 4, "bias": 4}),
    case(N.BatchNormOp, [(3, 5)], {"channels": 3}, {"slope": 3, "mean": 3, "var": 3, "bias": 3}),
    case(N.LayerNormOp, [C3], {"affine_size": 11}, {"gamma": 11, "beta": 11}),
    case(N.LayerNormOp, [(3, 5)], {"affine_size": 5}, {"gamma": 5, "beta": 5}),
    case(N.RMSNormOp, [C3], {"affine_size": 11}, {"gamma": 11}),
    case(N.RMSNormOp, [(3, 5)], {"affine_size": 5, "affine": 0}),
    case(N.InstanceNormOp, [C3], {"channels": 4}, {"gamma": 4, "beta": 4}),
    case(N.GroupNormOp, [C3], {"group": 2, "channels": 4}, {"gamma": 4, "beta": 4}),
    case(N.GroupNormOp, [(2, 4, 3, 5)], {"group": 2, "channels": 2}, {"gamma": 2, "beta": 2}),
    case(N.LRNOp, [C3], {"local_size": 3}),
    *[case(S.FlipOp, [m], {"axes": a}) for m, a in [((7,), [0]), ((3, 5), [0]), (C3, [1, 2]), ((2, 3, 4, 5), [3])]],
    *[case(N.CumulativeSumOp, [m], {"axis": a}) for m, a in [((7,), 0), ((3, 5), 1), (C3, 0), ((2, 3, 4, 5), 2)]],
    # ---- Interp
    *[case(N.InterpOp, [m], p) for m, p in [
        (C3, {"resize_type": 2, "output_height": 5, "output_width": 17}), (C3, {"resize_type": 1, "height_scale": 2.0, "width_scale": 1.5}),
        (C3, {"resize_type": 1, "height_scale": 0.5, "width_scale": 0.3}), ((3, 5), {"resize_type": 2, "output_height": 1, "output_width": 9}),
        ((4,), {"resize_type": 1, "output_height": 3, "output_width": 2}),
    ]],
    # ---- Reduction
    *[case(N.ReductionOp, [m], {"operation": 0, "reduce_all": ra, "axes": ax, "keepdims": kd, "fixbug0": 1}) for m, ra, ax, kd in [
        (C3, 0, [0], 0), (C3, 0, [1, 2], 0), (C3, 0, [0, 1, 2], 0), (C3, 0, [-1], 1), (C3, 0, [0, 2], 1),
        ((2, 3, 4, 5), 0, [1], 0), ((2, 3, 4, 5), 0, [0, 3], 0), ((2, 3, 4, 5), 0, [2], 1), ((3, 5), 0, [0], 0),
        ((3, 5), 0, [1], 1), ((7,), 0, [0], 0), ((7,), 0, [0], 1), (C3, 1, [], 0), (C3, 1, [], 1),
    ]],
    # ---- Permute (every order of 2/3/4-D)
    *[case(S.PermuteOp, [m], {"order_type": code}) for m in [(3, 5), C3, (2, 3, 4, 5)] for code in range(len(S.PERMUTE_ORDERS[len(m)]))],
    # ---- Crop
    *[case(S.CropOp, [m], p) for m, p in [
        (C3, {"starts": [1], "ends": [3], "axes": [0]}), (C3, {"starts": [2, -5], "ends": [-1, 0], "axes": [1, 2]}),
        (C3, {"starts": [-233], "ends": [-233], "axes": [-1]}), (C3, {"starts": [1], "ends": [100], "axes": [-2]}),
        ((2, 5, 6, 7), {"starts": [1, 2], "ends": [3, 4], "axes": [1, 3]}), ((7,), {"starts": [2], "ends": [-1], "axes": [0]}),
        ((3, 5), {"starts": [1], "ends": [2], "axes": [0]}), (C3, {"woffset": 2, "outw": 5, "hoffset": 1, "outh": -233, "outc": -233}),
        (C3, {"woffset": 1, "woffset2": 2, "outw": -233, "outh": -233, "outc": 2, "coffset": 1}),
    ]],
    # ---- Slice / Concat
    *[case(S.SliceOp, [m], p, outputs=n) for m, p, n in [
        (C3, {"slices": [1, 3], "axis": 0}, 2), (C3, {"slices": [-233, -233, -233], "axis": 2}, 3), (C3, {"slices": [2, -233], "axis": -2}, 2),
        (C3, {"indices": [3, 7], "axis": 2}, 3), (C3, {"indices": [-2], "axis": 1}, 2), ((2, 5, 6, 7), {"slices": [2, 3], "axis": 1}, 2),
        ((7,), {"slices": [3, -233], "axis": 0}, 2), ((3, 5), {"slices": [1, 1, 1], "axis": 0}, 3),
    ]],
    *[case(S.ConcatOp, ms, {"axis": a}) for ms, a in [
        ([C3, (2, 9, 11)], 0), ([C3, (4, 2, 11), (4, 1, 11)], 1), ([C3, (4, 9, 3)], -1), ([(3, 5), (3, 2)], 1),
        ([(3,), (5,)], 0), ([(2, 5, 6, 7), (2, 1, 6, 7)], 1), ([(1, 5), (2, 5)], 0),
    ]],
    # ---- Padding, Flatten, Tile, ExpandDims, Squeeze, PixelShuffle, Reorg, Noop
    *[case(S.PaddingOp, [m], p) for m, p in [
        (C3, {"top": 1, "bottom": 2, "left": 3, "right": 4}), (C3, {"front": 1, "behind": 2}), ((2, 5, 6, 7), {"front": 1, "behind": 1, "left": 1}),
        ((3, 5), {"top": 1, "left": 2}), ((7,), {"left": 1, "right": 2}),
    ]],
    *[case(S.FlattenOp, [m]) for m in [(7,), (3, 5), C3, (2, 3, 4, 5)]],
    *[case(S.TileOp, [m], p) for m, p in [
        (C3, {"axis": 0, "tiles": 2}), (C3, {"axis": 2, "tiles": 3}), ((3, 5), {"axis": 0, "tiles": 2}), ((7,), {"tiles": 3}),
        (C3, {"repeats": [2, 1, 3]}), (C3, {"repeats": [2, 2]}), ((3, 5), {"repeats": [2, 1, 3]}), ((2, 3, 4, 5), {"repeats": [2, 1, 1]}),
        (C3, {"repeats": [2, 1, 1, 1]}), ((7,), {"repeats": [2, 3]}), ((2, 3, 4, 5), {"repeats": [1, 2, 1, 2]}),
    ]],
    *[case(S.ExpandDimsOp, [m], {"axes": a}) for m, a in [
        ((7,), [0]), ((7,), [1]), ((7,), [0, 1]), ((7,), [0, 2]), ((3, 5), [0]), ((3, 5), [1]), ((3, 5), [2]), (C3, [0]), (C3, [-1]),
        (C3, [2]), ((3, 5), [0, 1]),
    ]],
    *[case(S.SqueezeOp, [m], p) for m, p in [
        ((1, 5), {"axes": [0]}), ((3, 1), {"axes": [1]}), ((4, 1, 11), {"axes": [1]}), ((1, 9, 1), {"axes": [0, 2]}),
        ((2, 1, 4, 1), {"axes": [1, 3]}), ((1, 9, 11), {"squeeze_c": 1}), ((4, 1, 1), {"squeeze_h": 1, "squeeze_w": 1}),
        ((1,), {"axes": [0]}), ((1, 1), {"axes": [0, 1]}), ((4, 1, 11), {"axes": [0]}),
    ]],
    case(S.PixelShuffleOp, [(8, 3, 5)], {"upscale_factor": 2}),
    case(S.PixelShuffleOp, [(18, 3, 5)], {"upscale_factor": 3, "mode": 1}),
    case(S.ShuffleChannelOp, [(6, 3, 5)], {"group": 2}), case(S.ShuffleChannelOp, [(6, 2, 3, 5)], {"group": 3, "reverse": 1}),
    case(S.ReorgOp, [(2, 6, 8)], {"stride": 2}),
    case(S.ReorgOp, [(2, 6, 9)], {"stride": 3, "mode": 1}),
    case(S.NoopOp, [C3]),
    # ---- sequence layers
    *[_recurrent(cls, T, size, n, d, outs) for cls in (Q.LSTMOp, Q.GRUOp, Q.RNNOp)
      for T, size, n, d, outs in [(5, 3, 4, 0, 1), (6, 2, 3, 2, 1), (5, 3, 4, 1, 2), (4, 3, 2, 2, 3)]
      if (outs == 3) == (cls is Q.LSTMOp) or outs == 1],
    {**_recurrent(Q.LSTMOp, 5, 3, 4, 1, 2), "refused": True},  # LSTM returns hidden and cell together
    case(Q.EmbedOp, [(7,)], {"num_output": 4, "input_dim": 10, "weight_data_size": 40}, {"weight": 40}),
    case(Q.SDPAOp, [(4, 5, 8), (4, 7, 8), (4, 7, 6)]),
    case(Q.SDPAOp, [(4, 5, 8), (2, 7, 8), (2, 7, 8)]),
]


def _build(c: dict[str, Any]) -> NcnnLayer:
    block = Block(arg_types=[tensor_type(m, np.float32) for m in c["inputs"]])
    weights = {k: np.linspace(-1, 1, n, dtype=np.float32) for k, n in c["weights"].items()}
    result_types = [tensor_type((1,), np.float32)] * c["outputs"]
    return c["cls"].build(list(block.args), result_types, c["params"], weights)


def _write(c: dict[str, Any], op: NcnnLayer, folder: Path, i: int) -> dict[str, Any]:
    ins = [f"in{k}" for k in range(len(c["inputs"]))]
    outs = [f"out{k}" for k in range(c["outputs"])]
    lines = [f"Input input{k} 0 1 {name}" for k, name in enumerate(ins)]
    lines.append(layer_line(op, "layer", ins, outs))
    param, bin_ = folder / f"{i}.param", folder / f"{i}.bin"
    param.write_text("\n".join([str(MAGIC), f"{len(lines)} {len(ins) + len(outs)}", *lines]) + "\n")
    bin_.write_bytes(layer_weights(op, False))
    return {"param": str(param), "bin": str(bin_), "inputs": [list(m) for m in c["inputs"]], "outputs": c["outputs"]}


def _label(c: dict[str, Any]) -> str:
    return f"{c['cls'].name} {c['params']} on {c['inputs']}"


@pytest.fixture(scope="module")
def runtime_mats(tmp_path_factory) -> list[Any]:
    folder = tmp_path_factory.mktemp("infer_mat")
    jobs = [_write(c, _build(c), folder, i) for i, c in enumerate(CASES)]
    (folder / "cases.json").write_text(json.dumps(jobs))
    proc = subprocess.run(
        [sys.executable, str(WORKER), str(folder / "cases.json"), str(folder / "results.json")],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    if proc.returncode != 0:
        last = proc.stdout.split()[-1] if proc.stdout.split() else "?"
        crashed = CASES[int(last)] if last.isdigit() else None
        pytest.fail(f"ncnn worker exited {proc.returncode} at case {last}: "
                    f"{_label(crashed) if crashed else ''}\n{proc.stderr[-2000:]}")
    return json.loads((folder / "results.json").read_text())


def test_every_emitted_layer_type_has_cases():
    """Every layer class in the dialect has a rule and at least one runtime case."""
    tested = {c["cls"] for c in CASES}
    missing = sorted(name for name, cls in LAYERS_BY_TYPE.items() if cls not in tested)
    assert not missing, f"layer types without an infer_mat runtime case: {missing}"
    assert len(CASES) >= 250


def test_infer_mat_matches_ncnn(runtime_mats):
    wrong = []
    for c, got in zip(CASES, runtime_mats, strict=True):
        op = _build(c)
        try:
            rule = op.infer_mat([tuple(m) for m in c["inputs"]])
        except MatRuleError as e:
            rule = f"MatRuleError: {e}"
        got = got if isinstance(got, str) else [tuple(m) for m in got]
        if c["refused"]:
            if not isinstance(rule, str):
                wrong.append(f"{_label(c)}: ncnn {got}; infer_mat should refuse, gives {rule}")
        elif rule != got:
            wrong.append(f"{_label(c)}: ncnn {got}, infer_mat {rule}")
    assert not wrong, f"{len(wrong)} of {len(CASES)} cases differ:\n" + "\n".join(wrong)


def test_data_mat_keeps_rows_and_columns():
    """A MatMul / Gemm operand keeps its last two axes even when 1; a leading batch of 1 of a
    higher rank still goes (ncnn broadcasts a missing batch)."""
    from ncc.dialects.ncnn.base import data_mat, mat_shape

    assert mat_shape((1, 5)) == (5,)
    assert data_mat((1, 5)) == (1, 5)
    assert data_mat((4, 1)) == (4, 1)
    assert data_mat((1, 1, 5)) == (1, 5)
    assert data_mat((1, 4, 5)) == (4, 5)
    assert data_mat((5,)) == (5,)

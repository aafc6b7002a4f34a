"""End-to-end: sequence-model lowerings (LSTM / GRU / RNN, Embedding, attention, runtime
weights, Einsum) — torch modules through both exporters (and ONNX built with onnx.helper for
what torch never writes) → ncc → ncnn CPU, Vulkan fp32 and Vulkan fp16 against the reference,
plus the ncnn layer each one must reach."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

import ncc  # noqa: E402

TOLERANCE = {"cpu": 1e-4, "vulkan-fp32": 1e-4, "vulkan-fp16": 2e-2}


def assert_matches(report) -> None:
    table = report.table()
    assert report.skipped == {}, f"Vulkan modes did not run (lavapipe missing?):\n{table}"
    assert report.modes() == list(TOLERANCE), table
    for mode, tol in TOLERANCE.items():
        worst = report.worst(mode)
        assert worst <= tol, f"{mode}: max relative error {worst:.3g} > {tol:g}\n{table}"
    assert report.passed, table


def layer_types(result) -> list[str]:
    lines = result.param.read_text().splitlines()[2:]
    return [line.split()[0] for line in lines]


def check_torch(
    model: nn.Module, inputs: tuple, out: Path, export: str, expect: str | None, opset: int | None = None
) -> list[str]:
    torch.manual_seed(0)
    result = ncc.compile(model.eval(), inputs, out, export=export, opset=opset)
    assert_matches(ncc.verify(result))
    types = layer_types(result)
    if expect is not None:
        assert expect in types, types
    return types


# --------------------------------------------------------------------------- recurrent


class Recurrent(nn.Module):
    def __init__(self, kind: str, bidirectional: bool, batch_first: bool) -> None:
        super().__init__()
        self.kind = kind
        self.rnn = getattr(nn, kind)(8, 16, bidirectional=bidirectional, batch_first=batch_first)

    def forward(self, x, *state):
        # LSTM's (h0, c0) come as two tensor inputs
        if self.kind == "LSTM" and state:
            state = (tuple(state),)
        y, h = self.rnn(x, *state)
        if self.kind == "LSTM":
            return y, h[0], h[1]
        return y, h


RECURRENT = [
    ("LSTM", False, False, False),
    ("LSTM", True, True, True),
    ("GRU", True, False, True),
    ("GRU", False, True, False),
    ("RNN", True, True, True),
]


@pytest.mark.parametrize("export", ["torchscript", "dynamo"])
@pytest.mark.parametrize(("kind", "bi", "batch_first", "states"), RECURRENT)
def test_recurrent(tmp_path, kind, bi, batch_first, states, export) -> None:
    torch.manual_seed(0)
    model = Recurrent(kind, bi, batch_first)
    g = torch.Generator().manual_seed(1)
    x = torch.randn((1, 5, 8) if batch_first else (5, 1, 8), generator=g)
    inputs: tuple = (x,)
    d = 2 if bi else 1
    if states:
        h = torch.randn(d, 1, 16, generator=g)
        inputs += (h, torch.randn(d, 1, 16, generator=g)) if kind == "LSTM" else (h,)
    # dynamo unrolls nn.RNN into elementary ops: only the torchscript export has an RNN node
    expect = kind if (kind != "RNN" or export == "torchscript") else None
    check_torch(model, inputs, tmp_path / "m", export, expect)


def _recurrent_onnx(path: Path, kind: str, direction: str, layout: int) -> None:
    """An ONNX LSTM/GRU/RNN written with onnx.helper: `reverse`, which torch's exporters never
    write (onnxruntime has no `layout=1` kernel to compare with)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    t, i, h = 6, 5, 7
    gates = {"LSTM": 4, "GRU": 3, "RNN": 1}[kind]
    dirs = 2 if direction == "bidirectional" else 1
    inits = [
        numpy_helper.from_array(rng.uniform(-0.5, 0.5, (dirs, gates * h, i)).astype(np.float32), "W"),
        numpy_helper.from_array(rng.uniform(-0.5, 0.5, (dirs, gates * h, h)).astype(np.float32), "R"),
        numpy_helper.from_array(rng.uniform(-0.5, 0.5, (dirs, 2 * gates * h)).astype(np.float32), "B"),
    ]
    attrs = {"hidden_size": h, "direction": direction, "layout": layout}
    if kind == "GRU":
        attrs["linear_before_reset"] = 1
    x_shape = [1, t, i] if layout else [t, 1, i]
    outs = ["Y", "Y_h"]
    node = helper.make_node(kind, ["X", "W", "R", "B"], outs, **attrs)
    y_shape = [1, t, dirs, h] if layout else [t, dirs, 1, h]
    hs = [1, dirs, h] if layout else [dirs, 1, h]
    graph = helper.make_graph(
        [node], kind.lower(),
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, x_shape)],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, y_shape),
         helper.make_tensor_value_info("Y_h", TensorProto.FLOAT, hs)],
        inits,
    )  # fmt: skip
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)]), path)


@pytest.mark.parametrize(("kind", "direction", "layout"), [("LSTM", "reverse", 0), ("GRU", "reverse", 0), ("RNN", "reverse", 0)])
def test_recurrent_onnx_reverse_and_layout(tmp_path, kind, direction, layout) -> None:
    from ncc.driver import compile_onnx
    from ncc.verify import verify

    path = tmp_path / "m.onnx"
    _recurrent_onnx(path, kind, direction, layout)
    result = compile_onnx(path, tmp_path / "out")
    assert_matches(verify(tmp_path / "out", path))
    assert kind in layer_types(result)


def test_recurrent_refusals(tmp_path) -> None:
    """What ncnn's layers cannot do is refused by name."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    from ncc.dialects.common import NccError
    from ncc.driver import compile_onnx

    w = numpy_helper.from_array(np.zeros((1, 12, 4), np.float32), "W")
    r = numpy_helper.from_array(np.zeros((1, 12, 4), np.float32), "R")
    node = helper.make_node("GRU", ["X", "W", "R"], ["Y"], hidden_size=4)  # linear_before_reset=0
    graph = helper.make_graph(
        [node], "g", [helper.make_tensor_value_info("X", TensorProto.FLOAT, [3, 1, 4])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [3, 1, 1, 4])], [w, r],
    )  # fmt: skip
    path = tmp_path / "g.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)]), path)
    with pytest.raises(NccError, match="linear_before_reset=0"):
        compile_onnx(path, tmp_path / "out")


# --------------------------------------------------------------------------- attention


class Attention(nn.Module):
    """timm's ViT attention, written by hand or with F.scaled_dot_product_attention."""

    def __init__(self, dim: int = 32, heads: int = 4, sdpa: bool = False) -> None:
        super().__init__()
        self.heads, self.sdpa = heads, sdpa
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.scale = (dim // heads) ** -0.5

    def forward(self, x, mask=None):
        b, n, c = x.shape
        q, k, v = self.qkv(x).reshape(b, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4).unbind(0)
        if self.sdpa:
            x = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        else:
            a = (q * self.scale) @ k.transpose(-2, -1)
            x = a.softmax(-1) @ v
        return self.proj(x.transpose(1, 2).reshape(b, n, c))


class VitBlock(nn.Module):
    def __init__(self, sdpa: bool) -> None:
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(32), nn.LayerNorm(32)
        self.attn = Attention(sdpa=sdpa)
        self.mlp = nn.Sequential(nn.Linear(32, 64), nn.GELU(), nn.Linear(64, 32))

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class MaskedSDPA(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.attn = Attention(sdpa=True)

    def forward(self, x, mask):
        return self.attn(x, mask)


class MHA(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.mha = nn.MultiheadAttention(32, 4, batch_first=True)

    def forward(self, x):
        return self.mha(x, x, x, need_weights=False)[0]


ATTENTION = {
    "vit_block": lambda: VitBlock(sdpa=False),
    "vit_block_sdpa": lambda: VitBlock(sdpa=True),
    "masked_sdpa": MaskedSDPA,
    "mha": MHA,
}


def test_opset13_layernorm_and_attention(tmp_path) -> None:
    """Below opset 17 TorchScript writes LayerNorm as ReduceMean/Sub/Pow/ReduceMean/Add/Sqrt/
    Div/Mul/Add: fused back into LayerNorm, next to SDPA, with no Reduction left."""
    x = torch.randn(1, 9, 32, generator=torch.Generator().manual_seed(1))
    types = check_torch(VitBlock(sdpa=False), (x,), tmp_path / "m", "torchscript", "SDPA", opset=13)
    assert types.count("LayerNorm") == 2 and "Reduction" not in types and "MatMul" not in types, types


@pytest.mark.parametrize("export", ["torchscript", "dynamo"])
@pytest.mark.parametrize("name", list(ATTENTION))
def test_attention_reaches_sdpa(tmp_path, name, export) -> None:
    """Attention becomes ncnn SDPA (a Vulkan kernel); LayerNorm stays LayerNorm and Linear
    InnerProduct: no ncnn MatMul (CPU only) is left."""
    torch.manual_seed(0)
    model = ATTENTION[name]()
    g = torch.Generator().manual_seed(1)
    inputs: tuple = (torch.randn(1, 9, 32, generator=g),)
    if name == "masked_sdpa":
        inputs += (torch.randn(9, 9, generator=g),)
    types = check_torch(model, inputs, tmp_path / "m", export, "SDPA")
    assert "MatMul" not in types, types


# --------------------------------------------------------------------------- embedding


class TokenModel(nn.Module):
    """Embedding of run-time token ids, then a Linear."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(20, 16)
        self.fc = nn.Linear(16, 8)

    def forward(self, tokens):
        return self.fc(self.embed(tokens))


@pytest.mark.parametrize("export", ["torchscript", "dynamo"])
def test_embedding_reaches_embed(tmp_path, export) -> None:
    """Gather of a constant table by an int64 model input → Embed; the manifest says the input
    is fed as int32 bytes within the table's range, and verify feeds it so."""
    torch.manual_seed(0)
    tokens = torch.randint(0, 20, (1, 7), generator=torch.Generator().manual_seed(1))
    result = ncc.compile(TokenModel().eval(), (tokens,), tmp_path / "m", export=export)
    entry = result.manifest["inputs"][0]
    assert entry["dtype"] == "int64" and entry["feed"] == "int32" and entry["range"] == [0, 20], entry
    assert_matches(ncc.verify(result))
    assert "Embed" in layer_types(result)


def test_embedding_feed_bytes() -> None:
    """`ncnn_feed` puts the int32 values' bytes in the Mat, not their float values."""
    from ncc.verify import ncnn_feed

    entry = {"name": "t", "feed": "int32", "mat_shape": [3]}
    fed = ncnn_feed(entry, np.array([[0, 5, 19]], np.int64))
    assert fed.dtype == np.float32 and fed.view(np.int32).tolist() == [0, 5, 19]
    assert ncnn_feed({"name": "x", "mat_shape": [2]}, np.array([1, 2])).tolist() == [1.0, 2.0]


# --------------------------------------------------------------------------- einsum


class Einsum(nn.Module):
    def __init__(self, equation: str, weight: tuple[int, ...] | None = None) -> None:
        super().__init__()
        self.equation = equation
        self.weight = nn.Parameter(torch.randn(weight)) if weight else None

    def forward(self, *xs):
        return torch.einsum(self.equation, *xs, *([self.weight] if self.weight is not None else []))


EINSUM = {
    # equation, input shapes, constant second operand, layer it must reach
    "linear": ("bnd,de->bne", [(1, 5, 8)], (8, 6), "InnerProduct"),
    "attention_scores": ("bhqd,bhkd->bhqk", [(1, 2, 5, 4), (1, 2, 6, 4)], None, None),
    "rowwise_dot": ("ij,ij->i", [(3, 4), (3, 4)], None, None),
    "batched_ellipsis": ("...ij,...jk->...ik", [(2, 3, 4), (2, 4, 5)], None, None),
    "permute_sum": ("bij->jb", [(2, 3, 4)], None, None),
}


@pytest.mark.parametrize("export", ["torchscript", "dynamo"])
@pytest.mark.parametrize("name", list(EINSUM))
def test_einsum(tmp_path, name, export) -> None:
    equation, shapes, weight, expect = EINSUM[name]
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(1)
    inputs = tuple(torch.randn(s, generator=g) for s in shapes)
    check_torch(Einsum(equation, weight), inputs, tmp_path / "m", export, expect)


# --------------------------------------------------------------------------- run-time weights


class RuntimeConv(nn.Module):
    def forward(self, x, w, b):
        return F.conv2d(x, w, b, padding=1)


class RuntimeConvConstBias(nn.Module):
    """A 1-D convolution by a run-time weight, its bias a parameter."""

    def __init__(self) -> None:
        super().__init__()
        self.bias = nn.Parameter(torch.randn(6))

    def forward(self, x, w):
        return F.conv1d(x, w, self.bias, stride=2)


class RuntimeDeconv(nn.Module):
    def forward(self, x, w, b):
        return F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1)


class Addmm(nn.Module):
    def forward(self, c, a, b):
        return torch.addmm(c, a, b, beta=0.5, alpha=2.0)


class RuntimeLinear(nn.Module):
    def forward(self, x, w, b):
        return F.linear(x, w, b)


RUNTIME_WEIGHT = {
    "conv2d": (RuntimeConv, [(1, 4, 8, 8), (6, 4, 3, 3), (6,)], "Convolution"),
    "conv1d_const_bias": (RuntimeConvConstBias, [(1, 4, 9), (6, 4, 3)], "Convolution"),
    "conv_transpose2d": (RuntimeDeconv, [(1, 4, 5, 5), (4, 6, 3, 3), (6,)], "Deconvolution"),
    "addmm": (Addmm, [(4,), (3, 5), (5, 4)], "Gemm"),
    "addmm_square": (Addmm, [(4,), (4, 5), (5, 4)], "Gemm"),
    "linear": (RuntimeLinear, [(3, 4), (5, 4), (5,)], "Gemm"),
}


@pytest.mark.parametrize("export", ["torchscript", "dynamo"])
@pytest.mark.parametrize("name", list(RUNTIME_WEIGHT))
def test_runtime_weight(tmp_path, name, export) -> None:
    """Conv / ConvTranspose with weights given at run time → ncnn's dynamic_weight layers;
    Gemm with a run-time B and C (torch.addmm, F.linear) → ncnn Gemm with C as a bottom
    (`addmm_square`: M == N, where a 1-D C would be read per row)."""
    cls, shapes, expect = RUNTIME_WEIGHT[name]
    g = torch.Generator().manual_seed(1)
    inputs = tuple(torch.randn(s, generator=g) for s in shapes)
    check_torch(cls(), inputs, tmp_path / "m", export, expect)


# --------------------------------------------------------------------------- fold


class Fold(nn.Module):
    def forward(self, x):
        return F.fold(x, output_size=(6, 7), kernel_size=(3, 2), padding=1, stride=2)


@pytest.mark.parametrize("export", ["torchscript", "dynamo"])
def test_fold_reaches_fold(tmp_path, export) -> None:
    """F.fold (ONNX Col2Im) → ncnn Fold. (F.unfold exports as gathers ncc refuses by name.)"""
    blocks = 3 * 4  # ((6 + 2 - 3) // 2 + 1) * ((7 + 2 - 2) // 2 + 1)
    x = torch.randn(1, 5 * 3 * 2, blocks, generator=torch.Generator().manual_seed(1))
    # Col2Im needs opset 18
    check_torch(Fold(), (x,), tmp_path / "m", export, "Fold", opset=18 if export == "torchscript" else None)


# --------------------------------------------------------------------------- constant-left MatMul


class TokenMixing(nn.Module):
    """MLP-Mixer's token mixing: a constant (M, K) matrix times a run-time (1, K, N) tensor."""

    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.randn(6, 5))

    def forward(self, x):
        return torch.matmul(self.w, x)


@pytest.mark.parametrize("export", ["torchscript", "dynamo"])
def test_constant_left_matmul_is_gemm(tmp_path, export) -> None:
    """A constant left operand becomes ncnn Gemm's constant A (Vulkan), not MatMul (CPU)."""
    x = torch.randn(1, 5, 8, generator=torch.Generator().manual_seed(1))
    types = check_torch(TokenMixing(), (x,), tmp_path / "m", export, "Gemm")
    assert "MatMul" not in types, types

"""End-to-end: activations, comparisons and masks on data, normalisations, CumSum, dilated
MaxPool, graphs whose outputs are inputs or constants, and integer tensors.

Each torch model is exported by both exporters (`dynamo=False` at opset 13 and `dynamo=True`);
each `onnx.helper` graph is written at the opset whose semantics it tests. Everything is
compiled with no options and run on ncnn CPU, Vulkan fp32 and Vulkan fp16 against onnxruntime
on chosen inputs: values on a 1/8 grid (exact in float16, so the fp16 mode compares the same
numbers), with ties at the thresholds, ±0, and ±inf where a model promises to keep them. An
infinite reference value must come back as the same infinity; the rest must be within the
mode's tolerance of the reference's largest finite magnitude.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")
onnx = pytest.importorskip("onnx")
import torch.nn.functional as F  # noqa: E402
from onnx import TensorProto, helper  # noqa: E402
from torch import nn  # noqa: E402

from paramfile import read_param  # noqa: E402

EXPORTERS = ("onnx13", "dynamo")
TOLERANCE = {"cpu": 1e-4, "vulkan-fp32": 1e-4, "vulkan-fp16": 2e-2}
SHAPE = (1, 4, 6, 6)


def grid(shape: tuple[int, ...] = SHAPE, seed: int = 0, scale: float = 3.0, specials: bool = False) -> np.ndarray:
    """Values k/8 in [-scale, scale] (exact in float16), with exact zeros, −0 and the
    thresholds the models use (±0.25, ±0.5); `specials` adds ±inf."""
    rng = np.random.default_rng(seed)
    x = np.round(rng.uniform(-scale, scale, shape) * 8) / 8
    flat = x.reshape(-1)
    fixed = [0.0, -0.0, 0.25, -0.25, 0.5, -0.5, 0.3, -0.3]
    if specials:
        fixed += [np.inf, -np.inf]
    flat[: len(fixed)] = fixed
    return x.astype(np.float32)


# --------------------------------------------------------------------------- torch models


class Activations(nn.Module):
    def forward(self, x):
        return (
            F.selu(x), F.celu(x, 0.7), F.elu(x, 0.5), F.softsign(x), F.softplus(x, 2.0, 3.0),
            F.mish(x), F.hardsigmoid(x), F.hardswish(x), torch.erf(x), torch.tan(x * 0.4),
            torch.sin(x), torch.cos(x), torch.atan(x), torch.sign(x),
        )  # fmt: skip


class LogSoftmax(nn.Module):
    def forward(self, x):
        return F.log_softmax(x * 8.0, 1), F.log_softmax(x, -1)


class Shrinks(nn.Module):
    def forward(self, x):
        return F.hardshrink(x, 0.5), F.softshrink(x, 0.25)


class Compares(nn.Module):
    """Comparisons with constants (ties on the grid), between tensors, and logic on them."""

    def forward(self, x):
        y = x.flip(-1)
        a, b = x > 0.25, x <= -0.5
        return torch.cat([
            a.float(), (x >= 0.25).float(), (x < -0.5).float(), b.float(), (x == 0.5).float(),
            (x != 0).float(), (x > y).float(), (x >= y).float(), (x == y).float(), (x < y).float(),
            (a & ~b).float(), (a | b).float(), (a ^ (x < 0.5)).float(), (0.25 < x).float(),
        ], 1)  # fmt: skip


class MaskedFill(nn.Module):
    """masked_fill with a finite value and with −inf (an attention mask, then softmax)."""

    def forward(self, x):
        keep = x > -2.5
        scores = x.masked_fill(~keep, float("-inf"))
        return x.masked_fill(x == 0, 5.0), torch.softmax(scores, -1), torch.where(x >= x.flip(-1), x, -x)


class InfFill(nn.Module):
    """Where with infinite branches and infinite data: must keep every infinity, never NaN."""

    def forward(self, x):
        m = x > 0
        return (
            torch.where(m, x, torch.tensor(float("-inf"))),
            torch.where(m, torch.tensor(float("inf")), x),
            torch.where(x < x.flip(-1), x, x.flip(-1)),
        )


class ConstMaskFill(nn.Module):
    """A constant mask with no few-rectangle form (every fifth element), on data with ±inf:
    the fill with −inf and a select between two data tensors stay exact (no 0·inf)."""

    def forward(self, x):
        mask = (torch.arange(36).view(6, 6) % 5 == 0).view(1, 1, 6, 6)
        return x.masked_fill(mask, float("-inf")), torch.where(mask, x, x.flip(-1)), x.masked_fill(mask, 2.0)


class GroupNorm(nn.Module):
    def __init__(self):
        super().__init__()
        self.gn = nn.GroupNorm(2, 4)
        with torch.no_grad():
            self.gn.weight.copy_(torch.linspace(0.5, 2, 4))
            self.gn.bias.copy_(torch.linspace(-1, 1, 4))

    def forward(self, x):
        return self.gn(x)


class InstanceNorm(nn.Module):
    def __init__(self):
        super().__init__()
        self.norm = nn.InstanceNorm2d(4, affine=True)
        with torch.no_grad():
            self.norm.weight.copy_(torch.linspace(0.5, 2, 4))
            self.norm.bias.copy_(torch.linspace(-1, 1, 4))

    def forward(self, x):
        return self.norm(x)


class CumSum(nn.Module):
    def forward(self, x):
        return torch.cumsum(x, 2), torch.cumsum(x, -1), torch.cumsum(x, 1)


class DilatedMaxPool(nn.Module):
    def forward(self, x):
        return F.max_pool2d(x, 3, 2, 1, dilation=2), F.max_pool2d(x, 2, 1, 0, dilation=(2, 3))


TORCH_MODELS: dict[str, tuple[type[nn.Module], Callable[[], np.ndarray]]] = {
    "Activations": (Activations, lambda: grid()),
    "LogSoftmax": (LogSoftmax, lambda: grid()),
    "Shrinks": (Shrinks, lambda: grid()),
    "Compares": (Compares, lambda: grid(specials=True)),
    "MaskedFill": (MaskedFill, lambda: grid()),
    "InfFill": (InfFill, lambda: grid(specials=True)),
    "ConstMaskFill": (ConstMaskFill, lambda: grid(specials=True)),
    "GroupNorm": (GroupNorm, lambda: grid()),
    "InstanceNorm": (InstanceNorm, lambda: grid()),
    "CumSum": (CumSum, lambda: grid()),
    "DilatedMaxPool": (DilatedMaxPool, lambda: grid(specials=False)),
}


# --------------------------------------------------------------------------- onnx.helper graphs


def _graph(nodes, inputs, outputs, opset: int, initializers=()) -> onnx.ModelProto:
    g = helper.make_graph(nodes, "g", inputs, outputs, list(initializers))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    return m


def _f(name: str, shape=SHAPE):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, list(shape))


def _unary_graph(op: str, opset: int, **attrs) -> onnx.ModelProto:
    return _graph([helper.make_node(op, ["x"], ["y"], **attrs)], [_f("x")], [_f("y")], opset)


def _log_softmax(axis: int) -> onnx.ModelProto:
    return _unary_graph("LogSoftmax", 13, axis=axis)


def _cumsum(axis: int, exclusive: int, reverse: int) -> onnx.ModelProto:
    ax = helper.make_tensor("axis", TensorProto.INT64, [], [axis])
    node = helper.make_node("CumSum", ["x", "axis"], ["y"], exclusive=exclusive, reverse=reverse)
    return _graph([node], [_f("x")], [_f("y")], 14, [ax])


def _group_norm(opset: int, groups: int = 2) -> onnx.ModelProto:
    n = groups if opset < 21 else SHAPE[1]
    scale = helper.make_tensor("s", TensorProto.FLOAT, [n], np.linspace(0.5, 2, n).tolist())
    bias = helper.make_tensor("b", TensorProto.FLOAT, [n], np.linspace(-1, 1, n).tolist())
    node = helper.make_node("GroupNormalization", ["x", "s", "b"], ["y"], num_groups=groups, epsilon=1e-3)
    return _graph([node], [_f("x")], [_f("y")], opset, [scale, bias])


def _lrn(size: int) -> onnx.ModelProto:
    shape = (1, 7, 5, 5)
    node = helper.make_node("LRN", ["x"], ["y"], size=size, alpha=0.02, beta=0.75, bias=1.5)
    return _graph([node], [_f("x", shape)], [_f("y", shape)], 13)


def _maxpool(shape, **attrs) -> onnx.ModelProto:
    import onnx.shape_inference

    node = helper.make_node("MaxPool", ["x"], ["y"], **attrs)
    m = _graph([node], [_f("x", shape)], [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], 13)
    return onnx.shape_inference.infer_shapes(m)


def _i(name: str, shape=(1, 4, 6), elem=TensorProto.INT64):
    return helper.make_tensor_value_info(name, elem, list(shape))


def _identity_output() -> onnx.ModelProto:
    return _graph([helper.make_node("Identity", ["x"], ["y"])], [_f("x")], [_f("y")], 13)


def _constant_output() -> onnx.ModelProto:
    nodes = [helper.make_node("Shape", ["x"], ["s"]), helper.make_node("Relu", ["x"], ["y"])]
    return _graph(nodes, [_f("x")], [_i("s", (4,)), _f("y")], 13)


def _integers() -> onnx.ModelProto:
    """Integer input (token ids): cast to float and scaled, compared with a constant and
    with itself reversed, a boolean output and a boolean cast to int64."""
    k = helper.make_tensor("k", TensorProto.FLOAT, [], [0.5])
    three = helper.make_tensor("three", TensorProto.INT64, [], [3])
    nodes = [
        helper.make_node("Cast", ["x"], ["f"], to=TensorProto.FLOAT),
        helper.make_node("Mul", ["f", "k"], ["scaled"]),
        helper.make_node("Equal", ["x", "three"], ["is3"]),
        helper.make_node("Greater", ["x", "three"], ["gt"]),
        helper.make_node("Cast", ["gt"], ["gt64"], to=TensorProto.INT64),
        helper.make_node("Max", ["x", "three"], ["clamped"]),
    ]
    outs = [_f("scaled", (1, 4, 6)), _i("is3", elem=TensorProto.BOOL), _i("gt64"), _i("clamped")]
    return _graph(nodes, [_i("x")], outs, 13, [k, three])


ONNX_MODELS: dict[str, tuple[Callable[[], onnx.ModelProto], Callable[[], np.ndarray]]] = {
    "ThresholdedRelu": (lambda: _unary_graph("ThresholdedRelu", 10, alpha=0.25), lambda: grid(specials=True)),
    "ThresholdedReluNegative": (
        lambda: _unary_graph("ThresholdedRelu", 10, alpha=-0.5), lambda: grid(specials=True)
    ),
    "Shrink": (lambda: _unary_graph("Shrink", 9, bias=0.25, lambd=0.5), lambda: grid()),
    "Softsign": (lambda: _unary_graph("Softsign", 13), lambda: grid()),
    "Mish": (lambda: _unary_graph("Mish", 18), lambda: grid()),
    "Selu": (lambda: _unary_graph("Selu", 13, alpha=1.5, gamma=1.2), lambda: grid()),
    "Celu": (lambda: _unary_graph("Celu", 13, alpha=2.0), lambda: grid()),
    "Tan": (lambda: _unary_graph("Tan", 13), lambda: grid(scale=1.25)),
    "Atanh": (lambda: _unary_graph("Atanh", 13), lambda: grid(scale=0.875)),
    "Acosh": (lambda: _unary_graph("Acosh", 13), lambda: np.abs(grid(scale=3)) + 1.0),
    "Asinh": (lambda: _unary_graph("Asinh", 13), lambda: grid()),
    "Cosh": (lambda: _unary_graph("Cosh", 13), lambda: grid()),
    "Sinh": (lambda: _unary_graph("Sinh", 13), lambda: grid()),
    "LogSoftmaxAxis1": (lambda: _log_softmax(1), lambda: grid() * 16),
    "LogSoftmaxAxis2": (lambda: _log_softmax(-2), lambda: grid()),
    "CumSumExclusive": (lambda: _cumsum(3, 1, 0), lambda: grid()),
    "CumSumReverse": (lambda: _cumsum(2, 0, 1), lambda: grid()),
    "CumSumReverseExclusive": (lambda: _cumsum(1, 1, 1), lambda: grid()),
    "GroupNorm18": (lambda: _group_norm(18), lambda: grid()),
    "GroupNorm21": (lambda: _group_norm(21), lambda: grid()),
    "LRN": (lambda: _lrn(3), lambda: grid((1, 7, 5, 5))),
    "LRN5": (lambda: _lrn(5), lambda: grid((1, 7, 5, 5))),
    "IsInf": (
        lambda: _graph(
            [helper.make_node("IsInf", ["x"], ["both"]),
             helper.make_node("IsInf", ["x"], ["pos"], detect_negative=0),
             helper.make_node("IsInf", ["x"], ["neg"], detect_positive=0)],
            [_f("x")], [_i(n, SHAPE, TensorProto.BOOL) for n in ("both", "pos", "neg")], 13,
        ),
        lambda: grid(specials=True),
    ),
    "IdentityOutput": (_identity_output, lambda: grid()),
    "ConstantOutput": (_constant_output, lambda: grid()),
    "Integers": (_integers, lambda: np.random.default_rng(0).integers(-8, 9, (1, 4, 6)).astype(np.int64)),
    "MaxPoolDilated1d": (
        lambda: _maxpool((1, 3, 17), kernel_shape=[3], dilations=[3], strides=[2], pads=[2, 1]),
        lambda: grid((1, 3, 17)),
    ),
    "MaxPoolDilatedCeil": (
        lambda: _maxpool((1, 2, 9, 10), kernel_shape=[2, 3], dilations=[2, 2], strides=[2, 3], ceil_mode=1),
        lambda: grid((1, 2, 9, 10)),
    ),
}


# --------------------------------------------------------------------------- session cache


@dataclass
class Result:
    param: Path
    outputs: dict[str, dict[str, np.ndarray]]  # mode → name → array
    reference: dict[str, np.ndarray]
    skipped: dict[str, str]


def _export_torch(name: str, mode: str, path: Path) -> np.ndarray:
    cls, make_input = TORCH_MODELS[name]
    torch.manual_seed(0)
    model = cls().eval()
    x = make_input()
    kwargs: dict[str, Any] = (
        {"dynamo": True, "verbose": False, "external_data": False}
        if mode == "dynamo"
        else {"dynamo": False, "opset_version": 13}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (torch.from_numpy(grid()),), str(path), input_names=["x"], **kwargs)
    return x


def run_all_modes(model: Path, out: Path, inputs: dict[str, np.ndarray]) -> Result:
    """Compile `model` with no options, run it in every ncnn mode and in onnxruntime."""
    from ncc.driver import compile_onnx
    from ncc.verify import MODES, load_manifest, make_inputs, onnxruntime_reference, run_ncnn

    res = compile_onnx(model, out)
    manifest, folder = load_manifest(out)
    feed = make_inputs(manifest, 0, inputs)
    reference = onnxruntime_reference(model)(feed)
    outputs, skipped = {}, {}
    for mode in MODES:
        got = run_ncnn(manifest, folder, feed, mode)
        if got is None:
            skipped[mode] = "no Vulkan device"
            continue
        outputs[mode] = got
    return Result(res.param, outputs, reference, skipped)


def assert_matches(r: Result) -> None:
    assert r.skipped == {}, f"modes did not run: {r.skipped}"
    for mode, tol in TOLERANCE.items():
        for name, ref in r.reference.items():
            got = np.asarray(r.outputs[mode][name], dtype=np.float64)
            ref = np.asarray(ref, dtype=np.float64)
            assert not np.isnan(got).any() or np.isnan(ref).any(), f"{mode} {name}: NaN where none expected"
            inf = np.isinf(ref)
            assert np.array_equal(got[inf], ref[inf]), f"{mode} {name}: infinities differ"
            finite = ~inf
            if not finite.any():
                continue
            assert np.isfinite(got[finite]).all(), f"{mode} {name}: an infinity where the reference is finite"
            err = np.abs(got[finite] - ref[finite]).max()
            scale = max(np.abs(ref[finite]).max(), 1e-12)
            assert err / scale <= tol, f"{mode} {name}: max relative error {err / scale:.3g} > {tol:g}"


@pytest.fixture(scope="session")
def ops_result(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str, str], Result]:
    """`get(name, mode) → Result`, exported or written, compiled and run once per session."""
    root = tmp_path_factory.mktemp("ops")
    cache: dict[tuple[str, str], Result | str] = {}

    def get(name: str, mode: str) -> Result:
        key = (name, mode)
        if key not in cache:
            folder = root / f"{name}-{mode}"
            folder.mkdir()
            path = folder / "model.onnx"
            try:
                if mode == "onnx":
                    make_model, make_input = ONNX_MODELS[name]
                    onnx.save(make_model(), str(path))
                    x = make_input()
                else:
                    x = _export_torch(name, mode, path)
                cache[key] = run_all_modes(path, folder / "out", {"x": x})
            except Exception as e:  # noqa: BLE001 - remembered, reported by each test
                cache[key] = f"{name} ({mode}): {type(e).__name__}: {e}"
        got = cache[key]
        if isinstance(got, str):
            pytest.fail(got, pytrace=False)
        return got

    return get


CASES = [(n, m) for n in TORCH_MODELS for m in EXPORTERS] + [(n, "onnx") for n in ONNX_MODELS]


@pytest.mark.parametrize(("name", "mode"), CASES, ids=[f"{n}-{m}" for n, m in CASES])
def test_matches_onnxruntime(ops_result, name: str, mode: str) -> None:
    assert_matches(ops_result(name, mode))


def _types(ops_result, name: str, mode: str):
    return read_param(ops_result(name, mode).param).types()


@pytest.mark.parametrize("mode", EXPORTERS)
def test_single_layer_activations(ops_result, mode: str) -> None:
    types = _types(ops_result, "Activations", mode)
    for layer in ("SELU", "CELU", "ELU", "HardSigmoid", "Erf"):
        assert layer in types, (layer, types)


def test_onnx_activation_layers(ops_result) -> None:
    assert set(_types(ops_result, "Shrink", "onnx")) == {"Input", "Shrink"}
    assert set(_types(ops_result, "ThresholdedRelu", "onnx")) == {"Input", "Shrink", "ReLU"}
    assert set(_types(ops_result, "Mish", "onnx")) == {"Input", "Mish"}
    assert "GroupNorm" in _types(ops_result, "GroupNorm18", "onnx")
    assert "LRN" in _types(ops_result, "LRN", "onnx")
    assert "CumulativeSum" in _types(ops_result, "CumSumReverseExclusive", "onnx")


def test_outputs_are_layers(ops_result) -> None:
    """An output that is the input is a Noop; a constant output a MemoryData."""
    assert set(_types(ops_result, "IdentityOutput", "onnx")) == {"Input", "Noop"}
    assert "MemoryData" in _types(ops_result, "ConstantOutput", "onnx")


def test_integer_outputs_keep_their_type(ops_result) -> None:
    r = ops_result("Integers", "onnx")
    for mode, outs in r.outputs.items():
        assert outs["is3"].dtype == np.bool_ and outs["gt64"].dtype == np.int64, mode
        assert np.array_equal(outs["clamped"], r.reference["clamped"]), mode


def _compile_error(model: onnx.ModelProto, tmp_path: Path) -> str:
    from ncc.dialects.common import NccError
    from ncc.driver import compile_onnx

    tmp_path.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(tmp_path / "m.onnx"))
    with pytest.raises(NccError) as e:
        compile_onnx(tmp_path / "m.onnx", tmp_path / "out")
    return str(e.value)


def test_refusals_name_the_reason(tmp_path: Path) -> None:
    c = helper.make_tensor("c", TensorProto.INT64, [], [3])
    add = _graph([helper.make_node("Add", ["x", "c"], ["y"])], [_i("x")], [_i("y")], 13, [c])
    assert "int64 arithmetic on values known only at run time" in _compile_error(add, tmp_path / "a")
    assert "size 4 is even" in _compile_error(_lrn(4), tmp_path / "b")
    pool = _maxpool((1, 2, 5, 5, 5), kernel_shape=[2, 2, 2], dilations=[2, 2, 2])
    assert "ncnn Pooling has no dilation" in _compile_error(pool, tmp_path / "c")


@pytest.mark.parametrize("mode", EXPORTERS)
def test_torch_shrinks_are_shrink_layers(ops_result, mode: str) -> None:
    """Hardshrink (both exporters) and softshrink (dynamo: x − sign(x)·λ) are one Shrink each;
    TorchScript's softshrink (a sum of two Wheres) goes through the exact run-time select."""
    types = _types(ops_result, "Shrinks", mode)
    assert types["Shrink"] == (2 if mode == "dynamo" else 1), types

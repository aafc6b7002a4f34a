"""End-to-end: torch model → ONNX (three exporters) → `ncc.driver.compile_onnx` (no options)
→ ncnn on CPU, Vulkan fp32 and Vulkan fp16 → compared with onnxruntime; plus properties of
the emitted `.param` (fusions, Split on every fan-out, only layer types ncnn knows)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from paramfile import read_param

EXPORT_MODES = ("onnx13", "onnx17", "dynamo")  # as named by the export_model fixture
MODEL_NAMES = ("resnet18", "mobilenetv2", "squeezenet", "unet", "mlp", "clamp_min")

TOLERANCE = {"cpu": 1e-4, "vulkan-fp32": 1e-4, "vulkan-fp16": 2e-2}

CASES = [(m, e) for m in MODEL_NAMES for e in EXPORT_MODES]
# BatchNormalization kept in the ONNX graph, so that ncc (not torch) has to fold it
BN_CASES = [("resnet18", "onnx13-bn"), ("mobilenetv2", "onnx13-bn")]
ALL_CASES = CASES + BN_CASES

CONV_TYPES = {"Convolution", "ConvolutionDepthWise", "Deconvolution", "DeconvolutionDepthWise"}


def _ids(cases):
    return [f"{m}-{e}" for m, e in cases]


@pytest.mark.parametrize(("name", "mode"), ALL_CASES, ids=_ids(ALL_CASES))
def test_matches_onnxruntime(compiled_model, name: str, mode: str) -> None:
    from ncc.verify import verify

    c = compiled_model(name, mode)
    report = verify(c.out_dir, c.model)
    table = report.table()
    assert report.skipped == {}, f"Vulkan modes did not run (lavapipe missing?):\n{table}"
    assert report.modes() == list(TOLERANCE), table
    outputs = {o["name"] for o in c.result.manifest["outputs"]}
    for mode_name, tol in TOLERANCE.items():
        rows = [r for r in report.rows if r.mode == mode_name]
        assert {r.output for r in rows} == outputs, table
        worst = max(r.max_rel for r in rows)
        assert worst <= tol, f"{mode_name}: max relative error {worst:.3g} > {tol:g}\n{table}"


@pytest.mark.parametrize(("name", "mode"), ALL_CASES, ids=_ids(ALL_CASES))
def test_param_graph_is_well_formed(compiled_model, name: str, mode: str) -> None:
    """Header counts, one producer per blob, topological order, and every fan-out through a
    Split (ncnn lets a blob feed only one layer)."""
    c = compiled_model(name, mode)
    pf = read_param(c.param)
    assert pf.layer_count == len(pf.layers)
    produced = [b for layer in pf.layers for b in layer.outputs]
    assert len(produced) == len(set(produced)), "a blob is produced twice"
    assert pf.blob_count == len(set(produced))
    assert len({layer.name for layer in pf.layers}) == len(pf.layers), "layer names repeat"

    seen: set[str] = set()
    for layer in pf.layers:
        for b in layer.inputs:
            assert b in seen, f"{layer.type} {layer.name} reads blob {b} before it is produced"
        seen.update(layer.outputs)

    for blob, users in pf.consumers().items():
        assert len(users) == 1, (
            f"blob {blob} feeds {len(users)} layers ({', '.join(u.name for u in users)}) without a Split"
        )
    for layer in pf.layers:
        if layer.type == "Split":
            assert len(layer.inputs) == 1 and len(layer.outputs) >= 2, layer

    producers = pf.producers()
    consumers = pf.consumers()
    for entry in c.result.manifest["inputs"]:
        assert producers[entry["blob"]].type == "Input"
    for entry in c.result.manifest["outputs"]:
        assert entry["blob"] in producers and entry["blob"] not in consumers


@pytest.mark.parametrize(("name", "mode"), ALL_CASES, ids=_ids(ALL_CASES))
def test_layer_types_registered_in_ncnn(compiled_model, name: str, mode: str) -> None:
    import ncnn

    pf = read_param(compiled_model(name, mode).param)
    unknown = sorted({t for t in pf.types() if ncnn.layer_to_index(t) < 0})
    assert not unknown, f"layer types ncnn does not have: {unknown}"


RESNET_MODES = [*EXPORT_MODES, "onnx13-bn"]


@pytest.mark.parametrize("mode", RESNET_MODES)
def test_resnet_batchnorm_and_relu_fused(compiled_model, export_model, mode: str) -> None:
    import onnx

    c = compiled_model("resnet18", mode)
    pf = read_param(c.param)
    types = pf.types()
    assert types["BatchNorm"] == 0, "a BatchNorm layer was left standalone"
    producers = pf.producers()
    unfused = [
        layer.name for layer in pf.layers
        if layer.type == "ReLU" and producers[layer.inputs[0]].type in CONV_TYPES
    ]  # fmt: skip
    assert not unfused, f"ReLU layers straight after a convolution: {unfused}"
    # stem + the first conv of each of the 5 blocks carry the ReLU; the 5 ReLUs after the
    # residual Adds have no conv to go into; 13 convs in all (incl. 2 downsample shortcuts)
    convs = [layer for layer in pf.layers if layer.type == "Convolution"]
    assert len(convs) == 13
    assert sum(layer.int_param(9, 0) == 1 for layer in convs) == 6
    assert types["ReLU"] == 5
    assert types["Split"] >= 5, "each residual block's input fans out to the shortcut"
    if mode == "onnx13-bn":
        graph = onnx.load(str(export_model("resnet18", mode)), load_external_data=False).graph
        assert sum(n.op_type == "BatchNormalization" for n in graph.node) == 13


@pytest.mark.parametrize("mode", [*EXPORT_MODES, "onnx13-bn"])
def test_mobilenet_relu6_fused(compiled_model, mode: str) -> None:
    pf = read_param(compiled_model("mobilenetv2", mode).param)
    producers = pf.producers()
    assert pf.types()["BatchNorm"] == 0
    unfused = [
        layer.name for layer in pf.layers
        if layer.type in ("Clip", "ReLU") and producers[layer.inputs[0]].type in CONV_TYPES
    ]  # fmt: skip
    assert not unfused, f"ReLU6 left after a convolution: {unfused}"
    # 11 ReLU6 (Clip 0..6) in the model, all right after a conv → activation_type 3
    act = [layer for layer in pf.layers if layer.type in CONV_TYPES and layer.int_param(9, 0) == 3]
    assert len(act) == 11
    for layer in act:
        n, lo, hi = layer.params[-23310].split(",")
        assert (int(n), float(lo), float(hi)) == (2, 0.0, 6.0)
    assert pf.types()["ConvolutionDepthWise"] == 5


def test_dynamo_weights_come_from_external_data(compiled_model) -> None:
    """The dynamo exporter's `model.onnx.data` is really what ncc read the weights from."""
    import onnx
    from onnx.external_data_helper import uses_external_data

    c = compiled_model("resnet18", "dynamo")
    assert (c.model.parent / "model.onnx.data").is_file()
    graph = onnx.load(str(c.model), load_external_data=False).graph
    external = [t for t in graph.initializer if uses_external_data(t)]
    assert external and len(external) >= 13  # at least every conv weight
    assert c.bin.stat().st_size > 0.9 * (c.model.parent / "model.onnx.data").stat().st_size


_ROW = re.compile(r"^(\S+)\s+(cpu|vulkan-fp32|vulkan-fp16)\s+(\S+)\s+(\S+)\s+(\S+)\s+(.*)$")


def test_cli_compile_verify(compiled_model, export_model, tmp_path: Path) -> None:
    """The real `ncc` command: exit code, the printed table, and the same files as the API."""
    model = export_model("resnet18", "onnx13")
    out = tmp_path / "resnet_cli"
    proc = subprocess.run(
        ["ncc", "compile", str(model), "-o", str(out), "--verify"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith(f"ncc: compiled {model}"), proc.stdout
    header = next(i for i, ln in enumerate(lines) if ln.split()[:6] == ["output", "mode", "max_abs", "max_rel", "tol", "result"])
    rows = [m.groups() for ln in lines[header + 1 :] if (m := _ROW.match(ln))]
    assert {r[1] for r in rows} == set(TOLERANCE), proc.stdout
    for _, mode, _max_abs, max_rel, tol, verdict in rows:
        assert verdict == "ok", proc.stdout
        assert float(tol) == TOLERANCE[mode]
        assert float(max_rel) <= TOLERANCE[mode]
    assert "skipped" not in proc.stdout
    assert lines[-1] == "verify: PASS"

    api = compiled_model("resnet18", "onnx13")
    assert (out / "model.ncnn.param").read_bytes() == api.param.read_bytes()
    assert (out / "model.ncnn.bin").read_bytes() == api.bin.read_bytes()

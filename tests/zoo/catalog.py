"""The model zoo: real architectures from timm, torchvision and ultralytics, built with random
weights (no downloads) at small input sizes, for the `zoo` test tier (tests/zoo/) and
benchmarks/zoo.py.

torchvision's compiled ops do not load against the CPU build of torch this project pins
(`operator torchvision::nms does not exist` at import). The architectures never call them, so
`import_torchvision()` defines the op schemas torchvision's meta registrations expect (no
kernels) before importing it; ultralytics imports torchvision too.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# torchvision/csrc/ops/*.cpp, the schemas `torchvision._meta_registrations` attaches to
_TORCHVISION_SCHEMAS = {
    "nms": "(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    "qnms": "(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    "roi_align": "(Tensor input, Tensor rois, float spatial_scale, SymInt pooled_height, SymInt pooled_width, "
    "int sampling_ratio, bool aligned) -> Tensor",
    "qroi_align": "(Tensor input, Tensor rois, float spatial_scale, SymInt pooled_height, SymInt pooled_width, "
    "int sampling_ratio, bool aligned) -> Tensor",
    "_roi_align_backward": "(Tensor grad, Tensor rois, float spatial_scale, SymInt pooled_height, "
    "SymInt pooled_width, SymInt batch_size, SymInt channels, SymInt height, SymInt width, int sampling_ratio, "
    "bool aligned) -> Tensor",
    "ps_roi_align": "(Tensor input, Tensor rois, float spatial_scale, SymInt pooled_height, SymInt pooled_width, "
    "int sampling_ratio) -> (Tensor, Tensor)",
    "_ps_roi_align_backward": "(Tensor grad, Tensor rois, Tensor channel_mapping, float spatial_scale, "
    "SymInt pooled_height, SymInt pooled_width, int sampling_ratio, SymInt batch_size, SymInt channels, "
    "SymInt height, SymInt width) -> Tensor",
    "roi_pool": "(Tensor input, Tensor rois, float spatial_scale, SymInt pooled_height, SymInt pooled_width) "
    "-> (Tensor, Tensor)",
    "_roi_pool_backward": "(Tensor grad, Tensor rois, Tensor argmax, float spatial_scale, SymInt pooled_height, "
    "SymInt pooled_width, SymInt batch_size, SymInt channels, SymInt height, SymInt width) -> Tensor",
    "ps_roi_pool": "(Tensor input, Tensor rois, float spatial_scale, SymInt pooled_height, SymInt pooled_width) "
    "-> (Tensor, Tensor)",
    "_ps_roi_pool_backward": "(Tensor grad, Tensor rois, Tensor channel_mapping, float spatial_scale, "
    "SymInt pooled_height, SymInt pooled_width, SymInt batch_size, SymInt channels, SymInt height, "
    "SymInt width) -> Tensor",
    "deform_conv2d": "(Tensor input, Tensor weight, Tensor offset, Tensor mask, Tensor bias, SymInt stride_h, "
    "SymInt stride_w, SymInt pad_h, SymInt pad_w, SymInt dilation_h, SymInt dilation_w, SymInt groups, "
    "SymInt offset_groups, bool use_mask) -> Tensor",
    "_deform_conv2d_backward": "(Tensor grad, Tensor input, Tensor weight, Tensor offset, Tensor mask, "
    "Tensor bias, SymInt stride_h, SymInt stride_w, SymInt pad_h, SymInt pad_w, SymInt dilation_h, "
    "SymInt dilation_w, SymInt groups, SymInt offset_groups, bool use_mask) -> (Tensor, Tensor, Tensor, "
    "Tensor, Tensor)",
}
_torchvision_lib: Any = None


def import_torchvision() -> Any:
    """`import torchvision`, with its op schemas defined first when its compiled ops did not load."""
    global _torchvision_lib
    import sys

    import torch

    if "torchvision" in sys.modules:
        return sys.modules["torchvision"]
    if _torchvision_lib is None and not hasattr(torch.ops.torchvision, "nms"):
        _torchvision_lib = torch.library.Library("torchvision", "DEF")  # kept alive: the schemas live with it
        for name, schema in _TORCHVISION_SCHEMAS.items():
            _torchvision_lib.define(name + schema)
    import torchvision

    return torchvision


@dataclass(frozen=True)
class ZooModel:
    name: str
    build: Callable[[], Any]
    """Builds the nn.Module (random weights, eval mode is set by the caller)."""
    input_shape: tuple[int, ...]


def _timm(arch: str, **kwargs: Any) -> Callable[[], Any]:
    def build() -> Any:
        import_torchvision()  # timm imports torchvision
        import timm

        return timm.create_model(arch, pretrained=False, **kwargs)

    return build


def _torchvision(path: str, **kwargs: Any) -> Callable[[], Any]:
    def build() -> Any:
        import importlib

        import_torchvision()
        module_name, _, fn = path.rpartition(".")
        model = getattr(importlib.import_module(f"torchvision.models{module_name and '.' + module_name}"), fn)(
            weights=None, **kwargs
        )
        return _FirstOutput(model, key="out") if module_name == "segmentation" else model

    return build


def _yolo(yaml: str) -> Callable[[], Any]:
    def build() -> Any:
        os.environ.setdefault("YOLO_OFFLINE", "1")  # no update checks, no downloads
        import_torchvision()
        from ultralytics import YOLO

        model = YOLO(yaml).model
        return _FirstOutput(model)

    return build


def _first_output_class() -> type:
    import torch

    class FirstOutput(torch.nn.Module):
        """The model's inference output: a detector's decoded boxes (not its raw feature maps),
        a segmentation model's `out` (not its dict)."""

        def __init__(self, model: torch.nn.Module, key: str | None = None) -> None:
            super().__init__()
            self.model = model
            self.key = key

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            y = self.model(x)
            if self.key is not None:
                return y[self.key]
            return y[0] if isinstance(y, (tuple, list)) else y

    return FirstOutput


def _FirstOutput(model: Any, key: str | None = None) -> Any:  # noqa: N802 - reads as a class
    return _first_output_class()(model, key)


def _zoo() -> list[ZooModel]:
    px64, px128 = (1, 3, 64, 64), (1, 3, 128, 128)
    return [
        # timm CNNs
        ZooModel("resnet18", _timm("resnet18"), px64),
        ZooModel("mobilenetv3_small_100", _timm("mobilenetv3_small_100"), px64),
        ZooModel("efficientnet_b0", _timm("efficientnet_b0"), px64),
        ZooModel("regnetx_002", _timm("regnetx_002"), px64),
        ZooModel("convnext_atto", _timm("convnext_atto"), px64),
        ZooModel("repvgg_a0", _timm("repvgg_a0"), px64),
        ZooModel("mobileone_s0", _timm("mobileone_s0"), px64),
        ZooModel("cspdarknet53", _timm("cspdarknet53"), px64),
        ZooModel("res2net50_26w_4s", _timm("res2net50_26w_4s"), px64),
        ZooModel("ghostnet_100", _timm("ghostnet_100"), px64),
        # timm transformers and hybrids
        ZooModel("vit_tiny", _timm("vit_tiny_patch16_224", img_size=64), px64),
        ZooModel("deit_tiny", _timm("deit_tiny_patch16_224", img_size=64), px64),
        ZooModel("swin_tiny", _timm("swin_tiny_patch4_window7_224", img_size=128, window_size=4), px128),
        ZooModel("mobilevit_xxs", _timm("mobilevit_xxs"), px64),
        ZooModel("levit_128s", _timm("levit_128s", img_size=128), px128),
        ZooModel("efficientformer_l1", _timm("efficientformer_l1"), (1, 3, 224, 224)),  # attention sized for 7x7 at its last stage
        ZooModel("edgenext_xx_small", _timm("edgenext_xx_small"), px64),
        ZooModel("fastvit_t8", _timm("fastvit_t8"), px64),
        # torchvision
        ZooModel("tv_shufflenet_v2_x0_5", _torchvision("shufflenet_v2_x0_5"), px64),
        ZooModel("tv_lraspp_mobilenet_v3", _torchvision("segmentation.lraspp_mobilenet_v3_large", weights_backbone=None), px128),
        ZooModel("tv_deeplabv3_mobilenet_v3", _torchvision("segmentation.deeplabv3_mobilenet_v3_large", weights_backbone=None, aux_loss=False), px128),
        # ultralytics
        ZooModel("yolov8n", _yolo("yolov8n.yaml"), px128),
        ZooModel("yolo11n", _yolo("yolo11n.yaml"), px128),
    ]


ZOO: dict[str, ZooModel] = {m.name: m for m in _zoo()}
EXPORTERS = ("dynamo", "torchscript")


def build(name: str) -> Any:
    """The zoo model NAME, seeded random weights, in eval mode."""
    import torch

    with torch.random.fork_rng():
        torch.manual_seed(0)
        model = ZOO[name].build()
    return model.eval()


def example_input(name: str) -> Any:
    import torch

    return torch.randn(ZOO[name].input_shape, generator=torch.Generator().manual_seed(1))


def export(name: str, exporter: str, dest: Path) -> tuple[Path, Any]:
    """Export zoo model NAME with torch's `dynamo` or `torchscript` exporter, the way
    `ncc.compile(module, ...)` does (ncc.frontends.torch.export_onnx), to `dest/NAME-EXPORTER.onnx`.
    Returns the file and the TorchSource whose `reference()` runs the module eagerly."""
    import onnx

    from ncc.frontends.torch import export_onnx

    proto, source = export_onnx(build(name), (example_input(name),), export=exporter, label=name)
    dest.mkdir(parents=True, exist_ok=True)
    path = dest / f"{name}-{exporter}.onnx"
    onnx.save(proto, str(path))
    return path, source

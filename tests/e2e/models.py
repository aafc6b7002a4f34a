"""Small but real torch models for the end-to-end tests (random weights, eval mode).

Each class carries its `INPUT_SHAPE`; `build(name)` seeds torch, builds the model and gives
every BatchNorm random statistics (the defaults, mean 0 / var 1 / weight 1 / bias 0, would
make BatchNorm folding an identity and hide a wrong fold). torch is imported only here, so
importing the test modules stays cheap; the conftest imports this module lazily.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# --------------------------------------------------------------------------- ResNet-18-like


class BasicBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class ResNet18Like(nn.Module):
    """ResNet-18's structure (7x7/2 stem, BN, ReLU, 3x3/2 max pool, BasicBlocks with 1x1/2
    downsample shortcuts, global average pool, Linear) at a fraction of the width."""

    INPUT_SHAPE = (1, 3, 64, 64)

    def __init__(self, num_classes: int = 10):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, 16, 7, 2, 3, bias=False),
            nn.BatchNorm2d(16),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2, 1),
        )
        self.layer1 = nn.Sequential(BasicBlock(16, 16), BasicBlock(16, 16))
        self.layer2 = nn.Sequential(BasicBlock(16, 32, 2), BasicBlock(32, 32))
        self.layer3 = BasicBlock(32, 48, 2)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(48, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.layer3(self.layer2(self.layer1(self.stem(x))))
        return self.fc(torch.flatten(self.pool(x), 1))


# --------------------------------------------------------------------------- MobileNetV2-like


def _conv_bn_relu6(cin: int, cout: int, k: int, stride: int = 1, groups: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU6(inplace=True),
    )


class InvertedResidual(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, expand: int):
        super().__init__()
        hidden = cin * expand
        layers: list[nn.Module] = []
        if expand != 1:
            layers.append(_conv_bn_relu6(cin, hidden, 1))
        layers += [
            _conv_bn_relu6(hidden, hidden, 3, stride, groups=hidden),  # depthwise
            nn.Conv2d(hidden, cout, 1, bias=False),
            nn.BatchNorm2d(cout),
        ]
        self.conv = nn.Sequential(*layers)
        self.use_res = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv(x) if self.use_res else self.conv(x)


class MobileNetV2Like(nn.Module):
    """MobileNetV2's building blocks: depthwise 3x3 convs, ReLU6, inverted residuals with
    linear bottlenecks, a 1x1 head, global average pool and a Linear classifier."""

    INPUT_SHAPE = (1, 3, 32, 32)

    def __init__(self, num_classes: int = 10):
        super().__init__()
        self.features = nn.Sequential(
            _conv_bn_relu6(3, 16, 3, 2),
            InvertedResidual(16, 8, 1, 1),
            InvertedResidual(8, 12, 2, 6),
            InvertedResidual(12, 12, 1, 6),
            InvertedResidual(12, 16, 2, 6),
            InvertedResidual(16, 16, 1, 6),
            _conv_bn_relu6(16, 64, 1),
        )
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(64, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.classifier(x)


# --------------------------------------------------------------------------- SqueezeNet-like


class Fire(nn.Module):
    def __init__(self, cin: int, squeeze: int, expand: int):
        super().__init__()
        self.squeeze = nn.Conv2d(cin, squeeze, 1)
        self.expand1x1 = nn.Conv2d(squeeze, expand, 1)
        self.expand3x3 = nn.Conv2d(squeeze, expand, 3, padding=1)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(self.squeeze(x))
        return torch.cat([self.relu(self.expand1x1(x)), self.relu(self.expand3x3(x))], 1)


class SqueezeNetLike(nn.Module):
    """SqueezeNet 1.1's structure: fire modules (squeeze, two expands, channel concat) and
    3x3/2 max pools with ceil_mode=True on sizes where ceil and floor differ (16 → 8 → 4)."""

    INPUT_SHAPE = (1, 3, 34, 34)

    def __init__(self, num_classes: int = 10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 16, 3, 2),  # 34 → 16
            nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2, ceil_mode=True),  # 16 → 8 (floor would give 7)
            Fire(16, 8, 16),
            Fire(32, 8, 16),
            nn.MaxPool2d(3, 2, ceil_mode=True),  # 8 → 4 (floor would give 3)
            Fire(32, 12, 24),
        )
        self.classifier = nn.Sequential(
            nn.Dropout(0.5), nn.Conv2d(48, num_classes, 1), nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool2d(1),
        )  # fmt: skip

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.flatten(self.classifier(self.features(x)), 1)


# --------------------------------------------------------------------------- UNet-like


def _double_conv(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1), nn.ReLU(inplace=True),
    )  # fmt: skip


class UNetLike(nn.Module):
    """A two-level UNet: max-pool encoder, one decoder stage upsampled by ConvTranspose2d
    and one by nn.Upsample(bilinear), skip concats, and a nearest-interpolated side output
    from the bottleneck added to the head."""

    INPUT_SHAPE = (1, 3, 32, 32)

    def __init__(self, out_ch: int = 2):
        super().__init__()
        self.enc1 = _double_conv(3, 8)
        self.enc2 = _double_conv(8, 16)
        self.bottleneck = _double_conv(16, 24)
        self.up1 = nn.ConvTranspose2d(24, 16, 2, stride=2)
        self.dec1 = _double_conv(32, 16)
        self.up2 = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False)
        self.reduce2 = nn.Conv2d(16, 8, 1)
        self.dec2 = _double_conv(16, 8)
        self.head = nn.Conv2d(8, out_ch, 1)
        self.side = nn.Conv2d(24, out_ch, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        e1 = self.enc1(x)  # 32x32
        e2 = self.enc2(F.max_pool2d(e1, 2))  # 16x16
        b = self.bottleneck(F.max_pool2d(e2, 2))  # 8x8
        d1 = self.dec1(torch.cat([self.up1(b), e2], 1))  # 16x16
        d2 = self.dec2(torch.cat([self.reduce2(self.up2(d1)), e1], 1))  # 32x32
        side = F.interpolate(self.side(b), scale_factor=4, mode="nearest")
        return self.head(d2) + side


# --------------------------------------------------------------------------- MLP block


class MLPBlock(nn.Module):
    """A transformer-style MLP block on a (1, 16, 64) sequence: LayerNorm → Linear → GELU →
    Linear with a residual, then LayerNorm → Linear → Softmax over the features."""

    INPUT_SHAPE = (1, 16, 64)

    def __init__(self, dim: int = 64, hidden: int = 128, out: int = 32):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)
        self.norm2 = nn.LayerNorm(dim)
        self.proj = nn.Linear(dim, out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.fc2(self.act(self.fc1(self.norm1(x))))
        return torch.softmax(self.proj(self.norm2(x)), dim=-1)


# --------------------------------------------------------------------------- clamp_min


class ClampMinNet(nn.Module):
    """conv → torch.clamp_min(x, 0) → conv: exporters write clamp_min differently (Clip with
    only a min, Max against a constant, or an aten fallback)."""

    INPUT_SHAPE = (1, 3, 16, 16)

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.conv2 = nn.Conv2d(8, 4, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv2(torch.clamp_min(self.conv1(x), 0))


# --------------------------------------------------------------------------- registry

MODELS: dict[str, type[nn.Module]] = {
    "resnet18": ResNet18Like,
    "mobilenetv2": MobileNetV2Like,
    "squeezenet": SqueezeNetLike,
    "unet": UNetLike,
    "mlp": MLPBlock,
    "clamp_min": ClampMinNet,
}


def build(name: str, seed: int = 0) -> nn.Module:
    """The model `name` with seeded random weights and random BatchNorm statistics, in eval mode."""
    torch.manual_seed(seed)
    model = MODELS[name]()
    g = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                n = m.num_features
                m.running_mean.copy_(torch.randn(n, generator=g) * 0.2)
                m.running_var.copy_(torch.rand(n, generator=g) * 0.8 + 0.6)
                m.weight.copy_(torch.rand(n, generator=g) * 0.8 + 0.6)
                m.bias.copy_(torch.randn(n, generator=g) * 0.2)
            elif isinstance(m, nn.LayerNorm):
                m.weight.copy_(1.0 + 0.2 * torch.randn(m.weight.shape, generator=g))
                m.bias.copy_(0.1 * torch.randn(m.bias.shape, generator=g))
    return model.eval()


def input_shape(name: str) -> tuple[int, ...]:
    return tuple(MODELS[name].INPUT_SHAPE)


def export_class(cls: type[nn.Module], mode: str, path) -> None:
    """Export `cls()` (seeded weights, eval mode) on a seeded input of `cls.INPUT` to ONNX:
    `mode` "dynamo" (torch.export, weights inside the file) or "onnx13" (TorchScript, opset 13)."""
    import warnings

    torch.manual_seed(0)
    model = cls().eval()
    x = torch.randn(cls.INPUT, generator=torch.Generator().manual_seed(1))
    kwargs = (
        {"dynamo": True, "verbose": False, "external_data": False}
        if mode == "dynamo"
        else {"dynamo": False, "opset_version": 13}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (x,), str(path), input_names=["input"], **kwargs)

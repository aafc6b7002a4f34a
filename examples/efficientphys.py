"""Camera-based vital-sign (rPPG) models, written as their papers publish them.

- `EfficientPhys`: input (T+1, 3, S, S) — frames stacked along the batch axis — frame
  difference, BatchNorm, temporal-shift (TSM) convolutions with self-attention masks,
  per-frame flatten and two Linear layers; output (T, 1).
- `TSCAN`: input (N, 6, S, S): a motion branch (frame differences, TSM) gated by an appearance
  branch (raw frames) through attention masks; output (N, 1).
- `PhysNet`: a 3-D CNN on (1, 3, T, H, W); output (1, T).

Compile one with `ncc compile examples/efficientphys.py:EfficientPhys --input-shape x=21x3x72x72`.
"""

from __future__ import annotations

import torch
from torch import nn


class TSM(nn.Module):
    """Temporal shift: a third of the channels moves one frame back, a third one frame
    forward, written as slice assignment (ONNX ScatterND)."""

    def __init__(self, n_segment: int = 20, fold_div: int = 3):
        super().__init__()
        self.n_segment = n_segment
        self.fold_div = fold_div

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        nt, c, h, w = x.size()
        n_batch = nt // self.n_segment
        x = x.view(n_batch, self.n_segment, c, h, w)
        fold = c // self.fold_div
        out = torch.zeros_like(x)
        out[:, :-1, :fold] = x[:, 1:, :fold]
        out[:, 1:, fold : 2 * fold] = x[:, :-1, fold : 2 * fold]
        out[:, :, 2 * fold :] = x[:, :, 2 * fold :]
        return out.view(nt, c, h, w)


class Attention_mask(nn.Module):  # noqa: N801 - the published name
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        xsum = torch.sum(x, dim=2, keepdim=True)
        xsum = torch.sum(xsum, dim=3, keepdim=True)
        xshape = tuple(x.size())
        return x / xsum * xshape[2] * xshape[3] * 0.5


class EfficientPhys(nn.Module):
    def __init__(self, frame_depth: int = 20, img_size: int = 72, in_channels: int = 3, diff: str = "torch"):
        """`diff="torch"` writes the frame difference as `torch.diff` (exportable with the
        dynamo exporter only); `diff="slice"` as `x[1:] - x[:-1]` (both exporters)."""
        super().__init__()
        nb1, nb2, k, pool = 32, 64, 3, (2, 2)
        self.frame_depth = frame_depth
        self.diff = diff
        self.TSM_1 = TSM(frame_depth)
        self.TSM_2 = TSM(frame_depth)
        self.TSM_3 = TSM(frame_depth)
        self.TSM_4 = TSM(frame_depth)
        self.motion_conv1 = nn.Conv2d(in_channels, nb1, k, padding=1)
        self.motion_conv2 = nn.Conv2d(nb1, nb1, k)
        self.motion_conv3 = nn.Conv2d(nb1, nb2, k, padding=1)
        self.motion_conv4 = nn.Conv2d(nb2, nb2, k)
        self.apperance_att_conv1 = nn.Conv2d(nb1, 1, 1)
        self.attn_mask_1 = Attention_mask()
        self.apperance_att_conv2 = nn.Conv2d(nb2, 1, 1)
        self.attn_mask_2 = Attention_mask()
        self.avg_pooling_1 = nn.AvgPool2d(pool)
        self.avg_pooling_2 = nn.AvgPool2d(pool)
        self.dropout_1 = nn.Dropout(0.25)
        self.dropout_2 = nn.Dropout(0.25)
        self.dropout_3 = nn.Dropout(0.5)
        side = ((img_size - 2) // 2 - 2) // 2  # 16 for S = 72 (16384 features), 7 for S = 36 (3136)
        flat = nb2 * side * side
        self.final_dense_1 = nn.Linear(flat, 128)
        self.final_dense_2 = nn.Linear(128, 1)
        self.batch_norm = nn.BatchNorm2d(in_channels)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        inputs = torch.diff(inputs, dim=0) if self.diff == "torch" else inputs[1:] - inputs[:-1]
        inputs = self.batch_norm(inputs)
        network_input = self.TSM_1(inputs)
        d1 = torch.tanh(self.motion_conv1(network_input))
        d1 = self.TSM_2(d1)
        d2 = torch.tanh(self.motion_conv2(d1))
        g1 = torch.sigmoid(self.apperance_att_conv1(d2))
        g1 = self.attn_mask_1(g1)
        gated1 = d2 * g1
        d3 = self.avg_pooling_1(gated1)
        d4 = self.dropout_1(d3)
        d4 = self.TSM_3(d4)
        d5 = torch.tanh(self.motion_conv3(d4))
        d5 = self.TSM_4(d5)
        d6 = torch.tanh(self.motion_conv4(d5))
        g2 = torch.sigmoid(self.apperance_att_conv2(d6))
        g2 = self.attn_mask_2(g2)
        gated2 = d6 * g2
        d7 = self.avg_pooling_2(gated2)
        d8 = self.dropout_2(d7)
        d9 = d8.view(d8.size(0), -1)
        d10 = torch.tanh(self.final_dense_1(d9))
        d11 = self.dropout_3(d10)
        return self.final_dense_2(d11)


class TSCAN(nn.Module):
    """TS-CAN: channels 0–2 (frame differences) feed the motion branch with TSM, channels 3–5
    (raw frames) the appearance branch, whose attention masks gate the motion features."""

    def __init__(self, frame_depth: int = 20, img_size: int = 36, in_channels: int = 3):
        super().__init__()
        nb1, nb2, k = 32, 64, 3
        self.TSM_1, self.TSM_2 = TSM(frame_depth), TSM(frame_depth)
        self.TSM_3, self.TSM_4 = TSM(frame_depth), TSM(frame_depth)
        self.motion_conv1 = nn.Conv2d(in_channels, nb1, k, padding=1)
        self.motion_conv2 = nn.Conv2d(nb1, nb1, k)
        self.motion_conv3 = nn.Conv2d(nb1, nb2, k, padding=1)
        self.motion_conv4 = nn.Conv2d(nb2, nb2, k)
        self.apperance_conv1 = nn.Conv2d(in_channels, nb1, k, padding=1)
        self.apperance_conv2 = nn.Conv2d(nb1, nb1, k)
        self.apperance_conv3 = nn.Conv2d(nb1, nb2, k, padding=1)
        self.apperance_conv4 = nn.Conv2d(nb2, nb2, k)
        self.apperance_att_conv1 = nn.Conv2d(nb1, 1, 1)
        self.attn_mask_1 = Attention_mask()
        self.apperance_att_conv2 = nn.Conv2d(nb2, 1, 1)
        self.attn_mask_2 = Attention_mask()
        self.avg_pooling = nn.AvgPool2d(2)
        side = ((img_size - 2) // 2 - 2) // 2
        self.final_dense_1 = nn.Linear(nb2 * side * side, 128)
        self.final_dense_2 = nn.Linear(128, 1)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        diff_input = inputs[:, :3, :, :]
        raw_input = inputs[:, 3:, :, :]
        d1 = torch.tanh(self.motion_conv1(self.TSM_1(diff_input)))
        d2 = torch.tanh(self.motion_conv2(self.TSM_2(d1)))
        r1 = torch.tanh(self.apperance_conv1(raw_input))
        r2 = torch.tanh(self.apperance_conv2(r1))
        g1 = self.attn_mask_1(torch.sigmoid(self.apperance_att_conv1(r2)))
        d4 = self.avg_pooling(d2 * g1)
        r4 = self.avg_pooling(r2)
        d5 = torch.tanh(self.motion_conv3(self.TSM_3(d4)))
        d6 = torch.tanh(self.motion_conv4(self.TSM_4(d5)))
        r5 = torch.tanh(self.apperance_conv3(r4))
        r6 = torch.tanh(self.apperance_conv4(r5))
        g2 = self.attn_mask_2(torch.sigmoid(self.apperance_att_conv2(r6)))
        d8 = self.avg_pooling(d6 * g2)
        d9 = d8.view(d8.size(0), -1)
        return self.final_dense_2(torch.tanh(self.final_dense_1(d9)))


class PhysNet(nn.Module):
    """PhysNet-like 3-D CNN: input (1, 3, T, H, W), output (1, T)."""

    def __init__(self, frames: int = 32):
        super().__init__()

        def block(cin: int, cout: int, k, p) -> nn.Sequential:
            return nn.Sequential(nn.Conv3d(cin, cout, k, padding=p), nn.BatchNorm3d(cout), nn.ReLU(inplace=True))

        self.conv_block1 = block(3, 16, (1, 5, 5), (0, 2, 2))
        self.conv_block2 = block(16, 32, 3, 1)
        self.conv_block3 = block(32, 32, 3, 1)
        self.conv_block4 = block(32, 32, 3, 1)
        self.conv_block5 = block(32, 32, 3, 1)
        self.upsample = nn.Sequential(
            nn.ConvTranspose3d(32, 32, (4, 1, 1), stride=(2, 1, 1), padding=(1, 0, 0)),
            nn.BatchNorm3d(32),
            nn.ELU(),
        )
        self.pool_spatial = nn.MaxPool3d((1, 2, 2), stride=(1, 2, 2))
        self.pool_temporal = nn.MaxPool3d((2, 2, 2), stride=2)
        self.poolspa = nn.AdaptiveAvgPool3d((frames, 1, 1))
        self.conv_last = nn.Conv3d(32, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool_spatial(self.conv_block1(x))
        x = self.pool_temporal(self.conv_block3(self.conv_block2(x)))
        x = self.conv_block5(self.conv_block4(x))
        x = self.upsample(x)
        x = self.conv_last(self.poolspa(x))
        return x.view(1, -1)


INPUT_SHAPES = {
    "EfficientPhys": (21, 3, 72, 72),
    "TSCAN": (20, 6, 36, 36),
    "PhysNet": (1, 3, 32, 64, 64),
}


def efficientphys_s36() -> EfficientPhys:
    """EfficientPhys for 36×36 frames (`ncc compile examples/efficientphys.py:efficientphys_s36`)."""
    return EfficientPhys(img_size=36)

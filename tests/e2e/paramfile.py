"""A small, strict reader of ncnn `.param` text, written from the format description (not from
the compiler's emitter), so the tests check the emitted file independently.

    7767517
    <layer count> <blob count>
    <type> <name> <n_in> <n_out> <in blobs...> <out blobs...> <id=value ...>
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

MAGIC = "7767517"


@dataclass
class Layer:
    type: str
    name: str
    inputs: list[str]
    outputs: list[str]
    params: dict[int, str] = field(default_factory=dict)
    """param id → the raw token (arrays keep their `-233xx` id and `len,v,...` text)."""

    def int_param(self, pid: int, default: int) -> int:
        return int(self.params[pid]) if pid in self.params else default


@dataclass
class ParamFile:
    layers: list[Layer]
    layer_count: int
    blob_count: int

    def producers(self) -> dict[str, Layer]:
        return {b: layer for layer in self.layers for b in layer.outputs}

    def consumers(self) -> dict[str, list[Layer]]:
        out: dict[str, list[Layer]] = {}
        for layer in self.layers:
            for b in layer.inputs:
                out.setdefault(b, []).append(layer)
        return out

    def types(self) -> Counter[str]:
        return Counter(layer.type for layer in self.layers)


def parse_param(text: str) -> ParamFile:
    lines = [ln for ln in text.split("\n") if ln.strip()]
    if not lines or lines[0].strip() != MAGIC:
        raise ValueError(f"first line must be the magic {MAGIC}")
    layer_count, blob_count = (int(v) for v in lines[1].split())
    layers = []
    for ln in lines[2:]:
        tok = ln.split()
        if len(tok) < 4:
            raise ValueError(f"short layer line: {ln!r}")
        nin, nout = int(tok[2]), int(tok[3])
        ins, outs = tok[4 : 4 + nin], tok[4 + nin : 4 + nin + nout]
        if len(ins) != nin or len(outs) != nout:
            raise ValueError(f"layer line has fewer blobs than declared: {ln!r}")
        params: dict[int, str] = {}
        for item in tok[4 + nin + nout :]:
            key, sep, value = item.partition("=")
            if not sep:
                raise ValueError(f"param token without '=': {item!r} in {ln!r}")
            pid = int(key)
            if pid in params:
                raise ValueError(f"param id {pid} written twice in {ln!r}")
            params[pid] = value
        layers.append(Layer(tok[0], tok[1], ins, outs, params))
    return ParamFile(layers, layer_count, blob_count)


def read_param(path: str | Path) -> ParamFile:
    return parse_param(Path(path).read_text())

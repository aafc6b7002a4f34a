"""Test-only plug-in (loaded with `--load-passes`, never shipped): deliberately mis-lowers
a model by adding `delta` to one float param of the ncnn layer of ONNX node `node`."""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass

from ncc.dialects.common import node_names
from ncc.dialects.ncnn.base import FLOAT, NcnnLayer


@dataclass(frozen=True)
class CorruptLayerPass(ModulePass):
    name = "test-corrupt-layer"

    node: str = ""
    param: str = ""
    delta: float = 1.0

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        hits = [
            layer for layer in op.walk()
            if isinstance(layer, NcnnLayer) and self.node in node_names(layer) and self.param in layer.PARAMS
        ]  # fmt: skip
        if len(hits) != 1:
            raise ValueError(f"test-corrupt-layer: {len(hits)} layers of node {self.node!r} have param {self.param!r}")
        assert hits[0].PARAMS[self.param].kind == FLOAT
        hits[0].set_param(self.param, hits[0].param(self.param) + self.delta)

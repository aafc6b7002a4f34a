"""Build examples/tinynet.onnx: a small CNN written with onnx.helper (seeded random weights).

conv3x3-BN-ReLU → depthwise conv3x3-ReLU6 → conv1x1 + residual → MaxPool → GlobalAveragePool
→ Flatten → Gemm → Softmax, input x: (1, 3, 32, 32), output prob: (1, 10).
Run `python examples/make_tinynet.py` to regenerate the bundled file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def build() -> onnx.ModelProto:
    rng = np.random.default_rng(2026)

    def w(name: str, *shape: int, scale: float = 0.3) -> onnx.TensorProto:
        return numpy_helper.from_array((rng.standard_normal(shape) * scale).astype(np.float32), name)

    inits = [
        w("c1.w", 16, 3, 3, 3), w("c1.b", 16),
        numpy_helper.from_array(rng.uniform(0.5, 1.5, 16).astype(np.float32), "bn.scale"),
        w("bn.bias", 16), w("bn.mean", 16, scale=0.1),
        numpy_helper.from_array(rng.uniform(0.5, 1.5, 16).astype(np.float32), "bn.var"),
        w("dw.w", 16, 1, 3, 3), w("dw.b", 16),
        w("pw.w", 16, 16, 1, 1), w("pw.b", 16),
        w("fc.w", 10, 16), w("fc.b", 10),
        numpy_helper.from_array(np.array(0.0, np.float32), "zero"),
        numpy_helper.from_array(np.array(6.0, np.float32), "six"),
    ]  # fmt: skip
    nodes = [
        helper.make_node("Conv", ["x", "c1.w", "c1.b"], ["c1"], name="/stem/Conv", pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["c1", "bn.scale", "bn.bias", "bn.mean", "bn.var"], ["bn"], name="/stem/BatchNorm"),
        helper.make_node("Relu", ["bn"], ["r1"], name="/stem/Relu"),
        helper.make_node("Conv", ["r1", "dw.w", "dw.b"], ["dw"], name="/block/dw/Conv", group=16, pads=[1, 1, 1, 1]),
        helper.make_node("Clip", ["dw", "zero", "six"], ["r6"], name="/block/Relu6"),
        helper.make_node("Conv", ["r6", "pw.w", "pw.b"], ["pw"], name="/block/pw/Conv"),
        helper.make_node("Add", ["pw", "r1"], ["res"], name="/block/Add"),
        helper.make_node("MaxPool", ["res"], ["mp"], name="/pool/MaxPool", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("GlobalAveragePool", ["mp"], ["gap"], name="/pool/GlobalAveragePool"),
        helper.make_node("Flatten", ["gap"], ["flat"], name="/head/Flatten"),
        helper.make_node("Gemm", ["flat", "fc.w", "fc.b"], ["logits"], name="/head/Gemm", transB=1),
        helper.make_node("Softmax", ["logits"], ["prob"], name="/head/Softmax", axis=-1),
    ]  # fmt: skip
    graph = helper.make_graph(
        nodes, "tinynet",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 32, 32])],
        [helper.make_tensor_value_info("prob", TensorProto.FLOAT, [1, 10])],
        inits,
    )  # fmt: skip
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="ncc-example")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


if __name__ == "__main__":
    out = Path(__file__).with_name("tinynet.onnx")
    onnx.save(build(), str(out))
    print(f"wrote {out}")
